"""`reqtrace export FORMAT ...`: hand requirements to other tools, at any revision or baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from . import app, output
from .options import FormatOption, RevOption, RootOption, TextOrJson, complete_baselines

export_app = typer.Typer(
    name="export",
    help="Write the requirements, at a revision or baseline, in another tool's format.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(export_app, name="export")


# ---------------------------------------------------------------- export reqif


@export_app.command("reqif")
def export_reqif(
    output_file: Annotated[Path, typer.Option("--output", "-o", help="The .reqif file to write (replaced atomically).", show_default=False)],
    rev: RevOption = None,
    baseline: Annotated[Optional[str], typer.Option("--baseline", help="Export the requirements as this baseline froze them (a baseline name).", show_default=False, autocompletion=complete_baselines)] = None,  # noqa: UP007
    root: RootOption = None,
    fmt: FormatOption = TextOrJson.text,
) -> None:
    """Write the requirements as ReqIF 1.2: each document a SPECIFICATION, its sections the hierarchy, links as SPEC-RELATIONs, x- fields as string attributes. See docs/export.md."""
    from ..config import find_spec_repo
    from ..exporters.reqif import run_reqif_export

    output.json_requested = fmt is TextOrJson.json
    repo = find_spec_repo(root)
    outcome = run_reqif_export(repo, output_file, rev=rev, baseline=baseline)
    if fmt == TextOrJson.json:
        output.write_json({"ok": True, **outcome})
        return
    out = output.stdout_console()
    output.say(out, f"[green]✓[/] wrote {output.counted(outcome['requirements'], 'requirement')} in "
                    f"{output.counted(outcome['specifications'], 'specification')} with "
                    f"{output.counted(outcome['relations'], 'link')} to {output.esc(outcome['file'])}")
    for link in outcome["links_left_out"]:
        output.say(out, f"[yellow]left out[/] the link {output.esc(link)}: its parent is not a requirement at this revision")
