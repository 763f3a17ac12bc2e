"""Reading and sealing the files of reqtrace's caches (everything under `.git/reqtrace/`).

The rules every cache follows — a cache is a hint, never evidence:

- A cache file is opened only when it is a regular file: no symlink is
  followed (O_NOFOLLOW) and the open never blocks (O_NONBLOCK), so a FIFO, a
  device or a link planted in its place is simply no cache.
- Every entry carries a content hash (sha256) over its payload and the code
  stamp it was written with. An entry that does not verify is discarded and
  rebuilt silently (a note under --debug) — never believed, never a crash.
- Payloads hold plain data only (tuples, lists, dicts, text, numbers): JSON,
  marshal, or pickle read by an unpickler that builds no class at all.
- Text shown to a user as evidence is checked against git, not taken from a
  cache on trust.

The hash catches accidents (a flipped bit, a truncated copy, a file from
another version); it is not a signature. Whoever can write `.git/` can also
write the spec files themselves.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import sys
from pathlib import Path

MAGIC = b"RQTC1\n"
_DIGEST = 32  # sha256: the fastest hash here (SHA extensions), ~1.7 GB/s
_LENGTH = 8

log = logging.getLogger("reqtrace.cache")


def read_regular(path: Path) -> bytes | None:
    """The bytes of the cache file at `path`; None when it is absent, unreadable or
    anything but a regular file (a link, a FIFO, a device, a folder)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            note(path, "not a regular file")
            return None
        chunks = []
        size = info.st_size
        while True:
            chunk = os.read(fd, max(size + 1, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def note(path: Path | str, why: str) -> None:
    """Say (under --debug) that a cache file was not used."""
    log.debug("cache %s not used: %s", path, why)


class _CurrentStderr(logging.Handler):
    """Writes to whatever sys.stderr is when a note comes, not when the handler was made."""

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(self.format(record) + "\n")


def show_notes(on: bool) -> None:
    """Print the notes of this invocation on stderr (--debug), or none.

    Set on every invocation, never only added to: in one process (tests, a tool
    calling `main` twice) a handler left by an earlier --debug run would write to
    that run's stderr, long closed, or speak in a run without --debug.
    """
    for handler in [h for h in log.handlers if isinstance(h, _CurrentStderr)]:
        log.removeHandler(handler)
    log.setLevel(logging.DEBUG if on else logging.NOTSET)
    if on:
        handler = _CurrentStderr()
        handler.setFormatter(logging.Formatter("reqtrace: %(message)s"))
        log.addHandler(handler)


def digest(stamp: str, payload: bytes | memoryview) -> bytes:
    hasher = hashlib.sha256(stamp.encode("utf-8", "surrogateescape"))
    hasher.update(b"\x00")
    hasher.update(payload)
    return hasher.digest()


def seal(stamp: str, *sections: bytes) -> bytes:
    """`sections` in one file, each with its length and content hash (over the
    section and `stamp`, the writing code's version) in a table that is itself hashed."""
    table = b"".join(len(section).to_bytes(_LENGTH, "big") + digest(stamp, section) for section in sections)
    head = len(sections).to_bytes(_LENGTH, "big") + table
    return b"".join([MAGIC, digest(stamp, head), head, *sections])


class Sealed:
    """A file written by `seal`, its table checked; each section is checked when taken."""

    def __init__(self, data: bytes, stamp: str, sections: int | None = None) -> None:
        """ValueError when the file is not a sealed file of this `stamp` (with `sections` sections, when given)."""
        view = memoryview(data)
        if not data.startswith(MAGIC):
            raise ValueError("not a reqtrace cache file")
        start = len(MAGIC) + _DIGEST
        if len(data) < start + _LENGTH:
            raise ValueError("cut short")
        count = int.from_bytes(view[start : start + _LENGTH], "big")
        end = start + _LENGTH + count * (_LENGTH + _DIGEST)
        if count > 64 or len(data) < end or digest(stamp, view[start:end]) != view[len(MAGIC) : start]:
            raise ValueError("its table does not match its hash (damaged, or written by another version)")
        self._data, self._stamp = view, stamp
        self._sections: list[tuple[int, int, bytes]] = []
        offset, position = end, start + _LENGTH
        for _ in range(count):
            size = int.from_bytes(view[position : position + _LENGTH], "big")
            self._sections.append((offset, offset + size, bytes(view[position + _LENGTH : position + _LENGTH + _DIGEST])))
            offset += size
            position += _LENGTH + _DIGEST
        if offset != len(data):
            raise ValueError("its length does not match its table")
        if sections is not None and count != sections:
            raise ValueError(f"{count} sections, not {sections}")

    def __len__(self) -> int:
        return len(self._sections)

    def section(self, number: int) -> memoryview:
        """ValueError when the section does not match its hash."""
        start, end, expected = self._sections[number]
        piece = self._data[start:end]
        if digest(self._stamp, piece) != expected:
            raise ValueError(f"section {number} does not match its hash")
        return piece


def unseal(data: bytes | None, stamp: str) -> bytes | None:
    """The one section of a file sealed with `seal(stamp, payload)`; None when it does not verify."""
    if data is None:
        return None
    try:
        return bytes(Sealed(data, stamp, sections=1).section(0))
    except ValueError:
        return None
