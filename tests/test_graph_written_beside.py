"""What a cold graph command keeps on the second core while it answers — the graph
built afresh (graph/cache.py `answer`), a requirement's text changes (graph/trace.py
`text_changes_beside`), status's approvals between two baselines (graph/status.py), the
graph a cold status does not read (graph/cache.py `whole_snapshot`) —
through io/fork_map.py `fork_beside`: the answers are the plain computation's, and the
kept graph holds what an entry written in the process holds."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from conftest import cold_copy, copy_demo, git, run_reqtrace
from reqtrace.core.config import find_spec_repo
from reqtrace.graph import cache
from reqtrace.io import fork_map

BULK = 2100  # requirement files added to the demo: over fork_map.MIN_ITEMS, so kept beside


@pytest.fixture(scope="module")
def bulk_demo(demo_build: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with BULK more requirements, one file each (a hierarchy under REQ-5), committed."""
    root = copy_demo(demo_build, tmp_path_factory.mktemp("beside") / "demo")
    folder = root / "specs" / "bulk"
    folder.mkdir()
    for n in range(1, BULK + 1):
        parent = "REQ-5" if n == 1 else f"BULK-{n // 2}"
        (folder / f"BULK-{n}.yaml").write_text(f"id: BULK-{n}\ntitle: Bulk requirement {n}\nstatement: The system does thing {n}.\nparents: [{parent}]\n", encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "bulk requirements")
    return root


def _kept_graph(root: Path) -> dict[str, Any]:
    """Every section of the working tree's kept graph, decoded."""
    repo = find_spec_repo(root)
    cached = cache._read_header(repo, True)
    assert cached is not None, "no graph kept"
    read = cache._read_graph(cached, with_index=True)
    assert read is not None and read[2] is not None
    graph, baselines, index = read
    whole = graph.loaded()
    return {
        "state": cached.state.plain(),
        "nodes": dict(whole.nodes), "succ": dict(whole.succ), "pred": dict(whole.pred),
        "facts": graph.plain_facts(), "parents": graph.plain_parents(),
        "baselines": [cache.baseline_facts(b) for b in baselines], "index": index.as_plain(),
    }


def test_cold_answers_and_what_they_keep_equal_plain_ones(bulk_demo: Path, tmp_path: Path, run_in_process: Any) -> None:
    forked = cold_copy(bulk_demo, tmp_path / "forked")
    plain_trace = run_in_process("trace", "REQ-5", "--format", "json", cwd=forked, env={"REQTRACE_NO_CACHE": "1"})
    assert not cache.graph_is_kept(find_spec_repo(forked))  # the plain way keeps no graph
    # Real processes, as a user runs them: one thread, two cores asked for, over MIN_ITEMS
    # files. A cold trace walks REQ-5's history in a child and keeps it; its walk fans out
    # over parent links: it reads the requirement files and keeps its answer, not a graph.
    trace = run_reqtrace("trace", "REQ-5", "--format", "json", cwd=forked, env={"REQTRACE_JOBS": "2"})
    assert trace.exit_code == 0, trace.stderr
    assert json.loads(trace.stdout) == json.loads(plain_trace.stdout)
    story = json.loads(trace.stdout)
    assert len(story["downstream"]) == BULK and any(entry["relation"] == "changed" for entry in story["timeline"])
    assert list((forked / ".git" / "reqtrace" / "text-changes").iterdir())
    assert not cache.graph_is_kept(find_spec_repo(forked))
    # A cold impact of REQ-5 reads every descendant's links: the whole graph, kept by a child.
    impact = run_reqtrace("impact", "REQ-5", "--format", "json", cwd=forked, env={"REQTRACE_JOBS": "2"})
    assert impact.exit_code == 0, impact.stderr

    # The child's graph is whole and current: the next question reads it as it is (past
    # trace's kept answer, which would answer without reading the graph) ...
    warm = run_in_process("--debug", "trace", "REQ-5", "--format", "json", cwd=forked, env={"REQTRACE_NO_KEPT_ANSWERS": "1"})
    assert "graph: cached" in warm.stderr
    assert json.loads(warm.stdout) == json.loads(plain_trace.stdout)
    # ... and holds what an entry written in the process holds.
    inline = cold_copy(bulk_demo, tmp_path / "inline")
    written_here = run_in_process("impact", "REQ-5", "--format", "json", cwd=inline, env={"REQTRACE_JOBS": "1"})
    assert written_here.stdout == impact.stdout
    assert _kept_graph(forked) == _kept_graph(inline)

    # A cold status answers from the snapshot alone: a child builds the graph from it and
    # keeps it (what a trace keeps), another keeps the approvals from the first signed
    # baseline to the accepted one.
    fresh = cold_copy(bulk_demo, tmp_path / "status")
    status = run_reqtrace("status", "--format", "json", cwd=fresh, env={"REQTRACE_JOBS": "2"})
    assert status.exit_code == 0, status.stderr
    # Its approval diffs keep no parse of a baseline's files (their approvals are kept): the
    # parse folder holds the snapshot's pack alone.
    assert [entry.suffix for entry in (fresh / ".git" / "reqtrace" / "parse").iterdir()] == [".idx"]
    plain = run_in_process("status", "--format", "json", cwd=fresh, env={"REQTRACE_NO_CACHE": "1"})
    assert status.stdout == plain.stdout
    assert json.loads(status.stdout)["accepted_without_approval"] is not None
    assert _kept_graph(fresh) == _kept_graph(inline)
    after_status = run_in_process("--debug", "trace", "REQ-5", "--format", "json", cwd=fresh)
    assert "graph: cached" in after_status.stderr
    assert json.loads(after_status.stdout) == json.loads(plain_trace.stdout)


def test_fork_beside_runs_the_work_in_a_child_and_waits_for_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    said = tmp_path / "pid"

    def work() -> None:
        said.write_text(str(os.getpid()))

    monkeypatch.setattr(fork_map, "can_fork", lambda items: True)
    wait = fork_map.fork_beside(work, items=fork_map.MIN_ITEMS)
    wait()
    assert said.read_text() != str(os.getpid())  # done by another process, finished when wait returns
    wait()  # a second wait is harmless

    said.unlink()
    monkeypatch.setattr(fork_map, "can_fork", lambda items: False)
    wait = fork_map.fork_beside(work, items=fork_map.MIN_ITEMS)
    assert said.read_text() == str(os.getpid())  # no fork: done here, before fork_beside returns
    wait()
