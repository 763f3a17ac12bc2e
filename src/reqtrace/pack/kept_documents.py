"""A pack's requirements documents, deflated once and kept by the commit they were read at.

`data/baseline/requirements.json` and `data/to/requirements.json` are each made from the
requirements read at one commit (their fields and digests), the name that side is shown
under (the baseline's name, the `--to` revision as given) and the members holding their
files (names made from their paths). A commit names its files forever, so the document of
one side, deflated as the pack holds it (`archive.Deflated`), is kept (core/cachestore.py,
kind `pack-documents`) and added as it is to the next pack of that commit: at 100,000
requirements each is 70 MB of JSON, encoded from 100,000 parsed requirements and deflated,
seconds of CPU, and the baseline's side is the same in every pack built from that baseline.

An entry is a hint like every kept result: sealed, its shape checked, its content id
covering the commit, the side, the name shown, the spec repo's folder in git, every
member name the document points to, the code that makes the document (the store's code
stamp: pack/build.py, the parsers, the digests) and the code, zlib version and level that
deflate it. A side read from the working tree (no commit) is made the plain way, as
everything is when REQTRACE_NO_CACHE is set.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from functools import cache
from pathlib import Path

from reqtrace.core import cachestore
from reqtrace.io.archive import COMPRESS_LEVEL, Deflated
from reqtrace.io.cachefile import note

KIND = "pack-documents"
FORMAT = 1
# Besides the store's own stamp (which covers pack/build.py, where the documents are encoded):
# the code that deflates a member and lays out its name, size, CRC-32 and sha256.
_DEFLATE_MODULES = ("io/archive.py", "pack/kept_documents.py")


@cache
def _code() -> str:
    return f"{FORMAT}\x00{cachestore.code_fingerprint(_DEFLATE_MODULES)}\x00{zlib.ZLIB_RUNTIME_VERSION}\x00{COMPRESS_LEVEL}"


def document_id(name: str, commit: str | None, shown_as: str | None, prefix: str, members: dict[str, str]) -> str | None:
    """The content id of the requirements document `name` of the side read at `commit`,
    shown as `shown_as`, in a spec repo at `prefix` in its git repository, pointing to
    `members` (each file's path -> its member); None when that side is not a commit."""
    if commit is None:
        return None
    # The member names are hashed, not listed: 100,000 of them would make a 10 MB key.
    pointed = hashlib.sha256()
    for path in sorted(members):
        pointed.update(f"{path}\x00{members[path]}\x00".encode("utf-8", "surrogateescape"))
    return json.dumps([_code(), name, commit, shown_as, prefix, pointed.hexdigest()], ensure_ascii=False)


def load(git_top: Path | None, content_id: str, name: str) -> Deflated | None:
    """The kept member named `name` for `content_id`, or None when there is no usable entry."""
    found = cachestore.load_sections(git_top, KIND, content_id, 2)
    if found is None:
        return None
    where, sealed = found
    try:
        kept_name, size, crc, sha256 = json.loads(bytes(sealed.section(0)))
        stream = sealed.section(1)
        if kept_name != name or not isinstance(sha256, str) or not all(type(n) is int and n >= 0 for n in (size, crc)):
            raise ValueError("a member of another shape")
        return Deflated(name, size, crc, sha256, stream)
    except (ValueError, TypeError, UnicodeDecodeError):
        note(where, "not of the expected shape")
        return None


def store(git_top: Path | None, content_id: str, member: Deflated) -> None:
    """Keep `member` for `content_id`; a full or read-only disk costs speed, never a result."""
    header = json.dumps([member.name, member.size, member.crc, member.sha256]).encode("ascii")
    cachestore.store_sections(git_top, KIND, content_id, header, bytes(member.stream))
