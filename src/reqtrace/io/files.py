"""The one place that writes files: atomically, inside a known folder.

A write goes to a temporary file in the target's own folder (`os.replace` is
atomic only within one file system) and replaces the target when complete.
A process killed mid-write leaves that temporary file behind, so its name is
chosen to be harmless: it starts with '.' (the spec-repo loader never reads
dot files) and ends with TEMP_SUFFIX, which `reqtrace init` and every command
that writes into a spec repo add to git's own exclude file (`gitio.exclude_temp_files`)
and which `reqtrace check` reports (`stale-temp-file`) so that someone deletes it.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from reqtrace.errors import InputError

# The suffix of every temporary file; see the module docstring for why.
TEMP_SUFFIX = ".reqtrace-tmp"
TEMP_PATTERN = f"*{TEMP_SUFFIX}"  # for .gitignore-style exclude files


class FileChangedError(InputError):
    """The file changed between the moment a command read it and the moment it would have replaced it."""

    code = "file-changed"


def is_temp_file(name: str) -> bool:
    """Whether a file name is one of atomic_writer's temporary files."""
    return name.startswith(".") and name.endswith(TEMP_SUFFIX)


def atomic_write(path: Path, data: bytes | str, *, exclusive: bool = False, durable: bool = True,
                 replaces: bytes | None = None) -> Path:
    """Write `data` to `path` so that readers see the old file or the new one, never half.

    With `exclusive`, refuse to replace an existing file (`FileExistsError`).
    `durable=False` skips the fsync: for caches, whose entries are checked when
    read and rebuilt when damaged, speed matters more than surviving a power cut.
    `replaces` is for commands that edit a file a person also edits: the bytes
    the command read. If the file holds anything else just before the replace
    (someone saved it meanwhile), nothing is written and FileChangedError says so.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    with atomic_writer(path, exclusive=exclusive, durable=durable, replaces=replaces) as handle:
        handle.write(data)
    return Path(path)


@contextlib.contextmanager
def atomic_writer(path: Path, *, exclusive: bool = False, durable: bool = True,
                  replaces: bytes | None = None) -> Iterator[BinaryIO]:
    """A binary file handle whose content replaces `path` atomically when the block ends.

    For output too large to hold in memory twice; if the block raises, `path`
    is left as it was. The file gets the mode of the file it replaces, or the
    usual one for a new file (0666 less the umask) — not the 0600 of a
    temporary file. `replaces`: as for atomic_write.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if exclusive and path.exists():
        raise FileExistsError(str(path))
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), _mode_for(path))
            yield handle
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        if not exclusive:
            _refuse_special(path)
        if exclusive:
            # link() fails if the name exists: no window in which two writers both win.
            os.link(tmp_name, path)
            os.unlink(tmp_name)
        else:
            if replaces is not None:
                _unchanged_since_read(path, replaces)
            # A window of a few microseconds remains between this compare and the
            # replace; a lock would not close it either, since editors take no locks.
            os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def _refuse_special(path: Path) -> None:
    # os.replace swaps the name whatever it names: run as root, it turns /dev/null
    # into a regular file. Only a regular file (or a link, which is replaced, not
    # followed) may be replaced; this is checked at the last moment, so that no
    # caller can forget it.
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        raise FileExistsError(f"{path} is {_kind(mode)}, not a regular file; refusing to replace it")


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def output_path(path: Path | str, *, option: str = "-o", what: str = "file", example: str = "output.txt") -> Path:
    """The file that `-o`/`--output` names, checked before anything is built or written.

    Every command that writes where the user says goes through here (and then
    `output_writer`), so the rule holds for all of them: a path is written only
    when it is absent, or a regular file the user may replace. Never through a
    symbolic link (the link is not the file the user meant to replace), never
    over a device, a FIFO or a folder (as root, replacing /dev/null replaces the
    device), and never into a folder that does not exist: creating one
    silently hides a typo.
    """
    path = Path(path)
    try:
        mode: int | None = os.lstat(path).st_mode
    except FileNotFoundError:
        mode = None
    except NotADirectoryError:
        mode = None  # a parent is a file: said below
    except OSError as exc:
        raise InputError(f"cannot use {option} {path}: {exc.strerror or exc}") from None
    if mode is not None:
        if stat.S_ISDIR(mode):
            raise InputError(f"{path} is a folder; {option} names the {what} to write, e.g. {option} {path / example}")
        if stat.S_ISLNK(mode):
            raise InputError(
                f"{option} {path} is a symbolic link; reqtrace does not write through links",
                hint="name the file itself, or remove the link first",
            )
        if not stat.S_ISREG(mode):
            raise InputError(
                f"{option} {path} is {_kind(mode)}, not a regular file; reqtrace replaces the file it writes, so it writes only regular files",
                hint="name a new file, or an existing regular file to replace",
            )
    parent = path.parent
    if not parent.is_dir():
        if os.path.lexists(parent):
            raise InputError(f"cannot write {path}: {parent} is not a folder")
        raise InputError(f"cannot write {path}: the folder {parent} does not exist", hint=f"create it first (mkdir -p {parent}), or name another place")
    if not os.access(parent, os.W_OK | os.X_OK) or (mode is not None and not os.access(path, os.W_OK)):
        raise InputError(f"cannot write {path}: permission denied", hint="name a file in a folder you may write to")
    return path


@contextlib.contextmanager
def output_writer(path: Path | str, *, option: str = "-o") -> Iterator[BinaryIO]:
    """`atomic_writer` for a path the user named: checked by `output_path`, and a
    failure to write (disk full, read-only file system) is an input error, not a bug."""
    path = output_path(path, option=option)
    try:
        with atomic_writer(path) as handle:
            yield handle
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _unchanged_since_read(path: Path, expected: bytes) -> None:
    try:
        current = path.read_bytes()
    except FileNotFoundError:
        current = None
    if current != expected:
        raise FileChangedError(
            f"{_shown(path)} changed while reqtrace was writing it; nothing was written, run again",
            hint="someone (an editor, another reqtrace) saved the file meanwhile; their version is kept",
        )


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def stale_temp_files(root: Path, folders: list[str]) -> list[str]:
    """Temporary files that an interrupted write left in `root` and under `root/folder` (paths relative to root, '/'-separated)."""
    base = Path(root)
    try:  # the root's own files too (reqtrace.yaml), not its other folders
        found = [entry.name for entry in os.scandir(base) if is_temp_file(entry.name) and entry.is_file(follow_symlinks=False)]
    except OSError:
        found = []
    for folder in folders:
        top = base / folder
        if not top.is_dir() or top.is_symlink():
            continue
        for current, dirs, names in os.walk(top):  # symlinked folders are not followed
            dirs[:] = [d for d in dirs if d != ".git"]
            found.extend((Path(current) / name).relative_to(base).as_posix() for name in names if is_temp_file(name))
    return sorted(set(found))


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
