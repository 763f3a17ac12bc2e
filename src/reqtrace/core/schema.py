"""The JSON Schemas of the file kinds, and the validator that applies them.

The schemas ship inside the package (`reqtrace schema KIND` prints one). The
validator interprets the subset of JSON Schema they use — type, required,
properties, patternProperties, additionalProperties, enum, items, pattern,
minLength, minimum/maximum, format date — directly on the loaded YAML, so that
every problem carries the line of the key it is about, and explains YAML's
surprises (an unquoted `NO` read as false) in the user's terms.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from reqtrace.errors import UsageError
from reqtrace.io.yamlio import Mapping, Sequence

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$")


@dataclass(frozen=True)
class Problem:
    code: str  # "schema" or "unknown-field"
    message: str
    line: int | None
    field: str


def kinds() -> list[str]:
    return sorted(
        entry.name[: -len(".json")]
        for entry in resources.files("reqtrace.schemas").iterdir()
        if entry.name.endswith(".json")
    )


# `reqtrace schema output COMMAND`: the schema of a command's `--format json` answer,
# kept in schemas/output/ (one file per command, named after its words: baseline-list.json).
OUTPUT = "output"


@cache
def output_commands() -> dict[str, str]:
    """Every command whose JSON answer has a schema ("baseline list"), with its file's name.

    The command is read from the schema's title, not its file name: a command's own name
    may hold a hyphen (`ingest-tests`)."""
    commands = {}
    for entry in resources.files("reqtrace.schemas").joinpath(OUTPUT).iterdir():
        if entry.name.endswith(".json"):
            title = json.loads(entry.read_text("utf-8"))["title"]
            commands[title.removeprefix("reqtrace ").removesuffix(" --format json")] = entry.name
    return dict(sorted(commands.items()))


def load_output_schema(command: str) -> dict[str, Any]:
    """The JSON Schema of `reqtrace COMMAND --format json` ("baseline list" or "baseline-list")."""
    known = output_commands()
    name = known.get(command) or next((file for file in known.values() if file == f"{command}.json"), None)
    if name is None:
        raise UsageError(f"no output schema for '{command}'; commands: {', '.join(known)}",
                         hint="reqtrace schema output check · reqtrace schema output baseline list")
    text = resources.files("reqtrace.schemas").joinpath(OUTPUT).joinpath(name).read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


@cache
def load_schema(kind: str) -> dict[str, Any]:
    if kind not in kinds():
        raise UsageError(f"no schema for '{kind}'; known kinds: {', '.join(kinds())}")
    text = resources.files("reqtrace.schemas").joinpath(f"{kind}.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def validate(data: Any, kind: str, line: int = 1) -> list[Problem]:
    """Every way `data` departs from the schema of `kind`."""
    problems: list[Problem] = []
    _validator(kind)(data, "", line, problems, None)
    return problems


# A compiled validator: (value, name, line, problems, raw source text or None).
Validator = Callable[[Any, str, int, list[Problem], "str | None"], None]


@cache
def _validator(kind: str) -> Validator:
    # The schema is turned into closures once, so that validating ten thousand
    # files does not look up the same schema keys and patterns again and again.
    schema = load_schema(kind)
    return _compile(schema, schema)


def _is_date(text: str) -> bool:
    """2026-01-15, optionally with a time; a real day (not 2026-02-30) and a real
    time (not 25:00, not an offset of +99:99): such a value sorts and converts to
    nothing, so it would silently drop out of every timeline."""
    if not _DATE.match(text):
        return False
    try:
        if len(text) == 10:
            dt.date.fromisoformat(text)
        else:
            dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _type_name(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dt.date):
        return "a date"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "text"


def _matches_type(value: Any, expected: str, schema: dict[str, Any]) -> bool:
    if expected == "string":
        if isinstance(value, str):
            return True
        # YAML turns an unquoted 2026-01-15 into a date; that is what a date field wants.
        return schema.get("format") == "date" and isinstance(value, dt.date)
    if expected == "array":
        return isinstance(value, list)
    if expected == "object":
        return isinstance(value, dict)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if expected == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return expected == "null" and value is None


def _quoted(name: str, raw: str) -> str:
    if name.endswith("]"):  # a list item
        return f'"{raw}"'
    return f'{name.rsplit(".", 1)[-1]}: "{raw}"'


def _wrong_type(name: str, value: Any, expected: str, raw: str | None) -> str:
    want = {"string": "text", "array": "a list", "object": "a mapping"}.get(expected, expected)
    label = f"'{name}'" if name else "the file"
    if expected == "string" and raw is not None:
        return (
            f"{label} must be {want}, but YAML read the unquoted `{raw}` as {_type_name(value)} "
            f"({value!r}); quote it: {_quoted(name, raw)}"
        )
    if expected == "array" and isinstance(value, str | int | float):
        return f"{label} must be {want}; write it as a list, e.g. [{value}] or one '- item' per line"
    return f"{label} must be {want}, not {_type_name(value)}"


def _compile(schema: dict[str, Any], root: dict[str, Any]) -> Validator:
    if "$ref" in schema:
        return _reference(schema["$ref"], root)
    expected: str | None = schema.get("type")
    enum: list[Any] | None = schema.get("enum")
    choices = ", ".join(str(choice) for choice in enum) if enum is not None else ""
    min_length: int = schema.get("minLength", 0)
    pattern = re.compile(schema["pattern"]) if "pattern" in schema else None
    advice = schema.get("x-hint", "use letters, digits, '-', '_' or '.'")
    is_date_format = schema.get("format") == "date"
    is_time_format = schema.get("format") == "date-time"  # a UTC time a pattern spells out; the clock must be real too
    minimum, maximum = schema.get("minimum"), schema.get("maximum")
    items = _compile(schema["items"], root) if "items" in schema else None
    mapping = _compile_mapping(schema, root) if expected == "object" or "properties" in schema else None
    checks_text = bool(min_length or pattern or is_date_format or is_time_format)

    def check(value: Any, name: str, line: int, out: list[Problem], raw: str | None) -> None:
        if expected == "string" and raw is not None and type(value) is str:
            # An unquoted `.nan`/`.inf`/`1e999`: YAML reads a number there, which the
            # loader keeps as its text (see yamlio._scalar) with the source in `raw`.
            # It is no more text than an unquoted `yes` is: a finding that says to quote it.
            out.append(Problem("schema", f"'{name}' must be text, but YAML reads the unquoted `{raw}` as a number that is not finite; quote it: {_quoted(name, raw)}", line, name))
            return
        if expected is not None and not _matches_type(value, expected, schema):
            out.append(Problem("schema", _wrong_type(name, value, expected, raw), line, name))
            return
        # `drift: off` unquoted: YAML 1.1 reads false, but the text written is a choice, and
        # a reader that says false means the same thing.
        if enum is not None and value not in enum and (raw is None or raw not in enum):
            shown = raw if raw is not None else value
            out.append(Problem("schema", f"'{name}' must be one of {choices} (got {shown!r})", line, name))
            return
        if type(value) is str:
            if checks_text:
                if len(value.strip()) < min_length:
                    out.append(Problem("schema", f"'{name}' must not be empty", line, name))
                if pattern is not None and not pattern.search(value):
                    out.append(Problem("schema", f"'{name}' has an unusable value {value!r}: {advice}", line, name))
                if is_date_format and not _is_date(value):
                    timed = "; a time must exist too: hours 00-23, minutes 00-59, an offset under 24 hours, e.g. 2026-01-15T09:30:00+08:00" if len(value) > 10 else ""
                    out.append(Problem("schema", f"'{name}' must be a date like 2026-01-15 (got {value!r}){timed}", line, name))
                if is_time_format and not _is_date(value):
                    out.append(Problem("schema", f"'{name}' must be a real time like 2026-02-20T10:00:00Z (got {value!r})", line, name))
            return
        if isinstance(value, float) and not math.isfinite(value):
            # YAML reads .nan and .inf as numbers; no field means either, and JSON cannot hold them.
            out.append(Problem("schema", f"'{name}' must be a finite number (got {raw or value!r})", line, name))
            return
        if isinstance(value, int | float) and not isinstance(value, bool):
            if minimum is not None and value < minimum or maximum is not None and value > maximum:
                out.append(Problem("schema", f"'{name}' must be between {minimum} and {maximum}", line, name))
        elif isinstance(value, list):
            if items is not None:
                item_lines = value.lines if isinstance(value, Sequence) else None
                item_raws = value.raw if isinstance(value, Sequence) else {}
                for index, item in enumerate(value):
                    item_line = item_lines[index] if item_lines is not None else getattr(item, "line", line)
                    items(item, f"{name}[{index}]", item_line, out, item_raws.get(index))
        elif isinstance(value, dict) and mapping is not None:
            mapping(value, name, line, out)

    return check


# Schema keywords that can reject a value; a schema using only the ones a
# shortcut below handles is decided for the common valid value without a call.
_CONSTRAINTS = frozenset(
    {"type", "enum", "pattern", "minLength", "format", "minimum", "maximum", "items", "properties", "patternProperties", "required", "additionalProperties"}
)
_TEXT, _CHOICE, _TEXTS = 0, 1, 2


def _shortcut(schema: dict[str, Any]) -> tuple[int, Any] | None:
    """How to accept the common valid value of a field without calling its validator.

    Text (with a minimum length), a choice among texts, or a list of texts
    (each matching a pattern): most fields of most files. Anything the
    shortcut does not accept goes to the full validator, which explains it.
    """
    used = _CONSTRAINTS.intersection(schema)
    if schema.get("type") == "string" and used <= {"type", "minLength", "pattern"}:
        return _TEXT, (schema.get("minLength", 0), re.compile(schema["pattern"]) if "pattern" in schema else None)
    if used == {"enum"} and all(type(choice) is str for choice in schema["enum"]):
        return _CHOICE, frozenset(schema["enum"])
    items = schema.get("items")
    if schema.get("type") == "array" and used == {"type", "items"} and isinstance(items, dict) and items.get("type") == "string":
        if _CONSTRAINTS.intersection(items) <= {"type", "pattern"}:
            return _TEXTS, re.compile(items["pattern"]) if "pattern" in items else None
    return None


_ONLY_TEXT = frozenset((str,))


def _anything(value: Any, name: str, line: int, out: list[Problem], raw: str | None) -> None:
    """Stands for the validator of a schema that holds no constraint (`x-` fields): such a
    value is accepted without a call (a float is still checked to be finite)."""


_ANYTHING: Validator = _anything
_UNMATCHED: Any = object()
_MATCHED_LIMIT = 10_000


def _accepts_anything(schema: dict[str, Any]) -> bool:
    """Whether `schema` accepts every value: it holds only words for people."""
    return set(schema) <= {"description", "title", "$comment", "examples"}


def _reference(ref: str, root: dict[str, Any]) -> Validator:
    """A local `#/$defs/NAME`, compiled when first used: a section holds sections."""
    name = ref.removeprefix("#/$defs/")
    compiled: list[Validator] = []

    def check(value: Any, field: str, line: int, out: list[Problem], raw: str | None) -> None:
        if not compiled:
            compiled.append(_compile(root["$defs"][name], root))
        compiled[0](value, field, line, out, raw)

    return check


def _compile_mapping(schema: dict[str, Any], root: dict[str, Any]) -> Callable[[dict[str, Any], str, int, list[Problem]], None]:
    properties: dict[str, Any] = schema.get("properties", {})
    validators = {key: _compile(sub, root) for key, sub in properties.items()}
    shortcuts = {key: shortcut for key, sub in properties.items() if (shortcut := _shortcut(sub)) is not None}
    # A key matching a pattern is checked against that pattern's schema (`x-` fields have
    # an empty one: any value).
    anything = _compile({}, root)
    patterns = [
        (re.compile(pattern), _ANYTHING if _accepts_anything(sub) else _compile(sub, root))
        for pattern, sub in schema.get("patternProperties", {}).items()
    ]
    # The same few names (`x-effort`) in thousands of files: each matched against the patterns once.
    pattern_of: dict[str, Validator | None] = {}

    def _matched(key: str) -> Validator | None:
        found = pattern_of.get(key, _UNMATCHED)
        if found is _UNMATCHED:
            found = next((check for pattern, check in patterns if pattern.search(key)), None)
            if len(pattern_of) < _MATCHED_LIMIT:
                pattern_of[key] = found
        return found  # type: ignore[return-value]
    required: tuple[str, ...] = tuple(schema.get("required", ()))
    closed = schema.get("additionalProperties", True) is False

    def check_mapping(value: dict[str, Any], name: str, line: int, out: list[Problem]) -> None:
        lines = value.lines if isinstance(value, Mapping) else {}
        raws = value.raw if isinstance(value, Mapping) else {}
        line = getattr(value, "line", line) or line
        prefix = f"{name}." if name else ""
        for field_name in required:
            if value.get(field_name) is None:
                where = f" in '{name}'" if name else ""
                out.append(Problem("schema", f"missing required field '{field_name}'{where}", lines.get(field_name, line), prefix + field_name))
        for key, item in value.items():
            shortcut = shortcuts.get(key)
            if shortcut is not None:  # inline: this loop runs for every field of every file
                kind, detail = shortcut
                # A text with a raw source is an unquoted `.nan`/`.inf` (see check() above):
                # never accepted here.
                if kind == _TEXT:
                    least, pattern = detail
                    if (
                        type(item) is str
                        # at least one character that is not white space: what strip() leaves, without the copy
                        and (not least or (least == 1 and item and not item.isspace()) or len(item.strip()) >= least)
                        and (pattern is None or pattern.search(item))
                        and key not in raws
                    ):
                        continue
                elif kind == _CHOICE:
                    if type(item) is str and item in detail:
                        continue
                elif (  # a list whose every item is exactly text (asked in C) matching the pattern
                    isinstance(item, list)
                    and set(map(type, item)) <= _ONLY_TEXT
                    and (detail is None or all(map(detail.search, item)))
                    and not getattr(item, "raw", None)
                ):
                    continue
            validator = validators.get(key)
            if validator is not None:
                if item is None and key not in required:
                    continue  # `owner:` with nothing after it means "not set"
                validator(item, prefix + key, lines.get(key, line), out, raws.get(key))
            elif (matched := _matched(key)) is not None:
                if matched is not _ANYTHING:
                    matched(item, prefix + key, lines.get(key, line), out, raws.get(key))
                elif type(item) is float:  # any value but a float that is not finite (see check())
                    anything(item, prefix + key, lines.get(key, line), out, raws.get(key))
            elif closed:
                out.append(Problem("unknown-field", _unknown_message(key, properties, prefix), lines.get(key, line), prefix + key))

    return check_mapping


def _unknown_message(key: str, known: dict[str, Any], prefix: str) -> str:
    nearest = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    message = f"unknown field '{prefix}{key}'"
    if not known:  # a map keyed by ids (reviewed:): the key is no usable id
        return f"'{prefix}{key}' is not an id: use letters, digits, '-', '_' or '.'"
    if nearest:
        return f"{message}; did you mean '{nearest[0]}'?"
    return f"{message}; known fields: {', '.join(known)} (prefix your own with 'x-')"
