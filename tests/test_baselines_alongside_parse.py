"""A cold `status`, `trace` or `impact` reads the baselines' manifests in the parent while the
parse's worker parses (baselines/baseline.py `ManifestsAlongside`, core/snapshot.py
`load_snapshot(alongside=…)`), and the parent takes a smaller share of the parse for it.
Checked against the plain computation (the scan after the parse): the same scan, the same
answers byte for byte, and a manifest that fails to read fails the same way.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from conftest import copy_demo
from reqtrace.baselines import baseline
from reqtrace.core import snapshot as snapshot_module
from reqtrace.core.config import find_spec_repo
from reqtrace.errors import InputError
from reqtrace.io import fork_map


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, demo_build: Any) -> Path:
    return copy_demo(demo_build, tmp_path_factory.mktemp("alongside") / "demo")


def _forking(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fork_map, "MIN_ITEMS", 2)  # the demo's few files are parsed on two processes
    monkeypatch.setenv("REQTRACE_JOBS", "2")


def test_the_scan_beside_the_parse_is_the_plain_scan(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _forking(monkeypatch)
    shutil.rmtree(demo / ".git" / "reqtrace", ignore_errors=True)
    repo = find_spec_repo(demo)
    ran_in: list[int] = []

    class Spied(baseline.ManifestsAlongside):
        def run(self) -> None:
            ran_in.append(os.getpid())
            super().run()

    scan = Spied(repo, None)
    assert scan.cost(*_listing(repo)) > 0  # the manifests' sizes, on disk
    beside = snapshot_module.load_snapshot(repo, None, alongside=scan)
    assert ran_in == [os.getpid()]  # once, in this process (its result is here)
    scan.hand_to(beside)
    baseline.forget_read_manifests()
    shutil.rmtree(demo / ".git" / "reqtrace", ignore_errors=True)
    plain = snapshot_module.load_snapshot(repo, None)
    plain_scan = baseline.baselines_of(plain)
    assert beside.scanned_baselines is scan.scanned
    assert scan.scanned is not None and scan.scanned.baselines and scan.scanned.baselines == plain_scan.baselines
    assert scan.scanned.findings == plain_scan.findings
    assert beside.requirements == plain.requirements and beside.findings == plain.findings


def _listing(repo: Any) -> tuple[Any, list[Any]]:
    reader = snapshot_module.Reader(repo, None)
    config, _ = snapshot_module.parse_config(reader.read_config())
    return config, reader.list_files(snapshot_module.scanned_folders(config), sizes=False)


def test_the_parent_parses_less_by_the_work_beside() -> None:
    kinds = [kind for kind in snapshot_module.FILE_KINDS if kind.name == "requirement"] * 100
    even = snapshot_module._even_split(kinds, True, parent_pickles=True)
    # Each file moved from the parent's share to the worker's closes the gap by twice its cost
    # (digested) and pickling (both processes pickle here): 10 files close 135 units.
    moved = 2 * (snapshot_module._REQUIREMENT_COST + snapshot_module._DIGEST_COST + snapshot_module._PICKLE_COST)
    assert 1 <= snapshot_module._even_split(kinds, True, 10 * moved, parent_pickles=True) == even - 10
    assert snapshot_module._even_split(kinds, True, 10_000.0, parent_pickles=True) == 1  # more than the whole parse: one file, still forked


@pytest.mark.parametrize("args", [("status",), ("impact", "REQ-1"), ("trace", "REQ-2")])
def test_answers_are_the_plain_ones(demo: Path, args: tuple[str, ...], run_in_process: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _forking(monkeypatch)

    runs: list[int] = []
    scan = baseline.ManifestsAlongside.run

    def cold(beside: bool) -> str:
        shutil.rmtree(demo / ".git" / "reqtrace", ignore_errors=True)
        baseline.forget_read_manifests()
        with monkeypatch.context() as patch:
            # The plain way: nothing scanned alongside, baselines_of scans after the parse.
            patch.setattr(baseline.ManifestsAlongside, "run", lambda self: runs.append(1) or (scan(self) if beside else None))
            # trace and impact read the whole graph (graph/cache.py `_build`), not a scoped one.
            result = run_in_process(*args, "--format", "json", cwd=demo, env={"REQTRACE_NO_SCOPED": "1"})
        assert result.exit_code == 0, result.stderr
        return str(result.stdout)

    assert cold(True) == cold(False)
    assert len(runs) == 2  # the new way was taken


def test_a_manifest_that_fails_to_read_fails_as_before(tmp_path: Path, demo_build: Any, run_in_process: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _forking(monkeypatch)
    root = copy_demo(demo_build, tmp_path / "demo")
    manifests = sorted((root / "baselines").glob("*/manifest.yaml"))
    manifests[-1].write_bytes(b"name: [unclosed\n")  # the accepted baseline's, broken

    def cold(beside: bool) -> tuple[int, str, str]:
        shutil.rmtree(root / ".git" / "reqtrace", ignore_errors=True)
        baseline.forget_read_manifests()
        with monkeypatch.context() as patch:
            if not beside:
                patch.setattr(baseline.ManifestsAlongside, "run", lambda self: None)
            result = run_in_process("status", "--format", "json", cwd=root)
        return result.exit_code, result.stdout, result.stderr

    answer = cold(True)
    assert answer == cold(False)
    assert answer[0] != 0 and "manifest" in answer[2]  # status names the broken manifest
    # A scan that raises: raised by load_snapshot once the snapshot is parsed, as the plain scan after it would.
    repo = find_spec_repo(root)

    def refused(self: Any) -> None:
        raise InputError("the baselines cannot be read")

    monkeypatch.setattr(baseline.ManifestsAlongside, "run", refused)
    with pytest.raises(InputError, match="cannot be read"):
        snapshot_module.load_snapshot(repo, None, alongside=baseline.ManifestsAlongside(repo, None))
