"""The strict YAML reader: what it refuses, and where it says the problem is."""

from __future__ import annotations

import datetime as dt

import pytest

from reqtrace.io.yamlio import (
    MAX_DEPTH,
    Mapping,
    Sequence,
    YamlProblem,
    decode_text,
    load_yaml,
    split_front_matter,
)


def problem_of(text: str) -> YamlProblem:
    with pytest.raises(YamlProblem) as caught:
        load_yaml(text)
    return caught.value


def test_a_mapping_remembers_the_line_of_every_key() -> None:
    data = load_yaml("id: REQ-1\n\ntitle: Book\nacceptance:\n  - one\n  - two\n")
    assert isinstance(data, Mapping)
    assert data.lines == {"id": 1, "title": 3, "acceptance": 4}
    assert isinstance(data["acceptance"], Sequence)
    assert data["acceptance"].lines == [5, 6]


def test_line_offset_shifts_every_line() -> None:
    data = load_yaml("id: MTG-1\ntitle: x\n", line_offset=1)
    assert data.lines == {"id": 2, "title": 3}


def test_keys_stay_text_even_when_yaml_would_read_them_as_booleans_or_numbers() -> None:
    data = load_yaml("on: 2026-01-15\nNO: 1\n012: x\n")
    assert list(data) == ["on", "NO", "012"]


def test_values_keep_yaml_types_and_the_text_they_were_written_as() -> None:
    data = load_yaml("title: NO\nversion: 1.10\ncode: 012\nreceived: 2026-01-15\nname: Li Wei\n")
    assert data["title"] is False and data.raw["title"] == "NO"
    assert data["version"] == 1.1 and data.raw["version"] == "1.10"
    assert data["code"] == 10 and data.raw["code"] == "012"
    assert data["received"] == dt.date(2026, 1, 15)
    assert "name" not in data.raw  # text needs no second copy


def test_list_items_keep_the_text_they_were_written_as() -> None:
    data = load_yaml("tags: [a, NO, 1.10]\n")
    assert data["tags"] == ["a", False, 1.1]
    assert data["tags"].raw == {1: "NO", 2: "1.10"}


def test_duplicate_key_is_refused_naming_both_lines() -> None:
    problem = problem_of("id: REQ-1\ntitle: a\nstatement: b\ntitle: c\n")
    assert problem.code == "duplicate-key"
    assert problem.line == 4
    assert "'title' appears twice (lines 2 and 4)" in problem.message


def test_duplicate_key_in_a_nested_mapping_is_refused() -> None:
    problem = problem_of("decision:\n  status: approved\n  status: rejected\n")
    assert (problem.code, problem.line) == ("duplicate-key", 3)


def test_alias_is_refused_at_the_line_that_uses_it() -> None:
    problem = problem_of("title: Book\nstatement: *t\n")
    assert problem.code == "yaml-alias"
    assert problem.line == 2
    assert "aliases" in problem.message and "write the value out in full" in problem.message


def test_an_anchor_is_refused_too() -> None:
    problem = problem_of("id: REQ-1\ntitle: &t Book\nstatement: s\n")
    assert (problem.code, problem.line) == ("yaml-alias", 2)
    assert "anchors (&name) are not allowed" in problem.message
    assert problem_of("base: &b {priority: must}\n").code == "yaml-alias"


def test_merge_key_with_alias_is_refused() -> None:
    problem = problem_of("base: {priority: must}\nreq:\n  <<: *b\n")
    assert problem.code == "yaml-alias"


def test_a_billion_laughs_is_refused_before_it_expands() -> None:
    text = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)
    )
    assert problem_of(text).code == "yaml-alias"


def test_tab_indentation_is_a_syntax_error_that_mentions_tabs() -> None:
    problem = problem_of("id: REQ-1\ntitle: x\n\tstatement: y\n")
    assert problem.code == "yaml-syntax"
    assert problem.line == 3
    assert "tabs cannot indent YAML; use spaces" in problem.message


def test_malformed_yaml_is_a_syntax_error_with_a_line() -> None:
    problem = problem_of("id: REQ-1\ntitle: [unclosed\nstatement: y\n")
    assert problem.code == "yaml-syntax"
    assert problem.line == 3
    assert problem.message.startswith("YAML syntax error:")


def test_two_documents_in_one_file_are_refused() -> None:
    problem = problem_of("id: REQ-1\n---\nid: REQ-2\n")
    assert problem.code == "yaml-syntax"
    assert "more than one YAML document" in problem.message
    assert problem.line == 2


def test_unknown_tags_are_refused() -> None:
    problem = problem_of("title: !!python/object:os.system x\n")
    assert problem.code == "yaml-syntax"
    assert "not allowed" in problem.message
    assert problem_of("title: !custom x\n").code == "yaml-syntax"
    assert problem_of("items: !!set {a, b}\n").code == "yaml-syntax"


def test_explicit_standard_tags_are_accepted() -> None:
    assert load_yaml("title: !!str 012\n") == {"title": "012"}


def test_a_non_text_key_is_refused() -> None:
    problem = problem_of("? [a, b]\n: value\n")
    assert problem.code == "yaml-syntax"
    assert "key must be plain text" in problem.message


def test_absurd_nesting_is_refused_without_a_recursion_error() -> None:
    for depth in (MAX_DEPTH + 1, 300, 990):
        problem = problem_of("[" * depth + "]" * depth)
        assert problem.code == "yaml-syntax"
        assert "nested" in problem.message


def test_an_impossible_date_stays_text_for_the_schema_to_judge() -> None:
    assert load_yaml("received: 2026-02-30\n") == {"received": "2026-02-30"}


def test_a_number_past_pythons_digit_limit_stays_text() -> None:
    digits = "9" * 5000
    assert load_yaml(f"x-big: {digits}\n") == {"x-big": digits}


@pytest.mark.parametrize(
    ("text", "kept"),
    [("x: !!int \n", ""), ("x: !!bool maybe\n", "maybe"), ("x: !!timestamp soon\n", "soon"), ("x: !!float abc\n", "abc")],
)
def test_an_explicit_tag_on_a_value_it_cannot_hold_keeps_the_text(text: str, kept: str) -> None:
    # Found by fuzzing against the previous loader: `!!int` on nothing was an IndexError traceback.
    assert load_yaml(text) == {"x": kept}


def test_a_long_plain_statement_stays_text_and_values_that_look_typed_do_not() -> None:
    loaded = load_yaml("statement: Patients book online\nlimit: 012\nflag: No\nnone: ~\n")
    assert loaded == {"statement": "Patients book online", "limit": 10, "flag": False, "none": None}
    assert loaded.raw == {"limit": "012", "flag": "No", "none": "~"}


def test_empty_text_is_none() -> None:
    assert load_yaml("") is None
    assert load_yaml("# only a comment\n") is None


def test_a_utf8_bom_is_accepted() -> None:
    assert decode_text(b"\xef\xbb\xbfid: REQ-1\n") == "id: REQ-1\n"


def test_non_utf8_bytes_name_the_line_and_the_byte() -> None:
    with pytest.raises(YamlProblem) as caught:
        decode_text(b"id: REQ-1\ntitle: caf\xe9\n")
    assert caught.value.code == "not-utf8"
    assert caught.value.line == 2
    assert "0xe9" in caught.value.message and "save the file as UTF-8" in caught.value.message


def test_binary_bytes_are_not_utf8() -> None:
    with pytest.raises(YamlProblem) as caught:
        decode_text(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert caught.value.code == "not-utf8"
    assert "binary file" in caught.value.message


def test_chinese_text_round_trips() -> None:
    data = load_yaml(decode_text("title: 在线预约\nstatement: 患者可以在线预约。\n".encode()))
    assert data == {"title": "在线预约", "statement": "患者可以在线预约。"}


def test_front_matter_is_split_from_the_body() -> None:
    text, offset, body = split_front_matter("---\nid: MTG-1\n---\n# Minutes\n")
    assert (text, offset, body) == ("id: MTG-1\n", 1, "# Minutes\n")


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("# Minutes\n", "no YAML front matter"),
        ("---\nid: MTG-1\n", "never closed"),
        ("", "no YAML front matter"),
    ],
)
def test_missing_or_unclosed_front_matter_is_a_problem(text: str, phrase: str) -> None:
    with pytest.raises(YamlProblem) as caught:
        split_front_matter(text)
    assert phrase in caught.value.message
