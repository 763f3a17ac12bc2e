"""What status reads of each item, as plain values the graph cache keeps beside its node.

Between the graph and status: the graph records these facts when it is built,
and status reads them back without loading the snapshot. Neither imports the other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reqtrace.core.model import Snapshot


def status_facts(item: Any) -> tuple[Any, ...]:
    """What `build_status` reads of one item, as plain values: the graph cache keeps
    them beside each node, so that status need not load the snapshot."""
    kind = item.kind
    if kind == "requirement":
        return (kind, item.title, item.path, item.parents, item.sources)
    if kind == "request":
        decision = item.decision
        return (
            kind, item.title, item.path, item.from_, item.refs, item.sources, item.affects,
            (decision.status, decision.as_, decision.in_) if decision is not None else None,
            item.triage.classification if item.triage is not None else None,
            item.received,
        )
    if kind == "meeting":
        return (kind, item.title, item.path, item.refs, tuple((entry.refs, entry.approves, entry.rejects) for entry in item.decisions))
    if kind == "email":
        return (kind, item.subject, item.path, item.refs)
    return (kind, item.title, item.path, item.refs)


def _builder(cls: type, *required: Any) -> Callable[[dict[str, Any]], Any]:
    """A function making a `cls` (a frozen dataclass of core/model.py) from some of its fields,
    every other field as a `cls(*required)` has it. It fills the instance's __dict__ instead of
    running __init__, whose object.__setattr__ per field (twenty for a requirement) was a fifth
    of a warm `status`: 10,000 requirements and their records are made here on every run. The
    result equals what __init__ makes (tests/test_status_facts_builder.py)."""
    template = dict(cls(*required).__dict__)
    make = object.__new__

    def build(values: dict[str, Any]) -> Any:
        made: Any = make(cls)
        fields = made.__dict__
        fields.update(template)
        fields.update(values)
        return made

    return build


def snapshot_from_facts(facts: Any, snapshot: Snapshot) -> Snapshot:
    """Fill `snapshot` (config and commit set) with items made from `status_facts`:
    each carries the fields build_status and status_inputs read, the rest empty."""
    from reqtrace.core.model import (
        Decision,
        Document,
        Email,
        Meeting,
        MeetingDecision,
        Request,
        Requirement,
        Triage,
    )

    requirement = _builder(Requirement, "", "", "", "")
    request = _builder(Request, "", "", "", "")
    for item_id, fact in facts:
        kind = fact[0]
        if kind == "requirement":
            _, title, path, parents, sources = fact
            snapshot.requirements[item_id] = requirement({"id": item_id, "title": title, "path": path, "parents": parents, "sources": sources})
        elif kind == "request":
            _, title, path, from_, refs, sources, affects, decision, classification, received = fact
            snapshot.requests[item_id] = request({
                "id": item_id, "received": received, "title": title, "path": path, "from_": from_, "refs": refs, "sources": sources, "affects": affects,
                "decision": Decision(decision[0], as_=decision[1], in_=decision[2]) if decision is not None else None,
                "triage": Triage(classification) if classification is not None else None,
            })
        elif kind == "meeting":
            _, title, path, refs, decisions = fact
            snapshot.meetings[item_id] = Meeting(item_id, "", title, path, refs=refs, decisions=tuple(MeetingDecision("", *entry) for entry in decisions))
        elif kind == "email":
            _, subject, path, refs = fact
            snapshot.emails[item_id] = Email(item_id, path, "", subject=subject, refs=refs)
        else:
            _, title, path, refs = fact
            snapshot.documents[item_id] = Document(item_id, title, path, "", refs=refs)
    return snapshot
