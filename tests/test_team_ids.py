"""Two people adding requirements, requests and meetings on two branches merge with no
conflict and no duplicate id: real clones of a shared remote, real branches, real merges."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from pathlib import Path

import pytest

from conftest import git
from reqtrace.core.config import find_spec_repo
from reqtrace.records import id_choice
from reqtrace.records.authoring import new_item
from reqtrace.records.id_choice import KnownIds, next_number, random_space

DAY = dt.date(2026, 12, 6)


def _shared_remote(tmp_path: Path, run_cli) -> Path:
    """A bare remote holding a spec repo with REQ-1..3, RQ-1 and one meeting."""
    seed = tmp_path / "seed"
    assert run_cli("init", str(seed)).exit_code == 0
    for title in ("Book online", "Cancel online", "Remind by SMS"):
        assert run_cli("new", "requirement", "--title", title, cwd=seed).exit_code == 0
    assert run_cli("new", "request", "--title", "A wish", cwd=seed).exit_code == 0
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "start")
    git(seed, "branch", "-M", "main")
    remote = tmp_path / "remote.git"
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(remote))
    return remote


def _clone(remote: Path, target: Path, branch: str) -> Path:
    git(remote.parent, "clone", "-q", str(remote), str(target))
    git(target, "checkout", "-q", "-b", branch)
    return target


def _add_work(clone: Path, monkeypatch: pytest.MonkeyPatch, draws: list[int]) -> list[str]:
    """Two requirements, a request and two meetings of one day, as `reqtrace new` makes them."""
    sequence = iter(draws)
    monkeypatch.setattr(id_choice.secrets, "randbelow", lambda n: next(sequence) % n)
    repo = find_spec_repo(clone)
    made = [
        new_item(repo, "requirement", "Pay online", today=DAY),
        new_item(repo, "requirement", "Pay by card", today=DAY),
        new_item(repo, "request", "Another wish", today=DAY),
        new_item(repo, "meeting", "Review", today=DAY),
        new_item(repo, "meeting", "Follow-up", today=DAY),
    ]
    monkeypatch.undo()
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "-m", f"work on {clone.name}")
    return [path.name for path in made]


def test_two_clones_on_two_branches_merge_cleanly_and_check_passes(tmp_path, run_cli, monkeypatch):
    remote = _shared_remote(tmp_path, run_cli)
    alice = _clone(remote, tmp_path / "alice", "alice-payments")
    bob = _clone(remote, tmp_path / "bob", "bob-payments")
    # Each clone draws its own numbers; neither has seen the other's work.
    made_alice = _add_work(alice, monkeypatch, [3820, 417, 55, 56])
    made_bob = _add_work(bob, monkeypatch, [6111, 288, 700, 123])
    assert made_alice[:2] == ["REQ-4820.yaml", "REQ-4821.yaml"]  # a run: the second follows the first
    assert made_bob[:2] == ["REQ-7111.yaml", "REQ-7112.yaml"]
    assert re.fullmatch(r"RQ-\d{4}\.yaml", made_alice[2])
    assert all(re.fullmatch(r"MTG-2026-12-06-\d{3}\.md", name) for name in made_alice[3:] + made_bob[3:])
    assert not set(made_alice) & set(made_bob)

    git(bob, "push", "-q", "origin", "bob-payments")
    git(alice, "fetch", "-q", "origin")
    merged = git(alice, "merge", "--no-edit", "origin/bob-payments")
    assert "CONFLICT" not in merged
    check = run_cli("check", "--format", "json", cwd=alice)
    assert check.exit_code == 0, check.stdout
    listing = run_cli("list", "--format", "json", cwd=alice)
    assert listing.exit_code == 0 and listing.stdout.count('"id": "REQ-') == 7


def test_the_ids_of_every_branch_are_taken(tmp_path, run_in_process):
    remote = _shared_remote(tmp_path, run_in_process)
    bob = _clone(remote, tmp_path / "bob", "bob")
    made = Path(run_in_process("new", "requirement", "--title", "Bob's", "--id", "REQ-77", cwd=bob).stdout.strip())
    assert made.name == "REQ-77.yaml"
    git(bob, "add", "-A")
    git(bob, "commit", "-q", "-m", "REQ-77")
    git(bob, "push", "-q", "origin", "bob")

    alice = _clone(remote, tmp_path / "alice", "alice")  # has origin/bob, not its files
    assert not (alice / "specs" / "REQ-77.yaml").exists()
    refused = run_in_process("new", "requirement", "--title", "Mine", "--id", "REQ-77", cwd=alice)
    assert refused.exit_code == 3
    assert "'REQ-77' already exists on a remote-tracking branch" in refused.stderr
    assert not (alice / "specs" / "REQ-77.yaml").exists()
    # A drawn id is never one a branch holds, and in a team clone it is a 4-digit one.
    made = Path(run_in_process("new", "requirement", "--title", "Mine", cwd=alice).stdout.strip())
    assert re.fullmatch(r"REQ-\d{4}\.yaml", made.name), made.name


def test_a_clone_without_a_remote_counts_on_past_its_other_branches(make_repo, run_in_process):
    from conftest import requirement_yaml

    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1")})
    git(repo.root, "checkout", "-q", "-b", "first")
    assert Path(run_in_process("new", "requirement", "--title", "a", cwd=repo.root).stdout.strip()).name == "REQ-2.yaml"
    repo.commit(message="REQ-2")
    git(repo.root, "checkout", "-q", "-b", "second", "main")
    # REQ-2 is not in this working tree, but branch `first` holds it.
    assert Path(run_in_process("new", "requirement", "--title", "b", cwd=repo.root).stdout.strip()).name == "REQ-3.yaml"
    repo.commit(message="REQ-3")
    git(repo.root, "checkout", "-q", "main")
    git(repo.root, "merge", "-q", "--no-edit", "first")
    assert "CONFLICT" not in git(repo.root, "merge", "--no-edit", "second")
    assert run_in_process("check", cwd=repo.root).exit_code == 0


def test_hand_chosen_ids_are_checked(make_repo, run_in_process):
    from conftest import requirement_yaml

    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1")})
    bad = run_in_process("new", "requirement", "--title", "x", "--id", "req one", cwd=repo.root)
    assert bad.exit_code == 2 and "cannot be an id" in bad.stderr
    off_pattern = run_in_process("new", "requirement", "--title", "x", "--id", "req-1", cwd=repo.root)
    assert off_pattern.exit_code == 2 and "does not match the id pattern" in off_pattern.stderr
    taken = run_in_process("new", "request", "--title", "x", "--id", "REQ-1", cwd=repo.root)
    assert taken.exit_code == 3 and "already exists in the working tree" in taken.stderr
    made = run_in_process("new", "meeting", "--title", "Kick-off", "--id", "MTG-kickoff", cwd=repo.root)
    assert made.exit_code == 0 and Path(made.stdout.strip()).name == "MTG-kickoff.md"
    assert run_in_process("check", cwd=repo.root).exit_code == 0


def test_the_random_space_grows_before_it_fills():
    assert random_space(0) == range(1000, 10000)
    assert random_space(900) == range(1000, 10000)
    assert random_space(901) == range(10000, 100000)
    # A drawn number already taken moves on to the next free one.
    known = KnownIds(frozenset({"REQ-1000", "REQ-1001"}), remote=frozenset({"REQ-1000", "REQ-1001"}), team=True)
    assert next_number(known, "REQ-", draw=0) == 1002


def test_collision_odds_match_the_documented_figure():
    """Two runs of 5 from random starts in 9,000 numbers overlap about 9 / 9,000 of the time."""
    space = random_space(0)
    size, run = len(space), 5
    overlaps = sum(1 for a, b in itertools.product(range(0, size, 7), range(0, size, 11)) if abs(a - b) < run)
    pairs = len(range(0, size, 7)) * len(range(0, size, 11))
    assert overlaps / pairs == pytest.approx((2 * run - 1) / size, rel=0.15)


def test_a_pattern_that_fixes_the_width_narrows_the_random_space(make_repo, run_in_process, tmp_path):
    from conftest import CONFIG, requirement_yaml

    origin = make_repo({"reqtrace.yaml": CONFIG + "id_pattern: '^REQ-[0-9]{3}$'\n", "specs/REQ-001.yaml": requirement_yaml("REQ-001")})
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin.root), str(clone))
    made = Path(run_in_process("new", "requirement", "--title", "x", cwd=clone).stdout.strip())
    assert re.fullmatch(r"REQ-\d{3}\.yaml", made.name), made.name
    assert run_in_process("check", cwd=clone).exit_code == 0
    # A pattern no free id can match says so, and how to go on.
    full = make_repo({"reqtrace.yaml": CONFIG + "id_pattern: '^REQ-1$'\n", "specs/REQ-1.yaml": requirement_yaml("REQ-1")}, name="full")
    refused = run_in_process("new", "requirement", "--title", "x", cwd=full.root)
    assert refused.exit_code == 3
    assert "no free id matches the id pattern" in refused.stderr and "--id" in refused.stderr
