"""`reqtrace export FORMAT ...`: hand requirements to other tools, at any revision or baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

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
    baseline: BaselineOption = None,
    root: RootOption = None,
    fmt: FormatOption = TextOrJson.text,
) -> None:
    """Write the requirements as ReqIF 1.2: each document a SPECIFICATION, its sections the hierarchy, links as SPEC-RELATIONs, x- fields as string attributes. See docs/export.md."""
    from reqtrace.core.config import find_spec_repo
    from reqtrace.exporters.reqif import run_reqif_export

    output.json_requested = fmt is TextOrJson.json
    repo = find_spec_repo(root)
    outcome = run_reqif_export(repo, output_file, rev=rev, baseline=baseline)
    if fmt == TextOrJson.json:
        output.write_json({"ok": True, **outcome})
        return
    out = output.stdout_console()
    output.say(out, f"[green]✓[/] wrote {output.counted(outcome['requirement_count'], 'requirement')} in "
                    f"{output.counted(outcome['specification_count'], 'specification')} with "
                    f"{output.counted(outcome['relation_count'], 'link')} to {output.esc(outcome['output'])}")
    for link in outcome["links_left_out"]:
        output.say(out, f"[yellow]left out[/] the link {output.esc(link)}: its parent is not a requirement at this revision")
# ---------------------------------------------------------------- csv, xlsx

TableFieldsOption = Annotated[Optional[str], typer.Option("--fields", metavar="NAMES", help="The columns, in order, comma-separated (e.g. id,title,statement,x-owner); default: every field some requirement carries.")]  # noqa: UP007
TableOutputOption = Annotated[str, typer.Option("--output", "-o", metavar="FILE", help="The file to write.", callback=non_empty_path)]


def _export_table(kind: str, out: str, fields: str | None, rev: str | None, baseline: str | None, root: Path | None, fmt: TextOrJson) -> None:
    from reqtrace.baselines.baseline import resolve_read_at
    from reqtrace.core.config import find_spec_repo
    from reqtrace.core.snapshot import load_snapshot
    from reqtrace.errors import InputError, UsageError
    from reqtrace.exporters.table import table_export, write_csv, write_xlsx
    from reqtrace.io.files import output_path, output_writer

    output.json_requested = fmt is TextOrJson.json
    if rev is not None and baseline is not None:
        raise UsageError("give --rev or --baseline, not both")
    chosen = [name.strip() for name in fields.split(",") if name.strip()] if fields is not None else None
    if chosen == []:
        raise UsageError("--fields is empty; name the columns, e.g. --fields id,title,statement")
    path = output_path(out)
    repo = find_spec_repo(root)
    commit, label, _ = resolve_read_at(repo, rev, baseline)
    snapshot = load_snapshot(repo, commit)
    if not snapshot.requirements:
        raise InputError(f"no requirements at {label}: nothing to export",
                         hint="check the revision, or the requirements folder in reqtrace.yaml")
    export = table_export(snapshot.requirements.values(), chosen)
    with output_writer(path) as handle:
        (write_csv if kind == "csv" else write_xlsx)(export, handle)
    summary = {"ok": True, "output": str(path), "format": kind, "commit": snapshot.commit,
               "requirement_count": len(export.rows), "fields": list(export.header)}
    if fmt is TextOrJson.json:
        output.write_json(summary)
        return
    output.stdout_console().print(f"[green]✓[/] wrote {len(export.rows)} requirements × {len(export.header)} fields to "
                                  f"{output.esc(path)}", soft_wrap=True)


@export_app.command("csv")
def export_csv(
    out: TableOutputOption,
    fields: TableFieldsOption = None,
    rev: RevOption = None,
    baseline: BaselineOption = None,
    root: RootOption = None,
    fmt: FormatOption = TextOrJson.text,
) -> None:
    """Write the requirements as CSV (UTF-8 with BOM, one row each; lists joined with '; '). `import table` reads it back. See docs/export.md."""
    _export_table("csv", out, fields, rev, baseline, root, fmt)


@export_app.command("xlsx")
def export_xlsx(
    out: TableOutputOption,
    fields: TableFieldsOption = None,
    rev: RevOption = None,
    baseline: BaselineOption = None,
    root: RootOption = None,
    fmt: FormatOption = TextOrJson.text,
) -> None:
    """Write the requirements as an Excel workbook (.xlsx, header row frozen). `import table` reads it back. See docs/export.md."""
    _export_table("xlsx", out, fields, rev, baseline, root, fmt)
