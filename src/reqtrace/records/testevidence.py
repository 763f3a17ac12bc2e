"""Test evidence: which requirements were tested, on which content, and did the tests pass.

`reqtrace ingest-tests results.xml` reads JUnit XML (pytest's `--junitxml`
and every runner that writes the JUnit format), finds the requirement ids each
test case names, and keeps the result as a record under `records/tests/`:
the commit the tests ran on, when, and per requirement the verdict, the
tests, and the requirement's digest at that commit. The digest ties the
evidence to content, not to a commit: a baseline requirement is *verified*
when a run on exactly its signed content passed, *failing* when the newest
such run failed, and *untested* otherwise — in the working tree, at any
revision, and in an evidence pack, with no git needed to compare.

How a test case names requirements (docs/format.md, "Test evidence"):
- a property `requirements` (or `requirement`, `verifies`) with ids separated
  by commas or spaces: `<property name="requirements" value="REQ-1,REQ-2"/>`,
  which pytest writes for `record_property("requirements", "REQ-1,REQ-2")`;
- an id in the test's name or class name (`test_REQ_7_cancel`: `_` stands for
  `-`, since test names cannot hold `-`), counted only when such a
  requirement exists, so that `test_http_200` names nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import xml.parsers.expat
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NoReturn

from reqtrace.core.digest import DIGEST_PATTERN
from reqtrace.core.model import ERROR, WARNING, Finding, Requirement, natural_key
from reqtrace.core.schema import validate
from reqtrace.io.yamlio import YamlProblem, decode_text, load_yaml

MAX_XML_BYTES = 64 * 1024 * 1024
MAX_XML_DEPTH = 64
PROPERTY_NAMES = ("requirements", "requirement", "verifies")
PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
VERIFIED, FAILING, UNTESTED = "verified", "failing", "untested"
TESTS_SUBFOLDER = "tests"
_NAME_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)*")
_SEPARATORS = re.compile(r"[\s,;]+")


class UnreadableResults(ValueError):
    """The file is not JUnit XML reqtrace can read (the message says why and where)."""


@dataclass(frozen=True)
class TestCase:
    name: str  # classname::name, as a person finds the test
    outcome: str  # PASSED, FAILED or SKIPPED
    named: tuple[str, ...]  # ids from properties, as written
    words: tuple[str, ...]  # candidate ids from the test's name and class name


@dataclass(frozen=True)
class Results:
    cases: tuple[TestCase, ...]
    timestamp: str | None  # the first testsuite's timestamp attribute, when there is one


@dataclass
class _Element:
    tag: str
    attrs: dict[str, str]
    children: list[_Element] = field(default_factory=list)


def _refuse(*_args: Any) -> NoReturn:
    raise UnreadableResults("the file declares a DOCTYPE or entities; JUnit XML has none, and reqtrace does not expand them")


def _parse_xml(data: bytes) -> _Element:
    """The element tree of `data`, by expat with every DTD feature refused: no entity
    (billion laughs, external files) is ever expanded."""
    if len(data) > MAX_XML_BYTES:
        raise UnreadableResults(f"the file is {len(data):,} bytes; test results are read up to {MAX_XML_BYTES:,}")
    parser = xml.parsers.expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[_Element] = [_Element("", {})]

    def start(tag: str, attrs: dict[str, str]) -> None:
        if len(stack) > MAX_XML_DEPTH:
            raise UnreadableResults(f"elements nest deeper than {MAX_XML_DEPTH} levels")
        element = _Element(tag, attrs)
        stack[-1].children.append(element)
        stack.append(element)

    def end(_tag: str) -> None:
        stack.pop()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as error:
        raise UnreadableResults(f"not well-formed XML at line {error.lineno}, column {error.offset}: {xml.parsers.expat.ErrorString(error.code)}") from None
    if not stack[0].children:
        raise UnreadableResults("the file holds no XML element")
    (root,) = stack[0].children
    return root


def _walk(element: _Element, tag: str) -> Iterable[_Element]:
    pending = [element]
    while pending:
        current = pending.pop()
        if current.tag == tag:
            yield current
        pending.extend(reversed(current.children))


def parse_junit(data: bytes) -> Results:
    """The test cases of a JUnit XML report (<testsuites> or one <testsuite>)."""
    root = _parse_xml(data)
    if root.tag not in ("testsuites", "testsuite"):
        raise UnreadableResults(f"the root element is <{root.tag}>, not <testsuites> or <testsuite>: not a JUnit XML report")
    timestamp = next((suite.attrs.get("timestamp") for suite in _walk(root, "testsuite") if suite.attrs.get("timestamp")), None)
    cases = []
    for case in _walk(root, "testcase"):
        tags = {child.tag for child in case.children}
        outcome = FAILED if tags & {"failure", "error"} else SKIPPED if "skipped" in tags else PASSED
        named: list[str] = []
        for properties in (child for child in case.children if child.tag == "properties"):
            for prop in properties.children:
                if prop.tag == "property" and prop.attrs.get("name", "").strip().lower() in PROPERTY_NAMES:
                    named += [value for value in _SEPARATORS.split(prop.attrs.get("value", "")) if value]
        classname, name = case.attrs.get("classname", ""), case.attrs.get("name", "")
        words = tuple(_NAME_TOKEN.findall(f"{classname} {name}"))
        cases.append(TestCase(f"{classname}::{name}" if classname else name, outcome, tuple(named), words))
    return Results(tuple(cases), timestamp)


def _ids_in_words(words: Iterable[str], known: set[str]) -> list[str]:
    """Ids in a test's name: a run of name parts that, with `_` read as `-`, is a known id
    (`test_REQ_7_cancel` holds REQ-7)."""
    found = []
    for word in words:
        parts = word.split("_")
        for start in range(len(parts)):
            for stop in range(start + 1, min(len(parts), start + 4) + 1):
                candidate = "-".join(parts[start:stop])
                if candidate in known:
                    found.append(candidate)
    return found


@dataclass
class TestRecord:
    """What `ingest-tests` writes, before it is YAML."""

    data: dict[str, Any]
    unknown: list[str] = field(default_factory=list)  # ids named in properties that no requirement has
    unlinked: int = 0  # test cases that name no requirement


def build_test_record(results: Results, requirements: dict[str, Requirement], digest_of: Any, *, commit: str, ran: str, source: str, sha256: str) -> TestRecord:
    known = set(requirements)
    per_requirement: dict[str, dict[str, list[str]]] = {}
    record = TestRecord({})
    counts = {PASSED: 0, FAILED: 0, SKIPPED: 0}
    for case in results.cases:
        counts[case.outcome] += 1
        ids = [i for i in case.named if i in known] + _ids_in_words(case.words, known)
        record.unknown += [i for i in case.named if i not in known and i not in record.unknown]
        if not ids:
            record.unlinked += 1
            continue
        for rid in dict.fromkeys(ids):
            per_requirement.setdefault(rid, {PASSED: [], FAILED: [], SKIPPED: []})[case.outcome].append(case.name)
    entries = {}
    for rid in sorted(per_requirement, key=natural_key):
        tests = per_requirement[rid]
        verdict = FAILED if tests[FAILED] else PASSED if tests[PASSED] else SKIPPED
        entry: dict[str, Any] = {"verdict": verdict, "digest": digest_of(requirements[rid])}
        entry.update({outcome: names for outcome, names in tests.items() if names})
        entries[rid] = entry
    digest_hex = sha256.split(":", 1)[-1]
    record.data = {
        "id": f"TEST-{ran[:10].replace('-', '')}-{digest_hex[:10]}",
        "commit": commit,
        "ran": ran,
        "source": source,
        "sha256": sha256,
        "summary": {"tests": len(results.cases), **counts},
        "requirements": entries,
    }
    return record


def results_sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def ran_time(timestamp: str | None, fallback: dt.datetime) -> str:
    """The run's time in UTC (`2026-07-06T10:00:00Z`): the report's timestamp (a time
    without an offset is taken as UTC, as pytest writes local time without one is not
    knowable), else `fallback`."""
    when = fallback
    if timestamp:
        try:
            parsed = dt.datetime.fromisoformat(timestamp.strip().replace("Z", "+00:00"))
            when = parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
        except ValueError:
            pass
    return when.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- reading the records back -----------------------------------------------------------


@dataclass(frozen=True)
class TestRun:
    id: str
    path: str
    commit: str
    ran: str
    verdicts: tuple[tuple[str, str, str], ...]  # (requirement id, verdict, digest tested)
    tests: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (requirement id, outcome, test names)


def tests_folder(records_dir: str) -> str:
    return f"{records_dir}/{TESTS_SUBFOLDER}"


def parse_test_run(path: str, data: bytes) -> tuple[TestRun | None, list[Finding]]:
    try:
        loaded = load_yaml(decode_text(data))
    except YamlProblem as problem:
        return None, [Finding(problem.code, ERROR, problem.message, path, problem.line)]
    if not isinstance(loaded, dict):
        return None, [Finding("schema", ERROR, "a test record holds a mapping (id, commit, ran, …): write it with `reqtrace ingest-tests`", path, 1)]
    findings = [
        Finding(p.code, WARNING if p.code == "unknown-field" else ERROR, p.message, path, p.line, loaded.get("id") if isinstance(loaded.get("id"), str) else None)
        for p in validate(loaded, "testrun", getattr(loaded, "line", 1))
    ]
    if any(f.severity == ERROR for f in findings):
        return None, findings
    verdicts = []
    tests = []
    for rid, entry in (loaded.get("requirements") or {}).items():
        if isinstance(entry, dict) and DIGEST_PATTERN.match(str(entry.get("digest", ""))):
            verdicts.append((str(rid), str(entry["verdict"]), str(entry["digest"])))
            for outcome in (PASSED, FAILED, SKIPPED):
                if entry.get(outcome):
                    tests.append((str(rid), outcome, tuple(str(name) for name in entry[outcome])))
    run = TestRun(str(loaded["id"]), path, str(loaded["commit"]), str(loaded["ran"]), tuple(verdicts), tuple(tests))
    return run, findings


def read_test_runs(files: Iterable[tuple[str, bytes]]) -> tuple[list[TestRun], list[Finding]]:
    """The test records among (path, bytes), newest run first, and their problems."""
    runs, findings = [], []
    for path, data in files:
        if not path.endswith((".yaml", ".yml")):
            continue
        run, found = parse_test_run(path, data)
        findings += found
        if run is not None:
            runs.append(run)
    runs.sort(key=lambda run: (run.ran, run.id), reverse=True)
    return runs, findings


@dataclass(frozen=True)
class Evidence:
    """One requirement's test evidence for one version of it."""

    state: str  # VERIFIED, FAILING or UNTESTED
    run: str | None = None  # the test record that decided it
    ran: str | None = None
    commit: str | None = None
    tests: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"state": self.state, "run": self.run, "ran": self.ran, "commit": self.commit, "tests": list(self.tests)}


def evidence_for(runs: list[TestRun], wanted: dict[str, str]) -> dict[str, Evidence]:
    """requirement id -> its evidence, for requirements at the given digests.

    The newest run that tested a requirement at exactly that digest and passed or
    failed decides (a run with only skipped tests decides nothing). Runs on other
    content of the requirement do not count: the tested text is not the one asked about.
    """
    result = {rid: Evidence(UNTESTED) for rid in wanted}
    open_ids = set(wanted)
    for run in runs:  # newest first
        if not open_ids:
            break
        names = {(rid, outcome): tests for rid, outcome, tests in run.tests}
        for rid, verdict, digest in run.verdicts:
            if rid in open_ids and wanted[rid] == digest and verdict in (PASSED, FAILED):
                outcome_tests = names.get((rid, verdict), ())
                result[rid] = Evidence(VERIFIED if verdict == PASSED else FAILING, run.id, run.ran, run.commit, outcome_tests)
                open_ids.discard(rid)
    return result


def evidence_counts(evidence: dict[str, Evidence]) -> dict[str, int]:
    counts = {VERIFIED: 0, FAILING: 0, UNTESTED: 0}
    for item in evidence.values():
        counts[item.state] += 1
    return counts


def requirement_test_runs(runs: list[TestRun], rid: str, current: str | None) -> tuple[Evidence, list[dict[str, Any]]]:
    """One requirement's evidence for its `current` digest, and every run that named it
    (newest first), each saying whether it tested the current content."""
    rows = []
    for run in runs:
        names = {outcome: tests for one, outcome, tests in run.tests if one == rid}
        for one, verdict, digest in run.verdicts:
            if one == rid:
                rows.append({"run": run.id, "ran": run.ran, "commit": run.commit, "verdict": verdict, "tests": list(names.get(verdict, ())), "current_content": digest == current})
    evidence = evidence_for(runs, {rid: current}) if current else {rid: Evidence(UNTESTED)}
    return evidence[rid], rows
