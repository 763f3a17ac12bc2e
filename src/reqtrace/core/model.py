"""The data reqtrace works on: plain, frozen values with no I/O."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from reqtrace.core.people import People

# The version of every JSON document reqtrace writes: `--format json` output and the
# JSON members of a pack. One number, so that a renamed key is announced once for all
# (2: one vocabulary across commands, docs/format.md "JSON output").
SCHEMA_VERSION = 2

ERROR = "error"
WARNING = "warning"

DECISION_STATUSES = ("pending", "approved", "rejected")


@dataclass(frozen=True)
class Finding:
    """One problem in a spec repo, as `reqtrace check` reports it."""

    code: str
    severity: str  # ERROR or WARNING
    message: str
    path: str | None = None
    line: int | None = None
    id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "path": self.path,
            "line": self.line,
            "id": self.id,
            "message": self.message,
        }


class FindingTally:
    """The verdict of a list of findings, for any report that holds one (a check run, a kept one)."""

    findings: list[Finding]

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == WARNING)

    @property
    def ok(self) -> bool:
        return self.errors == 0


@dataclass(frozen=True)
class Requirement:
    id: str
    title: str
    statement: str
    path: str
    line: int = 1
    acceptance: tuple[str, ...] = ()
    priority: str | None = None
    status: str | None = None
    parents: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    owner: str | None = None
    rationale: str | None = None
    extra: tuple[tuple[str, Any], ...] = ()  # the team's own `x-` attributes, sorted by key
    # Where it stands in its document (see core/structure.py) and the identity that survives an
    # id rename. Not part of fields(): placement and identity are not meaning, so a pure
    # reorder changes neither the digest nor a baseline (docs/digest.md).
    section: str | None = None
    order: float | None = None  # an int or a float, as written
    mid: str | None = None
    # Review stamps of the parent links: (parent id, that parent's digest when the link was
    # last reviewed), sorted. Not part of fields(): a stamp records a review, not meaning,
    # so it changes neither this requirement's digest nor a baseline.
    reviewed: tuple[tuple[str, str], ...] = ()
    lines: tuple[tuple[str, int], ...] = field(default=(), compare=False)  # field -> line

    kind = "requirement"

    def fields(self) -> dict[str, Any]:
        """The requirement's meaning as plain data, in the documented field order."""
        data: dict[str, Any] = {"id": self.id, "title": self.title, "statement": self.statement}
        for name in ("acceptance", "priority", "status", "parents", "sources", "tags", "owner", "rationale"):
            value = getattr(self, name)
            if value not in (None, ()):
                data[name] = list(value) if isinstance(value, tuple) else value
        for key, value in self.extra:
            data[key] = value
        return data

    def line_of(self, name: str) -> int:
        return dict(self.lines).get(name, self.line)


@dataclass(frozen=True)
class Decision:
    status: str
    as_: str | None = None
    by: str | None = None
    on: str | None = None
    in_: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Triage:
    classification: str
    confidence: float | None = None
    reasons: tuple[str, ...] = ()
    baseline: str | None = None
    matches: tuple[str, ...] = ()
    diverges: bool | None = None
    by: str | None = None
    on: str | None = None


@dataclass(frozen=True)
class Request:
    id: str
    received: str
    title: str
    path: str
    line: int = 1
    text: str = ""
    from_: str | None = None
    channel: str | None = None
    refs: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    claimed: str | None = None
    affects: tuple[str, ...] = ()
    triage: Triage | None = None
    decision: Decision | None = None
    lines: tuple[tuple[str, int], ...] = field(default=(), compare=False)

    kind = "request"

    @property
    def date(self) -> str:
        return self.received

    def line_of(self, name: str) -> int:
        return dict(self.lines).get(name, self.line)


@dataclass(frozen=True)
class MeetingDecision:
    text: str
    refs: tuple[str, ...] = ()
    approves: tuple[str, ...] = ()
    rejects: tuple[str, ...] = ()
    line: int = 1


@dataclass(frozen=True)
class Meeting:
    id: str
    date: str
    title: str
    path: str
    line: int = 1
    attendees: tuple[str, ...] = ()
    refs: tuple[str, ...] = ()
    decisions: tuple[MeetingDecision, ...] = ()
    body: str = ""
    lines: tuple[tuple[str, int], ...] = field(default=(), compare=False)

    kind = "meeting"

    def line_of(self, name: str) -> int:
        return dict(self.lines).get(name, self.line)


@dataclass(frozen=True)
class Attachment:
    """A file attached to an email: listed, hashed, never written out under its own name."""

    name: str
    type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Email:
    """An ingested message: its sidecar `records/emails/<file>.yaml`, beside the message file."""

    id: str
    path: str  # the sidecar
    message: str  # the stored message file, relative to the spec root
    line: int = 1
    message_id: str | None = None
    date: str | None = None
    from_: str | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    subject: str | None = None
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    thread: tuple[str, ...] = ()  # ids of the ingested mails it replies to
    attachments: tuple[Attachment, ...] = ()
    refs: tuple[str, ...] = ()
    lines: tuple[tuple[str, int], ...] = field(default=(), compare=False)

    kind = "email"

    @property
    def title(self) -> str:
        return self.subject or "(no subject)"

    def line_of(self, name: str) -> int:
        return dict(self.lines).get(name, self.line)


@dataclass(frozen=True)
class Document:
    """A file under `records/documents/` (a signed contract, a scanned letter) and its sidecar."""

    id: str
    title: str
    path: str  # the sidecar
    file: str  # the document itself, relative to the spec root
    line: int = 1
    date: str | None = None
    sha256: str | None = None
    refs: tuple[str, ...] = ()
    lines: tuple[tuple[str, int], ...] = field(default=(), compare=False)

    kind = "document"

    def line_of(self, name: str) -> int:
        return dict(self.lines).get(name, self.line)


@dataclass(frozen=True)
class SpecDocument:
    """A `_document.yaml`: the document its folder holds, as written (core/structure.py builds the outline).

    `sections` is plain nested data, so that a parse can be cached as it is: each section is
    (id, title, line, texts, sections), each text (order or None, text, line).
    """

    id: str
    title: str
    path: str
    line: int = 1
    parent: str | None = None
    sections: tuple[Any, ...] = ()
    texts: tuple[Any, ...] = ()  # the top level's prose nodes, each (order or None, text, line)
    extra: tuple[tuple[str, Any], ...] = ()  # `x-` attributes, sorted by key
    lines: tuple[tuple[str, int], ...] = field(default=(), compare=False)

    kind = "spec-document"

    @property
    def folder(self) -> str:
        return self.path.rpartition("/")[0]

    def line_of(self, name: str) -> int:
        return dict(self.lines).get(name, self.line)


@dataclass(frozen=True)
class Config:
    project: str
    customer: str | None = None
    requirements_dir: str = "specs"
    records_dir: str = "records"
    baselines_dir: str = "baselines"
    id_pattern: str = r"^[A-Z][A-Z0-9]*-[0-9]+$"
    drift: str | None = None
    people: People = People()
    suspect_links: str | None = None  # warn (default), error or off: how check treats a suspect link
    tests_required_for: tuple[str, ...] = ()  # baselines whose requirements need passing tests
    # Where reqtrace.yaml sets each of paths.requirements/records/baselines (key -> line);
    # a key the file does not set is absent and its folder is the default.
    path_lines: tuple[tuple[str, int], ...] = field(default=(), compare=False)
    # Why paths.requirements cannot be used (requirements_dir then holds the default):
    # loading stops on it, since a check that reads no requirements must not pass.
    requirements_problem: str | None = field(default=None, compare=False)

    def path_line(self, key: str) -> int | None:
        return dict(self.path_lines).get(key)

    @property
    def requests_dir(self) -> str:
        return f"{self.records_dir}/requests"

    @property
    def meetings_dir(self) -> str:
        return f"{self.records_dir}/meetings"

    @property
    def emails_dir(self) -> str:
        return f"{self.records_dir}/emails"

    @property
    def documents_dir(self) -> str:
        return f"{self.records_dir}/documents"


_ITEMS_OF_KIND = {"requirement": "requirements", "request": "requests", "meeting": "meetings", "email": "emails", "document": "documents"}


@dataclass
class Snapshot:
    """Everything read from a spec repo at one point: the working tree or a commit."""

    config: Config
    commit: str | None  # None for the working tree
    requirements: dict[str, Requirement] = field(default_factory=dict)
    requests: dict[str, Request] = field(default_factory=dict)
    meetings: dict[str, Meeting] = field(default_factory=dict)
    emails: dict[str, Email] = field(default_factory=dict)
    documents: dict[str, Document] = field(default_factory=dict)
    # The `_document.yaml` files under the requirements folder, by path (core/structure.py).
    spec_documents: dict[str, SpecDocument] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    # Every file that was parsed, path -> the git blob id of its bytes (also in the working tree).
    files: dict[str, str] = field(default_factory=dict)
    # Every file listed under the scanned folders, read or not (a document, a stored
    # message), path -> content id ('' in the working tree).
    present: dict[str, str] = field(default_factory=dict)
    # Reads one listed file's bytes from wherever the snapshot came from; None when the
    # snapshot was not loaded from a spec repo.
    read_bytes: Callable[[str], bytes] | None = field(default=None, compare=False, repr=False)
    # The temporary files interrupted writes left under the scanned folders, as a listing made
    # while the snapshot was read found them (check.check_stale_temp_files); None: not listed.
    temp_files: list[str] | None = field(default=None, repr=False, compare=False)
    # The SpecRepo it was read from (None when built by hand): checks that need git use it.
    repo: Any = field(default=None, repr=False, compare=False)
    # The scan of its baselines/ folder, made by the first check that needs it (baseline.baselines_of).
    scanned_baselines: Any = field(default=None, repr=False, compare=False)

    def item(self, item_id: str) -> Any | None:
        return (
            self.requirements.get(item_id)
            or self.requests.get(item_id)
            or self.meetings.get(item_id)
            or self.emails.get(item_id)
            or self.documents.get(item_id)
        )

    def items_of(self, kind: str) -> dict[str, Any]:
        """The items of one kind ('requirement', 'request', …) by id."""
        return getattr(self, _ITEMS_OF_KIND[kind])  # type: ignore[no-any-return]

    def has_baseline_files(self) -> bool:
        """Whether anything (a file, or a link reported as a finding) lies under the baselines
        folder; without, there is no baseline to verify or drift from, and the code that
        would is not even imported."""
        folder = self.config.baselines_dir + "/"
        return any(path.startswith(folder) for path in self.present) or any(
            finding.path is not None and finding.path.startswith(folder) for finding in self.findings
        )

    def record_maps(self) -> tuple[dict[str, Any], ...]:
        return (self.requests, self.meetings, self.emails, self.documents)

    def all_ids(self) -> set[str]:
        ids = set(self.requirements)
        for records in self.record_maps():
            ids.update(records)
        return ids

    @property
    def record_count(self) -> int:
        return sum(len(records) for records in self.record_maps())


# Triage and Decision keep their moment as `on` (the old field name); files name it `when`.
_RENAMED = {"from_": "from", "as_": "as", "in_": "in", "on": "when"}
_NOT_FIELDS = {"path", "line", "lines", "body", "message", "file"}


def _plain_value(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return {
            _RENAMED.get(name, name): _plain_value(getattr(value, name))
            for name in value.__dataclass_fields__
            if name not in _NOT_FIELDS and getattr(value, name) not in (None, ())
        }
    if isinstance(value, tuple):
        return [_plain_value(item) for item in value]
    return value


def item_fields(item: Any) -> dict[str, Any]:
    """An item's fields as plain data, named as in its file."""
    if isinstance(item, Requirement):
        return item.fields()
    return _plain_value(item)  # type: ignore[no-any-return]


# More digits than any real numbering reaches; int() refuses more than 4,300.
MAX_SEQUENCE_DIGITS = 18


def sequence_number(digits: str) -> int:
    """The number in an id's digits (REQ-0012 → 12), for picking the next free id.

    Ids are text from a pull request: a run longer than any real numbering (a
    100,000-digit REQ-9…9) counts as 0 instead of being converted, and the next id
    follows the others.
    """
    digits = digits.lstrip("0")
    return int(digits) if digits.isascii() and digits.isdigit() and len(digits) <= MAX_SEQUENCE_DIGITS else 0


_DIGITS = re.compile(r"(\d+)")


@lru_cache(maxsize=1 << 18)
def natural_key(text: str) -> tuple[Any, ...]:
    """REQ-2 before REQ-10: the one sort key for ids, used by every listing.

    Runs of digits compare as numbers without int(): by length once leading zeros
    are gone, then digit by digit, which is the same order for any length. An id
    is text from a pull request, and int() refuses more than 4,300 digits.
    Ids that rank alike so (REQ-01 and REQ-1, MAIL-00a3 and MAIL-0a03) follow their
    text: a total order, so a listing never depends on the order its ids came in
    (a set's changes with the string hashes, a rebuilt snapshot's with the cache).
    Remembered per id: a command sorts the same ids many times (a pack a dozen:
    documents, matrix, graph, timeline), and the key is a regex split per call.
    """
    # re.split with one group gives text, digits, text, …: the digit runs at odd places.
    parts = tuple((0, len(digits := part.lstrip("0")), digits) if index % 2 else (1, 0, part) for index, part in enumerate(_DIGITS.split(text)))
    return (parts, text)
