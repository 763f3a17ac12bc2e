"""`reqtrace --help` lists the commands without building them (issue 18: --help in 0.1 s),
and says exactly what typer's fully built command tree says."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer.main
from click.testing import CliRunner

from reqtrace import cli
from reqtrace.cli.lazy_root import build_root


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the commands and command groups typer builds from here on, in a fresh
    root (main keeps its root for the process)."""
    names: list[str] = []
    build_command, build_group = typer.main.get_command_from_info, typer.main.get_group_from_info

    def command_from_info(command_info, **options):  # type: ignore[no-untyped-def]
        command = build_command(command_info, **options)
        names.append(command.name)
        return command

    def group_from_info(group_info, **options):  # type: ignore[no-untyped-def]
        group = build_group(group_info, **options)
        if group.name != "reqtrace":  # the root itself: its own options only
            names.append(group.name)
        return group

    monkeypatch.setattr(typer.main, "get_command_from_info", command_from_info)
    monkeypatch.setattr(typer.main, "get_group_from_info", group_from_info)
    monkeypatch.setattr(cli, "_root_group", None)
    yield names


def test_top_level_help_builds_no_command(built, run_in_process, tmp_path) -> None:
    result = run_in_process("--help", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "  baseline  " in result.stdout and "  check  " in result.stdout and "  export  " in result.stdout
    assert built == []
    no_arguments = run_in_process(cwd=tmp_path)
    assert "Commands:" in no_arguments.stdout + no_arguments.stderr
    assert built == []


def test_a_command_is_built_when_asked_for_its_own_help_and_only_it(built, run_in_process, tmp_path) -> None:
    result = run_in_process("diff", "--help", cwd=tmp_path)
    assert result.exit_code == 0 and "--fail-on" in result.stdout
    assert built == ["diff"]
    result = run_in_process("baseline", "sign", "--help", cwd=tmp_path)
    assert result.exit_code == 0 and "--key" in result.stdout
    assert built[-1] == "baseline" and "diff" in built and "check" not in built  # the group and its own commands


@pytest.fixture(scope="module")
def trees() -> tuple[object, object]:
    cli._register()
    return build_root(cli.app), typer.main.get_command(cli.app)


def _answer(command: object, args: list[str], width: int, color: bool) -> tuple[int, str]:
    result = CliRunner().invoke(command, args, prog_name="reqtrace", env={"COLUMNS": str(width)}, color=color)  # type: ignore[arg-type]
    return result.exit_code, result.output


@pytest.mark.parametrize("width", [40, 60, 79, 80, 120, 200])
@pytest.mark.parametrize("color", [False, True])
def test_top_level_help_is_byte_for_byte_typers(trees, width: int, color: bool) -> None:
    lazy, full = trees
    for args in (["--help"], ["-h"], [], ["chek"], ["baseline", "nope"]):  # and "Did you mean 'check'"
        assert _answer(lazy, args, width, color) == _answer(full, args, width, color), args


def test_every_commands_own_help_is_typers(trees) -> None:
    lazy, full = trees
    names = full.list_commands(None)  # type: ignore[attr-defined]
    assert lazy.list_commands(None) == names  # type: ignore[attr-defined]
    for name in names:
        assert _answer(lazy, [name, "--help"], 80, False) == _answer(full, [name, "--help"], 80, False), name
