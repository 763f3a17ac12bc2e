"""Looking things up in a snapshot: the rows of `list`, the page of `show`."""

from __future__ import annotations

from typing import Any

from reqtrace.core.model import Requirement, Snapshot, item_fields
from reqtrace.core.model import natural_key as _natural
from reqtrace.core.structure import Placement, outline, placements
from reqtrace.errors import InputError


def list_rows(snapshot: Snapshot, kind: str) -> list[dict[str, Any]]:
    maps: dict[str, list[dict[str, Any]]] = {
        "requirement": [snapshot.requirements],
        "request": [snapshot.requests],
        "meeting": [snapshot.meetings],
        "email": [snapshot.emails],
        "document": [snapshot.documents],
    }
    chosen = [m for maps_ in maps.values() for m in maps_] if kind == "all" else maps[kind]
    # Each requirement with its place; with documents, in reading order.
    where = placements(outline(snapshot)) if kind in ("requirement", "all") else {}
    rows = []
    for items in chosen:
        for item in items.values():
            status = getattr(item, "status", None)
            decision = getattr(item, "decision", None)
            if decision is not None:
                status = decision.status
            rows.append(
                {
                    "id": item.id,
                    "kind": item.kind,
                    "title": getattr(item, "title", None) or getattr(item, "subject", None),
                    "status": status,
                    "path": item.path,
                }
            )
            if isinstance(item, Requirement):
                rows[-1].update(placement_fields(item, where.get(item.id)))
    if snapshot.spec_documents:
        last = len(where)
        kinds = {"requirement": 0}
        return sorted(rows, key=lambda row: (kinds.get(row["kind"], 1), where[row["id"]].rank if row["id"] in where and row["kind"] == "requirement" else last, _natural(row["id"])))
    return sorted(rows, key=lambda row: _natural(row["id"]))


def placement_fields(requirement: Requirement, placement: Placement | None) -> dict[str, Any]:
    """A requirement's place as the JSON of `list` and `show` gives it."""
    return {
        "document": placement.document if placement else None,
        "section": requirement.section,
        "section_path": list(placement.section_path) if placement else [],
        "order": requirement.order,
        "mid": requirement.mid,
    }




def referrers(snapshot: Snapshot, item_id: str) -> list[str]:
    """Ids of every item that names `item_id` in any of its links."""
    found = set()
    for items in (snapshot.requirements, *snapshot.record_maps()):
        for item in items.values():
            if item.id == item_id:
                continue
            for name in ("parents", "sources", "refs", "affects"):
                if item_id in getattr(item, name, ()):
                    found.add(item.id)
            decision = getattr(item, "decision", None)
            if decision is not None and decision.in_ == item_id:
                found.add(item.id)
            for entry in getattr(item, "decisions", ()):
                if item_id in entry.refs or item_id in entry.approves or item_id in entry.rejects:
                    found.add(item.id)
    return sorted(found, key=_natural)


def describe(snapshot: Snapshot, item_id: str) -> dict[str, Any]:
    item = snapshot.item(item_id)
    if item is None:
        raise InputError(
            f"no item with id '{item_id}'" + (f" at commit {snapshot.commit[:12]}" if snapshot.commit else ""),
            hint="`reqtrace list --kind all` shows every id",
        )
    children = sorted((r.id for r in snapshot.requirements.values() if item_id in r.parents), key=_natural)
    described = {
        "id": item.id,
        "kind": item.kind,
        "path": item.path,
        "line": item.line,
        "fields": item_fields(item),
        "children": children,
        "referenced_by": [i for i in referrers(snapshot, item_id) if i not in children],
    }
    if isinstance(item, Requirement):
        documents = outline(snapshot)
        place = placements(documents).get(item.id)
        described.update(placement_fields(item, place))
        described["document_title"] = next((d.title for d in documents if place and d.id == place.document), None)
    return described
