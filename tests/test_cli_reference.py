"""docs/cli.md is generated from the commands' --help and must not go stale."""

from __future__ import annotations

import subprocess
import sys

import typer

from conftest import ROOT
from reqtrace.cli import _register, app
from reqtrace.cli.reference import COMMAND, render


def test_docs_cli_md_is_up_to_date() -> None:
    current = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert current == render(), (
        f"docs/cli.md is stale: run `{COMMAND}` from the repository root and commit the result"
    )


def test_every_command_is_in_the_reference_with_its_help() -> None:
    _register()
    text = render()
    root = typer.main.get_command(app)
    ctx = typer.Context(root, info_name="reqtrace")
    for name in root.list_commands(ctx):
        command = root.get_command(ctx, name)
        assert command is not None
        assert command.help and command.help.strip(), (
            f"`reqtrace {name}` has no help text: give it a docstring"
        )
        assert f"## `reqtrace {name}`" in text


def test_the_reference_does_not_depend_on_the_terminal(tmp_path) -> None:
    script = "from reqtrace.cli.reference import render; import sys; sys.stdout.write(render())"
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin", "COLUMNS": columns, **extra},
        ).stdout
        for columns, extra in (
            ("40", {}),
            ("250", {"NO_COLOR": "1"}),
            ("80", {"FORCE_COLOR": "1", "TERM": "xterm-256color"}),
        )
    }
    assert len(outputs) == 1


def test_sub_command_groups_are_included() -> None:
    demo = typer.Typer(name="demo-app", add_completion=False)
    group = typer.Typer(help="Freeze and sign what was agreed.")
    demo.add_typer(group, name="baseline")

    @group.command()
    def create(name: str) -> None:
        """Create a baseline."""

    @group.command()
    def verify(name: str) -> None:
        """Verify a baseline."""

    @demo.command()
    def check() -> None:
        """Check."""

    text = render(demo)
    assert "## `reqtrace baseline create`" in text and "## `reqtrace baseline verify`" in text
    assert "Verify a baseline." in text


def test_check_mode_says_what_to_run(tmp_path) -> None:
    stale = tmp_path / "cli.md"
    stale.write_text("old\n")
    result = subprocess.run(
        [sys.executable, "-m", "reqtrace.cli.reference", "--check", str(stale)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert f"run `{COMMAND}`" in result.stderr
    subprocess.run(
        [sys.executable, "-m", "reqtrace.cli.reference", str(stale)],
        check=True,
        capture_output=True,
    )
    assert (
        subprocess.run(
            [sys.executable, "-m", "reqtrace.cli.reference", "--check", str(stale)]
        ).returncode
        == 0
    )
