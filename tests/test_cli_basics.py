"""The command line as a user meets it: exit codes, bad input, output formats, init/new/list/show/schema."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from conftest import git, requirement_yaml
from reqtrace.core.model import SCHEMA_VERSION

GOOD = {
    "specs/REQ-1.yaml": requirement_yaml("REQ-1", "Book online"),
    "specs/REQ-2.yaml": requirement_yaml(
        "REQ-2", "Cancel online", parents=["REQ-1"], status="approved"
    ),
    "records/requests/RQ-1.yaml": "id: RQ-1\ntitle: SMS reminders\nreceived: 2026-01-20\naffects: [REQ-2]\n"
    "decision:\n  status: approved\n  in: MTG-1\n",
    "records/meetings/MTG-1.md": "---\nid: MTG-1\ndate: 2026-01-15\ntitle: Kick-off\nrefs: [REQ-1]\n"
    "decisions:\n  - text: SMS reminders agreed.\n    approves: [RQ-1]\n---\n# Kick-off\n",
}


def no_traceback(result) -> None:  # type: ignore[no-untyped-def]
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout


# --- exit codes ---------------------------------------------------------------


def test_exit_0_when_there_are_no_errors(make_repo, run_cli) -> None:
    result = run_cli("check", cwd=make_repo(GOOD).root)
    assert result.exit_code == 0, result.stderr
    assert "no problems in 2 requirements and 2 records at the working tree" in result.stdout


def test_counts_are_said_in_the_right_number(make_repo, run_in_process) -> None:
    repo = make_repo({"specs/REQ-1.yaml": GOOD["specs/REQ-1.yaml"], "records/meetings/MTG-1.md": GOOD["records/meetings/MTG-1.md"].replace("    approves: [RQ-1]\n", "")})
    result = run_in_process("check", cwd=repo.root)
    assert "no problems in 1 requirement and 1 record at the working tree" in result.stdout, result.stdout + result.stderr


def test_exit_0_with_warnings_only(make_repo, run_cli) -> None:
    repo = make_repo({**GOOD, "specs/REQ-3.yaml": requirement_yaml("REQ-3") + "acceptence: [x]\n"})
    result = run_cli("check", cwd=repo.root)
    assert result.exit_code == 0
    assert "1 warning(s), no errors" in result.stdout


def test_exit_1_when_errors_are_found(make_repo, run_cli) -> None:
    repo = make_repo({**GOOD, "specs/REQ-3.yaml": "id: REQ-3\ntitle: t\n"})
    result = run_cli("check", cwd=repo.root)
    assert result.exit_code == 1
    assert "specs/REQ-3.yaml" in result.stdout
    assert "missing required field 'statement'" in result.stdout
    assert "1 error(s), 0 warning(s)" in result.stdout
    no_traceback(result)


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (("check", "--format", "xml"), "'xml' is not one of"),
        (("check", "--no-such-option"), "No such option"),
        (("frobnicate",), "No such command"),
        (("show",), "Missing argument"),
        (("schema", "nonsense"), "no schema for 'nonsense'"),
        (("list", "--kind", "unicorn"), "--kind must be"),
    ],
)
def test_exit_2_for_usage_errors(make_repo, run_cli, args: tuple[str, ...], phrase: str) -> None:
    result = run_cli(*args, cwd=make_repo(GOOD).root)
    assert result.exit_code == 2
    assert phrase in result.stderr
    no_traceback(result)


def test_exit_3_when_there_is_no_spec_repo(run_cli, tmp_path: Path) -> None:
    result = run_cli("check", cwd=tmp_path)
    assert result.exit_code == 3
    assert "reqtrace: error: no reqtrace.yaml in" in result.stderr
    assert "hint: run `reqtrace init`" in result.stderr
    no_traceback(result)


def test_exit_3_for_a_root_that_is_no_spec_repo(run_in_process, tmp_path: Path) -> None:
    result = run_in_process("check", "--root", str(tmp_path / "missing"), cwd=tmp_path)
    assert result.exit_code == 3
    assert "is not a spec repo: it has no reqtrace.yaml" in result.stderr


def test_exit_3_answers_in_json_when_json_was_asked_for(run_cli, tmp_path: Path) -> None:
    result = run_cli("check", "--format", "json", cwd=tmp_path)
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert data["schema_version"] == SCHEMA_VERSION and data["ok"] is False
    assert data["error"]["code"] == "no-spec-repo"
    assert set(data["error"]) == {"code", "message", "hint"}


def _run_main_in_process(monkeypatch: pytest.MonkeyPatch, args: list[str]) -> int:
    from reqtrace import cli
    from reqtrace.cli import output

    monkeypatch.setattr(output, "json_requested", False)
    monkeypatch.setattr(cli, "_debug", False)
    monkeypatch.setattr(sys, "argv", ["reqtrace", *args])
    with pytest.raises(SystemExit) as caught:
        cli.main()
    return int(caught.value.code or 0)


def test_exit_4_for_an_internal_error_without_a_traceback(
    make_repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import reqtrace.checks.check

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug in reqtrace")

    monkeypatch.chdir(make_repo(GOOD).root)
    monkeypatch.setattr(reqtrace.checks.check, "run_checks", broken)
    assert _run_main_in_process(monkeypatch, ["check"]) == 4
    captured = capsys.readouterr()
    assert "internal error (RuntimeError: a bug in reqtrace)" in captured.err
    assert "--debug" in captured.err and "please report it" in captured.err
    assert "Traceback" not in captured.err + captured.out


def test_exit_4_in_json(
    make_repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import reqtrace.checks.check

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("x")

    monkeypatch.chdir(make_repo(GOOD).root)
    monkeypatch.setattr(reqtrace.checks.check, "run_checks", broken)
    assert _run_main_in_process(monkeypatch, ["check", "--format", "json"]) == 4
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "internal"


def test_debug_shows_the_traceback(make_repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import reqtrace.checks.check
    from reqtrace import cli

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug in reqtrace")

    monkeypatch.chdir(make_repo(GOOD).root)
    monkeypatch.setattr(reqtrace.checks.check, "run_checks", broken)
    monkeypatch.setattr(cli, "_debug", False)
    monkeypatch.setattr(sys, "argv", ["reqtrace", "--debug", "check"])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 4  # --debug adds the traceback; the exit code stays
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: a bug in reqtrace" in err


# --- bad input of issue 2, point 6: a finding or a one-line error, never a traceback ----

BAD_FILES = [
    # (name, file path, content, exit code, code, line, phrase)
    (
        "malformed YAML",
        "specs/REQ-3.yaml",
        "id: REQ-3\ntitle: [oops\nstatement: s\n",
        1,
        "yaml-syntax",
        3,
        "YAML syntax error",
    ),
    (
        "duplicate keys",
        "specs/REQ-3.yaml",
        "id: REQ-3\ntitle: a\nstatement: s\ntitle: b\n",
        1,
        "duplicate-key",
        4,
        "appears twice",
    ),
    (
        "aliases",
        "specs/REQ-3.yaml",
        "id: REQ-3\ntitle: &a x\nstatement: *a\n",
        1,
        "yaml-alias",
        2,
        "anchors (&name) are not allowed",
    ),
    (
        "tabs",
        "specs/REQ-3.yaml",
        "id: REQ-3\ntitle: t\n\tstatement: s\n",
        1,
        "yaml-syntax",
        3,
        "use spaces",
    ),
    (
        "non-UTF-8 bytes",
        "specs/REQ-3.yaml",
        "id: REQ-3\ntitle: Café\nstatement: s\n".encode("latin-1"),
        1,
        "not-utf8",
        2,
        "save the file as UTF-8",
    ),
    (
        "a binary file named .yaml",
        "specs/photo.yaml",
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01",
        1,
        "not-utf8",
        1,
        "binary file",
    ),
    ("an empty file", "specs/REQ-3.yaml", "", 1, "schema", 1, "the file is empty"),
    (
        "a list where a mapping belongs",
        "records/requests/RQ-2.yaml",
        "- id: RQ-2\n",
        1,
        "schema",
        1,
        "a list where a mapping belongs",
    ),
    (
        "unquoted NO where text belongs",
        "specs/REQ-3.yaml",
        "id: REQ-3\ntitle: NO\nstatement: s\n",
        1,
        "schema",
        2,
        'quote it: title: "NO"',
    ),
    (
        "a meeting without front matter",
        "records/meetings/MTG-2.md",
        "# Minutes\n",
        1,
        "schema",
        1,
        "no YAML front matter",
    ),
]


@pytest.mark.parametrize(
    ("name", "path", "content", "exit_code", "code", "line", "phrase"),
    BAD_FILES,
    ids=[case[0] for case in BAD_FILES],
)
def test_bad_input_is_a_finding_with_file_and_line(
    make_repo, run_in_process, name, path, content, exit_code, code, line, phrase
) -> None:
    repo = make_repo({**GOOD, path: content})
    result = run_in_process("check", cwd=repo.root)
    assert result.exit_code == exit_code, result.stdout + result.stderr
    no_traceback(result)
    assert path in result.stdout
    assert phrase in result.stdout.replace("\n", " ") or phrase in result.stdout
    data = json.loads(run_in_process("check", "--format", "json", "--rev", "HEAD", cwd=repo.root).stdout)
    assert [(f["code"], f["path"], f["line"]) for f in data["findings"]] == [(code, path, line)]


def test_a_bom_is_accepted(make_repo, run_in_process) -> None:
    repo = make_repo(
        {
            **GOOD,
            "specs/REQ-3.yaml": b"\xef\xbb\xbf"
            + requirement_yaml("REQ-3", "带 BOM 的文件").encode(),
        }
    )
    result = run_in_process("check", "--format", "json", cwd=repo.root)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["summary"]["requirements"] == 3
    assert (
        json.loads(run_in_process("show", "REQ-3", "--format", "json", cwd=repo.root).stdout)["fields"][
            "title"
        ]
        == "带 BOM 的文件"
    )


def test_a_50_mb_file(make_repo, run_cli) -> None:
    repo = make_repo(GOOD)
    with open(repo.root / "specs" / "dump.yaml", "wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse
    result = run_cli("check", cwd=repo.root)
    assert result.exit_code == 1
    assert "file-too-large" in result.stdout and "52,428,800 bytes" in result.stdout
    no_traceback(result)


def test_a_symlink_pointing_outside_the_repo(make_repo, run_in_process, tmp_path: Path) -> None:
    repo = make_repo(GOOD)
    (repo.root / "specs" / "etc.yaml").symlink_to("/etc/hostname")
    result = run_in_process("check", cwd=repo.root)
    assert result.exit_code == 1
    assert "points outside the spec repo" in result.stdout.replace("\n", " ")
    no_traceback(result)


@pytest.mark.parametrize("rev", ["--output=/tmp/reqtrace-x", "-1", "--all"])
def test_a_revision_starting_with_a_dash(make_repo, run_in_process, rev: str) -> None:
    result = run_in_process("check", f"--rev={rev}", cwd=make_repo(GOOD).root)
    assert result.exit_code == 3
    assert f"reqtrace: error: '{rev}' is not a revision name" in result.stderr
    no_traceback(result)


def test_a_revision_that_does_not_exist(make_repo, run_in_process) -> None:
    result = run_in_process("check", "--rev", "v9", cwd=make_repo(GOOD).root)
    assert result.exit_code == 3
    assert "reqtrace: error: unknown revision 'v9'" in result.stderr
    assert "hint:" in result.stderr
    no_traceback(result)


def test_a_shallow_clone_missing_the_revision(make_repo, run_in_process, tmp_path: Path) -> None:
    repo = make_repo(GOOD, tag="v1")
    repo.commit({"specs/REQ-3.yaml": requirement_yaml("REQ-3")})
    clone = tmp_path / "ci-checkout"
    git(tmp_path, "clone", "-q", "--depth", "1", "--no-tags", f"file://{repo.root}", str(clone))
    result = run_in_process("check", "--rev", "v1", cwd=clone)
    assert result.exit_code == 3
    assert "revision 'v1' is not in this clone, which is shallow" in result.stderr
    assert "fetch-depth: 0" in result.stderr
    no_traceback(result)


def test_a_detached_head(make_repo, run_in_process) -> None:
    repo = make_repo(GOOD)
    repo.commit({"specs/REQ-3.yaml": requirement_yaml("REQ-3")})
    git(repo.root, "checkout", "-q", "--detach", "HEAD")
    result = run_in_process("check", "--rev", "HEAD", "--format", "json", cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["rev"] == repo.git("rev-parse", "HEAD")


def test_a_spec_repo_not_under_git(make_repo, run_in_process) -> None:
    repo = make_repo(GOOD, git_init=False)
    assert run_in_process("check", cwd=repo.root).exit_code == 0
    result = run_in_process("check", "--rev", "HEAD", cwd=repo.root)
    assert result.exit_code == 3
    assert "is not in a git repository" in result.stderr
    no_traceback(result)


def test_check_changes_nothing_git_can_see(make_repo, run_cli) -> None:
    repo = make_repo({**GOOD, "specs/REQ-3.yaml": "id: REQ-3\ntitle: NO\nstatement: s\n"})
    for args in (("check",), ("check", "--rev", "HEAD"), ("list",), ("show", "REQ-1")):
        run_cli(*args, cwd=repo.root)
    assert repo.git("status", "--porcelain", "--ignored") == ""


# --- output formats -----------------------------------------------------------

CHECK_KEYS = {"schema_version", "ok", "rev", "summary", "findings"}
SUMMARY_KEYS = {"requirements", "records", "errors", "warnings"}
FINDING_KEYS = {"code", "severity", "path", "line", "id", "message"}


def test_check_json_contract(make_repo, run_cli) -> None:
    """The JSON of `check` is public API (issue 2): these keys and types must not change."""
    repo = make_repo(
        {**GOOD, "specs/REQ-3.yaml": "id: REQ-3\ntitle: NO\nstatement: s\nacceptence: [x]\n"}
    )
    result = run_cli("check", "--format", "json", "--rev", "HEAD", cwd=repo.root)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert set(data) == CHECK_KEYS
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["ok"] is False
    assert data["rev"] == repo.git("rev-parse", "HEAD")
    assert set(data["summary"]) == SUMMARY_KEYS
    assert data["summary"] == {"requirements": 3, "records": 2, "errors": 1, "warnings": 1}
    assert data["findings"]
    for finding in data["findings"]:
        assert set(finding) == FINDING_KEYS
        assert finding["severity"] in ("error", "warning")
        assert isinstance(finding["line"], int) and isinstance(finding["message"], str)
    clean = json.loads(
        run_cli("check", "--format", "json", cwd=make_repo(GOOD, name="clean").root).stdout
    )
    assert clean == {
        "schema_version": SCHEMA_VERSION,
        "ok": True,
        "rev": None,
        "summary": {"requirements": 2, "records": 2, "errors": 0, "warnings": 0},
        "findings": [],
    }


def test_check_github_annotations(make_repo, run_in_process) -> None:
    repo = make_repo(
        {
            **GOOD,
            "specs/REQ-3.yaml": "id: REQ-3\ntitle: t\nstatement: s\ntitle: u\nacceptence: [x]\n",
        }
    )
    result = run_in_process("check", "--format", "github", cwd=repo.root)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        "::error file=specs/REQ-3.yaml,line=4,title=duplicate-key::key 'title' appears twice"
    )
    assert lines[-1] == "reqtrace check: 1 error(s), 0 warning(s)"


def test_check_github_annotation_paths_are_relative_to_the_git_top(make_repo, run_in_process) -> None:
    files = {f"spec/{k}": v for k, v in GOOD.items()}
    repo = make_repo(
        {
            **files,
            "spec/reqtrace.yaml": "project: P\n",
            "spec/specs/REQ-3.yaml": requirement_yaml("REQ-3") + "acceptence: [x]\n",
        }
    )
    result = run_in_process("check", "--format", "github", "--rev", "HEAD", cwd=repo.root / "spec")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == (
        "::warning file=spec/specs/REQ-3.yaml,line=4,title=unknown-field::unknown field 'acceptence'; did you mean 'acceptance'?"
    )


def test_check_github_escapes_what_would_break_an_annotation(make_repo, run_in_process) -> None:
    # A key with a line break and a '%': unescaped, the second line would be a command of its own.
    repo = make_repo(
        {**GOOD, "specs/REQ-3.yaml": requirement_yaml("REQ-3") + '"100%\\n::error::x": 1\n'}
    )
    lines = run_in_process("check", "--format", "github", cwd=repo.root).stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("::warning file=specs/REQ-3.yaml,line=4,title=unknown-field::")
    assert "100%25%0A::error::x" in lines[0]


def test_strict_turns_warnings_into_errors(make_repo, run_in_process) -> None:
    repo = make_repo({**GOOD, "specs/REQ-3.yaml": requirement_yaml("REQ-3") + "acceptence: [x]\n"})
    assert run_in_process("check", cwd=repo.root).exit_code == 0
    result = run_in_process("check", "--strict", "--format", "json", cwd=repo.root)
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert [(f["code"], f["severity"]) for f in data["findings"]] == [("unknown-field", "error")]


def test_check_text_groups_findings_by_file(make_repo, run_in_process) -> None:
    repo = make_repo(
        {
            **GOOD,
            "specs/a.yaml": "id: REQ-3\ntitle: t\n",
            "specs/b.yaml": "id: REQ-4\ntitle: NO\nstatement: s\nparents: [REQ-99]\n",
        }
    )
    out = run_in_process("check", cwd=repo.root, env={"COLUMNS": "300"}).stdout.splitlines()
    assert out[0] == "specs/a.yaml"
    assert out[2] == "specs/b.yaml"
    assert out[3].split()[:3] == ["2", "error", "schema"]
    assert out[4].split()[:3] == ["4", "error", "dangling-ref"]


def test_text_output_escapes_markup_in_user_text(make_repo, run_in_process) -> None:
    repo = make_repo(
        {**GOOD, "specs/REQ-3.yaml": requirement_yaml("REQ-3", "[bold]login[/bold] [draft]")}
    )
    result = run_in_process("list", cwd=repo.root, env={"COLUMNS": "300"})
    assert "[bold]login[/bold] [draft]" in result.stdout
    assert "[bold]login[/bold] [draft]" in run_in_process("show", "REQ-3", cwd=repo.root).stdout


# --- init and new -------------------------------------------------------------


def test_init_makes_a_spec_repo_and_runs_git_init(run_cli, tmp_path: Path) -> None:
    result = run_cli("init", "clinic", "--project", "Clinic", "--customer", "Sunrise", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    root = tmp_path / "clinic"
    assert (root / ".git").is_dir()
    assert "initialised an empty git repository" in result.stderr
    for folder in ("specs", "records/requests", "records/meetings", "baselines"):
        assert (root / folder).is_dir()
    assert 'project: "Clinic"' in (root / "reqtrace.yaml").read_text()
    assert (
        root / "reqtrace.yaml"
    ).stat().st_mode & 0o044  # readable by others, like any file the user makes
    assert run_cli("check", cwd=root).exit_code == 0


def test_init_inside_a_git_repo_does_not_nest_another(run_in_process, tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    result = run_in_process("init", "spec", cwd=tmp_path)
    assert result.exit_code == 0
    assert not (tmp_path / "spec" / ".git").exists()
    assert "initialised" not in result.stderr


def test_init_refuses_to_overwrite(run_in_process, tmp_path: Path) -> None:
    (tmp_path / "reqtrace.yaml").write_text("project: Mine\n# my comments\n")
    result = run_in_process("init", ".", cwd=tmp_path)
    assert result.exit_code == 3
    assert "already exists; reqtrace never overwrites it" in result.stderr
    assert (tmp_path / "reqtrace.yaml").read_text() == "project: Mine\n# my comments\n"
    no_traceback(result)


def test_new_requirement_takes_the_next_free_id(make_repo, run_cli) -> None:
    repo = make_repo(
        {
            "specs/REQ-1.yaml": requirement_yaml("REQ-1"),
            "specs/x/REQ-7.yaml": requirement_yaml("REQ-7"),
        }
    )
    result = run_cli("new", "requirement", "--title", "Reschedule", cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path == repo.root / "specs" / "REQ-8.yaml"
    assert path.read_text().startswith('id: REQ-8\ntitle: "Reschedule"\n')
    assert run_cli("check", cwd=repo.root).exit_code == 0


def test_new_requirement_with_a_chinese_title_round_trips(make_repo, run_in_process) -> None:
    repo = make_repo(GOOD)
    title = '在线改约 "VIP" 患者: 提前 24 小时'
    result = run_in_process("new", "requirement", "--title", title, "--folder", "booking", cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    assert Path(result.stdout.strip()) == repo.root / "specs" / "booking" / "REQ-3.yaml"
    shown = json.loads(run_in_process("show", "REQ-3", "--format", "json", cwd=repo.root).stdout)
    assert shown["fields"]["title"] == title


def test_new_refuses_to_overwrite(make_repo, run_in_process) -> None:
    # REQ-3.yaml exists but holds another id: the next id's file name is taken.
    repo = make_repo({**GOOD, "specs/REQ-3.yaml": requirement_yaml("OTHER-1")})
    before = (repo.root / "specs" / "REQ-3.yaml").read_bytes()
    result = run_in_process("new", "requirement", "--title", "x", cwd=repo.root)
    assert result.exit_code == 3
    assert "specs/REQ-3.yaml already exists; reqtrace never overwrites it" in result.stderr
    assert (repo.root / "specs" / "REQ-3.yaml").read_bytes() == before


def test_new_request_and_meeting(make_repo, run_in_process) -> None:
    repo = make_repo(GOOD)
    request = Path(
        run_in_process("new", "request", "--title", "Online payment", cwd=repo.root).stdout.strip()
    )
    assert request == repo.root / "records" / "requests" / "RQ-2.yaml"
    meeting = Path(run_in_process("new", "meeting", "--title", "Review", cwd=repo.root).stdout.strip())
    assert meeting.parent == repo.root / "records" / "meetings"
    assert meeting.name.startswith("MTG-")
    assert run_in_process("check", cwd=repo.root).exit_code == 0


@pytest.mark.parametrize("folder", ["../outside", "/etc", "-rf"])
def test_new_refuses_a_folder_outside_specs(make_repo, run_in_process, folder: str) -> None:
    result = run_in_process(
        "new", "requirement", "--title", "x", "--folder", folder, cwd=make_repo(GOOD).root
    )
    assert result.exit_code == 2
    assert "--folder must be a relative folder inside specs/" in result.stderr


def test_new_refuses_an_empty_title(make_repo, run_in_process) -> None:
    result = run_in_process("new", "requirement", "--title", "  ", cwd=make_repo(GOOD).root)
    assert result.exit_code == 2


# --- list and show --------------------------------------------------------------


def test_list_text(make_repo, run_cli) -> None:
    result = run_cli("list", cwd=make_repo(GOOD).root, env={"COLUMNS": "200"})
    assert result.exit_code == 0
    rows = [line.split() for line in result.stdout.splitlines()]
    assert rows[0] == ["id", "kind", "title", "status", "path"]
    assert rows[1][:2] == ["REQ-1", "requirement"]
    assert rows[2][:2] == ["REQ-2", "requirement"] and "approved" in rows[2]
    assert "2 item(s) at the working tree" in result.stdout


def test_list_json_and_kinds(make_repo, run_in_process) -> None:
    repo = make_repo(GOOD)
    data = json.loads(run_in_process("list", "--format", "json", "--kind", "all", cwd=repo.root).stdout)
    assert set(data) == {"schema_version", "ok", "rev", "items"}
    assert [(i["id"], i["kind"], i["status"]) for i in data["items"]] == [
        ("MTG-1", "meeting", None),
        ("REQ-1", "requirement", None),
        ("REQ-2", "requirement", "approved"),
        ("RQ-1", "request", "approved"),
    ]
    assert set(data["items"][0]) == {"id", "kind", "title", "status", "path"}


def test_list_sorts_ids_naturally(make_repo, run_in_process) -> None:
    repo = make_repo({f"specs/REQ-{n}.yaml": requirement_yaml(f"REQ-{n}") for n in (10, 2, 1)})
    data = json.loads(run_in_process("list", "--format", "json", cwd=repo.root).stdout)
    assert [item["id"] for item in data["items"]] == ["REQ-1", "REQ-2", "REQ-10"]


def test_list_at_a_revision(make_repo, run_in_process) -> None:
    repo = make_repo(GOOD, tag="v1")
    repo.commit({"specs/REQ-3.yaml": requirement_yaml("REQ-3")})
    data = json.loads(run_in_process("list", "--rev", "v1", "--format", "json", cwd=repo.root).stdout)
    assert data["rev"] == repo.git("rev-parse", "v1")
    assert [item["id"] for item in data["items"]] == ["REQ-1", "REQ-2"]


def test_show_text(make_repo, run_cli) -> None:
    result = run_cli("show", "REQ-1", cwd=make_repo(GOOD).root)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "REQ-1 requirement · specs/REQ-1.yaml:1"
    assert "title: Book online" in result.stdout
    assert "children: REQ-2" in result.stdout
    assert "referenced by: MTG-1" in result.stdout


def test_show_json(make_repo, run_in_process) -> None:
    repo = make_repo(GOOD, tag="v1")
    data = json.loads(
        run_in_process("show", "RQ-1", "--format", "json", "--rev", "v1", cwd=repo.root).stdout
    )
    assert set(data) == {
        "schema_version",
        "ok",
        "rev",
        "id",
        "kind",
        "path",
        "line",
        "fields",
        "children",
        "referenced_by",
    }
    assert data["kind"] == "request"
    assert data["fields"]["decision"] == {"status": "approved", "in": "MTG-1"}
    assert data["referenced_by"] == ["MTG-1"]


def test_show_an_unknown_id(make_repo, run_in_process) -> None:
    result = run_in_process("show", "REQ-404", cwd=make_repo(GOOD).root)
    assert result.exit_code == 3
    assert "no item with id 'REQ-404'" in result.stderr
    no_traceback(result)


# --- schema, version, help ------------------------------------------------------


def test_schema_prints_json(run_in_process, tmp_path: Path) -> None:
    result = run_in_process("schema", "requirement", cwd=tmp_path)
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["required"] == ["id", "title", "statement"]


def test_version_and_help(run_cli, tmp_path: Path) -> None:
    from reqtrace import __version__

    assert run_cli("--version", cwd=tmp_path).stdout == f"reqtrace {__version__}\n"
    result = run_cli("--help", cwd=tmp_path)
    assert result.exit_code == 0
    for command in ("check", "init", "new", "list", "show", "schema"):
        assert command in result.stdout


@pytest.mark.parametrize("args, message", [
    (["check", "--format", "json", "--no-such-option"], "No such option '--no-such-option'."),
    (["show", "--format=json"], "Missing argument 'ID'."),
    (["diff", "-f", "json", "--fail-on", "nothing-like-this"], "Invalid value for '--fail-on'"),
])
def test_a_usage_error_is_answered_in_json_when_json_was_asked(make_repo, run_cli, args, message) -> None:
    # A tool reading stdout gets JSON even when the command line itself was wrong.
    result = run_cli(*args, cwd=make_repo(GOOD).root)
    assert result.exit_code == 2
    answer = json.loads(result.stdout)
    assert answer["ok"] is False and answer["error"]["code"] == "usage"
    assert answer["error"]["message"].startswith(message)
    assert answer["error"]["hint"].endswith(f"reqtrace {args[0]} --help`")  # as invoked: `python -m reqtrace` here
    assert message in result.stderr  # people still read it on stderr, with the usage line
    no_traceback(result)


def test_a_usage_error_without_json_leaves_stdout_empty(make_repo, run_cli) -> None:
    result = run_cli("check", "--no-such-option", cwd=make_repo(GOOD).root)
    assert result.exit_code == 2 and result.stdout == "" and "No such option" in result.stderr
