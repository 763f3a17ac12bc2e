"""Commands that create files: init, new, demo."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from reqtrace.cli import app, output
from reqtrace.cli.options import (
    FormatOption,
    ItemIdArgument,
    RootOption,
    TextOrJson,
    checked_argument,
)


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Where to make the spec repo (default: here).")] = Path("."),
    project: Annotated[Optional[str], typer.Option("--project", help="The project's name (default: the folder's name).")] = None,  # noqa: UP007
    customer: Annotated[Optional[str], typer.Option("--customer", help="Who the project is delivered to.")] = None,  # noqa: UP007
    format: FormatOption = TextOrJson.text,
) -> None:
    """Make a spec repo: reqtrace.yaml and its folders (and `git init` when not in a repository)."""
    from reqtrace.records.authoring import init_spec_repo

    output.json_requested = format is TextOrJson.json
    created = init_spec_repo(directory, project=project, customer=customer)
    if format is TextOrJson.json:
        output.write_json({"ok": True, "root": str(created.root), "written": created.relative_paths(), "git_initialised": created.git_initialised})
        return
    console = output.stderr_console()
    for path in created.paths:
        console.print(f"created {output.esc(path)}")
    if created.git_initialised:
        console.print("initialised an empty git repository")
    console.print("next: `reqtrace new requirement --title \"…\"`, then `reqtrace check`")


class NewKind(str, Enum):
    requirement = "requirement"
    request = "request"
    meeting = "meeting"


@app.command()
def new(
    kind: Annotated[NewKind, typer.Argument(help="What to create.")],
    title: Annotated[str, typer.Option("--title", help="Its title.")],
    root: RootOption = None,
    folder: Annotated[Optional[str], typer.Option("--folder", help="Sub-folder of specs/ for a requirement, e.g. booking.")] = None,  # noqa: UP007
    item_id: Annotated[Optional[str], typer.Option("--id", help="The id, chosen by hand (default: one no branch holds).")] = None,  # noqa: UP007
    format: FormatOption = TextOrJson.text,
) -> None:
    """Create a requirement, request or meeting from a template; print its path.

    The id is free on every local and remote-tracking branch: sequential in a
    clone with no remote, a random 4-digit run in a team's clone (docs/format.md).
    """
    from reqtrace.core.config import find_spec_repo
    from reqtrace.records.authoring import new_item

    output.json_requested = format is TextOrJson.json
    repo = find_spec_repo(root)
    path = new_item(repo, kind.value, title, folder=folder, item_id=item_id)
    if format is TextOrJson.json:
        output.write_json({"ok": True, "kind": kind.value, "id": path.stem, "title": title,
                           "path": path.relative_to(repo.root.resolve()).as_posix(), "file": str(path)})
        return
    output.write_text(str(path))


@app.command()
def renumber(
    old: ItemIdArgument,
    new: Annotated[str, typer.Argument(metavar="NEW", help="The id it gets.", callback=checked_argument)],
    file: Annotated[Optional[str], typer.Option("--file", help="When OLD is defined twice: the file of the copy to renumber, relative to the spec repo's root.")] = None,  # noqa: UP007
    root: RootOption = None,
    format: FormatOption = TextOrJson.text,
) -> None:
    """Give a requirement or record a new id, in its file and every reference; baselines keep the old one.

    Renames a file named after the id, rewrites each id field of every
    requirement and record in place (comments and formatting kept), records
    `x-renamed-from: OLD` on a requirement so that `log NEW` follows its history,
    and writes all files or none. Refuses a NEW that exists on any branch.
    """
    from reqtrace.core.config import find_spec_repo
    from reqtrace.records.renumber import renumber as renumber_item

    repo = find_spec_repo(root)
    result = renumber_item(repo, old, new, definition=file)
    if format is TextOrJson.json:
        output.write_json(result.as_dict())
        return
    out = output.stdout_console()
    moved = f" (now {output.esc(result.new_path)})" if result.new_path != result.path else ""
    out.print(f"[green]✓[/] {output.esc(result.old)} → {output.esc(result.new)}: {result.kind} in {output.esc(result.path)}{moved}", soft_wrap=True)
    for path, count in sorted(result.changed.items()):
        out.print(f"  {count} id(s) rewritten in {output.esc(path)}", soft_wrap=True)
    if result.left:
        out.print(f"  still mention {output.esc(result.old)} (text, or the other copy's references; not changed):", soft_wrap=True)
        for path in result.left:
            out.print(f"    {output.esc(path)}", soft_wrap=True)
    if result.baselines:
        out.print(f"  baselines {output.esc(', '.join(result.baselines))} keep {output.esc(result.old)}: they were signed so", soft_wrap=True)
    out.print("next: `reqtrace check`, then commit", soft_wrap=True)


@app.command()
def demo(
    directory: Annotated[Path, typer.Argument(help="A new folder for the demo spec repo.")] = Path("reqtrace-demo"),
) -> None:
    """Build the worked example — a clinic's appointment system, Jan–Oct 2026 — as a git repo, and say what to try."""
    from reqtrace.demo import materialise, suggested_commands

    console = output.stderr_console()
    result = materialise(directory, progress=lambda line: console.print(f"[dim]{output.esc(line)}[/]"))
    span = f"{result.first:%Y-%m-%d} to {result.last:%Y-%m-%d}" if result.first and result.last else ""
    out = output.stdout_console()
    out.print(f"[green]✓[/] demo spec repo in [bold]{output.esc(result.target)}[/]: {result.commits} commits, {span}", soft_wrap=True)
    out.print("\nTry, from that folder:", soft_wrap=True)
    out.print(f"  cd {output.esc(result.target)}", soft_wrap=True)
    known = {name for name in _command_names()}
    for command, why in suggested_commands():
        if command.startswith("git ") or command.split()[1] in known:
            comment = f" [dim]# {output.esc(why)}[/]" if why else ""
            out.print(f"  {output.esc(command):<40}{comment}", soft_wrap=True)


def _command_names() -> set[str]:
    names = set()
    for info in app.registered_commands:
        names.add(info.name or (info.callback.__name__ if info.callback else ""))
    for group in app.registered_groups:
        names.add(group.name or "")
    return names
