"""The reqtrace-check hook of .pre-commit-hooks.yaml, run by the real pre-commit tool
from this checkout, as a spec repo's .pre-commit-config.yaml would name it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, requirement_yaml

# slow: pre-commit builds the hook's environment, a pip install of this checkout (~25 s, once per run)
pytestmark = pytest.mark.slow

PRE_COMMIT = [sys.executable, "-m", "pre_commit"]


def committed_checkout() -> str:
    """This checkout's HEAD: pre-commit installs a hook repository at a commit."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("the reqtrace sources are not a git checkout")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    listed = subprocess.run(["git", "ls-tree", "--name-only", head, ".pre-commit-hooks.yaml"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert listed.stdout.strip() == ".pre-commit-hooks.yaml", "commit .pre-commit-hooks.yaml first: pre-commit reads it at HEAD"
    return head


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One store for the tests of a worker: the hook's environment is built once (~25 s).
    return tmp_path_factory.mktemp("pre-commit-home")


def install_hook(repo, home: Path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Name the hook in the repo's .pre-commit-config.yaml and install it as git's pre-commit hook."""
    config = {"repos": [{"repo": str(ROOT), "rev": committed_checkout(), "hooks": [{"id": "reqtrace-check"}]}]}
    repo.commit({".pre-commit-config.yaml": yaml.safe_dump(config)}, "add the hook")
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    subprocess.run([*PRE_COMMIT, "install"], cwd=repo.root, env=env, check=True, capture_output=True)
    return env


def test_the_hook_is_declared_for_a_whole_repo_check() -> None:
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "reqtrace-check"
    assert hook["entry"] == "reqtrace check" and hook["language"] == "python"
    assert hook["pass_filenames"] is False  # reqtrace reads the repo itself; file names would be arguments


def test_a_commit_with_an_error_is_refused_and_a_clean_one_passes(make_repo, pre_commit_home: Path) -> None:
    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1")})
    env = install_hook(repo, pre_commit_home)

    def commit(message: str) -> subprocess.CompletedProcess[str]:
        subprocess.run(["git", "add", "-A"], cwd=repo.root, check=True)
        return subprocess.run(["git", "commit", "-m", message], cwd=repo.root, env=env, capture_output=True, text=True)

    head_before = repo.git("rev-parse", "HEAD")
    repo.write({"specs/REQ-2.yaml": requirement_yaml("REQ-2", parents=["REQ-99"])})
    refused = commit("REQ-2 under a parent that does not exist")
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "reqtrace check" in output and "Failed" in output
    assert "dangling-ref" in output and "REQ-99" in output
    assert repo.git("rev-parse", "HEAD") == head_before  # nothing was committed

    repo.write({"specs/REQ-2.yaml": requirement_yaml("REQ-2", parents=["REQ-1"])})
    passed = commit("REQ-2 under REQ-1")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "reqtrace check" in passed.stderr and "Passed" in passed.stderr  # git runs hooks with stderr
    assert repo.git("log", "-1", "--format=%s") == "REQ-2 under REQ-1"


def test_the_hook_checks_what_is_staged_not_the_working_tree(make_repo, pre_commit_home: Path) -> None:
    # pre-commit sets unstaged changes aside: a broken file that is not part of the
    # commit does not refuse it.
    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1")})
    env = install_hook(repo, pre_commit_home)
    repo.write({"specs/REQ-2.yaml": requirement_yaml("REQ-2")})
    subprocess.run(["git", "add", "specs/REQ-2.yaml"], cwd=repo.root, check=True)
    repo.write({"specs/REQ-1.yaml": "id: REQ-1\ntitle: [unclosed\n"})  # modified, not staged
    result = subprocess.run(["git", "commit", "-m", "REQ-2"], cwd=repo.root, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (repo.root / "specs/REQ-1.yaml").read_text() == "id: REQ-1\ntitle: [unclosed\n"  # given back
