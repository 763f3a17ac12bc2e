"""A whole `check` kept (checks/kept_check.py): the same report as the plain check, always.

One repo is built once per module (a baseline with an SSH and a recorded
sign-off, drift since it, an e-mail with its message); each test works on a
copy and compares `check` with its kept report against `check` with
REQTRACE_NO_CACHE=1 (the plain computation), unchanged and after an input
changes: a requirement edited with its size and modification time kept, a
request approving the drift, a stale temporary file, allowed_signers, a moved
tag, reqtrace.yaml, a deleted file, a new commit under `--rev HEAD`, a damaged
entry. A kept report must never outlive what it was computed from.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import CliResult, cold_copy, git, requirement_yaml, write_files
from reqtrace.checks import kept_check
from reqtrace.core.config import find_spec_repo, parse_config

VENDOR = "Li Wei <li.wei@vendor.example>"
CUSTOMER = "Anna Schmidt <anna.schmidt@customer.example>"
JAN_10 = "1768039200"  # 2026-01-10T10:00:00Z

Runner = Callable[..., CliResult]


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory, build_env: None) -> Path:
    from reqtrace.baselines.baseline import create_baseline
    from reqtrace.baselines.signoff import sign_baseline

    folder = tmp_path_factory.mktemp("kept-check")
    root = folder / "repo"
    key = folder / "vendor"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "vendor", "-f", str(key)], check=True)
    public = " ".join(key.with_name("vendor.pub").read_text().split()[:2])
    files = {"reqtrace.yaml": "project: Kept\ncustomer: Nobody\n", ".reqtrace/allowed_signers": f'li.wei@vendor.example namespaces="reqtrace" {public}\n'}
    files.update({f"specs/area/REQ-{i}.yaml": requirement_yaml(f"REQ-{i}", f"Requirement {i}", f"The system shall do {i}; 预约 {i}.") for i in range(1, 6)})
    write_files(root, files)
    git(root, "init", "-q")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", JAN_10)
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "first")
        repo = find_spec_repo(root)
        create_baseline(repo, "v1")
        sign_baseline(repo, "v1", signer=VENDOR, meaning="approved", role="vendor", key=key)
        letter = folder / "letter.pdf"
        letter.write_bytes(b"%PDF-1.4 signed on paper\n")
        sign_baseline(repo, "v1", signer=CUSTOMER, meaning="accepted", role="customer", evidence=letter)
        write_files(root, {"specs/area/REQ-3.yaml": requirement_yaml("REQ-3", "Drift after v1"), "specs/area/REQ-9.yaml": requirement_yaml("REQ-9", "Added after v1")})
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "drift")
    shutil.rmtree(root / ".git" / "reqtrace", ignore_errors=True)
    return root


@pytest.fixture
def spec(prepared: Path, tmp_path: Path) -> Path:
    return cold_copy(prepared, tmp_path / "repo")


def _both(run: Runner, root: Path, *args: str) -> tuple[CliResult, CliResult]:
    """(check as users run it, kept report allowed; the plain check)."""
    kept = run("check", *args, cwd=root)
    plain = run("check", *args, cwd=root, env={"REQTRACE_NO_CACHE": "1"})
    assert (kept.exit_code, kept.stdout) == (plain.exit_code, plain.stdout), (kept.stdout, plain.stdout)
    return kept, plain


def _codes(result: CliResult) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for finding in json.loads(result.stdout)["findings"]:
        found.setdefault(finding["code"], set()).add(finding["id"] or finding["path"])
    return found


def _entries(root: Path, kind: str) -> list[Path]:
    folder = root / ".git" / "reqtrace" / kind
    return sorted(folder.iterdir()) if folder.is_dir() else []


def _no_plain_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("reqtrace.cli.spec_cmds._checked", lambda *_a, **_k: pytest.fail("checked again although the report was kept"))


@pytest.fixture(params=["by-times", "by-bytes"])
def described(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """by-times: every file is described by its size, times and inode, as after a while;
    by-bytes: every file is fresh (just written), described by its blob id."""
    monkeypatch.setattr(kept_check, "FRESH_NS", -(10**15) if request.param == "by-times" else 10**15)
    return str(request.param)


def test_an_unchanged_repo_prints_the_kept_report_which_is_the_plain_one(spec: Path, run_in_process: Runner, monkeypatch: pytest.MonkeyPatch, described: str) -> None:
    for args in (("--format", "json"), (), ("--format", "json", "--strict"), ("--format", "sarif"), ("--format", "json", "--rev", "HEAD")):
        first, _ = _both(run_in_process, spec, *args)
        with monkeypatch.context() as patch:
            _no_plain_check(patch)
            again = run_in_process("check", *args, cwd=spec)
        assert (again.exit_code, again.stdout) == (first.exit_code, first.stdout)
    assert _codes(run_in_process("check", "--format", "json", cwd=spec)) == {"unapproved-change": {"REQ-3", "REQ-9"}}
    assert "2 warning(s), no errors in 6 requirements" in run_in_process("check", cwd=spec).stdout
    assert len(_entries(spec, kept_check.REPORT_KIND)) == 3  # the working tree, --strict, --rev: formats share one
    assert len(_entries(spec, kept_check.FILES_KIND)) == 1


def _same_size_same_time(root: Path) -> None:
    """REQ-4's file now says it is REQ-5 (a duplicate id), its size and modification time put
    back. (Not a change of its text alone: the drift gate asks git's diff, which trusts its
    index's record of the file's times and was seen to miss such an edit now and then.)"""
    path = root / "specs" / "area" / "REQ-4.yaml"
    before = path.stat()
    path.write_text(path.read_text().replace("id: REQ-4", "id: REQ-5"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size


def _approve_drift(root: Path) -> None:
    write_files(root, {"records/requests/RQ-1.yaml": "id: RQ-1\nreceived: 2026-01-05\ntitle: Add REQ-9\naffects: [REQ-9]\ndecision:\n  status: approved\n  by: Li Wei\n  when: 2026-01-06\n"})


def _stale_temp_file(root: Path) -> None:
    write_files(root, {"specs/area/.REQ-1.yaml.x1.reqtrace-tmp": "id: REQ-1\n"})


def _distrust_vendor(root: Path) -> None:
    (root / ".reqtrace" / "allowed_signers").write_text("")


def _move_tag(root: Path) -> None:
    git(root, "tag", "-f", "-a", "-m", "moved", "baseline/v1", "HEAD")


def _drift_is_an_error(root: Path) -> None:
    (root / "reqtrace.yaml").write_text("project: Kept\ncustomer: Nobody\ndrift: error\n")


def _delete_a_parent(root: Path) -> None:
    write_files(root, {"specs/area/REQ-2.yaml": None, "specs/area/REQ-8.yaml": requirement_yaml("REQ-8", "Child", parents=["REQ-2"])})


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_same_size_same_time, {"duplicate-id": {"REQ-5"}}),
        (_approve_drift, {"unapproved-change": {"REQ-3"}}),
        (_stale_temp_file, {"unapproved-change": {"REQ-3", "REQ-9"}, "stale-temp-file": {"specs/area/.REQ-1.yaml.x1.reqtrace-tmp"}}),
        (_distrust_vendor, {"signer-unknown": None, "unapproved-change": {"REQ-3", "REQ-9"}}),
        (_move_tag, {"baseline-tampered": {"v1"}}),
        (_drift_is_an_error, {"unapproved-change": {"REQ-3", "REQ-9"}}),
        (_delete_a_parent, {"unapproved-change": {"REQ-2", "REQ-3", "REQ-8", "REQ-9"}, "dangling-ref": {"REQ-8"}}),
    ],
    ids=["edited-same-size-and-time", "drift-approved", "stale-temp-file", "signers-edited", "tag-moved", "config-edited", "file-deleted"],
)
def test_a_changed_input_is_checked_again(spec: Path, run_in_process: Runner, monkeypatch: pytest.MonkeyPatch, change, expected, described: str) -> None:
    before, _ = _both(run_in_process, spec, "--format", "json")
    change(spec)
    after, _ = _both(run_in_process, spec, "--format", "json")
    assert after.stdout != before.stdout
    found = _codes(after)
    # None: the code alone (a sign-off's id names its key, made anew for each run)
    assert {code: ids if expected[code] is not None else None for code, ids in found.items() if code in expected} == expected, found
    with monkeypatch.context() as patch:  # and that report is kept in turn
        _no_plain_check(patch)
        assert run_in_process("check", "--format", "json", cwd=spec).stdout == after.stdout


def test_at_a_revision_the_report_follows_the_commit_and_the_date(spec: Path, run_in_process: Runner, monkeypatch: pytest.MonkeyPatch, described: str) -> None:
    first, _ = _both(run_in_process, spec, "--format", "json", "--rev", "HEAD")
    git(spec, "rm", "-q", "specs/area/REQ-9.yaml")
    git(spec, "commit", "-q", "-m", "REQ-9 dropped")
    moved, _ = _both(run_in_process, spec, "--format", "json", "--rev", "HEAD")
    assert json.loads(moved.stdout)["rev"] != json.loads(first.stdout)["rev"]
    assert _codes(moved)["unapproved-change"] == {"REQ-3"}
    repo = find_spec_repo(spec)
    head = git(spec, "rev-parse", "HEAD")
    keys = []
    for epoch in (JAN_10, str(int(JAN_10) + 86400)):
        monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
        for commit in (None, head):
            key = kept_check.check_key(repo, commit, strict=False, drift=None)
            assert key is not None
            keys.append(key.report_id(key.files_content))
    assert len(set(keys)) == 4


def test_a_damaged_or_planted_entry_is_not_read(spec: Path, run_in_process: Runner, described: str) -> None:
    first, _ = _both(run_in_process, spec, "--format", "json")
    (entry,) = _entries(spec, kept_check.REPORT_KIND)
    data = bytearray(entry.read_bytes())
    data[len(data) // 2] ^= 1
    entry.write_bytes(bytes(data))
    again, _ = _both(run_in_process, spec, "--format", "json")
    assert again.stdout == first.stdout
    entry.unlink()
    os.symlink(spec / "reqtrace.yaml", entry)
    assert _both(run_in_process, spec, "--format", "json")[0].stdout == first.stdout


def test_a_real_process_reads_the_kept_report(spec: Path, run_cli: Runner) -> None:
    first = run_cli("check", "--format", "json", cwd=spec)
    again = run_cli("check", "--format", "json", cwd=spec)
    plain = run_cli("check", "--format", "json", cwd=spec, env={"REQTRACE_NO_CACHE": "1"})
    assert first.exit_code == again.exit_code == plain.exit_code == 0
    assert first.stdout == again.stdout == plain.stdout
    assert len(_entries(spec, kept_check.REPORT_KIND)) == 1


def test_nothing_is_kept_outside_a_real_folder_or_with_no_cache(spec: Path, run_in_process: Runner) -> None:
    run_in_process("check", cwd=spec, env={"REQTRACE_NO_CACHE": "1"})
    assert _entries(spec, kept_check.REPORT_KIND) == []
    shutil.move(spec / "records", spec.parent / "records-elsewhere")
    os.symlink(spec.parent / "records-elsewhere", spec / "records")
    assert kept_check.check_key(find_spec_repo(spec), None, strict=False, drift=None) is None


def test_a_repo_without_a_baselines_folder_keeps_its_report_until_one_appears(spec: Path, run_in_process: Runner, monkeypatch: pytest.MonkeyPatch, described: str) -> None:
    shutil.rmtree(spec / "baselines")
    for tag in git(spec, "tag", "--list").split():
        git(spec, "tag", "-d", tag)
    first, _ = _both(run_in_process, spec, "--format", "json")
    with monkeypatch.context() as patch:
        _no_plain_check(patch)
        assert run_in_process("check", "--format", "json", cwd=spec).stdout == first.stdout
    write_files(spec, {"baselines/v9/manifest.yaml": "name: v9\n"})
    after, _ = _both(run_in_process, spec, "--format", "json")
    assert after.stdout != first.stdout


def test_a_tree_just_written_whole_keeps_nothing(spec: Path, run_in_process: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    """A clone or checkout just made: every file is fresh; reading them all twice would only slow the run."""
    monkeypatch.setattr(kept_check, "FRESH_NS", 10**15)
    monkeypatch.setattr(kept_check, "MAX_FRESH", 3)
    assert kept_check.check_key(find_spec_repo(spec), None, strict=False, drift=None) is None
    _both(run_in_process, spec, "--format", "json")
    assert _entries(spec, kept_check.REPORT_KIND) == []


def test_fix_checks_the_plain_way_in_every_format(spec: Path, run_in_process: Runner) -> None:
    for format in ("github", "sarif", "json"):
        result = run_in_process("check", "--fix", "--format", format, cwd=spec)
        assert result.exit_code == 0, result.stderr
        assert "unapproved-change" in result.stdout
    assert _entries(spec, kept_check.REPORT_KIND) == []


def test_a_file_added_while_checking_is_not_kept_under_the_listing_without_it(spec: Path, run_in_process: Runner, monkeypatch: pytest.MonkeyPatch, described: str) -> None:
    from reqtrace.cli import spec_cmds

    plain = spec_cmds._checked

    def added_meanwhile(*args, **kwargs):  # between the listing and the reading
        write_files(spec, {"specs/area/REQ-8.yaml": requirement_yaml("REQ-8", "Added while checking", parents=["REQ-404"])})
        return plain(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(spec_cmds, "_checked", added_meanwhile)
        assert "REQ-404" in run_in_process("check", "--format", "json", cwd=spec).stdout
    (spec / "specs" / "area" / "REQ-8.yaml").unlink()
    again, _ = _both(run_in_process, spec, "--format", "json")
    assert "REQ-404" not in again.stdout


def test_a_key_listed_after_the_parse_keeps_only_what_the_parse_read(demo_build, tmp_path, monkeypatch) -> None:
    """A cold check with the baselines' child lists the files for its key after the parse
    (`check_key(read_since=…)`): a file changed since the parse began is described by its
    bytes, so a change made after the parse read the file keeps nothing, where a listing
    taken as if before the parse would let it pass; an unchanged repo gets the key a
    listing before the parse gives; a changed reqtrace.yaml gets no key."""
    import time

    from conftest import copy_demo
    from reqtrace.core.snapshot import load_snapshot

    monkeypatch.setattr(kept_check, "FRESH_NS", 0)  # fresh from the moment of the change
    root = copy_demo(demo_build, tmp_path / "demo")
    repo = find_spec_repo(root)
    time.sleep(0.05)  # past the file system clock's tick: the copy is older than the parse
    started = time.time_ns()
    snapshot = load_snapshot(repo)
    options = {"strict": False, "drift": None}
    late = kept_check.check_key(repo, None, **options, read_since=started)
    before = kept_check.check_key(repo, None, **options)
    assert late is not None and before is not None
    assert kept_check._content_of(late, snapshot) == kept_check._content_of(before, snapshot) is not None
    assert late.report_id("x") == before.report_id("x")

    time.sleep(0.05)
    spec = root / "specs" / "accounts" / "REQ-13.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("title: ", "title: Edited ", 1), encoding="utf-8")
    time.sleep(0.05)
    late = kept_check.check_key(repo, None, **options, read_since=started)
    assert late is not None and kept_check._content_of(late, snapshot) is None
    unseen = kept_check.check_key(repo, None, **options)
    assert unseen is not None and kept_check._content_of(unseen, snapshot) is not None

    (root / "reqtrace.yaml").write_bytes((root / "reqtrace.yaml").read_bytes())
    assert kept_check.check_key(repo, None, **options, read_since=started) is None


def test_files_no_parse_reads_hashed_while_listed_give_the_plain_content(demo_build, tmp_path, monkeypatch) -> None:
    """The listing beside the parse reads the files no parse reads (`read_unparsed`: e-mails'
    messages, the baselines' manifests) as it describes them: the same content as reading
    them after the rules; handed to the parent whole; and a file edited after the listing
    still keeps nothing, its description no longer the one listed."""
    import time

    from conftest import copy_demo
    from reqtrace.core.snapshot import load_snapshot

    monkeypatch.setattr(kept_check, "FRESH_NS", 0)
    root = copy_demo(demo_build, tmp_path / "demo")
    repo = find_spec_repo(root)
    time.sleep(0.05)
    started = time.time_ns()
    snapshot = load_snapshot(repo)
    options = {"strict": False, "drift": None, "read_since": started}
    read = kept_check.check_key(repo, None, **options, read_unparsed=True)
    plain = kept_check.check_key(repo, None, **options)
    assert read is not None and plain is not None
    unparsed = [entry.path for entry in read.listed if entry.read_oid is not None]
    assert any(path.endswith(".eml") for path in unparsed) and any(path.startswith("baselines/") for path in unparsed)
    assert not set(unparsed) & snapshot.files.keys()
    assert kept_check._content_of(read, snapshot) == kept_check._content_of(plain, snapshot) is not None
    assert kept_check.key_of_answer(repo, kept_check.key_answer(read)) == (True, read)

    time.sleep(0.05)
    message = root / unparsed[0]
    message.write_bytes(message.read_bytes() + b"\n")
    assert kept_check._content_of(read, snapshot) is None


def test_the_listing_finds_the_stale_temp_files_the_walk_finds(spec: Path) -> None:
    """check_stale_temp_files takes them from the kept report's listing (`CheckKey.temp_files`)
    instead of walking the folders again: the same paths as `files.stale_temp_files`, with links
    (to a file, to a folder, dangling), a folder with a temporary file's name and files at the
    root; and no answer where the walk would skip a `.git` folder the listing reads."""
    from reqtrace.core.snapshot import scanned_folders
    from reqtrace.io.files import stale_temp_files

    temp = ".x1.reqtrace-tmp"
    write_files(spec, {f".reqtrace.yaml{temp}": "a\n", f"specs/area/.REQ-1.yaml{temp}": "id: REQ-1\n", f"records/.note{temp}": "b\n",
                       f"specs/.folder{temp}/.inner{temp}": "c\n", f"baselines/.v1{temp}": "d\n"})
    os.symlink(spec / "specs" / "area", spec / "specs" / f".to-folder{temp}")
    os.symlink(spec / "reqtrace.yaml", spec / "records" / f".to-file{temp}")
    os.symlink(spec / "nowhere", spec / "specs" / f".dangling{temp}")
    os.symlink(spec / "reqtrace.yaml", spec / f".root-link{temp}")
    repo = find_spec_repo(spec)
    key = kept_check.check_key(repo, None, strict=False, drift=None)
    assert key is not None
    walked = stale_temp_files(spec, scanned_folders(parse_config((spec / "reqtrace.yaml").read_bytes())[0]))
    assert key.temp_files() == walked
    assert f"specs/.to-folder{temp}" not in walked and f"specs/.dangling{temp}" in walked and f".root-link{temp}" not in walked and len(walked) == 7
    write_files(spec, {f"specs/.git/.inner{temp}": "e\n"})
    key = kept_check.check_key(repo, None, strict=False, drift=None)
    assert key is not None and key.temp_files() is None
