"""Gate results in the formats CI systems read: SARIF 2.1.0 (GitHub code scanning and
other SARIF viewers) and JUnit XML (GitLab, Jenkins, Azure DevOps test reports).

Both gates, `check` and `diff --fail-on`, are first turned into one `Gate`: the
findings that decide it and the items that passed it. The renderers only see a
Gate, so the two commands cannot drift apart in how they are reported.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote
from xml.etree import ElementTree as ET

from reqtrace import __version__
from reqtrace.changes.diff import ADDED, MODIFIED, MOVED, REMOVED, DiffResult, unapproved_findings
from reqtrace.core.model import ERROR, WARNING, Finding
from reqtrace.io.clock import utc_now

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# The key under which each result's fingerprint is stored. Versioned: if what goes into
# the hash ever changes, a new key keeps code scanning from matching old and new wrongly.
FINGERPRINT_KEY = "reqtraceFinding/v1"

# One line per finding code, shown by SARIF viewers as the rule's description.
RULE_DESCRIPTIONS = {
    "yaml-syntax": "A spec file is not valid YAML.",
    "duplicate-key": "A key appears twice in one mapping; YAML would silently keep the last.",
    "yaml-alias": "YAML anchors and aliases are not allowed in spec files.",
    "not-utf8": "A spec file or file name is not UTF-8.",
    "file-too-large": "A spec file is larger than reqtrace reads.",
    "schema": "A field has the wrong type or a required field is missing.",
    "unknown-field": "A field that the file's schema does not know (often a typo).",
    "duplicate-id": "Two items share one id.",
    "bad-id": "An id does not match the project's id pattern.",
    "dangling-ref": "A reference names an item that does not exist.",
    "parent-cycle": "Requirements derive from each other in a cycle.",
    "config": "reqtrace.yaml is wrong or names an unusable folder.",
    "no-requirements": "The requirements folder holds no requirement: nothing was checked.",
    "symlink": "A symbolic link in the spec folders is not followed.",
    "stale-temp-file": "A temporary file left by an interrupted reqtrace write.",
    "baseline-tampered": "A baseline no longer matches what was frozen.",
    "signature-invalid": "A sign-off's signature or evidence does not verify.",
    "signer-unknown": "A sign-off was made with a key that is not an allowed signer.",
    "unapproved-change": "A requirement changed since the accepted baseline without an approved request.",
    "change": "A requirement changed (reported with --fail-on any).",
    "unreadable": "A changed file cannot be read, so its requirements were not compared.",
}


@dataclass
class Gate:
    """What a gate decided: the findings (errors fail it), and what passed it."""

    name: str  # "check" or "diff"
    findings: list[Finding]
    passed: list[str] = field(default_factory=list)  # names of the items that passed
    summary: str = ""  # one line for people: what was looked at

    @property
    def errors(self) -> int:
        return sum(1 for finding in self.findings if finding.severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for finding in self.findings if finding.severity == WARNING)


def check_gate(report: Any, summary: str) -> Gate:
    """The gate of `reqtrace check` (a check.CheckReport)."""
    return Gate("check", list(report.findings), summary=summary)


def diff_gate(result: DiffResult, *, any_change: bool) -> Gate:
    """The gate of `reqtrace diff --fail-on unapproved|any`: the same rule as the command's exit code.

    Each change that fails the gate is an error; an approved change (or a move) passes
    unless `any_change`. A file that cannot be read, and an error at TO, fail it too.
    """
    shown_from = result.from_side.ref
    findings = unapproved_findings(result, shown_from, ERROR)  # the same findings as `check --drift error`
    passed: list[str] = []
    for change in result.changes:
        if not change.approved:
            continue
        verb = {ADDED: "added", REMOVED: "removed", MODIFIED: "changed", MOVED: "moved"}[change.change]
        fields_changed = f" ({', '.join(f.field for f in change.fields)})" if change.fields else ""
        line = change.line if change.change != REMOVED else None
        if any_change:
            approval = f", approved by {', '.join(change.approved_by)}" if change.approved_by else ""
            findings.append(Finding("change", ERROR, f"{change.id} was {verb}{fields_changed} since {shown_from}{approval}", change.path, line, change.id))
        else:
            passed.append(f"{change.id} {verb}, approved by {', '.join(change.approved_by)}" if change.approved_by else f"{change.id} {verb}")
    for unreadable in result.unreadable:
        findings.append(Finding("unreadable", ERROR, unreadable.message(), unreadable.path, None, unreadable.id))
    for side, finding in result.findings:
        if side == "to" and finding.severity == ERROR:
            findings.append(finding)
    to_shown = result.to_side.ref
    summary = f"{len(result.changes)} change(s) from {shown_from} to {to_shown}"
    return Gate("diff", findings, passed, summary)


# --- SARIF 2.1.0 ------------------------------------------------------------------------


_LINE_NUMBERS = re.compile(r"\blines? \d+(?: and \d+)?|\.(?:yaml|yml|eml):\d+")


def _fingerprints(findings: list[Finding], prefix: str) -> list[str]:
    """A stable fingerprint per finding, for `partialFingerprints`.

    Made of what stays when unrelated lines move: the code, the file, the item's id and
    the message with the line numbers it quotes blanked ("lines 2 and 4", "REQ-1.yaml:7").
    The finding's own line is left out, so a finding keeps its identity when lines above it are added.
    Equal keys are told apart by their order, as GitHub does with `hash:N`.
    """
    seen: Counter[str] = Counter()
    prints = []
    for finding in findings:
        stable_message = _LINE_NUMBERS.sub(lambda match: re.sub(r"\d+", "#", match.group()), finding.message)
        key = "\0".join([finding.code, prefix + (finding.path or ""), finding.id or "", stable_message])
        digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:32]
        seen[digest] += 1
        prints.append(f"{digest}:{seen[digest]}")
    return prints


def _sarif_location(finding: Finding, prefix: str, config_path: str) -> dict[str, Any]:
    # A finding about the repository as a whole has no file; code scanning drops a result
    # without a location, so it is placed on the project's reqtrace.yaml.
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(prefix + (finding.path or config_path))}}
    physical["region"] = {"startLine": finding.line or 1}
    return {"physicalLocation": physical}


def _uri(path: str) -> str:
    """A relative URI reference for a repository path (spaces and '%' escaped)."""
    return quote(path, safe="/-._~!$&'()*+,;=:@")


def render_sarif(gate: Gate, *, prefix: str = "", config_path: str = "reqtrace.yaml") -> str:
    """The gate as a SARIF 2.1.0 log: one run, one rule per finding code.

    Paths are relative to the git checkout's top (`prefix` is where the spec repo lies
    in it), which is where code scanning resolves them.
    """
    codes = sorted({finding.code for finding in gate.findings})
    rule_index = {code: index for index, code in enumerate(codes)}
    rules = []
    for code in codes:
        levels = {finding.severity for finding in gate.findings if finding.code == code}
        rules.append({
            "id": code,
            "shortDescription": {"text": RULE_DESCRIPTIONS.get(code, f"reqtrace finding '{code}'.")},
            "defaultConfiguration": {"level": "error" if ERROR in levels else "warning"},
        })
    results = []
    for finding, fingerprint in zip(gate.findings, _fingerprints(gate.findings, prefix), strict=True):
        result: dict[str, Any] = {
            "ruleId": finding.code,
            "ruleIndex": rule_index[finding.code],
            "level": "error" if finding.severity == ERROR else "warning",
            "message": {"text": finding.message},
            "locations": [_sarif_location(finding, prefix, config_path)],
            "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
        }
        if finding.id:
            result["properties"] = {"itemId": finding.id}
        results.append(result)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "reqtrace", "version": __version__, "rules": rules}},
            # GitHub keeps one set of alerts per category: check and diff must not replace each other's.
            "automationDetails": {"id": f"reqtrace/{gate.name}/"},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }
    return json.dumps(log, ensure_ascii=False, indent=2)


# --- JUnit XML --------------------------------------------------------------------------

# XML 1.0 cannot hold most control characters, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _timestamp() -> str:
    return utc_now().strftime("%Y-%m-%dT%H:%M:%S")


def render_junit(gate: Gate, *, prefix: str = "") -> str:
    """The gate as JUnit XML in Apache Ant's shape (the one most CI systems read).

    One test case per finding: an error is a `<failure>`, a warning a passing case
    marked `<skipped>` so that it is listed without failing the report (JUnit has no
    warnings). The items that passed are passing cases; a gate with nothing to report
    still has one passing case, so that a report is never empty.
    """
    suites = ET.Element("testsuites")
    cases = []
    for finding in gate.findings:
        where = prefix + finding.path if finding.path else "(repository)"
        name = f"{finding.code}: {where}{f':{finding.line}' if finding.line else ''}{f' {finding.id}' if finding.id else ''}"
        case = ET.Element("testcase", name=_xml_text(name), classname=f"reqtrace.{gate.name}", time="0")
        detail = f"{where}{f':{finding.line}' if finding.line else ''}: {finding.severity} {finding.code}: {finding.message}"
        if finding.severity == ERROR:
            failure = ET.SubElement(case, "failure", message=_xml_text(finding.message), type=finding.code)
            failure.text = _xml_text(detail)
        else:
            skipped = ET.SubElement(case, "skipped", message=_xml_text(f"warning: {finding.message}"))
            skipped.text = _xml_text(detail)
        cases.append(case)
    passing = list(gate.passed) or ([] if gate.findings else [f"no problems: {gate.summary}" if gate.summary else "no problems"])
    for name in passing:
        cases.append(ET.Element("testcase", name=_xml_text(name), classname=f"reqtrace.{gate.name}", time="0"))
    suite = ET.SubElement(
        suites, "testsuite",
        package="reqtrace", id="0", name=f"reqtrace {gate.name}", timestamp=_timestamp(), hostname="localhost",
        tests=str(len(cases)), failures=str(gate.errors), errors="0",
        skipped=str(gate.warnings), time="0",
    )
    ET.SubElement(suite, "properties")
    suite.extend(cases)
    out = ET.SubElement(suite, "system-out")
    out.text = _xml_text(gate.summary)
    ET.SubElement(suite, "system-err")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


# --- Markdown (a CI job summary) ----------------------------------------------------------

# GitHub shows at most this many annotations of each severity per step (the rest are
# dropped from the checks page, though they stay in the log).
GITHUB_ANNOTATIONS_SHOWN = 10
MARKDOWN_ROWS = 500  # a job summary holds at most 1 MiB; the full list is in the log


def _cell(text: str) -> str:
    """Text made safe for one Markdown table cell: no line breaks, pipes or HTML."""
    text = " ".join(_NOT_XML.sub("", text).split())
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("`", "\\`")


def render_markdown(gate: Gate, *, prefix: str = "") -> str:
    """The gate as a Markdown summary: the verdict, then one table row per finding."""
    if gate.errors:
        verdict = f"✗ {gate.errors} error(s), {gate.warnings} warning(s)"
    elif gate.warnings:
        verdict = f"! {gate.warnings} warning(s), no errors"
    else:
        verdict = "✓ no problems"
    lines = [f"### reqtrace {gate.name}: {verdict}", ""]
    if gate.summary:
        lines += [f"In {_cell(gate.summary)}.", ""]
    if gate.findings:
        lines += ["| severity | code | where | message |", "| --- | --- | --- | --- |"]
        for finding in gate.findings[:MARKDOWN_ROWS]:
            where = prefix + finding.path if finding.path else "(repository)"
            where += f":{finding.line}" if finding.line else ""
            lines.append(f"| {finding.severity} | `{_cell(finding.code)}` | {_cell(where)} | {_cell(finding.message)} |")
        if len(gate.findings) > MARKDOWN_ROWS:
            lines += ["", f"{len(gate.findings) - MARKDOWN_ROWS} more finding(s) are in the job's log."]
        if gate.errors > GITHUB_ANNOTATIONS_SHOWN or gate.warnings > GITHUB_ANNOTATIONS_SHOWN:
            lines += ["", f"> GitHub shows at most {GITHUB_ANNOTATIONS_SHOWN} error and {GITHUB_ANNOTATIONS_SHOWN} warning "
                      "annotations per step; every finding is listed here and in the log."]
    if gate.passed:
        lines += ["", "Passed: " + ", ".join(_cell(name) for name in gate.passed[:MARKDOWN_ROWS])]
    return "\n".join(lines) + "\n"
