"""What an evidence pack holds, shared by the module that gathers and lays it out
(pack/build.py) and the one that renders its page (pack/report.py).

The members' fixed names; the contents gathered from the spec repo
(`PackContents` and the types it is made of); how an email or a document record
is shown (`email_view`, `document_view`); and `Layout`, which gives every
original file its member name and remembers where it came from. Both pack/build.py and
pack/report.py import this module, and it imports neither.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from reqtrace.baselines.baseline import (
    Baseline,
    SignOff,
    digest_entries,
    keep_frozen_entries,
    kept_frozen_entries,
)
from reqtrace.core.config import SpecRepo
from reqtrace.core.digest import requirement_digest
from reqtrace.core.model import Snapshot, item_fields
from reqtrace.core.snapshot import Reader
from reqtrace.errors import InputError
from reqtrace.io.archive import Deflated, DeterministicZip, member_name
from reqtrace.records import mail

PACK_FORMAT = "reqtrace-pack-1"

# Fixed member names; everything that comes from the repository gets member_name().
INDEX = "index.html"
PACK_JSON = "pack.json"
FILES_JSON = "data/files.json"
BASE_JSON = "data/baseline/requirements.json"
TO_JSON = "data/to/requirements.json"
DIFF_JSON = "data/diff.json"
REQUESTS_JSON = "data/records/requests.json"
MEETINGS_JSON = "data/records/meetings.json"
EMAILS_JSON = "data/records/emails.json"
DOCUMENTS_JSON = "data/records/documents.json"
GRAPH_JSON = "data/trace-graph.json"
TIMELINE_JSON = "data/timeline.json"
MANIFEST_COPY = "data/baseline/manifest.yaml"
SIGNOFFS_JSON = "data/baseline/signoffs.json"
ALLOWED_SIGNERS = "data/baseline/allowed_signers"
ATTACHMENTS_FOLDER = "data/records/attachments"

# --------------------------------------------------------------------------- data


class Digests:
    """requirement_digest, computed once per requirement object.

    The baseline's unchanged files reuse the parsed requirements of --to (see
    base_requirements), so most requirements are digested once for both sides.
    """

    def __init__(self) -> None:
        self._memo: dict[int, tuple[Any, str]] = {}
        self._kept_commits: set[str] = set()

    def __call__(self, requirement: Any) -> str:
        hit = self._memo.get(id(requirement))
        if hit is None:
            hit = self._memo[id(requirement)] = (requirement, requirement_digest(requirement))
        return hit[1]

    def of(self, snapshot: Snapshot) -> dict[str, str]:
        return {rid: self(req) for rid, req in snapshot.requirements.items()}

    def take_kept(self, repo: SpecRepo, snapshot: Snapshot) -> bool:
        """Take the digests kept for the snapshot's commit (baseline.frozen_entries: kept by
        `check`, `baseline create` and `baseline verify`) for each requirement read from the
        same file at that commit: same commit and path, same bytes, same digest. Whether
        they were kept; what is not kept is digested as before (nothing is read from git
        here: at 100,000 requirements a second reading of a commit costs more than the
        digests it saves)."""
        if snapshot.commit is None or repo.git_top is None:
            return False
        entries = kept_frozen_entries(repo, snapshot.commit)
        if entries is None:
            return False
        requirements = snapshot.requirements
        for entry in entries:
            requirement = requirements.get(entry.id)
            if requirement is not None and requirement.path == entry.path and id(requirement) not in self._memo:
                self._memo[id(requirement)] = (requirement, entry.digest)
        self._kept_commits.add(snapshot.commit)
        return True

    def keep_all(self, repo: SpecRepo, snapshot: Snapshot) -> None:
        """Keep the digests of every requirement of `snapshot`, when none are kept for its commit
        yet, as what `frozen_entries` gives for that commit — so that the baseline's own check,
        this build's and the next's read them instead of digesting them all again.

        Only for a snapshot read as `frozen_entries` reads a commit: its requirements alone,
        by read_items' rules (pack/build.base_requirements), so the entries are the same."""
        commit = snapshot.commit
        if commit is None or repo.git_top is None or commit in self._kept_commits:
            return
        computed = {(rid, req.path): self(req) for rid, req in snapshot.requirements.items()}
        keep_frozen_entries(repo, commit, digest_entries(snapshot.requirements, computed))
        self._kept_commits.add(commit)

    def kept_at(self, commit: str) -> bool:
        """Whether the digests at `commit` were kept (take_kept found them)."""
        return commit in self._kept_commits



MAX_SOURCE_BYTES = 256 * 1024 * 1024  # a record larger than this is not evidence anyone can read


class Originals:
    """The original files under some folders at a commit (None: the working tree): listed at
    once, their bytes read only when asked for, a batch at a time.

    Not through Reader.read, which stops at the 1 MiB limit of spec files: a pack carries
    records as they are (a scanned contract, a mail with attachments). Most files a pack
    carries need not be read at all: their members are kept by blob id
    (pack/kept_members.py). `blobs` ({blob id: bytes}), shared by the two sides, holds
    the blobs read already: a file unchanged between the baseline and --to is read from
    git once."""

    def __init__(self, repo: SpecRepo, commit: str | None, folders: Iterable[str], blobs: dict[str, bytes] | None = None) -> None:
        self._reader = Reader(repo, commit)
        self.commit = commit
        self.sources = {s.path: s for s in self._reader.list_files(folders) if s.symlink_target is None}
        for source in self.sources.values():
            if source.size > MAX_SOURCE_BYTES:
                raise InputError(f"{source.path} is {source.size:,} bytes; a pack holds files up to {MAX_SOURCE_BYTES:,} bytes")
        self._blobs = blobs if blobs is not None and commit is not None else {}
        self._read: dict[str, bytes] = {}  # path -> bytes, in the working tree

    def __contains__(self, path: object) -> bool:
        return path in self.sources

    def paths(self) -> list[str]:
        return sorted(self.sources)

    def oid(self, path: str) -> str | None:
        """The file's git blob id (None in the working tree, or when not listed)."""
        source = self.sources.get(path)
        return source.oid if source is not None else None

    def read(self, paths: Iterable[str]) -> dict[str, bytes]:
        """{path: bytes} of the listed files among `paths`, as git stores them."""
        wanted = [self.sources[path] for path in paths if path in self.sources]
        if self.commit is None:
            unread = [source for source in wanted if source.path not in self._read]
            self._read.update(self._reader.read_stored(unread))
            return {source.path: self._read[source.path] for source in wanted if source.path in self._read}
        unread = list({source.oid: source for source in wanted if source.oid and source.oid not in self._blobs}.values())
        found = self._reader.read_stored(unread)
        self._blobs.update((source.oid, found[source.path]) for source in unread if source.oid and source.path in found)
        return {source.path: self._blobs[source.oid] for source in wanted if source.oid in self._blobs}

    def get(self, path: str) -> bytes | None:
        return self.read([path]).get(path)

    def under(self, folder: str) -> dict[str, bytes]:
        """{path: bytes} of every file under `folder`, in path order."""
        prefix = folder.rstrip("/") + "/"
        return self.read(path for path in self.paths() if path.startswith(prefix))

    def forget(self) -> None:
        """Let the bytes read go (at 100,000 requirements, 100 MB and more), and the listing
        (160,000 tree entries): for once every file is laid out, when nothing asks again."""
        self._blobs.clear()
        self._read.clear()
        self.sources = {}


@dataclass(frozen=True)
class PackedSignOff:
    """One of the baseline's sign-offs as a pack carries it: the `baseline.SignOff` itself
    (signer, meaning, time, method, role, statement, signature, evidence path and hash),
    plus the bytes that let `pack verify` check it again without git, and what checking it
    at build time found."""

    signoff: SignOff
    raw: bytes  # the sign-off file's bytes, as committed
    evidence: bytes | None = None  # the bytes of the evidence file the sign-off names
    revoked: str | None = None  # the reason, when a later file revokes this sign-off
    status: str = "unverified"  # at build time: valid | invalid | revoked | recorded | unverified
    detail: str = ""

    @property
    def principal(self) -> str | None:
        """The allowed-signers principal (the signer's email)."""
        return self.signoff.email or None

    @property
    def evidence_path(self) -> str | None:
        return self.signoff.evidence.path if self.signoff.evidence else None

    @property
    def evidence_sha256(self) -> str | None:
        """The evidence's hash, as the sign-off recorded it."""
        return self.signoff.evidence.sha256 if self.signoff.evidence else None


@dataclass
class PackedBaseline:
    """The baseline a pack is built from: the `baseline.Baseline` itself (a plain revision
    is one that froze that commit and that no one signed), plus only what a pack adds: the
    bytes of its files, what verifying it found, and the project's delivery date."""

    baseline: Baseline
    # The commit the name resolves to, where the pack read the baseline's requirements:
    # baseline.commit, unless the manifest lies about it (then `problems` says so).
    commit: str
    manifest: bytes | None = None  # manifest.yaml's bytes; None for a plain revision
    signoffs: list[PackedSignOff] = field(default_factory=list)  # each of baseline.signoffs, as checked
    allowed_signers: bytes | None = None
    # The project's delivery date: this baseline's, or the accepted baseline's when this one
    # was not delivered itself (a contract baseline); delivery_from then names that one.
    delivery_date: str | None = None
    delivery_from: str | None = None
    problems: list[str] = field(default_factory=list)
    revocations: dict[str, bytes] = field(default_factory=dict)  # revocation files, path -> bytes

    @property
    def name(self) -> str:
        return self.baseline.name

    @property
    def created(self) -> str | None:
        return self.baseline.created or None

    @cached_property
    def digests(self) -> dict[str, str]:
        """Requirement id -> digest, as the manifest lists them (read once: looked up per requirement)."""
        return self.baseline.digests()


class MadeAsWalked:
    """`count` items made one at a time each time they are walked, and let go after: a
    section of the page or a list of a data document, written as it is made. At 100,000
    requirements the cards' views or a requirements document's rows are hundreds of MB at once."""

    def __init__(self, count: int, make: Callable[[], Iterator[Any]]) -> None:
        self._count, self._make = count, make

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Any]:
        return self._make()


# A pack holds a node per item, an edge per link and an event per dated record: 400,000 of
# them at 100,000 requirements. With slots each is a third smaller (no __dict__); `plain`
# gives the dict `vars()` gave.
@dataclass(frozen=True, slots=True)
class GraphNode:
    id: str
    kind: str  # requirement | request | meeting | email | document | baseline
    label: str
    date: str | None = None


@dataclass(frozen=True, slots=True)
class GraphEdge:
    source: str
    target: str
    type: str  # parent | source | refs | affects | decides | thread | in-baseline
    detail: str | None = None  # approved / rejected for `decides`


def plain(value: GraphNode | GraphEdge | Event) -> dict[str, Any]:
    """The fields of a node, an edge or an event as a dict, in their order (what `vars()` gave
    before they had slots)."""
    return {name: getattr(value, name) for name in value.__slots__}


@dataclass
class TraceGraph:
    nodes: dict[str, GraphNode]
    edges: list[GraphEdge]


@dataclass(frozen=True, slots=True)
class Event:
    date: str
    id: str
    kind: str
    relation: str
    summary: str


@dataclass
class PackContents:
    repo: SpecRepo
    baseline: PackedBaseline
    base: Snapshot  # the requirements at the baseline's commit
    to: Snapshot  # everything at --to
    to_ref: str
    diff: dict[str, Any]  # `reqtrace diff --format json`, from the baseline to --to
    changes: list[dict[str, Any]]  # its changes, unapproved first
    triage: dict[str, dict[str, Any]]
    graph: TraceGraph
    timeline: list[Event]
    base_files: Originals  # the spec files at the baseline
    to_files: Originals  # the spec, record and baseline files at --to
    built_at: dt.datetime
    built_from: str  # what fixed the build time: SOURCE_DATE_EPOCH or a commit date
    digest: Digests = field(default_factory=Digests)
    # The story since the customer first signed (status.story_summary): (since, accepted later).
    story: tuple[dict[str, Any] | None, dict[str, Any] | None] = (None, None)
    chart: dict[str, Any] | None = None  # status_chart.chart_model of the spec repo at --to
    # requirement id -> its test evidence on the signed content (gather_tests)
    tests: dict[str, dict[str, Any]] = field(default_factory=dict)



def date_key(date: str | None) -> str:
    """The day part of a date or moment (YYYY-MM-DD), '' for none: dates compare as text."""
    return (date or "")[:10]


def email_view(item: Any) -> dict[str, Any]:
    """An email record as the report shows it (issue 5 defines the item). ADAPTER."""
    return {
        "id": item.id,
        "date": str(getattr(item, "date", "") or ""),
        "from": str(getattr(item, "from_", None) or getattr(item, "sender", None) or ""),
        "to": list(getattr(item, "to", ()) or ()),
        "subject": str(getattr(item, "subject", "") or ""),
        "refs": list(getattr(item, "refs", ()) or ()),
        "thread": list(getattr(item, "thread", ()) or ()),
        "path": str(getattr(item, "path", "")),
        "message": str(getattr(item, "message_path", None) or getattr(item, "message", None) or ""),
        "attachments": [a if isinstance(a, dict) else item_fields(a) for a in getattr(item, "attachments", ()) or ()],
    }


def document_view(item: Any) -> dict[str, Any]:
    """A document record as the report shows it (issue 5 defines the item). ADAPTER."""
    return {
        "id": item.id,
        "date": str(getattr(item, "date", "") or ""),
        "title": str(getattr(item, "title", "") or ""),
        "sha256": str(getattr(item, "sha256", "") or ""),
        "refs": list(getattr(item, "refs", ()) or ()),
        "path": str(getattr(item, "path", "")),
        "file": str(getattr(item, "file_path", None) or getattr(item, "file", None) or ""),
    }


_MAY_HAVE_ATTACHMENTS = re.compile(rb"(?im)^content-(?:type:\s*multipart|disposition:\s*attachment)|filename\*?\s*=")


def email_attachments(data: bytes) -> list[tuple[str, bytes]]:
    """(file name as the sender wrote it, bytes) of each attachment of a stored message.

    ADAPTER over reqtrace.records.mail: its caps (message size, header lines, number and
    depth of parts) apply; a message it refuses yields nothing here — the original
    .eml is in the pack either way. The names are hostile text: they only ever
    become member names through member_name().
    """
    if not _MAY_HAVE_ATTACHMENTS.search(data):
        return []  # a plain one-part message: not worth a MIME parse
    try:
        message = mail.parse_message_bytes(data)
        found = []
        for part, _depth, _embedded in mail._walk(message):
            if part.is_multipart() or part.get_content_type() == "message/rfc822":
                continue
            name = mail._filename(part, None)
            if mail._is_attachment(part, name):
                found.append((name or "attachment", mail._payload_bytes(part)))
        return found
    except mail.MailRefused:
        return []

def _nothing_left(add: bool = True) -> None:
    return None


class Layout:
    """Assigns every original file its member name, once, and remembers where it came from."""

    def __init__(self, archive: DeterministicZip) -> None:
        self.archive = archive
        self.origins: dict[str, dict[str, str | None]] = {}  # member -> path, commit (and attachment name)
        self.attachments: dict[str, list[tuple[str, str]]] = {}  # message path -> [(name, member)]
        # Adds the members still being made elsewhere (pack/build.py's data documents); with
        # add=False it only waits for whoever makes them.
        self.finish: Callable[..., None] = _nothing_left

    def add_file(self, folder: str, original: str, data: bytes, commit: str | None) -> str:
        name = self.archive.add(member_name(folder, original), data)
        self.origins[name] = {"path": original, "commit": commit}
        return name

    def add_attachments(self, message_path: str, data: bytes, commit: str | None) -> None:
        for index, (filename, payload) in enumerate(email_attachments(data)):
            name = self.archive.add(member_name(ATTACHMENTS_FOLDER, filename, key=f"{message_path}\x00{index}\x00{filename}"), payload)
            self.origins[name] = {"path": message_path, "attachment": filename, "commit": commit}
            self.attachments.setdefault(message_path, []).append((filename, name))

    def add_deflated(self, member: Deflated, original: str, commit: str | None) -> str:
        """An original file's member deflated before (pack/kept_members.py), as `add_file` adds it."""
        name = self.archive.add_deflated(member)
        self.origins[name] = {"path": original, "commit": commit}
        return name

    def add_deflated_attachments(self, message_path: str, attachments: Iterable[tuple[str, Deflated]], commit: str | None) -> None:
        """A message's attachments deflated before, as `add_attachments` adds them."""
        for filename, member in attachments:
            name = self.archive.add_deflated(member)
            self.origins[name] = {"path": message_path, "attachment": filename, "commit": commit}
            self.attachments.setdefault(message_path, []).append((filename, name))

    def add(self, name: str, data: bytes | str) -> str:
        return self.archive.add(name, data)

    def add_stream(self, name: str, chunks: Iterable[bytes]) -> str:
        return self.archive.add_stream(name, chunks)
