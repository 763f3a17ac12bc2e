"""Results computed from content that never changes, kept under `.git/reqtrace/<kind>/`.

A commit id names its files forever and a sha256 names its bytes, so what is
computed from them alone is computed once and kept: every requirement's digest
at a baseline's commit and a parsed manifest (`check`, `baseline verify`,
`baseline sign`), the approvals between two commits (`status`), a requirement's
text changes up to a commit (`trace`), a request's triage against a baseline's
requirements (`pack build`). At 10,000 requirements these cost most of a run.
The built evidence graph (graph/cache.py) is kept here too, in the same place,
under the same key scheme and stamp: a binary entry of sealed sections. So are
parsed files (parse_cache.py, kind `parse`), named and removed by this scheme
under a stamp of their own (`parse_cache.parse_stamp`, narrower: see there).

One scheme for every kind of result:

- An entry is asked for by its kind (a short name, also its folder) and its
  content id (the commit ids or bytes' hashes it was computed from). It is one
  file, `.git/reqtrace/<kind>/<stamp>-<sha256 of kind and content id>.json`,
  where `<stamp>` fingerprints the code that computes what is kept (reqtrace's
  version, the modules in CODE_MODULES, the schemas). Edited code reads other
  names, so an old entry is never read.
- The file is sealed JSON (io/cachefile.py): the seal's hash covers the payload,
  the stamp, the kind and the content id, so a damaged file, or another entry's
  file put in its place, does not verify. It is opened only when it is a
  regular file (a link or a FIFO planted there is no entry). A binary entry
  (`load_sections`, `store_sections`: `<...>.bin`) is sealed the same way, one
  hash per section, its sections plain data that the caller decodes.
- The caller says what shape it expects (`read`): a payload that does not fit
  is no entry either. A result too large for JSON to stay fast (the triage
  index of a baseline) is kept as sealed bytes in its own format instead
  (`load_bytes`, `store_bytes`; its reader checks the shape), under the same
  names with the suffix `.idx`. Whatever is no entry is computed the plain way by the
  caller and written anew — a hint, never evidence, never a crash.
- Entries written by other code are removed when this code writes an entry of
  the same kind, a bounded number per write, so the folders do not keep every
  stamp a developer's edits ever produced.

Every folder here is safe to delete. The hash catches accidents, not attacks:
whoever can write `.git/` can also write the spec files themselves.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from reqtrace import __version__
from reqtrace.core.model import Finding
from reqtrace.io.cachefile import Sealed, note, read_regular, seal, unseal
from reqtrace.io.files import atomic_write
from reqtrace.io.gitio import git_common_dir

T = TypeVar("T")

FORMAT = 1
# The modules that turn bytes into items: the parse cache's stamp covers these only.
# core/digest.py: the parse pack holds the digests computed beside the parses.
PARSER_MODULES = ("core/parse.py", "core/model.py", "io/yamlio.py", "core/schema.py", "core/parse_cache.py", "core/id_pattern.py", "core/digest.py")
# The modules whose code decides what is computed and kept here: an edit to any of
# them (even without a new version number, as while developing) changes the stamp.
CODE_MODULES = (
    *PARSER_MODULES,
    "core/cachestore.py", "baselines/baseline.py", "baselines/verify.py", "core/snapshot.py", "core/config.py", "io/gitio.py",
    "changes/diff.py", "changes/kept_diff.py", "changes/structure_diff.py", "changes/suspect.py", "changes/textdiff.py", "changes/worddiff.py", "core/structure.py",
    "changes/id_search.py", "changes/diff_key.py", "changes/sides.py", "changes/history.py", "graph/trace.py", "graph/status.py", "pack/build.py", "baselines/signoff.py", "baselines/signed_statement.py", "io/sshsig.py",
    "io/cachefile.py", "core/worktree_state.py", "graph/graph.py", "graph/cache.py", "graph/status_facts.py", "graph/patch.py", "checks/check.py",
    "records/testevidence.py", "records/testevidence_repo.py",
)
# A kind is a folder name beside the other caches; this name is theirs.
_KIND = re.compile(r"[a-z][a-z0-9-]{0,39}")
# "parse" is the parse cache's kind (parse_cache.py: its own stamp); "cache" was its folder before.
_OTHER_CACHES = frozenset({"cache", "parse"})
_SUFFIXES = (".json", ".bin", ".idx")  # JSON payloads; sealed sections (.bin); sealed bytes in a format of the caller (.idx)
_ENTRY_NAME = re.compile(r"[0-9a-f]{16}-[0-9a-f]{64}\.(?:json|bin|idx)")
# Triage indexes as triage kept them before this store held them (COMMIT-KEY[-CODE.in-order].idx):
# written by other code too, and removed the same way.
_OLD_INDEX_NAME = re.compile(r"[0-9a-f]{40,64}-[0-9a-f]{12}(?:-[0-9a-f]{12}\.in-order)?\.idx")
# At most this many foreign entries are removed per write, so that the write after an
# upgrade never pays for thousands of old entries at once. Once a listing finds
# none left, the folder is not listed again in this process.
REMOVED_PER_WRITE = 256

_clean: set[tuple[Path, str]] = set()  # (kind folder, stamp) with no foreign entry left, in this process


@functools.cache
def code_fingerprint(modules: tuple[str, ...]) -> str:
    """reqtrace's version plus a hash of the code (`modules`, paths in the package) and schemas.

    In every stamp, so that changed code (even without a new version number, as
    while developing) never reads an entry older code wrote.
    """
    here = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(__version__.encode())
    try:
        for name in modules:
            digest.update((here / name).read_bytes())
        for schema in sorted((here / "schemas").glob("*.json")):
            digest.update(schema.read_bytes())
    except OSError:
        pass  # installed without sources (a zip): the version alone
    return digest.hexdigest()[:16]


@functools.cache
def code_stamp() -> str:
    # The fingerprint (version, these modules' code, the schemas), with this store's format.
    return hashlib.sha256(f"{FORMAT}\x00{code_fingerprint(CODE_MODULES)}".encode()).hexdigest()[:16]


def nothing_kept() -> bool:
    """Whether REQTRACE_NO_CACHE is set: every result is computed the plain way, none is read
    from `.git/reqtrace/` and none is written there (the folder is not even made)."""
    return os.environ.get("REQTRACE_NO_CACHE") is not None


def cache_root(git_top: Path) -> Path | None:
    """`.git/reqtrace/` of the repository at `git_top` (shared by linked worktrees); None
    outside git, and with REQTRACE_NO_CACHE (`nothing_kept`)."""
    return None if nothing_kept() else _cache_root(git_top)


@functools.lru_cache(maxsize=16)
def _cache_root(git_top: Path) -> Path | None:
    # Asked several times per command; in a linked worktree finding it runs git.
    common = git_common_dir(git_top)
    return common / "reqtrace" if common is not None else None


def entry_name(kind: str, content_id: str, suffix: str = ".json", stamp: str | None = None) -> str:
    """The file name of (`kind`, `content_id`) in its kind's folder: `<stamp>-<sha256>.<suffix>`,
    `stamp` this store's code stamp unless a kind keeps its own (the parse cache)."""
    if suffix not in _SUFFIXES:
        raise ValueError(f"not a suffix of kept results: {suffix!r}")
    name = hashlib.sha256(f"{kind}\x00{content_id}".encode("utf-8", "surrogateescape")).hexdigest()
    return f"{stamp or code_stamp()}-{name}{suffix}"


def entry_path(git_top: Path | None, kind: str, content_id: str, suffix: str = ".json") -> Path | None:
    """The file of (`kind`, `content_id`) written by this code (`suffix`: .json, .bin for
    sections, .idx for sealed bytes); None outside git."""
    if not _KIND.fullmatch(kind) or kind in _OTHER_CACHES:
        raise ValueError(f"not a kind of kept result: {kind!r}")
    name = entry_name(kind, content_id, suffix)
    top = cache_root(git_top) if git_top is not None else None
    return top / kind / name if top is not None else None


def seal_stamp(kind: str, content_id: str) -> str:
    """What an entry's seal covers besides its payload: the code stamp, the kind, the content id."""
    return f"{code_stamp()}\x00{kind}\x00{content_id}"


def answers_kept() -> bool:
    """Whether a command may answer from its whole answer kept (`trace`, `impact`, `status`,
    `diff`): not with REQTRACE_NO_CACHE (nothing kept at all), nor with
    REQTRACE_NO_KEPT_ANSWERS, which keeps every other result — so that what an answer is
    computed from (the evidence graph, its patches, the kept inputs) is still read and
    can be tested through the command."""
    return os.environ.get("REQTRACE_NO_CACHE") is None and os.environ.get("REQTRACE_NO_KEPT_ANSWERS") is None


def _plain(value: Any) -> Any:
    return value


def load(git_top: Path | None, kind: str, content_id: str, read: Callable[[Any], T | None] = _plain) -> T | None:
    """What is kept for (`kind`, `content_id`), turned into a value by `read` (None when
    the payload is not of the shape it expects); None when there is no usable entry."""
    found = load_text(git_top, kind, content_id, read)
    return None if found is None else found[0]


def load_text(git_top: Path | None, kind: str, content_id: str, read: Callable[[Any], T | None]) -> tuple[T, str] | None:
    """`load`, with the entry's JSON text as it was kept (`store_text`): a command that keeps
    its answer as it writes it can write that text again without building it."""
    found = _unsealed(git_top, kind, content_id, ".json")
    if found is None:
        return None
    path, payload = found
    try:
        text = payload.decode("utf-8")
        plain = json.loads(text)
    except ValueError:
        note(path, "not JSON")
        return None
    value = read(plain)
    if value is None:
        note(path, "not of the expected shape")
        return None
    return value, text


def store_text(git_top: Path | None, kind: str, content_id: str, text: str) -> None:
    """Keep `text`, which is JSON (as a command writes its answer), for (`kind`, `content_id`):
    `load` reads its value, `load_text` the text too."""
    _write(entry_path(git_top, kind, content_id), kind, content_id, text.encode("utf-8"))


def load_bytes(git_top: Path | None, kind: str, content_id: str) -> bytes | None:
    """The sealed bytes kept for (`kind`, `content_id`) by `store_bytes`, once their seal
    verifies; None when there is no usable entry. The caller parses and checks them."""
    found = _unsealed(git_top, kind, content_id, ".idx")
    return found[1] if found is not None else None


def _unsealed(git_top: Path | None, kind: str, content_id: str, suffix: str) -> tuple[Path, bytes] | None:
    """The entry's file and its payload, once the seal verifies; None (with a note when
    the file is there but does not verify) otherwise."""
    path = entry_path(git_top, kind, content_id, suffix)
    if path is None:
        return None
    raw = read_regular(path)
    if raw is None:
        return None
    payload = unseal(raw, seal_stamp(kind, content_id))
    if payload is None:
        note(path, "does not match its hash (damaged, replaced, or written by other code)")
        return None
    return path, payload


def store_bytes(git_top: Path | None, kind: str, content_id: str, payload: bytes) -> None:
    """Keep `payload` (bytes in a format of the caller's) for (`kind`, `content_id`), sealed."""
    _write(entry_path(git_top, kind, content_id, ".idx"), kind, content_id, payload)


def store(git_top: Path | None, kind: str, content_id: str, value: Any) -> None:
    """Keep `value` (plain JSON data) for (`kind`, `content_id`); a full or read-only disk
    costs speed, never a result."""
    path = entry_path(git_top, kind, content_id)
    if path is not None:
        _write(path, kind, content_id, json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogateescape"))


def _write(path: Path | None, kind: str, content_id: str, payload: bytes) -> None:
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, seal(seal_stamp(kind, content_id), payload), durable=False)
    except OSError as problem:
        note(path, f"not written: {problem}")
        return
    remove_foreign(path.parent)


def load_sections(git_top: Path | None, kind: str, content_id: str, sections: int) -> tuple[Path, Sealed] | None:
    """The binary entry of (`kind`, `content_id`) with its table checked (each section
    is checked when taken: `Sealed.section`); None when there is no usable entry."""
    path = entry_path(git_top, kind, content_id, ".bin")
    if path is None:
        return None
    raw = read_regular(path)
    if raw is None:
        return None
    try:
        return path, Sealed(raw, seal_stamp(kind, content_id), sections)
    except ValueError as problem:
        note(path, str(problem))
        return None


def store_sections(git_top: Path | None, kind: str, content_id: str, *sections: bytes) -> None:
    """Keep a binary entry of `sections` for (`kind`, `content_id`); never fails the command."""
    path = entry_path(git_top, kind, content_id, ".bin")
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, seal(seal_stamp(kind, content_id), *sections), durable=False)
    except OSError as problem:
        note(path, f"not written: {problem}")
        return
    remove_foreign(path.parent)


def none_of_kind(git_top: Path | None, kind: str) -> bool:
    """Whether no entry of `kind` is kept at all, by any code (as in a fresh clone): then no
    content id of that kind needs working out to know that nothing is kept for it."""
    top = cache_root(git_top) if git_top is not None else None
    if top is None:
        return True
    try:
        with os.scandir(top / kind) as entries:
            return next(entries, None) is None
    except OSError:
        return True  # no folder: nothing kept


def discard(git_top: Path | None, kind: str, content_id: str) -> None:
    """Remove the entries (JSON or binary) of (`kind`, `content_id`): found wrong, or not worth keeping."""
    for suffix in _SUFFIXES:
        path = entry_path(git_top, kind, content_id, suffix)
        if path is not None:
            try:
                path.unlink(missing_ok=True)
            except OSError as problem:
                note(path, f"not removed: {problem}")


def remove_foreign(folder: Path, stamp: str | None = None) -> int:
    """Remove entries of `folder` written by other code (a stamp other than `stamp`,
    this store's code stamp by default), at most REMOVED_PER_WRITE of them; the number
    removed. Other files are left alone."""
    stamp = stamp or code_stamp()
    if (folder, stamp) in _clean:
        return 0
    removed = 0
    try:
        with os.scandir(folder) as names:
            for entry in names:
                if removed >= REMOVED_PER_WRITE:
                    return removed  # the next write goes on
                foreign = (_ENTRY_NAME.fullmatch(entry.name) and not entry.name.startswith(f"{stamp}-")) or _OLD_INDEX_NAME.fullmatch(entry.name)
                if foreign and not entry.is_dir(follow_symlinks=False):
                    try:
                        os.unlink(entry.path)
                        removed += 1
                    except OSError as problem:
                        note(entry.path, f"written by other code, not removed: {problem}")
    except OSError:
        return removed
    _clean.add((folder, stamp))
    return removed



def finding_rows(findings: list[Finding]) -> list[list[Any]]:
    """Findings as plain JSON rows, for a kept verdict."""
    return [[f.code, f.severity, f.message, f.path, f.line, f.id] for f in findings]


def findings_of(rows: Any) -> list[Finding] | None:
    """The findings `finding_rows` wrote; None when `rows` is not of that shape."""
    if not isinstance(rows, list):
        return None
    findings = []
    for row in rows:
        if not (isinstance(row, list) and len(row) == 6):
            return None
        code, severity, message, path, line, item_id = row
        if not (isinstance(code, str) and isinstance(severity, str) and isinstance(message, str)
                and isinstance(path, str | None) and (line is None or type(line) is int) and isinstance(item_id, str | None)):
            return None
        findings.append(Finding(code, severity, message, path, line, item_id))
    return findings
