"""Turn the bytes of one file into model items and findings.

Each parser is a plain function of (path, bytes, config): it never touches
the disk or git, so the same code reads the working tree and any commit, and
its results can be cached by content id.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from reqtrace.core.digest import DIGEST_PATTERN
from reqtrace.core.id_pattern import MAX_ID_LENGTH, id_matcher
from reqtrace.core.model import (
    ERROR,
    WARNING,
    Attachment,
    Config,
    Decision,
    Document,
    Email,
    Finding,
    Meeting,
    MeetingDecision,
    Request,
    Requirement,
    SpecDocument,
    Triage,
)
from reqtrace.core.schema import validate
from reqtrace.io.yamlio import (
    MAX_FILE_BYTES,
    Mapping,
    Sequence,
    YamlDocument,
    YamlProblem,
    decode_text,
    load_yaml,
    split_front_matter,
)


@dataclass
class Parsed:
    items: list[Any] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    oid: str | None = None  # the git blob id of the bytes parsed, once known


Parser = Callable[[str, bytes, Config], Parsed]

_Item = TypeVar("_Item")
_new = object.__new__


def _built(cls: type[_Item], values: dict[str, Any]) -> _Item:
    """An instance of the frozen model class `cls` with the fields `values` (every one of its
    fields, by name) set directly, as unpickling does and parse_cache builds its items back.

    A frozen dataclass's own __init__ sets each field through object.__setattr__: for a
    requirement's nineteen fields that cost more than all the rest of building it, and it
    runs for every file of every cold run. tests/test_parse_built.py checks that each item
    a parser builds this way equals the one the constructor builds and has every field.
    """
    item = _new(cls)
    item.__dict__.update(values)
    return item


def text_of(value: Any) -> str:
    """A field's value as text, whatever YAML made of it."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return ""  # no text at all (the schema says so); never Python's repr of it
    return value if isinstance(value, str) else str(value)


def texts_of(value: Any) -> tuple[str, ...]:
    """A list field's items as text; a mapping, or a list or mapping inside the list, is
    no id or name at all: left out (the schema reports it with its line)."""
    if value is None or isinstance(value, dict):
        return ()
    if not isinstance(value, list):
        value = [value]
    return tuple(text_of(item) for item in value if item is not None and not isinstance(item, dict | list))


def entries_of(value: Any) -> list[dict[str, Any]]:
    """The mappings of a list-of-mappings field (decisions, attachments); anything else —
    `decisions: yes`, a text item — is skipped here and reported by the schema."""
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []


def field_text(mapping: dict[str, Any], key: str) -> str:
    """A text field as the user wrote it: an unquoted `NO` stays "NO", `1.10` stays "1.10".

    Such values are also schema errors ("quote it"); until they are fixed, every
    command shows what is in the file rather than YAML's reading of it. Dates
    keep their ISO form.
    """
    value = mapping.get(key)
    if type(value) is str:
        return value  # the usual case, first
    raw = getattr(mapping, "raw", None)
    if raw and key in raw and not isinstance(value, dt.date):
        return raw[key]  # type: ignore[no-any-return]
    return text_of(value)


# `set(map(type, items)) <= _ONLY_TEXT`: every item is exactly text, asked in C (a third of
# what `all(type(item) is str for item in items)` costs on a short list).
_ONLY_TEXT = frozenset((str,))


def field_texts(mapping: dict[str, Any], key: str) -> tuple[str, ...]:
    """A list field's items as text, as written (see field_text); one value counts as a list of one."""
    value = mapping.get(key)
    if not isinstance(value, list):
        # One value counts as a list of one; a mapping is no list item at all.
        return (field_text(mapping, key),) if value is not None and not isinstance(value, dict) else ()
    raw = getattr(value, "raw", None)
    if not raw and set(map(type, value)) <= _ONLY_TEXT:
        return shared(tuple(value))  # the usual case, first
    raw = raw or {}
    return shared(
        tuple(
            raw[index] if index in raw and not isinstance(item, dt.date) else text_of(item)
            for index, item in enumerate(value)
            if item is not None and not isinstance(item, dict | list)
        )
    )


def plain(value: Any) -> Any:
    """YAML data as plain JSON-able values (dates become ISO text)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


# Equal small tuples, shared: thousands of files have the same field layout
# (id on line 1, title on line 2, …) and the same short lists ([booking]).
# One object each keeps a large snapshot, and its parse cache, small and fast.
_SHARED: dict[tuple[Any, ...], tuple[Any, ...]] = {}
_SHARED_LIMIT = 200_000


def shared(value: tuple[Any, ...]) -> tuple[Any, ...]:
    if len(value) > 32:
        return value
    found = _SHARED.get(value)
    if found is not None:
        return found
    if len(_SHARED) < _SHARED_LIMIT:
        _SHARED[value] = value
    return value


def _lines(mapping: Any) -> tuple[tuple[str, int], ...]:
    if not isinstance(mapping, Mapping):
        return ()
    layout = tuple(mapping.lines.items())
    found = _SHARED.get(layout)  # thousands of files share a layout: one lookup, not one per field
    if found is not None:
        return found  # type: ignore[return-value]
    return shared(tuple(shared(pair) for pair in layout))  # type: ignore[return-value]


def read_yaml_file(path: str, data: bytes, parsed: Parsed, *, front_matter: bool = False) -> YamlDocument:
    """Load a file's YAML, recording any problem as a finding; None when unusable."""
    return _read_yaml_and_body(path, data, parsed, front_matter)[0]


def _read_yaml_and_body(path: str, data: bytes, parsed: Parsed, front_matter: bool) -> tuple[YamlDocument, str]:
    """read_yaml_file, and the Markdown after the front matter (a meeting's body: the text
    decoded and split once, for both)."""
    if len(data) > MAX_FILE_BYTES:
        parsed.findings.append(Finding("file-too-large", ERROR, f"file is {len(data):,} bytes; spec files are read up to {MAX_FILE_BYTES:,} bytes — split it", path, None))
        return None, ""
    body = ""
    try:
        text = decode_text(data)
        offset = 0
        if front_matter:
            text, offset, body = split_front_matter(text)
        if not text or text.isspace():  # nothing but white space: not text.strip(), without the copy
            parsed.findings.append(Finding("schema", ERROR, "the file is empty; write the item's fields, or delete the file", path, 1 + offset))
            return None, body
        loaded = load_yaml(text, line_offset=offset)
        if loaded is None:
            # Only comments, or a bare `~`: as empty as an empty file, and as silently
            # skipped if not reported — the same error.
            parsed.findings.append(Finding("schema", ERROR, "the file holds no fields (only comments, or ~); write the item's fields, or delete the file", path, 1 + offset))
        return loaded, body
    except YamlProblem as problem:
        code = "schema" if problem.code == "front-matter" else problem.code
        parsed.findings.append(Finding(code, ERROR, problem.message, path, problem.line))
        return None, body


def _schema_findings(data: Any, kind: str, path: str, parsed: Parsed, item_id: str | None) -> bool:
    """Validate; record findings; True when no error was found."""
    clean = True
    for problem in validate(data, kind, getattr(data, "line", 1)):
        severity = WARNING if problem.code == "unknown-field" else ERROR
        clean = clean and severity != ERROR
        parsed.findings.append(Finding(problem.code, severity, problem.message, path, problem.line, item_id))
    return clean


def _id_of(data: dict[str, Any]) -> str | None:
    value = data.get("id")
    return value if isinstance(value, str) and value.strip() else None


# Keys of a requirement that are not `x-` fields: the ones in the schema.
_REQUIREMENT_FIELDS = frozenset(
    ("id", "title", "statement", "acceptance", "priority", "status", "parents", "sources", "tags", "owner", "rationale", "section", "order", "mid", "reviewed")
)


def parse_requirements(path: str, data: bytes, config: Config) -> Parsed:
    parsed = Parsed()
    loaded = read_yaml_file(path, data, parsed)
    if loaded is None:
        return parsed
    if isinstance(loaded, list):
        parsed.findings.append(Finding("schema", ERROR, "the file holds a list where a mapping belongs: write one requirement (id, title, statement, …) or put the list under 'requirements:'", path, 1))
        return parsed
    if not isinstance(loaded, dict):
        parsed.findings.append(Finding("schema", ERROR, f"expected a requirement (a mapping with id, title, statement), found {type(loaded).__name__} text", path, 1))
        return parsed
    if "requirements" in loaded and "id" not in loaded:
        entries = loaded["requirements"]
        extra = [key for key in loaded if key != "requirements"]
        for key in extra:
            parsed.findings.append(Finding("unknown-field", WARNING, f"unknown field '{key}' beside 'requirements:'; only the list is read", path, loaded.lines.get(key, 1)))
        if not isinstance(entries, list):
            parsed.findings.append(Finding("schema", ERROR, "'requirements' must be a list of requirements", path, loaded.lines.get("requirements", 1)))
            return parsed
    else:
        entries = [loaded]
    for entry in entries:
        if not isinstance(entry, dict):
            parsed.findings.append(Finding("schema", ERROR, "each entry under 'requirements' must be a mapping with id, title, statement", path, getattr(loaded, "lines", {}).get("requirements", 1)))
            continue
        item_id = _id_of(entry)
        _schema_findings(entry, "requirement", path, parsed, item_id)
        if item_id is None:
            continue
        line = getattr(entry, "line", 1)
        id_line = entry.lines.get("id", line) if isinstance(entry, Mapping) else line
        if len(item_id) > MAX_ID_LENGTH:
            # Refused before matching: ids are short, and a long one is the input a
            # backtracking pattern explodes on (see core/id_pattern.py).
            parsed.findings.append(Finding("bad-id", ERROR, f"id '{item_id[:40]}…' is {len(item_id)} characters long; ids are at most {MAX_ID_LENGTH}", path, id_line, item_id))
        elif not id_matcher(config.id_pattern)(item_id):
            parsed.findings.append(Finding("bad-id", ERROR, f"id '{item_id}' does not match the id pattern {config.id_pattern!r} of reqtrace.yaml", path, id_line, item_id))
        requirement = _usual_requirement(entry, item_id, path, line)
        parsed.items.append(requirement if requirement is not None else _requirement(entry, item_id, path, line))
    return parsed


def _requirement(entry: dict[str, Any], item_id: str, path: str, line: int) -> Requirement:
    """The requirement a mapping describes, field by field through the general readers:
    any value YAML may have made (typed scalars kept as written, lists of anything)."""
    other_keys = entry.keys() - _REQUIREMENT_FIELDS  # the x- fields (and unknown ones), a set op in C
    return _built(Requirement, {
        "id": item_id,
        "title": field_text(entry, "title"),
        "statement": field_text(entry, "statement"),
        "path": path,
        "line": line,
        "acceptance": field_texts(entry, "acceptance"),
        "priority": field_text(entry, "priority") or None,
        "status": field_text(entry, "status") or None,
        "parents": field_texts(entry, "parents"),
        "sources": field_texts(entry, "sources"),
        "tags": field_texts(entry, "tags"),
        "owner": field_text(entry, "owner") or None,
        "rationale": field_text(entry, "rationale") or None,
        "extra": tuple((key, plain(entry[key])) for key in sorted(other_keys) if key.startswith("x-")) if other_keys else (),
        "section": _identifier(entry.get("section")),
        "order": order_of(entry.get("order")),
        "mid": _identifier(entry.get("mid")),
        "reviewed": _review_stamps(entry.get("reviewed")),
        "lines": _lines(entry),
    })


# Fields the usual requirement leaves out; one of them sends it the general way.
_PLACEMENT_FIELDS = frozenset(("section", "order", "mid", "reviewed"))
# Values `plain` returns as they are, without asking.
_PLAIN_SCALARS = frozenset((str, int, float, bool, type(None)))


def _usual_requirement(entry: dict[str, Any], item_id: str, path: str, line: int) -> Requirement | None:
    """`_requirement` for the usual mapping, read without a call per field: every text
    field text or empty, every list field a list of texts, no value YAML typed but in an
    `x-` field, no placement fields. None for any other, which `_requirement` reads. The same item:
    tests/test_parse_fast_plain.py holds the two side by side."""
    if type(entry) is not Mapping or not _PLACEMENT_FIELDS.isdisjoint(entry):
        return None
    other_keys = entry.keys() - _REQUIREMENT_FIELDS
    if entry.raw and not entry.raw.keys() <= other_keys:
        return None  # a text field YAML typed (`title: NO`): kept as written, the general way
    get = entry.get
    title, statement, priority, status, owner, rationale = (
        get("title"), get("statement"), get("priority"), get("status"), get("owner"), get("rationale"))
    if not _TEXT_OR_NONE.issuperset(map(type, (title, statement, priority, status, owner, rationale))):
        return None
    lists = []
    for name in ("acceptance", "parents", "sources", "tags"):
        value = get(name)
        if value is None:
            lists.append(())
        elif type(value) is Sequence and not value.raw and set(map(type, value)) <= _ONLY_TEXT:
            lists.append(shared(tuple(value)))
        else:
            return None
    extra: tuple[tuple[str, Any], ...] = ()
    if other_keys:
        extra = tuple([(key, value if type(value) in _PLAIN_SCALARS else plain(value))
                       for key in sorted(other_keys) if key.startswith("x-") for value in (entry[key],)])
    return _built(Requirement, {
        "id": item_id,
        "title": title or "",
        "statement": statement or "",
        "path": path,
        "line": line,
        "acceptance": lists[0],
        "priority": priority or None,
        "status": status or None,
        "parents": lists[1],
        "sources": lists[2],
        "tags": lists[3],
        "owner": owner or None,
        "rationale": rationale or None,
        "extra": extra,
        "section": None,
        "order": None,
        "mid": None,
        "reviewed": (),
        "lines": _lines(entry),
    })


_TEXT_OR_NONE = frozenset((str, type(None)))


def order_of(value: Any) -> float | None:
    """An `order:` as written when it is a finite number; anything else is no order (the schema says why)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return value
    return None


def _identifier(value: Any) -> str | None:
    """A section id or a mid when it is text; a number or a mapping is the schema's finding, not an id."""
    return value.strip() or None if isinstance(value, str) else None


def _review_stamps(value: Any) -> tuple[tuple[str, str], ...]:
    """The usable stamps of a `reviewed:` map (parent id -> digest); the schema reports the rest."""
    if not isinstance(value, dict):
        return ()
    return tuple(sorted((key, stamp) for key, stamp in value.items() if isinstance(key, str) and isinstance(stamp, str) and DIGEST_PATTERN.match(stamp)))


def _load_record(path: str, data: bytes, parsed: Parsed, kind: str, what: str, *, front_matter: bool = False) -> tuple[dict[str, Any], str, str] | None:
    """A record file's mapping, id and Markdown body (after front matter; else empty), its
    YAML and schema problems recorded as findings; None when there is no usable mapping
    or no id to file the item under."""
    loaded, body = _read_yaml_and_body(path, data, parsed, front_matter)
    if loaded is None:
        return None
    if not isinstance(loaded, dict):
        shape = "a list" if isinstance(loaded, list) else "plain text"
        parsed.findings.append(Finding("schema", ERROR, f"the file holds {shape} where a mapping belongs: write the {what}'s fields (id, …) as 'key: value' lines", path, 1))
        return None
    item_id = _id_of(loaded)
    _schema_findings(loaded, kind, path, parsed, item_id)
    return None if item_id is None else (loaded, item_id, body)


# Whether each record kind's fields are a Markdown file's front matter (the others are YAML files).
_RECORD_FRONT_MATTER = {"request": False, "meeting": True, "email": False, "document": False}


def record_id(kind: str, path: str, data: bytes) -> str | None:
    """The id a record file of `kind` files its item under, None when it makes none: its
    fields read as its parser reads them, without building the item or checking the
    fields (about half the cost of its parse). For a question that must know which of
    the files it does not parse could hold an item of some id. KeyError for a kind
    that is not a record's."""
    front_matter = _RECORD_FRONT_MATTER[kind]
    loaded = read_yaml_file(path, data, Parsed(), front_matter=front_matter)
    return _id_of(loaded) if isinstance(loaded, dict) else None


# A decision's and a triage's moment was once written `on:`, which YAML 1.1
# readers (PyYAML's safe_load, many CI tools) read as the key True. It is read
# still, reported as `old-field-name`, and `reqtrace check --fix` renames it.
MOMENT_FIELD = "when"
OLD_MOMENT_FIELD = "on"
OLD_FIELD_NAMES = {"triage": (OLD_MOMENT_FIELD, MOMENT_FIELD), "decision": (OLD_MOMENT_FIELD, MOMENT_FIELD)}


def _old_field_names(loaded: dict[str, Any], path: str, parsed: Parsed, item_id: str) -> None:
    for block_name, (old, new) in OLD_FIELD_NAMES.items():
        block = loaded.get(block_name)
        if not isinstance(block, dict) or old not in block:
            continue
        line = block.lines.get(old) if isinstance(block, Mapping) else None
        if new in block:
            message = (f"{block_name} has both '{old}' and '{new}'; '{old}' is the old name of '{new}' and is ignored — "
                       f"delete the '{old}' line")
        else:
            message = (f"'{old}' under {block_name} is the old name of '{new}' (YAML 1.1 readers such as PyYAML read "
                       f"the key {old} as true); run `reqtrace check --fix` to rename it, or rename it by hand")
        parsed.findings.append(Finding("old-field-name", WARNING, message, path, line, item_id))


def parse_request(path: str, data: bytes, config: Config) -> Parsed:
    parsed = Parsed()
    record = _load_record(path, data, parsed, "request", "request")
    if record is None:
        return parsed
    loaded, item_id, _body = record
    triage = loaded.get("triage")
    decision = loaded.get("decision")
    confidence = triage.get("confidence") if isinstance(triage, dict) else None
    _old_field_names(loaded, path, parsed, item_id)
    parsed.items.append(
        _built(Request, {
            "id": item_id,
            "received": field_text(loaded, "received"),
            "title": field_text(loaded, "title"),
            "path": path,
            "line": getattr(loaded, "line", 1),
            "text": field_text(loaded, "text"),
            "from_": field_text(loaded, "from") or None,
            "channel": field_text(loaded, "channel") or None,
            "refs": field_texts(loaded, "refs"),
            "sources": field_texts(loaded, "sources"),
            "claimed": field_text(loaded, "claimed") or None,
            "affects": field_texts(loaded, "affects"),
            "triage": Triage(
                classification=field_text(triage, "classification"),
                confidence=float(confidence) if isinstance(confidence, int | float) and not isinstance(confidence, bool) and 0 <= confidence <= 1 else None,
                reasons=field_texts(triage, "reasons"),
                baseline=field_text(triage, "baseline") or None,
                matches=field_texts(triage, "matches"),
                diverges=triage.get("diverges") if isinstance(triage.get("diverges"), bool) else None,
                by=field_text(triage, "by") or None,
                on=field_text(triage, MOMENT_FIELD) or field_text(triage, OLD_MOMENT_FIELD) or None,
            )
            if isinstance(triage, dict)
            else None,
            "decision": Decision(
                status=field_text(decision, "status"),
                as_=field_text(decision, "as") or None,
                by=field_text(decision, "by") or None,
                on=field_text(decision, MOMENT_FIELD) or field_text(decision, OLD_MOMENT_FIELD) or None,
                in_=field_text(decision, "in") or None,
                note=field_text(decision, "note") or None,
            )
            if isinstance(decision, dict)
            else None,
            "lines": _lines(loaded),
        })
    )
    return parsed


def parse_meeting(path: str, data: bytes, config: Config) -> Parsed:
    parsed = Parsed()
    record = _load_record(path, data, parsed, "meeting", "meeting", front_matter=_RECORD_FRONT_MATTER["meeting"])
    if record is None:
        return parsed
    loaded, item_id, body = record
    decisions = []
    for entry in entries_of(loaded.get("decisions")):
        decisions.append(
            MeetingDecision(
                text=field_text(entry, "text"),
                refs=field_texts(entry, "refs"),
                approves=field_texts(entry, "approves"),
                rejects=field_texts(entry, "rejects"),
                line=getattr(entry, "line", 1),
            )
        )
    parsed.items.append(
        _built(Meeting, {
            "id": item_id,
            "date": field_text(loaded, "date"),
            "title": field_text(loaded, "title"),
            "path": path,
            "line": getattr(loaded, "line", 1),
            "attendees": field_texts(loaded, "attendees"),
            "refs": field_texts(loaded, "refs"),
            "decisions": tuple(decisions),
            "body": body,
            "lines": _lines(loaded),
        })
    )
    return parsed


def _companion(path: str) -> str:
    """The file a sidecar describes: its own name without `.yaml`."""
    for suffix in (".yaml", ".yml"):
        if path.endswith(suffix):
            return path[: -len(suffix)]
    return path


def parse_email(path: str, data: bytes, config: Config) -> Parsed:
    """An email's sidecar `records/emails/<message file>.yaml`."""
    parsed = Parsed()
    record = _load_record(path, data, parsed, "email", "email sidecar")
    if record is None:
        return parsed
    loaded, item_id, _body = record
    attachments = []
    for entry in entries_of(loaded.get("attachments")):
        size = entry.get("size")
        attachments.append(
            Attachment(
                name=text_of(entry.get("name")),
                type=text_of(entry.get("type")),
                size=size if isinstance(size, int) and not isinstance(size, bool) else 0,
                sha256=text_of(entry.get("sha256")),
            )
        )
    parsed.items.append(
        _built(Email, {
            "id": item_id,
            "path": path,
            "message": _companion(path),
            "line": getattr(loaded, "line", 1),
            "message_id": text_of(loaded.get("message_id")) or None,
            "date": text_of(loaded.get("date")) or None,
            "from_": text_of(loaded.get("from")) or None,
            "to": texts_of(loaded.get("to")),
            "cc": texts_of(loaded.get("cc")),
            "subject": text_of(loaded.get("subject")) or None,
            "in_reply_to": texts_of(loaded.get("in_reply_to")),
            "references": texts_of(loaded.get("references")),
            "thread": texts_of(loaded.get("thread")),
            "attachments": tuple(attachments),
            "refs": texts_of(loaded.get("refs")),
            "lines": _lines(loaded),
        })
    )
    return parsed


def parse_document(path: str, data: bytes, config: Config) -> Parsed:
    """A document's sidecar `records/documents/<file>.yaml`."""
    parsed = Parsed()
    record = _load_record(path, data, parsed, "document", "document sidecar")
    if record is None:
        return parsed
    loaded, item_id, _body = record
    parsed.items.append(
        Document(
            id=item_id,
            title=text_of(loaded.get("title")),
            path=path,
            file=_companion(path),
            line=getattr(loaded, "line", 1),
            date=text_of(loaded.get("date")) or None,
            sha256=text_of(loaded.get("sha256")).lower() or None,
            refs=texts_of(loaded.get("refs")),
            lines=_lines(loaded),
        )
    )
    return parsed


SPEC_DOCUMENT_FILE = "_document.yaml"


def parse_spec_document(path: str, data: bytes, config: Config) -> Parsed:
    """A `_document.yaml`: the document its folder holds (see core/structure.py)."""
    parsed = Parsed()
    loaded = read_yaml_file(path, data, parsed)
    if loaded is None:
        return parsed
    if not isinstance(loaded, dict):
        shape = "a list" if isinstance(loaded, list) else "plain text"
        parsed.findings.append(Finding("bad-document", ERROR, f"the file holds {shape} where a mapping belongs: write `document: ID` and `title: …` (and optionally parent, sections)", path, 1))
        return parsed
    for problem in validate(loaded, "spec-document", getattr(loaded, "line", 1)):
        severity = WARNING if problem.code == "unknown-field" else ERROR
        code = "bad-document" if problem.code == "schema" else problem.code
        parsed.findings.append(Finding(code, severity, problem.message, path, problem.line))
    document_id = _identifier(loaded.get("document"))
    if document_id is None:
        return parsed  # the schema said what is missing
    parent = loaded.get("parent")
    parsed.items.append(
        SpecDocument(
            id=document_id,
            title=field_text(loaded, "title"),
            path=path,
            line=getattr(loaded, "line", 1),
            parent=parent.strip() or None if isinstance(parent, str) else None,
            sections=_sections_of(loaded.get("sections"), getattr(loaded, "lines", {}).get("sections", 1)),
            texts=_texts_of(loaded.get("texts"), 1),
            extra=tuple(sorted((k, plain(v)) for k, v in loaded.items() if k.startswith("x-"))),
            lines=_lines(loaded),
        )
    )
    return parsed


def _texts_of(value: Any, line: int) -> tuple[Any, ...]:
    """Prose nodes as plain tuples (order or None, text, line)."""
    return tuple(
        (order_of(text.get("order")), field_text(text, "text"), getattr(text, "line", line))
        for text in entries_of(value)
        if field_text(text, "text").strip()
    )


def _sections_of(value: Any, line: int) -> tuple[Any, ...]:
    """Sections as plain nested tuples (id, title, line, texts, sections); entries without a
    usable id are left out (the schema reported them)."""
    if not isinstance(value, list):
        return ()
    lines = value.lines if isinstance(value, Sequence) else [line] * len(value)
    sections = []
    for entry, entry_line in zip(value, lines, strict=False):
        if not isinstance(entry, dict) or _identifier(entry.get("id")) is None:
            continue
        texts = _texts_of(entry.get("texts"), entry_line)
        sub_line = getattr(entry, "lines", {}).get("sections", entry_line)
        sections.append((_identifier(entry.get("id")), field_text(entry, "title"), getattr(entry, "line", entry_line) or entry_line, texts, _sections_of(entry.get("sections"), sub_line)))
    return tuple(sections)
