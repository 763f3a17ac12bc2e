"""Spec repos for the hostile campaign, built once per worker and copied per family.

Each family works in its own workspace: `repo/` (the spec repo), `outside/`
(files a command must never touch: symlinks and hostile paths point there) and
`out/` (where a named output may go).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import DemoBuild, copy_demo

from .kit import GIT_ENV, Sentinel, commit_all, git, write_tree

CONFIG = "project: Hostile test project\ncustomer: Test customer\n"

SMALL = {
    "reqtrace.yaml": CONFIG,
    "specs/REQ-1.yaml": "id: REQ-1\ntitle: Book online\nstatement: A patient can book online.\npriority: must\nstatus: approved\n",
    "specs/REQ-2.yaml": "id: REQ-2\ntitle: Cancel online\nstatement: A patient can cancel online.\nparents: [REQ-1]\nacceptance: [Cancelling works.]\n",
    "specs/REQ-3.yaml": "id: REQ-3\ntitle: Reminders\nstatement: An SMS is sent a day before.\ntags: [sms]\nowner: Li Wei\nrationale: No-shows.\n",
    "records/requests/RQ-1.yaml": (
        "id: RQ-1\nreceived: 2026-01-20\ntitle: SMS reminders\nfrom: Wang Fang\nchannel: phone\ntext: Please send reminders.\n"
        "affects: [REQ-3]\ndecision:\n  as: change\n  status: approved\n  by: Li Wei\n  \"on\": 2026-01-22\n  in: MTG-1\n  note: Agreed.\n"
    ),
    "records/meetings/MTG-1.md": (
        "---\nid: MTG-1\ndate: 2026-01-22\ntitle: Kick-off\nattendees: [Li Wei, Wang Fang]\nrefs: [REQ-1]\n"
        "decisions:\n  - text: SMS reminders agreed.\n    approves: [RQ-1]\n    refs: [REQ-3]\n---\n# Kick-off\n"
    ),
    "records/emails/MAIL-0123456789.eml": "From: a@example.test\r\nSubject: hello\r\n\r\nbody\r\n",
    "records/emails/MAIL-0123456789.eml.yaml": (
        "id: MAIL-0123456789\nmessage_id: <m1@example.test>\ndate: '2026-01-21T09:00:00+08:00'\nfrom: A <a@example.test>\n"
        "to: [B <b@example.test>]\ncc: []\nsubject: hello\nin_reply_to: []\nreferences: []\nthread: []\nrefs: [REQ-1]\n"
    ),
    "records/documents/scan.txt": "a scanned letter\n",
    "records/documents/scan.txt.yaml": (
        "id: DOC-1\ntitle: A scan\ndate: '2026-01-23'\n"
        "sha256: 7233e6381693e5702aefae1ca0fc98938c50d3036a628895bcd6a0b2ceca68ff\nrefs: [REQ-1]\n"
    ),
}


@dataclass
class Workspace:
    top: Path

    @property
    def repo(self) -> Path:
        return self.top / "repo"

    @property
    def outside(self) -> Path:
        return self.top / "outside"

    @property
    def out(self) -> Path:
        return self.top / "out"

    def sentinel(self, *, repo_may_change: bool = False, outputs: tuple[Path, ...] = ()) -> Sentinel:
        """Everything but the repo's .git (caches live there) and the named outputs; the
        repo's files too unless the command exists to write them."""
        skip = [self.repo / ".git", *outputs]
        if repo_may_change:
            skip.append(self.repo)
        return Sentinel([self.top, Path.home()], skip)

    def reset(self) -> None:
        """Back to the last commit, in case a command (or a failed case) left files behind."""
        git(self.repo, "reset", "-q", "--hard")
        git(self.repo, "clean", "-qfdx")


def make_workspace(top: Path, template: Path) -> Workspace:
    top.mkdir(parents=True)
    shutil.copytree(template, top / "repo", symlinks=True)
    write_tree(top / "outside", {"secret.yaml": "id: SECRET-1\ntitle: outside the repo\nstatement: must never be read.\n", "notes.txt": "keep me\n"})
    (top / "out").mkdir()
    return Workspace(top)


@pytest.fixture(scope="session")
def isolated_build_env(tmp_path_factory: pytest.TempPathFactory):
    """The environment of tests/conftest.py's `isolated_git`, for fixtures built once per session."""
    home = tmp_path_factory.mktemp("hostile-home")
    (home / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n[tag]\n\tgpgSign = false\n[commit]\n\tgpgSign = false\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home))
        patch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
        for key, value in GIT_ENV.items():
            patch.setenv(key, value)
        for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "NO_COLOR"):
            patch.delenv(key, raising=False)
        patch.setenv("COLUMNS", "200")
        yield patch


@pytest.fixture(scope="session")
def small_template(tmp_path_factory: pytest.TempPathFactory, isolated_build_env) -> Path:
    """A small committed spec repo: three requirements, one record of each kind, a tag."""
    root = tmp_path_factory.mktemp("small-template") / "repo"
    write_tree(root, SMALL)
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "initial", tag="v1")
    return root


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory, demo_build: DemoBuild, isolated_build_env) -> Path:
    """`reqtrace demo` (tests/conftest.py builds it once per worker): signed baselines
    contract-v1.0 and delivery-v1.0, emails, documents. It asks for `isolated_build_env`
    so that the module fixtures built on it (e.g. the warm caches' answers) run in the
    same environment as the tests: HOME, git config and a 200-column terminal."""
    return copy_demo(demo_build, tmp_path_factory.mktemp("demo-template") / "repo")


@pytest.fixture(scope="module")
def small_ws(tmp_path_factory: pytest.TempPathFactory, small_template: Path) -> Workspace:
    return make_workspace(tmp_path_factory.mktemp("ws") / "w", small_template)


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory, demo_template: Path) -> Workspace:
    return make_workspace(tmp_path_factory.mktemp("ws") / "w", demo_template)
