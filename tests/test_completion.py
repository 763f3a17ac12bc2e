"""Shell completion: the script `reqtrace --show-completion bash` prints, run by a real
bash, completes requirement ids, record ids and baseline names from file names."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import requirement_yaml
from reqtrace.cli.completion import repo_names

REQTRACE = Path(sys.executable).parent / "reqtrace"
# Without it, typer reads `--show-completion`/`--install-completion` as flags and looks for the
# shell among the process's ancestors (shellingham), ignoring the "bash" given: a test run with
# no shell above it (a detached CI job) would get "Shell None is not supported".
def named_shell() -> dict[str, str]:
    return {**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}  # HOME as the test set it

pytestmark = pytest.mark.skipif(shutil.which("bash") is None or not REQTRACE.exists(), reason="needs bash and the installed reqtrace command")

FILES = {
    "specs/REQ-1.yaml": requirement_yaml("REQ-1"),
    "specs/REQ-10.yaml": requirement_yaml("REQ-10"),
    "specs/booking/REQ-2.yaml": requirement_yaml("REQ-2"),
    "records/requests/RQ-1.yaml": "id: RQ-1\nreceived: 2026-01-05\ntitle: A wish\n",
    "records/requests/RQ-2.yaml": "id: RQ-2\nreceived: 2026-01-05\ntitle: Another\n",
    "records/meetings/MTG-2026-01-12.md": "---\nid: MTG-2026-01-12\ndate: 2026-01-12\ntitle: Kick-off\n---\n",
    "records/emails/MAIL-3fa2c1d0e9.eml": "Subject: x\n\nbody\n",
    "records/emails/MAIL-3fa2c1d0e9.eml.yaml": "id: MAIL-3fa2c1d0e9\n",
    "records/documents/contract-summary.txt": "not an id\n",
    "baselines/contract-v1.0/manifest.yaml": "name: contract-v1.0\n",
    "baselines/delivery-v1.0/manifest.yaml": "name: delivery-v1.0\n",
}


@functools.cache
def completion_script() -> str:
    """What `reqtrace --show-completion bash` prints: the same text for every repo and folder (it
    names the program and its completion variable), asked once per module, not per completion."""
    return subprocess.run([str(REQTRACE), "--show-completion", "bash"], capture_output=True, text=True, check=True, env=named_shell()).stdout


def complete(line: str, cwd: Path) -> list[str]:
    """What bash offers after `line` (completing its last word), with reqtrace's own script."""
    script = completion_script()
    words = line.split(" ")
    probe = (
        f"{script}\n"
        f"COMP_WORDS=({' '.join(repr(word) for word in words)})\n"
        f"COMP_CWORD={len(words) - 1}\n"
        "_reqtrace_completion reqtrace\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = {**os.environ, "PATH": f"{REQTRACE.parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(["bash", "--norc", "--noprofile", "-c", probe], capture_output=True, text=True, cwd=cwd, env=env)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    return [word for word in result.stdout.splitlines() if word]


def test_completion_is_switched_on() -> None:
    help_text = subprocess.run([str(REQTRACE), "--help"], capture_output=True, text=True, check=True).stdout
    assert "--install-completion" in help_text and "--show-completion" in help_text


def test_ids_and_baselines_complete_from_file_names(make_repo) -> None:
    repo = make_repo(FILES)
    assert complete("reqtrace show REQ-1", repo.root) == ["REQ-1", "REQ-10"]
    assert complete("reqtrace show MTG", repo.root) == ["MTG-2026-01-12"]
    assert complete("reqtrace show MAIL", repo.root) == ["MAIL-3fa2c1d0e9"]
    assert complete("reqtrace log REQ-", repo.root) == ["REQ-1", "REQ-10", "REQ-2"]
    assert complete("reqtrace log RQ", repo.root) == []  # log follows requirements only
    assert complete("reqtrace decide RQ-", repo.root) == ["RQ-1", "RQ-2"]
    assert complete("reqtrace diff c", repo.root) == ["contract-v1.0"]
    assert complete("reqtrace diff contract-v1.0 W", repo.root) == ["WORKTREE"]
    assert complete("reqtrace baseline verify d", repo.root) == ["delivery-v1.0"]
    assert complete("reqtrace check --rev ", repo.root) == ["contract-v1.0", "delivery-v1.0"]
    # From a folder inside the repo too, like every command.
    assert complete("reqtrace show RQ-", repo.root / "specs" / "booking") == ["RQ-1", "RQ-2"]


def test_root_given_first_is_where_names_come_from(make_repo, tmp_path: Path) -> None:
    repo = make_repo(FILES)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert complete("reqtrace show REQ-", elsewhere) == []
    assert complete(f"reqtrace show --root {repo.root} REQ-", elsewhere) == ["REQ-1", "REQ-10", "REQ-2"]


def test_a_broken_or_hostile_repo_completes_less_and_never_fails(make_repo) -> None:
    repo = make_repo({**FILES, "reqtrace.yaml": "paths: {requirements: ../../.., records: [x]\n"})  # unreadable YAML
    assert complete("reqtrace show REQ-1", repo.root) == ["REQ-1", "REQ-10"]  # the default folders
    repo.write({"reqtrace.yaml": "project: P\npaths:\n  requirements: /etc\n  baselines: ../..\n"})
    assert complete("reqtrace show REQ-", repo.root) == []  # folders outside the repo are not walked
    assert complete("reqtrace diff c", repo.root) == []
    (repo.root / "specs" / "loop").symlink_to(repo.root / "specs")
    repo.write({"reqtrace.yaml": "project: P\n"})
    assert complete("reqtrace show REQ-2", repo.root) == ["REQ-2"]  # links are not followed


def test_completion_lists_ten_thousand_requirements_from_file_names_alone(tmp_path: Path) -> None:
    # How fast is measured by bench/bench_completion.py (timed tests are flaky on shared machines).
    root = tmp_path / "big"
    for n in range(10_000):
        folder = root / "specs" / f"area-{n % 50}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"REQ-{n}.yaml").write_text("{ not: [yaml\n")  # content is never read
    (root / "reqtrace.yaml").write_text("project: Big\n")
    names = repo_names(root)
    assert len(names.requirements) == 10_000


def test_install_completion_writes_to_the_users_shell_setup(tmp_path: Path) -> None:
    home = Path(os.environ["HOME"])  # a temporary home (conftest)
    result = subprocess.run([str(REQTRACE), "--install-completion", "bash"], capture_output=True, text=True, cwd=tmp_path, env=named_shell())
    assert result.returncode == 0, result.stderr
    assert "reqtrace" in (home / ".bashrc").read_text()
