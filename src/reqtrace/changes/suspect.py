"""Suspect links: a parent changed after its child's link to it was last reviewed.

A requirement's `reviewed:` map stamps each parent link with the parent's
content digest (digest.requirement_digest, the digest baselines sign) at the
time the link was reviewed — Doorstop's convention of a fingerprint stored
with the link. When the parent's digest differs from the stamp, the link is
suspect: the child was written against wording that is no longer there.

A link with no stamp has never been reviewed with reqtrace and is not
tracked: it is never suspect (a spec repo that does not use reviews sees no
new findings). `reqtrace review` stamps links; `review --all` stamps every one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from reqtrace.core.digest import memo_digests
from reqtrace.core.model import ERROR, WARNING, Finding, Requirement, Snapshot


@dataclass(frozen=True)
class SuspectLink:
    child: str
    parent: str
    reviewed: str  # the parent's digest when the link was reviewed
    current: str  # the parent's digest now
    path: str  # the child's file
    line: int  # the child's `reviewed:` line

    def as_dict(self) -> dict[str, Any]:
        return {"child": self.child, "parent": self.parent, "reviewed": self.reviewed, "current": self.current, "path": self.path, "line": self.line}


def suspect_links_of(children: Iterable[Requirement], requirements: dict[str, Requirement], digest: Callable[[Requirement], str] | None = None) -> Iterator[SuspectLink]:
    """The suspect parent links of `children`; parents are looked up in `requirements`
    (a dangling parent is check_references' finding, not a suspect link)."""
    digest = digest or memo_digests()
    for child in children:
        if not child.reviewed:
            continue  # the usual case: no stamp, nothing to compare
        for parent_id, stamp in child.reviewed:
            parent = requirements.get(parent_id)
            if parent is None or parent_id not in child.parents:
                continue
            current = digest(parent)
            if current != stamp:
                yield SuspectLink(child.id, parent_id, stamp, current, child.path, child.line_of("reviewed"))


def suspect_links(snapshot: Snapshot) -> list[SuspectLink]:
    """Every suspect link of the snapshot, by child id then parent id."""
    found = suspect_links_of(snapshot.requirements.values(), snapshot.requirements)
    return sorted(found, key=lambda link: (link.child, link.parent))


def check_suspect_links(snapshot: Snapshot) -> Iterator[Finding]:
    """suspect-link: warning by default; `suspect_links: error` (or off) in reqtrace.yaml."""
    level = snapshot.config.suspect_links or "warn"
    if level == "off":
        return
    severity = ERROR if level == "error" else WARNING
    for link in suspect_links(snapshot):
        yield Finding(
            "suspect-link",
            severity,
            f"parent {link.parent} changed since this link was reviewed; check that {link.child} still holds, "
            f"then run `reqtrace review {link.child}` (or `reqtrace review {link.parent} --wording-only` if the change was wording only)",
            link.path,
            link.line,
            link.child,
        )
