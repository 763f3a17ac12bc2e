"""`impact` keeps its whole answer for the spec files' state (graph/trace.py `kept_impact`).

Every answer read back is compared with `impact` computed without any cache
(REQTRACE_NO_CACHE), in JSON and as text, also after what it depends on changes:
a requirement edited and moved under another parent, a request opened on it, a
commit, `--rev`, a baseline tag deleted; and a damaged or planted entry is no answer.
"""

from __future__ import annotations

import json

import pytest

from conftest import cold_copy, copy_demo, git
from reqtrace.cli import output
from reqtrace.core import cachestore
from reqtrace.core.config import find_spec_repo
from reqtrace.graph import trace as trace_module
from reqtrace.graph.cache import target_of


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory, demo_build, build_env):
    return copy_demo(demo_build, tmp_path_factory.mktemp("kept-impact") / "demo")


@pytest.fixture
def demo(demo_source, tmp_path):
    return cold_copy(demo_source, tmp_path / "demo")


def kept_entries(root):
    folder = root / ".git" / "reqtrace" / trace_module.IMPACT_KIND
    return sorted(folder.iterdir()) if folder.is_dir() else []


def outcome(run_in_process, root, *args, **env):
    result = run_in_process("impact", *args, cwd=root, env={"COLUMNS": "120", **env})
    return result.exit_code, result.stdout, result.stderr


def assert_kept_is_plain(run_in_process, root, *args, **env):
    for shape in (("--format", "json"), ()):
        plain = outcome(run_in_process, root, *args, *shape, REQTRACE_NO_CACHE="1", **env)
        assert outcome(run_in_process, root, *args, *shape, **env) == plain
        assert outcome(run_in_process, root, *args, *shape, **env) == plain
    return json.loads(outcome(run_in_process, root, *args, "--format", "json", **env)[1])


def test_the_kept_answer_follows_its_inputs(demo, run_in_process):
    first = assert_kept_is_plain(run_in_process, demo, "REQ-1")
    assert first["counts"]["descendants"] > 0 and len(kept_entries(demo)) == 1
    assert_kept_is_plain(run_in_process, demo, "REQ-6")
    # REQ-6 edited and moved under REQ-1: both answers change.
    spec = next(demo.joinpath("specs").rglob("REQ-6.yaml"))
    text = spec.read_text(encoding="utf-8").replace("title: ", "title: Edited ", 1)
    spec.write_text(text, encoding="utf-8")
    edited = assert_kept_is_plain(run_in_process, demo, "REQ-1")
    assert edited != first or "REQ-6" not in [row["id"] for row in first["descendants"]]
    (demo / "records" / "requests" / "RQ-99.yaml").write_text(
        "id: RQ-99\nreceived: 2026-07-01\nfrom: Someone\ntitle: Change REQ-1\naffects: [REQ-1]\n", encoding="utf-8")
    opened = assert_kept_is_plain(run_in_process, demo, "REQ-1")
    assert "RQ-99" in [row["id"] for row in opened["open_requests"]]
    git(demo, "add", "-A")
    git(demo, "commit", "-qm", "REQ-6 edited, a request on REQ-1")
    assert assert_kept_is_plain(run_in_process, demo, "REQ-1")["open_requests"] == opened["open_requests"]
    assert_kept_is_plain(run_in_process, demo, "REQ-1", "--rev", "HEAD~1")
    git(demo, "tag", "-d", "baseline/delivery-v1.0")
    assert_kept_is_plain(run_in_process, demo, "REQ-1")
    # What is no answer is not kept: an unknown id, a record's id.
    assert outcome(run_in_process, demo, "REQ-404")[0] == outcome(run_in_process, demo, "REQ-404", REQTRACE_NO_CACHE="1")[0] != 0
    assert outcome(run_in_process, demo, "RQ-99") == outcome(run_in_process, demo, "RQ-99", REQTRACE_NO_CACHE="1")


def test_a_damaged_or_planted_entry_is_no_answer(demo, run_in_process):
    plain = assert_kept_is_plain(run_in_process, demo, "REQ-1")
    (entry,) = kept_entries(demo)
    raw = entry.read_bytes()
    entry.write_bytes(raw.replace(b'"REQ-', b'"REQ_', 1))
    assert json.loads(outcome(run_in_process, demo, "REQ-1", "--format", "json")[1]) == plain
    (entry,) = kept_entries(demo)
    assert entry.read_bytes() == raw, "the damaged entry was replaced by the answer"
    content = trace_module._impact_content(target_of(find_spec_repo(demo), None).state, "REQ-1")
    assert cachestore.entry_name(trace_module.IMPACT_KIND, content) == entry.name
    # Kept as --format json writes it (no indenting again), and read back only with the
    # revision asked about, every key in its place and counts that are its rows'.
    body = {key: value for key, value in plain.items() if key not in ("schema_version", "ok")}
    assert trace_module.kept_impact_body(find_spec_repo(demo), target_of(find_spec_repo(demo), None).state, "REQ-1") == output.json_body(body)
    wrong_counts = {**body, "counts": {**body["counts"], "descendants": body["counts"]["descendants"] + 1}}
    reordered = dict(reversed(list(body.items())))
    for planted in (None, {}, ["REQ-1", "T", [], [], [], []], {**body, "rev": "0" * 40}, wrong_counts, reordered, {**body, "descendants": ["REQ-2"]}):
        cachestore.store(demo, trace_module.IMPACT_KIND, content, planted)
        assert json.loads(outcome(run_in_process, demo, "REQ-1", "--format", "json")[1]) == plain
    assert outcome(run_in_process, demo, "REQ-1") == outcome(run_in_process, demo, "REQ-1", REQTRACE_NO_CACHE="1")
