"""Hostile inputs the standing suite (tests/hostile/) still found on the merged code:
.nan in text fields, configured folders the file system refuses, unusable id arguments,
an empty --html-dir, and --help into a closed pipe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import requirement_yaml

GOOD = {"specs/REQ-1.yaml": requirement_yaml("REQ-1", "Book online")}


def check_json(run_cli, root: Path):  # type: ignore[no-untyped-def]
    result = run_cli("check", "--format", "json", cwd=root)
    # Strict JSON: NaN/Infinity would be refused here.
    report = json.loads(result.stdout, parse_constant=lambda name: pytest.fail(f"check printed {name}"))
    return result, report


# --- 1. .nan / -.inf / 1.0e+400 where text belongs ------------------------------------------


# (`1e999` without a dot is text to YAML 1.1; `1.0e+400` is the float that overflows.)
@pytest.mark.parametrize("value", [".nan", "-.inf", "1.0e+400", ".Inf"])
def test_an_unquoted_non_finite_number_in_a_text_field_is_a_finding(make_repo, run_cli, value: str) -> None:
    repo = make_repo({"specs/REQ-1.yaml": f"id: REQ-1\ntitle: {value}\nstatement: The system shall book.\n"})
    result, report = check_json(run_cli, repo.root)
    assert result.exit_code == 1, result.stderr
    (finding,) = [f for f in report["findings"] if f["code"] == "schema"]
    assert finding["line"] == 2
    assert f"quote it: title: \"{value}\"" in finding["message"]
    # Quoted, it is text like any other, and passes.
    repo.write({"specs/REQ-1.yaml": f"id: REQ-1\ntitle: '{value}'\nstatement: The system shall book.\n"})
    result, report = check_json(run_cli, repo.root)
    assert result.exit_code == 0, report


def test_a_non_finite_number_in_a_record_text_field_is_a_finding(make_repo, run_in_process) -> None:
    request = "id: RQ-1\nreceived: 2026-01-15\ntitle: -.inf\naffects: [REQ-1]\n"
    repo = make_repo({**GOOD, "records/requests/RQ-1.yaml": request})
    result, report = check_json(run_in_process, repo.root)
    assert result.exit_code == 1
    assert any(f["code"] == "schema" and f["line"] == 3 and "`-.inf`" in f["message"] for f in report["findings"]), report


# --- 2. configured folders the file system refuses ---------------------------------------


@pytest.mark.parametrize("key", ["requirements", "records", "baselines"])
def test_a_folder_name_too_long_for_the_file_system_is_not_an_internal_error(make_repo, run_in_process, key: str) -> None:
    config = f"project: P\npaths:\n  {key}: '{'9' * 100_000}'\n"
    repo = make_repo({**GOOD, "reqtrace.yaml": config})
    result = run_in_process("check", "--format", "json", cwd=repo.root)
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    if key == "requirements":  # nothing to read: the gate stops
        assert result.exit_code == 3, result.stderr
        assert "reqtrace.yaml:3" in result.stderr and "too long" in result.stderr
    else:  # like any unusable records/baselines path: an error finding, the default folder read
        assert result.exit_code == 1, result.stderr
        (finding,) = json.loads(result.stdout)["findings"]
        assert (finding["path"], finding["line"]) == ("reqtrace.yaml", 3)
        assert "too long" in finding["message"] and len(finding["message"]) < 300


def test_a_folder_behind_a_symlink_loop_is_exit_3_at_its_config_line(make_repo, run_in_process) -> None:
    repo = make_repo({**GOOD, "reqtrace.yaml": "project: P\npaths:\n  records: loop1/records\n"}, git_init=False)
    os.symlink("loop2", repo.root / "loop1")
    os.symlink("loop1", repo.root / "loop2")
    result = run_in_process("check", cwd=repo.root)
    assert result.exit_code == 3, result.stderr
    assert "reqtrace.yaml:3" in result.stderr and "records" in result.stderr
    assert "Traceback" not in result.stderr


# --- 3, 4. id arguments: non-UTF-8, empty, too long, control characters -------------------


@pytest.mark.parametrize(
    "args",
    [
        ["log", "\udcff\udcfe"], ["show", "\udcff\udcfe"], ["trace", "\udcff"], ["impact", "\udcff"],
        ["triage", ""], ["triage", "RQ-1", ""], ["triage", "R" * 10_000], ["decide", "\udcff", "--as", "defect", "--status", "approved", "--by", "A"],
        ["show", ""], ["show", "REQ-1\x1b[2J"], ["baseline", "show", "\udcff"],
    ],
    ids=lambda args: f"{args[0]}:{len(args)}:{args[-1][:6].encode('utf-8', 'surrogateescape')!r}",
)
def test_an_unusable_id_argument_is_a_usage_error(make_repo, run_in_process, args: list[str]) -> None:
    repo = make_repo(GOOD)
    result = run_in_process(*args, cwd=repo.root)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert "\x1b" not in result.stderr
    assert any(phrase in result.stderr for phrase in ("not UTF-8", "must not be empty", "characters long", "control characters"))


def test_a_usable_id_still_works(make_repo, run_in_process) -> None:
    repo = make_repo(GOOD)
    result = run_in_process("show", "REQ-1", cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    assert "Book online" in result.stdout


# --- 5. --html-dir "" ----------------------------------------------------------------------


def test_an_empty_html_dir_is_refused_and_nothing_is_written(make_repo, run_in_process, tmp_path: Path) -> None:
    repo = make_repo(GOOD, tag="v1")
    result = run_in_process("pack", "build", "v1", "-o", str(tmp_path / "p.zip"), "--html-dir", "", cwd=repo.root)
    assert result.exit_code == 2, result.stderr
    assert "--html-dir" in result.stderr and "empty" in result.stderr
    assert not (repo.root / "index.html").exists()
    assert not (tmp_path / "p.zip").exists()


# --- 6. --help into a closed pipe ----------------------------------------------------------


def test_help_into_a_closed_pipe_exits_0() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "reqtrace", "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # type: ignore[union-attr]  # the reader is gone before the first line
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert b"Traceback" not in err and b"Exception ignored" not in err
