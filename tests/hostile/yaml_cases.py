"""Hostile YAML: broken files of every kind, and a wrong value in every field of every kind.

Two generators:
- `structural_cases`: a whole file replaced by something YAML or reqtrace must
  refuse (syntax errors, duplicate keys, aliases, billion laughs, non-UTF-8,
  deep nesting, unknown tags, several documents...) or must read without
  harm (BOM, CRLF, empty, `~`, only comments).
- `field_cases`: one field of a valid file given a hostile value (`yes`,
  100,000-digit numbers, NaN, `2026-01-15T25:00:00`, `+99:99`, ESC sequences,
  lone surrogates...), a seeded sample per field.

The oracle for "must not pass" is deliberately narrow: a value is refused
when the field's schema (src/reqtrace/schemas) clearly rules it out, or when
YAML itself cannot build it (an impossible date, a refused tag or anchor).
Where a reasonable tool may accept the value (a null in an optional field, a
single text where a list belongs), any documented exit but 4 is accepted.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from .kit import Case, rng

SCHEMAS = Path(__file__).resolve().parents[2] / "src" / "reqtrace" / "schemas"


@dataclass(frozen=True)
class Kind:
    name: str  # the schema's name
    path: str  # the file in the small repo (tests/hostile/conftest.py SMALL)
    fields: tuple[tuple[str, str], ...]  # (dotted field, valid YAML text), in file order
    front_matter: bool = False
    # 0 fine, 1 a finding; 3 (unreadable) is documented for input that cannot be read at all
    exit_codes: frozenset[int] = frozenset({0, 1, 3})


KINDS = (
    Kind("requirement", "specs/REQ-2.yaml", (
        ("id", "REQ-2"), ("title", "Cancel online"), ("statement", "A patient can cancel online."),
        ("acceptance", "[Cancelling works.]"), ("priority", "must"), ("status", "approved"), ("parents", "[REQ-1]"),
        ("sources", "[MTG-1]"), ("tags", "[booking]"), ("owner", "Li Wei"), ("rationale", "Fewer no-shows."),
    )),
    Kind("request", "records/requests/RQ-1.yaml", (
        ("id", "RQ-1"), ("received", "2026-01-20"), ("from", "Wang Fang"), ("channel", "phone"), ("title", "SMS reminders"),
        ("text", "Please send reminders."), ("refs", "[REQ-3]"), ("sources", "[MTG-1]"), ("claimed", "warranty"), ("affects", "[REQ-3]"),
        ("triage.classification", "change"), ("triage.confidence", "0.8"), ("triage.diverges", "false"), ("triage.baseline", "v1"),
        ("triage.matches", "[REQ-3]"), ("triage.reasons", "[new wording]"), ("triage.by", "reqtrace"), ("triage.on", "2026-01-21"),
        ("decision.as", "change"), ("decision.status", "approved"), ("decision.by", "Li Wei"), ("decision.on", "2026-01-22"),
        ("decision.in", "MTG-1"), ("decision.note", "Agreed."),
    )),
    Kind("meeting", "records/meetings/MTG-1.md", (
        ("id", "MTG-1"), ("date", "2026-01-22"), ("title", "Kick-off"), ("attendees", "[Li Wei, Wang Fang]"), ("refs", "[REQ-1]"),
        ("decisions[].text", "SMS reminders agreed."), ("decisions[].refs", "[REQ-3]"), ("decisions[].approves", "[RQ-1]"),
        ("decisions[].rejects", "[]"),
    ), front_matter=True),
    Kind("email", "records/emails/MAIL-0123456789.eml.yaml", (
        ("id", "MAIL-0123456789"), ("message_id", "<m1@example.test>"), ("date", "'2026-01-21T09:00:00+08:00'"),
        ("from", "A <a@example.test>"), ("to", "[B <b@example.test>]"), ("cc", "[]"), ("subject", "hello"), ("in_reply_to", "[]"),
        ("references", "[]"), ("thread", "[]"), ("refs", "[REQ-1]"),
    )),
    Kind("document", "records/documents/scan.txt.yaml", (
        ("id", "DOC-1"), ("title", "A scan"), ("date", "'2026-01-23'"),
        ("sha256", "7233e6381693e5702aefae1ca0fc98938c50d3036a628895bcd6a0b2ceca68ff"), ("refs", "[REQ-1]"),
    )),
    # The configuration: a bad one makes the repo unreadable (3) or is a finding (1).
    Kind("config", "reqtrace.yaml", (
        ("project", "Hostile test project"), ("customer", "Test customer"), ("paths.requirements", "specs"),
        ("paths.records", "records"), ("paths.baselines", "baselines"), ("id_pattern", "'^[A-Z]+-[0-9]+$'"), ("drift", "warn"),
    )),
)


def _key(name: str) -> str:
    return f'"{name}"' if name in ("on", "yes", "no", "y", "n") else name


def render(kind: Kind, override: dict[str, str] | None = None) -> str:
    """The kind's valid file, with `override` {dotted field or object name: YAML text} put in."""
    override = override or {}
    lines: list[str] = []
    opened: set[str] = set()
    for dotted, text in kind.fields:
        value = override.get(dotted, text)
        if "." not in dotted:
            lines.append(f"{_key(dotted)}: {value}")
            continue
        parent, child = dotted.split(".", 1)
        if parent in override:  # the whole object replaced
            if parent not in opened:
                lines.append(f"{_key(parent.rstrip('[]'))}: {override[parent]}")
                opened.add(parent)
            continue
        if parent not in opened:
            opened.add(parent)
            lines.append(f"{_key(parent.rstrip('[]'))}:")
            if parent.endswith("[]"):
                lines.append(f"  - {_key(child)}: {value}")
                continue
        lines.append(f"{'    ' if parent.endswith('[]') else '  '}{_key(child)}: {value}")
    body = "\n".join(lines) + "\n"
    return f"---\n{body}---\n# Minutes\n" if kind.front_matter else body


# --- the schema oracle -----------------------------------------------------------------

UNLOADABLE = object()  # reqtrace refuses it by design: a tag it does not know, an anchor


@dataclass(frozen=True)
class Raw:
    """A plain scalar YAML 1.1 cannot build as the type it looks like (`2026-01-15T25:00:00`,
    a 100,000-digit number): a tool may keep it as the text that was written, so it is
    refused only where that text is not valid either (a date field, an enum, a number)."""

    text: str


def _schema(kind: str) -> dict:
    return json.loads((SCHEMAS / f"{kind}.json").read_text(encoding="utf-8"))


def field_schema(kind: str, dotted: str) -> tuple[dict, bool]:
    """The sub-schema of a dotted field, and whether the field is required."""
    schema = _schema(kind)
    parts = dotted.split(".")
    required = True
    for part in parts:
        if part.endswith("[]"):
            required = required and part[:-2] in schema.get("required", [])
            schema = schema["properties"][part[:-2]]["items"]
        else:
            required = required and part in schema.get("required", [])
            schema = schema["properties"][part]
    return schema, required


def _is_date(value: object) -> bool:
    if isinstance(value, dt.date):
        return True
    if not isinstance(value, str):
        return False
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return parsed.utcoffset() is None or abs(parsed.utcoffset()) < dt.timedelta(hours=24)  # type: ignore[arg-type]


def clearly_invalid(schema: dict, required: bool, value: object) -> bool:
    """True when no reasonable reading of the schema accepts `value`."""
    if value is UNLOADABLE:
        return True
    if isinstance(value, Raw):
        if schema.get("type") in ("string", "array") or ("enum" in schema and "type" not in schema):
            return schema.get("type") != "array" and clearly_invalid(schema, required, value.text)
        return True
    if value is None:
        return required
    kind = schema.get("type")
    if "enum" in schema and kind is None:
        return value not in schema["enum"]
    if kind == "string":
        if isinstance(value, dt.date) and schema.get("format") == "date":
            return False
        if not isinstance(value, str):
            return not isinstance(value, dt.date)  # a date where text belongs: a tool may quote it for you
        if "pattern" in schema and not re.search(schema["pattern"], value):
            return True
        if schema.get("format") == "date" and not _is_date(value):
            return True
        return "enum" in schema and value not in schema["enum"]
    if kind == "array":
        if isinstance(value, str):
            return False  # one text where a list belongs: a tool may take it as a list of one
        if not isinstance(value, list):
            return True
        return any(clearly_invalid(schema.get("items", {}), True, item) for item in value)
    if kind == "number":
        return isinstance(value, bool) or not isinstance(value, int | float)
    if kind == "integer":
        return isinstance(value, bool) or not isinstance(value, int)
    if kind == "boolean":
        return not isinstance(value, bool)
    if kind == "object":
        return not isinstance(value, dict)
    return False


# --- hostile values: (name, YAML text, the value a faithful reader builds) ------------------

ESC_TITLE = "\x1b]0;pwned\x07\x1b[2J\x1b[31mred"
HUGE_DIGITS = "9" * 100_000

VALUES: tuple[tuple[str, str, object], ...] = (
    ("yes", "yes", True),
    ("NO", "NO", False),
    ("tilde", "~", None),
    ("empty", "", None),
    ("huge-int", "123456789012345678901234567890", 123456789012345678901234567890),
    ("100000-digit-int", HUGE_DIGITS, Raw(HUGE_DIGITS)),  # beyond Python's int-from-text limit
    ("100000-digit-quoted", f'"{HUGE_DIGITS}"', HUGE_DIGITS),
    ("negative", "-1", -1),
    ("octal-012", "012", 10),
    ("hex", "0x1F", 31),
    ("nan", ".nan", math.nan),
    ("minus-inf", "-.inf", -math.inf),
    ("float-overflow", "1.0e+400", math.inf),
    ("float-1.10", "1.10", 1.1),
    ("empty-list", "[]", []),
    ("nested-list", "[a, [b, {c: d}]]", ["a", ["b", {"c": "d"}]]),
    ("list-of-nulls", "[~, ~]", [None, None]),
    ("list-of-ints", "[1, 2]", [1, 2]),
    ("list-bad-id", '["REQ 1; rm -rf /"]', ["REQ 1; rm -rf /"]),
    ("empty-map", "{}", {}),
    ("map", "{a: 1}", {"a": 1}),
    ("date", "2026-01-15", dt.date(2026, 1, 15)),
    ("hour-25", "2026-01-15T25:00:00", Raw("2026-01-15T25:00:00")),
    ("offset-99-99", "2026-01-15T10:00:00+99:99", Raw("2026-01-15T10:00:00+99:99")),
    ("feb-30", "2026-02-30", Raw("2026-02-30")),
    ("year-0", "0000-01-01", Raw("0000-01-01")),
    ("quoted-hour-25", "'2026-01-15T25:00:00'", "2026-01-15T25:00:00"),
    ("quoted-offset-99-99", "'2026-01-15T10:00:00+99:99'", "2026-01-15T10:00:00+99:99"),
    ("quoted-feb-30", "'2026-02-30'", "2026-02-30"),
    ("esc-sequences", '"\\e]0;pwned\\a\\e[2J\\e[31mred"', ESC_TITLE),
    ("c1-csi", '"\\x9b31m c1"', "\x9b31m c1"),
    ("bel-and-cr", '"ring\\a\\rover"', "ring\x07\rover"),
    ("nul", '"a\\0b"', "a\x00b"),
    ("rich-markup", '"[bold red]markup[/] [draft]"', "[bold red]markup[/] [draft]"),
    ("lone-surrogate", '"\\ud800 lone"', "\ud800 lone"),
    ("rtl-override", '"\\u202eevil"', "\u202eevil"),
    ("newlines", '"line1\\nline2\\n"', "line1\nline2\n"),
    ("long-text", '"' + "x" * 200_000 + '"', "x" * 200_000),
    ("binary-tag", "!!binary aGVsbG8=", UNLOADABLE),
    ("set-tag", "!!set {a, b}", UNLOADABLE),
    ("python-tag", "!!python/object/apply:os.system ['touch /tmp/reqtrace-hostile-pwned']", UNLOADABLE),
    ("custom-tag", "!include /etc/passwd", UNLOADABLE),
    ("bad-int-tag", "!!int notanumber", Raw("notanumber")),
    ("bad-timestamp-tag", "!!timestamp nonsense", Raw("nonsense")),
    ("anchor", "&a value", UNLOADABLE),
)
# The values the issue names: every field gets these; the rest are sampled.
NAMED = ("yes", "100000-digit-int", "nan", "hour-25", "offset-99-99", "esc-sequences", "lone-surrogate")
SAMPLED_PER_FIELD = 3
# Values that a text output might show: `list` runs too, and must not pass them raw to a terminal.
SHOWN = frozenset({"esc-sequences", "c1-csi", "bel-and-cr", "rich-markup", "lone-surrogate", "rtl-override", "nul", "newlines"})


@dataclass(frozen=True)
class FieldInput:
    kind: Kind
    field: str
    text: str
    value_name: str

    def content(self) -> bytes:
        return render(self.kind, {self.field: self.text}).encode("utf-8", "surrogatepass")


def field_cases() -> list[Case]:
    cases = []
    random = rng("yaml-fields")
    by_name = {name: (text, value) for name, text, value in VALUES}
    for kind in KINDS:
        objects = sorted({dotted.split(".")[0] for dotted, _ in kind.fields if "." in dotted})
        targets = [dotted for dotted, _ in kind.fields] + objects
        for dotted in targets:
            others = [name for name, _, _ in VALUES if name not in NAMED]
            chosen = list(NAMED) + random.sample(others, SAMPLED_PER_FIELD)
            for name in chosen:
                text, value = by_name[name]
                base = dotted[:-2] if dotted.endswith("[]") else dotted
                schema, required = field_schema(kind.name, base) if dotted in objects else field_schema(kind.name, dotted)
                must = clearly_invalid(schema, required, value)
                cases.append(Case(
                    "yaml-field", f"{kind.name}.{dotted}={name}", FieldInput(kind, dotted, text, name),
                    kind.exit_codes, must,
                ))
    return cases


# --- whole files --------------------------------------------------------------------------


def _valid(kind: Kind) -> str:
    return render(kind)


def _yaml_part(kind: Kind, text: str) -> str:
    """Text put where the YAML goes: the whole file, or a meeting's front matter."""
    return f"---\n{text}---\n# Minutes\n" if kind.front_matter else text


def _first_line(kind: Kind) -> str:
    return f"{kind.fields[0][0]}: {kind.fields[0][1]}\n"


LAUGHS = "".join(
    ["x-l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"]
    + [f"x-l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10)]
)

# (name, builder(kind) -> bytes, must fail)
STRUCTURES = (
    ("unclosed-flow", lambda k: _yaml_part(k, _first_line(k) + "title: [oops\n").encode(), True),
    ("bad-indent", lambda k: _yaml_part(k, _first_line(k) + "  x: 1\n y: 2\n").encode(), True),
    ("tab-indent", lambda k: _yaml_part(k, _first_line(k) + "x:\n\t- a\n").encode(), True),
    ("unterminated-quote", lambda k: _yaml_part(k, _first_line(k) + 'title: "never ends\n').encode(), True),
    ("duplicate-key", lambda k: _valid(k).replace("---\n# Minutes", _first_line(k) + "---\n# Minutes").encode() if k.front_matter else (_valid(k) + _first_line(k)).encode(), True),
    ("duplicate-key-nested", lambda k: _yaml_part(k, _first_line(k) + "x-a:\n  b: 1\n  b: 2\n").encode(), True),
    ("alias", lambda k: _yaml_part(k, "".join(f"{f}: {t}\n" for f, t in k.fields if "." not in f) + "x-a: &x hello\nx-b: *x\n").encode(), True),
    ("billion-laughs", lambda k: _yaml_part(k, _first_line(k) + LAUGHS).encode(), True),
    ("recursive-alias", lambda k: _yaml_part(k, _first_line(k) + "x-r: &r [*r]\n").encode(), True),
    ("merge-key", lambda k: _yaml_part(k, _first_line(k) + "<<: {title: merged}\n").encode(), False),
    ("empty-file", lambda k: b"", False),
    ("tilde-only", lambda k: _yaml_part(k, "~\n").encode(), False),
    ("comments-only", lambda k: _yaml_part(k, "# nothing\n# here\n").encode(), False),
    ("whitespace-only", lambda k: b"   \n\n  \n", False),
    ("invalid-utf8", lambda k: _valid(k).encode().replace(b"\n", b" \xff\xfe\n", 1), True),
    ("latin1", lambda k: _valid(k).encode() + b"x-note: caf\xe9\n" if not k.front_matter else _valid(k).encode().replace(b"---\n# Minutes", b"x-note: caf\xe9\n---\n# Minutes"), True),
    ("gbk-bytes", lambda k: _yaml_part(k, _first_line(k)).encode() + "x-note: 中文标题\n".encode("gbk"), True),
    ("bom", lambda k: b"\xef\xbb\xbf" + _valid(k).encode(), False),
    ("crlf", lambda k: _valid(k).replace("\n", "\r\n").encode(), False),
    ("bom-crlf", lambda k: b"\xef\xbb\xbf" + _valid(k).replace("\n", "\r\n").encode(), False),
    ("cr-only", lambda k: _valid(k).replace("\n", "\r").encode(), False),
    ("utf16", lambda k: _valid(k).encode("utf-16"), False),
    ("double-bom", lambda k: b"\xef\xbb\xbf\xef\xbb\xbf" + _valid(k).encode(), False),
    ("deep-flow-nesting", lambda k: _yaml_part(k, _first_line(k) + "x-deep: " + "[" * 5000 + "]" * 5000 + "\n").encode(), True),
    ("deep-block-nesting", lambda k: _yaml_part(k, _first_line(k) + "".join(" " * i + f"k{i}:\n" for i in range(300)) + " " * 300 + "v\n").encode(), True),
    ("two-documents", lambda k: (_valid(k) + "---\nid: OTHER-1\n").encode() if not k.front_matter else _yaml_part(k, _first_line(k) + "...\n---\nid: OTHER-1\n").encode(), True),
    ("top-level-list", lambda k: _yaml_part(k, "- a\n- b\n").encode(), True),
    ("top-level-scalar", lambda k: _yaml_part(k, "just some text\n").encode(), True),
    ("top-level-int", lambda k: _yaml_part(k, "42\n").encode(), True),
    ("raw-nul", lambda k: _valid(k).encode().replace(b"\n", b" \x00\n", 1), True),
    ("raw-esc", lambda k: _valid(k).encode().replace(b"\n", b" \x1b[2J\n", 1), True),
    ("raw-c1", lambda k: _valid(k).encode().replace(b"\n", "\u0085\u009b".encode() + b"\n", 1), False),
    ("over-1MiB", lambda k: (_valid(k).replace("---\n# Minutes", "---\n# Minutes") if k.front_matter else _valid(k)).encode() + b"# " + b"x" * (1 << 20) + b"\n", True),
    ("complex-key", lambda k: _yaml_part(k, _first_line(k) + "? [a, b]\n: c\n").encode(), True),
    ("int-key", lambda k: _valid(k).encode().replace(b"\n", b"\n1: one\n", 1), False),
    ("null-key", lambda k: _valid(k).encode().replace(b"\n", b"\n~: nothing\n", 1), False),
    ("20000-keys", lambda k: (_valid(k) if not k.front_matter else "").encode() + "".join(f"x-k{i}: v\n" for i in range(20000)).encode() if not k.front_matter else _yaml_part(k, _first_line(k) + "".join(f"x-k{i}: v\n" for i in range(20000))).encode(), False),
    ("front-matter-unclosed", lambda k: b"---\n" + _valid(k).encode().replace(b"---\n", b"") if k.front_matter else _valid(k).encode(), False),
)
# Files whose loss leaves the repo unreadable: an empty or null config must not pass.
CONFIG_MUST_FAIL = {"empty-file", "tilde-only", "comments-only", "whitespace-only", "top-level-list", "top-level-scalar", "top-level-int", "utf16"}


def structural_cases() -> list[Case]:
    cases = []
    for kind in KINDS:
        for name, build, must in STRUCTURES:
            must = must or (kind.name == "config" and name in CONFIG_MUST_FAIL)
            if kind.front_matter and name == "front-matter-unclosed":
                must = True
            cases.append(Case("yaml-file", f"{kind.name}:{name}", (kind, build), frozenset({0, 1, 3}), must))
    return cases


