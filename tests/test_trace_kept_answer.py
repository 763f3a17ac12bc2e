"""`trace` keeps its whole answer for the spec files' state (graph/trace.py `kept_trace`).

Every answer read back is compared with `trace` computed without any cache
(REQTRACE_NO_CACHE), in JSON and as text, also after each input it depends on
changes: a requirement edited (uncommitted, and behind git's back with
assume-unchanged), a request added, a commit (its text changes), a new baseline
tag, reqtrace.yaml's people, `--rev`; REQTRACE_NO_KEPT_ANSWERS reads the graph
instead; and a damaged or planted entry is no answer.
"""

from __future__ import annotations

import json

import pytest

from conftest import cold_copy, copy_demo, git
from reqtrace.core import cachestore
from reqtrace.core.config import find_spec_repo
from reqtrace.graph import trace as trace_module
from reqtrace.graph.cache import target_of


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory, demo_build, build_env):
    return copy_demo(demo_build, tmp_path_factory.mktemp("kept-trace") / "demo")


@pytest.fixture
def demo(demo_source, tmp_path):
    return cold_copy(demo_source, tmp_path / "demo")


def kept_entries(root):
    folder = root / ".git" / "reqtrace" / trace_module.TRACE_KIND
    return sorted(folder.iterdir()) if folder.is_dir() else []


def outcome(run_in_process, root, *args, **env):
    result = run_in_process("trace", *args, cwd=root, env={"COLUMNS": "120", **env})
    return result.exit_code, result.stdout, result.stderr


def assert_kept_is_plain(run_in_process, root, *args, text=False, **env):
    """The first run keeps (or reads), the second reads: both give what trace gives without
    caches (as text too, with `text`). The JSON answer, parsed."""
    for shape in (("--format", "json"), ()) if text else (("--format", "json"),):
        plain = outcome(run_in_process, root, *args, *shape, REQTRACE_NO_CACHE="1", **env)
        assert plain[0] == 0, plain
        assert outcome(run_in_process, root, *args, *shape, **env) == plain
        assert outcome(run_in_process, root, *args, *shape, **env) == plain
    return json.loads(plain[1]) if not text else json.loads(outcome(run_in_process, root, *args, "--format", "json", **env)[1])


def summaries(answer):
    return [entry["summary"] for entry in answer["timeline"]]


def test_the_kept_answer_follows_every_input(demo, run_in_process):
    first = assert_kept_is_plain(run_in_process, demo, "REQ-6", text=True)
    assert len(kept_entries(demo)) == 1
    root = assert_kept_is_plain(run_in_process, demo, "REQ-1")
    assert "REQ-6" in root["downstream"] and len(kept_entries(demo)) == 2
    # An uncommitted edit, then a request on it: each shows at once.
    spec = next(demo.joinpath("specs").rglob("REQ-6.yaml"))
    spec.write_text(spec.read_text(encoding="utf-8").replace("title: ", "title: Edited ", 1), encoding="utf-8")
    assert assert_kept_is_plain(run_in_process, demo, "REQ-6")["title"].startswith("Edited ")
    (demo / "records" / "requests" / "RQ-99.yaml").write_text(
        "id: RQ-99\nreceived: 2026-07-01\nfrom: Someone\ntitle: Weekend slots\naffects: [REQ-6]\n", encoding="utf-8")
    asked = assert_kept_is_plain(run_in_process, demo, "REQ-6")
    assert "RQ-99" in [entry["id"] for entry in asked["timeline"]]
    # A commit: the same files, now a change in the requirement's history.
    git(demo, "add", "-A")
    git(demo, "commit", "-qm", "REQ-6 edited, a request on it")
    committed = assert_kept_is_plain(run_in_process, demo, "REQ-6")
    assert len([e for e in committed["timeline"] if e["relation"] == "changed"]) == len([e for e in asked["timeline"] if e["relation"] == "changed"]) + 1
    # A new baseline tag holds it; reqtrace.yaml names a signer otherwise.
    git(demo, "tag", "baseline/extra-v2")
    tagged = assert_kept_is_plain(run_in_process, demo, "REQ-6")
    assert any("held by baseline extra-v2" in summary for summary in summaries(tagged))
    config = demo / "reqtrace.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("name: Chen Jing", "name: Jing Chen", 1), encoding="utf-8")
    renamed = assert_kept_is_plain(run_in_process, demo, "REQ-6", text=True)
    assert any("by Jing Chen" in summary for summary in summaries(renamed)) and not any("by Chen Jing" in summary for summary in summaries(renamed))
    assert_kept_is_plain(run_in_process, demo, "REQ-6", "--rev", "HEAD~1")
    # An edit git status does not report (assume-unchanged) still shows.
    git(demo, "update-index", "--assume-unchanged", spec.relative_to(demo).as_posix())
    spec.write_text(spec.read_text(encoding="utf-8").replace("title: Edited ", "title: Hidden ", 1), encoding="utf-8")
    assert assert_kept_is_plain(run_in_process, demo, "REQ-6")["title"].startswith("Hidden ")
    # A record's story is kept too; what is no answer (an unknown id) is not.
    assert_kept_is_plain(run_in_process, demo, "RQ-99")
    unknown = outcome(run_in_process, demo, "REQ-404")
    assert unknown[0] == 3 and unknown == outcome(run_in_process, demo, "REQ-404", REQTRACE_NO_CACHE="1")
    assert len(kept_entries(demo)) == 10
    assert first != committed


def test_the_switch_reads_the_graph(demo, run_in_process):
    plain = assert_kept_is_plain(run_in_process, demo, "REQ-6", REQTRACE_NO_SCOPED="1")  # the whole graph built, and kept
    kept = run_in_process("--debug", "trace", "REQ-6", "--format", "json", cwd=demo)
    assert "graph:" not in kept.stderr and json.loads(kept.stdout) == plain
    read = run_in_process("--debug", "trace", "REQ-6", "--format", "json", cwd=demo, env={"REQTRACE_NO_KEPT_ANSWERS": "1"})
    assert "graph: cached" in read.stderr and json.loads(read.stdout) == plain


def test_a_damaged_or_planted_entry_is_no_answer(demo, run_in_process):
    plain = assert_kept_is_plain(run_in_process, demo, "REQ-6")
    (entry,) = kept_entries(demo)
    raw = entry.read_bytes()
    entry.write_bytes(raw.replace(b'"REQ-', b'"REQ_', 1))
    assert json.loads(outcome(run_in_process, demo, "REQ-6", "--format", "json")[1]) == plain
    (entry,) = kept_entries(demo)
    assert entry.read_bytes() == raw, "the damaged entry was replaced by the answer"
    content = trace_module._trace_content(target_of(find_spec_repo(demo), None).state, "REQ-6")
    assert cachestore.entry_name(trace_module.TRACE_KIND, content) == entry.name
    row = ["2026-01-01", "X-1", "email", "mentions", "text"]
    good = ["REQ-6", "requirement", "T", "specs/x.yaml", [row], [], [], [], None]
    for planted in (None, {}, good[:8], [*good[:4], [row[:4]], *good[5:]], [*good[:5], ["REQ-1", 1], *good[6:]],
                    [*good[:7], [{"child": 1}], None], [*good[:8], {"state": "verified"}], [None, *good[1:]]):
        cachestore.store(demo, trace_module.TRACE_KIND, content, planted)
        assert json.loads(outcome(run_in_process, demo, "REQ-6", "--format", "json")[1]) == plain
    # The shape the reader accepts is the shape kept: the good row reads back as its Trace.
    cachestore.store(demo, trace_module.TRACE_KIND, content, good)
    assert trace_module.kept_trace(find_spec_repo(demo), target_of(find_spec_repo(demo), None).state, "REQ-6").timeline[0].id == "X-1"
