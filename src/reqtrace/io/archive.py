"""Deterministic, safe zip archives: the container of an evidence pack.

The same members always give the same bytes: entries sorted by name, one fixed
timestamp, fixed permissions, no extra fields, one compression level. Member
names never come raw from user data: `member_name` turns any file name into a
slug plus a short hash of the original, and `is_safe_member` is what both the
writer and `pack verify` accept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import struct
import tempfile
import unicodedata
import zipfile
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from reqtrace.errors import InputError

MANIFEST = "MANIFEST.sha256"
MAX_MEMBER_LENGTH = 200
_HASH_LENGTH = 12  # 48 bits: a collision among 100,000 names has odds of about 1 in 56,000
_COMPONENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
# Windows refuses these as file names, with or without an extension.
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
_ZIP_EPOCH = dt.datetime(1980, 1, 1, tzinfo=dt.UTC)  # the earliest time a zip entry can hold
_ZIP_END = dt.datetime(2107, 12, 31, 23, 59, 58, tzinfo=dt.UTC)


class UnsafeMember(InputError):
    code = "unsafe-member"


def slug(text: str, limit: int = 60) -> str:
    """Lowercase ASCII letters and digits joined by '-', at most `limit` long ('' if none)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")[:limit].strip("-")


def short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:_HASH_LENGTH]


def member_name(folder: str, original: str, key: str | None = None) -> str:
    """A safe member name under `folder` for a file a user named `original`.

    The readable part is a slug of the file's own name; the hash of the whole
    original path keeps names apart that differ only in case, in folder, or past
    the slug's length. `../../x`, `/etc/passwd`, `CON`, a 300-character name or
    a Chinese one all give a plain `name-0123456789ab.ext`. `key`, when given, is
    hashed instead of `original` (an attachment: its message's path and position).
    """
    base = original.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    stem, dot, extension = base.rpartition(".")
    if not dot or not stem:
        stem, extension = base, ""
    extension = slug(extension, 10).replace("-", "")
    readable = slug(stem) or "file"
    name = f"{readable}-{short_hash(original if key is None else key)}" + (f".{extension}" if extension else "")
    # Safe by construction; DeterministicZip.add checks every name again anyway.
    return f"{folder.strip('/')}/{name}" if folder.strip("/") else name


# A name every rule below accepts: folders and a file of letters, digits, '.', '_' and '-',
# each starting with a letter or digit, not ending with '.', and not a reserved device name
# (the part before its first '.' is none of _RESERVED, in any case). Every member of a pack is
# checked when it is added and again by `pack verify` (100,000 requirements: 160,000 names).
_NOT_RESERVED = r"(?!(?i:con|prn|aux|nul|com[0-9]|lpt[0-9])(?:[./]|\Z))"
_PLAIN_COMPONENT = _NOT_RESERVED + r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_-])?"
_PLAIN_NAME = re.compile(f"{_PLAIN_COMPONENT}(?:/{_PLAIN_COMPONENT})*")


def member_problem(name: str) -> str | None:
    """Why `name` is not acceptable as a member of a pack, or None when it is."""
    if len(name) <= MAX_MEMBER_LENGTH and _PLAIN_NAME.fullmatch(name):
        return None
    if not name:
        return "empty member name"
    if len(name) > MAX_MEMBER_LENGTH:
        return f"member name longer than {MAX_MEMBER_LENGTH} characters"
    if name.startswith("/") or "\\" in name or re.match(r"^[A-Za-z]:", name):
        return "absolute path (zip-slip: it would be written outside the folder it is unpacked into)"
    parts = name.split("/")
    if ".." in parts:
        return "'..' in the path (zip-slip: it would be written outside the folder it is unpacked into)"
    for part in parts:
        if not _COMPONENT.match(part):
            return f"path component {part!r} is not plain letters, digits, '.', '_' and '-'"
        if part.endswith("."):
            return f"path component {part!r} ends with '.'"
        if part.split(".", 1)[0].lower() in _RESERVED:
            return f"path component {part!r} is a reserved device name on Windows"
    return None


def is_safe_member(name: str) -> bool:
    return member_problem(name) is None


def zip_timestamp(moment: dt.datetime) -> tuple[int, int, int, int, int, int]:
    """`moment` in UTC as a zip entry time (clamped to what the format can hold)."""
    moment = min(max(moment.astimezone(dt.UTC), _ZIP_EPOCH), _ZIP_END)
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second - moment.second % 2)


def sha256_hex(data: bytes | bytearray) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> tuple[int, str]:
    """(size, sha256 hex) of the file at `path`, read in chunks."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_COPY_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def manifest_text(hashes: Iterable[tuple[str, str]]) -> str:
    """The `sha256sum` format: '<hex>  <name>' lines, sorted by name."""
    return "".join(f"{digest}  {name}\n" for name, digest in sorted(hashes))


def parse_manifest(text: str) -> tuple[dict[str, str], list[tuple[int, str]]]:
    """{name: hex} from MANIFEST.sha256, and (line, problem) for every malformed line."""
    entries: dict[str, str] = {}
    problems: list[tuple[int, str]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line:
            continue
        match = re.fullmatch(r"([0-9a-f]{64}) [ *](.+)", line)
        if not match:
            problems.append((number, f"line {number} is not '<sha256>  <name>': {line[:80]!r}"))
            continue
        digest, name = match.groups()
        if name in entries:
            problems.append((number, f"{name}: listed twice (line {number})"))
            continue
        entries[name] = digest
    return entries, problems


# The zip records this module writes (APPNOTE.TXT 4.3.12, 4.3.14-16): the same layouts as zipfile's.
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_END64 = struct.Struct("<4sQ2H2L4Q")
_END64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_LIMIT = (1 << 31) - 1  # zipfile.ZIP64_LIMIT: past it, sizes and offsets go to a zip64 extra
_COUNT_LIMIT = (1 << 16) - 1  # zipfile.ZIP_FILECOUNT_LIMIT: more members need the zip64 end records
_ZIP64_VERSION = 45
# Deflate level 2, chosen by measurement on a pack of 10,000 requirements (16,000 members,
# 55 MB): level 6 took 1.23 s of CPU for 12.4 MB, level 2 0.49 s for 14.1 MB, level 1 0.47 s
# for 14.4 MB, level 3 0.60 s for 13.6 MB. The 16,000 small originals cost a quarter of a
# second at any level (building each one's Huffman trees); the big JSON members and
# index.html are where the level matters.
COMPRESS_LEVEL = 2
_COPY_CHUNK = 1 << 20
_PIECES_AHEAD = 4  # pieces of a streamed member waiting for the deflating thread, at most


@dataclass(frozen=True)
class Deflated:
    """One member as an archive holds it: its name, its data's size, CRC-32 and sha256,
    and its raw deflate stream at COMPRESS_LEVEL. Made by `deflate_member`; a member whose
    data depend only on immutable inputs may be kept so and added again (`add_deflated`)
    without deflating it again."""

    name: str
    size: int
    crc: int
    sha256: str
    stream: bytes | memoryview


def deflate_member(name: str, data: bytes | bytearray) -> Deflated:
    """What zipfile does for one writestr: one raw deflate stream, CRC-32 of the data."""
    compressor = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -15)
    return Deflated(name, len(data), zlib.crc32(data), sha256_hex(data), compressor.compress(data) + compressor.flush())


_FRAME = struct.Struct("<H Q L 32s Q")  # name length, size, CRC-32, sha256, deflated length


def write_deflated_frame(out: BinaryIO, name: str, chunks: Iterable[bytes | bytearray]) -> None:
    """One member, `deflate_member` of the pieces joined, framed for `DeflatedFrames` to read back
    (in another process: name, size, CRC-32, sha256, the deflated length, the name, the deflated
    stream), each piece written as it is deflated: neither the pieces joined nor the deflated
    stream is ever held (a forked child's requirements document is
    20 MB deflated at 100,000 requirements, and held, copied and framed it was three copies at
    once). `out` must be seekable: the frame's head, which gives the stream's length, is
    written last, in the place kept for it."""
    encoded = name.encode("ascii")
    start = out.tell()
    out.write(bytes(_FRAME.size) + encoded)
    compressor = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -15)
    digest, crc, size, length = hashlib.sha256(), 0, 0, 0
    for chunk in chunks:
        digest.update(chunk)
        crc = zlib.crc32(chunk, crc)
        size += len(chunk)
        piece = compressor.compress(chunk)
        length += len(piece)
        out.write(piece)
    piece = compressor.flush()
    length += len(piece)
    out.write(piece)
    end = out.tell()
    out.seek(start)
    out.write(_FRAME.pack(len(encoded), size, crc, digest.digest(), length))
    out.seek(end)


def deflated_members(data: bytes) -> list[Deflated]:
    """The members of frames (`write_deflated_frame`) one after another; ValueError when they are cut short."""
    return list(DeflatedFrames(io.BytesIO(data)))


class DeflatedFrames:
    """The members of frames (`write_deflated_frame`) written one after another to a file, each read only when
    it is reached (at 100,000 requirements a forked child's documents are 60 MB deflated: one
    member at a time is held, not all of them). Every frame is checked when this is made:
    ValueError, before any member is read, when one is cut short."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        end = handle.seek(0, io.SEEK_END)
        self._frames: list[tuple[str, int, int, str, int, int]] = []
        offset = 0
        while offset < end:
            handle.seek(offset)
            head = handle.read(_FRAME.size)
            if len(head) != _FRAME.size:
                raise ValueError("a deflated member's frame is cut short")
            name_length, size, crc, sha256, length = _FRAME.unpack(head)
            name = handle.read(name_length)
            start = offset + _FRAME.size + name_length
            if len(name) != name_length or start + length > end:
                raise ValueError("a deflated member is cut short")
            self._frames.append((name.decode("ascii"), size, crc, sha256.hex(), start, length))
            offset = start + length

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(frame[0] for frame in self._frames)

    def __iter__(self) -> Iterator[Deflated]:
        for name, size, crc, sha256, start, length in self._frames:
            self._handle.seek(start)
            stream = self._handle.read(length)
            if len(stream) != length:
                raise ValueError("a deflated member is cut short")
            yield Deflated(name, size, crc, sha256, stream)


@dataclass(frozen=True, slots=True)
class _Member:
    """A member as the archive holds it until written: a few numbers, not a ZipInfo (at
    100,000 requirements 160,000 of those were 70 MB); `write` makes each one's ZipInfo."""

    offset: int  # where its deflated bytes are in the spool
    size: int
    compressed: int
    crc: int
    sha256: str


class DeterministicZip:
    """Collects members, then writes them sorted, with MANIFEST.sha256, to a file object.

    Each member is hashed and deflated as it is added, and its deflated bytes go to a
    temporary file: memory holds a few numbers per member, not the pack. `write` then
    copies them out in name order. The bytes are exactly those `zipfile.ZipFile`
    writes for the same members added in name order to a seekable file (the test suite
    compares the two): deflate at COMPRESS_LEVEL, local headers from `ZipInfo.FileHeader`,
    the central directory and end records as zipfile lays them out.
    """

    def __init__(self, timestamp: dt.datetime) -> None:
        self.date_time = zip_timestamp(timestamp)
        self._members: dict[str, _Member] = {}
        self._folded: dict[str, str] = {}
        self._spool: BinaryIO = tempfile.TemporaryFile()  # noqa: SIM115 - closed by write() or close()
        self._spooled = 0
        self.manifest_digest: str | None = None  # sha256 of MANIFEST.sha256 once written: the pack's fingerprint

    def add(self, name: str, data: bytes | bytearray | str) -> str:
        self._claim(name)
        self._members[name] = self._spool_member(name, data.encode("utf-8") if isinstance(data, str) else data)
        return name

    def add_deflated(self, member: Deflated) -> str:
        """Add a member deflated before (`deflate_member`): the same bytes as `add` of its data."""
        self._claim(member.name)
        offset = self._spooled
        self._spool_bytes(member.stream)
        self._members[member.name] = _Member(offset, member.size, len(member.stream), member.crc, member.sha256)
        return member.name

    def add_stream(self, name: str, chunks: Iterable[bytes | bytearray]) -> str:
        """Add a member given as pieces, deflated as they come: the member is never held whole
        (index.html at 100,000 requirements is 190 MB). The same bytes as `add` of the pieces
        joined: deflate's output does not depend on how its input is split.

        Each piece is hashed and deflated by one worker thread, in order, while the caller
        makes the next: zlib and hashlib let go of the interpreter lock over a large piece,
        so on two cores rendering a page and deflating it overlap."""
        self._claim(name)
        compressor = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -15)
        digest, offset = hashlib.sha256(), self._spooled
        crc_size = [0, 0]

        def take(chunk: bytes | bytearray) -> None:
            digest.update(chunk)
            crc_size[0] = zlib.crc32(chunk, crc_size[0])
            crc_size[1] += len(chunk)
            self._spool_bytes(compressor.compress(chunk))

        pending: deque[Future[None]] = deque()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="reqtrace-deflate") as worker:
            try:
                for chunk in chunks:
                    pending.append(worker.submit(take, chunk))
                    while len(pending) > _PIECES_AHEAD or (pending and pending[0].done()):
                        pending.popleft().result()  # in order; raises what the worker raised
                while pending:
                    pending.popleft().result()
            finally:
                for future in pending:  # the caller's pieces failed: the member is not added
                    future.cancel()
        self._spool_bytes(compressor.flush())
        crc, size = crc_size
        self._members[name] = _Member(offset, size, self._spooled - offset, crc, digest.hexdigest())
        return name

    def _claim(self, name: str) -> None:
        problem = member_problem(name)
        if problem is not None:
            raise UnsafeMember(f"refusing member {name!r}: {problem}")
        if name == MANIFEST:
            raise UnsafeMember(f"{MANIFEST} is written by the archive itself")
        # Case-insensitive file systems (Windows, macOS) would unpack two such names into one file.
        folded = name.casefold()
        if folded == name:
            folded = name  # one string, not two equal ones (160,000 names at 100,000 requirements)
        if folded in self._folded:
            raise UnsafeMember(f"duplicate member name {name!r} (clashes with {self._folded[folded]!r})")
        self._folded[folded] = name

    def _spool_member(self, name: str, data: bytes | bytearray) -> _Member:
        deflated = deflate_member(name, data)
        member = _Member(self._spooled, deflated.size, len(deflated.stream), deflated.crc, deflated.sha256)
        self._spool_bytes(deflated.stream)
        return member

    def _spool_bytes(self, deflated: bytes | memoryview) -> None:
        self._spool.write(deflated)
        self._spooled += len(deflated)

    def _info(self, name: str, size: int, compressed: int, crc: int) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self.date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.create_system = 3  # unix, so the permissions below mean the same everywhere
        info.external_attr = (0o100644 & 0xFFFF) << 16
        info.file_size, info.compress_size, info.CRC = size, compressed, crc
        return info

    def __contains__(self, name: str) -> bool:
        return name.casefold() in self._folded

    def deflated(self, name: str) -> Deflated:
        """The member `name` as added, read back from the temporary file: what `add_deflated`
        takes to add it to another archive (a member made from immutable inputs, kept)."""
        member = self._members[name]
        self._spool.seek(member.offset)
        stream = self._spool.read(member.compressed)
        self._spool.seek(self._spooled)  # members are appended at the end
        if len(stream) != member.compressed:
            raise OSError(f"the archive's temporary file ended early at {name}")
        return Deflated(name, member.size, member.crc, member.sha256, stream)

    @property
    def names(self) -> list[str]:
        return sorted(self._members)

    def close(self) -> None:
        self._spool.close()

    def write(self, handle: BinaryIO) -> dict[str, str]:
        """Write the archive; returns {member: sha256 hex} as listed in the manifest."""
        hashes = {name: member.sha256 for name, member in self._members.items()}
        manifest = manifest_text(hashes.items()).encode("ascii")
        self.manifest_digest = sha256_hex(manifest)
        self._members[MANIFEST] = self._spool_member(MANIFEST, manifest)
        try:
            self._write_zip(handle)
        finally:
            del self._members[MANIFEST]
            self.close()
        return hashes

    def _write_zip(self, handle: BinaryIO) -> None:
        position = handle.tell()  # offsets are from the start of the file, as zipfile writes them
        # The central directory is laid out as each member is written: its bytes (about 100 per
        # member), not every member's ZipInfo, are held until the members are all out.
        directory = bytearray()
        count = 0
        for name in sorted(self._members):
            member = self._members[name]
            info = self._info(name, member.size, member.compressed, member.crc)
            info.header_offset = position
            # zipfile decides zip64 for a local header from the size before compressing.
            header = info.FileHeader(info.file_size * 1.05 > _ZIP64_LIMIT)
            handle.write(header)
            self._spool.seek(member.offset)
            left = info.compress_size
            while left:
                chunk = self._spool.read(min(left, _COPY_CHUNK))
                if not chunk:
                    raise OSError(f"the archive's temporary file ended early at {name}")
                handle.write(chunk)
                left -= len(chunk)
            position += len(header) + info.compress_size
            directory += self._central_entry(info)
            count += 1
        handle.write(directory)
        self._write_end(handle, count, position, len(directory), position + len(directory))

    @staticmethod
    def _central_entry(info: zipfile.ZipInfo) -> bytes:
        year, month, day, hour, minute, second = info.date_time
        dosdate = (year - 1980) << 9 | month << 5 | day
        dostime = hour << 11 | minute << 5 | (second // 2)
        extra: list[int] = []
        file_size, compress_size, offset = info.file_size, info.compress_size, info.header_offset
        if file_size > _ZIP64_LIMIT or compress_size > _ZIP64_LIMIT:
            extra += [file_size, compress_size]
            file_size = compress_size = 0xFFFFFFFF
        if offset > _ZIP64_LIMIT:
            extra.append(offset)
            offset = 0xFFFFFFFF
        extra_data, min_version = b"", 0
        if extra:
            extra_data = struct.pack("<HH" + "Q" * len(extra), 1, 8 * len(extra), *extra)
            min_version = _ZIP64_VERSION
        filename = info.filename.encode("ascii")  # member_problem admits ASCII names only
        entry = _CENTRAL.pack(
            b"PK\x01\x02", max(min_version, info.create_version), info.create_system, max(min_version, info.extract_version),
            info.reserved, info.flag_bits, info.compress_type, dostime, dosdate, info.CRC, compress_size, file_size,
            len(filename), len(extra_data), 0, 0, info.internal_attr, info.external_attr, offset,
        )
        return entry + filename + extra_data

    @staticmethod
    def _write_end(handle: BinaryIO, count: int, offset: int, size: int, end: int) -> None:
        if count > _COUNT_LIMIT or offset > _ZIP64_LIMIT or size > _ZIP64_LIMIT:
            handle.write(_END64.pack(b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, size, offset))
            handle.write(_END64_LOCATOR.pack(b"PK\x06\x07", 0, end, 1))
            count, size, offset = min(count, 0xFFFF), min(size, 0xFFFFFFFF), min(offset, 0xFFFFFFFF)
        handle.write(_END.pack(b"PK\x05\x06", 0, 0, count, count, size, offset, 0))
