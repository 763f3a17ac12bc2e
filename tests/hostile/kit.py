"""The machinery of the hostile campaign: one case, one run of the real CLI, one verdict.

A case runs `reqtrace.cli.main` in this process (as `python -m reqtrace` would,
through the same error mapping to exit codes), with stdout and stderr as byte
streams that encode like a UTF-8 terminal's, so that a crash shows as exit 4 or
as an exception escaping `main`, never as a harness quirk. A handful of cases
(closed pipes, FIFOs) run in a real subprocess instead.

Every case is judged the same way (`judge`): no exception escaped, exit code
not 4, no "Traceback" in the output, the exit code in the family's documented
set, a non-zero exit for an input that must not pass, and no file touched
outside the places the command may write (`Sentinel`).
"""

from __future__ import annotations

import contextlib
import gc
import glob
import hashlib
import io
import os
import random
import stat
import subprocess
import sys
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from conftest import GIT_IDENTITY

SEED = 16  # one fixed seed: the same inputs on every run and every machine
ANY = frozenset({0, 1, 2, 3})
FAILS = frozenset({1, 2, 3})  # a refusal of any documented kind
# Absolute paths some inputs name (an archive member, an attachment, a YAML tag's command):
# outside every workspace, so `judge` looks for them itself.
PWNED = "/tmp/reqtrace-hostile-pwned"  # noqa: S108


def rng(family: str) -> random.Random:
    """A generator per family, so that adding cases to one family leaves the others' inputs alone."""
    return random.Random(f"{SEED}:{family}")  # noqa: S311 - reproducible inputs, not secrets


@dataclass(frozen=True)
class Case:
    """One hostile input. `name` is the readable test id: family, then what the input is."""

    family: str
    name: str
    payload: object = None
    allowed: frozenset[int] = ANY
    must_fail: bool = False  # a non-zero exit is required: passing this input would be a silent pass

    @property
    def id(self) -> str:
        return f"{self.family}:{self.name}"


def ids(cases: Sequence[Case]) -> list[str]:
    return [case.id for case in cases]


@dataclass
class Outcome:
    args: list[str]
    code: int
    stdout: str
    stderr: str
    escaped: str | None = None  # the traceback of an exception that escaped `main`

    def describe(self) -> str:
        head = f"reqtrace {' '.join(_short(a) for a in self.args)} -> exit {self.code}"
        tail = (self.stderr.strip() or self.stdout.strip())[-800:]
        return printable(head + ("\n" + self.escaped[-2000:] if self.escaped else "") + ("\n" + tail if tail else ""))


def printable(text: str) -> str:
    """Text that survives any report: lone surrogates and control characters escaped
    (pytest-xdist cannot send a surrogate between processes; ESC would act on the terminal)."""
    return "".join(
        char if char in "\n\t" or (char.isprintable() and not 0xD800 <= ord(char) <= 0xDFFF) else repr(char)[1:-1]
        for char in text
    )


def _short(arg: str) -> str:
    return arg if len(arg) <= 60 else arg[:57] + "..."


# --- running the CLI ------------------------------------------------------------------


def _terminal_stream(errors: str) -> io.TextIOWrapper:
    # Like Python's own streams under a UTF-8 locale such as en_US.UTF-8: stdout
    # is strict (a lone surrogate, or a non-UTF-8 file name decoded with
    # surrogateescape, fails to print, as it does for such a user), stderr
    # replaces what it cannot encode. (Under the C or C.UTF-8 locale Python's
    # stdout uses surrogateescape instead; `run_process` asks for strict too.)
    return io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors=errors, write_through=True)


def _text(stream: io.TextIOWrapper) -> str:
    stream.flush()
    return stream.buffer.getvalue().decode("utf-8", "replace")  # type: ignore[attr-defined]


_BUILT: dict[int, object] = {}


def _built_once(original):  # type: ignore[no-untyped-def]
    """typer's get_command, remembered: typer rebuilds the whole click command tree from the
    type hints on every call (~85% of an in-process run); the tree is the same every time."""

    def get_command(instance):  # type: ignore[no-untyped-def]
        if id(instance) not in _BUILT:
            _BUILT[id(instance)] = original(instance)
        return _BUILT[id(instance)]

    return get_command


def run(args: Sequence[str], cwd: Path, *, stdin: str = "") -> Outcome:
    """`reqtrace ARGS` from `cwd`, in this process, through `reqtrace.cli.main`.

    With REQTRACE_HOSTILE_SUBPROCESS=1 every case runs in a real process instead:
    slower, and the way to confirm that a failure is the product's, not the harness's."""
    if os.environ.get("REQTRACE_HOSTILE_SUBPROCESS") == "1":
        return run_process(args, cwd, stdin=stdin)
    import typer.main

    from reqtrace import cli
    from reqtrace.cli import output

    cli._register()
    out, err = _terminal_stream("strict"), _terminal_stream("backslashreplace")
    saved = (sys.argv, sys.stdin, sys.stdout, sys.stderr, os.getcwd())
    saved_hooks = (sys.excepthook, typer.main.get_command)
    typer.main.get_command = _built_once(saved_hooks[1])
    output.json_requested = False
    cli._debug = False
    code: int
    escaped = None
    try:
        os.chdir(cwd)
        sys.argv = ["reqtrace", *args]
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8", "surrogateescape")), encoding="utf-8")
        sys.stdout, sys.stderr = out, err
        try:
            cli.main()
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        except BaseException:  # noqa: BLE001 - anything escaping main is what we look for
            code = -1
            escaped = traceback.format_exc()
    finally:
        sys.argv, sys.stdin, sys.stdout, sys.stderr = saved[:4]
        sys.excepthook, typer.main.get_command = saved_hooks
        os.chdir(saved[4])
        gc.unfreeze()  # commands freeze their objects for speed; in one process that only accumulates
        output.json_requested = False
    return Outcome(list(args), code, _text(out), _text(err), escaped)


def run_process(args: Sequence[str], cwd: Path, *, timeout: float = 30, stdout: int | None = None, env: dict[str, str] | None = None, stdin: str | None = None) -> Outcome:
    """`python -m reqtrace ARGS` in a real process, for what needs a process boundary."""
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "reqtrace", *args], cwd=cwd, timeout=timeout,
            stdout=subprocess.PIPE if stdout is None else stdout, stderr=subprocess.PIPE,
            input=None if stdin is None else stdin.encode("utf-8", "surrogateescape"),
            stdin=subprocess.DEVNULL if stdin is None else None,
            env={**os.environ, "PYTHONIOENCODING": "utf-8:strict", **(env or {})},
        )
    except subprocess.TimeoutExpired:
        return Outcome(list(args), -2, "", "", f"no answer within {timeout} s (blocked?)")
    decode = lambda data: (data or b"").decode("utf-8", "replace")  # noqa: E731
    return Outcome(list(args), proc.returncode, decode(proc.stdout), decode(proc.stderr))


# --- nothing touched outside where the command may write -------------------------------


def tree_state(root: Path, skip: Iterable[Path] = ()) -> dict[str, tuple[object, ...]]:
    """Every entry below root (not following symlinks): type, and for files size, mtime and content hash."""
    skipped = {str(p) for p in skip}
    state: dict[str, tuple[object, ...]] = {}
    if not os.path.lexists(root):
        return state
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if os.path.join(folder, d) not in skipped]
        for name in dirs + files:
            path = os.path.join(folder, name)
            if path in skipped:
                continue
            info = os.lstat(path)
            kind = stat.S_IFMT(info.st_mode)
            digest: object = None
            if stat.S_ISREG(info.st_mode) and info.st_size <= 1 << 20:
                with open(path, "rb") as handle:
                    digest = hashlib.sha1(handle.read(), usedforsecurity=False).hexdigest()
            elif stat.S_ISLNK(info.st_mode):
                digest = os.readlink(path)
            if stat.S_ISDIR(info.st_mode):
                # A folder's own times change when a temp file comes and goes (an atomic
                # write beside the named output): its listing is what counts.
                state[os.path.relpath(path, root)] = (kind,)
                continue
            state[os.path.relpath(path, root)] = (kind, info.st_size, info.st_mtime_ns, digest)
    return state


@dataclass
class Sentinel:
    """Folders the command must leave alone, and the state they were in before it ran."""

    roots: list[Path]
    skip: list[Path] = field(default_factory=list)
    before: list[dict[str, tuple[object, ...]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.before = [tree_state(root, self.skip) for root in self.roots]

    def changes(self) -> list[str]:
        found = []
        for root, before in zip(self.roots, self.before, strict=True):
            after = tree_state(root, self.skip)
            for path in sorted(set(before) | set(after)):
                if before.get(path) != after.get(path):
                    what = "created" if path not in before else "removed" if path not in after else "changed"
                    found.append(f"{what}: {root / path}")
        return found


# --- the verdict ------------------------------------------------------------------------


def judge(case: Case, outcome: Outcome, sentinel: Sentinel | None = None) -> None:
    """Fail with one readable message naming every rule the outcome broke."""
    broken = []
    if outcome.escaped is not None:
        broken.append("an exception escaped main (a traceback)" if outcome.code == -1 else outcome.escaped)
    if outcome.code == 4:
        broken.append("exit 4 (internal error)")
    if "Traceback" in outcome.stdout or "Traceback" in outcome.stderr:
        broken.append("'Traceback' in the output")
    if outcome.code not in case.allowed and outcome.code not in (-1, 4):
        broken.append(f"exit {outcome.code}, expected one of {sorted(case.allowed)}")
    if case.must_fail and outcome.code == 0:
        broken.append("silent pass: exit 0 for an input that must be refused")
    touched = sentinel.changes() if sentinel is not None else []
    touched += [f"created: {path}" for path in glob.glob(PWNED + "*")]
    if touched:
        broken.append("touched files it must not: " + "; ".join(touched[:5]))
    if broken:
        raise AssertionError(printable(f"[{case.id}] " + " | ".join(b.splitlines()[0] if b.startswith("Traceback") else b for b in broken)) + "\n" + outcome.describe())


# --- building repos ---------------------------------------------------------------------

GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", **GIT_IDENTITY}  # the suite's one test identity (tests/conftest.py)


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True, env={**os.environ, **GIT_ENV})
    return proc.stdout.strip()


def write_tree(root: Path, files: dict[str, str | bytes]) -> None:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def commit_all(repo: Path, message: str = "change", tag: str | None = None) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    if tag:
        git(repo, "tag", tag)


@contextlib.contextmanager
def replaced(path: Path, content: bytes | None):
    """The file holds `content` (None: removed) for the duration, then its old bytes again."""
    old = path.read_bytes() if path.is_file() else None
    path.parent.mkdir(parents=True, exist_ok=True)
    if content is None:
        path.unlink(missing_ok=True)
    else:
        path.write_bytes(content)
    try:
        yield path
    finally:
        if old is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(old)
