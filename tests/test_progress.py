"""Progress on stderr: drawn on a terminal (a real pseudo-terminal here) once work has run
for a second, never on a pipe, never with --format json, never on stdout."""

from __future__ import annotations

import mailbox
import os
import pty
import select
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from conftest import requirement_yaml
from reqtrace.io import progress

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")


def run_with_terminal_stderr(args: list[str], cwd: Path, *, delay: str | None = "0", timeout: float = 120, extra_env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run `reqtrace ARGS` with stderr on a pseudo-terminal and stdout on a pipe.

    Returns (exit code, stdout, what the terminal received)."""
    primary, secondary = pty.openpty()
    env = {**os.environ, "COLUMNS": "80", "TERM": "xterm-256color"}
    env.pop("NO_PROGRESS", None)
    env.update(extra_env or {})
    if delay is not None:
        env["REQTRACE_PROGRESS_DELAY"] = delay
    else:
        env.pop("REQTRACE_PROGRESS_DELAY", None)
    proc = subprocess.Popen([sys.executable, "-m", "reqtrace", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=secondary, stdin=subprocess.DEVNULL, env=env)
    os.close(secondary)
    received = bytearray()
    stdout = bytearray()
    deadline = time.monotonic() + timeout
    streams = {primary: received, proc.stdout.fileno(): stdout}
    while streams and time.monotonic() < deadline:
        ready, _, _ = select.select(list(streams), [], [], 1)
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # the terminal's other end closed: Linux says EIO
                data = b""
            if data:
                streams[fd].extend(data)
            else:
                del streams[fd]
    code = proc.wait(timeout=10)
    os.close(primary)
    proc.stdout.close()
    return code, stdout.decode("utf-8", "replace"), received.decode("utf-8", "replace")


@pytest.fixture
def repo(make_repo):
    return make_repo({f"specs/REQ-{n}.yaml": requirement_yaml(f"REQ-{n}") for n in range(1, 31)})


def test_a_terminal_sees_progress_and_stdout_stays_clean(repo) -> None:
    code, stdout, terminal = run_with_terminal_stderr(["check"], repo.root)
    assert code == 0
    assert "reading 30 files" in terminal
    assert stdout.startswith("✓ no problems in 30 requirements")
    assert "reading" not in stdout and "\x1b" not in stdout
    # The line is erased again (transient) and the cursor shown again.
    assert "\x1b[2K" in terminal and "\x1b[?25h" in terminal


def test_nothing_on_a_pipe(repo) -> None:
    env = {**os.environ, "REQTRACE_PROGRESS_DELAY": "0"}
    result = subprocess.run([sys.executable, "-m", "reqtrace", "check"], cwd=repo.root, capture_output=True, text=True, env=env)
    assert result.returncode == 0
    assert result.stderr == ""
    assert "reading" not in result.stdout


def test_nothing_with_json_even_on_a_terminal(repo) -> None:
    code, stdout, terminal = run_with_terminal_stderr(["check", "--format", "json"], repo.root)
    assert code == 0
    assert terminal == ""
    assert stdout.lstrip().startswith("{")


def test_nothing_for_work_under_a_second(repo) -> None:
    # The default delay: a quick check of 30 requirements never draws.
    code, _stdout, terminal = run_with_terminal_stderr(["check"], repo.root, delay=None)
    assert code == 0
    assert terminal == ""


@pytest.mark.parametrize("variable", [{"NO_PROGRESS": "1"}, {"TERM": "dumb"}])
def test_a_variable_turns_it_off(repo, variable) -> None:
    code, _stdout, terminal = run_with_terminal_stderr(["check"], repo.root, extra_env=variable)
    assert code == 0
    assert terminal == ""


def test_ingesting_an_mbox_counts_messages(make_repo, tmp_path: Path) -> None:
    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1")})
    box = mailbox.mbox(tmp_path / "inbox.mbox")
    for n in range(1, 41):
        message = EmailMessage()
        message["From"] = "Chen Jing <chen@example.test>"
        message["To"] = "li@example.test"
        message["Subject"] = f"Wish {n}"
        message["Message-ID"] = f"<wish-{n}@example.test>"
        message["Date"] = "Mon, 05 Jan 2026 10:00:00 +0000"
        message.set_content(f"Please change REQ-1, wish {n}.")
        box.add(message)
    box.flush()
    code, stdout, terminal = run_with_terminal_stderr(["ingest", str(tmp_path / "inbox.mbox")], repo.root)
    assert code == 0, terminal
    assert "ingesting messages" in terminal
    assert "ingesting messages" not in stdout and "\x1b" not in stdout


def test_the_core_is_silent_without_a_listener() -> None:
    assert progress.set_listener(None) is None
    with progress.phase("anything", 3) as advance:
        advance(1)  # nothing listens: nothing happens, nothing fails


def test_a_listener_hears_phases_and_counts() -> None:
    heard: list[tuple] = []

    class Recorder:
        def begin(self, description: str, total: int | None) -> None:
            heard.append(("begin", description, total))

        def advance(self, done: int, total: int | None) -> None:
            heard.append(("advance", done, total))

        def end(self) -> None:
            heard.append(("end",))

    previous = progress.set_listener(Recorder())
    try:
        with pytest.raises(RuntimeError), progress.phase("work", 2) as advance:
            advance(1)
            raise RuntimeError("the phase ends even when the work fails")
    finally:
        progress.set_listener(previous)
    assert heard == [("begin", "work", 2), ("advance", 1, 2), ("end",)]


def test_building_a_pack_shows_its_phase(make_repo, tmp_path: Path) -> None:
    from pack_kit import build_repo

    built = build_repo(make_repo, tmp_path)
    code, stdout, terminal = run_with_terminal_stderr(["pack", "build", "v1", "-o", str(tmp_path / "pack.zip")], built.repo.root)
    assert code == 0, terminal
    assert "building the evidence pack of v1" in terminal
    assert "building the evidence pack" not in stdout and (tmp_path / "pack.zip").is_file()
