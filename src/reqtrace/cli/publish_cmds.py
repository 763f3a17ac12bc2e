"""`reqtrace publish`: the spec as static HTML pages that open offline."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Annotated

import typer

from reqtrace.cli import app, output
from reqtrace.cli.options import (
    BaselineOption,
    FormatOption,
    RevOption,
    RootOption,
    TextOrJson,
    non_empty_path,
)


@app.command()
def publish(
    out: Annotated[str, typer.Option("--output", "-o", metavar="DIR", help="The folder to write the pages to (made when missing, not its parent).", show_default=False, callback=non_empty_path)],
    rev: RevOption = None,
    baseline: BaselineOption = None,
    single_page: Annotated[bool, typer.Option("--single-page", help="Everything in one index.html instead of one page per document.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Write into a folder that is not empty and holds no earlier publish.")] = False,
    root: RootOption = None,
    format: FormatOption = TextOrJson.text,
) -> None:
    """Write the spec as static HTML: an index with the documents and a search box, one page per
    document (sections in order, each requirement with its links both ways, baseline and sign-off
    state, and the requests and decisions that touched it). Opens offline; loads nothing."""
    from reqtrace.core.config import find_spec_repo
    from reqtrace.errors import UsageError
    from reqtrace.publish.site import publish_spec

    output.json_requested = format is TextOrJson.json
    if rev is not None and baseline is not None:
        raise UsageError("give --rev or --baseline, not both")
    repo = find_spec_repo(root)
    # Publishing builds a view of every requirement and frees almost nothing until the
    # command ends: the cyclic collector would walk those objects again and again (about
    # a fifth of the time for 10,000 requirements). A process-wide setting, so made here,
    # and given back after: a caller running commands in one process keeps its collector.
    collecting = gc.isenabled()
    gc.disable()
    try:
        result = publish_spec(repo, Path(out), rev=rev, baseline=baseline, single_page=single_page, force=force)
    finally:
        if collecting:
            gc.enable()
    if format is TextOrJson.json:
        output.write_json({"ok": True, **result.as_dict()})
        return
    console = output.stdout_console()
    output.say(console, f"[green]✓[/] published {output.counted(result.requirements, 'requirement')} in {output.counted(result.documents, 'document')} from {output.esc(result.where)}")
    output.say(console, f"  wrote {output.counted(len(result.files), 'page')} to {output.esc(str(result.out))}" + (f", removed {len(result.removed)} old page(s)" if result.removed else ""))
    for note in result.notes:
        output.say(console, f"[yellow]![/] {output.esc(note)}")
    output.say(console, f"[dim]open {output.esc(str(result.out / 'index.html'))}[/]")
