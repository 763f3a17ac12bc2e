"""The originals' members kept by blob id (pack/kept_members.py) give the pack the plain build
gives (REQTRACE_NO_CACHE=1): kept, partly kept after a commit, and with a damaged entry; a
second build reads from git only the files a pack needs the text of; the pack verifies. And
the archive: a member deflated before is the member added; a streamed member that fails
leaves no worker thread behind."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import subprocess
import threading
import zipfile
import zlib

import pytest

from conftest import demo_edited_after_delivery
from reqtrace.core.config import find_spec_repo
from reqtrace.io.archive import DeterministicZip, deflate_member
from reqtrace.pack import kept_members
from reqtrace.pack.build import build_pack
from reqtrace.pack.contents import Originals
from reqtrace.pack.verify import verify_pack

BASELINE = "delivery-v1.0"


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_build, build_env):
    """The demo with REQ-5 edited after the accepted baseline (the two sides differ), no kept results."""
    target = demo_edited_after_delivery(demo_build, tmp_path_factory.mktemp("kept-members") / "demo", "Edited after delivery.")
    shutil.rmtree(target / ".git" / "reqtrace", ignore_errors=True)
    return target


def _build(root, out, monkeypatch, *, plain=False):
    with monkeypatch.context() as patch:
        if plain:
            patch.setenv("REQTRACE_NO_CACHE", "1")
        build_pack(find_spec_repo(start=root), BASELINE, out, to_rev="HEAD")
    return out.read_bytes()


def _entries(root):
    folder = root / ".git" / "reqtrace" / kept_members.KIND
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_kept_members_give_the_plain_pack(demo, tmp_path, monkeypatch):
    plain = _build(demo, tmp_path / "plain.zip", monkeypatch, plain=True)
    assert _entries(demo) == []  # nothing kept without the store
    first = _build(demo, tmp_path / "first.zip", monkeypatch)
    entries = _entries(demo)
    assert first == plain and len(entries) >= 4  # a folder each: spec folders on both sides, the record folders
    with zipfile.ZipFile(io.BytesIO(first)) as archive:  # the demo's mail with an attachment: kept with its message
        assert any(name.startswith("data/records/attachments/") for name in archive.namelist())

    asked: list[str] = []
    plain_read = Originals.read

    def read(self, paths):
        paths = list(paths)
        asked.extend(paths)
        return plain_read(self, paths)

    monkeypatch.setattr(Originals, "read", read)
    second = _build(demo, tmp_path / "second.zip", monkeypatch)
    assert second == plain
    # Only what the pack shows the text of is read: the baselines' files (and test records, none here).
    assert asked and all(path.startswith("baselines/") for path in asked), sorted(set(asked))
    assert verify_pack(tmp_path / "second.zip", demo / ".reqtrace" / "allowed_signers").ok

    # New records: their folders are laid out again, every other folder is kept.
    requests = demo / "records" / "requests"
    (requests / "RQ-900.yaml").write_text((requests / "RQ-1.yaml").read_text(encoding="utf-8").replace("id: RQ-1\n", "id: RQ-900\n", 1), encoding="utf-8")
    (requests / ".gitkeep").write_bytes(b" \n")  # keeps a folder, records nothing: no member
    (demo / "records" / "meetings" / ".keep").write_bytes(b"not empty: a record like any other\n")
    subprocess.run(["git", "add", "-A"], cwd=demo, check=True, capture_output=True)
    subprocess.run(["git", "commit", "-qm", "a new request"], cwd=demo, check=True, capture_output=True)
    asked.clear()
    third = _build(demo, tmp_path / "third.zip", monkeypatch)
    assert {path.rpartition("/")[0] for path in asked if not path.startswith("baselines/")} == {"records/requests", "records/meetings"}
    assert "records/requests/RQ-900.yaml" in asked
    assert third == _build(demo, tmp_path / "third-plain.zip", monkeypatch, plain=True) != plain
    with zipfile.ZipFile(tmp_path / "third.zip") as archive:
        paths = {origin["path"] for origin in json.loads(archive.read("data/files.json"))["files"].values()}
    assert "records/requests/RQ-900.yaml" in paths and "records/meetings/.keep" in paths and "records/requests/.gitkeep" not in paths

    # A damaged entry is no entry: laid out the plain way, same pack.
    for entry in _entries(demo):
        data = bytearray(entry.read_bytes())
        data[len(data) // 2] ^= 0xFF
        entry.write_bytes(bytes(data))
    assert _build(demo, tmp_path / "fourth.zip", monkeypatch) == third


def test_a_member_deflated_before_is_the_member_added():
    moment = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    members = {"a/one.yaml": b"id: REQ-1\n" * 50, "b/two.eml": "预约 ".encode() * 999, "c/empty": b""}
    added, deflated = DeterministicZip(moment), DeterministicZip(moment)
    for name, data in members.items():
        added.add(name, data)
        deflated.add_deflated(deflate_member(name, data))
    one, other = io.BytesIO(), io.BytesIO()
    added.write(one)
    deflated.write(other)
    assert one.getvalue() == other.getvalue()


def test_a_stream_that_fails_raises_and_leaves_no_thread_behind():
    archive = DeterministicZip(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    threads = threading.active_count()

    def pieces():
        for _ in range(20):  # more than the worker may have waiting
            yield b"x" * 100_000
        raise RuntimeError("the page failed half-way")

    with pytest.raises(RuntimeError, match="half-way"):
        archive.add_stream("index.html", pieces())
    assert "index.html" not in archive.names and threading.active_count() == threads
    archive.close()


def test_a_file_added_to_a_large_folder_lays_out_only_its_group_again(demo):
    git_top = find_spec_repo(start=demo).git_top
    contents = {f"records/emails/MAIL-{n:04d}.eml": f"Subject: mail {n}\r\n\r\nbody {n}\r\n".encode() for n in range(0, 2000, 2)}
    asked: list[str] = []

    def read(paths):
        asked.extend(paths)
        return {path: contents[path] for path in paths}

    def laid(files):
        return kept_members.laid_out_files(git_top, "data/records/files", [(path, f"{zlib.crc32(contents[path]):08x}{path}") for path in files],
                                           read, attachments=True)

    first = laid(sorted(contents))
    assert len(asked) == len(contents)  # nothing kept yet: all read
    contents["records/emails/MAIL-0301.eml"] = b"Subject: a new one\r\n\r\nbody\r\n"
    asked.clear()
    second = laid(sorted(contents))
    # One group read again: the run of files around the new one, between two cuts.
    in_order = sorted(contents)
    start, end = in_order.index(asked[0]), in_order.index(asked[-1])
    assert asked == in_order[start:end + 1] and "records/emails/MAIL-0301.eml" in asked and len(asked) < len(contents) // 4
    assert (start == 0 or kept_members._cut_after(in_order[start - 1])) and (end == len(in_order) - 1 or kept_members._cut_after(asked[-1]))
    plain = {path: kept_members.lay_out_file("data/records/files", path, data, True) for path, data in contents.items()}
    assert second == plain and all(first[path] == plain[path] for path in first)
