"""The one place that writes files: atomically, inside a known folder."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import InputError


def atomic_write(path: Path, data: bytes | str, *, exclusive: bool = False, durable: bool = True) -> Path:
    """Write `data` to `path` so that readers see the old file or the new one, never half.

    With `exclusive`, refuse to replace an existing file (`FileExistsError`).
    `durable=False` skips the fsync: for caches, whose entries are checked when
    read and rebuilt when damaged, speed matters more than surviving a power cut.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    with atomic_writer(path, exclusive=exclusive, durable=durable) as handle:
        handle.write(data)
    return Path(path)


@contextlib.contextmanager
def atomic_writer(path: Path, *, exclusive: bool = False, durable: bool = True) -> Iterator[BinaryIO]:
    """A binary file handle whose content replaces `path` atomically when the block ends.

    For output too large to hold in memory twice; if the block raises, `path`
    is left as it was. The file gets the mode of the file it replaces, or the
    usual one for a new file (0666 less the umask) — not the 0600 of a
    temporary file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if exclusive and path.exists():
        raise FileExistsError(str(path))
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), _mode_for(path))
            yield handle
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        if exclusive:
            # link() fails if the name exists: no window in which two writers both win.
            os.link(tmp_name, path)
            os.unlink(tmp_name)
        else:
            os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return 0o666 & ~_UMASK


# Read once, while importing (one thread): os.umask can only be read by setting
# it, and a writer thread setting it briefly would race with other writers.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def inside(folder: Path, relative: str) -> Path:
    """`folder/relative`, refusing any path that would land outside `folder`."""
    base = Path(folder).resolve()
    target = (base / relative).resolve()
    if target != base and base not in target.parents:
        raise InputError(f"refusing to write outside {base}: {relative!r}")
    return target
