"""`reqtrace pack verify`: is this evidence pack exactly what was built, and does it hold?

Works from the zip alone — no git repository, no network. In order:
1. every member name is safe (no zip-slip, no links, no folder entries, no
   duplicates), and no member inflates past the caps below (zip bombs); members
   are hashed in chunks, and only those verify parses are held in memory;
2. MANIFEST.sha256: every listed file is there with its hash, nothing is there
   that it omits;
3. the requirements in data/ — the JSON and the original YAML — are digested
   again with reqtrace.core.digest and must be, as a set, what was signed: the same
   ids as the baseline manifest, each exactly once, each with its digest, giving
   the root digest in pack.json and in the manifest;
4. every SSH sign-off's signature is checked with `ssh-keygen -Y verify` over
   the pack's own copy of the signed statement, and the statement must name
   that root digest; every recorded sign-off's evidence must match its sha256;
5. every member is accounted for: one the format names, or an original listed
   in data/files.json; under data/baseline/, one that steps 3 and 4 read.

Step 2 alone catches accidents; someone who edits a file can also edit the
manifest. Steps 3 and 4 catch that: changing what was signed changes the root
digest, and the signatures are over the root digest. They are only as strong
as the allowed-signers file: one passed with --signers, obtained apart from the
pack, is; the pack's own copy came with whatever an attacker changed.

The rule that keeps step 3 honest: verify over the canonical content, and refuse
what the signature does not cover. A second entry for a signed id, a requirement
or key the signed set does not hold, a member nothing refers to — each would sit
in the pack looking signed while no signature covers it.

Every member is hostile input: its JSON is checked for shape (types, keys, depth,
lone surrogates) before use, and a damaged zip gives a problem naming the member,
never an exception.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import struct
import sys
import tempfile
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from reqtrace.baselines.baseline import parse_manifest as parse_baseline_manifest
from reqtrace.core.digest import ALGORITHM, requirement_digest, root_digest
from reqtrace.core.model import Config, Requirement
from reqtrace.core.parse import parse_requirements
from reqtrace.errors import InputError
from reqtrace.io.archive import MANIFEST, member_problem, parse_manifest
from reqtrace.pack.contents import (
    ALLOWED_SIGNERS,
    BASE_JSON,
    DIFF_JSON,
    DOCUMENTS_JSON,
    EMAILS_JSON,
    FILES_JSON,
    GRAPH_JSON,
    INDEX,
    MANIFEST_COPY,
    MEETINGS_JSON,
    PACK_FORMAT,
    PACK_JSON,
    REQUESTS_JSON,
    SIGNOFFS_JSON,
    TIMELINE_JSON,
    TO_JSON,
)

# What verify inflates, at most. A pack of 10,000 requirements and 5,000 records unpacks to
# 60 MB (docs/performance.md), so one of 100,000 requirements to some 600 MB in all, with
# requirements.json and the report some 100-200 MB each; a record is at most 256 MiB
# (pack.MAX_SOURCE_BYTES). A zip bomb inflates 1,000-fold: the caps are checked against the
# sizes the zip declares before a member is opened, and again while it is inflated, since a
# declared size can lie.
MAX_MEMBER_BYTES = 1024**3  # any one member
MAX_PACK_BYTES = 4 * 1024**3  # all members together
MAX_READ_BYTES = 1024**3  # the members verify parses and so holds in memory (JSON, YAML, sign-offs), together
MAX_JSON_DEPTH = 64  # the pack's JSON nests about 6 deep; x- values a few more
_CHUNK = 1024 * 1024
_ENCRYPTED = 0x1  # general-purpose flag bit 0
# What reading a damaged or hostile zip raises: a bad CRC or header (BadZipFile), a broken
# deflate stream (zlib.error), an encrypted or unknown method (RuntimeError, NotImplementedError),
# a truncated file (EOFError), a name that is not UTF-8 (ValueError), a short header (struct.error).
_UNREADABLE = (zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError, EOFError, OSError, ValueError, struct.error)
_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_BASELINE_FOLDER = "data/baseline/"
# The members every pack has by name; all others are originals listed in data/files.json.
_FIXED = frozenset({INDEX, PACK_JSON, FILES_JSON, BASE_JSON, TO_JSON, DIFF_JSON, REQUESTS_JSON, MEETINGS_JSON, EMAILS_JSON, DOCUMENTS_JSON, GRAPH_JSON, TIMELINE_JSON, MANIFEST_COPY, SIGNOFFS_JSON, ALLOWED_SIGNERS, MANIFEST})
_PARSED = frozenset({PACK_JSON, FILES_JSON, BASE_JSON, SIGNOFFS_JSON, MANIFEST})
OUTSIDE_SIGNERS = "--signers"
PACK_SIGNERS = "pack"


@dataclass(frozen=True)
class Problem:
    check: str  # member | missing | extra | modified | manifest | digest | signature | evidence | pack
    entry: str  # the exact member, or member + item
    message: str

    def as_dict(self) -> dict[str, Any]:
        # The shape of every finding in reqtrace's JSON (model.Finding): the check is its code,
        # the entry (a member, or a member and an item in it) its path; each one fails the pack.
        return {"code": self.check, "severity": "error", "path": self.entry, "line": None, "id": None, "message": self.message}


@dataclass
class VerifyReport:
    path: Path
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pack: dict[str, Any] = field(default_factory=dict)
    members: int = 0
    hashed: int = 0
    requirements: int = 0
    root_digest: str | None = None
    manifest_sha256: str | None = None
    signers: dict[str, str | None] = field(default_factory=lambda: {"source": None, "path": None, "why": ""})
    signoffs: list[dict[str, Any]] = field(default_factory=list)
    _named: set[str] = field(default_factory=set, repr=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, check: str, entry: str, message: str) -> None:
        self.problems.append(Problem(check, entry, message))
        self._named.add(entry)

    def named(self, entry: str) -> bool:
        """Whether a problem names `entry` already (a set: a broken pack can have thousands)."""
        return entry in self._named

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "pack": str(self.path),
            "baseline": self.pack.get("baseline"),
            "to": self.pack.get("to"),
            "checked": {"members": self.members, "hashes": self.hashed, "requirements": self.requirements},
            "root_digest": self.root_digest,
            "manifest_sha256": self.manifest_sha256,
            "signers": self.signers,
            "signoffs": self.signoffs,
            "findings": [p.as_dict() for p in self.problems],
            "notes": self.notes,
        }


def _shown(name: str) -> str:
    """A member name that failed the name check, fit for a terminal: control characters escaped."""
    return name if name.isprintable() else ascii(name)[1:-1]


def _kept(name: str) -> bool:
    """Whether verify parses this member (so keeps its bytes); every other member is only hashed."""
    return name in _PARSED or name.startswith(_BASELINE_FOLDER)


class _TooLarge(Exception):
    pass


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, keep: bool, limit: int) -> tuple[str, bytes | None, int]:
    """(sha256, the bytes when `keep`, size) of one member, read in chunks and never past `limit`:
    the size a zip declares can lie, so the limit holds while inflating too."""
    digest = hashlib.sha256()
    parts: list[bytes] = []
    size = 0
    with archive.open(info) as handle:
        while chunk := handle.read(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise _TooLarge
            digest.update(chunk)
            if keep:
                parts.append(chunk)
    return digest.hexdigest(), (b"".join(parts) if keep else None), size


def _read_members(report: VerifyReport, archive: zipfile.ZipFile) -> tuple[dict[str, bytes], dict[str, str], set[str]]:
    """(bytes of the members verify parses, sha256 of every member that could be read, every safe member name);
    problems for the others. Nothing is written to disk, and nothing is inflated past the caps."""
    contents: dict[str, bytes] = {}
    hashes: dict[str, str] = {}
    names: set[str] = set()
    seen: dict[str, str] = {}
    folders: list[str] = []
    total = kept = 0
    for info in archive.infolist():
        name = info.filename
        report.members += 1
        if name.endswith("/"):
            folders.append(_shown(name))
            continue
        problem = member_problem(name)
        if problem is not None:
            report.fail("member", _shown(name), f"unsafe member name: {problem}")
            continue
        folded = name.casefold()
        if folded in seen:
            report.fail("member", name, f"appears twice in the zip (or differs only in case from {seen[folded]!r})")
            continue
        seen[folded] = name
        names.add(name)
        kind = stat.S_IFMT(info.external_attr >> 16)
        if info.is_dir() or kind in (stat.S_IFLNK, stat.S_IFDIR) or (kind and kind != stat.S_IFREG):
            report.fail("member", name, "is not a regular file (a link or folder entry); a pack holds only files")
            continue
        if info.flag_bits & _ENCRYPTED:
            report.fail("member", name, "is encrypted; a pack's members are never encrypted")
            continue
        keep = _kept(name)
        # Refuse what the zip itself declares too large before inflating a byte of it.
        if info.file_size > MAX_MEMBER_BYTES:
            report.fail("member", name, f"unpacks to {info.file_size:,} bytes, over the limit of {MAX_MEMBER_BYTES:,}; not read (a zip bomb?)")
            continue
        if keep and info.file_size > MAX_READ_BYTES - kept:
            report.fail("member", name, f"unpacks to {info.file_size:,} bytes; with the members read before it, over the limit of {MAX_READ_BYTES:,} for what verify parses; not read (a zip bomb?)")
            continue
        if total + info.file_size > MAX_PACK_BYTES:
            report.fail("member", name, f"the pack unpacks to more than {MAX_PACK_BYTES:,} bytes; not read further (a zip bomb?)")
            break
        limit = min(MAX_MEMBER_BYTES, MAX_PACK_BYTES - total, MAX_READ_BYTES - kept if keep else MAX_MEMBER_BYTES)
        try:
            digest, data, size = _inflate(archive, info, keep, limit)
        except _TooLarge:
            # Only when the zip declares fewer bytes than the member holds: the declared size was checked above.
            report.fail("member", name, f"unpacks to more than the {info.file_size:,} bytes the zip declares; stopped at {limit:,} (a zip bomb?)")
            total += limit
            continue
        except _UNREADABLE as exc:
            report.fail("modified", name, f"cannot be read from the zip: {exc.__class__.__name__}: {exc}")
            continue
        total += size
        if size != info.file_size:
            report.fail("modified", name, "its size differs from the size the zip records")
            continue
        hashes[name] = digest
        if data is not None:
            kept += size
            contents[name] = data
    if folders:
        more = f" (and {len(folders) - 1} more)" if len(folders) > 1 else ""
        report.fail("member", folders[0] + more, "folder entries are not allowed: rebuild the pack with `reqtrace pack build`, don't re-zip it")
    return contents, hashes, names


def _check_manifest(report: VerifyReport, contents: dict[str, bytes], hashes: dict[str, str], names: set[str]) -> None:
    """Every member against MANIFEST.sha256."""
    if MANIFEST not in contents:
        if MANIFEST not in names:
            report.fail("missing", MANIFEST, "the pack has no MANIFEST.sha256; nothing in it can be checked")
        return
    report.manifest_sha256 = hashes[MANIFEST]
    try:
        text = contents[MANIFEST].decode("utf-8")
    except UnicodeDecodeError:
        report.fail("manifest", MANIFEST, "is not UTF-8 text")
        return
    listed, problems = parse_manifest(text)
    for _line, message in problems:
        report.fail("manifest", MANIFEST, message)
    for name in sorted(listed):
        if member_problem(name) is not None:
            report.fail("manifest", f"{MANIFEST}: {name}", "lists an unsafe member name")
        elif name not in names:
            report.fail("missing", name, "is listed in MANIFEST.sha256 but missing from the zip")
        elif name not in hashes:
            pass  # present but unreadable: named already
        elif hashes[name] != listed[name]:
            report.fail("modified", name, "its sha256 differs from MANIFEST.sha256: the file was changed")
        else:
            report.hashed += 1
    for name in sorted(names):
        if name != MANIFEST and name not in listed:
            report.fail("extra", name, "is in the zip but not in MANIFEST.sha256: it was added after the pack was built")


def _json_problem(data: Any, text: str) -> str | None:
    """Why parsed JSON is not plain data reqtrace can use: nested too deep for the recursive
    walks after it (digests, rendering), or text that is no Unicode (a lone surrogate `\\ud800`
    cannot be written out as UTF-8)."""
    # The bytes were strict UTF-8, so a surrogate can only come from a `\\udXXX` escape: look at
    # every string only when the text has one (a few million strings in a large pack otherwise).
    strings = _SURROGATE_ESCAPE.search(text) is not None
    if strings and isinstance(data, str) and _SURROGATE.search(data):
        return f"holds text with a lone surrogate ({data[:40]!r}): not Unicode"
    stack: list[tuple[Any, int]] = [(data, 1)] if isinstance(data, dict | list) else []
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return f"nests deeper than {MAX_JSON_DEPTH} levels"
        items = value.values() if isinstance(value, dict) else value
        stack.extend((item, depth + 1) for item in items if isinstance(item, dict | list))
        if strings:
            for item in [*value, *items] if isinstance(value, dict) else items:
                if isinstance(item, str) and _SURROGATE.search(item):
                    return f"holds text with a lone surrogate ({item[:40]!r}): not Unicode"
    return None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _json_member(report: VerifyReport, contents: dict[str, bytes], name: str) -> dict[str, Any] | None:
    """The member as a JSON object, or None with a problem naming it (never an exception)."""
    if name not in contents:
        if not report.named(name):
            report.fail("missing", name, "is missing from the pack")
        return None
    try:
        text = contents[name].decode("utf-8")
        data = json.loads(text, parse_constant=_no_constant)
    except UnicodeDecodeError:
        report.fail("pack", name, "is not UTF-8 text")
        return None
    except RecursionError:
        report.fail("pack", name, f"is not JSON reqtrace reads: it nests deeper than {MAX_JSON_DEPTH} levels")
        return None
    except ValueError as exc:  # malformed JSON, NaN, and integers over Python's 4,300-digit limit
        report.fail("pack", name, f"is not valid JSON: {exc}")
        return None
    problem = _json_problem(data, text)
    if problem is not None:
        report.fail("pack", name, f"is not JSON reqtrace reads: it {problem}")
        return None
    if not isinstance(data, dict):
        report.fail("pack", name, "is not a JSON object")
        return None
    return data


def _shape_problem(value: Any, shape: dict[str, Any], where: str) -> str | None:
    """The first key of `value` (a JSON object) whose type is not in `shape` {key: type or tuple of types}."""
    for key, kind in shape.items():
        if key in value and not isinstance(value[key], kind):
            return f"{where}{key!r} is {type(value[key]).__name__}, not {_type_names(kind)}"
    return None


def _type_names(kind: Any) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "text", list: "a list", dict: "an object", int: "a number", type(None): "null", bool: "true/false"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _pack_baseline(report: VerifyReport) -> dict[str, Any]:
    """pack.json's `baseline` object ({} when the pack has none, or pack.json was refused)."""
    baseline = report.pack.get("baseline")
    return baseline if isinstance(baseline, dict) else {}


def requirement_from_fields(fields: dict[str, Any], path: str) -> Requirement:
    """A requirement rebuilt from its `fields()` data, for digesting."""

    def texts(key: str) -> tuple[str, ...]:
        value = fields.get(key)
        if value in (None, "", []):
            return ()
        return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)

    return Requirement(
        id=str(fields.get("id", "")),
        title=str(fields.get("title", "")),
        statement=str(fields.get("statement", "")),
        path=path,
        acceptance=texts("acceptance"),
        priority=fields.get("priority"),
        status=fields.get("status"),
        parents=texts("parents"),
        sources=texts("sources"),
        tags=texts("tags"),
        owner=fields.get("owner"),
        rationale=fields.get("rationale"),
        extra=tuple(sorted((k, v) for k, v in fields.items() if k.startswith("x-"))),
    )


def _signed_manifest(report: VerifyReport, contents: dict[str, bytes], baseline: str | None) -> tuple[str, list[tuple[str, str]]] | None:
    """The root digest the baseline manifest states and the (id, digest) pairs it lists, checked
    against each other; None when the pack has no manifest or it cannot be read (a problem says which)."""
    if MANIFEST_COPY not in contents:
        return None
    try:
        manifest, findings = parse_baseline_manifest(MANIFEST_COPY, contents[MANIFEST_COPY])
    except (ValueError, RecursionError) as exc:  # a hostile number or nesting the YAML layer let through
        report.fail("pack", MANIFEST_COPY, f"is not a readable baseline manifest: {exc}")
        return None
    if manifest is None:
        first = findings[0] if findings else None
        report.fail("pack", MANIFEST_COPY, f"is not a readable baseline manifest: line {first.line or 1}: {first.message}" if first else "is not a readable baseline manifest")
        return None
    pairs = [(entry.id, entry.digest) for entry in manifest.requirements]
    for rid, count in sorted(Counter(rid for rid, _ in pairs).items()):
        if count > 1:
            report.fail("digest", f"{MANIFEST_COPY}: {rid}", f"{rid} is listed {count} times; a baseline lists each requirement once")
    try:
        own_root = root_digest(pairs)
    except ValueError as exc:
        report.fail("digest", MANIFEST_COPY, f"its requirements cannot be digested: {exc}")
        return manifest.root_digest, pairs
    if own_root != manifest.root_digest:
        report.fail("digest", MANIFEST_COPY, f"states root digest {manifest.root_digest}, but the requirements it lists give {own_root}")
    if baseline is not None and manifest.name != baseline:
        report.fail("digest", MANIFEST_COPY, f"is the manifest of baseline {manifest.name!r}, but the pack is of baseline {baseline!r}")
    return manifest.root_digest, pairs


# The keys of data/baseline/requirements.json and of each of its entries, with their types. The
# signatures cover only what the digests cover, so any other key is refused: nothing verifies it.
_DOCUMENT_SHAPE: dict[str, Any] = {"schema_version": int, "ref": (str, type(None)), "commit": (str, type(None)), "algorithm": str, "root_digest": str, "requirements": list}
_ENTRY_SHAPE: dict[str, Any] = {"id": str, "path": str, "yaml": (str, type(None)), "digest": str, "fields": dict}
_REQUIRED_TEXT = ("id", "title", "statement")
_OPTIONAL_TEXT = ("priority", "status", "owner", "rationale")
_TEXT_LISTS = ("acceptance", "parents", "sources", "tags")
_YAML_FOLDER = "data/baseline/yaml/"


def _keys_problem(value: dict[str, Any], shape: dict[str, Any]) -> str | None:
    """Why `value` does not have exactly the keys of `shape`, each of its type; None when it does."""
    extra = sorted(set(value) - set(shape))
    if extra:
        return f"has key {extra[0]!r}, which the pack format does not have: nothing verifies it"
    missing = sorted(set(shape) - set(value))
    if missing:
        return f"has no key {missing[0]!r}"
    return _shape_problem(value, shape, "")


def _fields_problem(fields: dict[str, Any]) -> str | None:
    """Why `fields` is not exactly a requirement's `fields()`: a key outside the format, or a wrong type."""
    for key in fields:
        if key not in (*_REQUIRED_TEXT, *_OPTIONAL_TEXT, *_TEXT_LISTS) and not key.startswith("x-"):
            return f"has field {key!r}, which is not part of a requirement: no digest, so no signature, covers it"
    for key in _REQUIRED_TEXT:
        if not isinstance(fields.get(key), str):
            return f"field {key!r} is missing or not text"
    for key in _OPTIONAL_TEXT:
        if key in fields and not isinstance(fields[key], str):
            return f"field {key!r} is not text"
    for key in _TEXT_LISTS:
        if key in fields and not (isinstance(fields[key], list) and all(isinstance(item, str) for item in fields[key])):
            return f"field {key!r} is not a list of texts"
    return None


# What the worker processes read: set before they are forked, so nothing is pickled on the way in.
_YAML_WORK: tuple[dict[str, bytes], dict[str, dict[str, Any]], dict[str, str]] | None = None
PARALLEL_YAML_FROM = 2000  # below this many files a second process costs more than it saves


def _yaml_findings(jobs: list[tuple[str, list[str]]]) -> list[tuple[str, str]]:
    """(entry, message) for each way an original YAML file says something other than the requirements
    the JSON lists for it: a different digest, a requirement the JSON does not list for it (the
    signatures do not cover it), one twice, or anything that is not a requirement field."""
    assert _YAML_WORK is not None
    contents, fields_of, digests = _YAML_WORK
    config = Config(project="pack")
    wrong: list[tuple[str, str]] = []
    for member, ids in jobs:
        try:
            parsed = parse_requirements(member, contents[member], config)
        except (ValueError, RecursionError) as exc:  # a hostile number or nesting the YAML layer let through
            wrong.append((member, f"cannot be read as YAML: {exc}"))
            continue
        for finding in parsed.findings:
            if finding.code == "bad-id":
                continue  # the id pattern is the repository's setting; the pack does not carry it
            where = f"{member}:{finding.line}" if finding.line else member
            wrong.append((where, f"{finding.message} — a signed baseline's YAML holds requirements and only what their digests cover"))
        found = Counter(req.id for req in parsed.items)
        originals = {req.id: req for req in reversed(parsed.items)}  # the first of a duplicate
        for rid, count in sorted(found.items()):
            if count > 1:
                wrong.append((f"{member}: {rid}", f"{rid} appears {count} times in the original YAML"))
            if rid not in ids:
                wrong.append((f"{member}: {rid}", f"the original YAML holds {rid}, which {BASE_JSON} does not list for this file: no signature covers it"))
        for rid in ids:
            original = originals.get(rid)
            # Equal fields give equal digests; digest only what differs (formatting may still agree).
            if original is not None and original.fields() == fields_of.get(rid):
                continue
            if original is None or requirement_digest(original) != digests.get(rid):
                wrong.append((f"{member}: {rid}", f"the original YAML does not give the digest of {rid} in {BASE_JSON}"))
    return wrong


def _yaml_problems(jobs: list[tuple[str, list[str]]], contents: dict[str, bytes], fields_of: dict[str, dict[str, Any]], digests: dict[str, str]) -> list[tuple[str, str]]:
    """Parse the original YAML files — the slowest step of verify — in two processes when
    there are many and the machine has the cores (forked: Linux only)."""
    global _YAML_WORK
    _YAML_WORK = (contents, fields_of, digests)
    try:
        if len(jobs) < PARALLEL_YAML_FROM or (os.cpu_count() or 1) < 2 or sys.platform != "linux":
            return _yaml_findings(jobs)
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        halves = [jobs[0::2], jobs[1::2]]
        try:
            with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("fork")) as pool:
                return sorted(found for part in pool.map(_yaml_findings, halves) for found in part)
        except (OSError, RuntimeError):  # no fork here (a sandbox, a process limit): one process it is
            return _yaml_findings(jobs)
    finally:
        _YAML_WORK = None


def _check_requirements(report: VerifyReport, contents: dict[str, bytes], names: set[str]) -> str | None:
    """Digest the baseline's requirements again and compare them, as a whole, with what was signed;
    returns the recomputed root digest.

    The signatures sign one root digest: the digest of the set of (id, digest) pairs the baseline
    manifest lists. So every requirement the pack presents as the baseline's — in the JSON and in the
    original YAML — is digested again, and the set must be that one: the same ids, each exactly once,
    each with the signed digest. A duplicate id, an extra requirement, an extra key or an extra
    member under data/baseline/yaml/ is content no signature covers, and is refused."""
    document = _json_member(report, contents, BASE_JSON)
    if document is None:
        return None
    problem = _keys_problem(document, _DOCUMENT_SHAPE)
    if problem is not None:
        report.fail("pack", BASE_JSON, problem)
        if _shape_problem(document, _DOCUMENT_SHAPE, "") is not None or "requirements" not in document:
            return None
    pairs: list[tuple[str, str]] = []  # every entry as listed: a second entry for an id changes the root digest too
    counts: Counter[str] = Counter()
    digests: dict[str, str] = {}
    fields_of: dict[str, dict[str, Any]] = {}
    yaml_of: dict[str, list[str]] = {}
    for index, entry in enumerate(document["requirements"]):
        if not isinstance(entry, dict):
            report.fail("digest", f"{BASE_JSON}: requirements[{index}]", "is not an object")
            continue
        problem = _keys_problem(entry, _ENTRY_SHAPE)
        if problem is not None:
            report.fail("digest", f"{BASE_JSON}: " + (entry["id"] if isinstance(entry.get("id"), str) else f"requirements[{index}]"), f"the entry {problem}")
            continue
        rid = entry["id"]
        label = f"{BASE_JSON}: {rid}"
        counts[rid] += 1
        if counts[rid] == 2:
            report.fail("digest", label, f"{rid} appears more than once; a baseline holds each requirement once, and the signatures cover one entry for it")
        problem = _fields_problem(entry["fields"])
        if problem is not None:
            report.fail("digest", label, f"{rid} {problem}")
            continue
        requirement = requirement_from_fields(entry["fields"], entry["path"])
        digest = requirement_digest(requirement)
        if requirement.id != rid:
            report.fail("digest", label, f"the entry's fields carry id {requirement.id!r}")
        if entry["digest"] != digest:
            report.fail("digest", label, f"recomputed digest {digest} differs from the digest listed beside it")
        pairs.append((rid, digest))
        digests.setdefault(rid, digest)
        fields_of.setdefault(rid, entry["fields"])
        if entry["yaml"] is not None:
            if entry["yaml"].startswith(_YAML_FOLDER):
                yaml_of.setdefault(entry["yaml"], []).append(rid)
            else:
                report.fail("digest", label, f"its original YAML must be under {_YAML_FOLDER}, not {entry['yaml']!r}")
    report.requirements = len(pairs)
    try:
        recomputed = root_digest(pairs)
    except ValueError as exc:
        report.fail("digest", BASE_JSON, f"the requirements cannot be digested: {exc}")
        return None
    report.root_digest = recomputed
    if isinstance(document.get("root_digest"), str) and document["root_digest"] != recomputed:
        report.fail("digest", BASE_JSON, f"states root digest {document['root_digest']}, but its requirements give {recomputed}")

    # The original YAML must say the same as the JSON beside it, and nothing more. Every file under
    # data/baseline/yaml/ is read, also those no entry points at: what it holds must be listed too.
    jobs = []
    for member in sorted(set(yaml_of) | {name for name in names if name.startswith(_YAML_FOLDER)}):
        if member in contents:
            jobs.append((member, yaml_of.get(member, [])))
        elif not report.named(member):
            report.fail("missing", member, "the original YAML of a baseline requirement is missing")
    for entry, message in _yaml_problems(jobs, contents, fields_of, digests):
        report.fail("digest", entry, message)

    baseline = _pack_baseline(report)
    claimed = baseline.get("root_digest")
    if claimed != recomputed:
        report.fail("digest", f"{BASE_JSON}", f"the requirements give root digest {recomputed}, but pack.json states {claimed}: the requirements were changed")
    signed = _signed_manifest(report, contents, baseline.get("name"))
    if signed is not None:
        manifest_root, listed_pairs = signed
        listed = dict(reversed(listed_pairs))
        for rid in sorted(set(listed) | set(digests)):
            if listed.get(rid) != digests.get(rid):
                what = "is missing from the pack's requirements" if rid not in digests else ("is not in the baseline manifest" if rid not in listed else "differs from the digest in the baseline manifest")
                report.fail("digest", f"{BASE_JSON}: {rid}", f"{rid} {what}")
        if manifest_root != recomputed:
            report.fail("digest", MANIFEST_COPY, f"the baseline manifest states root digest {manifest_root}; the requirements in the pack give {recomputed}")
    return recomputed


def _choose_signers(report: VerifyReport, contents: dict[str, bytes], signers: Path | None, folder: Path) -> Path | None:
    if signers is not None:
        if not signers.is_file():
            raise InputError(f"--signers {signers}: no such file")
        report.signers = {
            "source": OUTSIDE_SIGNERS,
            "path": str(signers),
            "why": "an allowed-signers file obtained apart from the pack: someone who altered the pack could not have changed it",
        }
        return signers
    if ALLOWED_SIGNERS in contents:
        copy = folder / "allowed_signers"
        copy.write_bytes(contents[ALLOWED_SIGNERS])
        report.signers = {
            "source": PACK_SIGNERS,
            "path": ALLOWED_SIGNERS,
            "why": "the pack's own copy: it proves the signatures match the keys the pack names, but whoever could alter the pack could also replace those keys — pass --signers FILE with a copy obtained separately for real assurance",
        }
        return copy
    report.signers = {"source": None, "path": None, "why": "no allowed-signers file: the pack has none and --signers was not given"}
    return None


def _signoff_file(report: VerifyReport, contents: dict[str, bytes], entry: dict[str, Any]) -> Any:
    """The sign-off as committed — the source of truth — checked against the parts extracted beside it."""
    from reqtrace.baselines.baseline import SignOff, parse_signoff_file

    name = str(entry.get("file") or "")
    if not name or name not in contents:
        if not report.named(name):
            report.fail("missing", name or SIGNOFFS_JSON, "the sign-off file is missing from the pack")
        return None
    try:
        signoff, findings = parse_signoff_file(str(entry.get("path") or name), contents[name])
    except (ValueError, RecursionError) as exc:  # a hostile number or nesting the YAML layer let through
        report.fail("signature", name, f"is not a readable sign-off: {exc}")
        return None
    if not isinstance(signoff, SignOff):
        first = findings[0].message if findings else "not a sign-off"
        report.fail("signature", name, f"is not a readable sign-off: {first}")
        return None
    for field_name, member in (("statement", entry.get("statement")), ("signature", entry.get("signature"))):
        value = getattr(signoff, field_name)
        if value is not None and member and member in contents and value.encode("utf-8") != contents[member]:
            report.fail("signature", str(member), f"differs from the {field_name} in the sign-off file {name}")
    return signoff


def _check_one_signoff(report: VerifyReport, contents: dict[str, bytes], hashes: dict[str, str], entry: dict[str, Any], root: str | None, baseline: str, algorithm: str, signers_file: Path | None, revoked: dict[str, str], result: dict[str, Any]) -> bool:
    """Check one sign-off the way `baseline verify` does; True when a valid SSH signature binds it to `root`."""
    from reqtrace.baselines.signed_statement import statement_for
    from reqtrace.io import sshsig

    label = str(entry.get("file") or SIGNOFFS_JSON)
    signoff = _signoff_file(report, contents, entry)
    if signoff is None:
        result.update(status="invalid", detail="sign-off file missing or unreadable")
        return False
    result.update(signer=signoff.signer, meaning=signoff.meaning, time=signoff.time, method=signoff.method)
    if signoff.id in revoked:
        result.update(status="revoked", detail=revoked[signoff.id])
        return False
    if signoff.baseline != baseline or (root is not None and signoff.root_digest != root):
        report.fail("signature", label, f"signs baseline '{signoff.baseline}' with root digest {signoff.root_digest}, but the pack's requirements are baseline '{baseline}' with root digest {root}: it signs other content")
        result.update(status="invalid", detail="signs other content")
        return False
    # The statement is rebuilt from the pack's own baseline and recomputed root digest, never taken on trust.
    expected = statement_for(signoff, baseline=baseline, algorithm=algorithm, root_digest=root or signoff.root_digest)
    if signoff.statement != expected:
        report.fail("signature", label, "the statement it records does not match its own fields and this baseline: it was edited after signing")
        result.update(status="invalid", detail="statement does not match")
        return False
    if signoff.method == "ssh":
        if not signoff.signature:
            report.fail("signature", label, "an SSH sign-off without a signature")
            result.update(status="invalid", detail="no signature")
            return False
        if signers_file is None:
            report.fail("signature", label, "cannot check the signature: no allowed-signers file (pass --signers FILE)")
            result.update(status="unchecked", detail="no allowed-signers file")
            return False
        verdict = sshsig.verify(expected.encode("utf-8"), signoff.signature, principal=signoff.email, allowed_signers=signers_file, at=signoff.time)
        if not verdict.ok:
            member = entry.get("signature") or label
            report.fail("signature", str(member), f"signature by {signoff.email} does not verify against {report.signers['path']}: {verdict.detail}")
            result.update(status="invalid", detail=verdict.detail)
            return False
        result.update(status="valid", detail=f"good signature by {signoff.email}" + (f" with key {verdict.fingerprint}" if verdict.fingerprint else ""))
        return True
    if signoff.method == "recorded":
        evidence_name = entry.get("evidence")
        evidence_sha = hashes.get(evidence_name) if evidence_name else None
        expected_sha = signoff.evidence.sha256 if signoff.evidence else ""
        if evidence_sha is None:
            report.fail("evidence", str(evidence_name or label), "the evidence of a recorded sign-off is missing from the pack")
            result.update(status="invalid", detail="evidence missing")
        elif evidence_sha != expected_sha:
            report.fail("evidence", str(evidence_name), f"its sha256 is {evidence_sha}, but the sign-off {label} recorded {expected_sha}")
            result.update(status="invalid", detail="evidence changed")
        else:
            result.update(status="recorded", detail=f"evidence matches its recorded sha256, recorded by {signoff.recorded_by} (a recorded sign-off is not a cryptographic signature)")
        return False
    report.fail("signature", label, f"unknown sign-off method {signoff.method!r}")
    result.update(status="invalid", detail="unknown method")
    return False


def _revocations(report: VerifyReport, contents: dict[str, bytes], members: list[Any], baseline: str) -> dict[str, str]:
    """{sign-off id: why} from the revocation files in the pack."""
    from reqtrace.baselines.baseline import Revocation, parse_signoff_file

    revoked: dict[str, str] = {}
    for member in members:
        if str(member) not in contents:
            report.fail("missing", str(member), "a revocation file is missing from the pack")
            continue
        try:
            item, _ = parse_signoff_file(str(member), contents[str(member)])
        except (ValueError, RecursionError) as exc:  # a hostile number or nesting the YAML layer let through
            report.fail("signature", str(member), f"is not a readable revocation: {exc}")
            continue
        if isinstance(item, Revocation) and item.baseline == baseline:
            revoked.setdefault(item.revokes, f"revoked {item.time} by {item.by}: {item.reason}")
    return revoked


_INDEX_SHAPE: dict[str, Any] = {"baseline": (str, type(None)), "signoffs": list, "revocations": list}
_SIGNOFF_ENTRY_SHAPE: dict[str, Any] = {key: (str, type(None)) for key in ("file", "path", "statement", "signature", "evidence", "signer", "meaning", "time", "method")}
_SIGNOFF_PARTS = ("file", "statement", "signature")  # read by verify, so under data/baseline/; evidence may be a record


def _index_problem(index: dict[str, Any]) -> str | None:
    """Why signoffs.json is not the shape verify reads, or None."""
    problem = _shape_problem(index, _INDEX_SHAPE, "")
    if problem is not None:
        return problem
    for number, member in enumerate(index.get("revocations") or []):
        if not isinstance(member, str):
            return f"revocations[{number}] is not text"
    for number, entry in enumerate(index.get("signoffs") or []):
        if not isinstance(entry, dict):
            return f"signoffs[{number}] is not an object"
        problem = _shape_problem(entry, _SIGNOFF_ENTRY_SHAPE, f"signoffs[{number}].")
        if problem is not None:
            return problem
    return None


def _check_signoffs(report: VerifyReport, contents: dict[str, bytes], hashes: dict[str, str], root: str | None, signers: Path | None) -> set[str]:
    """Check every sign-off; returns the members the index points at."""
    index = _json_member(report, contents, SIGNOFFS_JSON)
    if index is None:
        return set()
    problem = _index_problem(index)
    if problem is not None:
        report.fail("pack", SIGNOFFS_JSON, f"is not a sign-off index: {problem}")
        return set()
    entries: list[dict[str, Any]] = index.get("signoffs") or []
    revocations: list[str] = index.get("revocations") or []
    referenced = {*revocations, *(e[part] for e in entries for part in (*_SIGNOFF_PARTS, "evidence") if e.get(part))}
    for name in sorted({*revocations, *(e[part] for e in entries for part in _SIGNOFF_PARTS if e.get(part))}):
        if not name.startswith(_BASELINE_FOLDER):
            report.fail("signature", f"{SIGNOFFS_JSON}: {name}", f"points at a sign-off part outside {_BASELINE_FOLDER}")
            return referenced
    baseline_data = _pack_baseline(report)
    baseline = str(baseline_data.get("name") or index.get("baseline") or "")
    algorithm = str(baseline_data.get("algorithm") or ALGORITHM)
    revoked = _revocations(report, contents, revocations, baseline)
    binding = 0
    with tempfile.TemporaryDirectory(prefix="reqtrace-signers-") as folder:
        needs_keys = any(e.get("method") == "ssh" for e in entries)
        signers_file = _choose_signers(report, contents, signers, Path(folder)) if needs_keys or signers else None
        for entry in entries:
            path = entry.get("path")
            result = {"id": PurePosixPath(path).stem if isinstance(path, str) and path else None, "path": path, "member": entry.get("file"), "signer": entry.get("signer"), "meaning": entry.get("meaning"), "time": entry.get("time"), "method": entry.get("method"), "status": "", "detail": ""}
            report.signoffs.append(result)
            binding += _check_one_signoff(report, contents, hashes, entry, root, baseline, algorithm, signers_file, revoked, result)
    if signers is not None and binding == 0:
        report.fail("signature", SIGNOFFS_JSON, f"no sign-off in the pack is signed by a key in {signers}")
    if not binding:
        report.notes.append("no SSH signature binds this pack's content: only the manifest hashes and the digests could be checked, and an edit that rewrote them all would go unnoticed")
    return referenced


_PACK_SHAPE: dict[str, Any] = {"format": str, "baseline": (dict, type(None)), "to": (dict, type(None))}
_PACK_BASELINE_SHAPE: dict[str, Any] = {"name": str, "root_digest": (str, type(None)), "algorithm": (str, type(None))}


def _read_pack_json(report: VerifyReport, contents: dict[str, bytes]) -> None:
    pack = _json_member(report, contents, PACK_JSON)
    if pack is None:
        return
    problem = _shape_problem(pack, _PACK_SHAPE, "")
    if problem is None and isinstance(pack.get("baseline"), dict):
        problem = _shape_problem(pack["baseline"], _PACK_BASELINE_SHAPE, "baseline.")
    if problem is not None:
        report.fail("pack", PACK_JSON, f"is not a pack description: {problem}")
        return
    report.pack = pack
    if pack.get("format") != PACK_FORMAT:
        report.fail("pack", PACK_JSON, f"format is {pack.get('format')!r}, this reqtrace reads {PACK_FORMAT!r}")


def _check_accounted(report: VerifyReport, contents: dict[str, bytes], names: set[str], signoff_parts: set[str]) -> None:
    """Every member must be one the pack's format names, or an original file listed in
    data/files.json; under data/baseline/ — where a reader takes a file for what was signed — it
    must also be one that this verification read: a requirement's YAML (checked whole, in
    `_check_requirements`) or a part of a sign-off the index names."""
    index = _json_member(report, contents, FILES_JSON)
    files = index.get("files") if index is not None else None
    if index is not None and not (isinstance(files, dict) and all(isinstance(v, dict) for v in files.values())):
        report.fail("pack", FILES_JSON, "is not a file index: 'files' must map each member to where it came from")
        files = None
    for name in sorted(names):
        if name in _FIXED:
            continue
        if name.startswith(_BASELINE_FOLDER) and not name.startswith(_YAML_FOLDER) and name not in signoff_parts:
            report.fail("extra", name, f"is under {_BASELINE_FOLDER}, but no sign-off refers to it: no signature covers it")
        elif files is not None and name not in files:
            report.fail("extra", name, f"is neither one of the pack's own files nor an original listed in {FILES_JSON}")
    for name in sorted(files or ()):
        if name not in names and not report.named(name):
            report.fail("missing", name, f"is listed in {FILES_JSON} but missing from the zip")


def verify_pack(path: Path, signers: Path | None = None, expect_manifest: str | None = None) -> VerifyReport:
    """Check the pack at `path`; the report lists each failing entry.

    `expect_manifest`: the sha256 of MANIFEST.sha256 as the builder announced it
    (printed by `pack build`): with it, no file of the pack can change unnoticed.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    report = VerifyReport(path)
    try:
        archive = zipfile.ZipFile(path)
    except _UNREADABLE as exc:
        report.fail("pack", str(path), f"not a readable zip archive: {exc}")
        return report
    with archive:
        contents, hashes, names = _read_members(report, archive)
    _check_manifest(report, contents, hashes, names)
    if expect_manifest is not None and report.manifest_sha256 not in (None, expect_manifest.lower().removeprefix("sha256:")):
        report.fail("manifest", MANIFEST, f"its sha256 is {report.manifest_sha256}, not the {expect_manifest} given with --manifest-sha256: the pack is not the one announced")
    _read_pack_json(report, contents)
    root = _check_requirements(report, contents, names)
    signoff_parts = _check_signoffs(report, contents, hashes, root, signers)
    _check_accounted(report, contents, names, signoff_parts)
    return report
