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
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from .errors import UsageError
from .yamlio import Mapping

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


@cache
def load_schema(kind: str) -> dict[str, Any]:
    if kind not in kinds():
        raise UsageError(f"no schema for '{kind}'; known kinds: {', '.join(kinds())}")
    text = resources.files("reqtrace.schemas").joinpath(f"{kind}.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def validate(data: Any, kind: str, line: int = 1) -> list[Problem]:
    """Every way `data` departs from the schema of `kind`."""
    problems: list[Problem] = []
    _check(data, load_schema(kind), "", line, problems)
    return problems


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


def _wrong_type(name: str, value: Any, expected: str, raw: str | None) -> str:
    want = {"string": "text", "array": "a list", "object": "a mapping"}.get(expected, expected)
    label = f"'{name}'" if name else "the file"
    if expected == "string" and raw is not None:
        return (
            f"{label} must be {want}, but YAML read the unquoted `{raw}` as {_type_name(value)} "
            f"({value!r}); quote it: {name.rsplit('.', 1)[-1]}: \"{raw}\""
        )
    if expected == "array" and isinstance(value, str | int | float):
        return f"{label} must be {want}; write it as a list, e.g. [{value}] or one '- item' per line"
    return f"{label} must be {want}, not {_type_name(value)}"


def _check(value: Any, schema: dict[str, Any], name: str, line: int, out: list[Problem], raw: str | None = None) -> None:
    expected = schema.get("type")
    if expected is not None and not _matches_type(value, expected, schema):
        out.append(Problem("schema", _wrong_type(name, value, expected, raw), line, name))
        return
    if "enum" in schema and value not in schema["enum"]:
        shown = raw if raw is not None else value
        choices = ", ".join(str(choice) for choice in schema["enum"])
        out.append(Problem("schema", f"'{name}' must be one of {choices} (got {shown!r})", line, name))
        return
    if isinstance(value, str):
        if len(value.strip()) < schema.get("minLength", 0):
            out.append(Problem("schema", f"'{name}' must not be empty", line, name))
        pattern = schema.get("pattern")
        if pattern and not re.search(pattern, value):
            advice = schema.get("x-hint", "use letters, digits, '-', '_' or '.'")
            out.append(Problem("schema", f"'{name}' has an unusable value {value!r}: {advice}", line, name))
        if schema.get("format") == "date" and not _DATE.match(value):
            out.append(Problem("schema", f"'{name}' must be a date like 2026-01-15 (got {value!r})", line, name))
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"] or "maximum" in schema and value > schema["maximum"]:
            out.append(Problem("schema", f"'{name}' must be between {schema.get('minimum')} and {schema.get('maximum')}", line, name))
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            _check(item, schema["items"], f"{name}[{index}]", getattr(item, "line", line), out)
    if isinstance(value, dict):
        _check_mapping(value, schema, name, line, out)


def _check_mapping(value: dict[str, Any], schema: dict[str, Any], name: str, line: int, out: list[Problem]) -> None:
    lines = value.lines if isinstance(value, Mapping) else {}
    raws = value.raw if isinstance(value, Mapping) else {}
    line = getattr(value, "line", line) or line
    properties: dict[str, Any] = schema.get("properties", {})
    patterns: dict[str, Any] = schema.get("patternProperties", {})
    prefix = f"{name}." if name else ""
    for required in schema.get("required", ()):
        if required not in value or value[required] is None:
            where = f" in '{name}'" if name else ""
            out.append(Problem("schema", f"missing required field '{required}'{where}", lines.get(required, line), prefix + required))
    for key, item in value.items():
        key_line = lines.get(key, line)
        if key in properties:
            if item is None and key not in schema.get("required", ()):
                continue  # `owner:` with nothing after it means "not set"
            _check(item, properties[key], prefix + key, key_line, out, raws.get(key))
        elif any(re.search(pattern, key) for pattern in patterns):
            continue
        elif schema.get("additionalProperties", True) is False:
            out.append(Problem("unknown-field", _unknown_message(key, properties, prefix), key_line, prefix + key))


def _unknown_message(key: str, known: dict[str, Any], prefix: str) -> str:
    nearest = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    message = f"unknown field '{prefix}{key}'"
    if nearest:
        return f"{message}; did you mean '{nearest[0]}'?"
    return f"{message}; known fields: {', '.join(known)} (prefix your own with 'x-')"
