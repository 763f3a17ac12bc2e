"""`diff` keeps its whole answer for the inputs it was computed from (changes/kept_diff.py).

Every answer read back is compared with `diff` computed without any cache
(REQTRACE_NO_CACHE), in JSON and as text, also after each input it depends on
changes: a requirement edited, a request approving it, a commit, another day,
a baseline tag deleted, the white-space mode; and a damaged or planted entry is
no answer.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from conftest import cold_copy, copy_demo, git
from reqtrace.changes import diff_key as key_module
from reqtrace.changes import kept_diff as kept_module
from reqtrace.changes.diff import diff_revisions
from reqtrace.core import cachestore
from reqtrace.core.config import find_spec_repo


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory, demo_build, build_env):
    return copy_demo(demo_build, tmp_path_factory.mktemp("kept-diff") / "demo")


@pytest.fixture
def demo(demo_source, tmp_path):
    return cold_copy(demo_source, tmp_path / "demo")


def kept_entries(root):
    folder = root / ".git" / "reqtrace" / kept_module.KIND
    return sorted(folder.iterdir()) if folder.is_dir() else []


def answer(run_in_process, root, *args, **env):
    result = run_in_process("diff", *args, cwd=root, env={"COLUMNS": "120", **env})
    assert result.exit_code in (0, 1), result.stderr
    return result.exit_code, result.stdout


def assert_kept_is_plain(run_in_process, root, *args, **env):
    """The first run keeps (or reads), the second reads: both equal the answer without caches,
    in JSON and as text."""
    for shape in (("--format", "json"), ()):
        plain = answer(run_in_process, root, *args, *shape, REQTRACE_NO_CACHE="1", **env)
        assert answer(run_in_process, root, *args, *shape, **env) == plain
        assert answer(run_in_process, root, *args, *shape, **env) == plain
    return json.loads(answer(run_in_process, root, *args, "--format", "json", **env)[1])


def assert_same_outcome(run_in_process, root, *args):
    """The same exit code, stdout and stderr with kept answers as without (an error too)."""
    for shape in (("--format", "json"), ()):
        plain = run_in_process("diff", *args, *shape, cwd=root, env={"REQTRACE_NO_CACHE": "1", "COLUMNS": "120"})
        for _ in range(2):
            kept = run_in_process("diff", *args, *shape, cwd=root, env={"COLUMNS": "120"})
            assert (kept.exit_code, kept.stdout, kept.stderr) == (plain.exit_code, plain.stdout, plain.stderr)
    return plain


def test_kept_answers_follow_every_input(demo, run_in_process):
    first = assert_kept_is_plain(run_in_process, demo)
    assert kept_entries(demo), "the answer was kept"
    kept = len(kept_entries(demo))
    assert assert_kept_is_plain(run_in_process, demo) == first
    assert len(kept_entries(demo)) == kept, "the second run read what the first kept"
    # A requirement edited in the working tree: another state, another answer.
    spec = next(demo.joinpath("specs").rglob("REQ-6.yaml"))
    spec.write_text(spec.read_text(encoding="utf-8").replace("title: ", "title: Edited ", 1), encoding="utf-8")
    edited = assert_kept_is_plain(run_in_process, demo)
    assert "REQ-6" in [change["id"] for change in edited["changes"] if not change["approved"]]
    # A request approving it, not yet committed, then committed: HEAD moves.
    (demo / "records" / "requests" / "RQ-99.yaml").write_text(
        "id: RQ-99\nreceived: 2026-07-01\nfrom: Someone\ntitle: Change REQ-6\naffects: [REQ-6]\n"
        "decision:\n  status: approved\n  by: Li Wei\n  on: 2026-07-02\n", encoding="utf-8")
    approved = assert_kept_is_plain(run_in_process, demo)
    assert "REQ-6" in [change["id"] for change in approved["changes"] if change["approved"]]
    git(demo, "add", "-A")
    git(demo, "commit", "-qm", "REQ-6 edited and approved")
    assert assert_kept_is_plain(run_in_process, demo)["changes"] == approved["changes"]
    # Another day: the approval is compared with today, and 2026-01-01 is before it.
    earlier = assert_kept_is_plain(run_in_process, demo, SOURCE_DATE_EPOCH="1767225600")
    assert "REQ-6" in [change["id"] for change in earlier["changes"] if not change["approved"]]
    # Named ends: a baseline to the working tree, and two commits.
    assert_kept_is_plain(run_in_process, demo, "contract-v1.0")
    assert_kept_is_plain(run_in_process, demo, "contract-v1.0", "delivery-v1.0")
    assert_kept_is_plain(run_in_process, demo, "contract-v1.0", "--whitespace", "exact")
    # The accepted baseline's sign-offs deleted in the working tree (an error: a sign-off is
    # never deleted), then put back: the default FROM is chosen again each time.
    signoffs = sorted((demo / "baselines" / "delivery-v1.0" / "signoffs").iterdir())
    kept_aside = {path: path.read_bytes() for path in signoffs}
    for path in signoffs:
        path.unlink()
    assert assert_same_outcome(run_in_process, demo).exit_code == 3
    for path, data in kept_aside.items():
        path.write_bytes(data)
    assert assert_kept_is_plain(run_in_process, demo)["from"] == first["from"]
    # The accepted baseline's tag deleted: FROM is chosen again, from what is left.
    git(demo, "tag", "-d", "baseline/delivery-v1.0")
    assert_same_outcome(run_in_process, demo)
    # A branch moved to another commit is another answer.
    git(demo, "branch", "-f", "moving", "HEAD~1")
    assert_kept_is_plain(run_in_process, demo, "contract-v1.0", "moving")
    git(demo, "branch", "-f", "moving", "HEAD")
    assert_kept_is_plain(run_in_process, demo, "contract-v1.0", "moving")


def without_json_answers(root):
    """The JSON answers kept whole removed, so that a JSON run reads the kept result."""
    for path in (root / ".git" / "reqtrace" / key_module.JSON_KIND).glob("*"):
        path.unlink()


def test_a_damaged_or_planted_entry_is_no_answer(demo, run_in_process):
    plain = assert_kept_is_plain(run_in_process, demo)
    (entry,) = kept_entries(demo)
    raw = entry.read_bytes()
    entry.write_bytes(raw.replace(b'"approved"', b'"approvad"', 1))
    without_json_answers(demo)
    assert answer(run_in_process, demo, "--format", "json") == answer(run_in_process, demo, "--format", "json", REQTRACE_NO_CACHE="1")
    (entry,) = kept_entries(demo)
    assert entry.read_bytes() == raw, "the damaged entry was replaced by the answer"
    content = _content_id(demo)
    # Entries of the right seal but the wrong shape, under the real entry's name.
    for planted in (None, [], ["c", "DiffResult"], ["c", "Path", "x"], ["x", 1], {"changes": []},
                    ["c", "Side", "a", None, "2026-01-01"], ["l", ["c", "Finding", "a", "b", "c", None, None, None]],
                    ["d", [["l"], 1]], _nested(700)):
        cachestore.store(demo, kept_module.KIND, content, planted)
        without_json_answers(demo)
        assert json.loads(answer(run_in_process, demo, "--format", "json")[1]) == plain


def test_the_json_answer_kept_as_written(demo, run_in_process, run_cli):
    """`diff --format json` keeps the answer it writes and writes it again as it is: the
    same bytes as without caches, also with a gate, with ASCII-only output, and after a
    damaged or planted answer."""
    args = ("contract-v1.0", "--format", "json")
    plain = answer(run_in_process, demo, *args, REQTRACE_NO_CACHE="1")
    assert answer(run_in_process, demo, *args) == plain
    (kept,) = (demo / ".git" / "reqtrace" / key_module.JSON_KIND).glob("*")
    body = kept.read_bytes()
    assert answer(run_in_process, demo, *args) == plain and kept.read_bytes() == body
    # --fail-on decides `ok` from the result; the kept body says nothing of it.
    assert answer(run_in_process, demo, *args, "--fail-on", "any") == answer(run_in_process, demo, *args, "--fail-on", "any", REQTRACE_NO_CACHE="1")
    ascii_plain = run_cli("diff", *args, cwd=demo, env={"PYTHONIOENCODING": "ascii", "REQTRACE_NO_CACHE": "1"})
    assert ascii_plain.stdout.isascii() and run_cli("diff", *args, cwd=demo, env={"PYTHONIOENCODING": "ascii"}).stdout == ascii_plain.stdout
    kept.write_bytes(body.replace(b'"from"', b'"frum"', 1))
    assert answer(run_in_process, demo, *args) == plain
    assert kept.read_bytes() == body, "the damaged answer was replaced"
    repo = find_spec_repo(demo)
    key = key_module.diff_key(repo, "contract-v1.0", "WORKTREE", "collapse")
    payload = cachestore.load_bytes(demo, key_module.JSON_KIND, key.content)
    assert payload is not None and key_module.kept_json(repo, key) == payload.decode("utf-8")
    assert json.loads(plain[1]) == {"schema_version": json.loads(plain[1])["schema_version"], "ok": True, **json.loads(payload)}
    # Sealed, but not the JSON answer of a diff.
    for planted in (b"[]", b"{}", b'{\n  "from": 1\n}', b'{"from": {}, "to": {}, "summary": {}, "changes": []}',
                    b'{\n  "schema_version": 2,\n  "from": {},\n  "to": {},\n  "summary": {},\n  "changes": []\n}', b"\xff" + payload):
        cachestore.store_bytes(demo, key_module.JSON_KIND, key.content, planted)
        assert key_module.kept_json(repo, key) is None
        assert answer(run_in_process, demo, *args) == plain


def _nested(depth):
    value: list = ["t"]
    for _ in range(depth):
        value = ["t", value]
    return value


def _content_id(root):
    repo = find_spec_repo(root)
    content, _, _ = key_module._content_id(repo, None, "WORKTREE", "collapse")
    assert content is not None
    (entry,) = kept_entries(root)
    assert cachestore.entry_name(kept_module.KIND, content) == entry.name
    return content


def test_the_encoding_gives_back_the_same_result(demo):
    repo = find_spec_repo(demo)
    result = diff_revisions(repo, "contract-v1.0", "WORKTREE")
    assert result.changes
    back = kept_module._result_of(json.loads(json.dumps(kept_module._encode(result))))
    assert back == result
    # What equality leaves out: the requirements at each end, and the types of every value.
    for old, new in zip(result.changes, back.changes, strict=True):
        assert (old.before, old.after) == (new.before, new.after)
        assert repr(old) == repr(new)
    assert repr(back) == repr(result)


def test_a_value_it_cannot_encode_is_not_kept():
    with pytest.raises(kept_module._NotKeepable):
        kept_module._encode({"when": dt.date(2026, 1, 1)})
    with pytest.raises(kept_module._NotKeepable):
        kept_module._encode({1, 2})
