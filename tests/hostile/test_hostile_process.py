"""Where the process boundary matters: a reader that went away (`reqtrace list | head`),
a full disk behind stdout, odd stdin and argv bytes. Real processes, a handful of them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .kit import ANY, Case, Outcome, judge

pytestmark = pytest.mark.hostile

PIPE_COMMANDS = {
    "list": ["list"],
    "list-json": ["list", "--format", "json"],
    "check": ["check"],
    "trace": ["trace", "REQ-4"],
    "graph": ["graph"],
    "diff": ["diff", "contract-v1.0"],
    "triage-json": ["triage", "--all", "--format", "json"],
    "help": ["--help"],
}
FULL_COMMANDS = {"list": ["list"], "graph": ["graph", "--format", "json"], "check-json": ["check", "--format", "json"]}

PROCESS_CASES = (
    [Case("process", f"closed-pipe:{name}", argv, frozenset({0})) for name, argv in PIPE_COMMANDS.items()]
    + [Case("process", f"dev-full:{name}", argv, ANY, must_fail=True) for name, argv in FULL_COMMANDS.items()]
)


def _spawn(argv: list[str], cwd, stdout, stdin=subprocess.DEVNULL) -> subprocess.Popen:  # type: ignore[no-untyped-def]
    return subprocess.Popen(
        [sys.executable, "-m", "reqtrace", *argv], cwd=cwd, stdout=stdout, stderr=subprocess.PIPE, stdin=stdin,
        env={**os.environ, "PYTHONIOENCODING": "utf-8:strict"},
    )


@pytest.mark.parametrize("case", PROCESS_CASES, ids=[case.id for case in PROCESS_CASES])
def test_hostile_process_boundary(demo_ws, case: Case) -> None:  # type: ignore[no-untyped-def]
    argv: list[str] = case.payload  # type: ignore[assignment]
    sentinel = demo_ws.sentinel()
    if case.name.startswith("closed-pipe"):
        proc = _spawn(argv, demo_ws.repo, subprocess.PIPE)
        proc.stdout.close()  # type: ignore[union-attr]  # the reader is gone before the first line
        _, err = proc.communicate(timeout=60)
    else:
        with open("/dev/full", "w") as full:
            proc = _spawn(argv, demo_ws.repo, full)
            _, err = proc.communicate(timeout=60)
    stderr = err.decode("utf-8", "replace")
    judge(case, Outcome(argv, proc.returncode, "", stderr), sentinel)
    assert "Exception ignored" not in stderr, f"[{case.id}] Python's shutdown complained\n{stderr[-800:]}"


STDIN_CASES = {
    "empty": b"",
    "non-utf8": b"\xff\xfe\xfa please change REQ-4 \xc3\x28",
    "nul-bytes": b"change\x00REQ-4\x00",
    "esc": b"\x1b]0;pwned\x07\x1b[2J cancel online",
    "1MB": b"cancel " * 150_000,
}


@pytest.mark.parametrize("name", list(STDIN_CASES), ids=[f"process:triage-stdin:{name}" for name in STDIN_CASES])
def test_hostile_triage_text_from_stdin(demo_ws, name: str) -> None:  # type: ignore[no-untyped-def]
    case = Case("process", f"triage-stdin:{name}", allowed=ANY)
    sentinel = demo_ws.sentinel()
    proc = _spawn(["triage", "--text", "-"], demo_ws.repo, subprocess.PIPE, subprocess.PIPE)
    out, err = proc.communicate(STDIN_CASES[name], timeout=60)
    judge(case, Outcome(["triage", "--text", "-"], proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")), sentinel)
    assert b"\x1b" not in out + err, f"[{case.id}] a raw ESC reached the terminal"


ARGV_BYTES = {"show-non-utf8-id": [b"show", b"REQ-\xff\xfe"], "check-non-utf8-rev": [b"check", b"--rev", b"\xff"], "trace-non-utf8-id-json": [b"trace", b"\xc3\x28", b"--format", b"json"]}


@pytest.mark.parametrize("name", list(ARGV_BYTES), ids=[f"process:argv-bytes:{name}" for name in ARGV_BYTES])
def test_hostile_argv_bytes(demo_ws, name: str) -> None:  # type: ignore[no-untyped-def]
    """Bytes that are not UTF-8 on the command line (a file name pasted from elsewhere)."""
    case = Case("process", f"argv-bytes:{name}", allowed=ANY, must_fail=True)
    sentinel = demo_ws.sentinel()
    proc = subprocess.run(
        [os.fsencode(sys.executable), b"-m", b"reqtrace", *ARGV_BYTES[name]], cwd=demo_ws.repo, capture_output=True, timeout=60,
        env={**os.environ, "PYTHONIOENCODING": "utf-8:strict"},
    )
    judge(case, Outcome([a.decode("utf-8", "replace") for a in ARGV_BYTES[name]], proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")), sentinel)
