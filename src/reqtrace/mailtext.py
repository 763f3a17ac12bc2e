"""The subject and plain text of one email, for triage.

A deliberately small reader: `reqtrace ingest` (the email module) does the full
job — charsets, HTML-only bodies, threads, attachments. Triage needs only who
asked what and when; when the email module exists, `read_email` should become
a call to it. Parsing always uses `email.policy.default` on bytes, and caps
what it reads.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import re
from dataclasses import dataclass
from email.message import EmailMessage

MAX_EMAIL_BYTES = 30 * 1024 * 1024
MAX_PARTS = 1000


@dataclass(frozen=True)
class EmailText:
    subject: str
    text: str
    sender: str | None
    date: str | None  # ISO date, when the Date header can be read


def _part_text(part: EmailMessage) -> str:
    try:
        return str(part.get_content())
    except (LookupError, UnicodeError, ValueError, AssertionError):
        # An unknown or wrong charset: decode what is there, never crash.
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


_TAG = re.compile(r"<[^>]*>")


def read_email(data: bytes) -> EmailText:
    """Subject, text/plain body (or text/html stripped of tags), sender and date of a message."""
    if len(data) > MAX_EMAIL_BYTES:
        raise ValueError(f"the message is {len(data):,} bytes; triage reads emails up to {MAX_EMAIL_BYTES:,} bytes")
    message = email.message_from_bytes(data, policy=email.policy.default)
    subject = str(message.get("subject", "") or "").strip()
    sender = str(message.get("from", "") or "").strip() or None
    date = None
    try:
        parsed = email.utils.parsedate_to_datetime(str(message.get("date", "")))
        date = parsed.date().isoformat() if parsed else None
    except (TypeError, ValueError, IndexError):
        date = None
    plain: list[str] = []
    html: list[str] = []
    for count, part in enumerate(message.walk()):
        if count >= MAX_PARTS:
            break
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        kind = part.get_content_type()
        if kind == "text/plain":
            plain.append(_part_text(part))  # type: ignore[arg-type]
        elif kind == "text/html":
            html.append(_TAG.sub(" ", _part_text(part)))  # type: ignore[arg-type]
    body = "\n".join(plain) if plain else "\n".join(html)
    return EmailText(subject, body.strip(), sender, date)
