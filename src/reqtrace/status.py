"""`reqtrace status`: the project manager's one screen, as data.

`build_status` takes what other modules compute as plain data, so that it
does not depend on them:

    accepted = {"name": str, "date": str | None, "delivery_date": str | None,
                "requirements": int}                    # the accepted baseline
    drift    = {"added": [ids], "modified": [ids], "removed": [ids],
                "approved": [ids], "unapproved": [ids],   # changes since it
                "changes_by_requirement": {id: n}}        # commits that changed each

Without them the screen says there is no accepted baseline yet, and shows
everything that the snapshot alone can tell.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from .graph import natural_key
from .model import Snapshot

MOST_CHANGED = 10


def _requester(text: str | None) -> str:
    return " ".join((text or "").split()) or "(unknown)"


def _links_out(item: Any) -> bool:
    if getattr(item, "refs", ()) or getattr(item, "affects", ()) or getattr(item, "sources", ()):
        return True
    decision = getattr(item, "decision", None)
    if decision is not None and decision.in_:
        return True
    return any(entry.refs or entry.approves or entry.rejects for entry in getattr(item, "decisions", ()))


def _linked_in(snapshot: Snapshot) -> set[str]:
    """Ids that some item points at (thread links between emails do not count)."""
    linked: set[str] = set()
    for req in snapshot.requirements.values():
        linked.update(req.sources)
    for request in snapshot.requests.values():
        linked.update(request.refs, request.sources)
        if request.decision is not None and request.decision.in_:
            linked.add(request.decision.in_)
    for meeting in snapshot.meetings.values():
        linked.update(meeting.refs)
        for entry in meeting.decisions:
            linked.update(entry.refs, entry.approves, entry.rejects)
    for mail in snapshot.emails.values():
        linked.update(mail.refs)
    for document in snapshot.documents.values():
        linked.update(document.refs)
    return linked


def build_status(snapshot: Snapshot, accepted: dict[str, Any] | None = None, drift: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything `reqtrace status` shows, as plain JSON-able data."""
    requests = list(snapshot.requests.values())
    by_state: Counter[str] = Counter()
    by_class: Counter[str] = Counter()
    per_requester: dict[str, Counter[str]] = {}
    for request in requests:
        state = request.decision.status if request.decision is not None and request.decision.status else "open"
        by_state[state] += 1
        if request.decision is not None and request.decision.as_:
            classification = request.decision.as_
        elif request.triage is not None and request.triage.classification:
            classification = request.triage.classification
        else:
            classification = "unclassified"
        by_class[classification] += 1
        counts = per_requester.setdefault(_requester(request.from_), Counter())
        counts["requests"] += 1
        counts[state] += 1

    linked = _linked_in(snapshot)
    unlinked = []
    for records in snapshot.record_maps():
        for item in records.values():
            if not _links_out(item) and item.id not in linked:
                unlinked.append({"id": item.id, "kind": item.kind, "title": getattr(item, "title", None), "path": item.path})
    unlinked.sort(key=lambda row: natural_key(row["id"]))
    unsourced = sorted(
        ({"id": r.id, "title": r.title, "path": r.path, "has_parent": bool(r.parents)} for r in snapshot.requirements.values() if not r.sources),
        key=lambda row: natural_key(row["id"]),
    )

    volatility = None
    most_changed: list[dict[str, Any]] = []
    drift_summary = None
    if drift is not None:
        drift_summary = {key: len(drift.get(key) or ()) for key in ("added", "modified", "removed", "approved", "unapproved")}
        changes = drift_summary["added"] + drift_summary["modified"] + drift_summary["removed"]
        size = int(accepted.get("requirements") or 0) if accepted else 0
        volatility = {"changes": changes, "baseline_size": size, "index": round(changes / size, 4) if size else None}
        ranked = sorted((drift.get("changes_by_requirement") or {}).items(), key=lambda kv: (-kv[1], natural_key(kv[0])))
        most_changed = [{"id": rid, "changes": n, "title": getattr(snapshot.requirements.get(rid), "title", None)} for rid, n in ranked[:MOST_CHANGED] if n]

    return {
        "project": snapshot.config.project,
        "customer": snapshot.config.customer,
        "rev": snapshot.commit,
        "counts": {
            "requirements": len(snapshot.requirements),
            "requests": len(snapshot.requests),
            "meetings": len(snapshot.meetings),
            "emails": len(snapshot.emails),
            "documents": len(snapshot.documents),
        },
        "accepted_baseline": accepted,
        "drift": drift_summary,
        "volatility": volatility,
        "most_changed": most_changed,
        "requests": {
            "by_state": {state: by_state[state] for state in ("open", "pending", "approved", "rejected") if by_state[state]} | {k: v for k, v in sorted(by_state.items()) if k not in ("open", "pending", "approved", "rejected")},
            "by_classification": dict(sorted(by_class.items(), key=lambda kv: (-kv[1], kv[0]))),
            "by_requester": [
                {"from": name, "requests": counts["requests"], "open": counts["open"] + counts["pending"], "approved": counts["approved"], "rejected": counts["rejected"]}
                for name, counts in sorted(per_requester.items(), key=lambda kv: (-kv[1]["requests"], kv[0]))
            ],
        },
        "unlinked_records": unlinked,
        "unsourced_requirements": unsourced,
    }


def status_inputs(repo: Any, snapshot: Snapshot) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(accepted, drift) for `build_status`: where the baseline and diff modules plug in.

    `reqtrace.baseline.accepted_baseline` gives the accepted baseline and its
    delivery date, `reqtrace.diff` the changes since it; until they are wired
    in here, status reports that there is no accepted baseline yet.
    """
    return None, None
