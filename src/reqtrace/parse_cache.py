"""A cache of parsed files, keyed by content, kept in `.git/reqtrace/`.

Parsing YAML is most of what `check` costs; a file whose bytes did not change
parses to the same items. Each entry is keyed by (file kind, path, git blob id
of the bytes) under a fingerprint of everything else the result depends on:
the configuration and reqtrace's own code. The working tree and every commit
share entries, because a working-tree file's key is the blob id git would
give its bytes.

The cache is an optimisation only:
- safe to delete at any time (the next run parses again and rewrites it);
- safe under concurrent runs: it is written to a temporary file and renamed
  over the old one, so readers see a whole old or a whole new cache;
- a damaged, foreign or outdated file is ignored, never an error;
- it is loaded with an unpickler that builds nothing but plain data and
  reqtrace's own frozen dataclasses, so a planted file cannot run code.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import os
import pickle  # noqa: S403 - loaded only through _SafeUnpickler below
import sys
from pathlib import Path
from typing import Any

from . import __version__
from .model import Config
from .parse import Parsed

CACHE_FILE = "parse-cache-1.pickle"
FORMAT = 1
# Entries not used by the latest run are kept up to this many beyond the ones
# it used, so that switching between two revisions stays warm without the file
# growing without bound.
SPARE_ENTRIES = 20_000


def blob_id(data: bytes) -> str:
    """The id git gives a blob with these bytes (`git hash-object`)."""
    return hashlib.sha1(b"blob %d\x00" % len(data) + data, usedforsecurity=False).hexdigest()


def _code_stamp() -> str:
    # Any change to reqtrace's code or schemas may change what a file parses to;
    # size and mtime of the package's files notice an edited checkout, the
    # version notices an upgrade.
    package = Path(__file__).resolve().parent
    parts = [__version__]
    for folder in (package, package / "schemas"):
        with contextlib.suppress(OSError):
            for entry in sorted(os.scandir(folder), key=lambda e: e.name):
                if entry.name.endswith((".py", ".json")):
                    stat = entry.stat()
                    parts.append(f"{entry.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return "\n".join(parts)


def fingerprint(config: Config) -> str:
    return hashlib.sha256(f"{_code_stamp()}\n{config!r}".encode()).hexdigest()[:16]


class _SafeUnpickler(pickle.Unpickler):
    """Builds only reqtrace's frozen dataclasses besides plain data."""

    def find_class(self, module: str, name: str) -> Any:
        if module.startswith("reqtrace.") and "." not in name:
            # Only modules already loaded: unpickling never imports anything.
            value = getattr(sys.modules.get(module), name, None)
            if isinstance(value, type) and (dataclasses.is_dataclass(value) or value is Parsed):
                return value
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a reqtrace cache")


def load_parsed(data: bytes) -> list[Parsed]:
    """A pickled list of parse results, built with the restricted unpickler."""
    result = _SafeUnpickler(io.BytesIO(data)).load()
    if not isinstance(result, list) or not all(isinstance(item, Parsed) for item in result):
        raise pickle.UnpicklingError("not a list of parse results")
    return result


Key = tuple[str, str, str, str]  # (fingerprint, kind, path, blob id)


class ParseCache:
    def __init__(self, folder: Path | None, config: Config) -> None:
        self.file = folder / CACHE_FILE if folder is not None else None
        self.fingerprint = fingerprint(config)
        self.entries: dict[Key, Parsed] = {}
        self.used: dict[Key, Parsed] = {}
        self.added = 0
        if self.file is not None:
            self.entries = _load(self.file)

    def get(self, kind: str, path: str, oid: str) -> Parsed | None:
        key = (self.fingerprint, kind, path, oid)
        parsed = self.entries.get(key)
        if parsed is not None:
            self.used[key] = parsed
        return parsed

    def put(self, kind: str, path: str, oid: str, parsed: Parsed) -> None:
        key = (self.fingerprint, kind, path, oid)
        self.used[key] = parsed
        self.added += 1

    def save(self) -> None:
        """Write the cache when this run parsed something new; never fail the command."""
        if self.file is None or not self.added:
            return
        from .files import atomic_writer

        spare = [(key, value) for key, value in self.entries.items() if key not in self.used]
        keep = {**self.used, **dict(spare[:SPARE_ENTRIES])}
        payload = {"format": FORMAT, "entries": keep}
        with contextlib.suppress(OSError), atomic_writer(self.file, durable=False) as handle:
            pickle.dump(payload, handle, protocol=pickle.HIGHEST_PROTOCOL)


def _load(file: Path) -> dict[Key, Parsed]:
    try:
        with open(file, "rb") as handle:
            payload = _SafeUnpickler(handle).load()
    except Exception:  # noqa: BLE001 - a missing, damaged or foreign cache is simply not used
        return {}
    if (
        not isinstance(payload, dict)
        or payload.get("format") != FORMAT
        or not isinstance(payload.get("entries"), dict)
    ):
        return {}
    return payload["entries"]  # type: ignore[no-any-return]
