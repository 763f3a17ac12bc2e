"""The subject and plain text of one email, for triage.

Triage needs only who asked what and when; the email module (records/mail.py, the
reader behind `reqtrace ingest`) does the reading — charsets, HTML-only
bodies, caps on size, parts and headers.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_EMAIL_BYTES = 30 * 1024 * 1024


@dataclass(frozen=True)
class EmailText:
    subject: str
    text: str
    sender: str | None
    date: str | None  # ISO date, when the Date header can be read


def read_email(data: bytes) -> EmailText:
    """Subject, text (text/plain, or an HTML-only body made text), sender and date of a message.

    The email module (`reqtrace ingest`) reads it: charsets, encoded words and
    caps are handled there. A message it refuses is a ValueError with the reason.
    """
    from reqtrace.records.mail import MailRefused, read_message

    if len(data) > MAX_EMAIL_BYTES:
        raise ValueError(f"the message is {len(data):,} bytes; triage reads emails up to {MAX_EMAIL_BYTES:,} bytes")
    try:
        message = read_message(data)
    except MailRefused as refused:
        raise ValueError(refused.reason) from None
    return EmailText(message.subject or "", message.body.strip(), message.from_, message.date[:10] if message.date else None)
