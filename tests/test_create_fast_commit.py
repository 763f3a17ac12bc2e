"""`baseline create` after a `check`, as users freeze a baseline: the entries carried from the
signed format 2 baseline it verified, only the changed files read, and the manifest committed
without `git commit` (gitio.commit_file: the trees on the manifest's path written again, no
refresh of the whole index). Everything it leaves — manifest bytes, commit, tree, tag, index,
reflog — is compared with the plain create (REQTRACE_NO_CACHE=1: every file read, `git
commit`, nothing kept), and `git commit` is still used wherever it would do more than commit.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import cold_copy, git, make_repo_in, requirement_yaml, write_files
from pack_kit import allowed_signers_line, make_key
from reqtrace.baselines import baseline as baseline_module
from reqtrace.baselines.baseline import create_baseline
from reqtrace.baselines.signoff import sign_baseline
from reqtrace.core.config import find_spec_repo
from reqtrace.io import gitio

MESSAGE = "Scope of the second delivery  \n\n\n  agreed on 3 March\t\n\n"


@pytest.fixture(scope="module")
def signed_then_edited(tmp_path_factory, build_env) -> Path:
    """Baseline v1 (format 2) signed with a real SSH key; then REQ-1 edited, REQ-2 removed and
    REQ-9 added (REQ-3..6 unchanged), committed; nothing kept in .git/reqtrace/."""
    folder = tmp_path_factory.mktemp("signed")
    key = make_key(folder / "keys", "vendor", "li.wei@vendor.example")
    spec = make_repo_in(folder)({f"specs/REQ-{n}.yaml": requirement_yaml(f"REQ-{n}", f"Title {n}") for n in range(1, 7)}
                                | {".reqtrace/allowed_signers": allowed_signers_line(key, "li.wei@vendor.example")})
    repo = find_spec_repo(spec.root)
    create_baseline(repo, "v1")
    sign_baseline(repo, "v1", signer="Li Wei <li.wei@vendor.example>", meaning="approved", role="vendor", key=key)
    spec.commit({
        "specs/REQ-1.yaml": requirement_yaml("REQ-1", "Title 1, edited"),
        "specs/REQ-2.yaml": None,
        "specs/REQ-9.yaml": requirement_yaml("REQ-9", "Title 9"),
    })
    shutil.rmtree(spec.root / ".git" / "reqtrace")
    return spec.root


def _state(root: Path) -> dict[str, str]:
    """What a create leaves in the repository, as a user (or git) sees it."""
    return {
        "head": git(root, "rev-parse", "HEAD"),
        "commit": git(root, "cat-file", "-p", "HEAD"),
        "tree": git(root, "ls-tree", "-r", "HEAD"),
        "tag": git(root, "cat-file", "-p", "baseline/v2"),
        "manifest": (root / "baselines" / "v2" / "manifest.yaml").read_text(encoding="utf-8"),
        "index": git(root, "ls-files", "-s"),
        "status": git(root, "status", "--porcelain", "--untracked-files=all"),
        "reflog": git(root, "reflog", "-1", "--format=%gs"),
    }


def test_create_after_a_check_leaves_what_the_plain_create_leaves(signed_then_edited, tmp_path, monkeypatch, run_in_process) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1772500000")
    fast_root = cold_copy(signed_then_edited, tmp_path / "fast")
    plain_root = cold_copy(signed_then_edited, tmp_path / "plain")
    git(fast_root, "add", "--", "specs/REQ-9.yaml")  # an entry staged as it is: no change, the index is compared
    git(plain_root, "add", "--", "specs/REQ-9.yaml")
    assert run_in_process("check", cwd=fast_root).exit_code == 0
    assert run_in_process("check", cwd=plain_root, env={"REQTRACE_NO_CACHE": "1"}).exit_code == 0

    def never(*args: object, **options: object) -> None:
        raise AssertionError("the fast path was left")

    with monkeypatch.context() as patch:
        for module, name in ((gitio, "commit_paths"), (baseline_module, "_entries_read"), (baseline_module, "with_blobs")):
            patch.setattr(module, name, never)
        fast = run_in_process("baseline", "create", "v2", "-m", MESSAGE, "--format", "json", cwd=fast_root)
    plain = run_in_process("baseline", "create", "v2", "-m", MESSAGE, "--format", "json", cwd=plain_root, env={"REQTRACE_NO_CACHE": "1"})
    assert fast.exit_code == plain.exit_code == 0, fast.stderr + plain.stderr
    assert fast.stdout == plain.stdout
    fast_state, plain_state = _state(fast_root), _state(plain_root)
    assert fast_state == plain_state
    assert "REQ-9" in fast_state["manifest"] and "REQ-2" not in fast_state["manifest"]
    assert fast_state["status"] == "" and fast_state["reflog"].startswith("commit: Baseline v2: freeze 6 requirements")
    assert "agreed on 3 March\n" in fast_state["commit"]  # git's own clean-up of the message, both ways
    assert (fast_root / ".git" / "reqtrace").is_dir()
    assert not (plain_root / ".git" / "reqtrace").exists()  # REQTRACE_NO_CACHE keeps nothing


def test_a_dirty_requirement_is_refused_as_before(signed_then_edited, tmp_path, run_in_process) -> None:
    outcomes = []
    for name, env in (("fast", {}), ("plain", {"REQTRACE_NO_CACHE": "1"})):
        root = cold_copy(signed_then_edited, tmp_path / name)
        assert run_in_process("check", cwd=root, env=env).exit_code == 0
        write_files(root, {"specs/REQ-3.yaml": requirement_yaml("REQ-3", "Title 3, not committed")})
        result = run_in_process("baseline", "create", "v2", cwd=root, env=env)
        outcomes.append((result.exit_code, result.stderr))
        assert subprocess.run(["git", "rev-parse", "--verify", "-q", "baseline/v2"], cwd=root, capture_output=True).returncode == 1
        assert not (root / "baselines" / "v2").exists()
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0] == 3 and "uncommitted changes to the requirements (specs/REQ-3.yaml)" in outcomes[0][1]


@pytest.fixture(scope="module")
def nested(tmp_path_factory, build_env) -> Path:
    """A spec repo one folder down in its git repository, with a file staged (not committed)
    and the new manifest written but not yet added."""
    root = tmp_path_factory.mktemp("nested")
    write_files(root, {"README": "top\n", "project/reqtrace.yaml": "project: P\n", "project/specs/REQ-1.yaml": requirement_yaml("REQ-1"),
                       "project/baselines/v1/manifest.yaml": "old\n"})
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "initial")
    write_files(root, {"README": "top, staged\n", "project/baselines/v2/manifest.yaml": "format: x\n"})
    git(root, "add", "README")
    return root


@pytest.mark.parametrize("message", ["Subject\n\nbody\n", "Subject  \n\n\n\n body \t\n\n", "\n\nSubject 中文\n"])
def test_commit_file_makes_the_commit_git_commit_makes(nested, tmp_path, message) -> None:
    states = []
    for plain in (False, True):
        root = shutil.copytree(nested, tmp_path / f"plain-{plain}", symlinks=True)
        assert gitio.plain_commit_reason(root, "project/baselines/v2/manifest.yaml") is None
        committed = gitio.commit_file(root, "project/baselines/v2/manifest.yaml", message, plain=plain)
        assert committed == git(root, "rev-parse", "HEAD")
        states.append((committed, git(root, "ls-files", "-s"), git(root, "status", "--porcelain"),
                       git(root, "reflog", "-1", "--format=%gs"), git(root, "cat-file", "-p", "HEAD")))
    assert states[0] == states[1]
    assert states[0][2] == "M  README"  # the staged change stays staged, uncommitted


def test_commit_file_on_a_detached_head_makes_the_commit_git_commit_makes(nested, tmp_path) -> None:
    """On a detached HEAD, and for a file HEAD has already (its folders listed, not new)."""
    states = []
    for plain in (False, True):
        root = shutil.copytree(nested, tmp_path / f"plain-{plain}", symlinks=True)
        git(root, "checkout", "-q", "--detach")
        write_files(root, {"project/baselines/v1/manifest.yaml": "changed\n"})
        committed = gitio.commit_file(root, "project/baselines/v1/manifest.yaml", "Subject\n", plain=plain)
        states.append((committed, git(root, "rev-parse", "HEAD"),
                       git(root, "rev-parse", "main"), git(root, "ls-files", "-s"), git(root, "reflog", "-1", "--format=%gs")))
    assert states[0] == states[1]
    assert states[0][0] == states[0][1] != states[0][2]  # HEAD moved, the branch did not


@pytest.mark.parametrize(
    "setup",
    ["hook", "hooks-path", "gpgsign", "cleanup", "merge", "ignored", "sparse"],
)
def test_git_commit_commits_when_it_would_do_more(nested, tmp_path, setup: str) -> None:
    """A commit hook, signing, another message clean-up, a merge under way, an ignored path or a
    sparse checkout: `git commit` itself commits (the hook runs; a refusal is git's)."""
    root = shutil.copytree(nested, tmp_path / "repo", symlinks=True)
    path = "project/baselines/v2/manifest.yaml"
    if setup in ("hook", "hooks-path"):
        hook = root / (".git/hooks" if setup == "hook" else "my-hooks") / "post-commit"
        hook.parent.mkdir(exist_ok=True)
        hook.write_text("#!/bin/sh\ntouch \"$(git rev-parse --show-toplevel)/hook-ran\"\n")
        hook.chmod(0o755)
        if setup == "hooks-path":
            git(root, "config", "core.hooksPath", "my-hooks")
    elif setup == "gpgsign":
        git(root, "config", "commit.gpgSign", "true")
    elif setup == "cleanup":
        git(root, "config", "commit.cleanup", "verbatim")
    elif setup == "merge":
        (root / ".git" / "MERGE_HEAD").write_text(git(root, "rev-parse", "HEAD") + "\n")
    elif setup == "ignored":
        (root / ".gitignore").write_text("manifest.yaml\n")
    else:
        git(root, "config", "core.sparseCheckout", "true")
    assert gitio.plain_commit_reason(root, path) is not None
    if setup in ("hook", "hooks-path"):
        gitio.commit_file(root, path, "Subject\n")
        assert (root / "hook-ran").exists()
    elif setup in ("merge", "ignored"):
        with pytest.raises(gitio.GitError):
            gitio.commit_file(root, path, "Subject\n")  # refused by git, as before


def test_manifest_rows_are_written_as_dump_yaml_rows_writes_them() -> None:
    """The rows a manifest holds, written by one format string when the reader's row pattern
    reads them back: the same bytes as dump_yaml_rows, for every shape, plain or not."""
    head = {"format": "reqtrace-baseline-2", "name": "v2", "commit": "a" * 40}
    digest, blob = "sha256:" + "0" * 64, "b" * 40

    def row(req_id: str, path: str = "specs/R.yaml", blob_id: str | None = blob) -> dict[str, str]:
        return {"id": req_id, "digest": digest, "path": path, **({"blob": blob_id} if blob_id is not None else {})}

    shapes = [
        [row(f"REQ-{n}", f"specs/{n}/REQ-{n}.yaml") for n in range(1, 50)],
        [row("REQ-1"), row("Yes"), row("REQ-3")],  # YAML 1.1 reads `Yes` as true
        [row("REQ-1"), row("REQ-2", "off")],
        [row("REQ-1"), row("REQ-2", "specs/with space.yaml")],
        [row("REQ-1"), row("需求-2", "specs/需求.yaml")],
        [row("REQ-1"), row("REQ-2", blob_id="1" * 40)],  # all digits: a number to YAML
        [row("REQ-1"), row("REQ-2", blob_id="0b" + "1" * 38)],
        [row("REQ-1", blob_id=None), row("REQ-2", blob_id=None)],  # format 1 rows
        [row("REQ-1"), row("REQ-2", blob_id=None)],
        [row("REQ-1"), {"digest": digest, "id": "REQ-2", "path": "specs/R.yaml"}],  # keys in another order
        [row("a:b")],
    ]
    for rows in shapes:
        assert baseline_module.manifest_text(dict(head), rows, "a header") == baseline_module.dump_yaml_rows(dict(head), "requirements", rows, header="a header")
