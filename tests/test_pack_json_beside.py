"""The pack's data documents made by a forked child while index.html is rendered (pack/build.py
`_documents_added`, io/fork_map.py `fork_into`) give the pack the plain build gives, byte for
byte: made here (one core), made by the child, and when the child fails or sends too little.
A render that fails leaves no child behind. One cyclic collection per build. And the frames
the child sends them in."""

from __future__ import annotations

import gc
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import demo_edited_after_delivery
from reqtrace.core.config import find_spec_repo
from reqtrace.io import archive, fork_map
from reqtrace.io.archive import (
    DeflatedFrames,
    deflate_member,
    deflated_members,
    write_deflated_frame,
)
from reqtrace.pack import build
from reqtrace.pack.contents import BASE_JSON, TO_JSON, Layout
from reqtrace.pack.verify import verify_pack

BASELINE = "delivery-v1.0"
FORKS = sys.platform == "linux"


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_build, build_env):
    """The demo with REQ-5 edited after the accepted baseline: the two requirements documents differ."""
    target = demo_edited_after_delivery(demo_build, tmp_path_factory.mktemp("json-beside") / "demo", "Edited after delivery.")
    shutil.rmtree(target / ".git" / "reqtrace", ignore_errors=True)
    return target


@pytest.fixture
def streamed(monkeypatch):
    """The names of the members this process streamed (the data documents, when made here)."""
    names: list[str] = []
    plain = Layout.add_stream

    def add_stream(self, name, chunks):
        names.append(name)
        return plain(self, name, chunks)

    monkeypatch.setattr(Layout, "add_stream", add_stream)
    return names


def _build(root: Path, out: Path, monkeypatch, *, jobs: str) -> bytes:
    # Each build makes both requirements documents: none kept from the build before (pack/kept_documents.py).
    shutil.rmtree(root / ".git" / "reqtrace" / "pack-documents", ignore_errors=True)
    with monkeypatch.context() as patch:
        patch.setenv("REQTRACE_JOBS", jobs)
        patch.setattr(fork_map, "MIN_ITEMS", 1)  # the demo is small: fork for it as for 10,000
        build.build_pack(find_spec_repo(start=root), BASELINE, out, to_rev="HEAD")
    return out.read_bytes()


def _children() -> set[str]:
    found: set[str] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        found.update((task / "children").read_text().split())
    return found


def _cut_short(out, name, chunks):
    """A frame written, then its last byte lost."""
    archive.write_deflated_frame(out, name, chunks)
    out.seek(-1, os.SEEK_END)
    out.truncate()


def test_documents_made_by_a_child_give_the_pack_made_here(demo, tmp_path, monkeypatch, streamed):
    here = _build(demo, tmp_path / "here.zip", monkeypatch, jobs="1")
    assert {BASE_JSON, TO_JSON} <= set(streamed)  # one core: made and streamed here
    streamed.clear()
    collections: list[tuple[int, ...]] = []
    plain_collect = gc.collect
    with monkeypatch.context() as patch:
        patch.setattr(gc, "collect", lambda *generation: collections.append(generation) or plain_collect(*generation))
        beside = _build(demo, tmp_path / "beside.zip", monkeypatch, jobs="2")
    assert beside == here
    assert len(collections) == 1  # after the page (its cycles), not after gathering (none: a walk for nothing)
    if FORKS:
        assert BASE_JSON not in streamed and TO_JSON not in streamed  # the child made them
    assert verify_pack(tmp_path / "beside.zip", demo / ".reqtrace" / "allowed_signers").ok

    # A child that fails, or sends its members cut short, or too few: made here, the same pack.
    streamed.clear()
    with monkeypatch.context() as patch:
        patch.setattr(build, "write_deflated_frame", lambda out, name, chunks: 1 / 0)  # raises in the child only
        assert _build(demo, tmp_path / "failed.zip", monkeypatch, jobs="2") == here
    assert {BASE_JSON, TO_JSON} <= set(streamed)
    with monkeypatch.context() as patch:
        patch.setattr(build, "write_deflated_frame", _cut_short)
        assert _build(demo, tmp_path / "cut.zip", monkeypatch, jobs="2") == here
    with monkeypatch.context() as patch:
        patch.setattr(build, "write_deflated_frame", lambda out, name, chunks: None if name == TO_JSON else archive.write_deflated_frame(out, name, chunks))
        assert _build(demo, tmp_path / "fewer.zip", monkeypatch, jobs="2") == here

    # A page that fails to render: the error is the caller's, and the child is waited for.
    def broken(contents, layout):
        yield b"<!doctype html>"
        raise RuntimeError("the page broke")

    before = _children() if FORKS else set()
    with monkeypatch.context() as patch:
        patch.setattr(build, "render_pack_page", broken)
        with pytest.raises(RuntimeError, match="the page broke"):
            _build(demo, tmp_path / "broken.zip", monkeypatch, jobs="2")
    assert not (tmp_path / "broken.zip").exists()
    if FORKS:
        assert _children() <= before


def test_frames_give_back_the_members_deflated():
    pieces = [b"{\n", "预约 ".encode() * 3000, b"", b"x" * 70_000, b"\n}\n"]
    joined = b"".join(pieces)
    # Each member as deflating its pieces joined gives it (the plain computation).
    members = [deflate_member("data/a.json", joined), deflate_member("data/b.json", joined), deflate_member("data/empty.json", b"")]
    # Written piece by piece as deflated, the head filled in last, after what the file held.
    with tempfile.TemporaryFile() as written:
        written.write(b"before")
        for name, some in (("data/a.json", pieces), ("data/b.json", [joined]), ("data/empty.json", [])):
            write_deflated_frame(written, name, iter(some))
        written.seek(0)
        assert written.read(6) == b"before"
        payload = written.read()
    back = deflated_members(payload)
    assert [(m.name, m.size, m.crc, m.sha256, bytes(m.stream)) for m in back] == [
        (m.name, m.size, m.crc, m.sha256, bytes(m.stream)) for m in members
    ]
    assert deflated_members(b"") == []
    for cut in (1, 20, len(payload) - 1):
        with pytest.raises(ValueError, match="cut short"):
            deflated_members(payload[:cut])

    # From the child's file, as the build reads them: names first, each stream when reached.
    with tempfile.TemporaryFile() as spool:
        spool.write(payload)
        frames = DeflatedFrames(spool)
        assert frames.names == ("data/a.json", "data/b.json", "data/empty.json")
        assert [(m.name, m.size, m.crc, m.sha256, m.stream) for m in frames] == [
            (m.name, m.size, m.crc, m.sha256, bytes(m.stream)) for m in members
        ]
        spool.truncate(len(payload) - 1)
        with pytest.raises(ValueError, match="cut short"):
            DeflatedFrames(spool)
