"""reqtrace log: one requirement's life, by id, across moves and reformatting."""

from __future__ import annotations

import json

import pytest

from conftest import requirement_yaml
from reqtrace.changes.history import requirement_history
from reqtrace.core.config import find_spec_repo
from reqtrace.core.model import SCHEMA_VERSION


def request_yaml(req_id: str, affects: str, on: str) -> str:
    return f"id: {req_id}\nreceived: {on}\ntitle: Longer window\naffects: [{affects}]\ndecision:\n  status: approved\n  by: Dr. Chen\n  on: {on}\n"


@pytest.fixture
def story(make_repo):
    """REQ-1 is written, reformatted, signed (baseline v1), changed on request, moved, changed again."""
    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1", "Book online", "Patients book up to 14 days ahead."), "specs/REQ-2.yaml": requirement_yaml("REQ-2", "Other")})
    commits = {"added": repo.git("rev-parse", "HEAD")}
    commits["reformat"] = repo.commit(
        {"specs/REQ-1.yaml": "id: REQ-1\ntitle: Book online\nstatement: >\n  Patients book up to\n  14 days ahead.\n"},
        "Rewrap REQ-1", date="2026-02-01T10:00:00+00:00", tag="baseline/v1",
    )
    commits["other"] = repo.commit({"specs/REQ-2.yaml": requirement_yaml("REQ-2", "Other, changed")}, "Touch REQ-2", date="2026-02-15T10:00:00+00:00")
    commits["window"] = repo.commit(
        {"specs/REQ-1.yaml": requirement_yaml("REQ-1", "Book online", "Patients book up to 30 days ahead."), "records/requests/RQ-7.yaml": request_yaml("RQ-7", "REQ-1", "2026-03-01")},
        "Booking window 30 days (RQ-7)", date="2026-03-02T10:00:00+00:00", tag="baseline/v2",
    )
    commits["moved"] = repo.commit(
        {"specs/REQ-1.yaml": None, "specs/booking/window.yaml": requirement_yaml("REQ-1", "Book online", "Patients book up to 30 days ahead.")},
        "Move booking requirements", date="2026-04-01T10:00:00+00:00",
    )
    commits["acceptance"] = repo.commit(
        {"specs/booking/window.yaml": requirement_yaml("REQ-1", "Book online", "Patients book up to 30 days ahead.", acceptance=["Booking 30 days ahead succeeds"])},
        "Add acceptance", date="2026-05-01T10:00:00+00:00",
    )
    return repo, commits


def test_log_lists_changes_of_meaning_and_follows_moves(story):
    repo, commits = story
    history = requirement_history(find_spec_repo(repo.root), "REQ-1")
    assert [(e.commit, e.change) for e in history.entries] == [
        (commits["added"], "added"),
        (commits["window"], "modified"),
        (commits["moved"], "moved"),
        (commits["acceptance"], "modified"),
    ]
    window = history.entries[1]
    assert window.message == "Booking window 30 days (RQ-7)" and window.author == "Test Author"
    assert window.date.startswith("2026-03-02")
    assert [(f.field, f.before, f.after) for f in window.fields] == [("statement", "Patients book up to 14 days ahead.", "Patients book up to 30 days ahead.")]
    assert history.entries[2].from_path == "specs/REQ-1.yaml" and history.entries[2].path == "specs/booking/window.yaml"
    assert history.entries[3].fields[0].field == "acceptance"


def test_log_names_baselines_and_requests(story):
    repo, commits = story
    history = requirement_history(find_spec_repo(repo.root), "REQ-1")
    held = {b.name: b.entry for b in history.baselines}
    # v1 was tagged on the reformatting commit: it holds the version first added.
    assert held == {"v1": commits["added"], "v2": commits["window"]}
    assert history.entries[0].baselines == ["v1"] and history.entries[1].baselines == ["v2"]
    assert history.entries[1].requests == ["RQ-7"]
    assert [(r.id, r.status, r.change) for r in history.requests] == [("RQ-7", "approved", commits["window"])]


def test_log_cli_text_and_json(story, run_cli, run_in_process):
    repo, commits = story
    text = run_cli("log", "REQ-1", cwd=repo.root)
    assert text.exit_code == 0, text.stderr
    assert "Booking window 30 days (RQ-7)" in text.stdout and "Rewrap" not in text.stdout
    assert "in baseline v2" in text.stdout and "specs/REQ-1.yaml → specs/booking/window.yaml" in text.stdout
    # The text through a real process; the JSON answers in this process (the same bytes, ~0.25 s less each).
    data = json.loads(run_in_process("log", "REQ-1", "--format", "json", cwd=repo.root).stdout)
    assert data["schema_version"] == SCHEMA_VERSION and data["id"] == "REQ-1" and data["exists"] is True
    assert data["path"] == "specs/booking/window.yaml"
    for entry in data["entries"]:
        assert set(entry) >= {"commit", "date", "author", "message", "change", "fields", "requests", "baselines"}
    assert [e["change"] for e in data["entries"]] == ["added", "modified", "moved", "modified"]
    early = json.loads(run_in_process("log", "REQ-1", "--rev", "baseline/v2", "--format", "json", cwd=repo.root).stdout)
    assert [e["change"] for e in early["entries"]] == ["added", "modified"]
    # A baseline's name works as --rev too.
    assert json.loads(run_in_process("log", "REQ-1", "--rev", "v1", "--format", "json", cwd=repo.root).stdout)["entries"][0]["change"] == "added"


def test_log_of_a_removed_and_a_renamed_requirement(story):
    repo, _ = story
    repo.commit({"specs/booking/window.yaml": requirement_yaml("REQ-10", "Book online", "Patients book up to 30 days ahead.")}, "Renumber", date="2026-06-01T10:00:00+00:00")
    history = requirement_history(find_spec_repo(repo.root), "REQ-1")
    assert history.entries[-1].change == "removed" and history.current is None
    renamed = requirement_history(find_spec_repo(repo.root), "REQ-10")
    assert [e.change for e in renamed.entries] == ["added"]


def test_log_of_an_unknown_id(story, run_in_process):
    repo, _ = story
    result = run_in_process("log", "REQ-999", cwd=repo.root)
    assert result.exit_code == 3
    assert "'REQ-999' does not appear in the history" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2


def test_log_follows_a_requirement_into_a_file_of_several(make_repo, run_in_process):
    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1", "Book online", "Patients book 14 days ahead.")})
    several = "requirements:\n" + "".join(
        "  - " + requirement_yaml(rid, title, statement).replace("\n", "\n    ").rstrip() + "\n"
        for rid, title, statement in (("REQ-0", "Open", "The clinic opens at 8."), ("REQ-1", "Book online", "Patients book 14 days ahead."))
    )
    repo.commit({"specs/REQ-1.yaml": None, "specs/booking.yaml": several}, "Gather booking requirements")
    repo.commit({"specs/booking.yaml": several.replace("opens at 8", "opens at 9")}, "Opening hours")
    repo.commit({"specs/booking.yaml": several.replace("14 days", "21 days")}, "Window 21 days")
    data = json.loads(run_in_process("log", "REQ-1", "--format", "json", cwd=repo.root).stdout)
    assert [(e["change"], e["message"]) for e in data["entries"]] == [
        ("added", "initial"), ("moved", "Gather booking requirements"), ("modified", "Window 21 days"),
    ]
    diff = json.loads(run_in_process("diff", "HEAD~2", "--format", "json", cwd=repo.root).stdout)
    assert [(c["id"], c["change"]) for c in diff["changes"]] == [("REQ-1", "modified")]


def test_log_without_commits(tmp_path, run_in_process):
    from conftest import git

    (tmp_path / "reqtrace.yaml").write_text("project: X\n")
    git(tmp_path, "init", "-q")
    result = run_in_process("log", "REQ-1", cwd=tmp_path)
    assert result.exit_code == 3 and "no commits yet" in result.stderr
