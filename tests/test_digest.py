"""Property tests of the digest (reqtrace-digest-1, docs/digest.md).

Both halves of the promise, through the real parser:
- a requirement written out with any formatting — key order, quoting style,
  comments, flow or block lists, folded text re-wrapped (Chinese included),
  extra spaces, decomposed accents — has the same digest;
- every single semantic mutation — a word, a criterion, priority, status, a
  link, an x- attribute — changes it, whatever formatting either side uses.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reqtrace.core.digest import (
    DIGEST_PATTERN,
    normalise_text,
    plain_root_digest,
    requirement_digest,
    root_digest,
    well_formed_digests,
)
from reqtrace.core.model import Config, Requirement
from reqtrace.core.parse import parse_requirements
from reqtrace.io.yamlio import load_yaml

CONFIG = Config(project="digest tests")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ENGLISH = [
    "patient", "books", "an", "appointment", "within", "24", "hours", "SMS", "reminder",
    "clinic", "café", "naïve", "doctor", "slot", "cancel", "14", "days", "NO", "on",
    "1.10", "#tag", "a:b", "-dash", "[draft]", "it's", '"quoted"', "%off", "@home",
    "50%", "x&y", "REQ-3", "e-mail", "`code`", "yes", "null", "~",
]
CHINESE = "患者可以在线预约取消挂号医生提醒短信小时天内诊所系统管理员，。：；！？（）"
PRIORITIES = ["must", "should", "could", "wont"]
STATUSES = ["draft", "proposed", "approved", "deprecated"]
RECORD_IDS = ["MTG-2026-01-15", "RQ-3", "RQ-7", "MAIL-3fa2c1d0e9", "DOC-1", "MTG-2026-02-20"]


# ----------------------------------------------------------------- meaning


def _token(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return draw(st.sampled_from(ENGLISH))
    return draw(st.sampled_from(CHINESE))


def _is_cjk(char: str) -> bool:
    """Wide or full-width: the characters of scripts written without spaces (not Hangul here)."""
    return unicodedata.east_asian_width(char) in ("W", "F")


def join_tokens(tokens: list[str], spaced: list[bool] | None = None) -> str:
    """Tokens as text: Latin words always apart, CJK characters together unless `spaced`."""
    out = ""
    for index, token in enumerate(tokens):
        if index:
            apart = not (_is_cjk(token[0]) or _is_cjk(tokens[index - 1][-1]))
            if apart or (spaced and spaced[index]):
                out += " "
        out += token
    return out


@st.composite
def texts(draw: st.DrawFn, min_tokens: int = 1) -> str:
    tokens = draw(st.lists(st.builds(lambda: None), min_size=min_tokens, max_size=14))
    return join_tokens([_token(draw) for _ in tokens])


@st.composite
def requirements(draw: st.DrawFn) -> dict[str, Any]:
    """A requirement's meaning as plain data (the keys of a requirement file)."""
    data: dict[str, Any] = {
        "id": f"REQ-{draw(st.integers(1, 999))}",
        "title": draw(texts()),
        "statement": draw(texts(min_tokens=3)),
    }
    if draw(st.booleans()):
        data["acceptance"] = draw(st.lists(texts(min_tokens=2), min_size=1, max_size=4, unique_by=normalise_text))
    if draw(st.booleans()):
        data["priority"] = draw(st.sampled_from(PRIORITIES))
    if draw(st.booleans()):
        data["status"] = draw(st.sampled_from(STATUSES))
    if draw(st.booleans()):
        data["parents"] = draw(st.lists(st.integers(1000, 1010).map(lambda n: f"REQ-{n}"), min_size=1, max_size=3, unique=True))
    if draw(st.booleans()):
        data["sources"] = draw(st.lists(st.sampled_from(RECORD_IDS), min_size=1, max_size=3, unique=True))
    if draw(st.booleans()):
        data["tags"] = draw(st.lists(st.sampled_from(["booking", "sms", "admin", "预约", "security"]), min_size=1, max_size=3, unique=True))
    if draw(st.booleans()):
        data["owner"] = draw(st.sampled_from(["Li Wei", "Dr. Chen", "王芳", "Ana Müller"]))
    if draw(st.booleans()):
        data["rationale"] = draw(texts(min_tokens=2))
    for key in draw(st.lists(st.sampled_from(["x-risk", "x-cost", "x-reviewed", "x-links", "x-meta"]), max_size=3, unique=True)):
        data[key] = draw(x_values(key))
    return data


def x_values(key: str) -> st.SearchStrategy[Any]:
    return {
        "x-risk": texts(),
        "x-cost": st.integers(0, 10_000),
        "x-reviewed": st.booleans(),
        "x-links": st.lists(st.sampled_from(["JIRA-1", "JIRA-2", "https://example.test/a", "设计稿"]), min_size=1, max_size=3, unique=True),
        "x-meta": st.fixed_dictionaries({"team": st.sampled_from(["web", "移动"]), "sprint": st.sampled_from(["S1", "S2", "S3"])}),
    }[key]


# -------------------------------------------------------------- formatting


def _loads_as(fragment: str, expected: Any) -> bool:
    try:
        return load_yaml(f"k: {fragment}\n") == {"k": expected}
    except Exception:  # noqa: BLE001 - any YAML trouble means "not safe as plain"
        return False


def _break_points(text: str) -> list[tuple[int, bool]]:
    """(index, replaces_a_space) where a line may be broken without changing the meaning."""
    points = []
    for index in range(1, len(text)):
        if text[index] == " ":
            points.append((index, True))
        elif text[index - 1] != " " and (_is_cjk(text[index - 1]) or _is_cjk(text[index])):
            points.append((index, False))
    return points


def _wrap(draw: st.DrawFn, text: str) -> list[str]:
    points = _break_points(text)
    chosen = sorted(draw(st.sets(st.sampled_from(points), max_size=len(points))) if points else [])
    lines, start = [], 0
    for index, replaces_space in chosen:
        if index <= start:
            continue
        lines.append(text[start:index])
        start = index + 1 if replaces_space else index
    lines.append(text[start:])
    return [line for line in lines if line]


def _spread(draw: st.DrawFn, text: str) -> str:
    """Extra white space where there already is some (and pangu spaces around CJK)."""
    out = []
    for index, char in enumerate(text):
        if char == " ":
            out.append(draw(st.sampled_from([" ", "  ", "\u3000 ", " \t"])) if draw(st.booleans()) else " ")
        else:
            if index and text[index - 1] != " " and (_is_cjk(char) or _is_cjk(text[index - 1])) and draw(st.integers(0, 4)) == 0:
                out.append(" ")
            out.append(char)
    return "".join(out)


def render_text(draw: st.DrawFn, text: str, indent: int, *, flow: bool = False, free_text: bool = True) -> str:
    """One string scalar, as written after `key:` (or `- `), in a random style.

    Block styles only for free text: a folded `priority: >` reads as "must\\n",
    which the schema rightly refuses for an enum or an id.
    """
    if draw(st.booleans()):
        text = unicodedata.normalize("NFD", text)
    styles = ["plain", "single", "double"] if flow or not free_text else ["plain", "single", "double", "folded", "literal"]
    style = draw(st.sampled_from(styles))
    pad = " " * indent
    if style == "plain":
        if _loads_as(f"[{text}]" if flow else text, [text] if flow else text):
            return text
        style = "double"
    if style == "single":
        return "'" + text.replace("'", "''") + "'"
    if style == "double":
        return json.dumps(_spread(draw, text), ensure_ascii=False)
    header = draw(st.sampled_from([">-", ">"] if style == "folded" else ["|-", "|"]))
    lines = _wrap(draw, text)
    return header + "".join(f"\n{pad}{line}" for line in lines)


def render_list(draw: st.DrawFn, items: list[str], indent: int, free_text: bool) -> str:
    if draw(st.booleans()):
        return "[" + ", ".join(render_text(draw, item, indent, flow=True) for item in items) + "]"
    pad = " " * indent
    return "".join(f"\n{pad}- {render_text(draw, item, indent + 2, free_text=free_text)}" for item in items)


FREE_TEXT = {"title", "statement", "acceptance", "owner", "rationale", "x-risk"}


def render_value(draw: st.DrawFn, value: Any, indent: int, key: str = "") -> str:
    if isinstance(value, bool):
        return draw(st.sampled_from(["true", "True", "TRUE"] if value else ["false", "False", "FALSE"]))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return render_text(draw, value, indent, free_text=key in FREE_TEXT)
    if isinstance(value, list):
        return render_list(draw, value, indent, free_text=key in FREE_TEXT)
    if isinstance(value, dict):
        keys = draw(st.permutations(list(value)))
        if draw(st.booleans()):
            return "{" + ", ".join(f"{key}: {render_text(draw, value[key], indent, flow=True)}" for key in keys) + "}"
        pad = " " * indent
        return "".join(f"\n{pad}{key}: {render_text(draw, value[key], indent + 2)}" for key in keys)
    raise AssertionError(value)


COMMENTS = ["# reviewed at the kick-off", "# 需求已确认", "#", "# TODO: ask Dr. Chen"]


def render(draw: st.DrawFn, data: dict[str, Any]) -> str:
    """The requirement as a YAML file, formatted at random."""
    nested = draw(st.booleans())  # one item of a `requirements:` list
    key_column = 2 if nested else 0
    indent = key_column + draw(st.sampled_from([2, 4]))
    lines = []
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(COMMENTS)))
    for index, key in enumerate(draw(st.permutations(list(data)))):
        if draw(st.integers(0, 3)) == 0:
            lines.append(" " * key_column + draw(st.sampled_from(COMMENTS)))
        value = render_value(draw, data[key], indent, key)
        prefix = ("- " if index == 0 else "  ") if nested else ""
        line = f"{prefix}{key}:" + (value if value.startswith("\n") else f" {value}")
        if "\n" not in value and draw(st.integers(0, 3)) == 0:
            line += " " + draw(st.sampled_from(COMMENTS))
        lines.append(line)
    body = "\n".join(lines) + "\n"
    if nested:
        body = "requirements:\n" + body
    if draw(st.booleans()):
        body = "---\n" + body
    return body


def parse_one(text: str) -> Requirement:
    parsed = parse_requirements("specs/REQ.yaml", text.encode("utf-8"), CONFIG)
    errors = [f for f in parsed.findings if f.severity == "error"]
    assert not errors, (errors, text)
    assert len(parsed.items) == 1, text
    return parsed.items[0]


def digest_of(draw: st.DrawFn, data: dict[str, Any]) -> tuple[str, str]:
    text = render(draw, data)
    return requirement_digest(parse_one(text)), text


# ------------------------------------------------------------------ tests


@SETTINGS
@given(st.data())
def test_formatting_never_changes_the_digest(data: st.DataObject) -> None:
    meaning = data.draw(requirements())
    first, first_text = digest_of(data.draw, meaning)
    second, second_text = digest_of(data.draw, meaning)
    assert first == second, f"same meaning, different digests:\n{first_text}\n---\n{second_text}"


@SETTINGS
@given(st.data())
def test_rewrapping_chinese_folded_text_keeps_the_digest(data: st.DataObject) -> None:
    chars = data.draw(st.lists(st.sampled_from(CHINESE), min_size=2, max_size=40))
    words = data.draw(st.lists(st.sampled_from(["SMS", "REQ-3", "14", "Web"]), max_size=3))
    pieces = chars + words
    order = data.draw(st.permutations(pieces))
    text = join_tokens(list(order))
    one_line = f"id: REQ-1\ntitle: t\nstatement: {json.dumps(text, ensure_ascii=False)}\n"
    wrapped = "id: REQ-1\ntitle: t\nstatement: >-\n" + "".join(f"  {line}\n" for line in _wrap(data.draw, text))
    assert requirement_digest(parse_one(one_line)) == requirement_digest(parse_one(wrapped)), wrapped


def _mutate_text(draw: st.DrawFn, text: str) -> str:
    """One word (or one Chinese character) replaced, deleted or inserted."""
    tokens = []
    for word in text.split(" "):
        # A CJK run is one token per character; Latin words stay whole.
        run = ""
        for char in word:
            if _is_cjk(char):
                if run:
                    tokens.append(run)
                    run = ""
                tokens.append(char)
            else:
                run += char
        if run:
            tokens.append(run)
    action = draw(st.sampled_from(["replace", "delete", "insert"]))
    index = draw(st.integers(0, len(tokens) - 1))
    if action == "insert":
        tokens.insert(index, draw(st.sampled_from(["not", "never", "30", "不", "禁止"])))
    elif action == "delete" and len(tokens) > 1:
        del tokens[index]
    else:
        old = tokens[index]
        choices = [t for t in [*ENGLISH, *CHINESE] if normalise_text(t) != normalise_text(old)]
        tokens[index] = draw(st.sampled_from(choices))
    return join_tokens(tokens)


MUTATIONS = [
    "id", "title", "statement", "add-criterion", "drop-criterion", "edit-criterion",
    "priority", "status", "parents", "sources", "tags", "owner", "rationale",
    "x-change", "x-add", "x-remove",
]


def mutate(draw: st.DrawFn, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    changed = json.loads(json.dumps(data))
    kind = draw(st.sampled_from(MUTATIONS))
    if kind == "id":
        changed["id"] = changed["id"] + "0"
    elif kind in ("title", "statement"):
        changed[kind] = _mutate_text(draw, changed[kind])
    elif kind == "add-criterion":
        criteria = changed.setdefault("acceptance", [])
        criteria.insert(draw(st.integers(0, len(criteria))), draw(texts(min_tokens=2).filter(lambda t: normalise_text(t) not in map(normalise_text, criteria))))
    elif kind == "drop-criterion" and changed.get("acceptance"):
        del changed["acceptance"][draw(st.integers(0, len(changed["acceptance"]) - 1))]
    elif kind in ("drop-criterion", "edit-criterion"):
        criteria = changed.get("acceptance") or [draw(texts(min_tokens=2))]
        index = draw(st.integers(0, len(criteria) - 1))
        criteria[index] = _mutate_text(draw, criteria[index])
        changed["acceptance"] = criteria
    elif kind in ("priority", "status"):
        values = PRIORITIES if kind == "priority" else STATUSES
        choice = draw(st.sampled_from([v for v in values if v != changed.get(kind)] + ([None] if kind in changed else [])))
        if choice is None:
            del changed[kind]
        else:
            changed[kind] = choice
    elif kind in ("parents", "sources", "tags"):
        pool = {"parents": [f"REQ-{n}" for n in range(1000, 1012)], "sources": RECORD_IDS, "tags": ["booking", "sms", "admin", "预约", "security", "ux"]}[kind]
        current = changed.get(kind, [])
        missing = [v for v in pool if v not in current]
        if current and (not missing or draw(st.booleans())):
            current.remove(draw(st.sampled_from(current)))
        else:
            current.append(draw(st.sampled_from(missing)))
        if current:
            changed[kind] = current
        else:
            changed.pop(kind, None)
    elif kind in ("owner", "rationale"):
        if kind in changed and draw(st.booleans()):
            del changed[kind]
        else:
            changed[kind] = _mutate_text(draw, changed.get(kind) or "Li Wei")
    elif kind == "x-change" and any(k.startswith("x-") for k in changed):
        key = draw(st.sampled_from(sorted(k for k in changed if k.startswith("x-"))))
        value = changed[key]
        if isinstance(value, bool):
            changed[key] = not value
        elif isinstance(value, int):
            changed[key] = value + draw(st.integers(1, 5))
        elif isinstance(value, str):
            changed[key] = _mutate_text(draw, value)
        elif isinstance(value, list):
            changed[key] = value[:-1] if len(value) > 1 else [*value, "JIRA-9"]
        else:
            changed[key] = {**value, "sprint": "S9"}
    elif kind == "x-remove" and any(k.startswith("x-") for k in changed):
        del changed[draw(st.sampled_from(sorted(k for k in changed if k.startswith("x-"))))]
    else:  # x-add, or an x- change/removal with no x- attribute to work on
        key = draw(st.sampled_from([k for k in ("x-risk", "x-cost", "x-reviewed", "x-links", "x-meta", "x-new") if k not in changed]))
        changed[key] = draw(x_values(key)) if key != "x-new" else "yes"
    return kind, {key: value for key, value in changed.items() if value != []}


# slow: a hypothesis search over mutations of a requirement, each one digested
@pytest.mark.slow
@SETTINGS
@given(st.data())
def test_every_semantic_mutation_changes_the_digest(data: st.DataObject) -> None:
    meaning = data.draw(requirements())
    kind, changed = mutate(data.draw, meaning)
    before, before_text = digest_of(data.draw, meaning)
    after, after_text = digest_of(data.draw, changed)
    assert before != after, f"mutation {kind} kept the digest:\n{before_text}\n---\n{after_text}"


@SETTINGS
@given(st.dictionaries(st.integers(1, 9999).map(lambda n: f"REQ-{n}"), st.binary(min_size=32, max_size=32).map(lambda b: "sha256:" + b.hex()), min_size=1, max_size=20), st.data())
def test_root_digest_covers_every_pair_in_any_order(pairs: dict[str, str], data: st.DataObject) -> None:
    items = list(pairs.items())
    shuffled = data.draw(st.permutations(items))
    assert root_digest(items) == root_digest(shuffled)
    victim = data.draw(st.sampled_from(items))
    other = "sha256:" + ("0" * 64 if victim[1] != "sha256:" + "0" * 64 else "1" * 64)
    changed = [(i, other if (i, d) == victim else d) for i, d in items]
    assert root_digest(items) != root_digest(changed)
    assert root_digest(items) != root_digest([p for p in items if p != victim] + [(victim[0] + "9", victim[1])])
    if len(items) > 1:
        assert root_digest(items) != root_digest([p for p in items if p != victim])


# ---------------------------------------------------------- fixed examples


def test_digest_is_fixed_for_a_known_requirement() -> None:
    """A change to the algorithm must show up here: stored baselines depend on these bytes."""
    text = (
        "id: REQ-12\n"
        "title: Cancel an appointment online\n"
        "statement: >\n  A patient can cancel a booked appointment online until 24 hours before\n  its start.\n"
        "acceptance:\n  - Cancelling 25 hours before the start succeeds.\n  - 取消成功后 释放 号源。\n"
        "priority: must\nstatus: approved\nparents: [REQ-3]\nsources: [MTG-2026-01-15]\n"
        "tags: [booking]\nx-risk: medium\n"
    )
    requirement = parse_one(text)
    from reqtrace.core.digest import canonical_bytes

    assert canonical_bytes(requirement).decode() == (
        '{"acceptance":["Cancelling 25 hours before the start succeeds.","取消成功后释放号源。"],'
        '"id":"REQ-12","parents":["REQ-3"],"priority":"must","sources":["MTG-2026-01-15"],'
        '"statement":"A patient can cancel a booked appointment online until 24 hours before its start.",'
        '"status":"approved","tags":["booking"],"title":"Cancel an appointment online","x-risk":"medium"}'
    )
    assert requirement_digest(requirement) == "sha256:" + __import__("hashlib").sha256(canonical_bytes(requirement)).hexdigest()
    assert root_digest([("REQ-12", requirement_digest(requirement))]) == "sha256:" + __import__("hashlib").sha256(
        f"REQ-12 {requirement_digest(requirement)}\n".encode()
    ).hexdigest()


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("支持 SMS 提醒", "支持SMS提醒"),  # pangu spacing is typography
        ("第一行\n第二行", "第一行第二行"),  # a folded line break inside Chinese
        ("café", unicodedata.normalize("NFD", "café")),
        ("a\u3000 b", "a b"),
    ],
)
def test_equal_texts(one: str, other: str) -> None:
    assert normalise_text(one) == normalise_text(other)


@pytest.mark.parametrize(("one", "other"), [("한국 어", "한국어"), ("a b", "ab"), ("14 天", "41 天")])
def test_different_texts(one: str, other: str) -> None:
    assert normalise_text(one) != normalise_text(other)


def test_root_digest_refuses_ids_that_could_forge_lines() -> None:
    with pytest.raises(ValueError):
        root_digest([("REQ-1 sha256:" + "0" * 64 + "\nREQ-2", "sha256:" + "1" * 64)])
    with pytest.raises(ValueError):
        root_digest([("REQ-1", "sha256:xyz")])


def _root_or_error(digest_of: Any, pairs: list[tuple[str, str]]) -> str:
    try:
        return str(digest_of(pairs))
    except ValueError as error:
        return f"ValueError: {error}"


def test_root_digest_checked_at_once_is_the_pair_by_pair_answer() -> None:
    """root_digest checks and sorts every pair at once when it can (`_ascii_root_lines`):
    the same digest, or the same error, as the definition pair by pair."""
    good = [(f"REQ-{n}", "sha256:" + f"{n * 7919:064x}") for n in (1, 2, 10, 100, 11, 3)]
    digest = good[0][1]
    cases: list[list[tuple[str, str]]] = [
        good,
        [],
        good + [("REQ-2", "sha256:" + "f" * 64)],  # an id twice: both lines, in the order given
        good + [("REQ-é", digest), ("REQ-z", digest), ("REQ-\u00a0x", digest)],  # non-ASCII: sorted by UTF-8 bytes
        good + [("REQ-\U0001f600", digest), ("REQ-\uffff", digest)],
        good + [("REQ 7", digest)], good + [("REQ-7\t", digest)], good + [("REQ-\x7f", digest)], good + [("", digest)],
        good + [("REQ-7", digest.upper())], good + [("REQ-7", digest + "\n")], good + [("REQ-7", digest[:-1])],
        good + [("REQ-7", "sha256:sha256:" + "0" * 57)], good + [("REQ-7", "sha256:" + "0" * 63 + "\u0663")],
        good + [("REQ-7", "SHA256:" + "0" * 64)], good + [("REQ-7", "sha256:" + "0" * 64 + "0")],
    ]
    for pairs in cases:
        assert _root_or_error(root_digest, pairs) == _root_or_error(plain_root_digest, pairs), pairs
    assert root_digest(iter(good)) == root_digest(list(reversed(good)))  # any iterable, any order


def test_digests_checked_at_once_as_each_is_checked() -> None:
    digest = "sha256:" + "0123456789abcdef" * 4
    for bad in ("", digest + "\n", digest.upper(), digest[:-1], digest + "0", "sha256:sha256:" + "0" * 57, "sha256:" + "0" * 63 + "\u0663",
                "sha256 " + digest[7:], "x" + digest[1:], "sha256:" + "0" * 63 + "g"):
        assert well_formed_digests([digest, bad]) is False, bad
        assert well_formed_digests([bad]) is bool(DIGEST_PATTERN.match(bad) and "\n" not in bad)
    assert well_formed_digests([digest, "sha256:" + "f" * 64])
