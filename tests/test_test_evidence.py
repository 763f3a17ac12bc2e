"""Test evidence at acceptance: a real pytest run's JUnit XML, kept as a record, shown per
baseline requirement as verified, failing or untested in status, trace, check and the pack."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import requirement_yaml
from pack_kit import build_repo, read_zip

# The documented pytest convention for a marker: conftest.py turns it into a property.
CONFTEST = '''\
def pytest_configure(config):
    config.addinivalue_line("markers", "requirements(*ids): the requirements a test verifies")

def pytest_collection_modifyitems(items):
    for item in items:
        for marker in item.iter_markers("requirements"):
            item.user_properties.append(("requirements", ",".join(marker.args)))
'''

TESTS = '''\
import pytest

def test_booking(record_property):
    record_property("requirements", "REQ-1")
    assert True

def test_REQ_2_booking_window():
    assert 14 == 30, "the window is 14 days"

def test_REQ_3_cancel():
    assert True

def test_http_200():
    assert True

@pytest.mark.requirements("REQ-3")
def test_cancel_late():
    assert True

def test_names_a_missing_one(record_property):
    record_property("requirements", "REQ-404")
'''


def junit_report(folder: Path, tests: str = TESTS) -> Path:
    """Run real pytest on `tests` and return its --junitxml report."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "test_product.py").write_text(tests)
    (folder / "conftest.py").write_text(CONFTEST)
    report = folder / "results.xml"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:randomly", f"--junitxml={report}", "test_product.py"],
        cwd=folder, capture_output=True, text=True,
    )
    assert proc.returncode == 1, proc.stdout  # one test fails, on purpose
    assert report.is_file()
    return report


def shift_timestamp(report: Path, *, earlier: Path, seconds: int) -> None:
    """Give `report` the first testsuite timestamp of `earlier` plus `seconds`."""
    stamp = re.search(r'timestamp="([^"]+)"', earlier.read_text(encoding="utf-8"))
    assert stamp is not None
    moved = (dt.datetime.fromisoformat(stamp.group(1)) + dt.timedelta(seconds=seconds)).isoformat()
    text = report.read_text(encoding="utf-8")
    report.write_text(re.sub(r'timestamp="[^"]+"', f'timestamp="{moved}"', text, count=1), encoding="utf-8")


@pytest.fixture
def accepted(make_repo, tmp_path):
    """Baseline v1 (REQ-1..3, accepted by the customer); REQ-2 and REQ-3 changed since, REQ-4 added."""
    return build_repo(make_repo, tmp_path)


def cli(run_cli, root, *args):
    result = run_cli(*args, cwd=root)
    return result


def test_ingest_keeps_a_record_of_the_commit_with_verdicts_and_digests(accepted, run_cli, tmp_path) -> None:
    root = accepted.repo.root
    report = junit_report(tmp_path / "run")
    result = run_cli("ingest-tests", str(report), "--commit", accepted.baseline_commit, "--format", "json", cwd=root)
    assert result.exit_code == 0, result.stderr
    (done,) = json.loads(result.stdout)["results"]
    assert done["status"] == "added" and done["test_count"] == 6 and done["unlinked_count"] == 2 and done["unknown"] == ["REQ-404"]
    assert done["requirements"] == {"REQ-1": "passed", "REQ-2": "failed", "REQ-3": "passed"}
    record = yaml.safe_load((root / done["path"]).read_text())
    assert done["path"].startswith("records/tests/TEST-") and record["id"] == done["id"]
    assert record["commit"] == accepted.baseline_commit
    assert record["source"] == "results.xml" and record["summary"] == {"tests": 6, "passed": 5, "failed": 1, "skipped": 0}
    manifest = yaml.safe_load((root / "baselines/v1/manifest.yaml").read_text())
    signed = {entry["id"]: entry["digest"] for entry in manifest["requirements"]}
    # The tests ran on the baseline's commit: the digests are the signed ones.
    assert {rid: entry["digest"] for rid, entry in record["requirements"].items()} == signed
    assert record["requirements"]["REQ-2"]["failed"] == ["test_product::test_REQ_2_booking_window"]
    # By name and by marker.
    assert record["requirements"]["REQ-3"]["passed"] == ["test_product::test_REQ_3_cancel", "test_product::test_cancel_late"]
    # The same report again is the same record.
    again = run_cli("ingest-tests", str(report), "--commit", accepted.baseline_commit, cwd=root)
    assert again.exit_code == 0 and "unchanged" in again.stdout
    assert len(list((root / "records/tests").iterdir())) == 1
    # The record is a valid spec-repo file.
    assert run_cli("check", "--format", "json", cwd=root).exit_code == 0


def test_status_trace_and_check_show_verified_failing_untested(accepted, run_in_process, tmp_path) -> None:
    root = accepted.repo.root
    report = junit_report(tmp_path / "run")
    assert run_in_process("ingest-tests", str(report), "--commit", accepted.baseline_commit, cwd=root).exit_code == 0
    # A later run at HEAD, where REQ-2 and REQ-3 say something else: it verifies REQ-2's new
    # text, not the signed one.
    later = junit_report(tmp_path / "later", TESTS.replace("assert 14 == 30", "assert 30 == 30").replace("def test_http_200", "def test_fails_on_purpose():\n    assert False\n\ndef test_http_200"))
    # A run's time is kept to the second: on a fast machine both reports can fall in one second,
    # and then neither is the later. The later run says it ran a minute after the first.
    shift_timestamp(later, earlier=report, seconds=60)
    assert run_in_process("ingest-tests", str(later), cwd=root).exit_code == 0

    status = json.loads(run_in_process("status", "--format", "json", cwd=root).stdout)["tests"]
    assert status["baseline"] == "v1" and status["runs"] == 2
    assert status["counts"] == {"verified": 2, "failing": 1, "untested": 0}
    assert status["verified"] == ["REQ-1", "REQ-3"]
    assert [row["id"] for row in status["failing"]] == ["REQ-2"]
    assert status["failing"][0]["tests"] == ["test_product::test_REQ_2_booking_window"]
    text = run_in_process("status", cwd=root).stdout
    assert "2 of 3 requirements of v1 verified" in text and "failing  REQ-2" in text

    # trace: evidence for the requirement's text now.
    trace2 = json.loads(run_in_process("trace", "REQ-2", "--format", "json", cwd=root).stdout)["tests"]
    assert trace2["state"] == "verified"  # the later run passed on REQ-2's current text
    assert [(r["verdict"], r["current_content"]) for r in trace2["runs"]] == [("passed", True), ("failed", False)]
    trace1 = json.loads(run_in_process("trace", "REQ-1", "--format", "json", cwd=root).stdout)
    assert trace1["tests"]["state"] == "verified"
    assert any(entry["relation"] == "tested" and entry["kind"] == "test" for entry in trace1["timeline"])
    trace4 = json.loads(run_in_process("trace", "REQ-4", "--format", "json", cwd=root).stdout)
    assert trace4["tests"] == {"state": "untested", "run": None, "ran": None, "commit": None, "tests": [], "runs": []}
    assert "tests:      verified" in run_in_process("trace", "REQ-1", cwd=root).stdout

    # check: nothing unless a baseline asks for tests; then each unverified requirement.
    assert [f for f in json.loads(run_in_process("check", "--format", "json", cwd=root).stdout)["findings"] if f["code"] == "unverified-requirement"] == []
    config = (root / "reqtrace.yaml").read_text()
    (root / "reqtrace.yaml").write_text(config + "tests_required_for: [v1]\n")
    result = run_in_process("check", "--format", "json", cwd=root)
    found = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "unverified-requirement"]
    assert result.exit_code == 0 and [(f["id"], f["severity"], f["path"]) for f in found] == [("REQ-2", "warning", "specs/booking/REQ-2.yaml")]
    assert "test_product::test_REQ_2_booking_window" in found[0]["message"] and "failed" in found[0]["message"]
    assert run_in_process("check", "--strict", cwd=root).exit_code == 1


def test_a_baseline_requirement_with_no_test_is_untested(accepted, run_in_process, tmp_path) -> None:
    root = accepted.repo.root
    only_one = junit_report(tmp_path / "run", 'def test_REQ_1_book():\n    assert True\n\ndef test_fail():\n    assert False\n')
    assert run_in_process("ingest-tests", str(only_one), "--commit", accepted.baseline_commit, cwd=root).exit_code == 0
    status = json.loads(run_in_process("status", "--format", "json", cwd=root).stdout)["tests"]
    assert status["verified"] == ["REQ-1"] and status["untested"] == ["REQ-2", "REQ-3"]
    (root / "reqtrace.yaml").write_text((root / "reqtrace.yaml").read_text() + "tests_required_for: [v1]\n")
    found = [f for f in json.loads(run_in_process("check", "--format", "json", cwd=root).stdout)["findings"] if f["code"] == "unverified-requirement"]
    assert [f["id"] for f in found] == ["REQ-2", "REQ-3"]
    assert "no test ran on its signed content" in found[0]["message"]


def test_the_pack_shows_test_evidence_and_still_verifies(accepted, run_cli, tmp_path) -> None:
    root = accepted.repo.root
    report = junit_report(tmp_path / "run")
    assert run_cli("ingest-tests", str(report), "--commit", accepted.baseline_commit, cwd=root).exit_code == 0
    accepted.repo.commit(message="test results")
    pack = tmp_path / "pack.zip"
    assert run_cli("pack", "build", "v1", "-o", str(pack), cwd=root).exit_code == 0
    members = read_zip(pack)
    html = members["index.html"].decode()
    assert "<b>2</b>verified by tests (1 failing), 0 untested" in html.replace('<b class="cross">', "<b>")
    assert html.count('<span class="badge ok">verified</span>') == 2 and html.count('<span class="badge bad">test failing</span>') == 1
    assert "test_product::test_REQ_2_booking_window" in html
    # The record itself travels as an original, listed and hashed like every file.
    files = json.loads(members["data/files.json"])["files"]
    assert any((origin.get("path") or "").startswith("records/tests/TEST-") for origin in files.values())
    verified = run_cli("pack", "verify", str(pack), "--signers", str(accepted.signers), cwd=tmp_path)
    assert verified.exit_code == 0, verified.stdout + verified.stderr


HOSTILE = {
    "entities": b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><testsuite><testcase name="t">&b;</testcase></testsuite>',
    "external": b'<?xml version="1.0"?><!DOCTYPE t SYSTEM "file:///etc/passwd"><testsuite/>',
    "not junit": b"<html><body>results</body></html>",
    "broken": b"<testsuite><testcase name='x'></testsuite>",
    "empty": b"",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_unreadable_reports_are_refused_and_nothing_is_written(name: str, make_repo, run_in_process, tmp_path) -> None:
    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1")})
    report = tmp_path / "results.xml"
    report.write_bytes(HOSTILE[name])
    result = run_in_process("ingest-tests", str(report), cwd=repo.root)
    assert result.exit_code == 3, result.stderr
    assert str(report) in result.stderr and "Traceback" not in result.stderr
    assert "hint: pass a JUnit XML report" in result.stderr
    if name in ("entities", "external"):
        assert "DOCTYPE or entities" in result.stderr
    assert not (repo.root / "records/tests").exists()


def test_a_damaged_test_record_is_a_check_error(make_repo, run_in_process) -> None:
    record = "id: TEST-20260101-0123456789\ncommit: abc\nran: '2026-01-01T00:00:00Z'\nsource: r.xml\nsha256: sha256:" + "0" * 64 + "\nrequirements:\n  REQ-1: {verdict: passed, digest: sha256:" + "1" * 64 + "}\n"
    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1"), "records/tests/TEST-20260101-0123456789.yaml": record})
    result = run_in_process("check", "--format", "json", cwd=repo.root)
    assert result.exit_code == 1
    (finding,) = [f for f in json.loads(result.stdout)["findings"] if f["path"] == "records/tests/TEST-20260101-0123456789.yaml"]
    assert finding["code"] == "schema" and finding["line"] == 2 and "'commit'" in finding["message"]
