"""Whether a reference names an item of the right kind: one answer for every check that asks."""

from __future__ import annotations

from collections.abc import Callable, Container
from typing import Protocol

from reqtrace.core.model import ERROR, Finding, Snapshot


class ItemInFile(Protocol):
    """What a finding needs of the item that holds a reference (any item of the model)."""

    @property
    def id(self) -> str: ...

    @property
    def path(self) -> str: ...


def dangling(snapshot: Snapshot, owner: ItemInFile, field_name: str, ref: str, wanted: Container[str] | None, what: str) -> Finding | None:
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


def removed_since_a_baseline(snapshot: Snapshot) -> Callable[[str], bool]:
    """Whether an id names a requirement that a baseline holds and the snapshot no longer has.

    Records are history: the request that approved removing REQ-9 names it in `affects` (that is
    what covers the removal in `diff`), and the meeting or email that discussed it names it in
    `refs`. After the removal those names tell the past; they do not dangle. The baselines'
    manifests are read only when such a name is met, and then once (with `check`'s own scan).
    """
    held: set[str] | None = None

    def removed(ref: str) -> bool:
        nonlocal held
        if held is None:
            held = set()
            if snapshot.repo is not None and snapshot.has_baseline_files():
                from reqtrace.baselines.baseline import baselines_of

                for baseline in baselines_of(snapshot).baselines:
                    held.update(entry.id for entry in baseline.requirements)
        return ref in held and ref not in snapshot.requirements

    return removed
