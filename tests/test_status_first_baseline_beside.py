"""A cold `status` and a root's `impact` read the repo whole; what they no longer do twice
or at all is checked against the plain computation:

- the approvals from the first signed baseline — to the accepted baseline and to HEAD —
  are kept by one child that parses that baseline's files once for both
  (graph/status.py `_later_approvals_beside`, core/parse_cache.py `HeldParseCache`), and
  read back by the parent: they are the plain diffs';
- a graph read whole digests no requirement beside its parse (graph/cache.py
  `GRAPH_DIGESTS`): the digests its answers compare (suspect links, approvals) are made
  when asked, and the answers are the bytes of a reading that digests every requirement.

The demo, edited after delivery: a requirement changed, one removed, one renamed
(`x-renamed-from`), a request filed under a requirement's id, links stamped by `review`
of which one is suspect since.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import copy_demo, git, requirement_yaml
from reqtrace.baselines.baseline import pick_first_signed, scan_baselines
from reqtrace.changes.diff import diff_revisions
from reqtrace.core import cachestore, parse_cache
from reqtrace.core.config import find_spec_repo
from reqtrace.core.snapshot import load_snapshot
from reqtrace.graph import cache, status
from reqtrace.io import fork_map


@pytest.fixture(scope="module")
def edited_demo(tmp_path_factory: pytest.TempPathFactory, demo_build: Any, build_env: Any) -> Path:
    root = copy_demo(demo_build, tmp_path_factory.mktemp("first-beside") / "demo")
    # Stamped now: REQ-10 -> REQ-1 turns suspect when REQ-1 changes below; REQ-11 -> REQ-10 stays reviewed.
    for child in ("REQ-10", "REQ-11"):
        subprocess_review(root, child)
    booking = root / "specs" / "booking"
    for path, old, new in ((booking / "REQ-1.yaml", "title: ", "title: Changed "), (booking / "REQ-5.yaml", "title: ", "title: Changed ")):
        path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    (booking / "REQ-6.yaml").unlink()
    (booking / "REQ-4.yaml").unlink()
    (booking / "REQ-40.yaml").write_text(requirement_yaml("REQ-40", "Cancel online", parents=["REQ-1"], x_renamed_from="REQ-4"), encoding="utf-8")
    # A request filed under a requirement's id: the records folder sorts first, so it holds the id.
    (root / "records" / "requests" / "REQ-7.yaml").write_text(
        "id: REQ-7\nreceived: 2026-11-02\nfrom: Someone\ntitle: Filed under a requirement's id\naffects: [REQ-2]\n", encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "after delivery")
    shutil.rmtree(root / ".git" / "reqtrace", ignore_errors=True)
    return root


def subprocess_review(root: Path, child: str) -> None:
    from hostile.kit import run

    outcome = run(["review", child], root, stdin="")
    assert outcome.code == 0 and outcome.escaped is None, outcome.describe()
    git(root, "commit", "-qam", f"{child} reviewed")


def test_first_baseline_approvals_kept_beside_are_the_plain_diffs(edited_demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.rmtree(edited_demo / ".git" / "reqtrace", ignore_errors=True)
    repo = find_spec_repo(edited_demo)
    snapshot = load_snapshot(repo, None)  # the working tree, which is HEAD's
    scanned = scan_baselines(repo)
    accepted, first = scanned.accepted(), pick_first_signed(scanned.baselines)
    assert accepted is not None and first is not None and first.commit != accepted.commit
    held: list[parse_cache.HeldParseCache] = []

    class Spied(parse_cache.HeldParseCache):
        def __init__(self) -> None:
            super().__init__()
            held.append(self)

    monkeypatch.setattr(parse_cache, "HeldParseCache", Spied)
    monkeypatch.setattr(fork_map, "can_fork", lambda items: False)  # the child's work, here: the same code
    beside = status._later_approvals_beside(repo, scanned.baselines, accepted, snapshot, snapshot, status.WorktreeAgainstHead())
    assert beside is not None and beside.to_snapshot
    beside.wait()
    head = git(edited_demo, "rev-parse", "HEAD").strip()
    for to in (accepted.commit, head):
        assert cachestore.load(repo.git_top, status.APPROVALS_KIND, f"{first.commit}\x00{to}", status._kept_shape) is not None
        plain = diff_revisions(repo, first.commit, to)
        expected = sorted((c.id, c.change, c.approved) for c in plain.changes if c.needs_approval)
        assert expected  # the pair has changes to compare
        assert sorted(tuple(a) for a in status.approvals_between(repo, first.commit, to, "x")) == expected, to
    # The second diff found the first baseline's files parsed by the first.
    assert len(held) == 1 and held[0].hits > 0
    # Both kept: nothing left to start.
    assert status._later_approvals_beside(repo, scanned.baselines, accepted, snapshot, snapshot, status.WorktreeAgainstHead()) is None


@pytest.mark.parametrize("args", [("status",), ("impact", "REQ-1")])
def test_answers_read_whole_without_digests_are_those_with_them(edited_demo: Path, args: tuple[str, ...], run_in_process: Any,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def cold(digests: bool) -> str:
        shutil.rmtree(edited_demo / ".git" / "reqtrace", ignore_errors=True)
        monkeypatch.setattr(cache, "GRAPH_DIGESTS", digests)
        result = run_in_process(*args, "--format", "json", cwd=edited_demo, env={"REQTRACE_NO_SCOPED": "1"})
        assert result.exit_code == 0, result.stderr
        return result.stdout

    undigested = cold(False)
    assert undigested == cold(True)
    answer = json.loads(undigested)
    if args[0] == "impact":
        suspect = {row["id"]: row["suspect"] for row in answer["descendants"]}
        assert suspect["REQ-10"] == ["REQ-1"] and suspect["REQ-11"] == []
    else:
        assert answer["since_first_signed"]["changes"] and answer["drift"]["removed"]
