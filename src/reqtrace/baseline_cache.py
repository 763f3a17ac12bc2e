"""What never changes about a baseline, computed once: kept under `.git/reqtrace/baselines/`.

Verifying a baseline means recomputing every requirement's digest at its
commit, and reading its manifest (which lists every requirement). Both depend
only on immutable content: a commit id names its files forever, and a
manifest's bytes are named by their sha256. So `check`, `baseline verify` and
`baseline sign` pay for them once per commit and per manifest, not on every run.

The entries follow the rules of cachefile.py: a hint, never evidence. Each
file is sealed with a content hash over its payload and a stamp holding a
fingerprint of the code that computes it (parsing, digests, baselines), opened
only when it is a regular file, and holds JSON only. A file that does not
verify, or whose payload is not of the expected shape, is a miss: the value is
computed again the plain way and written anew. Safe to delete.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from .cachefile import note, read_regular, seal, unseal
from .files import atomic_write
from .parsecache import PARSER_MODULES, ParseCache, parser_fingerprint

CACHE_FORMAT = 1
# The code whose output is cached: changing any of it (even without a new version
# number, as while developing) gives new keys and stamps, so old entries are never read.
CODE_MODULES = (
    *PARSER_MODULES,
    "digest.py",
    "baseline.py",
    "baseline_verify.py",
    "baseline_cache.py",
    "snapshot.py",
    "config.py",
    "gitio.py",
)


@functools.lru_cache(maxsize=16)
def _folder_for(git_top: Path | None) -> Path | None:
    # Asked several times per command; in a linked worktree finding it runs git.
    parse_folder = ParseCache.for_git(git_top).folder
    return parse_folder.parent / "baselines" if parse_folder is not None else None


def code_stamp() -> str:
    return f"baseline cache {CACHE_FORMAT} {parser_fingerprint(CODE_MODULES)}"


class BaselineStore:
    """JSON values by key, each in its own sealed file; a store without a folder keeps nothing."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    @classmethod
    def for_git(cls, git_top: Path | None) -> BaselineStore:
        """The store of the repository at `git_top` (none outside git), beside the parse cache."""
        return cls(_folder_for(git_top))

    @staticmethod
    def key(*parts: str) -> str:
        text = "\x00".join((code_stamp(), *parts))
        return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()

    def _file(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / f"{key}.json"

    def get(self, key: str) -> Any:
        """The value stored under `key`, or None (absent, damaged, foreign or not JSON)."""
        if self.folder is None:
            return None
        path = self._file(key)
        data = read_regular(path)
        if data is None:
            return None
        payload = unseal(data, code_stamp() + "\x00" + key)
        if payload is None:
            note(path, "does not match its hash (damaged, replaced, or written by another version)")
            return None
        try:
            return json.loads(payload)
        except ValueError:
            note(path, "not JSON")
            return None

    def put(self, key: str, value: Any) -> None:
        """Store `value` (plain JSON data); a full or read-only disk costs speed, never a result."""
        if self.folder is None:
            return
        payload = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        with contextlib.suppress(OSError):
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write(self._file(key), seal(code_stamp() + "\x00" + key, payload), durable=False)
