"""`status` keeps its whole answer for the spec files' state and today (graph/status.py
`kept_status`), beside the inputs it is computed from.

Every answer read back is compared with `status` computed without any cache
(REQTRACE_NO_CACHE), in JSON and as text, also after each input it depends on
changes: a requirement edited, a request approving it, a commit, another day, a
baseline tag deleted, `--rev`; and a damaged or planted entry is no answer.
"""

from __future__ import annotations

import json

import pytest

from conftest import cold_copy, copy_demo, git
from reqtrace.core import cachestore
from reqtrace.core.config import find_spec_repo
from reqtrace.graph import status as status_module
from reqtrace.graph.cache import target_of


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory, demo_build, build_env):
    return copy_demo(demo_build, tmp_path_factory.mktemp("kept-status") / "demo")


@pytest.fixture
def demo(demo_source, tmp_path):
    return cold_copy(demo_source, tmp_path / "demo")


def kept_entries(root):
    folder = root / ".git" / "reqtrace" / status_module.ANSWER_KIND
    return sorted(folder.iterdir()) if folder.is_dir() else []


def outcome(run_in_process, root, *args, **env):
    result = run_in_process("status", *args, cwd=root, env={"COLUMNS": "120", **env})
    return result.exit_code, result.stdout, result.stderr


def assert_kept_is_plain(run_in_process, root, *args, **env):
    """The first run keeps (or reads), the second reads: both give what status gives
    without caches, in JSON and as text."""
    for shape in (("--format", "json"), ()):
        plain = outcome(run_in_process, root, *args, *shape, REQTRACE_NO_CACHE="1", **env)
        assert plain[0] in (0, 1), plain
        assert outcome(run_in_process, root, *args, *shape, **env) == plain
        assert outcome(run_in_process, root, *args, *shape, **env) == plain
    return json.loads(outcome(run_in_process, root, *args, "--format", "json", **env)[1])


def test_the_kept_answer_follows_every_input(demo, run_in_process):
    first = assert_kept_is_plain(run_in_process, demo)
    assert len(kept_entries(demo)) == 1
    spec = next(demo.joinpath("specs").rglob("REQ-6.yaml"))
    spec.write_text(spec.read_text(encoding="utf-8").replace("title: ", "title: Edited ", 1), encoding="utf-8")
    edited = assert_kept_is_plain(run_in_process, demo)
    assert edited["drift"]["unapproved"] == first["drift"]["unapproved"] + 1
    (demo / "records" / "requests" / "RQ-99.yaml").write_text(
        "id: RQ-99\nreceived: 2026-07-01\nfrom: Someone\ntitle: Change REQ-6\naffects: [REQ-6]\n"
        "decision:\n  status: approved\n  by: Li Wei\n  on: 2026-07-02\n", encoding="utf-8")
    approved = assert_kept_is_plain(run_in_process, demo)
    assert approved["counts"]["requests"] == first["counts"]["requests"] + 1
    git(demo, "add", "-A")
    git(demo, "commit", "-qm", "REQ-6 edited and approved")
    assert assert_kept_is_plain(run_in_process, demo)["drift"]["unapproved"] == first["drift"]["unapproved"]
    assert_kept_is_plain(run_in_process, demo, SOURCE_DATE_EPOCH="1767225600")  # 2026-01-01: before the approval
    assert_kept_is_plain(run_in_process, demo, "--rev", "HEAD~1")
    git(demo, "tag", "-d", "baseline/delivery-v1.0")
    for shape in (("--format", "json"), ()):
        plain = outcome(run_in_process, demo, *shape, REQTRACE_NO_CACHE="1")
        assert outcome(run_in_process, demo, *shape) == plain
        assert outcome(run_in_process, demo, *shape) == plain


def test_a_damaged_or_planted_entry_is_no_answer(demo, run_in_process):
    plain = assert_kept_is_plain(run_in_process, demo)
    (entry,) = kept_entries(demo)
    raw = entry.read_bytes()
    entry.write_bytes(raw.replace(b'"requests"', b'"requestz"', 1))
    assert json.loads(outcome(run_in_process, demo, "--format", "json")[1]) == plain
    (entry,) = kept_entries(demo)
    assert entry.read_bytes() == raw, "the damaged entry was replaced by the answer"
    repo = find_spec_repo(demo)
    content = status_module._content_of(target_of(repo, None).state)
    assert cachestore.entry_name(status_module.ANSWER_KIND, content) == entry.name
    wrong_keys = {key: value for key, value in plain.items() if key not in ("schema_version", "ok", "tests")}
    wrong_type = {**{key: plain[key] for key in status_module._ANSWER_TYPES}, "counts": []}
    wrong_row = {**{key: plain[key] for key in status_module._ANSWER_TYPES}, "most_changed": ["REQ-1"]}
    for planted in (None, [], {"drift": None}, wrong_keys, wrong_type, wrong_row):
        cachestore.store(demo, status_module.ANSWER_KIND, content, planted)
        assert json.loads(outcome(run_in_process, demo, "--format", "json")[1]) == plain


def test_the_answer_is_kept_as_json_writes_it(demo, run_in_process):
    """The kept answer is the JSON `status --format json` writes (after schema_version and
    ok), written again as it is; kept in another form, or of another shape, it is read
    through its data or not at all."""
    from reqtrace.cli import output

    plain = {shape: outcome(run_in_process, demo, *shape, REQTRACE_NO_CACHE="1") for shape in (("--format", "json"), ())}
    assert outcome(run_in_process, demo, "--format", "json") == plain[("--format", "json")]
    repo = find_spec_repo(demo)
    state = target_of(repo, None).state
    content = status_module._content_of(state)
    data, text = cachestore.load_text(demo, status_module.ANSWER_KIND, content, status_module._answer_of)
    assert text == output.json_body(data) == status_module.kept_status_body(repo, state)
    assert json.loads(plain[("--format", "json")][1]) == {"schema_version": json.loads(plain[("--format", "json")][1])["schema_version"], "ok": True, **data}
    cachestore.store(demo, status_module.ANSWER_KIND, content, data)  # compact JSON: read through its data
    assert status_module.kept_status_body(repo, state) is None
    for shape, expected in plain.items():
        assert outcome(run_in_process, demo, *shape) == expected
    cachestore.store_text(demo, status_module.ANSWER_KIND, content, '{\n  "counts": 1\n}')
    assert status_module.kept_status_body(repo, state) is None
    assert outcome(run_in_process, demo, "--format", "json") == plain[("--format", "json")]
