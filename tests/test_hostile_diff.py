"""diff and log where an id is duplicated or a file cannot be read at one end.

Replaying a real requirements repository showed diff reporting requirements as
removed when only their duplicate copies were deleted (the usual way to fix a
`duplicate-id` error), saying nothing when a duplicate appeared beside an
unchanged original, and reporting the requirements of a file that was broken
at FROM as added. Each case here is a real git history built commit by commit.
"""

from __future__ import annotations

import json

from conftest import requirement_yaml
from reqtrace.changes.diff import diff_revisions
from reqtrace.changes.history import requirement_history
from reqtrace.core.config import find_spec_repo


def many(*requirements: tuple[str, str]) -> str:
    """A file holding several requirements: (id, statement) each."""
    lines = ["requirements:"]
    for rid, statement in requirements:
        lines += [f"  - id: {rid}", f"    title: Title of {rid}", f"    statement: {statement}"]
    return "\n".join(lines) + "\n"


def diff_json_of(run_cli, repo, *args):
    result = run_cli("diff", *args, "--format", "json", cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def log_json_of(run_cli, repo, req_id):
    result = run_cli("log", req_id, "--format", "json", cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


# The real repository's ids: ZEP-ARCH-001.
ZEP_CONFIG = {"reqtrace.yaml": "project: Zep\ncustomer: Test customer\nid_pattern: '^[A-Z]+(-[A-Z]+)*-[0-9]+$'\n"}
ARCH = many(("ZEP-ARCH-001", "The system uses one database."), ("ZEP-ARCH-002", "Services talk over HTTPS."))


# --- a duplicated id, then fixed --------------------------------------------------------


def test_deleting_duplicate_copies_is_not_a_removal(make_repo, run_cli):
    # arch.yaml is untouched; the copies pasted into copy.yaml are deleted again.
    repo = make_repo({**ZEP_CONFIG, "specs/arch.yaml": ARCH})
    repo.commit({"specs/copy.yaml": many(("ZEP-ARCH-001", "The system uses one database."), ("ZEP-ARCH-002", "Services talk over HTTPS."), ("ZEP-OPS-001", "Logs are kept 90 days."))}, "paste", tag="v1")
    repo.commit({"specs/copy.yaml": many(("ZEP-OPS-001", "Logs are kept 90 days."))}, "fix duplicate-id")

    data = diff_json_of(run_cli, repo, "v1", "HEAD")
    assert data["changes"] == []
    assert data["summary"]["removed"] == 0
    assert [(d["id"], d["status"], [p["path"] for p in d["from"]], [p["path"] for p in d["to"]]) for d in data["duplicates"]] == [
        ("ZEP-ARCH-001", "resolved", ["specs/arch.yaml", "specs/copy.yaml"], ["specs/arch.yaml"]),
        ("ZEP-ARCH-002", "resolved", ["specs/arch.yaml", "specs/copy.yaml"], ["specs/arch.yaml"]),
    ]
    gate = run_cli("diff", "v1", "HEAD", "--fail-on", "unapproved", cwd=repo.root)
    assert gate.exit_code == 0, gate.stdout + gate.stderr  # a phantom removal would fail the gate
    assert "no change of meaning" in gate.stdout
    assert "duplicate resolved" in gate.stdout

    # The log does not end the requirement's life at the fix.
    log = log_json_of(run_cli, repo, "ZEP-ARCH-001")
    assert [e["change"] for e in log["entries"]] == ["added", "duplicate-added", "duplicate-removed"]
    assert log["exists"] is True and log["path"] == "specs/arch.yaml"
    assert "specs/copy.yaml" in log["entries"][-1]["notes"][0]


def test_the_kept_copy_is_compared_with_its_own_earlier_version(make_repo, run_in_process):
    # a.yaml and b.yaml said different things under one id; a.yaml's copy is deleted and
    # b.yaml's is kept unchanged: nothing changed meaning, though the loader kept a.yaml's before.
    repo = make_repo({"specs/a.yaml": requirement_yaml("REQ-7", "Export", "Export to CSV."), "specs/b.yaml": requirement_yaml("REQ-7", "Export", "Export to PDF.")}, tag="v1")
    repo.commit({"specs/a.yaml": None}, "remove the duplicate")
    data = diff_json_of(run_in_process, repo, "v1", "HEAD")
    assert data["changes"] == []
    assert [(d["id"], d["status"]) for d in data["duplicates"]] == [("REQ-7", "resolved")]

    # Both copies changed files: the kept copy is paired by path, so only its own edit shows.
    repo.commit({"specs/b.yaml": requirement_yaml("REQ-7", "Export", "Export to PDF and CSV.")}, "widen")
    repo.commit({"specs/a.yaml": requirement_yaml("REQ-8", "Import", "Import CSV.")}, "reuse a.yaml")
    result = diff_revisions(find_spec_repo(repo.root), "v1", "HEAD")
    changes = {(c.id, c.change, c.from_path, c.path) for c in result.changes}
    assert changes == {("REQ-7", "modified", "specs/b.yaml", "specs/b.yaml"), ("REQ-8", "added", None, "specs/a.yaml")}
    modified = next(c for c in result.changes if c.id == "REQ-7")
    assert [(f.field, f.before, f.after) for f in modified.fields] == [("statement", "Export to PDF.", "Export to PDF and CSV.")]

    log = requirement_history(find_spec_repo(repo.root), "REQ-7")
    assert [e.change for e in log.entries] == ["added", "duplicate-removed", "modified"]
    assert log.current is not None and log.current.path == "specs/b.yaml"


# --- a duplicate added beside an unchanged original --------------------------------------


def test_duplicate_added_beside_an_unchanged_original_is_reported(make_repo, run_in_process):
    repo = make_repo({**ZEP_CONFIG, "specs/arch.yaml": ARCH}, tag="v1")
    repo.commit({"specs/more.yaml": many(("ZEP-ARCH-002", "Services talk over gRPC."), ("ZEP-ARCH-003", "Config lives in env vars."))}, "add more")

    data = diff_json_of(run_in_process, repo, "v1", "HEAD")
    assert [(c["id"], c["change"]) for c in data["changes"]] == [("ZEP-ARCH-003", "added")]  # not ZEP-ARCH-002
    assert data["duplicates"] == [
        {
            "id": "ZEP-ARCH-002", "status": "introduced",
            "from": [{"path": "specs/arch.yaml", "line": 5}],
            "to": [{"path": "specs/arch.yaml", "line": 5}, {"path": "specs/more.yaml", "line": 2}],
            "message": "ZEP-ARCH-002 is defined 2 times at TO: specs/arch.yaml:5, specs/more.yaml:2 (duplicate-id)",
        }
    ]
    assert data["summary"]["duplicates"] == 1
    found = [(f["side"], f["code"], f["path"], f["id"]) for f in data["findings"]]
    assert found == [("to", "duplicate-id", "specs/more.yaml", "ZEP-ARCH-002")]

    # `check` names the same problem with the same code.
    check = run_in_process("check", "--format", "json", cwd=repo.root)
    assert check.exit_code == 1
    assert any(f["code"] == "duplicate-id" and f["id"] == "ZEP-ARCH-002" for f in json.loads(check.stdout)["findings"])

    # The gate: a duplicate at TO is an error there; diff cannot say which copy is the requirement.
    gate = run_in_process("diff", "v1", "HEAD", "--fail-on", "unapproved", cwd=repo.root)
    assert gate.exit_code == 1
    assert "ZEP-ARCH-002 is defined 2 times at TO" in gate.stdout
    assert "duplicate-id" in gate.stdout

    log = log_json_of(run_in_process, repo, "ZEP-ARCH-002")
    assert [(e["change"], e["path"]) for e in log["entries"]] == [("added", "specs/arch.yaml"), ("duplicate-added", "specs/more.yaml")]
    assert log["path"] == "specs/arch.yaml"  # still followed in its own file
    assert "defined 2 times" in log["entries"][-1]["notes"][0]


# --- a file that cannot be read at one end -----------------------------------------------

BROKEN = "requirements:\n  - id: REQ-3\n    title: Remind\n    statement: [unclosed\n  - id: REQ-4\n    title: Pay\n"


def test_file_broken_at_from_is_not_added(make_repo, run_in_process):
    repo = make_repo({"specs/x.yaml": many(("REQ-3", "Send a reminder."), ("REQ-4", "Take a deposit."))})
    repo.commit({"specs/x.yaml": BROKEN}, "half-edited", tag="v1")
    repo.commit({"specs/x.yaml": many(("REQ-3", "Send a reminder the day before."), ("REQ-4", "Take a deposit."))}, "fixed")

    data = diff_json_of(run_in_process, repo, "v1", "HEAD")
    assert data["changes"] == [] and data["summary"]["added"] == 0
    assert [(u["id"], u["side"], u["path"]) for u in data["unreadable"]] == [("REQ-3", "from", "specs/x.yaml"), ("REQ-4", "from", "specs/x.yaml")]
    assert data["unreadable"][0]["reason"].startswith("yaml-syntax at line ")
    text = run_in_process("diff", "v1", "HEAD", "--fail-on", "unapproved", cwd=repo.root)
    assert "specs/x.yaml could not be read at FROM (yaml-syntax at line" in text.stdout
    assert "REQ-3 is not compared" in text.stdout
    assert text.exit_code == 1  # the gate cannot vouch for what it could not read

    log = log_json_of(run_in_process, repo, "REQ-3")
    assert [e["change"] for e in log["entries"]] == ["added", "unreadable", "modified"]
    gap, after = log["entries"][1], log["entries"][2]
    assert "could not be read at this commit (yaml-syntax at line" in gap["notes"][0]
    assert gap["digest"] is None  # its version there is unknown
    assert [f["field"] for f in after["fields"]] == ["statement"]
    assert after["fields"][0]["before"] == "Send a reminder."  # compared with the version before the gap
    assert "can be read again" in after["notes"][0]
    # Unchanged across the gap: one note, no removal and re-adding.
    log4 = log_json_of(run_in_process, repo, "REQ-4")
    assert [e["change"] for e in log4["entries"]] == ["added", "unreadable", "readable"]


def test_file_broken_at_to_is_not_removed(make_repo, run_in_process):
    repo = make_repo({"specs/x.yaml": many(("REQ-3", "Send a reminder."), ("REQ-4", "Take a deposit."))}, tag="v1")
    repo.commit({"specs/x.yaml": BROKEN}, "half-edited")

    data = diff_json_of(run_in_process, repo, "v1", "HEAD")
    assert data["changes"] == [] and data["summary"]["removed"] == 0
    assert [(u["id"], u["side"]) for u in data["unreadable"]] == [("REQ-3", "to"), ("REQ-4", "to")]
    text = run_in_process("diff", "v1", "HEAD", cwd=repo.root)
    assert "specs/x.yaml could not be read at TO (yaml-syntax at line" in text.stdout

    log = log_json_of(run_in_process, repo, "REQ-3")
    assert [e["change"] for e in log["entries"]] == ["added", "unreadable"]
    assert log["exists"] is True and log["path"] == "specs/x.yaml"
    text = run_in_process("log", "REQ-3", cwd=repo.root)
    assert text.exit_code == 0 and "could not be read at this commit" in text.stdout
    assert "removed" not in text.stdout


def test_a_real_removal_is_still_a_removal(make_repo, run_in_process):
    # The rules above must not hide a requirement that is really gone, duplicated before or not.
    repo = make_repo({"specs/a.yaml": requirement_yaml("REQ-7"), "specs/b.yaml": requirement_yaml("REQ-7"), "specs/c.yaml": requirement_yaml("REQ-9")}, tag="v1")
    repo.commit({"specs/a.yaml": None, "specs/b.yaml": None, "specs/c.yaml": None}, "drop")
    data = diff_json_of(run_in_process, repo, "v1", "HEAD")
    assert sorted((c["id"], c["change"]) for c in data["changes"]) == [("REQ-7", "removed"), ("REQ-9", "removed")]
    assert [d["message"] for d in data["duplicates"]] == ["REQ-7 was defined 2 times at FROM (specs/a.yaml:1, specs/b.yaml:1); every copy is gone at TO"]
    assert data["unreadable"] == []
    log = log_json_of(run_in_process, repo, "REQ-9")
    assert [e["change"] for e in log["entries"]] == ["added", "removed"]
    assert log["exists"] is False


def test_duplicate_fixed_in_the_working_tree_and_shown_in_markdown(make_repo, run_in_process):
    # The same rules against the working tree (uncommitted edits), the default TO.
    repo = make_repo({**ZEP_CONFIG, "specs/arch.yaml": ARCH, "specs/copy.yaml": many(("ZEP-ARCH-001", "The system uses one database."))}, tag="v1")
    repo.write({"specs/copy.yaml": None, "specs/new.yaml": many(("ZEP-ARCH-002", "Services talk over gRPC."))})
    data = diff_json_of(run_in_process, repo, "v1")
    assert data["changes"] == []
    assert [(d["id"], d["status"]) for d in data["duplicates"]] == [("ZEP-ARCH-001", "resolved"), ("ZEP-ARCH-002", "introduced")]
    markdown = run_in_process("diff", "v1", "--format", "markdown", cwd=repo.root)
    assert "ZEP\\-ARCH\\-002 is defined 2 times at TO" in markdown.stdout  # Markdown-escaped
    assert "duplicate resolved" in markdown.stdout
    assert "| 0 | 0 | 0 | 0 | 0 |" in markdown.stdout  # nothing added or removed
