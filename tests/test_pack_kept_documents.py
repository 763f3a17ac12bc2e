"""A side's requirements document kept by its commit (pack/kept_documents.py) gives the pack the
plain build gives, byte for byte: kept by a first build (which makes them the plain way), added
as kept by the next (neither encoded nor deflated again), made again when its entry is damaged,
and made for a pack up to the same commit named otherwise (the name is in the document)."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from conftest import demo_edited_after_delivery, git
from reqtrace.core.config import find_spec_repo
from reqtrace.pack import build
from reqtrace.pack.contents import BASE_JSON, TO_JSON
from reqtrace.pack.kept_documents import KIND

BASELINE = "delivery-v1.0"


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_build, build_env):
    """The demo with REQ-5 edited after the accepted baseline: the two requirements documents differ."""
    target = demo_edited_after_delivery(demo_build, tmp_path_factory.mktemp("kept-documents") / "demo", "Edited after delivery.")
    shutil.rmtree(target / ".git" / "reqtrace" / KIND, ignore_errors=True)
    return target


def _build(root: Path, out: Path, to_rev: str = "HEAD") -> bytes:
    build.build_pack(find_spec_repo(start=root), BASELINE, out, to_rev=to_rev)
    return out.read_bytes()


def _member(pack: Path, name: str) -> bytes:
    with zipfile.ZipFile(pack) as opened:
        return opened.read(name)


def test_kept_requirements_documents_give_the_plain_pack(demo, tmp_path, monkeypatch):
    # The first build makes both documents the plain way (none kept yet), and keeps them.
    plain = _build(demo, tmp_path / "plain.zip")
    entries = sorted((demo / ".git" / "reqtrace" / KIND).iterdir())
    assert len(entries) == 2  # one per side

    # Kept: neither side's document is made again (making one would fail), the same bytes.
    made: list[str] = []
    plain_document = build.requirements_document
    with monkeypatch.context() as patch:
        patch.setattr(build, "requirements_document", lambda *args: made.append(args[2]) or 1 / 0)
        assert _build(demo, tmp_path / "kept.zip") == plain
    assert made == []

    # The baseline's entry damaged, and the pack built up to the same commit named otherwise:
    # both documents made again, the baseline's as before, this side's for its name.
    base_entry = next(entry for entry in entries if BASE_JSON.encode() in entry.read_bytes())
    damaged = bytearray(base_entry.read_bytes())
    damaged[-1] ^= 1
    base_entry.write_bytes(bytes(damaged))
    head = git(demo, "rev-parse", "HEAD")
    with monkeypatch.context() as patch:
        patch.setattr(build, "requirements_document", lambda *args: made.append(args[2]) or plain_document(*args))
        _build(demo, tmp_path / "named.zip", to_rev=head)
    assert made == [BASELINE, head]
    assert _member(tmp_path / "named.zip", BASE_JSON) == _member(tmp_path / "plain.zip", BASE_JSON)
    named_to = _member(tmp_path / "plain.zip", TO_JSON).replace(b'"ref": "HEAD"', b'"ref": "' + head.encode() + b'"', 1)
    assert _member(tmp_path / "named.zip", TO_JSON) == named_to
