"""The baselines' verdict and the drift gate's searches kept by a forked child while a cold
`check` parses (checks/check.py `start_baseline_work`).

Every answer must be the plain one: a cold `check` (working tree and `--rev HEAD`) whose
parent takes the verdict and the id searches from what the child kept gives byte for byte
what `check` gives with one process and nothing kept; so it does with a tampered manifest
and sign-off, when the files change after the child kept its results, and when the child
fails. The demo is small: forking is allowed for it as for 10,000 requirements.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from conftest import cold_copy, demo_edited_after_delivery, requirement_yaml
from reqtrace.baselines import verify
from reqtrace.changes import diff, id_search
from reqtrace.checks import check, kept_check
from reqtrace.core import parse_cache, snapshot
from reqtrace.core.config import find_spec_repo
from reqtrace.core.digest import stashed_digest
from reqtrace.core.snapshot import resolve_revision
from reqtrace.io import fork_map

CHECK = ("check", "--format", "json")


@pytest.fixture(scope="module")
def scenario(tmp_path_factory, demo_build, build_env) -> Path:  # type: ignore[no-untyped-def]
    """The demo with drift since its accepted baseline: REQ-5 edited and a requirement added
    (committed; its id is searched for elsewhere), and REQ-3 edited in the working tree."""
    import subprocess

    root = demo_edited_after_delivery(demo_build, tmp_path_factory.mktemp("beside") / "demo", "Edited after delivery.")
    folder = next(root.joinpath("specs").rglob("REQ-5.yaml")).parent
    (folder / "REQ-900.yaml").write_text(requirement_yaml("REQ-900", "Added after delivery"), encoding="utf-8")
    subprocess.run(["git", "add", "-A"], cwd=root, check=True, capture_output=True)
    subprocess.run(["git", "commit", "-qm", "REQ-900 added"], cwd=root, check=True, capture_output=True)
    edited = next(root.joinpath("specs").rglob("REQ-3.yaml"))
    edited.write_text(edited.read_text(encoding="utf-8").replace("statement: ", "statement: Edited in the working tree. ", 1), encoding="utf-8")
    shutil.rmtree(root / ".git" / "reqtrace", ignore_errors=True)
    return root


def _as_a_new_process() -> None:
    parse_cache._HELD.clear()
    snapshot._SHARED_PACKS.clear()
    snapshot._parse_pack.cache_clear()
    id_search._KEPT_TREES.clear()
    id_search._KEPT_BLOBS.clear()
    id_search._KEPT_BYTES[0] = 0


@pytest.fixture
def parent_work(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often this process (not the child) verified the baselines and scanned a commit for ids."""
    counts = {"verdicts": 0, "scans": 0, "drifts": 0}
    plain_verdict, scan, drift = verify._plain_verdict, id_search._ScanAtCommit.result, diff.drift_findings

    def counted_drift(*args, **kwargs):  # type: ignore[no-untyped-def]
        counts["drifts"] += 1
        return drift(*args, **kwargs)

    def counted_verdict(*args, **kwargs):  # type: ignore[no-untyped-def]
        counts["verdicts"] += 1
        return plain_verdict(*args, **kwargs)

    def counted_scan(self):  # type: ignore[no-untyped-def]
        counts["scans"] += 1
        return scan(self)

    monkeypatch.setattr(verify, "_plain_verdict", counted_verdict)
    monkeypatch.setattr(id_search._ScanAtCommit, "result", counted_scan)
    monkeypatch.setattr(diff, "drift_findings", counted_drift)
    return counts


def _plain(run_in_process, root: Path, *args: str):  # type: ignore[no-untyped-def]
    """`args` in a cold copy of `root` of its own, on one process (no child) with nothing kept."""
    plain_root = cold_copy(root, root.with_name(root.name + "-plain"))
    _as_a_new_process()
    answer = run_in_process(*args, cwd=plain_root, env={"REQTRACE_NO_CACHE": "1", "REQTRACE_JOBS": "1"})
    _as_a_new_process()
    shutil.rmtree(plain_root)
    return answer


def _beside(run_in_process, root: Path, monkeypatch: pytest.MonkeyPatch, *args: str):  # type: ignore[no-untyped-def]
    """`args` cold in `root`, the child allowed to fork as it would for a large repo."""
    shutil.rmtree(root / ".git" / "reqtrace", ignore_errors=True)
    _as_a_new_process()
    with monkeypatch.context() as patch:
        patch.setattr(fork_map, "MIN_ITEMS", 1)
        # Files copied or edited a moment ago are described by their bytes only after 2 s;
        # here none is so new that an edit could keep its times (each edit changes its size).
        patch.setattr(check, "FRESH_NS", 0)
        return run_in_process(*args, cwd=root, env={"REQTRACE_JOBS": "2"})


@pytest.mark.skipif(sys.platform != "linux", reason="forks on Linux only")
def test_cold_check_from_the_childs_verdict_and_searches_equals_the_plain_check(scenario, tmp_path, run_in_process, monkeypatch, parent_work) -> None:
    root = cold_copy(scenario, tmp_path / "demo")
    repo = find_spec_repo(root)
    # Files are described by their times, however new: the key listed after the parse
    # (kept_check.check_key(read_since=…)) is then the one a later listing makes.
    monkeypatch.setattr(kept_check, "FRESH_NS", 0)
    asked = _counted_verdict_contents(monkeypatch)
    plains = {}
    for args in (CHECK, (*CHECK, "--rev", "HEAD")):
        plain = plains[args] = _plain(run_in_process, root, *args)
        assert plain.exit_code == 0 and "unapproved-change" in plain.stdout and "REQ-900" in plain.stdout
        parent_work.update(verdicts=0, scans=0, drifts=0)
        asked.clear()
        cold = _beside(run_in_process, root, monkeypatch, *args)
        assert (cold.exit_code, cold.stdout, cold.stderr) == (plain.exit_code, plain.stdout, plain.stderr)
        # The parent verified nothing, scanned no commit and diffed nothing: the child had kept
        # the verdict and the whole drift gate.
        assert parent_work == {"verdicts": 0, "scans": 0, "drifts": 0}, args
        # No verdict kept (a fresh clone): the child worked out the verdict's content id (and
        # handed it up for the key at a commit), the parent only after the parse, for the
        # verdict it reads (RT-262).
        assert len(asked) == 1, args
        # Nor digested the requirements beside its parse (nothing read those digests): the
        # parse pack it wrote holds none, and later commands compute them when they ask.
        pack = parse_cache.PackedParseCache.for_git(repo.git_top)
        read = snapshot.load_snapshot(repo, resolve_revision(repo, "HEAD") if "--rev" in args else None, cache=pack)
        assert pack.misses == 0 and read.requirements
        assert not any(stashed_digest(requirement) for requirement in read.requirements.values()), args
        # The report was kept under the key listed after the parse: the next check reads it.
        key = kept_check.check_key(repo, resolve_revision(repo, "HEAD") if "--rev" in args else None, strict=False, drift=None)
        kept = kept_check.load_report(key, False) if key is not None else None
        assert kept is not None and [finding.as_dict() for finding in kept.findings] == json.loads(plain.stdout)["findings"], args
    # Only where it is worth it: at the default threshold the demo's few manifest rows fork nothing.
    shutil.rmtree(root / ".git" / "reqtrace")
    _as_a_new_process()
    parent_work.update(verdicts=0, scans=0, drifts=0)
    assert run_in_process(*CHECK, cwd=root, env={"REQTRACE_JOBS": "2"}).stdout == plains[CHECK].stdout
    assert parent_work["verdicts"] == 1 and parent_work["scans"] >= 1
    # Once any verdict is kept (here an older code's), the parent works out the content id
    # before the fork, as it must to know whether the child is needed: the same answer.
    shutil.rmtree(root / ".git" / "reqtrace")
    older = root / ".git" / "reqtrace" / verify.VERDICT_KIND / ("0123456789abcdef-" + "0" * 64 + ".json")
    older.parent.mkdir(parents=True)
    older.write_text("{}", encoding="utf-8")
    asked.clear()
    parent_work.update(verdicts=0, scans=0, drifts=0)
    with monkeypatch.context() as patch:
        patch.setattr(fork_map, "MIN_ITEMS", 1)
        patch.setattr(check, "FRESH_NS", 0)
        _as_a_new_process()
        assert run_in_process(*CHECK, cwd=root, env={"REQTRACE_JOBS": "2"}).stdout == plains[CHECK].stdout
    assert len(asked) == 2 and parent_work == {"verdicts": 0, "scans": 0, "drifts": 0}


def _counted_verdict_contents(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The commits this process (not a child) worked out the verdict's content id for."""
    asked: list[str | None] = []
    content = verify.verdict_content

    def counted(repo, commit):  # type: ignore[no-untyped-def]
        asked.append(commit)
        return content(repo, commit)

    monkeypatch.setattr(verify, "verdict_content", counted)
    monkeypatch.setattr(kept_check, "verdict_content", counted)  # the check's key
    return asked


def _tamper(root: Path) -> None:
    """A digest changed in the accepted baseline's manifest, a meaning changed in a sign-off."""
    manifest = root / "baselines" / "delivery-v1.0" / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8")
    at = text.index("digest: sha256:") + len("digest: sha256:")
    manifest.write_text(text[:at] + ("0" if text[at] != "0" else "1") + text[at + 1 :], encoding="utf-8")
    signoff = sorted((root / "baselines" / "contract-v1.0" / "signoffs").glob("*.yaml"))[0]
    signoff.write_text(signoff.read_text(encoding="utf-8").replace("\nmeaning: approved\n", "\nmeaning: accepted\n"), encoding="utf-8")


def test_tampered_baselines_and_files_changed_after_the_child(scenario, tmp_path, run_in_process, monkeypatch, parent_work) -> None:
    root = cold_copy(scenario, tmp_path / "demo")
    _tamper(root)
    plain = _plain(run_in_process, root, *CHECK)
    assert plain.exit_code == 1 and "baseline-tampered" in plain.stdout and "signature-invalid" in plain.stdout
    parent_work.update(verdicts=0, scans=0, drifts=0)
    cold = _beside(run_in_process, root, monkeypatch, *CHECK)
    assert (cold.exit_code, cold.stdout) == (plain.exit_code, plain.stdout)
    assert parent_work["verdicts"] == 0
    tampered = cold.stdout

    # The child keeps its results, then the manifest is edited back and a requirement changed
    # again before the parse: the parent's content ids differ, and it computes what it must.
    started = check.start_baseline_work

    def child_then_edits(repo, commit, drift, verdict, answer=None, **how):  # type: ignore[no-untyped-def]
        wait = started(repo, commit, drift, verdict, answer, **how)
        assert wait is not None
        wait()
        cold_copy(scenario, tmp_path / "fresh")
        shutil.copy(tmp_path / "fresh" / "baselines" / "delivery-v1.0" / "manifest.yaml", root / "baselines" / "delivery-v1.0" / "manifest.yaml")
        added = next(root.joinpath("specs").rglob("REQ-900.yaml"))
        added.write_text(added.read_text(encoding="utf-8").replace("Added after delivery", "Added after delivery, edited again"), encoding="utf-8")
        return wait

    monkeypatch.setattr(check, "start_baseline_work", child_then_edits)
    parent_work.update(verdicts=0, scans=0, drifts=0)
    cold = _beside(run_in_process, root, monkeypatch, *CHECK)
    monkeypatch.undo()
    # What the child kept named the manifest and REQ-900 as they were: not used.
    assert parent_work["verdicts"] == 1 and parent_work["drifts"] == 1
    plain = _plain(run_in_process, root, *CHECK)
    assert (cold.exit_code, cold.stdout) == (plain.exit_code, plain.stdout)
    assert "baseline-tampered" in tampered and "baseline-tampered" not in cold.stdout and "signature-invalid" in cold.stdout


def test_a_failed_child_leaves_the_plain_check(scenario, tmp_path, run_in_process, monkeypatch, parent_work) -> None:
    root = cold_copy(scenario, tmp_path / "demo")
    plain = _plain(run_in_process, root, *CHECK)

    def fails(*args):  # type: ignore[no-untyped-def]
        raise RuntimeError("the child broke")

    monkeypatch.setattr(check, "_baseline_work", fails)
    parent_work.update(verdicts=0, scans=0, drifts=0)
    cold = _beside(run_in_process, root, monkeypatch, *CHECK)
    assert (cold.exit_code, cold.stdout, cold.stderr) == (plain.exit_code, plain.stdout, plain.stderr)
    assert parent_work["verdicts"] == 1 and parent_work["scans"] >= 1


def test_the_drift_files_described_as_read_tell_each_later_change(scenario, tmp_path, monkeypatch) -> None:
    """The child keeps the drift gate only when the files it hashed are still those after the
    diff: each file described by the fstat of the file it read, then listed and lstat-ed again."""
    root = cold_copy(scenario, tmp_path / "demo")
    repo = find_spec_repo(root)
    monkeypatch.setattr(check, "FRESH_NS", 0)
    base = ("delivery-v1.0", "0" * 40)
    named = check._worktree_drift_content(repo, base, "warn")
    assert named is not None
    content, described = named
    # The content names every file by the blob id of its bytes, as the snapshot's reading does.
    plain = snapshot.load_snapshot(repo, None)
    assert content == check.drift_content(plain, base, "warn")
    assert check._still_described(repo, described)
    edited = next(root.joinpath("specs").rglob("REQ-3.yaml"))
    before = edited.read_bytes()
    edited.write_bytes(before.replace(b"Edited", b"edited"))  # the same size, other bytes
    assert not check._still_described(repo, described)
    assert check._worktree_drift_content(repo, base, "warn")[0] != content  # type: ignore[index]
    edited.write_bytes(before)
    again = check._worktree_drift_content(repo, base, "warn")
    assert again is not None and again[0] == content and check._still_described(repo, again[1])
    edited.with_name("notes.txt").write_text("x", encoding="utf-8")  # a file of no kind: its presence counts
    assert not check._still_described(repo, again[1])
    # Too fresh to be described by its times: nothing is named, nothing kept.
    monkeypatch.setattr(check, "FRESH_NS", 10**12)
    assert check._worktree_drift_content(repo, base, "warn") is None


def test_the_key_the_child_lists_reaches_the_parent_as_it_was_listed(scenario, tmp_path) -> None:
    """The working tree's check key, listed by the baselines' child, crosses the pipe as plain
    values: the same key on the other side; "nothing may be kept" stays that; anything else
    (no answer, a broken one, another repo's) is no answer, and the parent lists for itself."""
    repo = find_spec_repo(scenario)
    key = kept_check.check_key(repo, None, strict=False, drift=None)
    assert key is not None and key.listed
    assert kept_check.key_of_answer(repo, kept_check.key_answer(key)) == (True, key)
    assert kept_check.key_of_answer(repo, kept_check.key_answer(None)) == (True, None)
    other = find_spec_repo(cold_copy(scenario, tmp_path / "other"))
    answer = kept_check.key_answer(key)
    for broken in (None, b"", answer[:-7], b"\x00" + answer, kept_check.key_answer(kept_check.check_key(other, None, strict=False, drift=None))):
        assert kept_check.key_of_answer(repo, broken) == (False, None)
