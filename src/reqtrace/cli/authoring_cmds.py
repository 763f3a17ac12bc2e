"""Commands that create files: init, new, demo."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import app, output
from .options import RootOption


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Where to make the spec repo (default: here).")] = Path("."),
    project: Annotated[Optional[str], typer.Option("--project", help="The project's name (default: the folder's name).")] = None,  # noqa: UP007
    customer: Annotated[Optional[str], typer.Option("--customer", help="Who the project is delivered to.")] = None,  # noqa: UP007
) -> None:
    """Make a spec repo: reqtrace.yaml and its folders (and `git init` when not in a repository)."""
    from ..authoring import init_spec_repo

    created = init_spec_repo(directory, project=project, customer=customer)
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
) -> None:
    """Create a requirement, request or meeting from a template with the next free id; print its path."""
    from ..authoring import new_item
    from ..config import find_spec_repo

    repo = find_spec_repo(root)
    path = new_item(repo, kind.value, title, folder=folder)
    output.write_text(str(path))
