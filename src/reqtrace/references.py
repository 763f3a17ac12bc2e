"""Whether a reference names an item of the right kind: one answer for every check that asks."""

from __future__ import annotations

from .model import ERROR, Finding, Snapshot


def dangling(snapshot: Snapshot, owner: object, field_name: str, ref: str, wanted: dict | None, what: str) -> Finding | None:
    """A finding when `ref` names nothing, or names the wrong kind of item."""
    if wanted is not None and ref in wanted:
        return None  # the common case, decided without building anything
    target = snapshot.item(ref)
    if target is not None and wanted is None:
        return None
    item_id = owner.id
    path = owner.path
    line = owner.line_of(field_name) if hasattr(owner, "line_of") else getattr(owner, "line", None)
    if target is None:
        return Finding("dangling-ref", ERROR, f"{field_name} names '{ref}', which does not exist; fix the id or add the {what}", path, line, item_id)
    if wanted is not None and ref not in wanted:
        return Finding("dangling-ref", ERROR, f"{field_name} names '{ref}', which is a {target.kind}, not a {what}", path, line, item_id)
    return None
