"""`reqtrace review`: store that a requirement's parent links were reviewed.

A review stamps each link with the parent's digest as it is now (see
changes/suspect.py); the stamps go into the child's `reviewed:` map, written into the
file the person edits with its comments and layout kept (yamlio round-trip
editing, files.atomic_write with the bytes read).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reqtrace.changes.diff import FieldChange, field_changes
from reqtrace.core.config import SpecRepo
from reqtrace.core.digest import memo_digests, requirement_digest
from reqtrace.core.model import Requirement, Snapshot
from reqtrace.errors import InputError, UsageError
from reqtrace.io import gitio
from reqtrace.io.files import atomic_write, inside
from reqtrace.io.yamlio import YamlProblem, load_yaml, set_block_in_list_entry, set_top_level_block

# What a parent may change and still count as "wording only": its text. A change to
# priority, status, parents or any other field changes what the children derive from.
WORDING_FIELDS = frozenset({"title", "statement", "acceptance", "rationale"})
REVIEWED = "reviewed"


@dataclass(frozen=True)
class Stamp:
    child: str
    parent: str
    before: str | None  # the stamp the link had (None: never reviewed)
    after: str  # the parent's digest now
    path: str  # the child's file

    def as_dict(self) -> dict[str, Any]:
        return {"child": self.child, "parent": self.parent, "before": self.before, "after": self.after, "path": self.path}


@dataclass
class ReviewPlan:
    target: str  # the id named on the command line ('' for --all)
    wording_only: bool = False
    stamps: list[Stamp] = field(default_factory=list)  # only links whose stamp changes
    # --wording-only: each version of the parent a child was reviewed against, and what
    # changed since then (parent digest at review -> field changes)
    changes: dict[str, tuple[FieldChange, ...]] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)  # files written by apply_review


def _require(snapshot: Snapshot, item_id: str) -> Requirement:
    requirement = snapshot.requirements.get(item_id)
    if requirement is None:
        raise InputError(f"no requirement with id '{item_id}'", hint="`reqtrace list` shows the requirement ids")
    return requirement


def _stamps_for(children: list[Requirement], snapshot: Snapshot, only_parent: str | None = None) -> list[Stamp]:
    digest = memo_digests()
    stamps = []
    for child in children:
        held = dict(child.reviewed)
        for parent_id in child.parents:
            parent = snapshot.requirements.get(parent_id)
            if parent is None or (only_parent is not None and parent_id != only_parent):
                continue
            now = digest(parent)
            if held.get(parent_id) != now:
                stamps.append(Stamp(child.id, parent_id, held.get(parent_id), now, child.path))
    return stamps


def plan_review(snapshot: Snapshot, child_id: str) -> ReviewPlan:
    """Stamp every parent link of `child_id`: its author has checked it against its parents."""
    child = _require(snapshot, child_id)
    if not child.parents:
        raise UsageError(f"{child_id} has no parents: there is no link to review", hint=f"`reqtrace review PARENT --wording-only` re-stamps the children of a parent; {child_id} is a top-level requirement")
    return ReviewPlan(child_id, stamps=_stamps_for([child], snapshot))


def plan_review_all(snapshot: Snapshot) -> ReviewPlan:
    """Stamp every parent link of the spec repo: the start of review tracking."""
    children = sorted((r for r in snapshot.requirements.values() if r.parents), key=lambda r: r.id)
    return ReviewPlan("", stamps=_stamps_for(children, snapshot))


def plan_wording_only(snapshot: Snapshot, parent_id: str, versions: dict[str, Requirement]) -> ReviewPlan:
    """Re-stamp the suspect links to `parent_id` after a change of wording only.

    `versions` maps a digest to the version of the parent that had it (from the
    parent's history): each stale stamp must name a known version, and the change
    from it to now must touch only WORDING_FIELDS, else the children need a real review.
    """
    parent = _require(snapshot, parent_id)
    current = requirement_digest(parent)
    stale = sorted(
        (r for r in snapshot.requirements.values() if parent_id in r.parents and dict(r.reviewed).get(parent_id) not in (None, current)),
        key=lambda r: r.id,
    )
    plan = ReviewPlan(parent_id, wording_only=True)
    for stamp in sorted({dict(child.reviewed)[parent_id] for child in stale}):
        old = versions.get(stamp)
        holders = ", ".join(child.id for child in stale if dict(child.reviewed)[parent_id] == stamp)
        if old is None:
            raise InputError(
                f"the version of {parent_id} that {holders} was reviewed against is not in its history up to HEAD, so the change cannot be shown",
                hint=f"review the children one by one: reqtrace review {holders.split(', ')[0]}",
            )
        changes = field_changes(old, parent)
        beyond = [change.field for change in changes if change.field not in WORDING_FIELDS]
        if beyond:
            raise UsageError(
                f"{parent_id} changed more than its wording since {holders} was reviewed: {', '.join(beyond)} changed",
                hint=f"review each child against the new {parent_id}: reqtrace review {holders.split(', ')[0]}",
            )
        plan.changes[stamp] = changes
    plan.stamps = _stamps_for(stale, snapshot, only_parent=parent_id)
    return plan


def _next_keys(mapping: Any, name: str) -> tuple[str, ...]:
    """The keys after `name` in the file's order: a new block goes right after `name`."""
    keys = [str(key) for key in mapping]
    return tuple(keys[keys.index(name) + 1 :]) if name in keys else ()


def apply_review(repo: SpecRepo, snapshot: Snapshot, plan: ReviewPlan) -> ReviewPlan:
    """Write the plan's stamps into the children's files; only the `reviewed:` blocks change."""
    if snapshot.commit is not None:
        raise UsageError("review writes the working tree; it cannot write at a revision", hint="leave --rev out")
    by_path: dict[str, list[Stamp]] = {}
    for stamp in plan.stamps:
        by_path.setdefault(stamp.path, []).append(stamp)
    for path, stamps in sorted(by_path.items()):
        full = inside(repo.root, path)
        data = full.read_bytes()
        if gitio.blob_id(data) != snapshot.files.get(path):
            raise InputError(f"{path} changed since it was read; nothing was written", hint="run the command again")
        text = data.decode("utf-8")
        for child_id in sorted({stamp.child for stamp in stamps}):
            child = snapshot.requirements[child_id]
            value = {parent: digest for parent, digest in child.reviewed if parent in child.parents}
            value.update({stamp.parent: stamp.after for stamp in stamps if stamp.child == child_id})
            ordered = {parent: value[parent] for parent in child.parents if parent in value}
            try:
                loaded = load_yaml(text)
                if isinstance(loaded, dict) and "id" in loaded:
                    text = set_top_level_block(text, REVIEWED, ordered, insert_before=_next_keys(loaded, "parents"))
                else:
                    text = set_block_in_list_entry(text, "requirements", child_id, REVIEWED, ordered, after="parents")
            except YamlProblem as problem:
                raise InputError(f"{path}:{problem.line or 1}: {problem.message}", hint=f"add the stamps by hand under '{REVIEWED}:' of {child_id}") from None
        atomic_write(full, text.encode("utf-8"), replaces=data)
        plan.written.append(path)
    return plan
