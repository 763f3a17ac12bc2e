"""Reading commands: check, list, show, schema."""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from reqtrace.cli import app, output
from reqtrace.cli.options import FormatOption, ItemIdArgument, RevOption, RootOption, TextOrJson


class DriftLevel(str, Enum):
    warn = "warn"
    error = "error"
    off = "off"


class CheckFormat(str, Enum):
    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"
    junit = "junit"
    markdown = "markdown"


def load(root: Path | None, rev: str | None, *, share_pack: bool = False, repo: Any = None, digests: bool | None = None):  # type: ignore[no-untyped-def]
    """The spec repo (`repo` when the caller found it already) and its snapshot at `rev`
    (`digests`: as `load_snapshot` takes it)."""
    from reqtrace.core.config import find_spec_repo
    from reqtrace.core.parse_cache import PackedParseCache
    from reqtrace.core.snapshot import load_snapshot

    if repo is None:
        repo = find_spec_repo(root)
    # Off until the snapshot is frozen: the objects made while loading count towards the
    # collector's next pass, which would walk every one of them (a second or two at 100,000).
    collecting = gc.isenabled()
    gc.disable()
    try:
        with PackedParseCache.for_git(repo.git_top) as cache:
            snapshot = load_snapshot(repo, rev, cache=cache, digests=digests)
        if share_pack and snapshot.has_baseline_files():
            from reqtrace.core.snapshot import share_parse_pack

            share_parse_pack(repo.git_top, cache)  # the baselines' commits share most files with it
        # The snapshot lives until the command ends: keep the garbage collector from
        # walking its hundreds of thousands of objects again (a process-wide
        # setting, so it is made here in the command, not in the core).
        gc.freeze()
    finally:
        if collecting:
            gc.enable()
    return repo, snapshot


@app.command()
def check(
    rev: RevOption = None,
    root: RootOption = None,
    format: Annotated[CheckFormat, typer.Option("--format", "-f", help="text for people, json for tools, github for workflow annotations, sarif for code scanning, junit for test reports, markdown for a job summary.")] = CheckFormat.text,
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")] = False,
    drift: Annotated[Optional[DriftLevel], typer.Option("--drift", help="unapproved-change findings for requirements changed since the accepted baseline: warn, error or off (default: `drift` in reqtrace.yaml, else warn).", show_default=False)] = None,  # noqa: UP007
    fix: Annotated[bool, typer.Option("--fix", help="First rename old field names in the working tree's files (old-field-name findings: a decision's or triage's `on:` becomes `when:`), keeping comments and layout; then check.")] = False,
) -> None:
    """Check the spec repo: YAML, schema, ids and references. Exit 1 when errors are found."""
    from reqtrace.checks.kept_check import (
        ASK_VERDICT,
        check_key,
        key_answer,
        key_of_answer,
        load_report,
        store_report,
    )
    from reqtrace.core.config import find_spec_repo
    from reqtrace.core.snapshot import WORKTREE, resolve_revision

    output.json_requested = format is CheckFormat.json
    # A cold check builds millions of objects and frees next to none: at 100,000
    # requirements the collector's passes over them (before `load` freezes the
    # snapshot and after, over the baselines' manifests and listings) cost 1.5-2 s
    # of CPU and find nothing. Off for the rest of the command (the process ends with it).
    gc.disable()
    if fix and rev is not None:
        from reqtrace.errors import UsageError

        raise UsageError("--fix edits the working tree; it cannot be used with --rev")
    repo = find_spec_repo(root)
    key = None
    beside = None
    drift_level = drift.value if drift is not None else None
    before_read = time.time_ns()
    if not fix:
        from reqtrace.baselines.verify import VERDICT_KIND, verdict_content
        from reqtrace.checks.check import start_baseline_work
        from reqtrace.core.cachestore import none_of_kind

        commit = None if rev in (None, WORKTREE) else resolve_revision(repo, rev)  # type: ignore[arg-type]
        # In a fresh clone no verdict is kept: the baselines' child works out the verdict's
        # content id itself, and this process, alone until that fork, skips its three `git`
        # runs and the baseline files' reading. Else it is needed here to know whether to fork.
        verdict_in_child = none_of_kind(repo.git_top, VERDICT_KIND)
        verdict = ASK_VERDICT if verdict_in_child else verdict_content(repo, commit)

        def listed_key(child_verdict: str) -> bytes:
            # The working tree's key, listed by the baselines' child once its own work is done
            # (after `before_read`, as check_key(read_since=…) allows): while this process still
            # parses, not after (16,000 files described, 0.07 s; 0.7 s at 100,000).
            return key_answer(check_key(repo, None, strict=strict, drift=drift_level, verdict=child_verdict, read_since=before_read, read_unparsed=True))

        def verdict_named(child_verdict: str) -> bytes:
            # At a commit the key is made here after the parse: with the verdict's content id
            # the child worked out before it read the baselines, as this process would have.
            return child_verdict.encode("utf-8", "surrogateescape")

        # The baselines' verdict and the drift's searches need no parsed file: when they are
        # not kept, a child keeps them while this process lists and parses.
        beside = start_baseline_work(repo, commit, drift_level, None if verdict_in_child else verdict,
                                     answer=listed_key if commit is None else verdict_named if verdict_in_child else None, verdict_in_child=verdict_in_child)
    late_key: list[Any] = []
    try:

        def key_after_parse() -> list[str] | None:
            # With the baselines' child running (nothing was kept: no report is either) the
            # key is the child's listing; made here, after the parse, when the child gave none.
            answered, listed = key_of_answer(repo, beside()) if beside is not None and commit is None else (False, None)
            named = beside() if beside is not None and commit is not None and verdict == ASK_VERDICT else None
            content = named.decode("utf-8", "surrogateescape") if named else verdict  # none (b""): worked out now
            late_key.append(listed if answered else check_key(repo, commit, strict=strict, drift=drift_level, verdict=content, read_since=before_read))
            return late_key[0].temp_files() if late_key[0] is not None else None

        def key_before_parse() -> list[str] | None:
            return key.temp_files() if key is not None else None

        if not fix and beside is None:
            key = check_key(repo, commit, strict=strict, drift=drift_level, verdict=verdict)
        # An unchanged spec repo's check was kept (checks/kept_check.py): its report, not a new one.
        report = load_report(key, strict) if key is not None else None
        if report is None:
            report = _checked(root, rev, strict=strict, drift=drift, fix=fix, quiet=format is not CheckFormat.text, beside=beside,
                              before_waiting=key_after_parse if beside is not None else key_before_parse, repo=repo)
            key = key if beside is None else (late_key[0] if late_key else None)
            if key is not None:
                store_report(key, report.snapshot, report.findings)
    finally:
        if beside is not None:
            beside()  # waited for once (the parse waits first): its CPU is this command's
    output.gate_failed = not report.ok
    if format is CheckFormat.json:
        output.write_json(check_json(report))
    elif format is CheckFormat.github:
        render_github(report, repo.prefix)
    elif format in (CheckFormat.sarif, CheckFormat.junit, CheckFormat.markdown):
        from reqtrace.checks.ci_formats import (
            check_gate,
            render_junit,
            render_markdown,
            render_sarif,
        )

        gate = check_gate(report, f"{output.counted(report.requirement_count, 'requirement')} and {output.counted(report.record_count, 'record')} at {_where(report)}")
        renderer = {CheckFormat.sarif: render_sarif, CheckFormat.junit: render_junit, CheckFormat.markdown: render_markdown}[format]
        output.write_text(renderer(gate, prefix=repo.prefix))
    else:
        render_check_text(report)
    if not report.ok:
        raise typer.Exit(1)


def _checked(root: Path | None, rev: str | None, *, strict: bool, drift: DriftLevel | None, fix: bool, quiet: bool, beside: Callable[[], object] | None = None,
             before_waiting: Callable[[], list[str] | None] | None = None, repo: Any = None) -> Any:
    """The plain check: the snapshot read, the drift gate, every rule (a check.CheckReport).
    `beside`: waits for the child keeping the verdict and the drift's searches (check.start_baseline_work);
    `before_waiting`: work done after the parse and the rules that need no baseline, before that wait,
    giving the stale temporary files its listing found (None: none listed; the rule lists them);
    `repo`: the spec repo, found already (git is not asked again where it is)."""
    from reqtrace.checks.check import run_checks
    from reqtrace.io.progress import phase

    try:
        # With the baselines' child keeping the verdict and the drift gate, nothing here reads
        # most requirements' digests: computed when asked for (the few the drift gate or a
        # suspect link compares), not 10,000 beside the parse (0.16 s of CPU).
        repo, snapshot = load(root, rev, share_pack=True, repo=repo, digests=False if beside is not None else None)
    except BaseException:
        if beside is not None:
            beside()  # its CPU is this command's
        raise
    if fix:
        snapshot = _fix_old_field_names(repo, snapshot, quiet=quiet)
    level = drift.value if drift is not None else (snapshot.config.drift or "warn")

    def baselines_ready() -> None:
        if before_waiting is not None:
            snapshot.temp_files = before_waiting()
        if beside is not None:
            beside()  # what it kept is read below; its CPU is this command's
        if level != "off" and snapshot.has_baseline_files():
            from reqtrace.baselines.verify import baseline_verdict
            from reqtrace.checks.check import drift_gate

            # None also when a baseline file is missing: the baseline check reports it, and the gate fails.
            base = baseline_verdict(snapshot).accepted
            if base is not None:  # with no accepted baseline there is nothing to drift from
                with phase(f"comparing with {base[0]}"):
                    snapshot.findings.extend(drift_gate(snapshot, base, level))

    # The rules that need nothing of the baselines run while the child (if any) finishes.
    with phase("checking"):
        return run_checks(snapshot, strict=strict, baselines_ready=baselines_ready)


def _fix_old_field_names(repo: Any, snapshot: Any, *, quiet: bool) -> Any:
    """Rename what old-field-name findings point at, say which files changed, and read again."""
    from reqtrace.core.snapshot import load_snapshot
    from reqtrace.triage.recording import rename_old_fields

    paths = sorted({f.path for f in snapshot.findings if f.code == "old-field-name" and f.path})
    changed = [written for written in rename_old_fields(repo, paths) if written.changed]
    if not quiet:
        for written in changed:
            output.stderr_console().print(f"[green]✓[/] renamed old field names in {output.esc(written.path.relative_to(repo.root).as_posix())}")
    if not changed:
        return snapshot
    return load_snapshot(repo, None)


def check_json(report: Any) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "rev": report.commit,
        "summary": {
            "requirements": report.requirement_count,
            "records": report.record_count,
            "errors": report.errors,
            "warnings": report.warnings,
        },
        "findings": [finding.as_dict() for finding in report.findings],
    }


def _annotation_escape(text: str, *, property: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def render_github(report: Any, prefix: str) -> None:
    lines = []
    for finding in report.findings:
        props = []
        if finding.path:
            props.append(f"file={_annotation_escape(prefix + finding.path, property=True)}")
        if finding.line:
            props.append(f"line={finding.line}")
        props.append(f"title={_annotation_escape(finding.code, property=True)}")
        lines.append(f"::{finding.severity} {','.join(props)}::{_annotation_escape(finding.message)}")
    summary = f"reqtrace check: {report.errors} error(s), {report.warnings} warning(s)"
    output.write_text("\n".join([*lines, summary]))


def _where(report: Any) -> str:
    return f"commit {report.commit[:12]}" if report.commit else "the working tree"


def render_check_text(report: Any) -> None:
    from itertools import groupby

    console = output.stdout_console()
    lines = []
    for path, group in groupby(report.findings, key=lambda f: f.path or "(repository)"):
        lines.append(f"[bold]{output.esc(path)}[/]")
        for finding in group:
            colour = "red" if finding.severity == "error" else "yellow"
            line = f"{finding.line:>5}" if finding.line else "     "
            about = f" [dim]({output.esc(finding.id)})[/]" if finding.id else ""
            lines.append(f" {line}  [{colour}]{finding.severity:<7}[/] [cyan]{finding.code}[/]  {output.esc(finding.message)}{about}")
    # Continuation lines start under the severity; a `command` in a message stays whole.
    output.say_all(console, lines, hang=7)
    counts = f"{output.counted(report.requirement_count, 'requirement')} and {output.counted(report.record_count, 'record')} at {_where(report)}"
    if report.ok and not report.findings:
        console.print(f"[green]✓[/] no problems in {counts}")
    elif report.ok:
        console.print(f"[yellow]![/] {report.warnings} warning(s), no errors in {counts}")
    else:
        console.print(f"[red]✗[/] {report.errors} error(s), {report.warnings} warning(s) in {counts}")


@app.command("list")
def list_items(
    rev: RevOption = None,
    root: RootOption = None,
    format: FormatOption = TextOrJson.text,
    kind: Annotated[str, typer.Option("--kind", help="requirement, request, meeting, email, document, or all.")] = "requirement",
) -> None:
    """List the requirements (or records) of the spec repo."""
    from reqtrace.core.query import list_rows
    from reqtrace.errors import UsageError

    output.json_requested = format is TextOrJson.json
    if kind not in ("requirement", "request", "meeting", "email", "document", "all"):
        raise UsageError(f"--kind must be requirement, request, meeting, email, document or all (got '{kind}')")
    _, snapshot = load(root, rev)
    rows = list_rows(snapshot, kind)
    if format is TextOrJson.json:
        output.write_json({"rev": snapshot.commit, "items": rows})
        return
    from rich.cells import cell_len
    from rich.table import Table

    console = output.stdout_console()
    if snapshot.spec_documents:
        rows = _with_headings(rows)

    def widest(column: str) -> int:
        return max([cell_len(row.get(column) or "") for row in rows] + [len(column)])

    # Ids, kinds, states and paths are never cut; the title wraps at words. When a path
    # column would leave the title fewer than 40 columns, each path goes under its title.
    if console.width - sum(widest(c) + 2 for c in ("id", "kind", "status", "path")) >= 40:
        table = Table(box=None, pad_edge=False, show_edge=False)
        for column in ("id", "kind", "title", "status", "path"):
            table.add_column(column, no_wrap=column != "title", ratio=1 if column == "title" else None)
        for row in rows:
            if row.get("heading"):
                table.add_row("", "", f"[bold]{output.esc(row['title'])}[/]", "", "")
                continue
            table.add_row(*(output.esc(row.get(c) or "") for c in ("id", "kind", "title", "status", "path")))
        console.print(table)
    else:
        facts = ("id", "kind", "status")
        indent = sum(widest(c) + 2 for c in facts)
        lines = []
        for row in rows:
            if row.get("heading"):
                lines.append(f"[bold]{output.esc(row['title'])}[/]")
                continue
            cells = "".join(output.esc(f"{row.get(c) or '':<{widest(c)}}  ") for c in facts)
            lines.append(cells + output.esc(row.get("title") or ""))
            path = row.get("path") or ""
            lines.append(" " * (indent if indent + cell_len(path) <= console.width else 4) + f"[dim]{output.esc(path)}[/]")
        output.say_all(console, lines, hang=indent)
    rows = [row for row in rows if not row.get("heading")]
    console.print(f"[dim]{len(rows)} item(s) at {_where(snapshot)}; {len(snapshot.findings)} finding(s) — run `reqtrace check` for details[/]" if snapshot.findings else f"[dim]{len(rows)} item(s) at {_where(snapshot)}[/]")


def _with_headings(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows in reading order with a heading row where the document or section changes:
    its title column reads "DOC › Section › Sub-section"."""
    shown: list[dict[str, Any]] = []
    current = None
    for row in rows:
        place = (row.get("document"), tuple(row.get("section_path") or ())) if row.get("kind") == "requirement" else None
        if place is not None and place != current:
            current = place
            shown.append({"title": " › ".join([str(place[0]), *place[1]]), "heading": True})
        shown.append(row)
    return shown


@app.command()
def show(
    item_id: ItemIdArgument,
    rev: RevOption = None,
    root: RootOption = None,
    format: FormatOption = TextOrJson.text,
) -> None:
    """Show one requirement or record, and what refers to it."""
    from reqtrace.core.query import describe

    output.json_requested = format is TextOrJson.json
    _, snapshot = load(root, rev)
    described = describe(snapshot, item_id)
    if format is TextOrJson.json:
        output.write_json({"rev": snapshot.commit, **described})
        return
    console = output.stdout_console()
    fields = described["fields"]
    console.print(f"[bold]{output.esc(described['id'])}[/] [dim]{described['kind']} · {output.esc(described['path'])}:{described['line']}[/]")
    for key, value in fields.items():
        if key == "id":
            continue
        if isinstance(value, list):
            console.print(f"[cyan]{output.esc(key)}[/]:")
            for item in value:
                console.print(f"  - {output.esc(item if not isinstance(item, dict) else json.dumps(item, ensure_ascii=False))}")
        elif isinstance(value, dict):
            console.print(f"[cyan]{output.esc(key)}[/]: {output.esc(json.dumps(value, ensure_ascii=False))}")
        else:
            console.print(f"[cyan]{output.esc(key)}[/]: {output.esc(str(value).rstrip())}")
    if described.get("document") is not None and snapshot.spec_documents:
        where = " › ".join([f"{described['document']} ({described['document_title']})", *described["section_path"]])
        console.print(f"[cyan]document[/]: {output.esc(where)}")
    for key in ("section", "order", "mid"):
        if described.get(key) is not None:
            console.print(f"[cyan]{key}[/]: {output.esc(str(described[key]))}")
    if described["children"]:
        console.print(f"[cyan]children[/]: {output.esc(', '.join(described['children']))}")
    if described["referenced_by"]:
        console.print(f"[cyan]referenced by[/]: {output.esc(', '.join(described['referenced_by']))}")


@app.command()
def schema(
    kind: Annotated[Optional[str], typer.Argument(help="The file kind: requirement, requirement-file, request, meeting, config, …; or output, for the JSON a command answers.", show_default=False)] = None,  # noqa: UP007
    command: Annotated[Optional[list[str]], typer.Argument(help="With output: the command whose --format json answer to describe (e.g. baseline list); none lists them.", show_default=False)] = None,  # noqa: UP007
    editor: Annotated[bool, typer.Option("--editor", help="Instead: write the schemas to .reqtrace/schemas/ and map them onto the spec repo's files in .vscode/settings.json, for YAML language servers (completion and validation while typing).")] = False,
    root: RootOption = None,
    format: FormatOption = TextOrJson.text,
) -> None:
    """Print the JSON Schema of one file kind, or of a command's JSON output (schema output COMMAND), or (--editor) set the spec repo up for editors."""
    from reqtrace.core.schema import OUTPUT, load_output_schema, load_schema, output_commands
    from reqtrace.errors import UsageError

    output.json_requested = format is TextOrJson.json
    if editor == (kind is not None):
        raise UsageError("name one KIND to print, or use --editor", hint="reqtrace schema requirement · reqtrace schema --editor")
    if command and kind != OUTPUT:
        raise UsageError(f"a file kind's schema takes no command ({' '.join(command)})", hint="reqtrace schema output check · reqtrace schema requirement")
    if kind == OUTPUT and not command:
        if format is TextOrJson.json:
            output.write_json({"commands": list(output_commands())})
        else:
            output.write_text("\n".join(output_commands()))
        return
    if kind == OUTPUT:
        output.write_text(json.dumps(load_output_schema(" ".join(command or [])), ensure_ascii=False, indent=2))
        return
    if kind is not None:
        output.write_text(json.dumps(load_schema(kind), ensure_ascii=False, indent=2))
        return
    from reqtrace.core.config import CONFIG_FILE, find_spec_repo, parse_config
    from reqtrace.records.editor import install_editor_support

    repo = find_spec_repo(root)
    config, _ = parse_config((repo.root / CONFIG_FILE).read_bytes())  # check reports its problems
    setup = install_editor_support(repo.root, config)
    if format is TextOrJson.json:
        output.write_json({"written": setup.written, "yaml.schemas": setup.settings})
        return
    console = output.stdout_console()
    for path in setup.written:
        console.print(f"wrote {output.esc(path)}")
    console.print("editor schemas up to date" if not setup.written else "a YAML language server (VS Code: redhat.vscode-yaml) now completes and validates spec files")
