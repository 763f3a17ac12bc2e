"""The one place that writes files: atomically, inside a known folder."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from .errors import InputError


def atomic_write(path: Path, data: bytes | str, *, exclusive: bool = False, durable: bool = True) -> Path:
    """Write `data` to `path` so that readers see the old file or the new one, never half.

    With `exclusive`, refuse to replace an existing file (`FileExistsError`).
    `durable=False` skips the fsync: for caches, whose entries are checked when
    read and rebuilt when damaged, speed matters more than surviving a power cut.
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    if exclusive and path.exists():
        raise FileExistsError(str(path))
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
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
    return path


def inside(folder: Path, relative: str) -> Path:
    """`folder/relative`, refusing any path that would land outside `folder`."""
    base = Path(folder).resolve()
    target = (base / relative).resolve()
    if target != base and base not in target.parents:
        raise InputError(f"refusing to write outside {base}: {relative!r}")
    return target
