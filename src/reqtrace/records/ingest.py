"""`reqtrace ingest`: emails and documents become records of the spec repo.

A message is stored byte for byte as `records/emails/MAIL-<10 hex>.eml`, named
only by its id — never by anything the sender wrote — beside a sidecar
`MAIL-<10 hex>.eml.yaml` that people may edit. Ingesting again never rewrites
their edits: a message already stored is a no-op, and the only change ever
made to an existing sidecar is appending to `thread` when the message it
replies to arrives later (round-trip editing, every other line kept).
Documents are copied under `records/documents/` with a safe name and a sidecar.
Nothing is written outside `records/`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from reqtrace.core.config import SpecRepo
from reqtrace.core.id_pattern import id_matcher
from reqtrace.core.model import ERROR, Snapshot, sequence_number
from reqtrace.core.parse import parse_document
from reqtrace.errors import InputError, UsageError
from reqtrace.io import clock, gitio
from reqtrace.io.files import FileChangedError, atomic_write, inside
from reqtrace.io.progress import phase
from reqtrace.io.yamlio import FlowList, YamlProblem, dump_yaml, edit_yaml_mapping
from reqtrace.records.mail import (
    MAX_MESSAGE_BYTES,
    MailMessage,
    MailRefused,
    MboxProblem,
    iter_mbox,
    mail_id,
    read_message,
)

MAX_DOCUMENT_BYTES = 500 * 1024 * 1024

ADDED = "added"
UNCHANGED = "unchanged"
RESTORED = "restored"  # the message or its sidecar was missing and was written again
REFUSED = "refused"

SIDECAR_COMMENT = (
    "Sidecar of {file}, written by `reqtrace ingest`. Add the ids this message is\n"
    "about to refs by hand; ingesting the message again keeps your edits."
)


@dataclass
class IngestResult:
    source: str  # the input file, with ':line' for a message inside an mbox
    status: str  # ADDED | UNCHANGED | RESTORED | REFUSED
    message: str  # one line for people
    id: str | None = None
    path: str | None = None  # the sidecar, relative to the spec root
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how odd mail was read (charset repairs, MIME defects)

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "status": self.status,
            "id": self.id,
            "path": self.path,
            "message": self.message,
            "warnings": list(self.warnings),
            "notes": list(self.notes),
        }


@dataclass
class IngestReport:
    results: list[IngestResult] = field(default_factory=list)
    threads_updated: list[str] = field(default_factory=list)  # sidecars whose thread grew

    def count(self, status: str) -> int:
        return sum(1 for result in self.results if result.status == status)

    @property
    def ok(self) -> bool:
        return self.count(REFUSED) == 0


# --- finding ids in text --------------------------------------------------------------

_TOKEN = re.compile(r"(?<![A-Za-z0-9_.:-])[A-Za-z][A-Za-z0-9_.:-]*[A-Za-z0-9]")


def find_refs(text: str, known: set[str], id_pattern: str) -> tuple[list[str], list[str]]:
    """(ids of existing items the text names, id-like words that name nothing), in order."""
    found: dict[str, None] = {}
    unknown: dict[str, None] = {}
    matches = id_matcher(id_pattern)  # never re: a hostile pattern backtracks for hours on a mail's words
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if "-" not in token:
            continue
        if token in known:
            found[token] = None
        elif matches(token):
            unknown[token] = None
    return list(found), list(unknown)


# --- reading the inputs ---------------------------------------------------------------


@dataclass
class _Input:
    source: str
    data: bytes | None = None
    refused: str | None = None
    warnings: list[str] = field(default_factory=list)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _is_mbox(path: Path) -> bool:
    if path.suffix.lower() == ".mbox":
        return True
    if path.suffix.lower() == ".eml":
        return False
    with path.open("rb") as handle:
        return handle.read(5) == b"From "


def _files_in(folder: Path) -> Iterator[Path]:
    for current, dirs, names in os.walk(folder):  # symlinked folders are not followed
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = Path(current) / name
            if name.startswith(".") or path.is_symlink():
                continue
            if path.suffix.lower() in (".eml", ".mbox"):
                yield path


def _read_inputs(paths: list[Path]) -> Iterator[_Input]:
    for given in paths:
        if given.is_dir():
            found = False
            for path in _files_in(given):
                found = True
                yield from _read_file(path)
            if not found:
                yield _Input(_display(given), refused="no .eml or .mbox files in this folder")
        elif given.is_file():
            yield from _read_file(given)
        else:
            yield _Input(_display(given), refused="no such file or folder")


def _read_file(path: Path) -> Iterator[_Input]:
    label = _display(path)
    try:
        if _is_mbox(path):
            found = False
            with path.open("rb") as stream:
                for item in iter_mbox(stream):
                    found = True
                    if isinstance(item, MboxProblem):
                        yield _Input(f"{label}:{item.line}", refused=item.message)
                    else:
                        yield _Input(f"{label}:{item.line}", item.data, warnings=[f"line {p.line}: {p.message}" for p in item.problems])
            if not found:
                yield _Input(label, refused="no messages in this mbox file")
            return
        size = path.stat().st_size
        if size > MAX_MESSAGE_BYTES:
            yield _Input(label, refused=f"message is {size:,} bytes; reqtrace stores messages up to {MAX_MESSAGE_BYTES:,} bytes (25 MB)")
            return
        yield _Input(label, path.read_bytes())
    except OSError as exc:
        yield _Input(label, refused=f"cannot read: {exc.strerror or exc}")


# --- storing messages -----------------------------------------------------------------


def _sidecar_data(mail_id_: str, message: MailMessage, refs: list[str], thread: list[str]) -> dict[str, object]:
    data: dict[str, object] = {"id": mail_id_}
    if message.message_id:
        data["message_id"] = message.message_id
    if message.date:
        data["date"] = message.date
    if message.from_:
        data["from"] = message.from_
    if message.to:
        data["to"] = list(message.to)
    if message.cc:
        data["cc"] = list(message.cc)
    data["subject"] = message.subject or ""
    if message.charset:
        # Said in the record, not only on the terminal: the text was read in a guessed charset.
        data["charset"] = f"{message.charset} (detected)"
    if message.in_reply_to:
        data["in_reply_to"] = FlowList(message.in_reply_to)
    if message.references:
        data["references"] = FlowList(message.references)
    if thread:
        data["thread"] = FlowList(thread)
    if message.attachments:
        data["attachments"] = [
            {"name": a.name, "type": a.type, "size": a.size, "sha256": a.sha256} for a in message.attachments
        ]
    data["refs"] = FlowList(refs)
    return data


def _thread_of(in_reply_to: tuple[str, ...], references: tuple[str, ...], by_message_id: dict[str, str], own: str) -> list[str]:
    """Ids of the ingested mails a message replies to: the direct parent first."""
    ids = []
    for message_id in (*in_reply_to, *reversed(references)):
        found = by_message_id.get(message_id)
        if found and found != own and found not in ids:
            ids.append(found)
    return ids


class _EmailStore:
    def __init__(self, repo: SpecRepo, snapshot: Snapshot) -> None:
        self.repo = repo
        self.snapshot = snapshot
        self.folder_rel = snapshot.config.emails_dir
        self.folder = inside(repo.root, self.folder_rel)
        self.known_ids = snapshot.all_ids()
        self.by_message_id: dict[str, str] = {}
        for email in snapshot.emails.values():
            if email.message_id:
                # The id named by the Message-ID wins over one named by bytes (a clash).
                if email.id == mail_id(email.message_id, b"") or email.message_id not in self.by_message_id:
                    self.by_message_id[email.message_id] = email.id
        self.new_sidecars: dict[str, tuple[MailMessage, list[str], IngestResult]] = {}

    def rel(self, name: str) -> str:
        return f"{self.folder_rel}/{name}"

    def store(self, item: _Input) -> IngestResult:
        assert item.data is not None
        data = item.data
        try:
            message = read_message(data)
        except MailRefused as refused:
            return IngestResult(item.source, REFUSED, refused.reason, warnings=item.warnings)
        warnings = list(item.warnings)
        chosen = mail_id(message.message_id, data)
        existing = self._stored_bytes(chosen)
        if existing is not None and existing != data and message.message_id:
            other = chosen
            chosen = mail_id(None, data)
            warnings.append(
                f"Message-ID {message.message_id} is already used by {other} ({self.rel(other + '.eml')}) "
                f"with different content; this message is kept as {chosen}, named by its bytes"
            )
            existing = self._stored_bytes(chosen)
        if existing is not None and existing != data:
            return IngestResult(item.source, REFUSED, f"{self.rel(chosen + '.eml')} already holds a different message with the same id; not overwritten", warnings=warnings)
        eml_name = chosen + ".eml"
        sidecar_rel = self.rel(eml_name + ".yaml")
        sidecar_path = inside(self.repo.root, sidecar_rel)
        wrote_message = False
        if existing is None:
            atomic_write(inside(self.repo.root, self.rel(eml_name)), data, exclusive=True)
            wrote_message = True
        if message.message_id and message.message_id not in self.by_message_id:
            self.by_message_id[message.message_id] = chosen
        if sidecar_path.exists():
            status = RESTORED if wrote_message else UNCHANGED
            text = "message file written again; its sidecar was kept" if wrote_message else "already ingested; nothing changed"
            return IngestResult(item.source, status, text, chosen, sidecar_rel, warnings)
        refs, unknown = find_refs(f"{message.subject or ''}\n{message.body}", self.known_ids - {chosen}, self.snapshot.config.id_pattern)
        if unknown:
            shown = ", ".join(unknown[:5]) + (", …" if len(unknown) > 5 else "")
            warnings.append(f"mentions {shown}, which name nothing in this repo; add to refs by hand if meant")
        status = ADDED if wrote_message else RESTORED
        text = f"{message.subject or '(no subject)'}" if wrote_message else "sidecar was missing and was written again"
        result = IngestResult(item.source, status, text, chosen, sidecar_rel, warnings, list(message.notes))
        self.new_sidecars[chosen] = (message, refs, result)
        self.known_ids.add(chosen)
        return result

    def _stored_bytes(self, chosen: str) -> bytes | None:
        path = inside(self.repo.root, self.rel(chosen + ".eml"))
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None

    def write_sidecars(self, report: IngestReport) -> None:
        for chosen, (message, refs, result) in self.new_sidecars.items():
            thread = _thread_of(message.in_reply_to, message.references, self.by_message_id, chosen)
            try:
                text = dump_yaml(_sidecar_data(chosen, message, refs, thread), header=SIDECAR_COMMENT.format(file=chosen + ".eml"))
            except ValueError:  # dump_yaml reads its output back; this text would not survive
                result.status, result.message = REFUSED, "its headers cannot be written as YAML that reads back the same; the message file is kept, add its sidecar by hand (please report this message)"
                continue
            atomic_write(inside(self.repo.root, result.path or ""), text, exclusive=True)
        # Mails ingested earlier whose parent arrived only now.
        for email in sorted(self.snapshot.emails.values(), key=lambda e: e.path):
            thread = _thread_of(email.in_reply_to, email.references, self.by_message_id, email.id)
            missing = [i for i in thread if i not in email.thread]
            if not missing:
                continue
            path = inside(self.repo.root, email.path)
            try:
                # Bytes, not read_text(): that would turn CRLF into LF, and the edit would rewrite every line.
                old_data = path.read_bytes()
                edited = edit_yaml_mapping(old_data.decode("utf-8"), extend={"thread": missing})
            except (YamlProblem, OSError, UnicodeDecodeError) as problem:
                reason = getattr(problem, "message", None) or str(problem)
                report.results.append(IngestResult(email.path, UNCHANGED, f"thread not updated: {reason}; add {', '.join(missing)} to thread by hand", email.id, email.path))
                continue
            if edited is not None:
                try:
                    atomic_write(path, edited, replaces=old_data)
                except FileChangedError as changed:
                    report.results.append(IngestResult(email.path, REFUSED, f"thread not updated: {changed.message}", email.id, email.path))
                    continue
                report.threads_updated.append(email.path)


def ingest_emails(repo: SpecRepo, paths: list[Path], snapshot: Snapshot) -> IngestReport:
    """Store every message in `paths` (files, mbox files, folders) under records/emails/."""
    if snapshot.commit is not None:
        raise UsageError("ingest writes to the working tree; do not pass --rev")
    report = IngestReport()
    if repo.git_top is not None:
        gitio.exclude_temp_files(repo.git_top)
    store = _EmailStore(repo, snapshot)
    with phase("ingesting messages") as advance:
        for count, item in enumerate(_read_inputs(paths), 1):
            advance(count)
            if item.refused is not None:
                report.results.append(IngestResult(item.source, REFUSED, item.refused, warnings=item.warnings))
                continue
            report.results.append(store.store(item))
        store.write_sidecars(report)
    return report


# --- documents ------------------------------------------------------------------------


@dataclass
class DocumentAdded:
    id: str
    path: str  # the sidecar
    file: str  # the stored copy
    sha256: str
    status: str = ADDED


def safe_file_name(name: str) -> str:
    """A file name made only of letters, digits, '.', '_' and '-', that keeps the extension."""
    name = unicodedata.normalize("NFKC", name).replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    clean_stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-_.")[:80] or "document"
    clean_suffix = re.sub(r"[^A-Za-z0-9]+", "", suffix)[:10].lower()
    return f"{clean_stem}.{clean_suffix}" if clean_suffix else clean_stem


_DOC_NUMBER = re.compile(r"^DOC-(\d+)$")


def _is_date(text: str) -> bool:
    """A calendar date written YYYY-MM-DD (2026-02-30 is none)."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def add_document(repo: SpecRepo, snapshot: Snapshot, source: Path, *, title: str, date: str | None = None, doc_id: str | None = None) -> DocumentAdded:
    """Copy `source` under records/documents/ with a sidecar (id, title, date, sha256)."""
    if snapshot.commit is not None:
        raise UsageError("ingest writes to the working tree; do not pass --rev")
    if not title.strip():
        raise UsageError("--title must not be empty")
    if not source.is_file():
        raise InputError(f"{source}: no such file")
    size = source.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        raise InputError(f"{source} is {size:,} bytes; reqtrace stores documents up to {MAX_DOCUMENT_BYTES:,} bytes")
    # Every option that ends up in the sidecar is checked before anything is
    # written: a record `check` would reject must never be created.
    if date is None:
        date = clock.today().isoformat()
    elif not _is_date(date):
        raise UsageError(f"--date must be a real date like 2026-01-15 (got {date!r})")
    data = source.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    for document in snapshot.documents.values():
        if document.sha256 == digest:
            return DocumentAdded(document.id, document.path, document.file, digest, UNCHANGED)
    taken = snapshot.all_ids()
    if doc_id is None:
        numbers = [sequence_number(m.group(1)) for i in taken if (m := _DOC_NUMBER.match(i))]
        doc_id = f"DOC-{max(numbers, default=0) + 1}"
    elif doc_id in taken:
        raise UsageError(f"id {doc_id} is already used; pick another or leave --id out")
    elif not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.:-]*", doc_id):
        raise UsageError(f"--id {doc_id!r} is not an id: use letters, digits, '-', '_' or '.'")
    folder_rel = snapshot.config.documents_dir
    name = safe_file_name(source.name)
    target_rel = f"{folder_rel}/{name}"
    if inside(repo.root, target_rel).exists() or inside(repo.root, target_rel + ".yaml").exists():
        stem, dot, suffix = name.rpartition(".")
        name = f"{stem}-{digest[:8]}.{suffix}" if dot else f"{name}-{digest[:8]}"
        target_rel = f"{folder_rel}/{name}"
    sidecar_rel = target_rel + ".yaml"
    sidecar = dump_yaml(
        {"id": doc_id, "title": title, "date": date, "sha256": digest, "refs": FlowList()},
        header=f"Sidecar of {name}, written by `reqtrace ingest --document`. `reqtrace check`\nreports the document if its bytes stop matching sha256. Add ids to refs by hand.",
    )
    problems = [f for f in parse_document(sidecar_rel, sidecar.encode("utf-8"), snapshot.config).findings if f.severity == ERROR]
    if problems:
        raise UsageError(f"the document's sidecar would not pass `reqtrace check`: {problems[0].message}; nothing was written")
    if repo.git_top is not None:
        gitio.exclude_temp_files(repo.git_top)
    try:
        atomic_write(inside(repo.root, target_rel), data, exclusive=True)
        atomic_write(inside(repo.root, sidecar_rel), sidecar, exclusive=True)
    except FileExistsError as exc:
        raise InputError(f"{exc} already exists; not overwritten") from None
    return DocumentAdded(doc_id, sidecar_rel, target_rel, digest)
