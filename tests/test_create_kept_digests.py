"""`baseline create` takes the digests of unchanged files from an earlier baseline's kept
digests (baseline.digests_unchanged_since_kept) — checked here against the plain computation."""

from __future__ import annotations

import shutil

from conftest import created_entries, plain_baseline_entries, requirement_yaml
from reqtrace.baselines.baseline import (
    create_baseline,
    digests_unchanged_since_kept,
)
from reqtrace.core.config import find_spec_repo


def test_create_after_edits_moves_and_removals_gives_the_plain_digests(make_repo):
    repo = make_repo({f"specs/REQ-{n}.yaml": requirement_yaml(f"REQ-{n}", f"Title {n}") for n in range(1, 7)})
    spec = find_spec_repo(repo.root)
    create_baseline(spec, "v1")  # keeps every digest at its commit
    repo.commit({
        "specs/REQ-1.yaml": requirement_yaml("REQ-1", "Title 1, edited"),
        "specs/REQ-2.yaml": None,
        "specs/moved/REQ-2.yaml": requirement_yaml("REQ-2", "Title 2"),
        "specs/REQ-3.yaml": requirement_yaml("REQ-3", "Title 3", tags=["new"]),
        "specs/REQ-4.yaml": None,
        "specs/REQ-9.yaml": requirement_yaml("REQ-9", "Title 9"),
    })
    head = repo.git("rev-parse", "HEAD")
    known = digests_unchanged_since_kept(spec, head, "specs")
    # The files untouched since v1 are taken from its kept digests, nothing else.
    assert sorted(known) == [("REQ-5", "specs/REQ-5.yaml"), ("REQ-6", "specs/REQ-6.yaml")]
    created = create_baseline(spec, "v2")
    assert created.baseline.commit == head
    assert created_entries(created) == plain_baseline_entries(repo.root, head)


def test_a_changed_reqtrace_yaml_takes_nothing_from_earlier(make_repo):
    repo = make_repo({f"specs/REQ-{n}.yaml": requirement_yaml(f"REQ-{n}", f"Title {n}") for n in range(1, 4)})
    spec = find_spec_repo(repo.root)
    create_baseline(spec, "v1")
    config = (repo.root / "reqtrace.yaml").read_text(encoding="utf-8")
    repo.commit({"reqtrace.yaml": config + "# the id pattern could have changed here\n"})
    head = repo.git("rev-parse", "HEAD")
    assert digests_unchanged_since_kept(spec, head, "specs") == {}
    assert created_entries(create_baseline(spec, "v2")) == plain_baseline_entries(repo.root, head)


def test_without_kept_digests_nothing_is_taken(make_repo):
    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1")})
    spec = find_spec_repo(repo.root)
    create_baseline(spec, "v1")
    shutil.rmtree(repo.root / ".git" / "reqtrace")
    head = repo.git("rev-parse", "HEAD")
    assert digests_unchanged_since_kept(spec, head, "specs") == {}
