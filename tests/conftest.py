"""Shared fixtures: isolated git, throw-away spec repos, and running the CLI."""

from __future__ import annotations

import fcntl
import gc
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
# Files written by other tools (mail parsers' test suites), each with its source and licence in SOURCES.txt.
MATERIAL_EML = DATA / "material" / "eml"

CONFIG = "project: Test project\ncustomer: Test customer\n"

# The suite starts well over a thousand Python processes (`reqtrace` as a user runs it, and the
# xdist workers). With PYTHONDONTWRITEBYTECODE set, as in some CI images and in this project's own,
# each of them compiles every module it imports from source again (~0.13 s of CPU per `reqtrace`
# run, a quarter of the suite's CPU); the first one now caches the byte code and the rest read it,
# as on a user's machine. Set here, before xdist starts its workers, so that they inherit it.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules holding a test marked slow run first, each kept whole (its module fixtures are
    built once) and in its own order: xdist's workers then end the run on short tests, instead
    of one worker starting a 15-second test while the other has nothing left to take."""
    slow_modules = {getattr(item, "module", None) for item in items if item.get_closest_marker("slow") is not None}
    items.sort(key=lambda item: getattr(item, "module", None) not in slow_modules)


GITCONFIG = "[init]\n\tdefaultBranch = main\n[tag]\n\tgpgSign = false\n[commit]\n\tgpgSign = false\n"


@pytest.fixture(autouse=True)
def isolated_git(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every test off the real home directory and git configuration."""
    home = tmp_path_factory.mktemp("home")
    _isolate_git(monkeypatch, home)


@pytest.fixture(autouse=True)
def collector_back_on():
    """Every test ends with the cyclic collector on and nothing frozen: `pack build` and the
    graph commands switch it off or freeze what they hold for the rest of their process (a
    real command ends there), and in-process runs share one process for the whole suite."""
    yield
    gc.enable()
    gc.unfreeze()


# pip's own cache, found before a test moves HOME: the tests that install this checkout with the real
# pip (pre-commit's hook environment, the GitHub Action's install step) reuse the wheels pip already
# downloaded and built (jieba is an sdist), as they would on a developer's machine, instead of fetching
# and building every dependency again under an empty HOME.
PIP_CACHE = os.environ.get("PIP_CACHE_DIR") or str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pip")
# Those installs skip pip's byte-compiling of every installed file (pip's `--no-compile`; spelled
# PIP_COMPILE=0 because PIP_NO_COMPILE=1 means the opposite to pip): about half the CPU of installing
# reqtrace and its dependencies (12.7 -> 6.0 s), for byte code no test looks at. Python compiles
# what reqtrace imports on its first run instead, as it does for any module without byte code.
PIP_COMPILE = "0"


GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.test",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.test",
    "GIT_AUTHOR_DATE": "2026-01-15T10:00:00+00:00",
    "GIT_COMMITTER_DATE": "2026-01-15T10:00:00+00:00",
}


def _isolate_git(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    config = home / ".gitconfig"
    config.write_text(GITCONFIG)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PIP_CACHE_DIR", PIP_CACHE)
    monkeypatch.setenv("PIP_COMPILE", PIP_COMPILE)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "NO_COLOR"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("COLUMNS", "200")


@pytest.fixture(scope="session")
def build_env(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The environment of `isolated_git`, for repos built once per module or session
    (module fixtures are set up before the per-test `isolated_git`)."""
    with pytest.MonkeyPatch.context() as patch:
        _isolate_git(patch, tmp_path_factory.mktemp("build-home"))
        yield


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True,
        env={**os.environ, **(env or {})},
    )
    return result.stdout.strip()


def write_files(root: Path, files: dict[str, str | bytes | None]) -> None:
    """Write (or, for None, delete) files below root."""
    for relative, content in files.items():
        path = root / relative
        if content is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


@dataclass
class SpecRepoFixture:
    root: Path

    def write(self, files: dict[str, str | bytes | None]) -> None:
        write_files(self.root, files)

    def commit(self, files: dict[str, str | bytes | None] | None = None, message: str = "change", *, date: str | None = None, tag: str | None = None) -> str:
        if files:
            self.write(files)
        env = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date} if date else None
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "--allow-empty", "-m", message, env=env)
        if tag:
            git(self.root, "tag", tag)
        return git(self.root, "rev-parse", "HEAD")

    def git(self, *args: str) -> str:
        return git(self.root, *args)


def requirement_yaml(req_id: str, title: str = "A requirement", statement: str | None = None, **fields: object) -> str:
    import json

    lines = [f"id: {req_id}", f"title: {json.dumps(title, ensure_ascii=False)}"]
    lines.append(f"statement: {json.dumps(statement or f'The system shall do {req_id}.', ensure_ascii=False)}")
    for key, value in fields.items():
        lines.append(f"{key.replace('_', '-') if key.startswith('x_') else key}: {json.dumps(value, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def plain_baseline_entries(root: Path, commit: str) -> list[tuple[str, str, str]]:
    """A baseline's entries at `commit` computed from nothing (no kept digests, every requirement
    parsed and digested): what every kept path of `baseline create` is checked against."""
    from reqtrace.baselines.baseline import digest_entries, requirements_at
    from reqtrace.core.config import find_spec_repo

    shutil.rmtree(root / ".git" / "reqtrace", ignore_errors=True)
    return [(e.id, e.digest, e.path) for e in digest_entries(requirements_at(find_spec_repo(root), commit)[1])]


def created_entries(created: object) -> list[tuple[str, str, str]]:
    """The entries a `create_baseline` result froze, as `plain_baseline_entries` gives them."""
    return [(e.id, e.digest, e.path) for e in created.baseline.requirements]  # type: ignore[attr-defined]


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., SpecRepoFixture]:
    """make_repo({"specs/REQ-1.yaml": "..."}, tag="v1") -> a committed spec repo."""
    return make_repo_in(tmp_path)


def make_repo_in(tmp_path: Path) -> Callable[..., SpecRepoFixture]:
    """`make_repo` for a folder of one's own: for module and session fixtures (with `build_env`)."""

    def factory(files: dict[str, str | bytes | None] | None = None, *, tag: str | None = None, git_init: bool = True, name: str = "repo") -> SpecRepoFixture:
        root = tmp_path / name
        root.mkdir()
        # Like `reqtrace init`, the requirements folder always exists (a repo without
        # one is refused: a check that reads no requirements must not pass).
        keep = {} if any(path.startswith("specs/") for path in files or {}) else {"specs/.gitkeep": ""}
        write_files(root, {"reqtrace.yaml": CONFIG, **keep, **(files or {})})
        fixture = SpecRepoFixture(root)
        if git_init:
            git(root, "init", "-q")
            fixture.commit(message="initial", tag=tag)
        return fixture

    return factory


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """Run `reqtrace ARGS` in a real subprocess, as a user would, from `cwd`."""
    return run_reqtrace


def run_reqtrace(*args: str, cwd: Path | None = None, input: str | None = None, env: dict[str, str] | None = None) -> CliResult:
    """`run_cli` as a plain function, for module and session fixtures."""
    proc = subprocess.run(
        [sys.executable, "-m", "reqtrace", *args],
        cwd=cwd, capture_output=True, text=True, input=input,
        env={**os.environ, **(env or {})},
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def run_in_process(monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """Like `run_cli`, through `reqtrace.cli.main` in this process (tests/hostile/kit.py's `run`):
    the same exit codes, stdout and stderr, without ~0.3 s of CPU to start a process. For
    tests that only need a command's answer; keep real processes (`run_cli`) in at least one
    test per command, and wherever a process boundary or a cold cache is what is tested."""
    from hostile.kit import run

    def runner(*args: str, cwd: Path | None = None, input: str | None = None, env: dict[str, str] | None = None) -> CliResult:
        with monkeypatch.context() as patch:
            for key, value in (env or {}).items():
                patch.setenv(key, value)
            outcome = run(list(args), cwd or Path.cwd(), stdin=input or "")
        assert outcome.escaped is None, outcome.describe()
        return CliResult(outcome.code, outcome.stdout, outcome.stderr)

    return runner


def copy_repo(template: Path, target: Path) -> SpecRepoFixture:
    """A copy of a repo built once per module (0.1 s instead of a new repo and commits)."""
    shutil.copytree(template, target, symlinks=True)
    return SpecRepoFixture(target)


@dataclass(frozen=True)
class DemoBuild:
    root: Path  # never run a command here (caches, edits): work on a copy (copy_demo)
    stdout: str  # what `reqtrace demo` printed
    stderr: str


def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder that every xdist worker of this run shares (the parent of the workers' own
    temporary folders); without xdist, the run's own."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _shared_build(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path, dict[str, str]], dict[str, str]]) -> tuple[Path, dict[str, str]]:
    """`build(folder, env)` run once per run, in a folder every xdist worker shares: the first
    worker to ask builds it under a lock, the others wait and read what it returned (JSON)."""
    shared = run_folder(tmp_path_factory)
    folder, said = shared / name, shared / f"{name}.json"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not said.exists():
            home = tmp_path_factory.mktemp(f"{name}-home")
            (home / ".gitconfig").write_text(GITCONFIG)
            env = {key: value for key, value in os.environ.items() if key not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")}
            env.update({"HOME": str(home), "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"), "GIT_CONFIG_NOSYSTEM": "1", "COLUMNS": "200"})
            shutil.rmtree(folder, ignore_errors=True)  # a build cut short by a failure
            folder.mkdir()
            said.write_text(json.dumps(build(folder, env)), encoding="utf-8")
    return folder, json.loads(said.read_text(encoding="utf-8"))


# The two caches a spec repo's first `triage` writes in .git/reqtrace/: CC-CEDICT parsed, and
# jieba's dictionary. Both are made from the dictionaries reqtrace ships, the same in every repo.
TRIAGE_DICTIONARIES = ("cedict-", "jieba")


@pytest.fixture(scope="session")
def triage_dictionaries(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the caches of a first triage (~1.5 s of CPU to make: CC-CEDICT parsed,
    jieba's dictionary built), made once per run by a real `reqtrace triage` in a small repo.
    `keep_triage_dictionaries` puts them in a template, as in any repo where someone has run
    triage once; where the cold first run is the subject (test_precedent, test_triage_stages),
    the tests do not use them."""

    def build(folder: Path, env: dict[str, str]) -> dict[str, str]:
        repo = folder / "repo"
        write_files(repo, {"reqtrace.yaml": CONFIG, "specs/REQ-1.yaml": requirement_yaml("REQ-1", "Booking window", "Bookings open 14 days ahead.")})
        for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "initial"], ["tag", "baseline/v1"]):
            # set up before any test's `isolated_git`: its identity is given here
            subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env={**env, **GIT_IDENTITY})
        warmed = subprocess.run([sys.executable, "-m", "reqtrace", "triage", "--text", "请把预约窗口改为30天。", "--baseline", "v1"],
                                cwd=repo, capture_output=True, text=True, env=env)
        assert warmed.returncode == 0, warmed.stderr
        made = [path for path in (repo / ".git" / "reqtrace").iterdir() if path.name.startswith(TRIAGE_DICTIONARIES)]
        assert len(made) == 2, sorted(path.name for path in made)
        for path in made:
            shutil.copy2(path, folder / path.name)  # the modification time too: jieba compares it with its dictionary's
        shutil.rmtree(repo)
        return {}

    return _shared_build(tmp_path_factory, "triage-dictionaries", build)[0]


def keep_triage_dictionaries(dictionaries: Path, root: Path) -> None:
    """The caches of a first triage put in `root`'s .git/reqtrace/, where that triage keeps them."""
    kept = root / ".git" / "reqtrace"
    kept.mkdir(parents=True, exist_ok=True)
    for path in dictionaries.iterdir():
        shutil.copy2(path, kept / path.name)


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory, triage_dictionaries: Path) -> DemoBuild:
    """`reqtrace demo`, built once per run (about 5 s of CPU: ~30 commits, two signed
    baselines), with the dictionaries a first triage keeps: the first worker to ask builds it
    under a lock, the others wait and read it. A test or module works on its own copy, which
    takes a tenth of a second."""

    def build(folder: Path, env: dict[str, str]) -> dict[str, str]:
        proc = subprocess.run([sys.executable, "-m", "reqtrace", "demo", str(folder / "demo")], capture_output=True, text=True, env=env)
        assert proc.returncode == 0, proc.stderr
        # The demo's copies start with the caches `reqtrace demo` left, and the dictionaries,
        # so that each module triaging a copy does not make them again.
        keep_triage_dictionaries(triage_dictionaries, folder / "demo")
        return {"stdout": proc.stdout, "stderr": proc.stderr}

    folder, printed = _shared_build(tmp_path_factory, "demo-build", build)
    return DemoBuild(folder / "demo", printed["stdout"], printed["stderr"])


def copy_demo(build: DemoBuild, target: Path) -> Path:
    """A copy of the built demo at `target` (which must not exist yet)."""
    shutil.copytree(build.root, target, symlinks=True)
    return target


def demo_edited_after_delivery(build: DemoBuild, target: Path, note: str) -> Path:
    """A copy of the demo with REQ-5's statement edited (prefixed with `note`) and committed after the
    accepted baseline, so that the baseline and HEAD differ."""
    copy_demo(build, target)
    spec = next(target.joinpath("specs").rglob("REQ-5.yaml"))
    spec.write_text(spec.read_text(encoding="utf-8").replace("statement: ", f"statement: {note} ", 1), encoding="utf-8")
    subprocess.run(["git", "commit", "-qam", "REQ-5 edited after delivery"], cwd=target, check=True, capture_output=True)
    return target


def cold_copy(template: Path, target: Path) -> Path:
    """A copy of a repo built once per module, without its kept results (`.git/reqtrace/`): a cold start."""
    shutil.copytree(template, target, symlinks=True)
    shutil.rmtree(target / ".git" / "reqtrace", ignore_errors=True)
    return target
