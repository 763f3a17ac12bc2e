"""The items `status` makes from the graph cache's facts (graph/status_facts.py) are the items
core/model.py's own constructors make from the same fields, field for field."""

from __future__ import annotations

from dataclasses import fields

from reqtrace.core.model import Decision, Request, Requirement, Snapshot, Triage
from reqtrace.graph.status_facts import _builder, snapshot_from_facts, status_facts


def assert_same(made, expected):
    assert made == expected
    assert type(made) is type(expected)
    assert {f.name: getattr(made, f.name) for f in fields(made)} == {f.name: getattr(expected, f.name) for f in fields(expected)}
    assert vars(made) == vars(expected)
    assert repr(made) == repr(expected)
    assert hash(made) == hash(expected)


def test_a_built_requirement_is_the_constructed_one():
    build = _builder(Requirement, "", "", "", "")
    expected = Requirement("REQ-7", "A title", "", "specs/a.yaml", parents=("REQ-1",), sources=("RQ-2",))
    assert_same(build({"id": "REQ-7", "title": "A title", "path": "specs/a.yaml", "parents": ("REQ-1",), "sources": ("RQ-2",)}), expected)
    # The template is copied, never shared: a second item does not change the first.
    first = build({"id": "REQ-8", "title": "T", "path": "p", "parents": (), "sources": ()})
    build({"id": "REQ-9", "title": "U", "path": "q", "parents": ("REQ-8",), "sources": ()})
    assert (first.id, first.title, first.parents) == ("REQ-8", "T", ())


def test_items_from_facts_equal_the_items_they_were_taken_from():
    items = [
        Requirement("REQ-1", "Root", "", "specs/r.yaml", parents=(), sources=("RQ-1",)),
        Requirement("REQ-2", "Child", "", "specs/c.yaml", parents=("REQ-1",), sources=()),
        Request("RQ-1", "2026-01-02", "Please", "records/requests/RQ-1.yaml", from_="Li Wei", refs=("M-1",), sources=(), affects=("REQ-2",),
                decision=Decision("approved", as_="change", in_="M-1"), triage=Triage("change")),
        Request("RQ-2", "2026-01-03", "Later", "records/requests/RQ-2.yaml"),
    ]
    snapshot = snapshot_from_facts([(item.id, status_facts(item)) for item in items], Snapshot(config=None, commit=None))  # type: ignore[arg-type]
    assert_same(snapshot.requirements["REQ-1"], items[0])
    assert_same(snapshot.requirements["REQ-2"], items[1])
    assert_same(snapshot.requests["RQ-1"], items[2])
    assert_same(snapshot.requests["RQ-2"], items[3])
