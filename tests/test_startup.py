"""`reqtrace --version` answers before the command line is built (start-up time, issue 18)."""

from __future__ import annotations

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
