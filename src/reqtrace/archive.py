"""Deterministic, safe zip archives: the container of an evidence pack.

The same members always give the same bytes: entries sorted by name, one fixed
timestamp, fixed permissions, no extra fields, one compression level. Member
names never come raw from user data: `member_name` turns any file name into a
slug plus a short hash of the original, and `is_safe_member` is what both the
writer and `pack verify` accept.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from typing import BinaryIO

from .errors import InputError

MANIFEST = "MANIFEST.sha256"
MAX_MEMBER_LENGTH = 200
_HASH_LENGTH = 12  # 48 bits: a collision among 100,000 names has odds of about 1 in 56,000
_COMPONENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
# Windows refuses these as file names, with or without an extension.
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
_ZIP_EPOCH = dt.datetime(1980, 1, 1, tzinfo=dt.UTC)  # the earliest time a zip entry can hold
_ZIP_END = dt.datetime(2107, 12, 31, 23, 59, 58, tzinfo=dt.UTC)


class UnsafeMember(InputError):
    code = "unsafe-member"


def slug(text: str, limit: int = 60) -> str:
    """Lowercase ASCII letters and digits joined by '-', at most `limit` long ('' if none)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")[:limit].strip("-")


def short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:_HASH_LENGTH]


def member_name(folder: str, original: str, key: str | None = None) -> str:
    """A safe member name under `folder` for a file a user named `original`.

    The readable part is a slug of the file's own name; the hash of the whole
    original path keeps names apart that differ only in case, in folder, or past
    the slug's length. `../../x`, `/etc/passwd`, `CON`, a 300-character name or
    a Chinese one all give a plain `name-0123456789ab.ext`. `key`, when given, is
    hashed instead of `original` (an attachment: its message's path and position).
    """
    base = original.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    stem, dot, extension = base.rpartition(".")
    if not dot or not stem:
        stem, extension = base, ""
    extension = slug(extension, 10).replace("-", "")
    readable = slug(stem) or "file"
    name = f"{readable}-{short_hash(original if key is None else key)}" + (f".{extension}" if extension else "")
    # Safe by construction; DeterministicZip.add checks every name again anyway.
    return f"{folder.strip('/')}/{name}" if folder.strip("/") else name


def member_problem(name: str) -> str | None:
    """Why `name` is not acceptable as a member of a pack, or None when it is."""
    if not name:
        return "empty member name"
    if len(name) > MAX_MEMBER_LENGTH:
        return f"member name longer than {MAX_MEMBER_LENGTH} characters"
    if name.startswith("/") or "\\" in name or re.match(r"^[A-Za-z]:", name):
        return "absolute path (zip-slip: it would be written outside the folder it is unpacked into)"
    parts = name.split("/")
    if ".." in parts:
        return "'..' in the path (zip-slip: it would be written outside the folder it is unpacked into)"
    for part in parts:
        if not _COMPONENT.match(part):
            return f"path component {part!r} is not plain letters, digits, '.', '_' and '-'"
        if part.endswith("."):
            return f"path component {part!r} ends with '.'"
        if part.split(".", 1)[0].lower() in _RESERVED:
            return f"path component {part!r} is a reserved device name on Windows"
    return None


def is_safe_member(name: str) -> bool:
    return member_problem(name) is None


def zip_timestamp(moment: dt.datetime) -> tuple[int, int, int, int, int, int]:
    """`moment` in UTC as a zip entry time (clamped to what the format can hold)."""
    moment = min(max(moment.astimezone(dt.UTC), _ZIP_EPOCH), _ZIP_END)
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second - moment.second % 2)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_text(hashes: Iterable[tuple[str, str]]) -> str:
    """The `sha256sum` format: '<hex>  <name>' lines, sorted by name."""
    return "".join(f"{digest}  {name}\n" for name, digest in sorted(hashes))


def parse_manifest(text: str) -> tuple[dict[str, str], list[tuple[int, str]]]:
    """{name: hex} from MANIFEST.sha256, and (line, problem) for every malformed line."""
    entries: dict[str, str] = {}
    problems: list[tuple[int, str]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line:
            continue
        match = re.fullmatch(r"([0-9a-f]{64}) [ *](.+)", line)
        if not match:
            problems.append((number, f"line {number} is not '<sha256>  <name>': {line[:80]!r}"))
            continue
        digest, name = match.groups()
        if name in entries:
            problems.append((number, f"{name}: listed twice (line {number})"))
            continue
        entries[name] = digest
    return entries, problems


class DeterministicZip:
    """Collects members, then writes them sorted, with MANIFEST.sha256, to a file object.

    Members are held in memory until `write`: sorting needs them all, and a pack
    is read whole by verify anyway.
    """

    def __init__(self, timestamp: dt.datetime) -> None:
        self.date_time = zip_timestamp(timestamp)
        self._members: dict[str, bytes] = {}
        self._folded: dict[str, str] = {}
        self.manifest_digest: str | None = None  # sha256 of MANIFEST.sha256 once written: the pack's fingerprint

    def add(self, name: str, data: bytes | str) -> str:
        problem = member_problem(name)
        if problem is not None:
            raise UnsafeMember(f"refusing member {name!r}: {problem}")
        if name == MANIFEST:
            raise UnsafeMember(f"{MANIFEST} is written by the archive itself")
        # Case-insensitive file systems (Windows, macOS) would unpack two such names into one file.
        folded = name.casefold()
        if folded in self._folded:
            raise UnsafeMember(f"duplicate member name {name!r} (clashes with {self._folded[folded]!r})")
        self._folded[folded] = name
        self._members[name] = data.encode("utf-8") if isinstance(data, str) else data
        return name

    def __contains__(self, name: str) -> bool:
        return name.casefold() in self._folded

    @property
    def names(self) -> list[str]:
        return sorted(self._members)

    def write(self, handle: BinaryIO) -> dict[str, str]:
        """Write the archive; returns {member: sha256 hex} as listed in the manifest."""
        hashes = {name: sha256_hex(data) for name, data in self._members.items()}
        manifest = manifest_text(hashes.items()).encode("ascii")
        self.manifest_digest = sha256_hex(manifest)
        members = {**self._members, MANIFEST: manifest}
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6, allowZip64=True) as archive:
            for name in sorted(members):
                info = zipfile.ZipInfo(name, date_time=self.date_time)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # unix, so the permissions below mean the same everywhere
                info.external_attr = (0o100644 & 0xFFFF) << 16
                archive.writestr(info, members[name], compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
        return hashes
