"""Test evidence in a spec repo: ingesting reports as records, and reading them back at a revision.

The parsing and the rules are in records/testevidence.py; this module adds git, the
files and the baselines. Test records are kept beside the other records
(`records/tests/`) but are not items of the evidence graph: they name
requirements by content digest, which is compared where the question is asked
(`status`, `trace`, `check`, the pack).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from reqtrace.core.config import SpecRepo
from reqtrace.core.digest import memo_digests
from reqtrace.core.model import WARNING, Config, Finding, Snapshot
from reqtrace.core.snapshot import Reader, load_snapshot, resolve_revision
from reqtrace.errors import InputError
from reqtrace.io.clock import utc_now
from reqtrace.io.files import atomic_write, inside
from reqtrace.io.yamlio import dump_yaml
from reqtrace.records.testevidence import (
    FAILING,
    UNTESTED,
    Evidence,
    TestRun,
    UnreadableResults,
    build_test_record,
    evidence_for,
    parse_junit,
    ran_time,
    read_test_runs,
    results_sha256,
    tests_folder,
)

HEADER = "Test results, kept by `reqtrace ingest-tests` from {source}.\nverdicts are per requirement; digest is the requirement's content the tests ran against."


@dataclass
class IngestedTests:
    source: str  # the report as named on the command line
    status: str  # added, unchanged
    path: str  # the record, relative to the spec root
    id: str
    requirements: dict[str, str] = field(default_factory=dict)  # id -> verdict
    tests: int = 0
    unlinked: int = 0  # test cases that name no requirement
    unknown: list[str] = field(default_factory=list)  # ids named that no requirement has


def ingest_test_reports(repo: SpecRepo, reports: list[Path], *, rev: str = "HEAD", now: dt.datetime | None = None) -> list[IngestedTests]:
    """Keep each JUnit XML report as a record of the commit `rev` (where the tests ran).

    The requirements are read at that commit, so that each verdict carries the
    digest of the content that was tested. The same report twice is one record.
    """
    if repo.git_top is None:
        raise InputError(f"{repo.root} is not in a git repository: test results are kept as records of the commit they ran on", hint="run `git init` and commit the spec files")
    commit = resolve_revision(repo, rev)
    snapshot = load_snapshot(repo, commit)
    digest = memo_digests()
    folder = tests_folder(snapshot.config.records_dir)
    done = []
    for report in reports:
        try:
            data = report.read_bytes()
        except OSError as error:
            raise InputError(f"cannot read {report}: {error.strerror or error}") from None
        try:
            results = parse_junit(data)
        except UnreadableResults as error:
            raise InputError(f"{report}: {error}", hint="pass a JUnit XML report, e.g. from `pytest --junitxml=results.xml`") from None
        sha = results_sha256(data)
        record = build_test_record(
            results, snapshot.requirements, digest, commit=commit, ran=ran_time(results.timestamp, now or utc_now()), source=report.name, sha256=sha,
        )
        path = f"{folder}/{record.data['id']}.yaml"
        target = inside(repo.root, path)
        entry = IngestedTests(str(report), "added", path, record.data["id"], {rid: e["verdict"] for rid, e in record.data["requirements"].items()}, len(results.cases), record.unlinked, record.unknown)
        if target.exists():
            entry.status = "unchanged"
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, dump_yaml(record.data, header=HEADER.format(source=report.name)), exclusive=True)
        done.append(entry)
    return done


def test_runs_at(repo: SpecRepo, config: Config, commit: str | None) -> tuple[list[TestRun], list[Finding]]:
    """The test records at `commit` (None: the working tree), newest run first."""
    reader = Reader(repo, commit)
    sources = [s for s in reader.list_files([tests_folder(config.records_dir)]) if s.symlink_target is None]
    return read_test_runs((source.path, data) for source, data in reader.read(sources) if data is not None)


def test_runs_of(snapshot: Snapshot) -> tuple[list[TestRun], list[Finding]]:
    """The test records of a loaded snapshot (the files it listed, read where it was read)."""
    if snapshot.read_bytes is None:
        return [], []
    folder = tests_folder(snapshot.config.records_dir) + "/"
    paths = sorted(path for path in snapshot.present if path.startswith(folder))
    return read_test_runs(_read_each(snapshot, paths))


def _read_each(snapshot: Snapshot, paths: Iterable[str]) -> Iterable[tuple[str, bytes]]:
    assert snapshot.read_bytes is not None
    for path in paths:
        yield path, snapshot.read_bytes(path)


def baseline_evidence(runs: list[TestRun], entries: Iterable[tuple[str, str]]) -> dict[str, Evidence]:
    """Evidence for a baseline's (id, signed digest) entries."""
    return evidence_for(runs, dict(entries))


def check_test_evidence(snapshot: Snapshot) -> list[Finding]:
    """Problems of test records; and `unverified-requirement` (a warning, an error under
    --strict) for each requirement of a baseline named in `tests_required_for` that no
    passing test ran on, with its signed content."""
    if snapshot.read_bytes is None:
        return []
    runs, findings = test_runs_of(snapshot)
    wanted = snapshot.config.tests_required_for
    if not wanted:
        return findings
    from reqtrace.baselines.baseline import (
        baselines_of,  # baselines are read only when a check asks for them
    )

    scanned = baselines_of(snapshot)
    for name in wanted:
        baseline = scanned.get(name)
        if baseline is None:
            findings.append(Finding("config", WARNING, f"tests_required_for names '{name}', which is no baseline here", "reqtrace.yaml", None))
            continue
        evidence = baseline_evidence(runs, ((entry.id, entry.digest) for entry in baseline.requirements))
        lines = {entry.id: entry for entry in baseline.requirements}
        for rid, found in sorted(evidence.items()):
            if found.state == UNTESTED:
                why = "no test ran on its signed content (or only skipped ones)"
            elif found.state == FAILING:
                why = f"its newest test run on the signed content ({found.run}) failed: {', '.join(found.tests[:3])}"
            else:
                continue
            where = lines[rid]
            findings.append(Finding(
                "unverified-requirement", WARNING,
                f"{rid} of baseline {name} is not verified: {why}; run its tests and `reqtrace ingest-tests` the report (tests name it with a 'requirements' property or in their name)",
                where.path or None, None, rid,
            ))
    return findings
