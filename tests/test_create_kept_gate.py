"""`baseline create` from an earlier baseline's kept digests and freeze gate, reading only the
requirement files changed since (baseline._entries_from_kept): the same manifest entries as
reading every file, and the same refusals — a placeholder, an error or a duplicate id among
the changed files, or a file the gate held at the earlier commit that is still unchanged."""

from __future__ import annotations

import shutil

import pytest

from conftest import created_entries, plain_baseline_entries, requirement_yaml
from reqtrace.baselines import baseline as baseline_module
from reqtrace.baselines.baseline import (
    GATE_KIND,
    create_baseline,
    frozen_entries,
)
from reqtrace.core.config import find_spec_repo
from reqtrace.core.placeholders import STATEMENT_TEMPLATE
from reqtrace.errors import GateFailed


def _read_nothing_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(baseline_module, "requirements_at", lambda *_a, **_k: pytest.fail("every requirement file was read"))


@pytest.fixture
def repo(make_repo):
    made = make_repo({f"specs/REQ-{n}.yaml": requirement_yaml(f"REQ-{n}", f"Title {n}") for n in range(1, 8)})
    create_baseline(find_spec_repo(made.root), "v1")  # keeps its digests and its (passed) gate
    return made


def test_after_edits_moves_removals_and_additions_the_entries_are_the_plain_ones(repo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo.commit({
        "specs/REQ-1.yaml": requirement_yaml("REQ-1", "Title 1, edited"),
        "specs/REQ-2.yaml": None,
        "specs/moved/REQ-2.yaml": requirement_yaml("REQ-2", "Title 2"),
        "specs/REQ-4.yaml": None,
        "specs/REQ-9.yaml": requirement_yaml("REQ-9", "Title 9"),
    })
    head = repo.git("rev-parse", "HEAD")
    with monkeypatch.context() as patch:
        _read_nothing_whole(patch)
        created = create_baseline(find_spec_repo(repo.root), "v2")
    assert created_entries(created) == plain_baseline_entries(repo.root, head)
    assert [e[0] for e in created_entries(created)] == ["REQ-1", "REQ-2", "REQ-3", "REQ-5", "REQ-6", "REQ-7", "REQ-9"]


@pytest.mark.parametrize(
    ("files", "said"),
    [
        ({"specs/REQ-3.yaml": requirement_yaml("REQ-3", "Title 3", STATEMENT_TEMPLATE)}, "template text"),
        ({"specs/REQ-9.yaml": requirement_yaml("REQ-5", "Another REQ-5")}, "error"),
        ({"specs/REQ-9.yaml": "id: REQ-9\ntitle: [unclosed\n"}, "error"),
        ({"specs/REQ-9.yaml": requirement_yaml("REQ-9", "Title 9", surprise="a field no digest covers")}, "no digest covers"),
    ],
    ids=["placeholder", "duplicate-id", "broken-yaml", "unknown-field"],
)
def test_a_changed_file_that_must_not_be_frozen_is_refused_as_before(repo, files, said: str) -> None:
    repo.commit(files)
    with pytest.raises(GateFailed) as kept_way:
        create_baseline(find_spec_repo(repo.root), "v2")
    shutil.rmtree(repo.root / ".git" / "reqtrace")
    with pytest.raises(GateFailed) as plain_way:
        create_baseline(find_spec_repo(repo.root), "v2")
    assert kept_way.value.message == plain_way.value.message
    assert said in kept_way.value.message


def test_a_file_held_at_the_earlier_commit_and_unchanged_since_is_refused(make_repo) -> None:
    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1"), "specs/REQ-2.yaml": requirement_yaml("REQ-2", "Two", STATEMENT_TEMPLATE)})
    spec = find_spec_repo(repo.root)
    held_commit = repo.git("rev-parse", "HEAD")
    repo.git("tag", "-a", "-m", "not reqtrace's", "baseline/old", held_commit)  # a baseline commit whose files hold a placeholder
    frozen_entries(spec, held_commit)  # as `check` or `verify` computes it: digests and gate kept
    assert list((repo.root / ".git" / "reqtrace" / GATE_KIND).iterdir())
    repo.commit({"specs/REQ-1.yaml": requirement_yaml("REQ-1", "One, edited")})
    with pytest.raises(GateFailed, match="template text"):
        create_baseline(spec, "v1")


def test_a_missing_or_damaged_gate_reads_every_file(repo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo.commit({"specs/REQ-1.yaml": requirement_yaml("REQ-1", "Title 1, edited")})
    head = repo.git("rev-parse", "HEAD")
    (entry,) = (repo.root / ".git" / "reqtrace" / GATE_KIND).iterdir()
    data = bytearray(entry.read_bytes())
    data[len(data) // 2] ^= 1  # the seal no longer verifies
    entry.write_bytes(bytes(data))
    read = []
    real = baseline_module.requirements_at
    monkeypatch.setattr(baseline_module, "requirements_at", lambda *a, **k: read.append(a) or real(*a, **k))
    created = create_baseline(find_spec_repo(repo.root), "v2")
    assert read  # read whole
    assert created_entries(created) == plain_baseline_entries(repo.root, head)
