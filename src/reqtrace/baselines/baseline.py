"""Baselines: the frozen, signed scope of a project.

A baseline is a folder `baselines/NAME/` holding `manifest.yaml` (the commit
it freezes, and every requirement's digest at that commit) and `signoffs/`
(one file per sign-off or revocation, never edited), plus an annotated git
tag `baseline/NAME` on the frozen commit. This module reads them, picks the
accepted baseline, and creates new ones; `signoff` signs and revokes;
`baseline_verify` proves they still hold. The format is in docs/format.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import posixpath
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

from reqtrace.core import cachestore
from reqtrace.core.config import CONFIG_FILE, SpecRepo, parse_config
from reqtrace.core.digest import ALGORITHM, requirement_digest, root_digest
from reqtrace.core.model import ERROR, Config, Finding, Requirement, Snapshot
from reqtrace.core.parse import Parsed, read_yaml_file, text_of
from reqtrace.core.placeholders import requirements_with_placeholders
from reqtrace.core.schema import validate
from reqtrace.core.snapshot import (
    WORKTREE,
    Reader,
    SourceFile,
    read_listed_items,
    requirements_at,
    resolve_revision,
)
from reqtrace.errors import GateFailed, GitError, InputError, RevisionError, UsageError
from reqtrace.io import clock, gitio
from reqtrace.io.files import atomic_write, inside
from reqtrace.io.yamlio import (
    MAX_FILE_BYTES,
    YamlDocument,
    YamlProblem,
    decode_text,
    dump_yaml_rows,
    load_yaml,
)
from reqtrace.io.yamlio import (
    Mapping as YamlMapping,
)

MANIFEST = "manifest.yaml"
SIGNOFFS = "signoffs"
TAG_PREFIX = "baseline/"
# A manifest of format 2 also names every frozen file's git blob id, and `files_digest` over
# them, which sign-offs sign: verifying it needs no parse (docs/format.md). Format 1 manifests
# (without blob ids) are read and verified as before, by their digests.
MANIFEST_FORMAT = "reqtrace-baseline-2"
MANIFEST_FORMAT_DIGESTS_ONLY = "reqtrace-baseline-1"
FILES_FORMAT = "reqtrace-files-1"
TAMPERED = "baseline-tampered"
# A manifest lists every requirement (about 150 bytes each): 64 MiB holds 400,000.
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
MEANINGS = ("reviewed", "approved", "delivered", "accepted")
ROLES = ("customer", "vendor")
# A customer sign-off with one of these meanings makes a baseline "accepted".
ACCEPTING = ("approved", "accepted")
# The first sign-off with one of these meanings dates the delivery.
DELIVERING = ("delivered", "accepted")

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_MAX_NAME = 100


def check_baseline_name(name: str) -> str:
    """`name` if it can name a baseline (a folder and a git tag); else a UsageError (exit 2)."""
    problem = None
    if not name:
        problem = "it is empty"
    elif name.startswith("-"):
        problem = "it starts with '-' (it would read as an option)"
    elif "/" in name or "\\" in name:
        problem = "it contains '/' or '\\' (it names a folder and a tag: one level only)"
    elif ".." in name:
        problem = "it contains '..'"
    elif any(char.isspace() for char in name):
        problem = "it contains white space"
    elif len(name) > _MAX_NAME:
        problem = f"it is longer than {_MAX_NAME} characters"
    elif not _NAME.match(name):
        problem = "it has characters other than letters, digits, '.', '_' and '-', or does not start with a letter or digit"
    elif name.endswith((".", ".lock")):
        problem = "it ends with '.' or '.lock', which git refuses in tag names"
    elif name == "WORKTREE":
        problem = "WORKTREE means the working tree wherever a revision is expected"
    if problem:
        raise UsageError(
            f"'{name}' cannot be a baseline name: {problem}",
            hint="use letters, digits, '.', '_' and '-', starting with a letter or digit, e.g. contract-v1.0",
        )
    return name


def utc_now() -> str:
    """The time reqtrace records: SOURCE_DATE_EPOCH when set (reproducible builds, replayed stories), else now."""
    return clock.utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------ model


# Slots: a manifest is an entry per requirement, and a command reads every baseline's
# (300,000 entries at 100,000 requirements): a third less memory, made a third faster.
@dataclass(frozen=True, slots=True)
class BaselineEntry:
    id: str
    digest: str
    path: str
    line: int = field(default=0, compare=False)  # in the manifest
    blob: str | None = None  # the git blob id of `path` at the baseline's commit (format 2)


def files_digest(object_format: str, entries: Iterable[BaselineEntry]) -> str:
    """The digest over (id, blob id, path) rows that a format 2 manifest records and its
    sign-offs sign: it binds each frozen file's bytes, as git names them, to the signature.

    The sha256 of canonical JSON `["reqtrace-files-1", object_format, [[id, blob, path], …]]`,
    rows sorted by id (byte order of UTF-8), no white space, non-ASCII kept: unambiguous
    whatever a path holds. A ValueError for an entry without a blob id.
    """
    rows = []
    for entry in sorted(entries, key=lambda e: e.id.encode("utf-8")):
        if entry.blob is None:
            raise ValueError(f"{entry.id} has no blob id")
        rows.append([entry.id, entry.blob, entry.path])
    text = json.dumps([FILES_FORMAT, object_format, rows], ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Evidence:
    path: str  # relative to the spec root
    sha256: str
    document: str | None = None
    line: int = field(default=0, compare=False)  # of `path:` in the sign-off file


def evidence_path_problem(path: str) -> str | None:
    """Why `path` cannot name a sign-off's evidence, or None when it may.

    Evidence is a file of the spec repo, named relative to its root: a sign-off file is
    input like any other, and an evidence path that reached outside (`/etc/…`, `../…`)
    or into git's own files (`.git/config`) would let `verify` vouch for, and a pack
    carry, any file on the machine. Symbolic links are refused where the file is read.
    """
    if not path.strip():
        return "it is empty"
    if "\\" in path:
        return "it contains '\\' (evidence paths use '/')"
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        return "it is an absolute path"
    if any(ord(char) < 32 or ord(char) == 127 for char in path):
        return "it contains control characters"
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "it contains '..', '.' or an empty part: it must name a file inside the spec repo directly"
    if any(part.lower() == ".git" for part in parts):
        return "it points into .git/, git's own files, which are never evidence"
    return None


@dataclass(frozen=True)
class SignOff:
    id: str  # the file name without .yaml
    path: str  # relative to the spec root
    baseline: str
    algorithm: str
    root_digest: str
    signer: str  # 'Name <email>'
    meaning: str
    time: str  # UTC, 2026-02-20T10:00:00Z
    method: str  # ssh | recorded
    statement: str
    role: str | None = None
    comment: str | None = None
    signature: str | None = None
    key_fingerprint: str | None = None
    evidence: Evidence | None = None
    recorded_by: str | None = None
    files_digest: str | None = None  # a sign-off of a format 2 manifest: its files_digest, signed
    line: int = 1
    lines: tuple[tuple[str, int], ...] = field(default=(), compare=False)

    def line_of(self, key: str) -> int:
        return dict(self.lines).get(key, self.line)

    @property
    def email(self) -> str:
        return signer_email(self.signer)


@dataclass(frozen=True)
class Revocation:
    id: str
    path: str
    baseline: str
    revokes: str
    reason: str
    by: str
    time: str
    line: int = 1


@dataclass(frozen=True)
class Baseline:
    name: str
    path: str  # of manifest.yaml, relative to the spec root
    commit: str
    created: str
    created_by: str
    algorithm: str
    root_digest: str
    tag: str
    tag_object: str
    requirements: tuple[BaselineEntry, ...]
    message: str | None = None
    signoffs: tuple[SignOff, ...] = ()
    revocations: tuple[Revocation, ...] = ()
    lines: tuple[tuple[str, int], ...] = field(default=(), compare=False)
    # Format 2: git's object format (sha1 | sha256) of the entries' blob ids, and files_digest
    # over them. None for a format 1 manifest, which names no blob.
    object_format: str | None = None
    files_digest: str | None = None

    def line_of(self, name: str) -> int:
        return dict(self.lines).get(name, 1)

    def revocation_of(self, signoff_id: str) -> Revocation | None:
        """The revocation that withdraws this sign-off (the earliest, if several), or None."""
        found = [r for r in self.revocations if r.revokes == signoff_id and r.baseline == self.name]
        return min(found, key=lambda r: (r.time, r.id)) if found else None

    @property
    def active_signoffs(self) -> tuple[SignOff, ...]:
        """Sign-offs that are not revoked, oldest first."""
        return tuple(s for s in self.signoffs if self.revocation_of(s.id) is None)

    @property
    def acceptances(self) -> tuple[SignOff, ...]:
        """Active customer sign-offs meaning approved or accepted: what makes this the accepted baseline."""
        return tuple(s for s in self.active_signoffs if s.role == "customer" and s.meaning in ACCEPTING)

    @property
    def delivered_at(self) -> str | None:
        """The time of the first active delivered or accepted sign-off, by anyone."""
        times = [s.time for s in self.active_signoffs if s.meaning in DELIVERING]
        return min(times) if times else None

    @property
    def delivery_date(self) -> str | None:
        """The date (YYYY-MM-DD, UTC) of `delivered_at`."""
        return self.delivered_at[:10] if self.delivered_at else None

    def digests(self) -> dict[str, str]:
        return {entry.id: entry.digest for entry in self.requirements}

    @property
    def requirement_ids(self) -> tuple[str, ...]:
        """The ids of the requirements it holds, in the manifest's order."""
        return tuple(entry.id for entry in self.requirements)


def revision_baseline(name: str, commit: str) -> Baseline:
    """A revision (a tag or commit id) taken where a baseline is expected: it freezes the
    requirements at `commit`, with no manifest, and no one signed it."""
    return Baseline(name=name, path="", commit=commit, created="", created_by="", algorithm="", root_digest="",
                    tag="", tag_object="", requirements=())


def plain_signed_baseline(baseline: Baseline) -> dict[str, Any]:
    """A baseline without its requirement list, with its sign-offs and revocations, as plain
    JSON data (for caches of who signed what; `signed_baseline_of` reads it back)."""
    plain = asdict(replace(baseline, requirements=()))
    del plain["requirements"]
    return plain


def signed_baseline_of(plain: dict[str, Any]) -> Baseline:
    """The Baseline `plain_signed_baseline` made (requirements empty); KeyError/TypeError/
    ValueError when `plain` is not of that shape."""
    signoffs = tuple(
        SignOff(**{**s, "evidence": Evidence(**s["evidence"]) if s["evidence"] is not None else None, "lines": tuple(map(tuple, s["lines"]))})
        for s in plain["signoffs"]
    )
    revocations = tuple(Revocation(**r) for r in plain["revocations"])
    return Baseline(**{**plain, "requirements": (), "signoffs": signoffs, "revocations": revocations, "lines": tuple(map(tuple, plain["lines"]))})


def signer_email(signer: str) -> str:
    match = re.search(r"<([^<>\s]+@[^<>\s]+)>\s*$", signer)
    return match.group(1) if match else ""


# ---------------------------------------------------------------- reading


def _schema_findings(data: Any, kind: str, path: str, item_id: str | None) -> list[Finding]:
    return [
        Finding(problem.code, ERROR, f"{problem.message} (this file is written by reqtrace and must not be edited)", path, problem.line, item_id)
        for problem in validate(data, kind, getattr(data, "line", 1))
    ]


# One row of a manifest's requirements as `dump_yaml_rows` writes them when every value is
# plain-safe text. Narrower than the schema on purpose (letter first, no `:` in an id, ASCII
# paths): a row it matches reads, under YAML 1.1, as exactly these three texts — unless a
# value is one of the words YAML reads as true/false/null, which `_fast_rows` refuses.
# A blob id is plain text unless YAML reads it as a number: all digits, or `0b` and binary digits.
_MANIFEST_ROW = re.compile(
    r"- id: ([A-Za-z][A-Za-z0-9_.-]*)\n  digest: (sha256:[0-9a-f]{64})\n  path: ([A-Za-z][A-Za-z0-9_./-]*)\n"
    r"(?:  blob: ((?![0-9]+\n)(?!0b[01]+\n)[0-9a-f]{40}(?:[0-9a-f]{24})?)\n)?"
)
_ROWS_KEY = "\nrequirements:\n"
_NOT_TEXT = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


def _fast_rows(text: str) -> tuple[str, int, list[BaselineEntry]] | None:
    """The manifest split into its head — every key but the requirements, which become `[]` —
    and the requirement rows read directly, when the rows are the last key and every row is
    what `_MANIFEST_ROW` matches; None otherwise (then the whole file is read as YAML).

    libyaml and the schema check spend about 0.1 s per 10,000 rows building and checking
    three texts each; the rows a manifest holds are of one fixed shape, so reading them
    with one pattern gives the same entries (tests/test_manifest_rows.py compares both).
    """
    start = text.find(_ROWS_KEY)
    if start < 0:
        return None
    first = start + len(_ROWS_KEY)
    rows: list[BaselineEntry] = []
    key_line = text.count("\n", 0, first)  # the line of `requirements:`
    line = key_line + 1
    position = first
    match_row = _MANIFEST_ROW.match
    while position < len(text):
        row = match_row(text, position)
        if row is None:
            return None
        entry_id, digest, entry_path, blob = row.groups()
        if entry_id.lower() in _NOT_TEXT or entry_path.lower() in _NOT_TEXT:
            return None
        rows.append(BaselineEntry(entry_id, digest, entry_path, line, blob))
        line += 3 if blob is None else 4
        position = row.end()
    if not rows or len({entry.blob is None for entry in rows}) > 1:
        return None  # rows with and without a blob id: the plain read says what is wrong
    return text[: start + 1] + "requirements: []\n", key_line, rows


def _read_manifest_yaml(path: str, data: bytes, *, fast: bool = True) -> tuple[YamlDocument, list[Finding], list[BaselineEntry] | None]:
    """The manifest as YAML, its findings, and its requirement rows when they were read
    directly (`_fast_rows`; then the YAML's `requirements` is empty)."""
    # Like parse.read_yaml_file, with the manifest's own size cap: it lists every requirement.
    if len(data) > MAX_MANIFEST_BYTES:
        return None, [Finding("file-too-large", ERROR, f"file is {len(data):,} bytes; a manifest is read up to {MAX_MANIFEST_BYTES:,} bytes", path, 1)], None
    try:
        text = decode_text(data)
        split = _fast_rows(text) if fast else None
        if split is not None:
            head, key_line, rows = split
            with contextlib.suppress(YamlProblem):
                loaded = load_yaml(head)
                # The key read is the one found, at its line, and nothing else holds rows.
                if isinstance(loaded, YamlMapping) and loaded.lines.get("requirements") == key_line and loaded.get("requirements") == []:
                    return loaded, [], rows
        return load_yaml(text), [], None
    except YamlProblem as problem:
        return None, [Finding(problem.code, ERROR, problem.message, path, problem.line)], None


def parse_manifest(path: str, data: bytes, *, fast: bool = True) -> tuple[Baseline | None, list[Finding]]:
    """The baseline a manifest describes, or None and what is wrong with it. `fast=False`
    reads the requirement rows as YAML too (the plain computation the tests compare with)."""
    loaded, findings, rows = _read_manifest_yaml(path, data, fast=fast)
    if loaded is None:
        if not findings:  # an empty file: the manifest's content was removed
            findings = [Finding(TAMPERED, ERROR, f"the manifest is empty: its content was removed, so nothing says what this baseline froze (restore it: `git log --oneline -- {path}` shows the commit that emptied it, `git checkout COMMIT^ -- {path}` brings it back)", path, 1)]
        return None, findings
    if not isinstance(loaded, dict):
        return None, [*findings, Finding("schema", ERROR, "a baseline manifest must be a mapping (name, commit, …)", path, 1)]
    name = loaded.get("name") if isinstance(loaded.get("name"), str) else None
    problems = _schema_findings(loaded, "manifest", path, name)
    if problems:
        return None, findings + problems
    tag = loaded["tag"]
    entries = tuple(rows) if rows is not None else tuple(BaselineEntry(e["id"], e["digest"], e["path"], getattr(e, "line", 0), e.get("blob")) for e in loaded["requirements"])
    problem = _format_problem(loaded, entries)
    if problem is not None:
        return None, [*findings, Finding("schema", ERROR, f"{problem} (this file is written by reqtrace and must not be edited)", path, loaded.lines.get("format", 1), name)]
    return (
        Baseline(
            name=loaded["name"],
            path=path,
            commit=loaded["commit"],
            created=loaded["created"],
            created_by=loaded["created_by"],
            algorithm=loaded["algorithm"],
            root_digest=loaded["root_digest"],
            tag=tag["name"],
            tag_object=tag["object"],
            requirements=entries,
            message=text_of(loaded.get("message")) or None,
            lines=tuple(loaded.lines.items()),
            object_format=loaded.get("object_format"),
            files_digest=loaded.get("files_digest"),
        ),
        findings,
    )


def _format_problem(loaded: YamlMapping, entries: tuple[BaselineEntry, ...]) -> str | None:
    """What makes the manifest neither format: a format 2 manifest names git's object format,
    its files digest and every row's blob id (of that format's length); a format 1 manifest none."""
    blobs = [entry.blob for entry in entries]
    if loaded["format"] == MANIFEST_FORMAT_DIGESTS_ONLY:
        if "object_format" in loaded or "files_digest" in loaded or any(blob is not None for blob in blobs):
            return f"a {MANIFEST_FORMAT_DIGESTS_ONLY} manifest names no blob id, object_format or files_digest"
        return None
    if "object_format" not in loaded or "files_digest" not in loaded:
        return f"a {MANIFEST_FORMAT} manifest names object_format and files_digest"
    size = 40 if loaded["object_format"] == "sha1" else 64
    if any(blob is None or len(blob) != size for blob in blobs):
        return f"every requirement of a {MANIFEST_FORMAT} manifest names its blob id, {size} hex digits ({loaded['object_format']})"
    return None


def _manifest_value(baseline: Baseline) -> dict[str, Any]:
    """A parsed manifest as plain JSON data, for the baseline store (sign-offs are not in it)."""
    return {
        "fields": [baseline.name, baseline.path, baseline.commit, baseline.created, baseline.created_by,
                   baseline.algorithm, baseline.root_digest, baseline.tag, baseline.tag_object, baseline.message,
                   baseline.object_format, baseline.files_digest],
        "requirements": [[e.id, e.digest, e.path, e.line, e.blob] for e in baseline.requirements],
        "lines": [[name, line] for name, line in baseline.lines],
    }


def _manifest_of(value: Any, path: str) -> Baseline | None:
    """The Baseline `_manifest_value` stored, or None when `value` is not of that shape."""
    try:
        fields, rows, lines = value["fields"], value["requirements"], value["lines"]
        name, stored_path, commit, created, created_by, algorithm, root, tag, tag_object, message, object_format, files = fields
        texts = [name, stored_path, commit, created, created_by, algorithm, root, tag, tag_object]
        if stored_path != path or not all(isinstance(text, str) for text in texts) or not all(isinstance(text, str | None) for text in (message, object_format, files)):
            return None
        entries = tuple(BaselineEntry(i, d, p, n, b) for i, d, p, n, b in rows
                        if isinstance(i, str) and isinstance(d, str) and isinstance(p, str) and type(n) is int and (b is None or type(b) is str))
        marks = tuple((key, line) for key, line in lines if isinstance(key, str) and type(line) is int)
        if len(entries) != len(rows) or len(marks) != len(lines):
            return None
    except (KeyError, TypeError, ValueError):
        return None
    return Baseline(name=name, path=path, commit=commit, created=created, created_by=created_by, algorithm=algorithm,
                    root_digest=root, tag=tag, tag_object=tag_object, requirements=entries, message=message, lines=marks,
                    object_format=object_format, files_digest=files)


def read_manifest(repo: SpecRepo | None, path: str, data: bytes) -> tuple[Baseline | None, list[Finding]]:
    """`parse_manifest`, kept in the baseline store under the sha256 of the manifest's bytes.

    A manifest lists every requirement (1.3 MB at 10,000), and `check` reads every
    baseline's on each run; the same bytes always parse the same way. Only a clean parse
    (a baseline, no finding) is stored; anything else is parsed every time.
    """
    git_top = repo.git_top if repo is not None else None
    content = f"{path}\x00{hashlib.sha256(data).hexdigest()}"
    # Read again in the same process (status scans the baselines for the graph and for its
    # inputs): the Baseline already made, not the store's copy (0.3 s a manifest at 100,000).
    kept = _read_manifests.get(content)
    if kept is None:
        kept = cachestore.load(git_top, MANIFEST_KIND, content, lambda plain: _manifest_of(plain, path))
    if kept is not None:
        _remember_manifest(content, kept)
        return kept, []
    baseline, findings = parse_manifest(path, data)
    if baseline is not None and not findings:
        cachestore.store(git_top, MANIFEST_KIND, content, _manifest_value(baseline))
        _remember_manifest(content, baseline)
    return baseline, findings


# The manifests this process has read cleanly, by path and content hash (a Baseline is frozen).
_read_manifests: dict[str, Baseline] = {}
_REMEMBERED_MANIFESTS = 16


def forget_read_manifests() -> None:
    """Let go of the manifests remembered in this process (read_manifest): for a command that
    has read every baseline it needs and goes on with much else in memory (pack build)."""
    _read_manifests.clear()


def _remember_manifest(content: str, baseline: Baseline) -> None:
    if len(_read_manifests) >= _REMEMBERED_MANIFESTS and content not in _read_manifests:
        _read_manifests.clear()
    _read_manifests[content] = baseline


def parse_signoff_file(path: str, data: bytes) -> tuple[SignOff | Revocation | None, list[Finding]]:
    parsed = Parsed()
    loaded = read_yaml_file(path, data, parsed)
    findings = list(parsed.findings)
    item_id = PurePosixPath(path).stem
    if loaded is None:
        return None, findings
    if not isinstance(loaded, dict):
        return None, [*findings, Finding("schema", ERROR, "a sign-off file must be a mapping (baseline, signer, …)", path, 1, item_id)]
    line = getattr(loaded, "line", 1)
    if "revokes" in loaded:
        problems = _schema_findings(loaded, "revocation", path, item_id)
        if problems:
            return None, findings + problems
        return Revocation(item_id, path, loaded["baseline"], loaded["revokes"], loaded["reason"], loaded["by"], loaded["time"], line), findings
    problems = _schema_findings(loaded, "signoff", path, item_id)
    if problems:
        return None, findings + problems
    evidence = loaded.get("evidence")
    return (
        SignOff(
            id=item_id,
            path=path,
            baseline=loaded["baseline"],
            algorithm=loaded["algorithm"],
            root_digest=loaded["root_digest"],
            signer=loaded["signer"],
            meaning=loaded["meaning"],
            time=loaded["time"],
            method=loaded["method"],
            statement=loaded["statement"],
            role=loaded.get("role"),
            comment=loaded.get("comment"),
            signature=loaded.get("signature"),
            key_fingerprint=loaded.get("key_fingerprint"),
            evidence=Evidence(evidence["path"], evidence["sha256"], evidence.get("document"), getattr(evidence, "lines", {}).get("path", line)) if isinstance(evidence, dict) else None,
            recorded_by=loaded.get("recorded_by"),
            files_digest=loaded.get("files_digest"),
            line=line,
            lines=tuple(getattr(loaded, "lines", {}).items()),
        ),
        findings,
    )


class AcceptedUnknown(InputError):
    """Which baseline is accepted cannot be told: a baseline file is missing or unreadable."""

    code = "accepted-baseline-unknown"


@dataclass
class BaselineSet:
    """Every baseline of a spec repo at one point, and the problems met reading them."""

    config: Config
    commit: str | None  # None: the working tree
    baselines: list[Baseline] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def get(self, name: str) -> Baseline | None:
        return next((b for b in self.baselines if b.name == name), None)

    def accepted(self) -> Baseline | None:
        """The accepted baseline (`pick_accepted`), or AcceptedUnknown (exit 3) when a baseline
        file is missing or unreadable: the one left out could be the accepted one, and picking
        among the rest would silently fall back to an older baseline."""
        if self.findings:
            first = self.findings[0]
            more = f" (and {len(self.findings) - 1} more problem(s))" if len(self.findings) > 1 else ""
            raise AcceptedUnknown(
                f"cannot tell which baseline is accepted: {first.path}{f':{first.line}' if first.line else ''}: {first.message}{more}",
                hint="`reqtrace baseline verify` lists every problem and how to fix it",
            )
        return pick_accepted(self.baselines)

    def accepted_if_known(self) -> Baseline | None:
        """The accepted baseline, or None both when no baseline is accepted and when which one
        is cannot be told (a baseline file missing or unreadable: `findings` says why)."""
        return None if self.findings else self.accepted()


def _commit_of(repo: SpecRepo, rev: str | None) -> str | None:
    if rev is None or rev == "WORKTREE":
        return None
    return resolve_revision(repo, rev)


def baselines_of(snapshot: Snapshot) -> BaselineSet:
    """The baselines at the snapshot's commit (or working tree), scanned once for every check that asks."""
    if snapshot.scanned_baselines is None:
        snapshot.scanned_baselines = scan_baselines(snapshot.repo, snapshot.commit)
    return snapshot.scanned_baselines  # type: ignore[no-any-return]


# What reading a manifest costs, in bytes per unit of the parse's costs (core/snapshot.py
# `_REQUIREMENT_COST` units, about 11 µs): at 10,000 requirements the three manifests of the
# benchmark repo (4.96 MB) took 0.124 s of CPU to scan cold beside the parse's worker, a unit
# 10.8 µs (2026-12-07, docs/performance.md "the cold parse's balance"). The whole cost is taken
# off the parent's share of the parse: with the parse's own costs measured (snapshot._even_split),
# the parent and the worker of a cold `status` are then done within a few hundredths of a second.
_MANIFEST_BYTES_PER_PARSE_UNIT = 430
# A manifest's bytes per requirement it lists (about 186 on the benchmark repo): the estimate
# at a commit, where the listing gives no sizes.
_MANIFEST_BYTES_PER_ROW = 190


class ManifestsAlongside:
    """The baselines' scan of a snapshot (`baselines_of`) done while its parse's worker parses
    (core/snapshot.py `load_snapshot(alongside=…)`): a command that reads the baselines right
    after the parse — a cold `status`, `trace`, `impact` — reads the manifests on the core the
    parse would otherwise leave idle, and parses that much less itself."""

    def __init__(self, repo: SpecRepo, rev: str | None) -> None:
        self.repo = repo
        self.rev = rev
        self.scanned: BaselineSet | None = None

    def run(self) -> None:
        self.scanned = scan_baselines(self.repo, self.rev)

    def cost(self, config: Config, sources: Sequence[SourceFile]) -> float:
        """The manifests' expected cost from their sizes: on disk in the working tree, from
        the number of requirement files at a commit (its listing has no sizes)."""
        folder, specs = config.baselines_dir + "/", config.requirements_dir + "/"
        manifests = [s for s in sources if s.path.startswith(folder) and s.path.count("/") == folder.count("/") + 1 and s.path.endswith("/" + MANIFEST)]
        if not manifests:
            return 0.0
        total = 0
        rows = None
        for source in manifests:
            size = source.size
            if size == gitio.UNKNOWN_SIZE and self.rev is None:
                try:
                    size = (self.repo.root / source.path).stat().st_size
                except OSError:
                    size = 0
            if size == gitio.UNKNOWN_SIZE:
                if rows is None:
                    rows = sum(1 for s in sources if s.path.startswith(specs))
                size = rows * _MANIFEST_BYTES_PER_ROW
            total += size
        return total / _MANIFEST_BYTES_PER_PARSE_UNIT

    def hand_to(self, snapshot: Snapshot) -> None:
        """The scan made, as `baselines_of(snapshot)` would make it."""
        if self.scanned is not None and snapshot.repo is self.repo and snapshot.scanned_baselines is None:
            snapshot.scanned_baselines = self.scanned


def scan_baselines(repo: SpecRepo, rev: str | None = None, *, only: str | None = None) -> BaselineSet:
    """Read `baselines/*/manifest.yaml` and `baselines/*/signoffs/*.yaml` at the working tree or `rev`.

    With `only` (a baseline's name), only `baselines/ONLY/` is read, and no other witness is
    looked for (`missing_witnesses`): for a caller that needs that one baseline's files."""
    commit = _commit_of(repo, rev)
    reader = Reader(repo, commit)
    config, _ = parse_config(reader.read_config())
    result = BaselineSet(config, commit)
    folder = config.baselines_dir + "/"
    manifests: dict[str, SourceFile] = {}
    signoffs: dict[str, list[SourceFile]] = {}
    readable: list[SourceFile] = []
    for source in reader.list_files([config.baselines_dir if only is None else folder + only]):
        parts = source.path[len(folder) :].split("/")
        if len(parts) == 2 and parts[1] == MANIFEST:
            manifests[parts[0]] = source
        elif len(parts) == 3 and parts[1] == SIGNOFFS and parts[2].endswith(".yaml"):
            signoffs.setdefault(parts[0], []).append(source)
        else:
            continue
        limit = MAX_MANIFEST_BYTES if parts[-1] == MANIFEST else MAX_FILE_BYTES
        if source.symlink_target is not None or source.size > limit:
            result.findings.append(Finding(TAMPERED, ERROR, f"baseline files must be regular files (a manifest up to {MAX_MANIFEST_BYTES:,} bytes, a sign-off up to {MAX_FILE_BYTES:,}); this one is a symbolic link or too large", source.path, None))
        else:
            readable.append(source)
    if only is None:
        result.findings.extend(missing_witnesses(repo, commit, config.baselines_dir, set(manifests), {s.path for files in signoffs.values() for s in files}))
    # Each file's size was checked above against its own cap (a 10,000-requirement manifest is
    # 1.3 MB, over the limit of spec files); a file that grew past it since is left out.
    contents = {source.path: data for source, data in reader.read(readable, limit=MAX_MANIFEST_BYTES) if data is not None}
    for name in sorted(set(manifests) | set(signoffs)):
        manifest = manifests.get(name)
        if manifest is None or manifest.path not in contents:
            if manifest is None:
                result.findings.append(Finding(TAMPERED, ERROR, f"baselines/{name} has sign-offs but no {MANIFEST}: the manifest was deleted", f"{folder}{name}", None, name))
            continue
        baseline, findings = read_manifest(repo, manifest.path, contents[manifest.path])
        result.findings.extend(findings)
        if baseline is None:
            continue
        signed: list[SignOff] = []
        revoked: list[Revocation] = []
        for source in sorted(signoffs.get(name, []), key=lambda s: s.path):
            if source.path not in contents:
                continue
            item, findings = parse_signoff_file(source.path, contents[source.path])
            result.findings.extend(findings)
            if isinstance(item, SignOff):
                signed.append(item)
            elif isinstance(item, Revocation):
                revoked.append(item)
        signed.sort(key=lambda s: (s.time, s.id))
        revoked.sort(key=lambda r: (r.time, r.id))
        result.baselines.append(replace(baseline, signoffs=tuple(signed), revocations=tuple(revoked)))
    result.baselines.sort(key=lambda b: (b.created, b.name))
    return result


def missing_witnesses(repo: SpecRepo, commit: str | None, baselines_dir: str, manifests: set[str], signoffs: set[str]) -> list[Finding]:
    """A signed baseline has several witnesses: its folder and manifest, its tag `baseline/NAME`,
    its sign-off files, and git's history of them. Each must be there while the others are, so
    that deleting one is a finding, never a baseline (or a sign-off) silently gone:

    - a manifest that the history of `commit` (or, for the working tree, HEAD and then the
      working tree) deleted while tag `baseline/NAME` still exists: the baseline was removed
      without being retired. Retiring is explicit: deleting the tag as well.
    - a sign-off file deleted while its baseline's manifest is still there: a sign-off is
      withdrawn by a revocation (`reqtrace baseline revoke`), never by deleting it.

    (A manifest without its tag is `verify_manifest`'s finding; a tag whose manifest never was
    in this history — a baseline made on another branch, or a revision older than the
    baseline — is not a finding.) `manifests` are the baseline names present, `signoffs` the
    sign-off paths present, relative to the spec root.
    """
    top = repo.git_top
    if top is None:
        return []
    tags = gitio.tag_commits(top, TAG_PREFIX)
    if not tags and not manifests:
        return []  # nothing signed here, nothing that could have lost a witness
    folder = baselines_dir + "/"
    prefix = repo.git_path("")
    gone: dict[str, str | None] = {}  # spec-relative path -> the commit that deleted it (None: the working tree)
    for path, deleted_by in gitio.deleted_files(top, commit or "HEAD", [repo.git_path(baselines_dir)]).items():
        if path.startswith(prefix):
            gone[path[len(prefix) :]] = deleted_by
    if commit is None:
        for path in gitio.deleted_in_worktree(top, [repo.git_path(baselines_dir)]):
            if path.startswith(prefix):
                gone[path[len(prefix) :]] = None
    findings = []
    for path, deleter in sorted(gone.items()):
        parts = path[len(folder) :].split("/") if path.startswith(folder) else []
        if not parts:
            continue
        name = parts[0]
        where = f"in commit {deleter[:12]}" if deleter else "in the working tree"
        then = ", then commit" if deleter else ""
        restore = f"git checkout {deleter[:12]}^ -- {folder}{name}" if deleter else f"git checkout HEAD -- {folder}{name}"
        if parts[1:] == [MANIFEST] and name not in manifests and name in tags:
            findings.append(Finding(
                TAMPERED, ERROR,
                f"baseline '{name}' is gone: {path} was deleted {where}, but its tag {TAG_PREFIX}{name} still exists, so the baseline was removed, not retired. "
                f"Restore it (`{restore}`{then}); to retire it on purpose, delete its tag as well (`git tag -d {TAG_PREFIX}{name}` and `git push origin :refs/tags/{TAG_PREFIX}{name}`)",
                path, None, name,
            ))
        elif len(parts) == 3 and parts[1] == SIGNOFFS and parts[2].endswith(".yaml") and name in manifests and path not in signoffs:
            single = f"git checkout {deleter[:12]}^ -- {path}" if deleter else f"git checkout HEAD -- {path}"
            findings.append(Finding(
                TAMPERED, ERROR,
                f"sign-off {PurePosixPath(path).stem} of baseline '{name}' was deleted {where}; a sign-off is never deleted. "
                f"Restore it (`{single}`{then}); to withdraw it, `reqtrace baseline revoke {name} {PurePosixPath(path).stem} --reason ...` keeps it on record",
                path, None, name,
            ))
    return findings


def witness_findings(repo: SpecRepo, commit: str | None, baselines_dir: str, paths: list[str]) -> list[Finding]:
    """`missing_witnesses` for the files `paths` listed under the baselines folder. Caches of
    the accepted baseline put these in their key: with a witness missing, the same files can
    mean "unknown" where they once meant an older baseline."""
    folder = baselines_dir + "/"
    manifests, signoffs = set(), set()
    for path in paths:
        parts = path[len(folder) :].split("/") if path.startswith(folder) else []
        if len(parts) == 2 and parts[1] == MANIFEST:
            manifests.add(parts[0])
        elif len(parts) == 3 and parts[1] == SIGNOFFS and parts[2].endswith(".yaml"):
            signoffs.add(path)
    return missing_witnesses(repo, commit, baselines_dir, manifests, signoffs)


def folder_of(baseline: Baseline) -> str:
    return PurePosixPath(baseline.path).parent.name


def load_baselines(repo: SpecRepo, rev: str | None = None) -> list[Baseline]:
    """Every readable baseline at the working tree (or `rev`), oldest first. Broken files are left out;
    `scan_baselines` also returns the findings about them."""
    return scan_baselines(repo, rev).baselines


def load_baseline(repo: SpecRepo, name: str, rev: str | None = None) -> Baseline:
    """The baseline NAME, or an InputError (exit 3) that says which baselines exist."""
    check_baseline_name(name)
    scanned = scan_baselines(repo, rev)
    found = next((b for b in scanned.baselines if folder_of(b) == name), None)
    if found is not None:
        return found
    broken = [f for f in scanned.findings if f.path and f.path.startswith(f"{scanned.config.baselines_dir}/{name}/")]
    if broken:
        first = broken[0]
        raise InputError(f"baseline '{name}' cannot be read: {first.path}:{first.line or 1}: {first.message}")
    names = ", ".join(folder_of(b) for b in scanned.baselines) or "none yet"
    raise InputError(f"no baseline named '{name}' (baselines: {names})", hint="`reqtrace baseline list` shows them; `reqtrace baseline create NAME` makes one")


class ReadAt(NamedTuple):
    """Where a command reads the spec: what `--rev REV | --baseline NAME` named."""

    commit: str | None  # None: the working tree
    label: str  # for messages and titles: 'baseline NAME (commit …)', 'revision REV (commit …)', 'the working tree'
    baseline: Baseline | None  # the baseline --baseline named


def resolve_read_at(repo: SpecRepo, rev: str | None, baseline: str | None) -> ReadAt:
    """The commit, label and baseline that `--rev REV` or `--baseline NAME` name (neither: the
    working tree). A UsageError (exit 2) for both; InputError/RevisionError (exit 3) for a
    baseline or revision that is not there."""
    if rev is not None and baseline is not None:
        raise UsageError("give --rev or --baseline, not both")
    if baseline is not None:
        frozen = load_baseline(repo, baseline)
        return ReadAt(frozen.commit, f"baseline {baseline} (commit {frozen.commit[:12]})", frozen)
    if rev is None or rev == WORKTREE:
        return ReadAt(None, "the working tree", None)
    commit = resolve_revision(repo, rev)
    return ReadAt(commit, f"commit {commit[:12]}" if commit.startswith(rev) else f"revision {rev} (commit {commit[:12]})", None)


def accepted_baseline(repo: SpecRepo, rev: str | None = None) -> Baseline | None:
    """The accepted baseline: the newest (by creation time) with an active customer sign-off
    meaning approved or accepted. None when no baseline has one; an InputError when a baseline
    file is missing or unreadable (`BaselineSet.accepted`).

    Signatures are not verified here (that needs ssh-keygen and a trust list);
    `reqtrace check` and `reqtrace baseline verify` do that, and fail on a forged one.
    """
    return scan_baselines(repo, rev).accepted()


def pick_accepted(baselines: list[Baseline]) -> Baseline | None:
    candidates = [b for b in baselines if b.acceptances]
    return max(candidates, key=lambda b: (b.created, b.name)) if candidates else None


def pick_first_signed(baselines: list[Baseline]) -> Baseline | None:
    """The baseline the customer signed first: the oldest (by creation time) with an active
    customer sign-off meaning approved or accepted — what was first agreed."""
    candidates = [b for b in baselines if b.acceptances]
    return min(candidates, key=lambda b: (b.created, b.name)) if candidates else None


# ------------------------------------------------ requirements at a commit


_DIGESTS: dict[int, tuple[Requirement, str]] = {}  # id -> (the requirement, kept alive; its digest)


def _digest(requirement: Requirement) -> str:
    """requirement_digest, remembered per requirement object: the parses shared by several
    baselines' commits (from the parse pack) are digested once."""
    known = _DIGESTS.get(id(requirement))
    if known is not None and known[0] is requirement:
        return known[1]
    if len(_DIGESTS) > 500_000:
        _DIGESTS.clear()
    digest = requirement_digest(requirement)
    _DIGESTS[id(requirement)] = (requirement, digest)
    return digest


def digest_entries(requirements: dict[str, Requirement], known: dict[tuple[str, str], str] | None = None) -> list[BaselineEntry]:
    """Every requirement's entry, sorted by id; `known` gives digests already computed, by (id, path)."""
    known = known or {}
    return [
        BaselineEntry(req_id, known.get((req_id, req.path)) or _digest(req), req.path)
        for req_id, req in sorted(requirements.items(), key=lambda item: item[0].encode("utf-8"))
    ]


def digests_unchanged_since_kept(repo: SpecRepo, commit: str, requirements_dir: str) -> dict[tuple[str, str], str]:
    """(id, path) -> digest for the requirements at `commit` whose file is the same at a commit
    whose digests are kept (a baseline's, after a `check` or `verify`): the same bytes at the
    same path under the same reqtrace.yaml parse to the same requirement, so its digest there
    is its digest here. Of the baselines' commits with kept digests, the one with the fewest
    changed files since is used; nothing when there is none, or reqtrace.yaml differs.
    """
    closest = _closest_kept(repo, commit, requirements_dir)
    if closest is None:
        return {}
    other, changed = closest
    return {(e.id, e.path): e.digest for e in kept_frozen_entries(repo, other) or [] if repo.git_path(e.path) not in changed}


def _closest_kept(repo: SpecRepo, commit: str, requirements_dir: str, *, gated: bool = False) -> tuple[str, dict[str, gitio.ChangedFile]] | None:
    """Of the baselines' commits whose digests are kept (and, `gated`, their freeze gate),
    the one with the fewest changed requirement files since (git path -> the change); None
    when there is none, or reqtrace.yaml differs."""
    top = repo.git_top
    if top is None:
        return None
    folders = [repo.git_path(requirements_dir), repo.git_path(CONFIG_FILE)]
    best: tuple[str, dict[str, gitio.ChangedFile]] | None = None
    for other in sorted(set(gitio.tag_commits(top, TAG_PREFIX).values())):
        entry = cachestore.entry_path(top, DIGESTS_KIND, _frozen_key(repo, other))
        if other == commit or entry is None or not entry.is_file():
            continue
        if gated:
            gate = cachestore.entry_path(top, GATE_KIND, _gate_key(repo, other))
            if gate is None or not gate.is_file():
                continue
        try:
            changed = {change.path: change for change in gitio.changed_files(top, other, commit, folders)}
        except (GitError, UnicodeDecodeError):
            continue  # a commit this clone lacks: its digests are simply not used
        if best is None or len(changed) < len(best[1]):
            best = (other, changed)
    if best is None or repo.git_path(CONFIG_FILE) in best[1]:
        return None
    return best


MANIFEST_KIND = "baseline-manifest"
DIGESTS_KIND = "baseline-digests"
# Which requirement files at a commit would stop `baseline create` there (an error, a field
# no digest covers, a link, a placeholder): kept beside the digests, for a later create.
GATE_KIND = "baseline-gate"
# The code that decides those findings, beyond the store's own stamp.
_GATE_MODULES = (*cachestore.PARSER_MODULES, "core/placeholders.py", "core/snapshot.py", "core/config.py", "baselines/baseline.py")


def _gate_key(repo: SpecRepo, commit: str) -> str:
    return f"{_frozen_key(repo, commit)}\x00{cachestore.code_fingerprint(_GATE_MODULES)}"


def _held_paths(requirements: dict[str, Requirement], findings: list[Finding]) -> list[str]:
    """The files (by path; '' for a finding without one) of what would stop a baseline: what
    create_baseline refuses, as findings of `requirements_at` and placeholders."""
    held = {f.path or "" for f in findings if f.severity == ERROR or f.code in ("unknown-field", "symlink")}
    held.update(f.path or "" for f in requirements_with_placeholders(requirements.values()))
    return sorted(held)


def keep_gate(repo: SpecRepo, commit: str, held: list[str]) -> None:
    cachestore.store(repo.git_top, GATE_KIND, _gate_key(repo, commit), {"commit": commit, "held": held})


def _kept_held(repo: SpecRepo, commit: str) -> list[str] | None:
    def read(plain: Any) -> list[str] | None:
        held = plain.get("held") if isinstance(plain, dict) and plain.get("commit") == commit else None
        return held if isinstance(held, list) and all(isinstance(path, str) for path in held) else None

    return cachestore.load(repo.git_top, GATE_KIND, _gate_key(repo, commit), read)


def _frozen_key(repo: SpecRepo, commit: str) -> str:
    """The content id of the digests at `commit` (of the spec folder within the git repository)."""
    return f"{repo.prefix}\x00{commit}"


def _frozen_of(plain: Any, commit: str, *, blobs: bool = False) -> list[BaselineEntry] | None:
    """The entries kept for `commit`: [id, digest, path] rows, with the blob id as a fourth
    value when the writer knew it (`baseline create`); `blobs` keeps those, else they are
    left out, as `frozen_entries` computes none."""
    if not (isinstance(plain, dict) and plain.get("commit") == commit and isinstance(plain.get("entries"), list)):
        return None
    rows = plain["entries"]
    if all(type(row) is list and len(row) in (3, 4) and all(type(part) is str for part in row) for row in rows):
        if blobs:
            return [BaselineEntry(row[0], row[1], row[2], 0, row[3] if len(row) == 4 else None) for row in rows]
        return [BaselineEntry(row[0], row[1], row[2]) for row in rows]
    return None


def frozen_entries(repo: SpecRepo, commit: str) -> list[BaselineEntry]:
    """`digest_entries(requirements_at(repo, commit))`: every requirement's digest at `commit`.

    A commit's files never change, so the entries are computed once per commit (and spec
    folder within the git repository) and kept (core/cachestore.py); an entry that is
    missing, damaged or not of the expected shape is computed again. An InputError when
    the requirements at `commit` cannot be read (nothing is stored then).
    """
    kept = cachestore.load(repo.git_top, DIGESTS_KIND, _frozen_key(repo, commit), lambda plain: _frozen_of(plain, commit))
    if kept is not None:
        return kept
    _config, requirements, findings = requirements_at(repo, commit)
    entries = digest_entries(requirements)
    keep_frozen_entries(repo, commit, entries)
    keep_gate(repo, commit, _held_paths(requirements, findings))
    return entries


def kept_frozen_entries(repo: SpecRepo, commit: str) -> list[BaselineEntry] | None:
    """What `frozen_entries` gives for `commit` when it is kept already; None (nothing read
    from git, nothing computed) when it is not."""
    return cachestore.load(repo.git_top, DIGESTS_KIND, _frozen_key(repo, commit), lambda plain: _frozen_of(plain, commit))


def _kept_entries_with_blobs(repo: SpecRepo, commit: str) -> list[BaselineEntry] | None:
    """`kept_frozen_entries`, each with its blob id when it was kept with it."""
    return cachestore.load(repo.git_top, DIGESTS_KIND, _frozen_key(repo, commit), lambda plain: _frozen_of(plain, commit, blobs=True))


def keep_frozen_entries(repo: SpecRepo, commit: str, entries: list[BaselineEntry]) -> None:
    """Store `entries`, computed the plain way, as what `frozen_entries` gives for `commit`
    (with their blob ids, when known: a later `create` carries them)."""
    rows = [[entry.id, entry.digest, entry.path] if entry.blob is None else [entry.id, entry.digest, entry.path, entry.blob] for entry in entries]
    cachestore.store(repo.git_top, DIGESTS_KIND, _frozen_key(repo, commit), {"commit": commit, "entries": rows})


# --------------------------------------------------------------- creating


@dataclass(frozen=True)
class Created:
    baseline: Baseline
    manifest_path: Path
    committed: str | None  # the commit holding the manifest, or None with --no-commit


def _need_git(repo: SpecRepo) -> Path:
    if repo.git_top is None:
        raise InputError(
            f"{repo.root} is not in a git repository; a baseline freezes a commit and tags it",
            hint="run `git init`, commit the spec, then create the baseline",
        )
    return repo.git_top


def _manifest_data(name: str, commit: str, created: str, created_by: str, message: str | None, root: str, tag: str, tag_object: str, entries: list[BaselineEntry],
                   files: tuple[str, str] | None = None) -> dict[str, Any]:
    """The manifest's content; `files` is (object format, files digest) when every entry names its blob."""
    data: dict[str, Any] = {
        "format": MANIFEST_FORMAT if files else MANIFEST_FORMAT_DIGESTS_ONLY,
        "name": name,
        "commit": commit,
        "created": created,
        "created_by": created_by,
    }
    if message:
        data["message"] = message
    data.update(
        {
            "algorithm": ALGORITHM,
            "root_digest": root,
            **({"object_format": files[0], "files_digest": files[1]} if files else {}),
            "tag": {"name": tag, "object": tag_object},
            "requirements": [{"id": e.id, "digest": e.digest, "path": e.path, **({"blob": e.blob} if files else {})} for e in entries],
        }
    )
    return data


def manifest_text(data: dict[str, Any], rows: list[dict[str, str]], header: str) -> str:
    """`dump_yaml_rows(data, "requirements", rows, header=header)`, byte for byte, with each row
    that `_MANIFEST_ROW` reads back as its own texts written by one format string.

    dump_yaml_rows checks every key and value of every row (0.4 s at 100,000 rows); a row
    this module's own reader matches is one it would write the same way. Any other row, and
    the manifest's head, go through dump_yaml_rows."""
    if not rows or any(list(row) != list(_ROW_KEYS[: len(row)]) or len(row) not in (3, 4) for row in rows):
        return dump_yaml_rows(data, "requirements", rows, header=header)
    texts = [
        f"- id: {row['id']}\n  digest: {row['digest']}\n  path: {row['path']}\n" + (f"  blob: {row['blob']}\n" if "blob" in row else "")
        for row in rows
    ]
    block = "".join(texts)
    position, match_row = 0, _MANIFEST_ROW.match
    for row, written in zip(rows, texts, strict=True):
        matched = match_row(block, position)
        if matched is None or matched.end() != position + len(written) or (len(row["id"]) < 6 and row["id"].lower() in _NOT_TEXT) or (len(row["path"]) < 6 and row["path"].lower() in _NOT_TEXT):
            return dump_yaml_rows(data, "requirements", rows, header=header)
        position = matched.end()
    first = dump_yaml_rows(data, "requirements", rows[:1], header=header)
    if not first.endswith("\nrequirements:\n" + texts[0]):  # pragma: no cover - dump_yaml_rows wrote the row otherwise
        return dump_yaml_rows(data, "requirements", rows, header=header)
    return first + block[len(texts[0]):]


_ROW_KEYS = ("id", "digest", "path", "blob")


def object_format_of(commit: str) -> str:
    """git's object format, told by the length of an object id."""
    return "sha256" if len(commit) == 64 else "sha1"


def with_blobs(repo: SpecRepo, commit: str, entries: list[BaselineEntry]) -> list[BaselineEntry]:
    """`entries` with each file's blob id at `commit`: one `ls-tree` of the folder that holds them."""
    top = _need_git(repo)
    # The folder common to all is the one common to the first and last path in text order.
    paths = [entry.path for entry in entries]
    folder = posixpath.commonpath([posixpath.dirname(min(paths)), posixpath.dirname(max(paths))]) if paths else ""
    under = repo.git_path(folder)
    listed = gitio.list_tree(top, commit, [under] if under else [], sizes=False)
    prefix = repo.prefix
    cut = len(prefix)
    blobs = {entry.path[cut:]: entry.oid for entry in listed if entry.mode != "120000" and entry.path.startswith(prefix)}
    missing = [entry.path for entry in entries if entry.path not in blobs]
    if missing:  # pragma: no cover - the entries were just read from these files
        raise InputError(f"{missing[0]} is not a file at commit {commit[:12]}")
    return [entry if entry.blob == blobs[entry.path] else BaselineEntry(entry.id, entry.digest, entry.path, entry.line, blobs[entry.path]) for entry in entries]


def tag_message(name: str, message: str | None, root: str, count: int) -> str:
    parts = [f"reqtrace baseline {name}", ""]
    if message:
        parts += [message.strip(), ""]
    parts += [f"algorithm: {ALGORITHM}", f"root-digest: {root}", f"requirements: {count}"]
    return "\n".join(parts) + "\n"


def _entries_read(repo: SpecRepo, frozen: str, config: Config) -> list[BaselineEntry]:
    """Every requirement's entry at `frozen`, all requirement files read; GateFailed (or an
    InputError) when something there must not be frozen."""
    frozen_config, requirements, findings = requirements_at(repo, frozen, keep_parses=True)
    errors = [f for f in findings if f.severity == ERROR]
    if errors:
        first = errors[0]
        raise GateFailed(
            f"the requirements at {frozen[:12]} have {len(errors)} error(s), e.g. {first.path}:{first.line or 1}: {first.message}",
            hint=f"a baseline must not freeze broken files: fix them (`reqtrace check --rev {frozen[:12]}`) and commit",
        )
    # A field the digest ignores is in the signed files but under no signature: pack verify
    # refuses it, so freezing it would make every pack of this baseline fail. Refuse it here.
    unsigned = [f for f in findings if f.code == "unknown-field"]
    if unsigned:
        first = unsigned[0]
        raise GateFailed(
            f"the requirements at {frozen[:12]} have {len(unsigned)} field(s) no digest covers, e.g. {first.path}:{first.line or 1}: {first.message}",
            hint="a signature must cover everything it freezes: rename each such field to x-NAME (custom fields are digested) or remove it, and commit",
        )
    # A linked requirement file is not read (a link is never followed): freezing without it
    # would sign a scope that leaves it out, so a link stops the baseline, wherever it points.
    links = [f for f in findings if f.code == "symlink"]
    if links:
        first = links[0]
        raise GateFailed(
            f"the requirements at {frozen[:12]} have {len(links)} symbolic link(s) in place of requirement files, e.g. {first.path}: {first.message}",
            hint="a baseline freezes real files: commit the file itself in place of each link",
        )
    unwritten = requirements_with_placeholders(requirements.values())
    if unwritten:
        first = unwritten[0]
        raise GateFailed(
            f"the requirements at {frozen[:12]} still hold {len(unwritten)} template text(s) nobody replaced, e.g. {first.path}:{first.line or 1}: {first.message}",
            hint="a baseline is what the customer signs: write the real text (`reqtrace check` lists every placeholder), and commit",
        )
    if not requirements:
        raise InputError(f"there are no requirements at {frozen[:12]} to freeze", hint=f"add requirement files under {config.requirements_dir}/ and commit them")
    # Most files are unchanged since the last baseline, whose digests a `check` kept.
    return digest_entries(requirements, digests_unchanged_since_kept(repo, frozen, frozen_config.requirements_dir))


def _entries_from_kept(repo: SpecRepo, frozen: str, config: Config, config_findings: list[Finding]) -> list[BaselineEntry] | None:
    """The entries at `frozen` from a baseline commit's kept digests and freeze gate, reading
    only the requirement files changed since; None (the caller reads every file) unless all
    of it is sure to pass the gate: nothing held among the unchanged files, and the changed
    ones parse with no finding that stops a baseline and no id that another file has.
    `config` is the frozen commit's own reqtrace.yaml (with --rev it may differ from the
    working tree's), with what is wrong in it; the closest commit has the same file."""
    try:
        closest = _closest_kept(repo, frozen, config.requirements_dir, gated=True)
        if closest is None:
            return None
        other, changed = closest
        held, kept = _kept_held(repo, other), _kept_entries_with_blobs(repo, other)
        if held is None or kept is None or any(repo.git_path(path) not in changed for path in held):
            return None
        return _carried_and_read(repo, frozen, config, config_findings, kept, changed)
    except (GitError, InputError, UnicodeDecodeError):
        return None


# Whether a baseline's manifest entries may stand for the digests at its commit: given by the
# caller (`baselines/verify.py`'s `vouched_entries`, which this module cannot import).
Vouched = Callable[[SpecRepo, Baseline], "list[BaselineEntry] | None"]


def _entries_from_manifest(repo: SpecRepo, frozen: str, config: Config, config_findings: list[Finding], vouched: Vouched) -> list[BaselineEntry] | None:
    """`_entries_from_kept` with a baseline's own manifest in place of kept digests, for a clone
    where no `create`, `sign` or `verify --deep` kept any (a fresh clone; `check` verifies
    format 2 manifests by blob ids and keeps none): of the format 2 baselines, the one with the
    fewest requirement files changed since its commit, if `vouched` gives its entries. Its
    unchanged files passed the freeze gate when it was made; the changed ones are read.

    The baselines are found by their tags and compared by `diff-tree` first; only the chosen
    one's manifest is read (a manifest lists every requirement: reading each costs more than
    the comparisons)."""
    try:
        top = _need_git(repo)
        folders = [repo.git_path(config.requirements_dir), repo.git_path(CONFIG_FILE)]
        compared: dict[str, dict[str, gitio.ChangedFile]] = {}
        candidates: list[tuple[int, str, str]] = []  # (files changed since, name, commit)
        for name, commit in sorted(gitio.tag_commits(top, TAG_PREFIX).items()):
            if commit == frozen:
                continue
            if commit not in compared:
                compared[commit] = {change.path: change for change in gitio.changed_files(top, commit, frozen, folders)}
            if repo.git_path(CONFIG_FILE) not in compared[commit]:
                candidates.append((len(compared[commit]), name, commit))
        for _count, name, commit in sorted(candidates):
            baseline = _baseline_in_worktree(repo, name)
            if baseline is None or baseline.commit != commit:
                continue  # retired, on another branch, or unreadable: not one to carry from
            if baseline.files_digest is None:
                continue  # format 1: its entries name no blob
            entries = vouched(repo, baseline)
            return None if entries is None else _carried_and_read(repo, frozen, config, config_findings, entries, compared[commit])
        return None
    except (GitError, InputError, UnicodeDecodeError):
        return None


def _baseline_in_worktree(repo: SpecRepo, name: str) -> Baseline | None:
    """Baseline `name` as the working tree holds it (manifest and sign-offs), or None when
    its folder is missing or anything in it is unreadable."""
    if not _NAME.fullmatch(name):
        return None  # a tag name that names no folder of one level
    scanned = scan_baselines(repo, only=name)
    if scanned.findings:
        return None
    return next((b for b in scanned.baselines if folder_of(b) == name), None)


def _carried_and_read(repo: SpecRepo, frozen: str, config: Config, config_findings: list[Finding], known: list[BaselineEntry],
                      changed: dict[str, gitio.ChangedFile]) -> list[BaselineEntry] | None:
    """The entries at `frozen`: `known`'s for the files not in `changed` (git path -> the
    change since `known`'s commit), the changed files read, each with its blob id at `frozen`;
    None when a changed file (or reqtrace.yaml, as every reading reports it) would stop a
    baseline, or a changed file holds an id a carried entry has."""
    # An unchanged file's blob id is the same at both commits: the known entries keep theirs.
    carried = [entry for entry in known if repo.git_path(entry.path) not in changed]
    read = _read_changed(repo, frozen, config, [change for change in changed.values() if change.status != "D"])
    requirements = read.requirements
    if _held_paths(requirements, [*config_findings, *read.findings]) or any(entry.id in requirements for entry in carried):
        return None
    read_entries = [replace(entry, blob=changed[repo.git_path(entry.path)].oid) for entry in digest_entries(requirements)]
    entries = carried + read_entries
    if not entries:
        return None
    return sorted(entries, key=lambda entry: entry.id.encode("utf-8"))


def _read_changed(repo: SpecRepo, frozen: str, config: Config, changes: list[gitio.ChangedFile]) -> Snapshot:
    """The changed files at `frozen`, as `read_named_items` reads them, from what `diff-tree`
    said of them (blob ids, links): no tree is listed."""
    prefix = repo.prefix
    sources = [SourceFile(change.path[len(prefix):], gitio.UNKNOWN_SIZE, change.oid, "" if change.is_symlink else None)
               for change in changes if change.path.startswith(prefix) and change.mode != _SUBMODULE]
    return read_listed_items(repo, config, frozen, sources)


_SUBMODULE = "160000"  # a commit in a tree: no file to read (`ls-tree` listings leave them out too)


def create_baseline(repo: SpecRepo, name: str, *, rev: str | None = None, message: str | None = None, commit: bool = True,
                    vouched: Vouched | None = None) -> Created:
    """Freeze the requirements at `rev` (default HEAD) as baseline NAME: tag, manifest, and (unless
    `commit` is false) a commit of the manifest. Refuses a taken name and uncommitted spec changes.

    The digests of files unchanged since a baseline commit whose digests are kept are not
    computed again; with `vouched`, nor those unchanged since a format 2 baseline it vouches for.
    With REQTRACE_NO_CACHE every file is read and digested, nothing is kept, and `git commit`
    commits the manifest: the plain computation the others are tested against."""
    check_baseline_name(name)
    plain = cachestore.nothing_kept()
    top = _need_git(repo)
    if message is not None and not message.strip():
        message = None
    config, _ = parse_config((repo.root / CONFIG_FILE).read_bytes())
    tag = TAG_PREFIX + name
    folder = inside(repo.root, f"{config.baselines_dir}/{name}")
    if gitio.tag_info(top, tag) is not None:
        raise InputError(f"baseline '{name}' already exists (tag {tag}); a baseline is never changed", hint="choose another name, e.g. with a version suffix")
    if folder.exists():
        raise InputError(f"baseline '{name}' already exists ({folder.relative_to(repo.root).as_posix()}/); a baseline is never changed", hint="choose another name")
    if rev is None:
        frozen = gitio.head_commit(top)
        if frozen is None:
            raise InputError("the repository has no commit yet", hint="commit the requirements first")
        changed = gitio.changed_in_worktree(top, [repo.git_path(config.requirements_dir), repo.git_path(CONFIG_FILE)])
        if changed:
            shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
            raise InputError(
                f"uncommitted changes to the requirements ({shown}); a baseline freezes a commit, not the working tree",
                hint="commit them first, or name the commit to freeze with --rev (e.g. --rev HEAD)",
            )
    else:
        frozen = resolve_revision(repo, rev)
    entries = None
    if not plain:
        # The frozen commit's own reqtrace.yaml names its requirements folder (with --rev it
        # may differ from the working tree's); a commit carried from has the same file.
        frozen_config, config_findings = parse_config(Reader(repo, frozen).read_config())
        entries = _entries_from_kept(repo, frozen, frozen_config, config_findings)
        if entries is None and vouched is not None:
            entries = _entries_from_manifest(repo, frozen, frozen_config, config_findings, vouched)
    if entries is None:
        entries = _entries_read(repo, frozen, config)
    keep_frozen_entries(repo, frozen, entries)  # `sign` and every later `verify` need them
    keep_gate(repo, frozen, [])  # it passed
    if any(entry.blob is None for entry in entries):  # carried from a format 2 manifest: all known
        entries = with_blobs(repo, frozen, entries)
    object_format = object_format_of(frozen)
    files = files_digest(object_format, entries)
    root = root_digest((e.id, e.digest) for e in entries)
    created = utc_now()
    created_by = gitio.identity(top)
    tag_object = gitio.create_annotated_tag(top, tag, frozen, tag_message(name, message, root, len(entries)))
    manifest_path = folder / MANIFEST
    data = _manifest_data(name, frozen, created, created_by, message, root, tag, tag_object, entries, (object_format, files))
    header = f"reqtrace baseline manifest, written by `reqtrace baseline create {name}`. Never edit it:\n`reqtrace baseline verify {name}` checks every file and digest against the commit below."
    try:
        rows = data.pop("requirements")  # the last key: written directly, 10,000 rows in a few ms
        text = dump_yaml_rows(data, "requirements", rows, header=header) if plain else manifest_text(data, rows, header)
        atomic_write(manifest_path, text, exclusive=True)
    except BaseException:
        gitio.delete_tag(top, tag)  # our own tag of a moment ago: no baseline, no tag
        raise
    relative = manifest_path.relative_to(repo.root).as_posix()
    committed = None
    if commit:
        try:
            committed = gitio.commit_file(
                top,
                repo.git_path(relative),
                f"Baseline {name}: freeze {len(entries)} requirements at {frozen[:12]}\n\n"
                + (f"{message.strip()}\n\n" if message else "")
                + f"root digest: {root}\ntag: {tag}\n",
                plain=plain,
            )
        except GitError as error:
            raise GitError(
                f"baseline '{name}' was made (tag {tag}, {relative}) but committing the manifest failed: {error.message}",
                hint=f"fix the cause (e.g. a commit hook), then `git add {relative} && git commit`",
            ) from None
    baseline = Baseline(
        name=name, path=relative, commit=frozen, created=created, created_by=created_by, algorithm=ALGORITHM,
        root_digest=root, tag=tag, tag_object=tag_object, requirements=tuple(entries), message=message,
        object_format=object_format, files_digest=files,
    )
    return Created(baseline, manifest_path, committed)


def missing_history(repo: SpecRepo, what: str) -> RevisionError:
    """The error for a baseline tag or commit missing from a shallow clone."""
    return RevisionError(
        f"{what} is not in this clone, which is shallow: the baseline cannot be verified",
        hint="fetch the history and tags: `git fetch --unshallow --tags` (GitHub Actions: set `fetch-depth: 0` on actions/checkout)",
    )
