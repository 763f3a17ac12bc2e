"""Results derived from content that never changes, kept under `.git/reqtrace/derived/`.

What changed between two commits depends only on the two commits; a
requirement's log up to a commit only on that commit; a request's triage
against a baseline only on the request's text and the baseline's requirements.
`status`, `trace` and `pack build` ask for these on every run, and at 10,000
requirements they cost most of the run, so they are computed once and kept
here. (What belongs to a baseline itself — its manifest, its digests — is in
the baseline store, baseline_cache.py, under the same rules.)

Each entry is one sealed JSON file (cachefile.py): its name is a hash of the
kind of result, its content id (the bytes or commit ids it was computed from)
and the code stamp; the seal's hash covers the payload and the same stamp.
An entry that is missing, damaged, written by other code or planted as a link
or a FIFO is no entry: the caller computes the plain answer (and writes it
back). JSON only, so a planted file can hold nothing but plain data.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from . import __version__
from .cachefile import note, read_regular, seal, unseal
from .files import atomic_write
from .gitio import git_common_dir

FORMAT = 1
# The modules whose code decides what is derived and kept here: an edit to any
# of them (even without a new version number) makes every entry a miss.
DERIVING_MODULES = (
    "derived_cache.py", "baseline.py", "yamlio.py", "schema.py", "parse.py", "model.py", "diff.py", "digest.py", "snapshot.py",
    "config.py", "gitio.py", "history.py", "trace.py", "status.py", "pack.py",
)


@functools.cache
def code_stamp() -> str:
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256(f"{FORMAT}\x00{__version__}".encode())
    try:
        for name in DERIVING_MODULES:
            digest.update((here / name).read_bytes())
        for schema in sorted((here / "schemas").glob("*.json")):
            digest.update(schema.read_bytes())
    except OSError:
        pass  # installed without sources (a zip): the version alone
    return f"derived {digest.hexdigest()[:16]}"


@functools.cache
def _folder(git_top: Path) -> Path | None:
    dot_git = git_top / ".git"
    common = dot_git if dot_git.is_dir() else git_common_dir(git_top)
    return common / "reqtrace" / "derived" if common is not None else None


def _entry(git_top: Path, kind: str, content_id: str) -> Path | None:
    folder = _folder(git_top)
    if folder is None:
        return None
    name = hashlib.sha256(f"{kind}\x00{content_id}\x00{code_stamp()}".encode("utf-8", "surrogateescape")).hexdigest()
    return folder / kind / name


def load(git_top: Path | None, kind: str, content_id: str) -> Any | None:
    """The plain data kept for (`kind`, `content_id`), or None (absent, damaged, foreign)."""
    if git_top is None:
        return None
    path = _entry(git_top, kind, content_id)
    if path is None:
        return None
    raw = read_regular(path)
    if raw is None:
        return None
    payload = unseal(raw, f"{code_stamp()}\x00{kind}\x00{content_id}")
    if payload is None:
        note(path, "its hash does not match (damaged, or written by other code)")
        return None
    try:
        return json.loads(payload)
    except ValueError:
        note(path, "not JSON")
        return None


def store(git_top: Path | None, kind: str, content_id: str, data: Any) -> None:
    """Keep `data` (JSON-able) for (`kind`, `content_id`); a failure to write is no error."""
    if git_top is None:
        return
    path = _entry(git_top, kind, content_id)
    if path is None:
        return
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogateescape")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, seal(f"{code_stamp()}\x00{kind}\x00{content_id}", payload), durable=False)
    except OSError as problem:
        note(path, f"not written: {problem}")


def content_id(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
