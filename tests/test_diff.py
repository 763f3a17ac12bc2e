"""reqtrace diff: what changed between two points, field by field, and was it approved."""

from __future__ import annotations

import json

import pytest

from conftest import git, requirement_yaml
from reqtrace.changes.diff import diff_json, diff_revisions, drift_findings
from reqtrace.core.config import find_spec_repo
from reqtrace.core.model import SCHEMA_VERSION
from reqtrace.core.parse_cache import ParseCache


def request_yaml(req_id: str, affects: str, status: str | None = "approved", on: str = "2026-01-10") -> str:
    text = f"id: {req_id}\nreceived: 2026-01-05\ntitle: Change {affects}\naffects: [{affects}]\n"
    if status:
        text += f"decision:\n  status: {status}\n  by: Li Wei\n  on: {on}\n"
    return text


BASE = {
    "specs/REQ-1.yaml": requirement_yaml("REQ-1", "Book online", "Patients book up to 14 days ahead.", acceptance=["Booking works", "A slot is held 5 minutes"], tags=["booking"]),
    "specs/REQ-2.yaml": requirement_yaml("REQ-2", "Cancel", "Patients cancel online until 24 hours before."),
    "specs/REQ-3.yaml": requirement_yaml("REQ-3", "Remind", "The system sends an SMS reminder the day before the visit."),
    "specs/booking/REQ-4.yaml": requirement_yaml("REQ-4", "预约", "患者可以提前14天在线预约。"),
}


@pytest.fixture
def repo(make_repo):
    return make_repo(BASE, tag="v1")


def changes_by_id(result):
    return {change.id: change for change in result.changes}


def test_added_removed_modified_and_moved_are_matched_by_id(repo):
    repo.write({"specs/REQ-1.yaml": BASE["specs/REQ-1.yaml"].replace("14 days", "30 days")})
    repo.write({"specs/REQ-2.yaml": None, "specs/cancel/cancelling.yaml": BASE["specs/REQ-2.yaml"]})  # moved, same meaning
    repo.write({"specs/REQ-3.yaml": None})
    repo.write({"specs/REQ-5.yaml": requirement_yaml("REQ-5", "Pay", "Patients pay a deposit online.")})
    result = diff_revisions(find_spec_repo(repo.root), "v1")
    found = {cid: change.change for cid, change in changes_by_id(result).items()}
    assert found == {"REQ-1": "modified", "REQ-2": "moved", "REQ-3": "removed", "REQ-5": "added"}
    moved = changes_by_id(result)["REQ-2"]
    assert (moved.from_path, moved.path) == ("specs/REQ-2.yaml", "specs/cancel/cancelling.yaml")
    assert moved.approved and not moved.needs_approval


def test_two_files_swapping_names_is_no_change(repo):
    # Matched by id, never by file name: swapping the files of two requirements changes nothing but paths.
    repo.commit({"specs/REQ-1.yaml": BASE["specs/REQ-2.yaml"], "specs/REQ-2.yaml": BASE["specs/REQ-1.yaml"]})
    result = diff_revisions(find_spec_repo(repo.root), "v1", "HEAD")
    assert {c.id: c.change for c in result.changes} == {"REQ-1": "moved", "REQ-2": "moved"}


def test_field_changes_show_words_and_list_items(repo):
    repo.write({
        "specs/REQ-1.yaml": requirement_yaml("REQ-1", "Book online", "Patients book up to 30 days ahead.", acceptance=["Booking works", "A slot is held 10 minutes"], tags=["booking", "web"], x_risk="high"),
        "specs/booking/REQ-4.yaml": requirement_yaml("REQ-4", "预约", "患者可以提前30天在线预约。"),
    })
    result = diff_revisions(find_spec_repo(repo.root), "v1")
    fields = {f.field: f for f in changes_by_id(result)["REQ-1"].fields}
    assert set(fields) == {"statement", "acceptance", "tags", "x-risk"}
    assert ("-", "14") in fields["statement"].words and ("+", "30") in fields["statement"].words
    assert fields["acceptance"].added == ("A slot is held 10 minutes",)
    assert fields["acceptance"].removed == ("A slot is held 5 minutes",)
    assert fields["tags"].added == ("web",) and fields["tags"].removed == ()
    assert (fields["x-risk"].before, fields["x-risk"].after) == (None, "high")
    chinese = changes_by_id(result)["REQ-4"].fields[0]
    assert chinese.words == (("=", "患者可以提前"), ("-", "14"), ("+", "30"), ("=", "天在线预约。"))


def test_formatting_only_change_is_not_a_change_and_all_lists_it(repo, run_cli, run_in_process):
    folded = "id: REQ-2\ntitle: Cancel\nstatement: >\n  Patients cancel online\n  until 24 hours before.\n"
    repo.write({"specs/REQ-2.yaml": folded, "specs/REQ-3.yaml": BASE["specs/REQ-3.yaml"].replace("SMS", "e-mail")})
    result = diff_revisions(find_spec_repo(repo.root), "v1")
    assert [c.id for c in result.changes] == ["REQ-3"]
    assert result.formatting_only == ["specs/REQ-2.yaml"]
    plain = run_cli("diff", "v1", cwd=repo.root)
    assert "REQ-2" not in plain.stdout
    listed = run_in_process("diff", "v1", "--all", cwd=repo.root)  # the same text; a real process above
    assert "formatting only" in listed.stdout and "specs/REQ-2.yaml" in listed.stdout


def test_changed_id_is_removed_plus_added_with_a_hint(repo, run_in_process):
    repo.write({"specs/REQ-3.yaml": BASE["specs/REQ-3.yaml"].replace("id: REQ-3", "id: REQ-30")})
    result = diff_revisions(find_spec_repo(repo.root), "v1")
    found = changes_by_id(result)
    assert found["REQ-3"].change == "removed" and found["REQ-30"].change == "added"
    assert found["REQ-30"].similar[0] == "REQ-3" and found["REQ-30"].similar[1] >= 0.8
    text = run_in_process("diff", "v1", cwd=repo.root).stdout
    assert "renamed from REQ-3" in text and "renamed to REQ-30" in text


def test_a_different_requirement_gets_no_rename_hint(repo):
    repo.write({"specs/REQ-3.yaml": None, "specs/REQ-9.yaml": requirement_yaml("REQ-9", "Export", "Administrators export the monthly schedule as CSV.")})
    found = changes_by_id(diff_revisions(find_spec_repo(repo.root), "v1"))
    assert found["REQ-9"].similar is None and found["REQ-3"].similar is None


def test_approval_needs_an_approved_request_decided_by_to(repo, run_in_process):
    repo.commit({
        "specs/REQ-1.yaml": BASE["specs/REQ-1.yaml"].replace("14 days", "30 days"),
        "specs/REQ-2.yaml": BASE["specs/REQ-2.yaml"].replace("24 hours", "12 hours"),
        "specs/REQ-3.yaml": BASE["specs/REQ-3.yaml"].replace("SMS", "e-mail"),
        "specs/booking/REQ-4.yaml": BASE["specs/booking/REQ-4.yaml"].replace("14", "21"),
        "records/requests/RQ-1.yaml": request_yaml("RQ-1", "REQ-1", on="2026-01-10"),
        "records/requests/RQ-2.yaml": request_yaml("RQ-2", "REQ-2", status="pending"),
        "records/requests/RQ-3.yaml": request_yaml("RQ-3", "REQ-3", on="2026-03-01"),  # after TO
        "records/requests/RQ-4.yaml": request_yaml("RQ-4", "REQ-4", status="rejected"),
    }, date="2026-02-01T10:00:00+00:00", tag="t1")
    result = diff_revisions(find_spec_repo(repo.root), "v1", "t1")
    found = changes_by_id(result)
    assert found["REQ-1"].approved_by == ("RQ-1",) and found["REQ-1"].approved
    assert not found["REQ-2"].approved and found["REQ-2"].requests[0].why_not == "decision is pending"
    assert not found["REQ-3"].approved and "after 2026-02-01" in found["REQ-3"].requests[0].why_not
    assert not found["REQ-4"].approved
    # Unapproved first.
    assert [c.approved for c in result.changes] == [False, False, False, True]
    text = run_in_process("diff", "v1", "t1", cwd=repo.root).stdout
    assert "3 unapproved" in text
    assert text.index("UNAPPROVED") < text.index("approved by RQ-1")
    # In the working tree "today" is TO's date, so RQ-3 (decided 2026-03-01) covers REQ-3 by now.
    later = changes_by_id(diff_revisions(find_spec_repo(repo.root), "v1"))
    assert later["REQ-3"].approved


def test_fail_on_gates(repo, run_in_process):
    assert run_in_process("diff", "v1", "--fail-on", "any", cwd=repo.root).exit_code == 0  # nothing changed
    repo.write({"specs/REQ-1.yaml": BASE["specs/REQ-1.yaml"].replace("14 days", "30 days")})
    assert run_in_process("diff", "v1", cwd=repo.root).exit_code == 0
    assert run_in_process("diff", "v1", "--fail-on", "unapproved", cwd=repo.root).exit_code == 1
    repo.write({"records/requests/RQ-1.yaml": request_yaml("RQ-1", "REQ-1")})
    assert run_in_process("diff", "v1", "--fail-on", "unapproved", cwd=repo.root).exit_code == 0
    assert run_in_process("diff", "v1", "--fail-on", "any", cwd=repo.root).exit_code == 1


def test_json_contract(repo, run_cli):
    repo.write({
        "specs/REQ-1.yaml": BASE["specs/REQ-1.yaml"].replace("14 days", "30 days"),
        "specs/REQ-2.yaml": None, "specs/other/REQ-2.yaml": BASE["specs/REQ-2.yaml"],
        "records/requests/RQ-1.yaml": request_yaml("RQ-1", "REQ-1"),
    })
    result = run_cli("diff", "v1", "WORKTREE", "--format", "json", cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema_version"] == SCHEMA_VERSION
    assert set(data["from"]) >= {"ref", "commit"} and set(data["to"]) >= {"ref", "commit"}
    assert data["from"]["ref"] == "v1" and len(data["from"]["commit"]) == 40
    assert data["to"]["commit"] is None
    assert data["summary"] == data["summary"] | {"added": 0, "removed": 0, "modified": 1, "moved": 1, "unapproved": 0}
    for change in data["changes"]:
        assert set(change) >= {"id", "change", "path", "fields", "approved_by", "approved"}
        assert change["change"] in ("added", "removed", "modified", "moved")
        for field in change["fields"]:
            assert set(field) >= {"field", "before", "after"}
    modified = next(c for c in data["changes"] if c["change"] == "modified")
    assert modified["approved_by"] == ["RQ-1"] and modified["approved"] is True
    assert modified["fields"][0]["before"] == "Patients book up to 14 days ahead."


def test_markdown_escapes_user_text(repo, run_in_process):
    hostile = "<script>alert(1)</script> [click](javascript:alert(1)) @everyone | **bold** `code`"
    repo.write({"specs/REQ-3.yaml": requirement_yaml("REQ-3", hostile, "The system sends an SMS reminder the day before the visit.")})
    out = run_in_process("diff", "v1", "--format", "markdown", cwd=repo.root).stdout
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "](javascript" not in out and "\\[click\\]" in out
    assert "@everyone" not in out and "&#64;everyone" in out
    assert "**bold**" not in out and "\\*\\*bold\\*\\*" in out
    assert "| added | removed | modified | moved | unapproved |" in out


def test_text_output_escapes_rich_markup(repo, run_in_process):
    repo.write({"specs/REQ-3.yaml": BASE["specs/REQ-3.yaml"].replace("SMS reminder", "[red]SMS[/red] reminder [draft]")})
    out = run_in_process("diff", "v1", cwd=repo.root).stdout
    assert "[red]" in out and "[/red]" in out and "[draft]" in out


def test_stat_is_one_line_per_change(repo, run_in_process):
    repo.write({"specs/REQ-1.yaml": BASE["specs/REQ-1.yaml"].replace("14 days", "30 days"), "specs/REQ-3.yaml": None})
    out = run_in_process("diff", "v1", "--stat", cwd=repo.root).stdout
    assert "REQ-1" in out and "statement" in out and "REQ-3" in out
    assert "14" not in out  # no field bodies in the summary
    assert len(out.splitlines()) <= 8


def test_working_tree_sees_untracked_deleted_and_staged_files(repo):
    repo.write({"specs/new/REQ-6.yaml": requirement_yaml("REQ-6", "New")})  # untracked
    repo.write({"specs/REQ-3.yaml": None})  # deleted, not staged
    repo.write({"specs/REQ-7.yaml": requirement_yaml("REQ-7", "Staged")})
    repo.git("add", "specs/REQ-7.yaml")
    found = {c.id: c.change for c in diff_revisions(find_spec_repo(repo.root), "HEAD").changes}
    assert found == {"REQ-6": "added", "REQ-3": "removed", "REQ-7": "added"}


def test_from_worktree_to_a_commit_is_the_reverse(repo):
    repo.write({"specs/REQ-3.yaml": None})
    found = {c.id: c.change for c in diff_revisions(find_spec_repo(repo.root), "WORKTREE", "v1").changes}
    assert found == {"REQ-3": "added"}


def test_only_changed_files_are_read(make_repo):
    files = {f"specs/REQ-{n}.yaml": requirement_yaml(f"REQ-{n}", f"Thing {n}") for n in range(1, 201)}
    repo = make_repo(files, tag="v1")
    repo.commit({"specs/REQ-7.yaml": requirement_yaml("REQ-7", "Thing seven")}, tag="v2")
    result = diff_revisions(find_spec_repo(repo.root), "v1", "v2")
    assert [c.id for c in result.changes] == ["REQ-7"]
    assert result.files_read == 2  # REQ-7.yaml at each end, not 400 files


def test_spec_repo_in_a_subfolder(make_repo):
    repo = make_repo({"clinic/reqtrace.yaml": "project: Clinic\n", "clinic/specs/REQ-1.yaml": requirement_yaml("REQ-1", "Book"), "README.md": "x\n"}, tag="v1")
    repo.write({"clinic/specs/REQ-1.yaml": requirement_yaml("REQ-1", "Book online"), "README.md": "y\n"})
    result = diff_revisions(find_spec_repo(repo.root / "clinic"), "v1")
    assert [(c.id, c.change, c.path) for c in result.changes] == [("REQ-1", "modified", "specs/REQ-1.yaml")]


# --- bad input -------------------------------------------------------------------


def test_unknown_revision_is_a_one_line_error(repo, run_in_process):
    result = run_in_process("diff", "no-such-rev", cwd=repo.root)
    assert result.exit_code == 3
    assert "unknown revision 'no-such-rev'" in result.stderr and "Traceback" not in result.stderr
    result = run_in_process("diff", "v1", "nope-either", "--format", "json", cwd=repo.root)
    assert result.exit_code == 3 and json.loads(result.stdout)["error"]["code"] == "bad-revision"


def test_revision_starting_with_dash_is_refused(repo, run_in_process, tmp_path):
    target = tmp_path / "written"
    for args in (("diff", "--", f"--output={target}"), ("diff", "v1", "--", "-x"), ("log", "REQ-1", "--rev=--all")):
        result = run_in_process(*args, cwd=repo.root)
        assert result.exit_code == 3, args
        assert "is not a revision name" in result.stderr
    assert not target.exists()
    assert run_in_process("diff", "-x", cwd=repo.root).exit_code == 2  # not even an option of ours


def test_revision_missing_from_a_shallow_clone_says_how_to_fetch(repo, run_in_process, tmp_path):
    repo.commit({"specs/REQ-3.yaml": BASE["specs/REQ-3.yaml"].replace("SMS", "e-mail")})
    old = repo.git("rev-parse", "HEAD~1")
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo.root}", str(clone))
    result = run_in_process("diff", old, cwd=clone)
    assert result.exit_code == 3
    assert "shallow" in result.stderr and "fetch-depth: 0" in result.stderr


def test_revisions_with_no_common_history_are_compared_by_content(repo, run_in_process):
    repo.git("checkout", "-q", "--orphan", "other")
    repo.commit({"specs/REQ-3.yaml": BASE["specs/REQ-3.yaml"].replace("SMS", "e-mail")}, message="unrelated")
    result = run_in_process("diff", "v1", "other", "--format", "json", cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [(c["id"], c["change"]) for c in data["changes"]] == [("REQ-3", "modified")]
    assert any("share no history" in note for note in data["notes"])


def test_file_broken_at_to_is_reported_and_the_rest_still_shown(repo, run_in_process):
    repo.write({
        "specs/REQ-2.yaml": "id: REQ-2\ntitle: Cancel\nstatement: [unclosed\n",
        "specs/REQ-1.yaml": BASE["specs/REQ-1.yaml"].replace("14 days", "30 days"),
    })
    result = diff_revisions(find_spec_repo(repo.root), "v1")
    assert [(c.id, c.change) for c in result.changes] == [("REQ-1", "modified")]  # REQ-2 is not "removed"
    assert [(u.id, u.path) for u in result.unreadable] == [("REQ-2", "specs/REQ-2.yaml")]
    assert any(side == "to" and f.code == "yaml-syntax" and f.path == "specs/REQ-2.yaml" for side, f in result.findings)
    cli = run_in_process("diff", "v1", cwd=repo.root)
    assert cli.exit_code == 0 and "yaml-syntax" in cli.stdout and "UNREADABLE" in cli.stdout and "REQ-1" in cli.stdout
    # The gate cannot vouch for what it cannot read.
    assert run_in_process("diff", "v1", "--fail-on", "unapproved", cwd=repo.root).exit_code == 1


def test_binary_and_huge_files_in_spec_folders(repo, run_in_process):
    repo.commit({
        "specs/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00binary",
        "specs/REQ-8.yaml": b"\x00\x01\x02 binary named yaml",
        "specs/REQ-9.yaml": b"id: REQ-9\ntitle: Huge\nstatement: " + b"x" * (2 * 1024 * 1024) + b"\n",
        "specs/REQ-1.yaml": BASE["specs/REQ-1.yaml"].replace("14 days", "30 days"),
    }, tag="v2")
    for to in ("v2", "WORKTREE"):
        result = run_in_process("diff", "v1", to, "--format", "json", cwd=repo.root)
        assert result.exit_code == 0, result.stderr
        data = json.loads(result.stdout)
        codes = {(f["path"], f["code"]) for f in data["findings"]}
        assert ("specs/REQ-8.yaml", "not-utf8") in codes and ("specs/REQ-9.yaml", "file-too-large") in codes
        assert [(c["id"], c["change"]) for c in data["changes"]] == [("REQ-1", "modified")]


def test_not_a_git_repository(make_repo, run_in_process):
    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1")}, git_init=False)
    result = run_in_process("diff", cwd=repo.root)
    assert result.exit_code == 3 and "not in a git repository" in result.stderr


def test_repository_without_commits(tmp_path, run_in_process):
    folder = tmp_path / "fresh"
    folder.mkdir()
    (folder / "reqtrace.yaml").write_text("project: X\n")
    git(folder, "init", "-q")
    result = run_in_process("diff", cwd=folder)
    assert result.exit_code == 3 and "no commits yet" in result.stderr


# --- the parse cache ------------------------------------------------------------------


def test_cache_is_safe_to_delete_and_a_damaged_entry_is_rebuilt(repo):
    repo.write({"specs/REQ-1.yaml": BASE["specs/REQ-1.yaml"].replace("14 days", "30 days")})
    spec = find_spec_repo(repo.root)
    first = diff_json(diff_revisions(spec, "v1"))
    folder = repo.root / ".git" / "reqtrace" / "parse"
    entries = [p for p in folder.rglob("*") if p.is_file()]
    assert entries
    for entry in entries:
        entry.write_bytes(b'{"key": "not this one"')  # torn / foreign
    cache = ParseCache.for_git(repo.root)
    assert diff_json(diff_revisions(spec, "v1", cache=cache)) == first
    cache.flush()
    assert cache.hits == 0 and cache.misses > 0
    rebuilt = ParseCache.for_git(repo.root)
    assert diff_json(diff_revisions(spec, "v1", cache=rebuilt)) == first
    assert rebuilt.hits > 0 and rebuilt.misses == 0
    import shutil

    shutil.rmtree(repo.root / ".git" / "reqtrace")
    assert diff_json(diff_revisions(spec, "v1")) == first


def test_concurrent_runs_agree(repo, run_cli):
    import subprocess
    import sys

    repo.write({"specs/REQ-1.yaml": BASE["specs/REQ-1.yaml"].replace("14 days", "30 days"), "specs/REQ-3.yaml": None})
    procs = [
        subprocess.Popen([sys.executable, "-m", "reqtrace", "diff", "v1", "--format", "json"], cwd=repo.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    outputs = [proc.communicate()[0] for proc in procs]
    assert all(proc.returncode == 0 for proc in procs)
    assert len(set(outputs)) == 1
    assert run_cli("diff", "v1", "--format", "json", cwd=repo.root).stdout.encode() == outputs[0]


# --- the drift gate ---------------------------------------------------------------------


def test_drift_findings_against_a_base(repo):
    repo.write({
        "specs/REQ-1.yaml": BASE["specs/REQ-1.yaml"].replace("14 days", "30 days"),
        "specs/REQ-2.yaml": "id: REQ-2\ntitle: Cancel\nstatement: >\n  Patients cancel online\n  until 24 hours before.\n",  # form only
        "specs/REQ-3.yaml": BASE["specs/REQ-3.yaml"].replace("SMS", "e-mail"),
        "records/requests/RQ-1.yaml": request_yaml("RQ-1", "REQ-1"),
    })
    findings = drift_findings(find_spec_repo(repo.root), ("contract-v1", "v1"), "warn")
    assert [(f.code, f.severity, f.id, f.path) for f in findings] == [("unapproved-change", "warning", "REQ-3", "specs/REQ-3.yaml")]
    assert "since contract-v1" in findings[0].message and "affects: [REQ-3]" in findings[0].message
    assert drift_findings(find_spec_repo(repo.root), ("contract-v1", "v1"), "error")[0].severity == "error"


def test_without_an_accepted_baseline_there_is_no_drift_and_diff_starts_at_head(repo, run_in_process):
    repo.write({"specs/REQ-3.yaml": BASE["specs/REQ-3.yaml"].replace("SMS", "e-mail")})
    for level in ("warn", "error", "off"):
        result = run_in_process("check", "--drift", level, "--format", "json", cwd=repo.root)
        assert result.exit_code == 0, result.stderr
        assert not [f for f in json.loads(result.stdout)["findings"] if f["code"] == "unapproved-change"]
    assert run_in_process("check", "--drift", "sometimes", cwd=repo.root).exit_code == 2
    data = json.loads(run_in_process("diff", "--format", "json", cwd=repo.root).stdout)
    assert data["from"]["ref"] == "HEAD" and [c["id"] for c in data["changes"]] == ["REQ-3"]


def accept_baseline(repo, name="contract-v1.0"):
    """Baseline NAME at HEAD, signed off by the customer on paper (recorded): the accepted baseline."""
    from reqtrace.baselines.baseline import create_baseline
    from reqtrace.baselines.signoff import sign_baseline

    spec = find_spec_repo(repo.root)
    create_baseline(spec, name, message="Contract scope")
    letter = repo.root.parent / "acceptance-letter.pdf"
    letter.write_bytes(b"%PDF-1.4 signed by the customer\n")
    sign_baseline(spec, name, signer="Dr. Chen <chen@clinic.example>", meaning="accepted", role="customer", evidence=letter)


def test_the_accepted_baseline_is_diffs_default_from_and_checks_drift_base(repo, run_in_process):
    accept_baseline(repo)
    repo.write({
        "specs/REQ-1.yaml": BASE["specs/REQ-1.yaml"].replace("14 days", "30 days"),
        "specs/REQ-3.yaml": BASE["specs/REQ-3.yaml"].replace("SMS", "e-mail"),
        "records/requests/RQ-1.yaml": request_yaml("RQ-1", "REQ-1"),
    })
    data = json.loads(run_in_process("diff", "--format", "json", cwd=repo.root).stdout)
    assert data["from"]["ref"] == "contract-v1.0"
    assert {(c["id"], c["approved"]) for c in data["changes"]} == {("REQ-1", True), ("REQ-3", False)}
    warned = run_in_process("check", "--format", "json", cwd=repo.root)  # drift unset in reqtrace.yaml: warn
    assert warned.exit_code == 0, warned.stderr
    drift = [f for f in json.loads(warned.stdout)["findings"] if f["code"] == "unapproved-change"]
    assert [(f["id"], f["severity"]) for f in drift] == [("REQ-3", "warning")]
    failed = run_in_process("check", "--drift", "error", cwd=repo.root)
    assert failed.exit_code == 1 and "unapproved-change" in failed.stdout and "REQ-3" in failed.stdout
    off = run_in_process("check", "--drift", "off", "--format", "json", cwd=repo.root)
    assert not [f for f in json.loads(off.stdout)["findings"] if f["code"] == "unapproved-change"]
    repo.write({"reqtrace.yaml": "project: Test project\ndrift: error\n"})
    assert run_in_process("check", cwd=repo.root).exit_code == 1  # the default comes from reqtrace.yaml


def test_working_tree_against_an_older_commit_composes_both_steps(repo):
    # v1 -> HEAD changes REQ-1 and deletes REQ-3; the working tree then undoes the REQ-1 change,
    # brings REQ-3 back untracked, and changes REQ-2.
    repo.commit({"specs/REQ-1.yaml": BASE["specs/REQ-1.yaml"].replace("14 days", "30 days"), "specs/REQ-3.yaml": None})
    repo.write({
        "specs/REQ-1.yaml": BASE["specs/REQ-1.yaml"],
        "specs/REQ-3.yaml": BASE["specs/REQ-3.yaml"],
        "specs/REQ-2.yaml": BASE["specs/REQ-2.yaml"].replace("24 hours", "12 hours"),
    })
    result = diff_revisions(find_spec_repo(repo.root), "v1")
    assert [(c.id, c.change) for c in result.changes] == [("REQ-2", "modified")]
    assert result.files_read == 2
    assert [(c.id, c.change) for c in diff_revisions(find_spec_repo(repo.root), "HEAD").changes] == [
        ("REQ-1", "modified"), ("REQ-2", "modified"), ("REQ-3", "added"),
    ]
