"""What `reqtrace check` verifies about emails and documents.

Requests and meetings are checked with the requirements (checks/check.py); these
checks cover the records that live beside a file: an email sidecar and its
stored message, a document sidecar and the document's bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from reqtrace.checks.references import dangling, removed_since_a_baseline
from reqtrace.core.model import ERROR, Finding, Snapshot
from reqtrace.errors import ReqtraceError
from reqtrace.io import gitio


def check_record_references(snapshot: Snapshot) -> Iterator[Finding]:
    """Every id an email or document sidecar names must exist (or be a requirement removed
    since a baseline: the email told the past)."""
    removed = removed_since_a_baseline(snapshot)
    for mail in snapshot.emails.values():
        for ref in mail.refs:
            found = dangling(snapshot, mail, "refs", ref, None, "item")
            if found and not removed(ref):
                yield found
        for ref in mail.thread:
            found = dangling(snapshot, mail, "thread", ref, snapshot.emails, "ingested email")
            if found:
                yield found
    for document in snapshot.documents.values():
        for ref in document.refs:
            found = dangling(snapshot, document, "refs", ref, None, "item")
            if found and not removed(ref):
                yield found


def check_email_messages(snapshot: Snapshot) -> Iterator[Finding]:
    """An email sidecar needs the message it describes."""
    for mail in snapshot.emails.values():
        if mail.message not in snapshot.present:
            yield Finding(
                "email-message-missing",
                ERROR,
                f"the message {mail.message} this sidecar describes is missing; restore it "
                "(`reqtrace ingest` the original again) or delete the sidecar",
                mail.path,
                mail.line,
                mail.id,
            )


def check_documents(snapshot: Snapshot) -> Iterator[Finding]:
    """A document must exist and still have the bytes its sidecar's sha256 names."""
    for document in snapshot.documents.values():
        if document.file not in snapshot.present:
            yield Finding(
                "document-missing",
                ERROR,
                f"the document {document.file} this sidecar describes is missing; restore it or delete the sidecar",
                document.path,
                document.line,
                document.id,
            )
            continue
        if snapshot.read_bytes is None or not document.sha256:
            continue
        try:
            data = snapshot.read_bytes(document.file)
            digest = hashlib.sha256(data).hexdigest()
            repo = snapshot.repo
            if digest != document.sha256 and snapshot.commit is None and repo is not None and repo.git_top is not None:
                # Hashed as git stores it: a checkout that wrote its LFs as CRLFs
                # (core.autocrlf) has not changed the document (docs/digest.md).
                digest = hashlib.sha256(gitio.as_stored(repo.git_top, repo.git_path(document.file), data)).hexdigest()
        except (OSError, ReqtraceError) as exc:
            yield Finding("document-missing", ERROR, f"cannot read {document.file}: {exc}", document.path, document.line, document.id)
            continue
        if digest != document.sha256:
            yield Finding(
                "document-changed",
                ERROR,
                f"{document.file} no longer matches its sidecar: sha256 is {digest}, the sidecar says "
                f"{document.sha256}; restore the original document (a changed signed document is not evidence)",
                document.path,
                document.line_of("sha256"),
                document.id,
            )


RECORD_CHECKS = [check_record_references, check_email_messages, check_documents]
