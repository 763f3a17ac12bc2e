"""The original files a pack carries, deflated once and kept by their git blob ids.

A pack holds every spec and record file as it is: its member (a name made from
its path, its bytes' size, CRC-32 and sha256, its deflate stream) depends only on
the folder it goes to, its path and its bytes — which a blob id names for good.
So the members are kept (core/cachestore.py, kind `pack-members`), a group of
files of one folder at a time (about 256, cut where a path's hash says, so that
a file added moves no other cut): a group whose files are all as they were when
a pack was last built is added to the next pack as kept, neither read from git
nor deflated again, and gives the same bytes (`archive.add_deflated`). A group
with one file changed is laid out again, and kept anew. A message's attachments
(contents.email_attachments) are kept with it. At 10,000 requirements this is
16,000 members per build.

An entry is a hint like every kept result: sealed, its shape checked, its content
id covering the code that makes members (this module, io/archive.py, the
attachment reader), zlib's version and the deflate level; anything else, and a
file read from the working tree (no blob id), is laid out the plain way, as
everything is when REQTRACE_NO_CACHE is set.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from reqtrace.core import cachestore
from reqtrace.io.archive import COMPRESS_LEVEL, Deflated, deflate_member, member_name
from reqtrace.io.cachefile import note
from reqtrace.pack.contents import ATTACHMENTS_FOLDER, email_attachments

KIND = "pack-members"
FORMAT = 1
GROUP_FILES = 256  # files per kept entry, on average (_cut_after)
# The modules whose code decides a kept member's name and bytes.
_MEMBER_MODULES = ("io/archive.py", "pack/kept_members.py", "pack/contents.py", "records/mail.py")


@dataclass(frozen=True)
class LaidOut:
    """One original file as its member, with its attachments' members (a message's)."""

    member: Deflated
    attachments: tuple[tuple[str, Deflated], ...] = ()  # (file name as the sender wrote it, member)


@cache
def _code() -> str:
    return f"{FORMAT}\x00{cachestore.code_fingerprint(_MEMBER_MODULES)}\x00{zlib.ZLIB_RUNTIME_VERSION}\x00{COMPRESS_LEVEL}"


def lay_out_file(folder: str, path: str, data: bytes, attachments: bool) -> LaidOut:
    """The plain way: the member of `path` under `folder`, and its attachments when asked."""
    found: tuple[tuple[str, Deflated], ...] = ()
    if attachments and path.lower().endswith(".eml"):
        found = tuple(
            (filename, deflate_member(member_name(ATTACHMENTS_FOLDER, filename, key=f"{path}\x00{index}\x00{filename}"), payload))
            for index, (filename, payload) in enumerate(email_attachments(data))
        )
    return LaidOut(deflate_member(member_name(folder, path), data), found)


def laid_out_files(
    git_top: Path | None,
    folder: str,
    files: Sequence[tuple[str, str | None]],
    read: Callable[[list[str]], dict[str, bytes]],
    *,
    attachments: bool = False,
) -> dict[str, LaidOut]:
    """{path: its member} for each (path, blob id or None) of `files`, to go under `folder`.

    Kept a group of files of one folder of the repository at a time (_cut_after);
    `read(paths)` gives the bytes of the files of a group that is not kept. `attachments`: a .eml
    file's attachments are laid out with it."""
    if os.environ.get("REQTRACE_NO_CACHE") is not None:
        git_top = None
    groups: dict[tuple[str, int], list[tuple[str, str | None]]] = {}
    cuts: dict[str, int] = {}
    for path, oid in sorted(files):
        folder_of = path.rpartition("/")[0]
        at = cuts.get(folder_of, 0)
        groups.setdefault((folder_of, at), []).append((path, oid))
        if _cut_after(path):
            cuts[folder_of] = at + 1
    result: dict[str, LaidOut] = {}
    missing: list[tuple[str | None, list[tuple[str, str | None]]]] = []  # (content id, files) of each folder not kept
    for group in groups.values():
        content_id = _content_id(folder, group, attachments) if git_top is not None and all(oid for _, oid in group) else None
        kept = _load(git_top, content_id, [path for path, _ in group]) if content_id is not None else None
        if kept is None:
            missing.append((content_id, group))
        else:
            result.update(kept)
    # The files of every folder not kept, read in one batch (one `git cat-file`).
    data = read([path for _, group in missing for path, _ in group]) if missing else {}
    for content_id, group in missing:
        laid = {path: lay_out_file(folder, path, data[path], attachments) for path, _ in group}
        if content_id is not None:
            _store(git_top, content_id, [(path, laid[path]) for path, _ in group])
        result.update(laid)
    return result


def _cut_after(path: str) -> bool:
    """Whether a group of kept members ends after `path` (about one file in GROUP_FILES).

    Decided by the path alone, so that a file added or removed changes only the group it
    falls in, wherever it sorts: each change of a folder keeps one small entry more, not
    a copy of the whole folder (10,000 e-mails are 5 MB of members)."""
    return zlib.crc32(path.encode("utf-8", "surrogateescape")) % GROUP_FILES == 0


def _content_id(folder: str, group: list[tuple[str, str | None]], attachments: bool) -> str:
    return json.dumps([_code(), folder, attachments, group], ensure_ascii=False)


def _row(member: Deflated) -> list[Any]:
    return [member.name, member.size, member.crc, member.sha256, len(member.stream)]


def _store(git_top: Path | None, content_id: str, laid: list[tuple[str, LaidOut]]) -> None:
    rows, streams = [], []
    for path, one in laid:
        rows.append([path, _row(one.member), [[filename, _row(member)] for filename, member in one.attachments]])
        streams.append(one.member.stream)
        streams.extend(member.stream for _, member in one.attachments)
    header = json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogateescape")
    cachestore.store_sections(git_top, KIND, content_id, header, b"".join(streams))


def _load(git_top: Path | None, content_id: str, paths: list[str]) -> dict[str, LaidOut] | None:
    found = cachestore.load_sections(git_top, KIND, content_id, 2)
    if found is None:
        return None
    where, sealed = found
    try:
        rows = json.loads(bytes(sealed.section(0)))
        streams = sealed.section(1)
        at = 0

        def member(row: Any) -> Deflated:
            nonlocal at
            name, size, crc, sha256, length = row
            if not (isinstance(name, str) and isinstance(sha256, str) and all(type(n) is int and n >= 0 for n in (size, crc, length))):
                raise ValueError("a member of another shape")
            at += length
            if at > len(streams):
                raise ValueError("the deflate streams are cut short")
            return Deflated(name, size, crc, sha256, streams[at - length : at])

        kept = {}
        for path, row, attached in rows:
            if not all(isinstance(filename, str) for filename, _ in attached):
                raise ValueError("an attachment of another shape")
            kept[path] = LaidOut(member(row), tuple((filename, member(one)) for filename, one in attached))
        if at != len(streams) or list(kept) != paths:
            raise ValueError("not the files asked for")
        return kept
    except (ValueError, TypeError, UnicodeDecodeError):
        note(where, "not of the expected shape")
        return None
