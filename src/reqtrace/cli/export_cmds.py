"""`reqtrace export FORMAT ...`: hand requirements to other tools, at any revision or baseline."""

from __future__ import annotations

import typer

from . import app

export_app = typer.Typer(
    name="export",
    help="Write the requirements, at a revision or baseline, in another tool's format.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(export_app, name="export")
