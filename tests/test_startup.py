"""`reqtrace --version` answers before the command line is built (start-up time, issue 18)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from reqtrace import __version__

VERSION_ONLY = """
import sys
sys.argv = ["reqtrace", "--version"]
from reqtrace.cli import main
try:
    main()
except SystemExit as done:
    print("exit", done.code, "commands loaded:", "reqtrace.cli.spec_cmds" in sys.modules, file=sys.stderr)
"""


def test_version_prints_without_loading_the_commands() -> None:
    done = subprocess.run([sys.executable, "-c", VERSION_ONLY], capture_output=True, text=True)
    assert done.stdout == f"reqtrace {__version__}\n"
    assert done.stderr.strip() == "exit 0 commands loaded: False"


def test_version_into_a_closed_pipe_or_a_full_disk_answers_as_before() -> None:
    closed = subprocess.Popen([sys.executable, "-m", "reqtrace", "--version"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert closed.stdout is not None
    closed.stdout.close()  # the reader is gone before anything is written
    assert closed.wait() == 0 and b"Traceback" not in closed.stderr.read()  # type: ignore[union-attr]
    if Path("/dev/full").exists():
        with open("/dev/full", "w") as full:
            done = subprocess.run([sys.executable, "-m", "reqtrace", "--version"], stdout=full, stderr=subprocess.PIPE, text=True)
        assert done.returncode == 4 and "No space left on device" in done.stderr and "Traceback" not in done.stderr


def test_version_with_other_options_takes_the_usual_path() -> None:
    done = subprocess.run([sys.executable, "-m", "reqtrace", "--debug", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == f"reqtrace {__version__}\n"


HELP_ONLY = """
import sys
sys.argv = ["reqtrace", "--help"]
from reqtrace.cli import main
try:
    main()
except SystemExit as done:
    print("exit", done.code, "model loaded:", "reqtrace.core.model" in sys.modules, file=sys.stderr)
"""


def test_help_does_not_load_the_model() -> None:
    done = subprocess.run([sys.executable, "-c", HELP_ONLY], capture_output=True, text=True)
    assert "Usage:" in done.stdout and "check" in done.stdout
    assert done.stderr.strip() == "exit 0 model loaded: False"


# `run` (the program) against `main` (what a caller in its own process gets): `main` is
# wrapped to register an exit handler while the command runs, as the parse cache does.
PROGRAM = """
import atexit, os, sys
import reqtrace.cli as cli

class Witness:  # says so when the interpreter's teardown frees it
    def __del__(self, write=os.write):
        write(2, b"torn down\\n")

witness = Witness()
plain_main = cli.main

def main():
    atexit.register(lambda: print("exit handler ran", file=sys.stderr))
    plain_main()

cli.main = main
entry = sys.argv[1]
sys.argv = ["reqtrace", *sys.argv[2:]]
cli.run() if entry == "run" else cli.main()
"""


def test_the_program_ends_without_the_teardown_with_the_same_answer_and_exit_code(tmp_path: Path) -> None:
    args = ["check", "--root", str(tmp_path / "missing"), "--format", "json"]
    ended = {entry: subprocess.run([sys.executable, "-c", PROGRAM, entry, *args], capture_output=True, text=True) for entry in ("run", "main")}
    for entry, done in ended.items():
        assert done.returncode == 3, (entry, done.stderr)  # bad input
        answer = json.loads(done.stdout)  # written whole, flushed
        assert answer["ok"] is False and answer["error"]["code"] == "no-spec-repo"
        assert "exit handler ran" in done.stderr and "Traceback" not in done.stderr
    assert ended["run"].stdout == ended["main"].stdout
    assert "torn down" in ended["main"].stderr  # the witness speaks when the interpreter tears down...
    assert "torn down" not in ended["run"].stderr  # ...and the program ends before that
