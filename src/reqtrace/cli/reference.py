"""Generate docs/cli.md, the command-line reference, from every command's --help.

    python -m reqtrace.cli.reference            # rewrite docs/cli.md
    python -m reqtrace.cli.reference --check    # exit 1 when docs/cli.md is stale

It walks the typer app, so commands added later appear without changes here.
The text does not depend on the terminal: fixed width, no colour.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import typer

WIDTH = 80
DEFAULT_OUTPUT = Path("docs") / "cli.md"
COMMAND = "python -m reqtrace.cli.reference"

HEADER = f"""# Command-line reference

Generated from the `--help` of every command by `{COMMAND}`:
run it from the repository root after changing a command
(`tests/test_cli_reference.py` fails while this file is stale).
Do not edit by hand.

Exit codes of every command: 0 all good, 1 the check found errors (the gate
failed), 2 usage error, 3 the input could not be read (no spec repo, unknown
revision, shallow clone missing the revision), 4 internal error.
"""


def _contexts(
    command: click.Command,
    name: str,
    parent: click.Context | None,
) -> Iterator[tuple[str, click.Context]]:
    # make_context applies the command's context_settings (e.g. -h as --help);
    # resilient parsing lets it be made without the command's required arguments.
    # Plain click formatting even for a sub-app made with typer's default rich
    # help: rich would print boxes sized to the terminal instead of returning text.
    if isinstance(command, typer.core.TyperGroup | typer.core.TyperCommand):
        command.rich_markup_mode = None
    ctx = command.make_context(
        name,
        [],
        parent=parent,
        resilient_parsing=True,
        terminal_width=WIDTH,
        max_content_width=WIDTH,
    )
    yield ctx.command_path, ctx
    if not isinstance(command, click.Group):
        return
    for sub_name in command.list_commands(ctx):
        sub = command.get_command(ctx, sub_name)
        if sub is not None and not sub.hidden:
            yield from _contexts(sub, sub_name, ctx)


def render(application: typer.Typer | None = None) -> str:
    """The whole reference as Markdown: one section per command, in --help order."""
    if application is None:
        from reqtrace.cli import _register, app

        _register()
        application = app
    root = typer.main.get_command(application)
    sections = [HEADER]
    for path, ctx in _contexts(root, "reqtrace", None):
        help_text = ctx.command.get_help(ctx).rstrip()
        lines = [line.rstrip() for line in help_text.splitlines()]
        sections.append(f"## `{path}`\n\n```text\n" + "\n".join(lines) + "\n```\n")
    return "\n".join(sections)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=COMMAND, description="Write the command-line reference (docs/cli.md)."
    )
    parser.add_argument(
        "output",
        nargs="?",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="where to write it (default: docs/cli.md)",
    )
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 when the file differs"
    )
    options = parser.parse_args(argv)
    text = render()
    current = options.output.read_text(encoding="utf-8") if options.output.is_file() else None
    if options.check:
        if current != text:
            print(f"{options.output} is stale: run `{COMMAND}`", file=sys.stderr)
            return 1
        return 0
    if current != text:
        from reqtrace.io.files import atomic_write

        atomic_write(options.output, text)
        print(f"wrote {options.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
