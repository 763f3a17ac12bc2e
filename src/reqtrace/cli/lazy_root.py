"""The root group that `main` runs: typer's own group, with each command built when used.

typer turns every command's signature into click parameters (type hints, `Annotated`
options) before it can print the top-level `--help`: that was half the time of a
`reqtrace --help`. Here a command is built only when it is looked up to run, to
complete or to show its own help; the root's listing reads an outline of it (name,
help, short help, hidden, deprecated), which is all click's listing uses.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable

import click
import typer
import typer.main
from typer.core import TyperGroup


class LazyGroup(TyperGroup):
    """A TyperGroup whose commands are built on first lookup (see the module docstring).

    Until then `commands` holds each command's outline, so that what reads the names
    (the listing's order, typer's "Did you mean" for a mistyped command) reads them as
    before."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._builders: dict[str, Callable[[], click.Command]] = {}
        self._listing = False

    def defer(self, outline: click.Command, build: Callable[[], click.Command]) -> None:
        assert outline.name
        self.commands[outline.name] = outline
        self._builders[outline.name] = build

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self._builders and not self._listing:
            self.commands[cmd_name] = self._builders.pop(cmd_name)()
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True  # the outlines say all that the listing shows
        try:
            super().format_commands(ctx, formatter)
        finally:
            self._listing = False


def build_root(app: typer.Typer) -> LazyGroup:
    """What `typer.main.get_command(app)` builds, with the commands deferred."""
    shell = copy.copy(app)  # the root's own options and callback, none of its commands
    shell.registered_commands = []
    shell.registered_groups = []
    shell.info = copy.copy(app.info)
    shell.info.cls = LazyGroup
    root = typer.main.get_command(shell)
    assert isinstance(root, LazyGroup)
    # In typer's own order: the commands, then the groups (get_group_from_info).
    for command_info in app.registered_commands:
        root.defer(_command_outline(command_info), _command_builder(app, command_info))
    for group_info in app.registered_groups:
        root.defer(_group_outline(group_info), _group_builder(app, group_info))
    return root


def _command_outline(info: typer.models.CommandInfo) -> click.Command:
    # As typer.main.get_command_from_info names and describes a command.
    assert info.callback is not None
    name = info.name or typer.main.get_command_name(info.callback.__name__)
    help_text = inspect.getdoc(info.callback) if info.help is None else inspect.cleandoc(info.help)
    return click.Command(name, help=help_text, short_help=info.short_help, hidden=info.hidden, deprecated=info.deprecated)


def _group_outline(info: typer.models.TyperInfo) -> click.Command:
    solved = typer.main.solve_typer_info_defaults(info)
    return click.Command(solved.name, help=solved.help, short_help=solved.short_help, hidden=solved.hidden, deprecated=solved.deprecated)


def _command_builder(app: typer.Typer, info: typer.models.CommandInfo) -> Callable[[], click.Command]:
    return lambda: typer.main.get_command_from_info(info, pretty_exceptions_short=app.pretty_exceptions_short, rich_markup_mode=app.rich_markup_mode)


def _group_builder(app: typer.Typer, info: typer.models.TyperInfo) -> Callable[[], click.Command]:
    return lambda: typer.main.get_group_from_info(
        info, pretty_exceptions_short=app.pretty_exceptions_short, rich_markup_mode=app.rich_markup_mode, suggest_commands=app.suggest_commands
    )
