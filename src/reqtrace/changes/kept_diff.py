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

The key is named by changes/diff_key.py, which also keeps the JSON answer as
`diff --format json` writes it (kind `diff-json`). The answer for those is kept
in the store (core/cachestore.py, kind `diff`) as
plain JSON, every value tagged with its type and every object named from a
fixed list of reqtrace's own result classes, so that reading it back gives the
same DiffResult, or nothing: an entry of another shape is no entry, and the
diff is computed the plain way. REQTRACE_NO_CACHE=1 turns it off, and so does
REQTRACE_NO_KEPT_ANSWERS=1 (which keeps the searches and parses it is computed from).
"""

from __future__ import annotations

import json
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
)
from reqtrace.changes.diff_key import (
    FORMAT,
    DiffKey,
    diff_key,
)
from reqtrace.changes.structure_diff import DocumentChange, Move
from reqtrace.changes.suspect import SuspectLink
from reqtrace.changes.textdiff import Hunk, Piece
from reqtrace.core import cachestore
from reqtrace.core.config import CONFIG_FILE, SpecRepo
from reqtrace.core.model import Config, Finding, Requirement
from reqtrace.core.parse_cache import ParseCache
from reqtrace.core.snapshot import WORKTREE
from reqtrace.core.worktree_state import SpecState

KIND = "diff"
ACCEPTED_KIND = "diff-from"  # the default FROM: the accepted baseline (name, commit), or HEAD

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
    except (ValueError, KeyError, TypeError, RecursionError):
        return None
    return result if isinstance(result, DiffResult) else None


def _pair_of(plain: Any) -> tuple[str, str] | None:
    if isinstance(plain, list) and len(plain) == 2 and all(isinstance(part, str) for part in plain):
        return (plain[0], plain[1])
    return None


def _default_from(repo: SpecRepo, state: SpecState | None, config: Config | None) -> tuple[str, str]:
    """`default_from`, kept for what it reads: reqtrace.yaml, the baselines folder and the
    baseline tags (signatures are not verified in choosing), named by HEAD, those of the
    state's differing files that are under the baselines folder or are reqtrace.yaml, and
    the tags. Choosing hashes every manifest and asks git three times otherwise."""
    if state is None or config is None:
        return default_from(repo)
    folder = repo.git_path(config.baselines_dir).rstrip("/") + "/"
    files = {path: digest for path, digest in state.changes.items() if path.startswith(folder) or path == repo.git_path(CONFIG_FILE)}
    content = json.dumps([FORMAT, str(repo.root), repo.prefix, state.commit, files, state.tags], sort_keys=True)
    kept = cachestore.load(repo.git_top, ACCEPTED_KIND, content, _pair_of)
    if kept is not None:
        return kept
    chosen = default_from(repo)
    cachestore.store(repo.git_top, ACCEPTED_KIND, content, list(chosen))
    return chosen


def kept_diff(repo: SpecRepo, from_rev: str | None, to_rev: str = WORKTREE, *, cache: ParseCache, whitespace: str, key: DiffKey | None = None) -> DiffResult:
    """`diff_revisions` from `from_rev` (None: the accepted baseline, else HEAD) to `to_rev`,
    with details, as `reqtrace diff` shows it: the kept answer when there is one for
    exactly these inputs, else computed (parses through `cache`) and kept (`key`: its
    `diff_key`, when asked already)."""
    if key is None:
        key = diff_key(repo, from_rev, to_rev, whitespace)
    content, state, config = key.content, key.state, key.config
    if content is not None:
        kept = cachestore.load(repo.git_top, KIND, content, _result_of)
        if kept is not None:
            return kept
    if from_rev is None:
        shown, from_rev = _default_from(repo, state, config)
    else:
        shown = from_rev
    # The searches of the working tree take what differs from HEAD from the state read above.
    differing = (state.commit, sorted(state.changes)) if state is not None else None
    result = diff_revisions(repo, from_rev, to_rev, from_shown=shown, cache=cache, whitespace=whitespace, differing=differing)
    if content is not None:
        try:
            plain = _encode(result)
        except _NotKeepable:
            return result
        cachestore.store(repo.git_top, KIND, content, plain)
    return result
