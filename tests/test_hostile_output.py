"""Hostile output: where -o writes, what reaches a terminal, and the exit code when
stdout fails. Each test is a reproduction from issue reports: the command is run
as a user runs it, in a subprocess, and the test checks what the user notices."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import requirement_yaml

# A title that, printed raw, sets the terminal's window title and clears the screen.
HOSTILE = "\x1b]0;PWNED\x07\x1b[2J"
# C1 CSI (0x9b), DEL and a right-to-left override: also obeyed by terminals, not shown.
HOSTILE_MORE = "\x9b31m\x7f\u202e"
UNSAFE_CHARS = ("\x1b", "\x07", "\x9b", "\x7f", "\u202e")


def no_traceback(result) -> None:  # type: ignore[no-untyped-def]
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout


def reqtrace(*args: str, cwd: Path, stdout=subprocess.PIPE, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def, type-arg]
    """For what run_cli cannot do: stdout to a device, bytes as written."""
    return subprocess.run([sys.executable, "-m", "reqtrace", *args], cwd=cwd, stdout=stdout, stderr=subprocess.PIPE, check=False, env={**os.environ, **(env or {})})


# --- 1. -o writes only an absent or a regular file ------------------------------------


def _device(path: Path) -> bool:
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # the numbers of /dev/null
    except (PermissionError, AttributeError):
        return False
    return True


@pytest.fixture
def graph_repo(make_repo):  # type: ignore[no-untyped-def]
    return make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1", "Book online"), "specs/REQ-2.yaml": requirement_yaml("REQ-2", "Cancel", parents=["REQ-1"])})


OUTPUT_COMMANDS = {"pack build": ("pack", "build", "HEAD"), "graph": ("graph",)}


@pytest.mark.parametrize("command", OUTPUT_COMMANDS, ids=list(OUTPUT_COMMANDS))
def test_o_never_replaces_a_device(graph_repo, run_cli, tmp_path: Path, command: str) -> None:
    device = tmp_path / "null"
    if not _device(device):
        pytest.skip("making a device node needs root")
    result = run_cli(*OUTPUT_COMMANDS[command], "-o", str(device), cwd=graph_repo.root)
    assert result.exit_code == 3, result.stderr
    assert "is a device, not a regular file" in result.stderr
    assert "wrote" not in result.stdout + result.stderr
    assert stat.S_ISCHR(os.lstat(device).st_mode), "the device was replaced"
    no_traceback(result)


@pytest.mark.parametrize("command", OUTPUT_COMMANDS, ids=list(OUTPUT_COMMANDS))
def test_o_never_writes_a_fifo(graph_repo, run_cli, tmp_path: Path, command: str) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    result = run_cli(*OUTPUT_COMMANDS[command], "-o", str(fifo), cwd=graph_repo.root)
    assert result.exit_code == 3, result.stderr
    assert "is a named pipe (FIFO), not a regular file" in result.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.parametrize("command", OUTPUT_COMMANDS, ids=list(OUTPUT_COMMANDS))
def test_o_never_writes_through_or_over_a_symlink(graph_repo, run_in_process, tmp_path: Path, command: str) -> None:
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    link = tmp_path / "out.zip"
    link.symlink_to(target)
    result = run_in_process(*OUTPUT_COMMANDS[command], "-o", str(link), cwd=graph_repo.root)
    assert result.exit_code == 3, result.stderr
    assert "is a symbolic link; reqtrace does not write through links" in result.stderr
    assert link.is_symlink() and target.read_text() == "keep me"
    # A dangling link is refused too: writing would create a file wherever it points.
    dangling = tmp_path / "dangling.zip"
    dangling.symlink_to(tmp_path / "elsewhere" / "made.zip")
    result = run_in_process(*OUTPUT_COMMANDS[command], "-o", str(dangling), cwd=graph_repo.root)
    assert result.exit_code == 3
    assert not (tmp_path / "elsewhere").exists()


@pytest.mark.parametrize("command", OUTPUT_COMMANDS, ids=list(OUTPUT_COMMANDS))
@pytest.mark.parametrize("name", ["folder", ""], ids=["a folder", "empty"])
def test_o_naming_a_folder_is_exit_3_not_a_crash(graph_repo, run_in_process, tmp_path: Path, command: str, name: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    if name:
        (work / name).mkdir()
    # '' is the current folder: run from a folder that is not the repo, with --root.
    args = [*OUTPUT_COMMANDS[command], "--root", str(graph_repo.root), "-o", str(work / name) if name else ""]
    result = run_in_process(*args, cwd=work)
    assert result.exit_code == 3, result.stderr
    assert "is a folder;" in result.stderr
    assert sorted(p.name for p in work.iterdir()) == ([name] if name else [])
    no_traceback(result)


@pytest.mark.parametrize("command", OUTPUT_COMMANDS, ids=list(OUTPUT_COMMANDS))
def test_o_into_a_missing_folder_is_exit_3_and_creates_nothing(graph_repo, run_in_process, tmp_path: Path, command: str) -> None:
    out = tmp_path / "no" / "such" / "out.zip"
    result = run_in_process(*OUTPUT_COMMANDS[command], "-o", str(out), cwd=graph_repo.root)
    assert result.exit_code == 3, result.stderr
    assert f"the folder {out.parent} does not exist" in result.stderr
    assert "hint: create it first (mkdir -p" in result.stderr
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("command", OUTPUT_COMMANDS, ids=list(OUTPUT_COMMANDS))
def test_o_replaces_a_regular_file(graph_repo, run_in_process, tmp_path: Path, command: str) -> None:
    # The rule still lets a user rebuild over their last output.
    out = tmp_path / "out.bin"
    out.write_text("old")
    result = run_in_process(*OUTPUT_COMMANDS[command], "-o", str(out), cwd=graph_repo.root)
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes() != b"old" and stat.S_ISREG(os.lstat(out).st_mode)
    assert list(tmp_path.glob(".*.tmp")) == []


def test_html_dir_may_be_made_but_not_its_parent(graph_repo, run_in_process, tmp_path: Path) -> None:
    out = tmp_path / "pack.zip"
    result = run_in_process("pack", "build", "HEAD", "-o", str(out), "--html-dir", str(tmp_path / "a" / "html"), cwd=graph_repo.root)
    assert result.exit_code == 3, result.stderr
    assert "does not exist" in result.stderr
    assert not out.exists() and not (tmp_path / "a").exists()
    link = tmp_path / "html"
    link.mkdir()
    (link / "index.html").symlink_to(tmp_path / "elsewhere.html")
    result = run_in_process("pack", "build", "HEAD", "-o", str(out), "--html-dir", str(link), cwd=graph_repo.root)
    assert result.exit_code == 3
    assert "--html-dir" in result.stderr and "symbolic link" in result.stderr
    assert not (tmp_path / "elsewhere.html").exists()


def test_graph_fallback_dot_file_follows_the_same_rule(graph_repo, run_in_process, tmp_path: Path) -> None:
    # Without Graphviz, `-o x.svg` writes x.dot instead: that name is checked as well.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "git").symlink_to(subprocess.run(["which", "git"], capture_output=True, text=True, check=True).stdout.strip())
    (tmp_path / "x.dot").symlink_to(tmp_path / "victim")
    result = run_in_process("graph", "-o", str(tmp_path / "x.svg"), cwd=graph_repo.root, env={"PATH": str(bin_dir)})
    assert result.exit_code == 3, result.stderr
    assert "symbolic link" in result.stderr
    assert not (tmp_path / "victim").exists()


# --- 2. no control character reaches a terminal ---------------------------------------


def hostile_requirement(verb: str) -> str:
    # \u escapes: YAML refuses C1 and DEL written raw, but reads them escaped.
    title, statement = json.dumps(f"Login {HOSTILE} page"), json.dumps(f"The system shall {HOSTILE} {verb} {HOSTILE_MORE}.")
    return f"id: REQ-1\ntitle: {title}\nstatement: {statement}\nstatus: draft\n"


@pytest.fixture
def hostile_repo(make_repo):  # type: ignore[no-untyped-def]
    repo = make_repo({
        "specs/REQ-1.yaml": hostile_requirement("log in"),
        "specs/REQ-2.yaml": requirement_yaml("REQ-2", f"Child {HOSTILE}", parents=["REQ-1"]) + f"{json.dumps('bogus' + HOSTILE)}: 1\n",  # check names the unknown field
        "records/requests/RQ-1.yaml": f"id: RQ-1\ntitle: {json.dumps('Please ' + HOSTILE)}\nreceived: 2026-01-20\naffects: [REQ-1]\n",
    })
    # A commit whose author and message carry the same bytes: log and diff show them.
    repo.write({"specs/REQ-1.yaml": hostile_requirement("log out")})
    repo.git("add", "-A")
    repo.git("-c", f"user.name=Eve {HOSTILE}", "-c", "user.email=eve@example.test", "commit", "-q", "-m", f"change {HOSTILE}")
    return repo


EIGHT = {
    "list": ("list", "--kind", "all"),
    "show": ("show", "REQ-1"),
    "trace": ("trace", "REQ-1"),
    "impact": ("impact", "REQ-1"),
    "status": ("status",),
    "check": ("check",),
    "log": ("log", "REQ-1"),
    "diff": ("diff", "HEAD~1", "HEAD"),
}


@pytest.mark.parametrize("command", EIGHT, ids=list(EIGHT))
def test_no_escape_sequence_reaches_the_terminal(hostile_repo, command: str) -> None:
    proc = reqtrace(*EIGHT[command], cwd=hostile_repo.root, env={"GIT_AUTHOR_NAME": f"Eve {HOSTILE}"})
    out, err = proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")
    assert proc.returncode in (0, 1), err
    for char in UNSAFE_CHARS:
        assert char not in out and char not in err, f"{char!r} reached the terminal"
    # What is left is still readable: the text around and inside the sequences.
    assert "PWNED" in out
    assert {"list": "Login", "show": "log out", "trace": "Login", "impact": "REQ-2", "status": "REQ-1", "check": "bogus", "log": "change", "diff": "log"}[command] in out


@pytest.mark.parametrize("command", ["list", "show", "diff"])
def test_with_colour_forced_only_rich_styles_are_written(hostile_repo, command: str) -> None:
    # Colour means ESC [ … m from rich itself; the repository's sequences must still go.
    proc = reqtrace(*EIGHT[command], cwd=hostile_repo.root, env={"FORCE_COLOR": "1", "TERM": "xterm-256color"})
    out = proc.stdout.decode("utf-8")
    assert proc.returncode == 0, proc.stderr
    assert "\x1b[" in out, "colour was not forced: the test would prove nothing"
    assert "\x1b]" not in out and "\x07" not in out and "\x1b[2J" not in out and "\x9b" not in out


def test_json_keeps_the_text_but_escapes_it(hostile_repo) -> None:
    proc = reqtrace("show", "REQ-1", "--format", "json", cwd=hostile_repo.root)
    assert proc.returncode == 0
    raw = proc.stdout.decode("utf-8")
    for char in UNSAFE_CHARS:
        assert char not in raw
    assert "\\u001b]0;PWNED\\u0007" in raw and "\\u009b" in raw and "\\u202e" in raw
    assert json.loads(raw)["fields"]["statement"] == f"The system shall {HOSTILE} log out {HOSTILE_MORE}."


def test_error_messages_are_cleaned_too(hostile_repo) -> None:
    proc = reqtrace("show", f"NOPE{HOSTILE}", cwd=hostile_repo.root)
    err = proc.stderr.decode("utf-8")
    # No id holds control characters: refused as a usage error (cli/options.checked_argument).
    assert proc.returncode == 2
    assert "\x1b" not in err and "\x07" not in err and "PWNED" in err


def test_markdown_and_github_output_are_cleaned(hostile_repo) -> None:
    for args in (("diff", "HEAD~1", "HEAD", "--format", "markdown"), ("check", "--format", "github")):
        proc = reqtrace(*args, cwd=hostile_repo.root)
        out = proc.stdout.decode("utf-8")
        assert "\x1b" not in out and "\x07" not in out, args
        assert "PWNED" in out


# --- 3. exit codes when stdout fails ---------------------------------------------------


@pytest.mark.parametrize("args", [("list", "--kind", "all"), ("check", "--format", "json"), ("diff", "HEAD~1", "HEAD")])
def test_a_closed_pipe_is_exit_0_without_traceback(hostile_repo, args: tuple[str, ...]) -> None:
    # `reqtrace list | head -c10`: the reader is gone before reqtrace writes.
    proc = subprocess.Popen([sys.executable, "-m", "reqtrace", *args], cwd=hostile_repo.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # type: ignore[union-attr]
    err = proc.stderr.read().decode()  # type: ignore[union-attr]
    assert proc.wait() == 0, err
    assert "Traceback" not in err and "Exception ignored" not in err


def test_a_closed_pipe_keeps_a_failed_gate_failed(make_repo) -> None:
    # `reqtrace check | head` in CI with pipefail: the errors were found before the reader left.
    repo = make_repo({f"specs/REQ-{n}.yaml": f"id: REQ-{n}\ntitle: no statement\n" for n in range(1, 40)})
    for args in (("check",), ("check", "--format", "json")):
        proc = subprocess.Popen([sys.executable, "-m", "reqtrace", *args], cwd=repo.root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        proc.stdout.close()  # type: ignore[union-attr]
        err = proc.stderr.read().decode()  # type: ignore[union-attr]
        assert proc.wait() == 1, err
        assert "Traceback" not in err


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("args", [("check", "--format", "json"), ("list",), ("graph",), ("diff", "HEAD~1", "HEAD", "--format", "markdown")])
def test_a_full_disk_on_stdout_is_exit_3_with_a_message(hostile_repo, args: tuple[str, ...]) -> None:
    with open("/dev/full", "wb") as full:
        proc = reqtrace(*args, cwd=hostile_repo.root, stdout=full)
    err = proc.stderr.decode()
    assert proc.returncode == 3, err
    assert "reqtrace: error: cannot write the output: No space left on device" in err
    assert "Traceback" not in err and "Exception ignored" not in err


@pytest.mark.parametrize("debug", [False, True])
def test_debug_changes_the_output_not_the_exit_code(hostile_repo, run_cli, debug: bool) -> None:
    result = run_cli(*(["--debug"] if debug else []), "show", "NOPE-9", cwd=hostile_repo.root)
    assert result.exit_code == 3
    assert "reqtrace: error: no item with id 'NOPE-9'" in result.stderr
    assert ("Traceback" in result.stderr) is debug


# --- 4. no crash (exit 4) from where or how the CLI is run -------------------------------


def test_demo_into_an_impossible_place_is_exit_3(run_cli, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = run_cli("demo", str(blocker / "demo"), cwd=tmp_path)
    assert result.exit_code == 3, result.stderr
    assert f"cannot make the demo folder {blocker / 'demo'}: Not a directory" in result.stderr
    no_traceback(result)


def test_a_deleted_working_folder_is_exit_3(hostile_repo, tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    script = f"cd {gone} && rmdir {gone} && exec {sys.executable} -m reqtrace check"
    proc = subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=False)
    assert proc.returncode == 3, proc.stderr
    assert "the current folder no longer exists" in proc.stderr


def test_init_refuses_a_dangling_reqtrace_yaml_link(run_in_process, tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / "reqtrace.yaml").symlink_to(tmp_path / "elsewhere" / "config.yaml")
    result = run_in_process("init", str(folder), cwd=tmp_path)
    assert result.exit_code == 3, result.stderr
    assert "reqtrace.yaml is a symbolic link; reqtrace never overwrites it" in result.stderr
    assert (folder / "reqtrace.yaml").is_symlink() and not (tmp_path / "elsewhere").exists()


def test_an_ascii_terminal_gets_escapes_not_a_crash(make_repo, run_cli) -> None:
    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1", "在线预约", "系统应支持在线预约。")})
    result = run_cli("list", cwd=repo.root, env={"PYTHONIOENCODING": "ascii"})
    assert result.exit_code == 0, result.stderr
    assert "\\u5728\\u7ebf\\u9884\\u7ea6" in result.stdout
    as_json = run_cli("show", "REQ-1", "--format", "json", cwd=repo.root, env={"PYTHONIOENCODING": "ascii"})
    assert as_json.exit_code == 0 and json.loads(as_json.stdout)["fields"]["title"] == "在线预约"
    unknown = run_cli("show", "NOPE-在", cwd=repo.root, env={"PYTHONIOENCODING": "ascii"})
    assert unknown.exit_code == 3 and "NOPE-\\u5728" in unknown.stderr


def test_log_at_worktree_is_a_usage_error(hostile_repo, run_in_process) -> None:
    result = run_in_process("log", "REQ-1", "--rev", "WORKTREE", cwd=hostile_repo.root)
    assert result.exit_code == 2, result.stderr
    assert "WORKTREE (the uncommitted files) has no history" in result.stderr
    no_traceback(result)


def test_an_id_with_100000_digits_does_not_crash(make_repo, run_in_process, tmp_path: Path) -> None:
    huge = "REQ-" + "0" * 100_000 + "1"
    repo = make_repo({
        "specs/huge.yaml": requirement_yaml(huge, "Huge"),
        "specs/REQ-10.yaml": requirement_yaml("REQ-10", "Ten"),
        "specs/REQ-9.yaml": requirement_yaml("REQ-9", "Nine"),
    })
    listed = run_in_process("list", "--format", "json", cwd=repo.root)
    assert listed.exit_code == 0, listed.stderr[-500:]
    # Still in natural order: the huge id's number is 1.
    assert [item["id"] for item in json.loads(listed.stdout)["items"]] == [huge, "REQ-9", "REQ-10"]
    out = tmp_path / "graph.json"
    graphed = run_in_process("graph", "--format", "json", "-o", str(out), cwd=repo.root)
    assert graphed.exit_code == 0, graphed.stderr[-500:]
    assert run_in_process("status", cwd=repo.root).exit_code == 0
    made = run_in_process("new", "requirement", "--title", "Next", cwd=repo.root)
    assert made.exit_code == 0, made.stderr[-500:]
    assert made.stdout.strip().endswith("REQ-11.yaml")
