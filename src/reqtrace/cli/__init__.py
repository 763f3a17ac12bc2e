"""The command line: typer only. Each command parses its options, calls the core,
and picks a renderer; `main` turns the core's errors into messages and exit codes."""

from __future__ import annotations

import atexit
import os
import sys
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from reqtrace import __version__

if TYPE_CHECKING:
    import click

app = typer.Typer(
    name="reqtrace",
    help="Requirements under git: what was agreed, who signed it, what changed since, and was it approved.",
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_debug = False


def _version(value: bool) -> None:
    if value:
        print(f"reqtrace {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = None,  # noqa: UP007
    debug: Annotated[bool, typer.Option("--debug", help="Show a traceback when something goes wrong, where cached answers came from (e.g. `graph: patched`) and which cache files were not used (damaged, stale or not regular files).")] = False,
) -> None:
    global _debug
    _debug = debug
    _log_discarded_caches(debug)


def _log_discarded_caches(debug: bool) -> None:
    """Under --debug, say which cache files were not used and why (cachefile.note)."""
    if debug or "reqtrace.io.cachefile" in sys.modules:  # else nothing to set or undo, and no import
        from reqtrace.io.cachefile import show_notes

        show_notes(debug)


# In the order `--help` lists them: the order a project meets them.
COMMAND_MODULES = ("authoring_cmds", "spec_cmds", "baseline_cmds", "diff_cmds", "graph_cmds", "review_cmds", "evidence_cmds", "triage_cmds", "pack_cmds",
                   "import_cmds", "export_cmds", "publish_cmds")


def _register() -> None:
    # Each module adds its commands to `app`; the core is imported inside commands,
    # so that `--help` and `--version` stay fast.
    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}")


_root_group: click.Group | None = None


def _root_command() -> click.Group:
    """The click group `main` runs, built once per process (tests run `main` many times in
    one). Each command is built when it is run or asked for its own --help (lazy_root): the
    top-level --help lists them without turning their signatures into options."""
    global _root_group
    if _root_group is None:
        from reqtrace.cli.lazy_root import build_root

        _register()
        _root_group = build_root(app)
    return _root_group


def _fail(code: int, kind: str, message: str, hint: str | None = None, *, json_answer: bool = True) -> None:
    from reqtrace.cli import output
    from reqtrace.errors import OutputError

    if output.json_requested and json_answer:
        try:
            output.write_json({"ok": False, "error": {"code": kind, "message": message, "hint": hint}})
        except (output.ReaderGone, OutputError):
            output.silence_stdout()  # stdout is gone; stderr still says what went wrong
    console = output.stderr_console()
    # An error stays one line however wide (the terminal folds it): CI logs and scripts grep it.
    console.print(f"[bold red]reqtrace: error:[/] {output.esc(message)}", soft_wrap=True)
    if hint:
        console.print(f"  [dim]hint:[/] {output.esc(hint)}", soft_wrap=True)
    sys.exit(code)


def main() -> None:
    """Run the command; the one place that turns what went wrong into an exit code.

    The exit code does not depend on --debug: it only adds the traceback.
    """
    if sys.argv[1:] == ["--version"]:
        # What `_version` prints, before typer turns every command's signature into click
        # parameters: that costs two thirds of a start-up, and --version needs none of it.
        # Unbuffered, so that a closed or full stdout leaves nothing half-written behind for
        # the usual path, which then answers as it always has.
        try:
            os.write(sys.stdout.fileno(), f"reqtrace {__version__}\n".encode())
        except (OSError, ValueError):
            pass
        else:
            sys.exit(0)
    import traceback

    import click

    from reqtrace.cli import output, progress_display
    from reqtrace.errors import ExitCode, OutputError, ReqtraceError

    output.prepare_streams()
    output.gate_failed = False  # `ok` in the JSON follows it; a run in the same process starts clean
    _register()
    display = progress_display.install(sys.argv[1:], _json_asked(sys.argv[1:]))
    try:
        try:
            # Not standalone: click hands usage errors to us, so that they can be answered
            # in JSON too; `typer.Exit(code)` comes back as the return value.
            code = _root_command()(standalone_mode=False)
        except click.UsageError as error:  # an unknown option, a missing argument, a bad value
            error.show()
            if _json_asked(sys.argv[1:]):
                output.write_json({"ok": False, "error": {"code": "usage", "message": error.format_message(), "hint": _usage_hint(error)}})
            code = int(ExitCode.USAGE)
        except click.ClickException as error:
            error.show()
            code = error.exit_code
        except click.Abort:  # end of input at a prompt
            output.stderr_console().print("Aborted!")
            code = 1
        finally:
            if display is not None:  # erased before anything else is said
                display.close()
            # What is still buffered is written now, while a failure can still be reported.
            output.stdout().flush()
        sys.exit(code if isinstance(code, int) else 0)
    except output.ReaderGone:
        # The reader closed the pipe (`reqtrace list | head`): what it wanted, it got.
        output.silence_stdout()
        sys.exit(int(ExitCode.FINDINGS) if output.gate_failed else 0)
    except ReqtraceError as error:
        if _debug:
            traceback.print_exc()
        if isinstance(error, OutputError):
            output.silence_stdout()
        _fail(int(error.exit_code), error.code, error.message, error.hint, json_answer=not isinstance(error, OutputError))
    except KeyboardInterrupt:
        sys.exit(130)
    except SystemExit as exiting:
        # click/typer catch an EPIPE they meet themselves (writing --help or a usage
        # message into `| head -c1`) and exit 1, which reads as a failed gate. A
        # closed reader is not a failure: exit 0 -- unless the gate really failed
        # (output.gate_failed, set before every exit 1) or stdout is still open (an
        # EPIPE from somewhere else, e.g. a pipe to git, stays exit 1).
        if exiting.code == 1 and not output.gate_failed and output.stdout_closed():
            output.silence_stdout()
            sys.exit(0)
        raise
    except Exception as error:  # noqa: BLE001 - the last line of defence
        if isinstance(error, BrokenPipeError) and output.stdout_closed():
            # A write that bypassed output.py (click's --help, print) met a closed stdout.
            # Only that is harmless: a pipe to git that broke mid-check must not pass the gate.
            output.silence_stdout()
            sys.exit(0)
        if _debug:
            traceback.print_exc()
        if isinstance(error, FileNotFoundError) and not _cwd_exists():
            # Every relative path, and the search for reqtrace.yaml, starts in the current folder.
            _fail(int(ExitCode.BAD_INPUT), "bad-input", "the current folder no longer exists (it was deleted or moved)", "cd into an existing folder and run the command again")
        _fail(int(ExitCode.INTERNAL), "internal", f"internal error ({type(error).__name__}: {error}); run again with --debug for the traceback and please report it")


# The exit code `run` ends the process with, once the exit handlers have run (empty: the
# interpreter ends it, as after `main` alone).
_ending: list[int] = []


def run() -> None:
    """The `reqtrace` program (the installed script, `python -m reqtrace`): `main`, and then
    the process ends as soon as the exit handlers have run (the parse cache's last entries
    written among them) and stdout and stderr are flushed, without the interpreter's teardown:
    its last collection over every object still alive, and the freeing of each one — 0.02-0.04 s
    of CPU after a warm command, 0.03-0.19 s after a cold one at 10,000 requirements, 1.3 s
    after a cold status at 100,000 (docs/performance.md), at the end of every run, alone on
    its core; the operating system takes the memory back at once.
    The same exit code and output; what cannot be flushed is left to the interpreter, which
    reports it as it always has. A caller in its own process (the tests) calls `main`, which
    ends as usual."""
    atexit.register(_end_now)  # registered first, run last: after every other exit handler
    try:
        main()
    except SystemExit as exiting:
        if isinstance(exiting.code, int):  # what `main` always gives; anything else ends the usual way
            _ending.append(exiting.code)
        raise


def _end_now() -> None:
    if not _ending:
        return
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return  # the interpreter's own last flush meets it again, and says so as without `run`
    os._exit(_ending[-1])


def _json_asked(args: list[str]) -> bool:
    """Whether the command line asked for JSON, read from argv itself: a usage error
    means click could not parse it, so no option value is there to ask."""
    return any(
        arg in ("--format=json", "-fjson") or (arg in ("--format", "-f") and following == "json")
        for arg, following in zip(args, [*args[1:], ""], strict=False)  # one longer when args is empty
    )


def _usage_hint(error: object) -> str:
    context = getattr(error, "ctx", None)
    path = context.command_path if context is not None else "reqtrace"
    return f"see `{path} --help`"


def _cwd_exists() -> bool:
    try:
        os.getcwd()
    except FileNotFoundError:
        return False
    return True
