"""`--format sarif` and `--format junit` for `check` and `diff --fail-on`, validated
against the official SARIF 2.1.0 JSON Schema and Ant's JUnit XSD (tests/data/ci)."""

from __future__ import annotations

import functools
import json
import xml.etree.ElementTree as ET
from typing import Any

import jsonschema
import pytest

from conftest import DATA, requirement_yaml

SARIF_SCHEMA = json.loads((DATA / "ci" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


@functools.cache
def junit_schema() -> Any:
    """Ant's XSD, read when a test first validates: at import time every xdist worker read it
    (and imported xmlschema) while collecting, whichever worker ran these tests."""
    import xmlschema

    return xmlschema.XMLSchema(str(DATA / "ci" / "JUnit.xsd"))


def valid_sarif(text: str) -> dict:
    log = json.loads(text)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    return log


def valid_junit(text: str) -> ET.Element:
    junit_schema().validate(text)
    return ET.fromstring(text)  # noqa: S314 - our own output, just validated


BROKEN = {
    "specs/REQ-1.yaml": requirement_yaml("REQ-1", "Book online", parents=["REQ-99"]),
    "specs/REQ-2.yaml": requirement_yaml("REQ-2", "Cancel <now> & \"later\"") + "acceptence: [typo]\n",
}


def test_the_stored_schemas_are_the_official_ones() -> None:
    # A test that validates against a schema it wrote itself could not fail.
    assert SARIF_SCHEMA["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert "partialFingerprints" in SARIF_SCHEMA["definitions"]["result"]["properties"]
    with pytest.raises(jsonschema.ValidationError):
        valid_sarif(json.dumps({"version": "2.1.0", "runs": [{"results": []}]}))  # no tool
    import xmlschema

    with pytest.raises(xmlschema.XMLSchemaValidationError):
        valid_junit("<testsuites><testsuite name='x'/></testsuites>")


def test_check_sarif_is_valid_and_locates_each_finding(make_repo, run_cli) -> None:
    repo = make_repo(BROKEN)
    result = run_cli("check", "--format", "sarif", cwd=repo.root)
    assert result.exit_code == 1  # the gate is the same whatever the format
    log = valid_sarif(result.stdout)
    run = log["runs"][0]
    assert run["tool"]["driver"]["name"] == "reqtrace"
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert set(by_rule) == {"dangling-ref", "unknown-field"}
    dangling = by_rule["dangling-ref"]
    assert dangling["level"] == "error" and "REQ-99" in dangling["message"]["text"]
    location = dangling["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "specs/REQ-1.yaml"
    assert location["region"]["startLine"] == 4
    assert by_rule["unknown-field"]["level"] == "warning"
    rules = run["tool"]["driver"]["rules"]
    assert [rules[r["ruleIndex"]]["id"] for r in run["results"]] == [r["ruleId"] for r in run["results"]]


def test_sarif_paths_are_relative_to_the_checkout_top(make_repo, run_in_process, tmp_path) -> None:
    # Code scanning resolves a URI against the repository root, not the spec folder.
    repo = make_repo({f"docs/spec/{path}": text for path, text in {"reqtrace.yaml": "project: P\n", **BROKEN}.items()})
    log = valid_sarif(run_in_process("check", "-f", "sarif", cwd=repo.root / "docs" / "spec").stdout)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert uris == {"docs/spec/specs/REQ-1.yaml", "docs/spec/specs/REQ-2.yaml"}


def test_fingerprints_follow_a_finding_across_commits(make_repo, run_in_process) -> None:
    repo = make_repo(BROKEN)

    def prints() -> dict[str, str]:
        log = valid_sarif(run_in_process("check", "-f", "sarif", cwd=repo.root).stdout)
        return {r["ruleId"]: r["partialFingerprints"]["reqtraceFinding/v1"] for r in log["runs"][0]["results"]}

    before = prints()
    # Lines added above the finding: same finding, same fingerprint, other line.
    repo.commit({"specs/REQ-1.yaml": "# moved down\n# by two lines\n" + BROKEN["specs/REQ-1.yaml"]})
    after = prints()
    assert after == before
    # Another problem is another finding.
    repo.commit({"specs/REQ-1.yaml": BROKEN["specs/REQ-1.yaml"].replace("REQ-99", "REQ-98")})
    assert prints()["dangling-ref"] != before["dangling-ref"]
    assert len(set(before.values())) == len(before)


def test_a_finding_without_a_file_still_has_a_location(make_repo, run_in_process) -> None:
    repo = make_repo()  # an empty specs/: the no-requirements warning is about the folder
    log = valid_sarif(run_in_process("check", "-f", "sarif", "--strict", cwd=repo.root).stdout)
    [result] = log["runs"][0]["results"]
    assert result["ruleId"] == "no-requirements" and result["locations"]


def test_check_junit_is_valid_ant_junit(make_repo, run_in_process) -> None:
    repo = make_repo(BROKEN)
    result = run_in_process("check", "--format", "junit", cwd=repo.root)
    assert result.exit_code == 1
    root = valid_junit(result.stdout)
    suite = root.find("testsuite")
    assert suite.get("name") == "reqtrace check"
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("2", "1", "1")
    failure = suite.find("testcase/failure")
    assert failure.get("type") == "dangling-ref" and "REQ-99" in failure.get("message")
    skipped = suite.find("testcase/skipped")
    assert skipped.get("message").startswith("warning: unknown field 'acceptence'")


def test_junit_of_a_clean_repo_has_one_passing_case(make_repo, run_in_process) -> None:
    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1")})
    result = run_in_process("check", "-f", "junit", cwd=repo.root, env={"SOURCE_DATE_EPOCH": "1767225600"})
    assert result.exit_code == 0
    suite = valid_junit(result.stdout).find("testsuite")
    assert suite.get("timestamp") == "2026-01-01T00:00:00"
    [case] = suite.findall("testcase")
    assert case.find("failure") is None and "1 requirement" in case.get("name")


def test_junit_survives_hostile_text(make_repo, run_in_process) -> None:
    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1", parents=["REQ-9\x1b]0;owned\x07"])})
    result = run_in_process("check", "-f", "junit", cwd=repo.root)
    valid_junit(result.stdout)
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout


DIFF_BASE = {
    "specs/REQ-1.yaml": requirement_yaml("REQ-1", "Book online", "Book up to 14 days ahead."),
    "specs/REQ-2.yaml": requirement_yaml("REQ-2", "Cancel", "Cancel until 24 hours before."),
}
APPROVAL = "id: RQ-1\nreceived: 2026-01-05\ntitle: Longer window\naffects: [REQ-1]\ndecision:\n  status: approved\n  by: Li Wei\n  on: 2026-01-10\n"


@pytest.mark.parametrize("fail_on", ["unapproved", "any"])
def test_diff_gate_in_sarif_and_junit(make_repo, run_in_process, fail_on) -> None:
    repo = make_repo(DIFF_BASE, tag="v1")
    repo.write({
        "specs/REQ-1.yaml": DIFF_BASE["specs/REQ-1.yaml"].replace("14", "30"),
        "specs/REQ-2.yaml": DIFF_BASE["specs/REQ-2.yaml"].replace("24", "12"),
        "records/requests/RQ-1.yaml": APPROVAL,
    })
    sarif = run_in_process("diff", "v1", "--fail-on", fail_on, "-f", "sarif", cwd=repo.root)
    junit = run_in_process("diff", "v1", "--fail-on", fail_on, "-f", "junit", cwd=repo.root)
    assert sarif.exit_code == junit.exit_code == 1
    results = valid_sarif(sarif.stdout)["runs"][0]["results"]
    suite = valid_junit(junit.stdout).find("testsuite")
    failing = {r["properties"]["itemId"]: r["ruleId"] for r in results}
    if fail_on == "unapproved":
        assert failing == {"REQ-2": "unapproved-change"}
        assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
        passed = [c.get("name") for c in suite.findall("testcase") if c.find("failure") is None]
        assert passed == ["REQ-1 changed, approved by RQ-1"]
    else:
        assert failing == {"REQ-2": "unapproved-change", "REQ-1": "change"}
        assert (suite.get("tests"), suite.get("failures")) == ("2", "2")
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "specs/REQ-2.yaml"
    # diff and check are two categories for code scanning: one must not close the other's alerts.
    assert valid_sarif(sarif.stdout)["runs"][0]["automationDetails"]["id"] == "reqtrace/diff/"


def test_diff_sarif_without_fail_on_reports_but_passes(make_repo, run_in_process) -> None:
    repo = make_repo(DIFF_BASE, tag="v1")
    repo.write({"specs/REQ-2.yaml": DIFF_BASE["specs/REQ-2.yaml"].replace("24", "12")})
    result = run_in_process("diff", "v1", "-f", "sarif", cwd=repo.root)
    assert result.exit_code == 0
    assert [r["ruleId"] for r in valid_sarif(result.stdout)["runs"][0]["results"]] == ["unapproved-change"]


def test_fingerprints_ignore_quoted_line_numbers_and_count_equal_findings() -> None:
    from reqtrace.checks.ci_formats import Gate, render_sarif
    from reqtrace.core.model import Finding

    def prints(*findings: Finding) -> list[str]:
        log = valid_sarif(render_sarif(Gate("check", list(findings))))
        return [r["partialFingerprints"]["reqtraceFinding/v1"] for r in log["runs"][0]["results"]]

    moved = prints(Finding("duplicate-key", "error", "key 'title' appears twice (lines 2 and 4)", "specs/REQ-1.yaml", 4, "REQ-1"))
    later = prints(Finding("duplicate-key", "error", "key 'title' appears twice (lines 7 and 9)", "specs/REQ-1.yaml", 9, "REQ-1"))
    assert moved == later
    other_id = prints(Finding("duplicate-id", "error", "id 'REQ-1' is already used by the requirement in specs/REQ-1.yaml:1", "specs/a.yaml", 1, "REQ-1"))
    other_id_moved = prints(Finding("duplicate-id", "error", "id 'REQ-1' is already used by the requirement in specs/REQ-1.yaml:5", "specs/a.yaml", 3, "REQ-1"))
    assert other_id == other_id_moved
    same = Finding("symlink", "warning", "symbolic link is not read", "specs/x.yaml", None)
    first, second = prints(same, Finding("symlink", "warning", "symbolic link is not read", "specs/x.yaml", 2))
    assert first.endswith(":1") and second.endswith(":2") and first[:-2] == second[:-2]
