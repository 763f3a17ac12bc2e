"""Round-trip editing: one top-level block changes, every other byte stays."""

import datetime as dt

import pytest

from reqtrace.io.yamlio import YamlProblem, load_yaml, set_top_level_block

ODD = """\
# Request from the clinic — keep this comment
id:    RQ-7        # spaces before the comment
received: 2026-07-10
from: 'Dr. Chen (clinic director)'
title: "Longer   booking window"
text: >
  Patients should book
  30 days ahead.

  Second paragraph, kept as folded text.
refs: [ REQ-3 ,REQ-4 ]
affects:
- REQ-3        # zero-indented list
claimed: after-sales

# the person's decision, filled in later
decision:
    status: pending     # four-space indent
    by: Li Wei
x-ticket: T-17
"""

TRIAGE = {
    "classification": "change",
    "confidence": 0.9,
    "diverges": True,
    "baseline": "v1.0",
    "matches": ["REQ-3"],
    "reasons": ["asks for 30 days; REQ-3 says 14 days", "quote: 'x' and \"y\" # not a comment"],
    "by": "reqtrace 0.1.0",
    "on": dt.date(2026, 8, 1),
}


def test_adding_a_block_keeps_every_other_byte():
    new = set_top_level_block(ODD, "triage", TRIAGE, insert_before=("decision",), flow_lists=("matches",))
    before, _, after = ODD.partition("# the person's decision")
    assert new.startswith(before)
    assert new.endswith("# the person's decision" + after)
    inserted = new[len(before) : len(new) - len(after) - len("# the person's decision")]
    assert inserted.startswith("triage:\n  classification: change\n")
    assert "  matches: [REQ-3]\n" in inserted
    data = load_yaml(new)
    assert data["triage"]["reasons"] == TRIAGE["reasons"]
    assert data["triage"]["on"] == dt.date(2026, 8, 1)
    assert list(data) == ["id", "received", "from", "title", "text", "refs", "affects", "claimed", "triage", "decision", "x-ticket"]


def test_replacing_a_block_touches_only_that_block():
    once = set_top_level_block(ODD, "triage", TRIAGE, insert_before=("decision",))
    changed = dict(TRIAGE, classification="defect", reasons=["other"])
    twice = set_top_level_block(once, "triage", changed, insert_before=("decision",))
    old_lines, new_lines = once.splitlines(), twice.splitlines()
    start = old_lines.index("triage:")
    assert old_lines[:start] == new_lines[:start]
    tail = old_lines.index("# the person's decision, filled in later")
    assert old_lines[tail:] == new_lines[len(new_lines) - (len(old_lines) - tail) :]
    assert load_yaml(twice)["triage"]["classification"] == "defect"


def test_replacing_the_decision_block_keeps_what_follows():
    new = set_top_level_block(ODD, "decision", {"as": "change", "status": "approved", "by": "Li Wei"})
    assert new.startswith(ODD[: ODD.index("decision:")])
    assert new.endswith("x-ticket: T-17\n")
    assert "four-space indent" not in new  # the old block's own comment went with it
    assert load_yaml(new)["decision"] == {"as": "change", "status": "approved", "by": "Li Wei"}


def test_same_content_gives_the_same_bytes():
    once = set_top_level_block(ODD, "triage", TRIAGE, insert_before=("decision",))
    assert set_top_level_block(once, "triage", TRIAGE, insert_before=("decision",)) == once


def test_crlf_and_bom_are_kept():
    text = "\ufeff" + ODD.replace("\n", "\r\n")
    new = set_top_level_block(text, "triage", {"classification": "defect"})
    assert new.startswith("\ufeff# Request")
    assert "\n" not in new.replace("\r\n", "")
    assert new.endswith("triage:\r\n  classification: defect\r\n")


def test_a_file_without_final_newline_gets_the_block_on_its_own_line():
    new = set_top_level_block("id: RQ-1\ntitle: x", "triage", {"classification": "defect"})
    assert new == "id: RQ-1\ntitle: x\ntriage:\n  classification: defect\n"


@pytest.mark.parametrize("text", ["- a list\n- not a mapping\n", "id: [unclosed\n"])
def test_a_file_that_is_not_a_mapping_is_refused(text):
    with pytest.raises(YamlProblem):
        set_top_level_block(text, "triage", {"classification": "defect"})
