"""Rebuild the history slices in this folder from the projects' own repositories.

    python tests/data/import/make_slices.py DOORSTOP_CLONE STRICTDOC_CLONE

Each slice is a git bundle holding, for every first-parent commit that touched the
chosen files, those files only, with the commit's own author, date and message.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False,
                          env={**os.environ, **(env or {})})
    if proc.returncode:
        raise SystemExit(f"git {args[0]}: {proc.stderr}")
    return proc.stdout


def slice_history(source: Path, pathspecs: list[str], bundle: Path, suffixes: tuple[str, ...]) -> None:
    log = git(source, "log", "--reverse", "--first-parent", "--format=%H%x00%an%x00%ae%x00%aI%x00%cI%x00%B%x01", "HEAD", "--", *pathspecs)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder)
        git(target, "init", "-q", "-b", "main")
        for record in log.split("\x01"):
            if "\x00" not in record:
                continue
            commit, name, email, authored, committed, message = record.strip("\n").split("\x00", 5)
            git(target, "rm", "-rq", "--ignore-unmatch", ".")
            files = [f for f in git(source, "ls-tree", "-r", "-z", "--name-only", commit, "--", *pathspecs).split("\x00") if f.endswith(suffixes)]
            for name_in_tree in files:
                data = subprocess.run(["git", "cat-file", "blob", f"{commit}:{name_in_tree}"], cwd=source, capture_output=True, check=True).stdout
                path = target / name_in_tree
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            git(target, "add", "-A")
            name = name or email  # some early commits have an empty author name, which git refuses
            env = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": authored,
                   "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email, "GIT_COMMITTER_DATE": committed}
            git(target, "commit", "-q", "--allow-empty", "-m", f"{message}\n\nSliced-from: {commit}", env=env)
        git(target, "bundle", "create", str(bundle), "main")


if __name__ == "__main__":
    doorstop, strictdoc = Path(sys.argv[1]), Path(sys.argv[2])
    slice_history(doorstop, ["reqs"], HERE / "doorstop-reqs.bundle", (".yml",))
    slice_history(strictdoc, ["docs/strictdoc_28_Backlog.sdoc"], HERE / "strictdoc-backlog.bundle", (".sdoc",))
