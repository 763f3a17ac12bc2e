"""The streamed archive writes the bytes zipfile writes, with members held on disk, not in memory."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile

import pytest

from reqtrace.io import archive as archive_module
from reqtrace.io.archive import (
    COMPRESS_LEVEL,
    MANIFEST,
    DeterministicZip,
    UnsafeMember,
    manifest_text,
    sha256_hex,
)

WHEN = dt.datetime(2026, 3, 2, 10, 0, 1, tzinfo=dt.UTC)


def zipfile_pack(members: dict[str, bytes]) -> bytes:
    """The plain way: every member in memory, written by zipfile in name order."""
    hashes = {name: sha256_hex(data) for name, data in members.items()}
    every = {**members, MANIFEST: manifest_text(hashes.items()).encode("ascii")}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL, allowZip64=True) as archive:
        for name in sorted(every):
            info = zipfile.ZipInfo(name, date_time=DeterministicZip(WHEN).date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = (0o100644 & 0xFFFF) << 16
            archive.writestr(info, every[name], compress_type=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL)
    return buffer.getvalue()


def streamed_pack(members: dict[str, bytes | str]) -> tuple[bytes, dict[str, str]]:
    archive = DeterministicZip(WHEN)
    for name, data in members.items():  # not in name order: the archive sorts
        archive.add(name, data)
    buffer = io.BytesIO()
    hashes = archive.write(buffer)
    return buffer.getvalue(), hashes


@pytest.mark.parametrize("count", [0, 1, 40])
def test_the_streamed_archive_is_byte_for_byte_what_zipfile_writes(count):
    members = {f"data/m{(i * 7919) % 1000:03d}-{i}.txt": (b"" if i % 5 == 0 else f"line {i} 需求\n".encode() * i) for i in range(count)}
    written, hashes = streamed_pack(dict(members))
    assert written == zipfile_pack(members)
    assert hashes == {name: sha256_hex(data) for name, data in members.items()}
    with zipfile.ZipFile(io.BytesIO(written)) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == sorted([*members, MANIFEST])


def test_more_members_than_a_plain_zip_holds_get_the_zip64_end_records_zipfile_writes(monkeypatch):
    # 100,000 requirements give a pack of more than 65,535 members. The writer and zipfile switch at
    # the same limits; lowered on both sides, a few dozen members show the switch (65,600 real
    # members cost ~6 s of CPU for the same bytes).
    assert (archive_module._COUNT_LIMIT, archive_module._ZIP64_LIMIT) == (zipfile.ZIP_FILECOUNT_LIMIT, zipfile.ZIP64_LIMIT)
    monkeypatch.setattr(archive_module, "_COUNT_LIMIT", 40)
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 40)
    for count, zip64 in ((39, False), (40, True)):  # and MANIFEST.sha256: 40 members, then 41
        members = {f"d/{i:05d}": bytes([i % 251]) for i in range(count)}
        written, _ = streamed_pack(dict(members))
        assert (b"PK\x06\x06" in written[-200:]) is zip64, count  # the zip64 end of central directory
        assert written == zipfile_pack(members), count


def test_members_and_offsets_past_the_size_limit_get_the_zip64_extras_zipfile_writes(monkeypatch):
    # A member over 2 GiB, or one that starts past 2 GiB: its sizes or offset go to a zip64 extra
    # field. Lowered on both sides, a few kilobytes show it.
    monkeypatch.setattr(archive_module, "_ZIP64_LIMIT", 3000)
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 3000)
    members = {"a/big": _noise("a/big", 5000), "a/small": b"x", **{f"b/{i:02d}": _noise(str(i), 300) for i in range(12)}}
    written, _ = streamed_pack(dict(members))
    assert written == zipfile_pack(members)
    with zipfile.ZipFile(io.BytesIO(written)) as archive:
        assert archive.testzip() is None
        extras = {info.filename: info.extra for info in archive.infolist()}
    assert extras["a/big"] and extras["b/11"] and not extras["MANIFEST.sha256"]  # a size; an offset; neither


def _noise(seed: str, size: int) -> bytes:
    """Bytes deflate cannot shrink, the same on every run."""
    return b"".join(hashlib.sha256(f"{seed}/{k}".encode()).digest() for k in range(size // 32 + 1))[:size]


def test_text_members_are_utf8_and_the_manifest_digest_names_the_manifest():
    archive = DeterministicZip(WHEN)
    archive.add("index.html", "<p>需求</p>")
    buffer = io.BytesIO()
    archive.write(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as unpacked:
        assert unpacked.read("index.html") == "<p>需求</p>".encode()
        assert archive.manifest_digest == sha256_hex(unpacked.read(MANIFEST))


def test_a_member_added_as_pieces_is_the_member_added_whole():
    # index.html is deflated as the template yields it: however it is cut, the same bytes.
    page = "".join(f"<p id='r{i}'>需求 {i} · {'x' * (i % 97)}</p>\n" for i in range(40_000)).encode()
    whole, hashes = streamed_pack({"index.html": page, "data/a.json": b"{}"})
    archive = DeterministicZip(WHEN)
    archive.add("data/a.json", b"{}")
    archive.add_stream("index.html", (page[at:at + size] for at, size in _cuts(len(page))))
    buffer = io.BytesIO()
    assert archive.write(buffer) == hashes
    assert buffer.getvalue() == whole == zipfile_pack({"index.html": page, "data/a.json": b"{}"})
    with pytest.raises(UnsafeMember):
        archive.add_stream("../index.html", iter([b"x"]))


def _cuts(total: int):
    at, size = 0, 1
    while at < total:
        yield at, size
        at += size
        size = size * 7 % 65_537 + 1  # pieces of every size, from 1 byte to 64 KiB
