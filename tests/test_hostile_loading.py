"""Hostile and accidental spec repos: loading and `reqtrace check` must never pass on
nothing, hang, crash, or print what is not JSON.

Each case is a reproduction from an attack on reqtrace; each asserts what a user
notices: the exit code, the message with its file and line, files left alone.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from conftest import CliResult, requirement_yaml
from hostile.kit import run as run_through_main
from reqtrace.checks.check import run_checks
from reqtrace.core.config import find_spec_repo
from reqtrace.core.id_pattern import MAX_ID_LENGTH, UnsupportedPattern, id_matcher
from reqtrace.core.snapshot import load_snapshot

GOOD = {"specs/REQ-1.yaml": requirement_yaml("REQ-1", "Book online")}
EXPLICIT = "project: P\npaths:\n  requirements: {folder}\n  records: records\n"


def check_json(run_cli, root: Path, *args: str):  # type: ignore[no-untyped-def]
    result = run_cli("check", "--format", "json", *args, cwd=root)
    return result, json.loads(result.stdout)


def in_process(*args: str, cwd: Path) -> CliResult:
    """`reqtrace ARGS` through `reqtrace.cli.main` in this process (as tests/hostile/kit.py runs it),
    for the follow-up commands a case only asks to answer without crashing: the same exit-code
    mapping and output as a real process, without ~0.25 s of start-up each."""
    outcome = run_through_main(list(args), cwd)
    assert outcome.escaped is None, outcome.describe()
    return CliResult(outcome.code, outcome.stdout, outcome.stderr)


def assert_refused(result, *phrases: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == 3, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    envelope = json.loads(result.stdout)
    assert envelope["ok"] is False and envelope["error"]["code"] == "bad-input"
    for phrase in phrases:
        assert phrase in envelope["error"]["message"] + "\n" + (envelope["error"]["hint"] or "")


# --- 1. a requirements folder that cannot be read stops the gate (exit 3) -------------


@pytest.mark.parametrize(
    ("folder", "phrases"),
    [
        ("spec", ["the requirements folder 'spec' (paths.requirements in reqtrace.yaml:3) does not exist", "create spec/"]),
        (".git", ["reqtrace.yaml:3: paths.requirements names a hidden folder"]),
        (".git/hooks", ["reqtrace.yaml:3: paths.requirements names a hidden folder"]),
        ("'spe*'", ["reqtrace.yaml:3: paths.requirements is a pattern, not a folder"]),
        ("'specs/**'", ["reqtrace.yaml:3: paths.requirements is a pattern, not a folder"]),
        (".", ["reqtrace.yaml:3: paths.requirements is the root of the spec repo"]),
        ("./", ["reqtrace.yaml:3: paths.requirements is the root of the spec repo"]),
        ("../elsewhere", ["reqtrace.yaml:3: paths.requirements must be a folder inside the spec repo"]),
        ("/etc", ["reqtrace.yaml:3: paths.requirements must be a folder inside the spec repo"]),
        ("records", ["reqtrace.yaml:3: paths.requirements ('records') and paths.records ('records') overlap"]),
        ("records/reqs", ["overlap"]),
    ],
)
def test_an_unusable_requirements_folder_is_refused(make_repo, run_cli, run_in_process, folder: str, phrases: list[str]) -> None:
    # The first case in real processes (exit code, JSON on stdout, hint on stderr as a shell sees
    # them); the others ask `reqtrace.cli.main` in this process for the same answer.
    run = run_cli if folder == "spec" else run_in_process
    repo = make_repo({**GOOD, "reqtrace.yaml": EXPLICIT.format(folder=folder)})
    result = run("check", "--format", "json", cwd=repo.root)
    assert_refused(result, *phrases)
    # The other reading commands stop too: none of them may work on nothing.
    listed = run("list", cwd=repo.root)
    assert listed.exit_code == 3 and "hint:" in listed.stderr


def test_a_deleted_requirements_folder_is_refused(make_repo, run_in_process) -> None:
    repo = make_repo(GOOD)
    shutil.rmtree(repo.root / "specs")
    result = run_in_process("check", "--format", "json", cwd=repo.root)
    assert_refused(result, "the requirements folder 'specs' (the default: paths.requirements is not set in reqtrace.yaml) does not exist; there is nothing to read")


def test_a_requirements_folder_that_is_a_file_is_refused(make_repo, run_in_process) -> None:
    repo = make_repo({"reqtrace.yaml": EXPLICIT.format(folder="reqs"), "reqs": "not a folder\n"})
    assert_refused(run_in_process("check", "--format", "json", cwd=repo.root), "'reqs'", "is not a folder")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_symlinked_requirements_folder_is_refused(make_repo, run_in_process, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "REQ-7.yaml").write_text(requirement_yaml("REQ-7"))
    repo = make_repo(GOOD)
    shutil.rmtree(repo.root / "specs")
    os.symlink(outside, repo.root / "specs")
    assert_refused(run_in_process("check", "--format", "json", cwd=repo.root), "is a symbolic link")
    # And at a commit, where git stores the link itself.
    repo.commit(message="link")
    assert_refused(run_in_process("check", "--format", "json", "--rev", "HEAD", cwd=repo.root), "is a symbolic link at commit")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_requirements_folder_reached_through_a_link_is_refused(make_repo, run_in_process, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "specs").mkdir(parents=True)
    (outside / "specs" / "REQ-7.yaml").write_text(requirement_yaml("REQ-7"))
    repo = make_repo({**GOOD, "reqtrace.yaml": EXPLICIT.format(folder="a/specs")})
    os.symlink(outside, repo.root / "a")
    assert_refused(run_in_process("check", "--format", "json", cwd=repo.root), "leads outside the spec repo")


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root reads every folder")
def test_an_unreadable_requirements_folder_is_refused(make_repo, run_in_process) -> None:
    repo = make_repo(GOOD)
    (repo.root / "specs").chmod(0)
    try:
        assert_refused(run_in_process("check", "--format", "json", cwd=repo.root), "cannot be read")
    finally:
        (repo.root / "specs").chmod(0o755)


def test_a_requirements_folder_missing_at_a_revision_is_refused(make_repo, run_in_process) -> None:
    repo = make_repo(GOOD)
    first = repo.git("rev-parse", "HEAD")
    repo.git("rm", "-rq", "specs")
    repo.commit(message="remove the requirements")
    (repo.root / "specs").mkdir()
    (repo.root / "specs" / "REQ-1.yaml").write_text(GOOD["specs/REQ-1.yaml"])  # the working tree is fine
    assert run_in_process("check", cwd=repo.root).exit_code == 0
    result = run_in_process("check", "--format", "json", "--rev", "HEAD", cwd=repo.root)
    assert_refused(result, "does not exist at commit")
    assert run_in_process("check", "--rev", first, cwd=repo.root).exit_code == 0


def test_an_empty_requirements_folder_is_a_warning_and_an_error_when_strict(make_repo, run_in_process) -> None:
    # A fresh `reqtrace init` has an empty specs/: not wrong, but never "no problems".
    repo = make_repo({"specs/notes.txt": "requirements are saved as .yaml\n", "specs/REQ-1.yml.txt": "id: REQ-1\n"})
    result, report = check_json(run_in_process, repo.root)
    assert result.exit_code == 0
    assert report["ok"] is True and report["summary"]["warnings"] == 1
    (finding,) = report["findings"]
    assert (finding["code"], finding["severity"], finding["path"]) == ("no-requirements", "warning", "specs")
    assert "no requirements in specs/" in finding["message"]
    result, report = check_json(run_in_process, repo.root, "--strict")
    assert result.exit_code == 1 and report["ok"] is False
    assert report["findings"][0]["severity"] == "error"
    text = run_in_process("check", cwd=repo.root).stdout
    assert "no problems" not in text and "1 warning(s)" in text


def test_a_records_folder_named_but_missing_is_a_warning(make_repo) -> None:
    config = "project: P\npaths:\n  requirements: specs\n  records: record\n"
    repo = make_repo({**GOOD, "reqtrace.yaml": config, "records/requests/RQ-1.yaml": "id: RQ-1\ntitle: t\nreceived: 2026-01-15\n"}, git_init=False)
    findings = run_checks(load_snapshot(find_spec_repo(repo.root))).findings
    (finding,) = [f for f in findings if f.code == "config"]
    assert (finding.severity, finding.path, finding.line) == ("warning", "reqtrace.yaml", 4)
    assert "the records folder 'record' named by paths.records does not exist" in finding.message


def test_default_records_and_baselines_folders_may_be_absent(make_repo) -> None:
    # What `reqtrace init` writes, before anything is recorded or frozen.
    config = "project: P\npaths:\n  requirements: specs\n  records: records\n  baselines: baselines\n"
    repo = make_repo({**GOOD, "reqtrace.yaml": config}, git_init=False)
    assert run_checks(load_snapshot(find_spec_repo(repo.root))).findings == []


# --- 2. a backtracking id_pattern cannot hang check --------------------------------------


def test_a_catastrophic_id_pattern_finishes_at_once(make_repo, run_cli) -> None:
    config = "project: P\nid_pattern: '^(a+)+$'\n"
    hostile = "a" * 40 + "b"  # the schema allows it; `re` backtracks 2**40 ways before saying no
    repo = make_repo({"reqtrace.yaml": config, "specs/x.yaml": requirement_yaml(hostile), "specs/y.yaml": requirement_yaml("a" * 30)})
    started = time.monotonic()
    result, report = check_json(run_cli, repo.root)
    assert time.monotonic() - started < 10  # `re` needs minutes; this is one process start
    assert result.exit_code == 1
    (finding,) = report["findings"]
    assert (finding["code"], finding["path"], finding["line"], finding["id"]) == ("bad-id", "specs/x.yaml", 1, hostile)
    assert "does not match the id pattern '^(a+)+$'" in finding["message"]


def test_the_matcher_is_fast_on_every_backtracking_shape() -> None:
    started = time.monotonic()
    for pattern in (r"^(a+)+$", r"^(a|a)*$", r"^(a|aa)+$", r"^a*a*a*a*a*a*a*a*a*a*$", r"^(\w+\s?)*$", r"(.*a){12}"):
        assert id_matcher(pattern)("a" * MAX_ID_LENGTH + "!") is False
    assert time.monotonic() - started < 1


@pytest.mark.parametrize(
    "pattern",
    [r"^[A-Z][A-Z0-9]*-[0-9]+$", r"^(?:[A-Z])[A-Z0-9]*-[0-9]+$", r"^(REQ|SYS)-\d{1,4}$", r"^[A-Z]+(-[A-Z]+)*-[0-9]+$", r"^(?!TMP-)[A-Z]+-\d+$",
     r"(?<=-)\d+$", r"\bR\w+\B", r"^a*?b{2,3}.$", r"^[^a-c\d]+\Z", r"^(a|ab)(c|bcd)(d*)$", r"x|y|$"],
)
def test_the_matcher_agrees_with_re(pattern: str) -> None:
    import random
    import re

    compiled, matcher = re.compile(pattern), id_matcher(pattern)
    rng = random.Random(pattern)  # noqa: S311 - test data, not secrets
    for _ in range(2000):
        text = "".join(rng.choice("aAbBcdRTMPEQSY-0129 _\nxy") for _ in range(rng.randint(0, 12)))
        assert matcher(text) == bool(compiled.search(text)), text


def test_only_patterns_without_a_second_choice_go_to_re() -> None:
    # `re` is used where backtracking never has a second choice (speed: the
    # default pattern on 10,000 ids); every shape that can backtrack goes to the
    # position sets.
    from reqtrace.core.id_pattern import _deterministic, _parser

    for pattern in (r"^[A-Z][A-Z0-9]*-[0-9]+$", r"^REQ-\d+$", r"^R-[0-9]{1,4}$"):
        assert _deterministic(_parser.parse(pattern)), pattern
    for pattern in (r"^(a+)+$", r"^a*a*$", r"^[a-z]*[a-c]$", r"^\d*-\d+$", r"^(REQ|SYS)-\d+$", r"^.*-$", r"^a*?b$"):
        assert not _deterministic(_parser.parse(pattern)), pattern


def test_an_id_longer_than_the_limit_is_refused_before_matching(make_repo) -> None:
    long_id = "REQ-" + "1" * MAX_ID_LENGTH
    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml(long_id)}, git_init=False)
    (finding,) = run_checks(load_snapshot(find_spec_repo(repo.root))).findings
    assert (finding.code, finding.line) == ("bad-id", 1)
    assert f"is {len(long_id)} characters long; ids are at most {MAX_ID_LENGTH}" in finding.message


@pytest.mark.parametrize(("pattern", "phrase"), [(r"^(a)\1$", "backreferences"), ("(?i)^req-[0-9]+$", "flags such as (?i)"), ("^a*+$", "possessive")])
def test_patterns_the_matcher_cannot_evaluate_are_a_config_error(make_repo, pattern: str, phrase: str) -> None:
    with pytest.raises(UnsupportedPattern):
        id_matcher(pattern)
    repo = make_repo({**GOOD, "reqtrace.yaml": f"project: P\nid_pattern: '{pattern}'\n"}, git_init=False)
    snapshot = load_snapshot(find_spec_repo(repo.root))
    (finding,) = run_checks(snapshot).findings
    assert (finding.code, finding.path, finding.line) == ("config", "reqtrace.yaml", 2)
    assert "id_pattern cannot be used" in finding.message and phrase in finding.message
    assert snapshot.config.id_pattern == r"^[A-Z][A-Z0-9]*-[0-9]+$"  # the default stands in


def test_ingest_matches_mail_words_with_the_safe_matcher(make_repo, run_in_process, tmp_path: Path) -> None:
    repo = make_repo({**GOOD, "reqtrace.yaml": "project: P\nid_pattern: '^([A-Z]+-?)+$'\n", "specs/REQ-1.yaml": requirement_yaml("REQ-")})
    mail = tmp_path / "m.eml"
    mail.write_text("Subject: hi\nMessage-ID: <a@b>\n\n" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-1 " * 3 + "\n")
    started = time.monotonic()
    result = run_in_process("ingest", str(mail), cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    assert time.monotonic() - started < 15


# --- 3. wrong types in records are findings, never a crash -------------------------------

MEETING = "---\nid: MTG-1\ndate: 2026-01-15\ntitle: Kick-off\n{field}\nrefs: [REQ-1]\n---\nMinutes.\n"


@pytest.mark.parametrize(
    ("field", "line", "phrase"),
    [
        ("decisions: yes", 5, "'decisions' must be a list"),
        ("decisions: 5", 5, "'decisions' must be a list"),
        ("decisions: [yes, 5]", 5, "'decisions[0]' must be a mapping"),
        ("decisions: {text: x}", 5, "'decisions' must be a list"),
        ("attendees: 5", 5, "'attendees' must be a list"),
        ("attendees: {a: b}", 5, "'attendees' must be a list"),
        ("attendees: [[x], {a: b}]", 5, "'attendees[0]' must be text"),
    ],
)
def test_a_wrong_typed_meeting_field_is_a_finding(make_repo, run_in_process, field: str, line: int, phrase: str) -> None:
    repo = make_repo({**GOOD, "records/meetings/MTG-1.md": MEETING.format(field=field)})
    result, report = check_json(run_in_process, repo.root)
    assert result.exit_code == 1, result.stderr
    found = [f for f in report["findings"] if f["code"] == "schema"]
    assert any(f["path"] == "records/meetings/MTG-1.md" and f["line"] == line and phrase in f["message"] for f in found), found
    for command in (["trace", "MTG-1"], ["trace", "REQ-1", "--format", "json"], ["impact", "REQ-1"], ["status"], ["graph", "--format", "json"], ["show", "MTG-1"]):
        run = in_process(*command, cwd=repo.root)
        assert run.exit_code == 0, (command, run.stderr)


REQUEST = "id: RQ-1\nreceived: 2026-01-15\ntitle: Longer window\n{field}\n"


@pytest.mark.parametrize(
    ("field", "phrase"),
    [
        ("affects: {}", "'affects' must be a list"),
        ("affects: [{a: 1}, [REQ-1]]", "'affects[0]' must be text"),
        ("refs: {REQ-1: x}", "'refs' must be a list"),
        ("decision: yes", "'decision' must be a mapping"),
        ("decision: {status: approved, in: [MTG-1]}", "'decision.in' must be text"),
        ("triage: [change]", "'triage' must be a mapping"),
        ("triage: {classification: change, confidence: yes}", "'triage.confidence' must be number"),
        ("triage: {classification: change, matches: 5}", "'triage.matches' must be a list"),
    ],
)
def test_a_wrong_typed_request_field_is_a_finding(make_repo, run_in_process, field: str, phrase: str) -> None:
    repo = make_repo({**GOOD, "records/requests/RQ-1.yaml": REQUEST.format(field=field)})
    result, report = check_json(run_in_process, repo.root)
    assert result.exit_code == 1, result.stderr
    assert any(f["path"] == "records/requests/RQ-1.yaml" and f["line"] == 4 and phrase in f["message"] for f in report["findings"]), report["findings"]
    for command in (["trace", "RQ-1"], ["trace", "REQ-1"], ["status", "--format", "json"], ["show", "RQ-1", "--format", "json"]):
        run = in_process(*command, cwd=repo.root)
        assert run.exit_code == 0, (command, run.stderr)


def test_wrong_typed_email_attachments_are_a_finding(make_repo, run_in_process) -> None:
    sidecar = "id: MAIL-0123456789\nsubject: s\nattachments: 5\nrefs: {REQ-1: x}\n"
    repo = make_repo({**GOOD, "records/emails/MAIL-0123456789.eml": b"Subject: s\n\nx\n", "records/emails/MAIL-0123456789.eml.yaml": sidecar})
    result, report = check_json(run_in_process, repo.root)
    assert result.exit_code == 1, result.stderr
    lines = {(f["line"], f["message"].split(" must")[0]) for f in report["findings"]}
    assert {(3, "'attachments'"), (4, "'refs'")} <= lines
    assert run_in_process("trace", "MAIL-0123456789", cwd=repo.root).exit_code == 0


# --- 3b. file names that are not UTF-8 ----------------------------------------------------

BAD_NAME = os.fsencode("specs/") + b"\xff\xfe.yaml"


def test_a_file_name_that_is_not_utf8_is_a_finding_everywhere(make_repo, run_cli) -> None:
    repo = make_repo(GOOD)
    repo.git("tag", "v0")
    with open(os.path.join(os.fsencode(repo.root), BAD_NAME), "wb") as handle:
        handle.write(requirement_yaml("REQ-900").encode())
    repo.commit(message="a file with a bad name")
    for args in ([], ["--rev", "HEAD"]):
        result, report = check_json(run_cli, repo.root, *args)
        assert result.exit_code == 1, result.stderr
        (finding,) = report["findings"]
        assert (finding["code"], finding["path"]) == ("not-utf8", "specs/\\xff\\xfe.yaml")
        assert "the file name is not UTF-8" in finding["message"] and "rename it" in finding["message"]
    created = run_cli("baseline", "create", "v1", cwd=repo.root)
    assert created.exit_code == 1, created.stderr
    assert "Traceback" not in created.stderr and "internal error" not in created.stderr
    assert "the file name is not UTF-8" in created.stderr
    assert not (repo.root / "baselines" / "v1").exists()
    for args in (["diff", "v0"], ["diff", "v0", "HEAD"], ["diff", "v0", "--format", "json"]):
        result = run_cli(*args, cwd=repo.root)
        assert "Traceback" not in result.stderr and result.exit_code in (0, 1), (args, result.stderr)
        assert "internal error" not in result.stderr
    assert "specs/\\xff\\xfe.yaml" in run_cli("diff", "v0", cwd=repo.root).stdout


# --- 4. smaller: times, NaN, empty files, --folder, a linked config ----------------------


@pytest.mark.parametrize(
    ("path", "content", "line"),
    [
        ("records/requests/RQ-1.yaml", "id: RQ-1\ntitle: t\nreceived: '2026-01-15T25:00:00'\n", 3),
        ("records/requests/RQ-1.yaml", "id: RQ-1\ntitle: t\nreceived: 2026-01-15T25:00:00\n", 3),
        ("records/requests/RQ-1.yaml", "id: RQ-1\ntitle: t\nreceived: 2026-01-15T09:00:00+99:99\n", 3),
        ("records/requests/RQ-1.yaml", "id: RQ-1\ntitle: t\nreceived: 2026-01-15\ndecision: {status: approved, when: '2026-01-16T09:61:00'}\n", 4),
        ("records/meetings/MTG-1.md", "---\nid: MTG-1\ndate: '2026-01-15T24:00:00+08:00'\ntitle: t\n---\n", 3),
        ("records/emails/MAIL-0123456789.eml.yaml", "id: MAIL-0123456789\ndate: '2026-02-10T21:03:00+25:00'\n", 2),
    ],
)
def test_an_impossible_time_is_a_finding(make_repo, path: str, content: str, line: int) -> None:
    files = {**GOOD, path: content}
    if "emails" in path:
        files["records/emails/MAIL-0123456789.eml"] = "Subject: s\n\nx\n"
    repo = make_repo(files, git_init=False)
    (finding,) = run_checks(load_snapshot(find_spec_repo(repo.root))).findings
    assert (finding.code, finding.path, finding.line) == ("schema", path, line)
    assert "must be a date like 2026-01-15" in finding.message and "a time must exist too" in finding.message


def test_an_impossible_sign_off_time_is_refused_by_the_schema() -> None:
    from reqtrace.core.schema import validate

    good = {"format": "reqtrace-revocation-1", "baseline": "v1", "revokes": "x", "reason": "r", "by": "A <a@b.c>", "time": "2026-03-01T08:00:00Z"}
    assert validate(good, "revocation") == []
    (problem,) = validate({**good, "time": "2026-03-01T25:00:00Z"}, "revocation")
    assert "'time' must be a real time" in problem.message


@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.inf"])
def test_a_non_finite_confidence_is_a_finding_and_json_stays_json(make_repo, run_cli, run_in_process, value: str) -> None:
    request = f"id: RQ-1\nreceived: 2026-01-15\ntitle: t\naffects: [REQ-1]\ntriage:\n  classification: change\n  confidence: {value}\nx-score: {value}\n"
    repo = make_repo({**GOOD, "records/requests/RQ-1.yaml": request})
    # One value through a real process, the others in this process (the same JSON, ~0.25 s less each).
    result, report = check_json(run_cli if value == ".nan" else run_in_process, repo.root)
    assert result.exit_code == 1
    (finding,) = report["findings"]
    assert (finding["code"], finding["line"]) == ("schema", 7)
    assert "'triage.confidence' must be number" in finding["message"]
    for command in (["show", "RQ-1", "--format", "json"], ["list", "--kind", "all", "--format", "json"], ["trace", "RQ-1", "--format", "json"], ["status", "--format", "json"], ["graph", "--format", "json"]):
        run = in_process(*command, cwd=repo.root)
        assert run.exit_code == 0, (command, run.stderr)
        json.loads(run.stdout, parse_constant=lambda name, command=command: pytest.fail(f"{command} printed {name}"))


def test_the_json_renderer_refuses_nan() -> None:
    from reqtrace.cli import output

    with pytest.raises(ValueError):
        output.write_json({"x": float("nan")})


@pytest.mark.parametrize("content", ["# only a comment\n", "~\n", "# a comment\n---\n", "null\n"])
def test_a_spec_file_with_no_fields_is_an_error(make_repo, content: str) -> None:
    repo = make_repo({**GOOD, "specs/REQ-2.yaml": content, "records/meetings/MTG-1.md": f"---\n{content}---\n"}, git_init=False)
    findings = run_checks(load_snapshot(find_spec_repo(repo.root))).findings
    assert {(f.code, f.severity, f.path) for f in findings} == {("schema", "error", "specs/REQ-2.yaml"), ("schema", "error", "records/meetings/MTG-1.md")}
    assert all("holds no fields" in f.message for f in findings)


@pytest.mark.parametrize("folder", [".git/hooks", ".hidden", "booking/.drafts", "-x"])
def test_new_refuses_a_folder_the_loader_never_reads(make_repo, run_in_process, folder: str) -> None:
    repo = make_repo(GOOD)
    before = sorted(str(p) for p in repo.root.rglob("*"))
    result = run_in_process("new", "requirement", "--title", "x", "--folder", folder, cwd=repo.root)
    assert result.exit_code == 2
    assert "no part starting with '.' or '-'" in result.stderr
    assert sorted(str(p) for p in repo.root.rglob("*")) == before


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_new_refuses_a_folder_reached_through_a_link(make_repo, run_in_process) -> None:
    repo = make_repo({**GOOD, "records/requests/.keep": ""})
    os.symlink("../records/requests", repo.root / "specs" / "inbox")
    result = run_in_process("new", "requirement", "--title", "x", "--folder", "inbox", cwd=repo.root)
    assert result.exit_code == 2 and "passes through a symbolic link" in result.stderr
    assert list((repo.root / "records" / "requests").glob("*.yaml")) == []
    made = run_in_process("new", "requirement", "--title", "x", "--folder", "booking", cwd=repo.root)
    assert made.exit_code == 0 and (repo.root / "specs" / "booking" / "REQ-2.yaml").is_file()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_linked_reqtrace_yaml_is_refused(make_repo, run_in_process, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("project: Elsewhere\npaths:\n  requirements: specs\n")
    repo = make_repo(GOOD)
    (repo.root / "reqtrace.yaml").unlink()
    os.symlink(outside, repo.root / "reqtrace.yaml")
    result = run_in_process("check", "--format", "json", cwd=repo.root)
    assert_refused(result, "reqtrace.yaml is a symbolic link", "replace the link with a copy")
    # At a revision the link comes from git: refused there too, not read as YAML text.
    repo.commit(message="linked config")
    (repo.root / "reqtrace.yaml").unlink()
    (repo.root / "reqtrace.yaml").write_text("project: P\n")
    assert run_in_process("check", cwd=repo.root).exit_code == 0
    assert_refused(run_in_process("check", "--format", "json", "--rev", "HEAD", cwd=repo.root), "is a symbolic link at commit")
