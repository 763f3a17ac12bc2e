"""`status` after an uncommitted edit: HEAD's kept approvals composed with a diff of the
edited files (graph/status.py `_composed`) give what a plain diff to the working tree gives.

Each edit below is made to a clean copy of the demo (with a requirement changed and
one added after delivery, so that HEAD's kept pair holds both kinds), and the
approvals from each baseline to the working tree are compared with the plain
`diff_revisions` to the working tree; the edits that can be composed must be
composed, and those that cannot (renames, duplicates, edited requests) must fall
back to the plain diff.
"""

from __future__ import annotations

import shutil

import pytest

from conftest import copy_demo, git, requirement_yaml
from reqtrace.baselines.baseline import scan_baselines
from reqtrace.changes.diff import diff_revisions
from reqtrace.core.config import find_spec_repo
from reqtrace.core.snapshot import WORKTREE
from reqtrace.graph import status
from reqtrace.graph.status import approvals_between

ADDED_SINCE = "specs/booking/REQ-30.yaml"


@pytest.fixture(scope="module")
def demo(tmp_path_factory, demo_build, build_env):
    """The demo with REQ-5 changed and REQ-30 added after delivery, committed."""
    target = copy_demo(demo_build, tmp_path_factory.mktemp("composed") / "demo")
    spec = target / "specs/booking/REQ-5.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("title: ", "title: Changed ", 1), encoding="utf-8")
    (target / ADDED_SINCE).write_text(requirement_yaml("REQ-30", "Added after delivery", parents=["REQ-1"]), encoding="utf-8")
    git(target, "add", "-A")
    git(target, "commit", "-qm", "after delivery")
    shutil.rmtree(target / ".git" / "reqtrace", ignore_errors=True)
    return target


def edit(path: str, old: str, new: str):
    def apply(root):
        file = root / path
        file.write_text(file.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    return apply


def write(path: str, text: str | None):
    def apply(root):
        if text is None:
            (root / path).unlink()
        else:
            (root / path).write_text(text, encoding="utf-8")
    return apply


def restore(path: str, baseline: str):
    def apply(root):
        (root / path).write_bytes(git(root, "show", f"baseline/{baseline}:{path}").encode() + b"\n")
    return apply


def move(source: str, target: str):
    def apply(root):
        (root / target).parent.mkdir(parents=True, exist_ok=True)
        (root / source).rename(root / target)
    return apply


COMPOSED = {
    "an unchanged requirement edited": [edit("specs/booking/REQ-6.yaml", "title: ", "title: Edited ")],
    "a changed requirement edited again": [edit("specs/booking/REQ-5.yaml", "title: ", "title: Again ")],
    "a changed requirement put back as it was": [restore("specs/booking/REQ-5.yaml", "delivery-v1.0")],
    "a requirement added": [write("specs/booking/REQ-31.yaml", requirement_yaml("REQ-31", parents=["REQ-1"]))],
    "a requirement added since, edited": [edit(ADDED_SINCE, "title: ", "title: Edited ")],
    "a requirement added since, removed": [write(ADDED_SINCE, None)],
    "an unchanged requirement removed": [write("specs/booking/REQ-6.yaml", None)],
    "a changed requirement removed": [write("specs/booking/REQ-5.yaml", None)],
    "a requirement moved to another file": [move("specs/booking/REQ-6.yaml", "specs/admin/REQ-6.yaml")],
    "an edit in a file of several": [edit("specs/booking/limits.yaml", "title: At most 2", "title: At most 3")],
    "several at once": [edit("specs/booking/REQ-6.yaml", "title: ", "title: Edited "), write(ADDED_SINCE, None),
                        edit("specs/booking/REQ-5.yaml", "title: ", "title: Again ")],
}
PLAIN = {
    "a request edited": [write("records/requests/RQ-99.yaml", "id: RQ-99\nreceived: 2026-11-01\nfrom: Someone\ntitle: Change\n"
                                                              "affects: [REQ-6]\ndecision:\n  status: approved\n  by: Li Wei\n  on: 2026-11-20\n"),
                         edit("specs/booking/REQ-6.yaml", "title: ", "title: Edited ")],
    "a duplicated id": [write("specs/booking/REQ-6-copy.yaml", requirement_yaml("REQ-6"))],
    "a rename by x-renamed-from": [write("specs/booking/REQ-6.yaml", None),
                                   write("specs/booking/REQ-60.yaml", requirement_yaml("REQ-60", x_renamed_from="REQ-6"))],
}


@pytest.mark.parametrize("name", [*COMPOSED, *PLAIN])
def test_composed_approvals_are_the_plain_diffs(demo, name, monkeypatch):
    git(demo, "checkout", "-q", "--", ".")
    git(demo, "clean", "-qfd", "--", "specs", "records")
    outcomes: list[bool] = []
    composed = status._composed

    def spy(*args):
        answer = composed(*args)
        outcomes.append(answer is not None)
        return answer

    monkeypatch.setattr(status, "_composed", spy)
    for apply in (COMPOSED | PLAIN)[name]:
        apply(demo)
    repo = find_spec_repo(start=demo)
    for baseline in scan_baselines(repo).baselines:
        plain = diff_revisions(repo, baseline.commit, WORKTREE)
        expected = sorted((c.id, c.change, c.approved) for c in plain.changes if c.needs_approval)
        assert sorted(tuple(a) for a in approvals_between(repo, baseline.commit, None, "x")) == expected, (name, baseline.name)
    assert outcomes == [True, True] if name in COMPOSED else not any(outcomes)
