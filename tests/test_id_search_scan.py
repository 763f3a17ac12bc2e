"""The id searches at a commit (changes/id_search.py) scan the blobs in Python and find
exactly what `git grep -P` (io/gitio.py GrepJob) finds: the same files for the same ids,
with the same idea of where an id starts and ends (issue 18).

One repo of tricky files is built once: ids that are prefixes of others, ids inside
other words, Chinese text and GB2312 bytes around ids, quoted mail, ids with regular
expression characters, a binary file, a symbolic link. Then a cold `status` of the
demo is compared with the one computed with nothing kept (REQTRACE_NO_CACHE=1),
before and after a request naming a changed requirement is committed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import cold_copy, demo_edited_after_delivery, git
from reqtrace.changes import id_search
from reqtrace.io import gitio

FILES: dict[str, bytes] = {
    "specs/a/REQ-1.yaml": b"id: REQ-1\ntitle: plain\n",
    "specs/a/REQ-10.yaml": b"id: REQ-10\nparents: [REQ-100]\n",
    "specs/b/inside.yaml": b"note: xREQ-2 REQ-2x REQ-2_ _REQ-2 REQ-20 9REQ-2\n",
    "specs/b/dots.yaml": b"note: see REQ-3.1 and (REQ-4)\r\n",
    "specs/b/dash.yaml": b"note: REQ-5-a\n",
    "specs/b/chinese.yaml": "note: 需求REQ-6。见需求-7和需求-77\n".encode(),
    "specs/b/gb2312.yaml": "说明：REQ-8 的要求".encode("gb2312"),
    "specs/b/binary.bin": b"\x00\x01REQ-9\x00",
    "specs/b/regex.yaml": b"note: A.B+(1) and A-B\n",
    "specs/b/line.yaml": b"REQ-11\nREQ-12",
    "specs/c/run.sh": b"#!/bin/sh\necho REQ-13\n",
    "records/requests/RQ-1.yaml": b"id: RQ-1\naffects: [REQ-1]\ntext: |\n  > REQ-14 was quoted\n  >REQ-15\n",
    "records/requests/RQ-2.eml": b"Subject: =?utf-8?b?5rWL6K+V?=\n\n> On Monday: REQ-16, REQ-160\n",
    "records/meetings/M-1.yaml": b"refs: [REQ-1, REQ-16]\n",
    "elsewhere/REQ-1.yaml": b"id: REQ-1\n",
}

WORD_SETS = [
    ["REQ-1"], ["REQ-10"], ["REQ-100"], ["REQ-2"], ["REQ-20"], ["REQ-3"], ["REQ-3.1"], ["REQ-4"], ["REQ-5"], ["REQ-5-a"],
    ["REQ-6"], ["需求-7"], ["需求-77"], ["需求"], ["REQ-8"], ["REQ-9"], ["A.B+(1)"], ["A.B"], ["A-B"], ["B"],
    ["REQ-11"], ["REQ-12"], ["REQ-13"], ["REQ-14"], ["REQ-15"], ["REQ-16"], ["REQ-160"], ["REQ"], ["EQ-1"], ["1"],
    ["REQ-1", "REQ-10", "REQ-100", "REQ-2", "需求-7"], ["", "RE\nQ-1", "REQ-77"], [f"REQ-{n}" for n in range(1, 400)],
]


@pytest.fixture(scope="module")
def tricky(tmp_path_factory, build_env):
    repo = tmp_path_factory.mktemp("scan") / "repo"
    for path, data in FILES.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_bytes(data)
    os.chmod(repo / "specs/c/run.sh", 0o755)  # noqa: S103 - an executable file in the tree, as git grep reads it
    os.symlink("../a/REQ-1.yaml", repo / "specs/b/link.yaml")  # git grep does not read a link in a tree
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "tricky ids")
    return repo, git(repo, "rev-parse", "HEAD")


def test_the_scan_finds_what_git_grep_finds(tricky):
    repo, commit = tricky
    for folders in (["specs"], ["records/requests"], ["specs", "records"], ["."], ["specs/b/"], ["specs/a/REQ-1.yaml", "spec", "record"]):
        for words in WORD_SETS:
            plain = sorted(gitio.GrepJob(repo, commit, words, folders).result())
            assert id_search.scannable(words, folders)
            assert id_search._ScanAtCommit(repo, commit, words, folders).result() == plain, (folders, words)
    # What both find, stated: a prefix id is not its longer sibling; an id inside a word is not found.
    scan = lambda *words, folders=("specs", "records"): id_search._ScanAtCommit(repo, commit, list(words), list(folders)).result()  # noqa: E731
    assert scan("REQ-1") == ["records/meetings/M-1.yaml", "records/requests/RQ-1.yaml", "specs/a/REQ-1.yaml"]
    assert scan("REQ-100") == ["specs/a/REQ-10.yaml"]
    assert scan("REQ-2") == []
    assert scan("REQ-3", "REQ-5", "REQ-6", "REQ-8", "REQ-9") == [
        "specs/b/binary.bin", "specs/b/chinese.yaml", "specs/b/dash.yaml", "specs/b/dots.yaml", "specs/b/gb2312.yaml"]
    assert scan("需求-7") == ["specs/b/chinese.yaml"] and scan("需求-77", folders=["records"]) == []
    assert scan("REQ-14", "REQ-15", folders=["records/requests"]) == ["records/requests/RQ-1.yaml"]
    assert scan("REQ-13") == ["specs/c/run.sh"] and scan("A.B+(1)") == ["specs/b/regex.yaml"]
    # Searches the scan leaves to git grep: a wildcard folder, an id holding a NUL.
    assert not id_search.scannable(["REQ-1"], ["spec*"]) and not id_search.scannable(["REQ\x001"], ["specs"])


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory, demo_build, build_env):
    return demo_edited_after_delivery(demo_build, tmp_path_factory.mktemp("scan-demo") / "demo", "Changed after delivery.")


def status_json(repo: Path, **env: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "reqtrace", "status", "--format", "json"], cwd=repo, capture_output=True, text=True,
                          env={**os.environ, **env})
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout)


def test_cold_status_is_the_status_computed_with_nothing_kept(demo_source, tmp_path):
    demo = cold_copy(demo_source, tmp_path / "demo")
    cold = status_json(demo)
    # A cold status takes its diffs' searches from the snapshot it parsed whole (changes/diff.py _WholeTo).
    assert not (demo / ".git" / "reqtrace" / "id-search").exists()
    assert cold == status_json(demo, REQTRACE_NO_CACHE="1")
    assert cold["drift"]["modified"] == 1
    # An input changes: a request naming the changed requirement (REQ-5) is committed.
    request = demo / "records" / "requests" / "RQ-950.yaml"
    request.write_text("id: RQ-950\nreceived: 2026-12-01\nfrom: 客户 <a@example.com>\nchannel: email\ntitle: 改 REQ-5\n"
                       "text: |\n  > 请修改 REQ-5。\naffects: [REQ-5]\nclaimed: change\n", encoding="utf-8")
    git(demo, "add", "-A")
    git(demo, "commit", "-qm", "a request naming REQ-5")
    after = status_json(demo, REQTRACE_NO_KEPT_ANSWERS="1")
    assert (demo / ".git" / "reqtrace" / "id-search").is_dir()  # from the kept graph: the searches ran, and were kept
    assert after == status_json(demo, REQTRACE_NO_CACHE="1")
    assert after != cold
