"""Reading email: the bytes of one message -> the facts reqtrace keeps about it.

Real mail is messy: RFC 2047 encoded words in any charset, Chinese bodies in
GB2312/GBK/GB18030/Big5 (often mislabelled, sometimes double-encoded by a
gateway), HTML-only bodies, embedded messages, missing headers. Every message
is also hostile input: the size, the number of MIME parts and the length of
header lines are capped before and while parsing (Python's header parser has
quadratic paths, python/cpython#136063). Nothing here raises anything but
`MailRefused`; every oddity becomes a note instead.

Pure functions of bytes: no file is read or written here.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import contextlib
import email.policy
import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from html import unescape
from typing import Any, BinaryIO

MAX_MESSAGE_BYTES = 25 * 1024 * 1024
MAX_PARTS = 1000
MAX_DEPTH = 30  # multiparts inside multiparts
MAX_HEADER_BYTES = 64 * 1024  # one header field, its folded lines included
MAX_MIME_HEADER_BYTES = 8 * 1024  # one Content-* field
MAX_MIME_PARAMETERS = 64  # ';' in one Content-* field
MAX_MIME_HEADER_TOTAL = 256 * 1024  # all Content-* fields of a message
MAX_HTML_CHARS = 5 * 1024 * 1024  # HTML made text; the rest of a longer body is not read
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


class MailRefused(Exception):
    """A message reqtrace will not read; `reason` says why in one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class MailAttachment:
    name: str
    type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class MailMessage:
    message_id: str | None  # '<local@domain>'
    date: str | None  # ISO 8601, with the sender's offset
    from_: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    body: str  # the readable text: plain parts, or HTML made text; embedded messages included
    attachments: tuple[MailAttachment, ...]
    notes: tuple[str, ...] = ()  # what was odd about it, for the person ingesting
    charset: str | None = None  # the body's charset when it was detected, not declared (no or a wrong label)


# --- charsets -------------------------------------------------------------------------

# Labels seen in real mail, mapped to the Python codec that reads what senders
# really meant: GB2312 mail is routinely GBK or GB18030, Big5 mail often HKSCS,
# "ks_c_5601-1987" is Windows-949, and an ISO-8859-1 label usually means cp1252
# (as in browsers).
_CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gb_2312-80": "gb18030",
    "csgb2312": "gb18030",
    "euc-cn": "gb18030",
    "x-euc-cn": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "ms936": "gb18030",
    "windows-936": "gb18030",
    "gb18030": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "big5-hkscs": "big5hkscs",
    "cp950": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "utf8": "utf-8",
}
# Codecs that are not a text encoding someone would label mail with.
_NOT_MAIL_CODECS = {"unicode_escape", "raw_unicode_escape", "idna", "punycode", "undefined", "mbcs", "oem"}
_MULTIBYTE = ("gb18030", "big5hkscs", "cp949", "cp932", "euc_jp", "euc_kr", "gbk", "big5", "gb2312")


def codec_for(label: str | None) -> str | None:
    """The Python codec for a charset label, or None when it names nothing usable."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    name = _CHARSET_ALIASES.get(label, label)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_MAIL_CODECS:
        return None
    return info.name


def _undo_double_encoding(text: str, codec: str) -> str | None:
    """The CJK text behind Latin-1 mojibake, or None when `text` is not that.

    A gateway that read GBK/Big5 bytes as Latin-1 and re-encoded them as UTF-8
    leaves only characters in U+0080..U+00FF. A lone 'ü' in a name is not
    that: the repair needs a few such characters, and every non-ASCII
    character it yields must be a wide East Asian one.
    """
    wide = [ch for ch in text if ord(ch) > 0x7F]
    if len(wide) < 4 or any(ord(ch) > 0xFF for ch in wide):
        return None
    try:
        repaired = text.encode("latin-1").decode(codec)
    except UnicodeError:
        return None
    if all(unicodedata.east_asian_width(ch) in "WFH" for ch in repaired if ord(ch) > 0x7F):
        return repaired
    return None


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str | None]:
    """Text from bytes in a declared (maybe wrong) charset: (text, note or None). See decode_detecting."""
    text, note, _ = decode_detecting(data, declared)
    return text, note


MAX_DETECT_BYTES = 256 * 1024  # charset-normalizer reads this much of an unlabelled body
_ASCII_LABELS = frozenset({"us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us"})


def decode_detecting(data: bytes, declared: str | None = None) -> tuple[str, str | None, str | None]:
    """(text, note or None, the charset detected when the label could not be used, else None).

    Valid UTF-8 with non-ASCII bytes is almost never anything else, so it wins
    over a label — except when the label is a CJK multibyte charset and the
    UTF-8 text is Latin-1 mojibake of it, which is undone. Then the declared
    charset, strictly. Bytes with no label, an unknown label, an ASCII label,
    or a label they do not decode in are never read as Windows-1252 in
    silence (an unlabelled GBK body would become mojibake): charset-normalizer
    detects the charset, and the note says it was detected, not declared.
    Failing that, GB18030 for the GB family or the declared charset with
    replacement characters; then cp1252/Latin-1, which read anything — with a
    note saying the text may be wrong.
    """
    codec = codec_for(declared)
    if codec is not None and codec.startswith(("iso2022", "utf_7", "hz")):
        # 7-bit encodings: the bytes look like ASCII, only the label tells.
        try:
            return data.decode(codec), None, None
        except (UnicodeDecodeError, LookupError):
            pass
    if data.isascii():
        return data.decode("ascii"), None, None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        if codec in _MULTIBYTE:
            repaired = _undo_double_encoding(text, codec)
            if repaired is not None:
                return repaired, f"{declared} text that was re-encoded as UTF-8 on its way was repaired", None
        note = None if codec in (None, "utf-8", "cp1252") else f"labelled {declared} but is UTF-8; read as UTF-8"
        return text, note, None
    ascii_label = declared is not None and declared.strip().strip("\"'").lower() in _ASCII_LABELS
    if codec is not None and not ascii_label:
        try:
            return data.decode(codec), None, None
        except UnicodeDecodeError:
            pass
    if declared is None:
        why = "no charset label"
    elif codec is None:
        why = f"unknown charset {declared!r}"
    elif ascii_label:
        why = f"labelled {declared} but has 8-bit bytes"
    else:
        why = f"labelled {declared} but is not valid {declared}"
    detected = _detect_charset(data)
    if detected is not None and detected != codec and _plausible(data, detected):
        decoded = data.decode(detected)
        if decoded:
            return decoded, f"{why}; charset detected as {detected} — check the text", detected
    if codec is not None and not ascii_label and (codec == "gb18030" or codec in _MULTIBYTE):
        return data.decode(codec, "replace"), f"bytes that are not valid {declared} were replaced by \ufffd", None
    note = f"{why}, and no other charset could be detected with confidence; read as Windows-1252, which may be wrong"
    try:
        return data.decode("cp1252"), note, None
    except UnicodeDecodeError:
        return data.decode("latin-1"), note, None


def _plausible(data: bytes, codec: str) -> bool:
    """Whether a detected charset can be believed: detectors guess wildly on a few bytes.

    A CJK multibyte charset is believed when the bytes decode strictly and
    what they become is East Asian text (wide characters); a single-byte
    charset (Cyrillic, Greek …) only with enough 8-bit bytes to tell — one
    'ü' in a name is no evidence, and Windows-1252 reads it well.
    """
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        return False
    if codec in _MULTIBYTE:
        wide = [unicodedata.east_asian_width(ch) in "WFH" for ch in text if ord(ch) > 0x7F]
        return bool(wide) and sum(wide) >= 0.9 * len(wide)
    return sum(1 for byte in data if byte > 0x7F) >= 32


def _detect_charset(data: bytes) -> str | None:
    """The codec charset-normalizer finds most likely for `data`, or None."""
    # Imported here: it takes ~70 ms, and only mail without a usable label needs it.
    from charset_normalizer import from_bytes

    try:
        best = from_bytes(data[:MAX_DETECT_BYTES]).best()
    except Exception:  # noqa: BLE001 - a detector failure means "not detected", never a crash
        return None
    return codec_for(best.encoding) if best is not None else None


# --- headers --------------------------------------------------------------------------

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_FOLD = re.compile(r"\r?\n[ \t]*|\r")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _decode_b(text: str) -> bytes:
    text = re.sub(r"[^A-Za-z0-9+/]", "", text)
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text)
    except (binascii.Error, ValueError):
        return b""


def _decode_q(text: str) -> bytes:
    raw = text.replace("_", " ").encode("latin-1", "replace")
    return re.sub(rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)


def decode_header_text(raw: str, hint: str | None = None) -> tuple[str, list[str]]:
    """A header's value as readable text: unfolded, encoded words decoded.

    `raw` is the value as the parser kept it; raw 8-bit bytes (which RFC 5322
    forbids but senders use) are decoded like a body in the `hint` charset.
    """
    notes: list[str] = []
    if any("\udc80" <= ch <= "\udcff" for ch in raw):
        text, note = decode_bytes(raw.encode("ascii", "surrogateescape"), hint)
        if note:
            notes.append(f"header: {note}")
        raw = text
    raw = _FOLD.sub(" ", raw)
    pieces: list[tuple[str | None, Any]] = []  # (charset, bytes) or (None, text)
    position = 0
    for match in _ENCODED_WORD.finditer(raw):
        between = raw[position : match.start()]
        # Whitespace between two encoded words is not part of the text (RFC 2047 6.2).
        if between and not (between.isspace() and pieces and pieces[-1][0] is not None):
            pieces.append((None, between))
        charset = match.group(1).split("*", 1)[0]  # RFC 2231 language suffix
        data = _decode_b(match.group(3)) if match.group(2) in "bB" else _decode_q(match.group(3))
        if pieces and pieces[-1][0] is not None and pieces[-1][0].lower() == charset.lower():
            # A multibyte character may be split across two encoded words.
            pieces[-1] = (pieces[-1][0], pieces[-1][1] + data)
        else:
            pieces.append((charset, data))
        position = match.end()
    if position < len(raw):
        pieces.append((None, raw[position:]))
    out = []
    for charset, value in pieces:
        if charset is None:
            out.append(value)
        else:
            text, note = decode_bytes(value, charset)
            if note:
                notes.append(f"header: {note}")
            out.append(text)
    text = "".join(out)
    # Control characters (a stray tab, a NUL) are not part of what the sender wrote.
    text = _CONTROL.sub(" ", text)
    return text.strip(), notes


_MSGID = re.compile(r"<([^<>\s]+)>")


def message_ids(text: str | None) -> tuple[str, ...]:
    """The `<…>` ids in a Message-ID, In-Reply-To or References value, in order, once each."""
    if not text:
        return ()
    found = [f"<{m}>" for m in _MSGID.findall(text)]
    if not found and text.strip() and " " not in text.strip():
        found = [f"<{text.strip().strip('<>')}>"]  # some senders forget the brackets
    return tuple(dict.fromkeys(found))


def _addresses(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    from email.utils import getaddresses

    try:
        pairs = getaddresses([text])
    except Exception:  # noqa: BLE001 - a malformed list is read as plain text below
        pairs = []
    result = []
    for name, address in pairs:
        if not name and not address:
            continue
        result.append(f"{name} <{address}>" if name and address else (address or name))
    if not result:
        result = [part.strip() for part in text.split(",") if part.strip()]
    return tuple(result)


def _iso_date(text: str | None) -> str | None:
    if not text:
        return None
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(text).isoformat()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


# --- caps checked before parsing ------------------------------------------------------


def _check_mime_field(name: bytes, field: bytes, line_number: int) -> int:
    """Refuse a Content-* field the standard library would take minutes over; its size."""
    if not name.lower().startswith(b"content-"):
        return 0
    shown = name.decode("ascii", "replace")
    if len(field) > MAX_MIME_HEADER_BYTES:
        raise MailRefused(f"{shown} header at line {line_number} is {len(field):,} bytes; reqtrace reads MIME headers up to {MAX_MIME_HEADER_BYTES:,} bytes")
    if field.count(b";") > MAX_MIME_PARAMETERS:
        raise MailRefused(f"{shown} header at line {line_number} has {field.count(b';'):,} parameters; reqtrace reads up to {MAX_MIME_PARAMETERS}")
    return len(field)


def _check_header_lines(data: bytes) -> None:
    """Refuse a message whose headers are built to slow down parsers, before parsing it.

    Checks the top-level header block and the header block after every line
    that could be a MIME boundary: every field up to MAX_HEADER_BYTES, and
    the Content-* fields that Python's email package parses (with quadratic
    paths, python/cpython#136063) up to MAX_MIME_HEADER_BYTES and
    MAX_MIME_PARAMETERS each, MAX_MIME_HEADER_TOTAL in all.
    """
    position = 0
    length = len(data)
    in_header = True
    field_start = -1  # where the current header field began
    field_name = b""
    field_line = 0
    line_number = 0
    mime_total = 0

    def close_field(end: int) -> None:
        nonlocal mime_total, field_start
        if field_start >= 0:
            mime_total += _check_mime_field(field_name, data[field_start:end], field_line)
            if mime_total > MAX_MIME_HEADER_TOTAL:
                raise MailRefused(f"the MIME headers add up to more than {MAX_MIME_HEADER_TOTAL:,} bytes; refusing a message built to slow down parsers")
        field_start = -1

    while position < length:
        end = data.find(b"\n", position)
        end = length if end < 0 else end + 1
        line = data[position:end]
        line_number += 1
        stripped = line.rstrip(b"\r\n")
        if in_header:
            if not stripped:
                close_field(position)
                in_header = False
            elif line[:1] in (b" ", b"\t") and field_start >= 0:
                if end - field_start > MAX_HEADER_BYTES:
                    raise MailRefused(f"header at line {field_line} is longer than {MAX_HEADER_BYTES:,} bytes; refusing a message built to slow down parsers")
            else:
                close_field(position)
                if end - position > MAX_HEADER_BYTES:
                    raise MailRefused(f"header line {line_number} is {end - position:,} bytes long; reqtrace reads header lines up to {MAX_HEADER_BYTES:,} bytes")
                field_start, field_line = position, line_number
                field_name = stripped.split(b":", 1)[0].strip()
        elif stripped.startswith(b"--"):
            in_header = True  # a boundary may start a part with its own headers
        position = end
    if in_header:
        close_field(length)


class _PartCounter:
    """A message factory that refuses a message once it has too many MIME parts."""

    def __init__(self) -> None:
        self.count = -1  # the parser makes one message to probe the factory

    def __call__(self, policy: Any = None) -> EmailMessage:
        self.count += 1
        if self.count > MAX_PARTS:
            raise MailRefused(f"more than {MAX_PARTS:,} MIME parts; reqtrace reads messages with up to {MAX_PARTS:,}")
        return EmailMessage(policy=policy)


_POLICY = email.policy.default


def parse_message_bytes(data: bytes) -> EmailMessage:
    """Parse with the caps applied; MailRefused for a message that breaks one."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise MailRefused(f"message is {len(data):,} bytes; reqtrace stores messages up to {MAX_MESSAGE_BYTES:,} bytes (25 MB)")
    if not data.strip():
        raise MailRefused("empty message")
    _check_header_lines(data)
    try:
        return BytesParser(_PartCounter(), policy=_POLICY).parsebytes(data)  # type: ignore[return-value]
    except MailRefused:
        raise
    except RecursionError:
        raise MailRefused("MIME parts nested too deeply to read") from None
    except Exception as exc:  # noqa: BLE001 - the stdlib parser should not raise; refuse, never crash
        raise MailRefused(f"cannot parse the message ({type(exc).__name__}: {exc})") from None


# --- bodies ---------------------------------------------------------------------------


_BLOCK_TAGS = frozenset("p div br tr li h1 h2 h3 h4 h5 h6 table blockquote pre hr ul ol section article".split())
_SKIPPED_TAGS = frozenset("script style head title template".split())
_TAG_NAME = re.compile(r"/?\s*([A-Za-z][A-Za-z0-9]*)")
_CLOSING = {name: re.compile(rf"</\s*{name}\s*>", re.IGNORECASE) for name in _SKIPPED_TAGS}


def html_to_text(html: str) -> str:
    """The readable text of an HTML body: tags dropped, blocks on their own lines.

    A forward-only scan with str.find, linear in the input: the standard
    library's HTMLParser takes quadratic time on hostile input such as an
    unclosed '<!--' repeated (python/cpython#135462).
    """
    out: list[str] = []
    position, length = 0, len(html)
    while position < length:
        start = html.find("<", position)
        if start < 0:
            out.append(html[position:])
            break
        out.append(html[position:start])
        if html.startswith("<!--", start):
            end = html.find("-->", start + 4)
            position = length if end < 0 else end + 3
            continue
        end = html.find(">", start + 1)
        if end < 0:
            break  # an unclosed tag runs to the end: no text follows
        match = _TAG_NAME.match(html, start + 1, end)
        name = match.group(1).lower() if match else ""
        position = end + 1
        if name in _SKIPPED_TAGS and not html[start + 1 : end].lstrip().startswith("/"):
            closing = _CLOSING[name].search(html, position)
            position = length if closing is None else closing.end()
        elif name in _BLOCK_TAGS:
            out.append("\n")
    text = unescape("".join(out))
    lines = (re.sub(r"[ \t\r\f\v\u00a0]+", " ", line).strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _charset_of(part: EmailMessage) -> str | None:
    try:
        value = part.get_param("charset")
    except Exception:  # noqa: BLE001
        return None
    if isinstance(value, tuple):
        value = value[2]
    return str(value) if value else None


def _payload_bytes(part: EmailMessage) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - a broken transfer encoding: keep the raw text
        payload = None
    if isinstance(payload, bytes):
        return payload
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("ascii", "surrogateescape")
    return b""


def _filename(part: EmailMessage, hint: str | None) -> str | None:
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001
        name = None
    if not name:
        try:
            param = part.get_param("name")
            name = param[2] if isinstance(param, tuple) else param
        except Exception:  # noqa: BLE001
            name = None
    if not name:
        return None
    text, _ = decode_header_text(str(name), hint)  # RFC 2047 inside a parameter: common, not standard
    return text or None


def _is_attachment(part: EmailMessage, name: str | None) -> bool:
    try:
        disposition = part.get_content_disposition()
    except Exception:  # noqa: BLE001
        disposition = None
    if disposition == "attachment" or name:
        return True
    return part.get_content_maintype() not in ("text", "multipart", "message")


def _walk(message: EmailMessage) -> Iterator[tuple[EmailMessage, int, bool]]:
    """(part, depth, inside an embedded message) for every part, iteratively."""
    stack: list[tuple[EmailMessage, int, bool]] = [(message, 0, False)]
    while stack:
        part, depth, embedded = stack.pop()
        if depth > MAX_DEPTH:
            raise MailRefused(f"MIME parts nested more than {MAX_DEPTH} deep")
        yield part, depth, embedded
        try:
            payload = part.get_payload()
        except Exception:  # noqa: BLE001, S112 - an unreadable part is a leaf
            continue
        if isinstance(payload, list):
            inner = part.get_content_type() == "message/rfc822" or embedded
            stack.extend((child, depth + 1, inner) for child in reversed(payload) if isinstance(child, EmailMessage))


def _header(message: EmailMessage, name: str) -> str | None:
    for key, value in message.raw_items():
        if key.lower() == name:
            return str(value)
    return None


def read_message(data: bytes) -> MailMessage:
    """Everything reqtrace keeps about one message, or MailRefused — never another exception."""
    message = parse_message_bytes(data)
    try:
        return _read_parsed(message)
    except MailRefused:
        raise
    except RecursionError:
        raise MailRefused("MIME parts nested too deeply to read") from None
    except Exception as exc:  # noqa: BLE001 - a part-level problem escaped the per-part guard
        raise MailRefused(f"cannot read the message ({type(exc).__name__}: {exc})") from None


def _read_parsed(message: EmailMessage) -> MailMessage:
    notes: list[str] = []
    parts = list(_walk(message))
    # The body's charset is the best guess for raw 8-bit bytes in headers.
    hint = None
    for part, _, _ in parts:
        with contextlib.suppress(Exception):
            if part.get_content_maintype() == "text":
                hint = _charset_of(part)
                if hint:
                    break

    def header(name: str) -> str | None:
        raw = _header(message, name)
        if raw is None:
            return None
        text, header_notes = decode_header_text(raw, hint)
        notes.extend(header_notes)
        return text

    plain: list[str] = []
    html: list[str] = []
    attachments: list[MailAttachment] = []
    detected: list[str] = []
    for index, (part, _depth, _embedded) in enumerate(parts):
        try:
            _read_part(part, hint, plain, html, attachments, notes, detected)
        except MailRefused:
            raise
        except Exception as exc:  # noqa: BLE001 - one broken part must not lose the message
            notes.append(f"MIME part {index + 1} could not be read ({type(exc).__name__}); skipped")
    body = "\n".join(plain).strip()
    if not body and html:
        # An alternative HTML part says what the plain one does; only an HTML-only body is read.
        markup = "\n".join(html)
        if len(markup) > MAX_HTML_CHARS:
            notes.append(f"HTML body of {len(markup):,} characters: only the first {MAX_HTML_CHARS:,} were read")
            markup = markup[:MAX_HTML_CHARS]
        body = html_to_text(markup)
    if hint is None and detected:
        hint = detected[0]  # raw 8-bit headers are most likely in the body's charset
    for defect in message.defects:
        # CloseBoundaryNotFoundDefect -> "malformed MIME: close boundary not found"
        words = re.sub(r"(?<!^)([A-Z])", r" \1", type(defect).__name__.removesuffix("Defect")).lower()
        notes.append(f"malformed MIME: {words}")

    return MailMessage(
        message_id=(message_ids(header("message-id")) or (None,))[0],
        date=_iso_date(header("date")),
        from_=", ".join(_addresses(header("from"))) or None,
        to=_addresses(header("to")),
        cc=_addresses(header("cc")),
        subject=header("subject"),
        in_reply_to=message_ids(header("in-reply-to")),
        references=message_ids(header("references")),
        body=body,
        attachments=tuple(attachments),
        notes=tuple(dict.fromkeys(notes)),
        charset=", ".join(dict.fromkeys(detected)) or None,
    )


def _read_part(part: EmailMessage, hint: str | None, plain: list[str], html: list[str], attachments: list[MailAttachment], notes: list[str],
               detected: list[str]) -> None:
    content_type = part.get_content_type()
    if part.is_multipart() and content_type != "message/rfc822":
        return
    if content_type == "message/rfc822":
        inner = part.get_payload()
        inner_message = inner[0] if isinstance(inner, list) and inner else None
        inner_bytes = inner_message.as_bytes() if isinstance(inner_message, EmailMessage) else b""
        subject = None
        if isinstance(inner_message, EmailMessage):
            raw_subject = _header(inner_message, "subject")
            subject = decode_header_text(raw_subject, hint)[0] if raw_subject else None
            plain.append(f"\n---- embedded message: {subject or '(no subject)'} ----\n")
        inner_name = _filename(part, hint) or f"{subject or 'message'}.eml"
        attachments.append(MailAttachment(inner_name, content_type, len(inner_bytes), hashlib.sha256(inner_bytes).hexdigest()))
        return
    name = _filename(part, hint)
    if _is_attachment(part, name):
        payload = part.get_payload()
        if isinstance(payload, str) and len(payload) * 3 // 4 > MAX_ATTACHMENT_BYTES:
            raise MailRefused(f"attachment {name or '(unnamed)'!r} is about {len(payload) * 3 // 4:,} bytes; reqtrace reads attachments up to {MAX_ATTACHMENT_BYTES:,} bytes")
        content = _payload_bytes(part)
        attachments.append(MailAttachment(name or "(unnamed)", content_type, len(content), hashlib.sha256(content).hexdigest()))
        return
    if part.get_content_maintype() != "text":
        return
    text, note, found = decode_detecting(_payload_bytes(part), _charset_of(part))
    if note:
        notes.append(f"body: {note}")
    if found:
        detected.append(found)
    (html if part.get_content_subtype() == "html" else plain).append(text)


def mail_id(message_id: str | None, data: bytes) -> str:
    """`MAIL-` + 10 hex digits of sha256 of the Message-ID, or of the bytes without one."""
    source = message_id.encode("utf-8", "surrogateescape") if message_id else data
    return "MAIL-" + hashlib.sha256(source).hexdigest()[:10]


# --- mbox -----------------------------------------------------------------------------

_SEPARATOR = re.compile(rb"^From \S+ +.*\b\d{4}\b")
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:")


@dataclass
class MboxProblem:
    line: int
    message: str
    refused: bool = False  # True when a message was not read at all


@dataclass
class MboxMessage:
    line: int  # of its "From " line
    data: bytes
    problems: list[MboxProblem] = field(default_factory=list)  # about this message's lines


@dataclass
class MboxContent:
    messages: list[MboxMessage] = field(default_factory=list)
    problems: list[MboxProblem] = field(default_factory=list)


def _lines(stream: BinaryIO) -> Iterator[bytes]:
    while True:
        line = stream.readline(MAX_MESSAGE_BYTES + 1)
        if not line:
            return
        yield line


def _shown(line: bytes) -> str:
    return line.rstrip(b"\r\n")[:60].decode("utf-8", "replace")


def iter_mbox(stream: BinaryIO) -> Iterator[MboxMessage | MboxProblem]:
    """The messages of an mbox file, one at a time, each as it was (the "From " line removed).

    A separator is a line `From <sender> <date>`. A line that starts with
    "From " but lacks the date is a broken separator when a header follows it,
    and unescaped body text otherwise; both are reported with their line, on
    the message they belong to. A message that cannot be read comes as a
    refused MboxProblem; reading goes on with the next one.
    """
    out: list[MboxMessage | MboxProblem] = []
    current: list[bytes] | None = None
    notes: list[MboxProblem] = []
    current_line = 0
    current_size = 0
    oversized = False
    previous_blank = True
    pending: bytes | None = None  # a broken "From " line waiting for the next line
    pending_number = 0

    def finish() -> None:
        if current is None:
            return
        if oversized:
            out.append(MboxProblem(current_line, f"message is larger than {MAX_MESSAGE_BYTES:,} bytes (25 MB); not read", refused=True))
            return
        data = b"".join(current)
        # The blank line before the next separator belongs to the mbox, not the message.
        if data.endswith(b"\r\n\r\n"):
            data = data[:-2]
        elif data.endswith(b"\n\n"):
            data = data[:-1]
        if data.strip():
            out.append(MboxMessage(current_line, data, list(notes)))
        else:
            out.append(MboxProblem(current_line, "empty message after the 'From ' line", refused=True))

    def add(line: bytes) -> None:
        nonlocal current_size, oversized
        if current is None:
            return
        current_size += len(line)
        if current_size > MAX_MESSAGE_BYTES:
            oversized = True
            current.clear()
        elif not oversized:
            current.append(line)

    def start(number: int) -> None:
        nonlocal current, current_line, current_size, oversized
        finish()
        current, current_line, current_size, oversized = [], number, 0, False
        notes.clear()

    number = 0
    for line in _lines(stream):
        number += 1
        if pending is not None:
            if _HEADER_LINE.match(line):
                start(pending_number)
                notes.append(MboxProblem(pending_number, f"broken 'From ' line {_shown(pending)!r} (no sender and date); read as the start of a new message"))
            else:
                notes.append(MboxProblem(pending_number, f"line {_shown(pending)!r} looks like a separator but has no sender and date; kept as text of the message that starts at line {current_line}"))
                add(pending)
            pending = None
        if number == 1 and not line.startswith(b"From "):
            yield MboxProblem(1, f"not an mbox file: the first line is {_shown(line)!r}, not a 'From ' line (a single message should be named .eml)", refused=True)
            return
        if line.startswith(b"From ") and (number == 1 or _SEPARATOR.match(line)):
            start(number)
            if not _SEPARATOR.match(line):
                notes.append(MboxProblem(1, f"broken 'From ' line {_shown(line)!r} (no sender and date); read as the start of the first message"))
        elif line.startswith(b"From ") and previous_blank:
            pending, pending_number = line, number
        else:
            add(line)
        previous_blank = not line.strip()
        if out:
            yield from out
            out.clear()
    if pending is not None:
        add(pending)
    finish()
    yield from out


def split_mbox(stream: BinaryIO) -> MboxContent:
    """All of an mbox file at once: its messages, and every problem (refusals and notes)."""
    content = MboxContent()
    for item in iter_mbox(stream):
        if isinstance(item, MboxMessage):
            content.messages.append(item)
            content.problems.extend(item.problems)
        else:
            content.problems.append(item)
    content.problems.sort(key=lambda problem: problem.line)
    return content
