"""`reqtrace import SOURCE ...`: bring requirements in from other tools, optionally with their git history."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from reqtrace.cli import app, output
from reqtrace.cli.options import FormatOption, RootOption, TextOrJson

import_app = typer.Typer(
    name="import",
    help="Bring requirements in from another tool: files as they are, or their whole git history.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(import_app, name="import")

IntoOption = Annotated[Optional[str], typer.Option("--into", help="Folder inside the requirements folder to import into (default: the source folder's name).")]  # noqa: UP007
HistoryOption = Annotated[bool, typer.Option("--history", help="Replay every commit of the source's git history that changed it, with its author, date and message, as commits of the spec repo.")]
SkipOption = Annotated[bool, typer.Option("--skip-unreadable", help="With --history: leave out a source commit whose files cannot be read (listed in the report) instead of stopping.")]
ReplaceOption = Annotated[bool, typer.Option("--replace", help="Replace what an earlier import wrote into the --into folder (without --history).")]


def _run(kind: str, source: Path, into: str | None, history: bool, replace: bool, skip: bool, root: Path | None, fmt: TextOrJson) -> None:
    from reqtrace.core.config import find_spec_repo
    from reqtrace.importers import run_import

    output.json_requested = fmt is TextOrJson.json  # a failure answers in JSON too
    repo = find_spec_repo(root)
    progress = output.stderr_console()
    outcome = run_import(kind, repo, source, into=into, history=history, replace=replace, skip_unreadable=skip,
                         progress=lambda line: progress.print(f"[dim]{output.esc(line)}[/]"))
    if fmt == TextOrJson.json:
        output.write_json({"ok": True, **outcome})
        return
    _render(outcome)


def _render(outcome: dict[str, Any]) -> None:
    out = output.stdout_console()
    report = outcome["report"]
    where = output.esc(outcome["folder"])
    if outcome.get("history"):
        history = outcome["history"]
        out.print(f"[green]✓[/] replayed {history['commits']} of {history['source_commits']} source commits into {where}"
                  f" ({report['requirement_count']} requirements at the end)", soft_wrap=True)
        for skipped in history["unreadable_source_commits"]:
            out.print(f"[yellow]left out[/] source commit {skipped['source_commit'][:12]} ({skipped['date'][:10]}): "
                      f"{output.esc(skipped['problem'])}", soft_wrap=True)
    else:
        out.print(f"[green]✓[/] imported {report['requirement_count']} requirements into {where} (not committed)", soft_wrap=True)
    out.print("mapped:")
    for source_field, became in report["mapped"].items():
        out.print(f"  {output.esc(source_field)} → {output.esc(became)}", soft_wrap=True)
    if report["kept_as_custom"]:
        out.print("kept as custom fields:")
        for key, count in report["kept_as_custom"].items():
            out.print(f"  {output.esc(key)} ({count})", soft_wrap=True)
    if report["renamed_ids"]:
        shown = ", ".join(f"{a} → {b}" for a, b in list(report["renamed_ids"].items())[:5])
        more = len(report["renamed_ids"]) - 5
        out.print(f"ids changed to fit id_pattern: {output.esc(shown)}{f' and {more} more' if more > 0 else ''}", soft_wrap=True)
    if report["not_mapped"]:
        out.print("[yellow]not mapped:[/]")
        for line in report["not_mapped"]:
            out.print(f"  {output.esc(line)}", soft_wrap=True)
    for note in report["notes"]:
        out.print(f"[dim]note: {output.esc(note)}[/]", soft_wrap=True)


@import_app.command("doorstop")
def import_doorstop(
    source: Annotated[Path, typer.Argument(metavar="DIR", help="The Doorstop tree: the folder above every document (e.g. reqs).")],
    into: IntoOption = None,
    history: HistoryOption = False,
    replace: ReplaceOption = False,
    skip_unreadable: SkipOption = False,
    root: RootOption = None,
    fmt: FormatOption = TextOrJson.text,
) -> None:
    """Import a Doorstop tree: DIR is the folder above every document (e.g. reqs); each item becomes a requirement file under specs/INTO/PREFIX/. See docs/import.md."""
    _run("doorstop", source, into, history, replace, skip_unreadable, root, fmt)


@import_app.command("strictdoc")
def import_strictdoc(
    source: Annotated[Path, typer.Argument(metavar="PATH", help="A .sdoc file, or a folder of them (e.g. docs).")],
    into: IntoOption = None,
    history: HistoryOption = False,
    replace: ReplaceOption = False,
    skip_unreadable: SkipOption = False,
    root: RootOption = None,
    fmt: FormatOption = TextOrJson.text,
) -> None:
    """Import StrictDoc documents: PATH is a .sdoc file or a folder of them; each requirement node becomes a requirement file under specs/INTO/DOCUMENT/. See docs/import.md."""
    _run("strictdoc", source, into, history, replace, skip_unreadable, root, fmt)


@import_app.command("reqif")
def import_reqif(
    source: Annotated[Path, typer.Argument(metavar="FILE", help="A .reqif or .reqifz file (or a folder of them).")],
    into: IntoOption = None,
    replace: ReplaceOption = False,
    root: RootOption = None,
    fmt: FormatOption = TextOrJson.text,
) -> None:
    """Import a ReqIF export (.reqif, or a .reqifz archive): each SPECIFICATION becomes a document under specs/INTO/, its hierarchy the sections, each requirement a file. See docs/import.md."""
    _run("reqif", source, into, False, replace, False, root, fmt)


@import_app.command("table")
def import_table(
    source: Annotated[Path, typer.Argument(metavar="FILE", help="A .csv or .xlsx file: a header row, then one requirement per row.")],
    maps: Annotated[Optional[list[str]], typer.Option("--map", metavar="COLUMN=FIELD", help="Map a column to a field (id, title, statement, parents, x-NAME, or - to leave it out); repeatable. Unnamed columns are guessed from their headers.")] = None,  # noqa: UP007
    map_file: Annotated[Optional[Path], typer.Option("--map-file", help="A YAML file of 'COLUMN: field' lines; --map wins over it.")] = None,  # noqa: UP007
    sheet: Annotated[Optional[str], typer.Option("--sheet", help="The sheet of an .xlsx workbook to read (default: the first).")] = None,  # noqa: UP007
    encoding: Annotated[Optional[str], typer.Option("--encoding", help="The CSV file's encoding (default: UTF-8, with or without BOM, else GBK/GB18030).")] = None,  # noqa: UP007
    max_rows: Annotated[int, typer.Option("--max-rows", min=1, help="Refuse a table with more rows than this.")] = 200_000,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the mapping and the first rows as they would be written; write nothing.")] = False,
    into: IntoOption = None,
    replace: ReplaceOption = False,
    root: RootOption = None,
    fmt: FormatOption = TextOrJson.text,
) -> None:
    """Import a table (.csv or .xlsx): one requirement per row, columns mapped to fields, the others kept as x- fields. Writes specs/INTO/ID.yaml (not committed). See docs/import.md."""
    from reqtrace.core.config import find_spec_repo
    from reqtrace.importers import run_table_import
    from reqtrace.importers.table import TableOptions, load_map_file, parse_map_options

    output.json_requested = fmt is TextOrJson.json
    mapping = load_map_file(map_file) if map_file else {}
    mapping.update(parse_map_options(maps or []))
    options = TableOptions(mapping=mapping, sheet=sheet, encoding=encoding, max_rows=max_rows)
    outcome = run_table_import(find_spec_repo(root), source, options, into=into, replace=replace, dry_run=dry_run)
    if fmt == TextOrJson.json:
        output.write_json({"ok": True, **outcome})
        return
    if dry_run:
        _render_dry_run(outcome)
        return
    _render(outcome)


def _render_dry_run(outcome: dict[str, Any]) -> None:
    out = output.stdout_console()
    report = outcome["report"]
    out.print(f"dry run: {report['requirement_count']} requirements would be written to {output.esc(outcome['folder'])}; nothing written", soft_wrap=True)
    out.print("columns:")
    for column in outcome["columns"]:
        became = column["field"] or "(left out)"
        header = " ".join(column["header"].split())  # a header cell may hold line breaks
        out.print(f"  {column['column']} '{output.esc(header)}' → {output.esc(became)}", soft_wrap=True)
    for line in report["not_mapped"]:
        out.print(f"[yellow]not mapped:[/] {output.esc(line)}", soft_wrap=True)
    for note in report["notes"]:
        out.print(f"[dim]note: {output.esc(note)}[/]", soft_wrap=True)
    for preview in outcome["preview"]:
        out.print(f"\n[bold]{output.esc(preview['file'])}[/] (row {output.esc(preview['row'])})")
        out.print(output.esc(preview["content"].rstrip("\n")), soft_wrap=True, highlight=False)
