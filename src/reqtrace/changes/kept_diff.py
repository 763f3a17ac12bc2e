"""`reqtrace diff`'s whole answer, kept for the exact inputs it was computed from.

A warm `diff` from the accepted baseline to the working tree spent most of its
time finding the same answer again: choosing the accepted baseline (every
manifest hashed), `git diff` from the baseline, ~1,000 parsed files read back
one by one, the comparison and the searches for requests and children. Its
inputs are few and can be named exactly:

- each end given as a commit: that commit (revision names are resolved first,
  so a moved branch or tag is another key), and the name shown for it;
- the working tree, or FROM left to its default (the accepted baseline, chosen
  from the working tree's baselines folder and the tags): the spec files' state
  of core/worktree_state.py — HEAD, the content hash of every spec, record and
  baseline file that differs from it (untracked and ignored ones too), the
  baseline tags;
- today's date (a request approved after TO's date does not cover a change),
  the white-space mode, and the code (the store's stamp).

The answer for those is kept in the store (core/cachestore.py, kind `diff`) as
plain JSON, every value tagged with its type and every object named from a
fixed list of reqtrace's own result classes, so that reading it back gives the
same DiffResult, or nothing: an entry of another shape is no entry, and the
diff is computed the plain way. REQTRACE_NO_CACHE=1 turns it off.
"""

from __future__ import annotations

import json
import os
from dataclasses import fields, is_dataclass
from typing import Any

from reqtrace.changes.diff import (
    Change,
    DiffResult,
    Duplicate,
    FieldChange,
    RequestRef,
    Side,
    Unreadable,
    default_from,
    diff_revisions,
    resolve_sides,
)
from reqtrace.changes.structure_diff import DocumentChange, Move
from reqtrace.changes.suspect import SuspectLink
from reqtrace.changes.textdiff import Hunk, Piece
from reqtrace.core import cachestore
from reqtrace.core.config import CONFIG_FILE, SpecRepo, parse_config
from reqtrace.core.model import Finding, Requirement
from reqtrace.core.parse_cache import ParseCache
from reqtrace.core.snapshot import WORKTREE
from reqtrace.core.worktree_state import current_state
from reqtrace.io import clock

KIND = "diff"
FORMAT = 1  # of the encoding below; in the content id

# Every class a DiffResult is made of, by name: nothing else is built from an entry.
_CLASSES: dict[str, type] = {
    cls.__name__: cls
    for cls in (DiffResult, Side, Change, FieldChange, RequestRef, Unreadable, Duplicate, Finding, Requirement, Move, DocumentChange, SuspectLink, Hunk, Piece)
}
_FIELDS: dict[type, tuple[str, ...]] = {cls: tuple(f.name for f in fields(cls)) for cls in _CLASSES.values()}


_PLAIN = (str, bool, int, float)  # exactly these: a subclass (an enum) would come back as its base


class _NotKeepable(Exception):
    """A value the encoding has no tag for (a date in an `x-` field, say): the answer is not kept."""


def _encode(value: Any) -> Any:
    # Text, numbers, booleans and None are themselves; every container is a list whose
    # first element says what it was, so that a tuple comes back a tuple.
    if value is None or type(value) in _PLAIN:
        return value
    if type(value) is tuple:
        return ["t", *(_encode(item) for item in value)]
    if type(value) is list:
        return ["l", *(_encode(item) for item in value)]
    if type(value) is dict:
        return ["d", *([_encode(key), _encode(item)] for key, item in value.items())]
    cls = type(value)
    if is_dataclass(value) and _CLASSES.get(cls.__name__) is cls:
        return ["c", cls.__name__, *(_encode(getattr(value, name)) for name in _FIELDS[cls])]
    raise _NotKeepable(cls.__name__)


def _decode(value: Any) -> Any:
    """The value `_encode` was given; ValueError (or KeyError, TypeError) for anything else."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if not isinstance(value, list) or not value:
        raise ValueError("not an encoded value")
    tag = value[0]
    if tag == "t":
        return tuple(_decode(item) for item in value[1:])
    if tag == "l":
        return [_decode(item) for item in value[1:]]
    if tag == "d":
        pairs = [(_decode(key), _decode(item)) for key, item in value[1:]]
        return dict(pairs)
    if tag == "c":
        cls = _CLASSES[value[1]]
        if len(value) - 2 != len(_FIELDS[cls]):
            raise ValueError(f"{value[1]} with another number of fields")
        return cls(*(_decode(item) for item in value[2:]))
    raise ValueError(f"unknown tag {tag!r}")


def _result_of(plain: Any) -> DiffResult | None:
    try:
        result = _decode(plain)
    except (ValueError, KeyError, TypeError):
        return None
    return result if isinstance(result, DiffResult) else None


def _content_id(repo: SpecRepo, from_rev: str | None, to_rev: str, whitespace: str) -> tuple[str | None, tuple[str, list[str]] | None]:
    """What the answer is computed from, as text (the module's docstring), None when it
    cannot be named (outside git, no commit yet, very many uncommitted files); and, when
    the working tree's state was read, HEAD and the files that differ from it."""
    assert repo.git_top is not None
    ends: list[Any] = []
    for rev in (from_rev, to_rev):
        if rev is None or rev == WORKTREE:
            ends.append(rev)
        else:
            ((side, _config),) = resolve_sides(repo, [(rev, rev)])
            ends.append(["commit", side.commit, rev])
    state: Any = None
    differing = None
    if from_rev is None or WORKTREE in (from_rev, to_rev):
        try:
            config, _ = parse_config((repo.root / CONFIG_FILE).read_bytes())
        except OSError:
            return None, None
        found = current_state(repo, config, None)
        if found is None:
            return None, None
        state, differing = list(found.plain()), (found.commit, sorted(found.changes))
    return json.dumps([FORMAT, str(repo.root), repo.prefix, ends, state, whitespace, clock.today().isoformat()], sort_keys=True), differing


def kept_diff(repo: SpecRepo, from_rev: str | None, to_rev: str = WORKTREE, *, cache: ParseCache, whitespace: str) -> DiffResult:
    """`diff_revisions` from `from_rev` (None: the accepted baseline, else HEAD) to `to_rev`,
    with details, as `reqtrace diff` shows it: the kept answer when there is one for
    exactly these inputs, else computed (parses through `cache`) and kept."""
    content = differing = None
    if repo.git_top is not None and os.environ.get("REQTRACE_NO_CACHE") is None:
        content, differing = _content_id(repo, from_rev, to_rev, whitespace)
    if content is not None:
        kept = cachestore.load(repo.git_top, KIND, content, _result_of)
        if kept is not None:
            return kept
    if from_rev is None:
        shown, from_rev = default_from(repo)
    else:
        shown = from_rev
    result = diff_revisions(repo, from_rev, to_rev, from_shown=shown, cache=cache, whitespace=whitespace, differing=differing)
    if content is not None:
        try:
            plain = _encode(result)
        except _NotKeepable:
            return result
        cachestore.store(repo.git_top, KIND, content, plain)
    return result
