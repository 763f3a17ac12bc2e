"""Commands about records and the evidence graph: ingest, trace, impact, graph, status."""

from __future__ import annotations

import gc
import re
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from reqtrace.cli import app, output
from reqtrace.cli.options import (
    FormatOption,
    ItemIdArgument,
    RevOption,
    RootOption,
    TextOrJson,
    checked_argument,
    complete_requirements,
)

LIST_LIMIT = 50  # rows per list in text output
TIMELINE_LIMIT = 500
# Below this width the trace timeline is stacked: a table would leave its summary ~20 columns.
TRACE_TABLE_WIDTH = 110

_STATUS_COLOURS = {"added": "green", "unchanged": "dim", "restored": "cyan", "refused": "red"}


def _when(date: str | None) -> str:
    """A timeline date as recorded, with its UTC offset: the timeline is in time order, and a
    meeting at 14:00 +08:00 comes before a signature at 08:30 UTC on the same day."""
    from reqtrace.io.clock import shown_moment

    return shown_moment(date)


@app.command()
def ingest(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Messages to store: .eml files, .mbox files, or folders holding them.", show_default=False)] = None,  # noqa: UP007
    document: Annotated[Optional[Path], typer.Option("--document", help="Add this file (a contract, a scan) under records/documents/ instead.", show_default=False)] = None,  # noqa: UP007
    title: Annotated[Optional[str], typer.Option("--title", help="The document's title (with --document).", show_default=False)] = None,  # noqa: UP007
    date: Annotated[Optional[str], typer.Option("--date", help="The document's date, e.g. 2026-06-30 (with --document; default today).", show_default=False)] = None,  # noqa: UP007
    doc_id: Annotated[Optional[str], typer.Option("--id", help="The document's id (with --document; default the next free DOC-n).", show_default=False)] = None,  # noqa: UP007
    root: RootOption = None,
    format: FormatOption = TextOrJson.text,
) -> None:
    """Store emails (or a document) under records/ as records, with an editable sidecar each.

    Each message is kept byte for byte as records/emails/MAIL-<id>.eml; ingesting
    the same message again changes nothing. Exit 3 when any input was refused.
    """
    from reqtrace.core.config import find_spec_repo
    from reqtrace.core.snapshot import load_snapshot
    from reqtrace.errors import UsageError

    output.json_requested = format is TextOrJson.json
    if document is not None:
        if paths:
            raise UsageError("give either message files or --document, not both")
        if not title:
            raise UsageError("--document needs --title")
        from reqtrace.records.ingest import add_document

        repo = find_spec_repo(root)
        added = add_document(repo, load_snapshot(repo), document, title=title, date=date, doc_id=doc_id)
        if format is TextOrJson.json:
            output.write_json({"ok": True, "document": {"id": added.id, "status": added.status, "path": added.path, "file": added.file, "sha256": added.sha256}})
        elif added.status == "added":
            output.stdout_console().print(f"[green]added[/] {output.esc(added.id)}  {output.esc(added.file)}  (sidecar {output.esc(added.path)})")
        else:
            output.stdout_console().print(f"[dim]unchanged[/] this file is already stored as {output.esc(added.id)} ({output.esc(added.file)})")
        return
    if title or date or doc_id:
        raise UsageError("--title, --date and --id go with --document")
    if not paths:
        raise UsageError("name the .eml or .mbox files (or folders) to ingest, or --document FILE --title TEXT")
    from reqtrace.records.ingest import ingest_emails

    repo = find_spec_repo(root)
    report = ingest_emails(repo, list(paths), load_snapshot(repo))
    summary = {status: report.count(status) for status in ("added", "unchanged", "restored", "refused")}
    if format is TextOrJson.json:
        output.write_json({"ok": report.ok, "summary": summary, "results": [r.as_dict() for r in report.results], "threads_updated": report.threads_updated})
    else:
        console = output.stdout_console()
        errors = output.stderr_console()
        for result in report.results:
            colour = _STATUS_COLOURS.get(result.status, "white")
            if result.status == "refused":
                output.say(errors, f"[red]refused[/]   {output.esc(result.source)}: {output.esc(result.message)}")
            else:
                output.say(console, f"[{colour}]{result.status:<9}[/] {output.esc(result.id or '')}  {output.esc(result.source)}  {output.esc(result.message)}")
            for warning in result.warnings:
                output.say(errors, f"  [yellow]warning[/] {output.esc(result.source)}: {output.esc(warning)}")
            for note in result.notes:
                output.say(errors, f"  [dim]note[/] {output.esc(result.source)}: {output.esc(note)}")
        for path in report.threads_updated:
            console.print(f"[cyan]thread[/]    {output.esc(path)}: replies linked to a message ingested now")
        console.print(", ".join(f"{n} {status}" for status, n in summary.items() if n) or "nothing to ingest")
    if not report.ok:
        raise typer.Exit(3)


def _ask(repo: Any, rev: str | None, question: Any, *, target: Any = None, baselines: Any = None, texts: Any = None, wait: bool = True) -> tuple[Any, Any]:
    """(graph bundle, question(repo, bundle)) — see graph_cache.answer (`target`:
    graph_cache.target_of, when asked already; `baselines` and `texts`: the graph's baselines
    and spec files' bytes, when read already; `wait=False`: the caller calls
    `bundle.written()` once its answer is out)."""
    from reqtrace.cli import _debug
    from reqtrace.graph.cache import answer

    # A graph built afresh holds millions of objects and frees next to none: at 100,000
    # requirements the collector's passes over them (between the parse and the graph,
    # over the baselines' manifests) cost 1-2.5 s of CPU and find nothing. Off for the
    # rest of the command (the process ends with it).
    gc.disable()
    bundle, result = answer(repo, rev, lambda bundle: question(repo, bundle), target=target, baselines=baselines, texts=texts, wait=wait)
    # The nodes read live until the command ends: keep the collector from walking them
    # again while the answer is rendered (a process-wide setting, so made here).
    gc.freeze()
    if _debug:  # where the graph came from: the cache, a patch of it, or a build
        read = f", {bundle.patched_files} file(s) read" if bundle.how == "patched" else ""
        output.stderr_console().print(f"[dim]graph: {bundle.how}{read}[/]")
    return bundle, result


def _ask_scoped(repo: Any, rev: str | None, target: Any, start: str, probe: Any, question: Any) -> tuple[Any, Any]:
    """(graph bundle, question(repo, bundle)), as `_ask` with `wait=False` (the caller calls
    `bundle.written()` once its answer is out) — but with no graph kept yet (a fresh clone),
    from only the files the question reads, starting from the id `start` (graph/scoped.py:
    `probe(graph, snapshot, baselines)` is the question's reading of the graph); the whole
    graph when that is cheaper or needed."""
    from reqtrace.cli import _debug
    from reqtrace.graph.cache import GraphBundle, graph_is_kept
    from reqtrace.graph.scoped import Unscoped, WatchedGraph, scoped_graph, scoping_allowed

    if target.state is None or target.config is None or not scoping_allowed() or graph_is_kept(repo):
        return _ask(repo, rev, question, target=target, wait=False)
    found = scoped_graph(repo, target.config, target.commit, start, probe)
    scoped = found.graph
    if scoped is None:
        return _ask(repo, rev, question, target=target, baselines=found.baselines, texts=found.texts, wait=False)
    watched = WatchedGraph(scoped.graph)
    bundle = GraphBundle(watched, scoped.baselines, target.commit, scoped.snapshot, how="scoped", config=target.config, state=target.state)
    try:
        result = question(repo, bundle)
    except Unscoped:  # it walked every node: the whole graph
        return _ask(repo, rev, question, target=target, baselines=found.baselines, texts=found.texts, wait=False)
    if not scoped.covers(watched.reads):  # the question read more than its probe: the whole graph
        return _ask(repo, rev, question, target=target, baselines=found.baselines, texts=found.texts, wait=False)
    bundle.graph = scoped.graph
    gc.freeze()
    if _debug:
        output.stderr_console().print(f"[dim]graph: scoped, {scoped.files} file(s) read[/]")
    return bundle, result


def _people(repo: Any, bundle: Any) -> Any:
    """reqtrace.yaml's `people:` where the graph was read (a cached graph carries no config)."""
    from reqtrace.core.config import parse_config
    from reqtrace.core.snapshot import Reader

    config = bundle.config or parse_config(Reader(repo, bundle.commit).read_config())[0]
    return config.people


@app.command()
def trace(
    item_id: ItemIdArgument,
    rev: RevOption = None,
    root: RootOption = None,
    format: FormatOption = TextOrJson.text,
) -> None:
    """The whole story of one item as a dated timeline, with the requirements above and below it."""
    from reqtrace.core.config import find_spec_repo
    from reqtrace.graph.cache import graph_is_kept, requirement_digests, target_of
    from reqtrace.graph.scoped import no_digests
    from reqtrace.graph.trace import (
        date_key,
        keep_trace,
        kept_trace,
        text_changes,
        text_changes_beside,
        trace_item,
    )

    output.json_requested = format is TextOrJson.json
    repo = find_spec_repo(root)
    target = target_of(repo, rev)
    walking: Callable[[], None] | None = None

    def story(repo: Any, bundle: Any) -> Any:
        is_requirement = bundle.graph.nodes.get(item_id, {}).get("kind") == "requirement" if item_id in bundle.graph else False
        if walking is not None:
            walking()
        changes = text_changes(repo, bundle.commit, item_id) if is_requirement else []
        result = trace_item(bundle.graph, item_id, commit=bundle.commit, baselines=bundle.baselines, changes=changes, people=_people(repo, bundle), digests_of=lambda ids: requirement_digests(repo, bundle, ids))
        if is_requirement and bundle.config is not None:
            result.tests, tested = test_story(repo, bundle, item_id)
            result.timeline = sorted([*result.timeline, *tested], key=lambda e: (date_key(e.date), e.id != item_id, e.id, e.relation))
        return result

    # The whole answer, kept for the spec files' state (a root's trace sorts thousands of ids).
    result = kept_trace(repo, target.state, item_id)
    written: Callable[[], None] = _nothing
    try:
        if result is None:
            # A graph built from every file (a fresh clone): the requirement's history is walked
            # on the second core meanwhile, and kept for `text_changes` in the story.
            walking = text_changes_beside(repo, target.commit, item_id, target.config.requirements_dir) if target.config is not None and not graph_is_kept(repo) else None
            def probe(graph: Any, snapshot: Any, baselines: Any) -> None:
                trace_item(graph, item_id, commit=target.commit, baselines=baselines, digests_of=lambda ids: no_digests(graph, ids))

            try:
                bundle, result = _ask_scoped(repo, rev, target, item_id, probe, story)
            finally:
                if walking is not None:
                    walking()
            written = bundle.written
            keep_trace(repo, bundle.state, item_id, result)
        _render_trace(result, target.commit, format)
    finally:
        # A graph built afresh is kept by a child while the answer is kept and shown.
        written()


def _nothing() -> None:
    return None


def _render_trace(result: Any, commit: str | None, format: TextOrJson) -> None:
    if format is TextOrJson.json:
        output.write_json({"rev": commit, **result.as_dict()})
        return
    from rich.table import Table

    console = output.stdout_console()
    console.print(f"[bold]{output.esc(result.id)}[/] [dim]{result.kind} · {output.esc(result.path or '')}[/]")
    console.print(f"  {output.esc(result.title)}")
    console.print(f"  [cyan]upstream[/]:   {output.esc(', '.join(result.upstream) or '—')}")
    console.print(f"  [cyan]downstream[/]: {output.esc(', '.join(result.downstream) or '—')}")
    if result.tests is not None:
        state = result.tests["state"]
        colour = {"verified": "green", "failing": "red"}.get(state, "yellow")
        detail = f" by {output.esc(result.tests['run'])} ({output.esc(result.tests['ran'])})" if result.tests.get("run") else " (no test ran on its current text)"
        console.print(f"  [cyan]tests[/]:      [{colour}]{state}[/]{detail}")
    for link in result.suspect:
        console.print(f"  [yellow]suspect[/]:    {output.esc(link['child'])} → {output.esc(link['parent'])} [dim](the parent changed since the link was reviewed; `reqtrace review {output.esc(link['child'])}`)[/]")
    if not result.timeline:
        console.print("  no records link to it yet")
        return
    entries = result.timeline[:TIMELINE_LIMIT]
    if console.width >= TRACE_TABLE_WIDTH:
        table = Table(box=None, pad_edge=False, show_edge=False, show_header=True)
        # Dates, ids, kinds and relations are never cut; the summary takes the rest, wrapped at words.
        for column in ("date", "id", "kind", "relation"):
            table.add_column(column, no_wrap=True)
        table.add_column("summary", ratio=1, overflow="fold")
        for entry in entries:
            table.add_row(output.esc(_when(entry.date)), output.esc(entry.id), entry.kind, entry.relation, output.esc(entry.summary))
        console.print(table)
    else:
        # Too narrow for five columns and a readable summary: each entry's facts on one
        # line, its summary below, wrapped at words.
        lines = []
        for entry in entries:
            lines.append(f"[bold]{output.esc(_when(entry.date))}[/]  {output.esc(entry.id)}  [dim]{entry.kind} · {entry.relation}[/]")
            lines.append(f"    {output.esc(entry.summary)}")
        output.say_all(console, lines)
    if len(result.timeline) > TIMELINE_LIMIT:
        console.print(f"… and {len(result.timeline) - TIMELINE_LIMIT} more entries (--format json lists all)")


def test_story(repo: Any, bundle: Any, item_id: str) -> tuple[dict[str, Any], list[Any]]:
    """The requirement's test evidence for its current content, and a timeline entry per run."""
    from reqtrace.graph.cache import requirement_digests
    from reqtrace.graph.trace import TimelineEntry
    from reqtrace.records.testevidence import requirement_test_runs
    from reqtrace.records.testevidence_repo import test_runs_at

    runs, _ = test_runs_at(repo, bundle.config, bundle.commit)
    current = requirement_digests(repo, bundle, {item_id}).get(item_id)
    evidence, rows = requirement_test_runs(runs, item_id, current)
    entries = [
        TimelineEntry(row["ran"], row["run"], "test", "tested", f"{row['verdict']}: {', '.join(row['tests'][:3]) or 'no test names'}" + ("" if row["current_content"] else " (on other text than now)"))
        for row in rows
    ]
    return {**evidence.as_dict(), "runs": rows}, entries


@app.command()
def impact(
    item_id: Annotated[str, typer.Argument(metavar="ID", help="A requirement id.", callback=checked_argument, autocompletion=complete_requirements)],
    rev: RevOption = None,
    root: RootOption = None,
    format: FormatOption = TextOrJson.text,
) -> None:
    """What a change to this requirement would touch: descendants, open requests, baselines and sign-offs."""
    from reqtrace.core.config import find_spec_repo
    from reqtrace.graph.cache import requirement_digests, target_of
    from reqtrace.graph.scoped import no_digests
    from reqtrace.graph.trace import (
        impact_body,
        impact_of,
        keep_impact,
        kept_impact,
        kept_impact_body,
    )

    output.json_requested = format is TextOrJson.json
    repo = find_spec_repo(root)
    target = target_of(repo, rev)
    # The whole answer, kept for the spec files' state as --format json writes it (a root's
    # impact lists thousands of rows).
    if format is TextOrJson.json:
        body = kept_impact_body(repo, target.state, item_id)
        if body is not None and output.write_json_body(body):
            return
    result = kept_impact(repo, target.state, item_id)
    written: Callable[[], None] = _nothing
    try:
        if result is None:

            def probe(graph: Any, snapshot: Any, baselines: Any) -> None:
                impact_of(graph, item_id, commit=target.commit, baselines=baselines, digests_of=lambda ids: no_digests(graph, ids))

            bundle, result = _ask_scoped(repo, rev, target, item_id, probe, lambda repo, bundle: impact_of(bundle.graph, item_id, commit=bundle.commit, baselines=bundle.baselines, digests_of=lambda ids: requirement_digests(repo, bundle, ids)))
            written = bundle.written
            body = output.json_body(impact_body(target.commit, result))
            keep_impact(repo, bundle.state, item_id, result, body)
            if format is TextOrJson.json and output.write_json_body(body):
                return  # the kept text, not indented twice (a root's answer: 2.4 MB at 10,000)
        _render_impact(result, target.commit, format)
    finally:
        # A graph built afresh is kept by a child while the answer is kept and shown.
        written()


def _render_impact(result: Any, commit: str | None, format: TextOrJson) -> None:
    from reqtrace.graph.trace import impact_body

    if format is TextOrJson.json:
        output.write_json(impact_body(commit, result))
        return
    console = output.stdout_console()
    counts = result.counts
    output.say(console, f"[bold]{output.esc(result.id)}[/] {output.esc(result.title)}")
    output.say(
        console,
        f"  {counts['descendants']} descendant requirement(s), {counts['open_requests']} open request(s), "
        f"{counts['baselines']} baseline(s) and {counts['signoffs']} sign-off(s) would need re-approval",
        hang=0,
    )
    esc = output.esc

    def section(title: str, rows: list[dict[str, Any]], line: Any) -> None:
        # Counts came first; a long list is cut in text (JSON lists everything).
        if not rows:
            return
        shown = [line(row) for row in rows[:LIST_LIMIT]]
        if len(rows) > LIST_LIMIT:
            shown.append(f"  … and {len(rows) - LIST_LIMIT} more (--format json lists all)")
        output.say_all(console, [f"[cyan]{title}[/]", *shown])

    def descendant_line(row: dict[str, Any]) -> str:
        suspect = f" [yellow]suspect: review against {esc(', '.join(row['suspect']))}[/]" if row["suspect"] else ""
        return f"  {esc(row['id'])}  {esc(row['title'] or '')} [dim]{esc(row['status'] or '')}[/]{suspect}"

    section("descendants", result.descendants, descendant_line)
    section("open requests", result.open_requests, lambda r: f"  {esc(r['id'])}  {esc(r['title'] or '')} [dim]({r['status']}, about {esc(', '.join(r['about']))})[/]")
    section("baselines", result.baselines, lambda r: f"  {esc(r['name'])}  {esc(r['created'] or '')} [dim]holds {len(r['holds'])}: {esc(', '.join(r['holds'][:10]))}{', …' if len(r['holds']) > 10 else ''}[/]")

    def signoff_line(row: dict[str, Any]) -> str:
        role = f" ({row['role']})" if row["role"] else ""
        return f"  {esc(row['baseline'])}: {esc(row['meaning'])} by {esc(row['signer'])}{esc(role)} {esc(row['time'] or '')}"

    section("sign-offs to renew", result.signoffs, signoff_line)


class GraphFormat(str, Enum):
    dot = "dot"
    graphml = "graphml"
    json = "json"
    mermaid = "mermaid"


_RENDERED = (".svg", ".png", ".pdf")


@app.command()
def graph(
    rev: RevOption = None,
    root: RootOption = None,
    format: Annotated[GraphFormat, typer.Option("--format", "-f", help="dot (Graphviz), graphml, json or mermaid.")] = GraphFormat.dot,
    out: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write to this file (default: stdout). With dot, a .svg/.png/.pdf name is rendered by Graphviz when installed.", show_default=False)] = None,  # noqa: UP007
    focus: Annotated[Optional[str], typer.Option("--focus", help="Only the items within --depth links of this id.", show_default=False)] = None,  # noqa: UP007
    depth: Annotated[int, typer.Option("--depth", min=0, max=50, help="How many links from --focus.")] = 1,
    through_baselines: Annotated[bool, typer.Option("--through-baselines", help="With --focus: walk on through baselines to every requirement they hold (a baseline links to all of them).")] = False,
) -> None:
    """Export the evidence graph for people who want the picture."""
    import shutil
    import subprocess

    from reqtrace.errors import InputError
    from reqtrace.graph.formats import render
    from reqtrace.graph.graph import neighbourhood
    from reqtrace.io.files import output_path, output_writer

    output.json_requested = format is GraphFormat.json
    if out is not None:
        output_path(out, example=f"graph.{format.value}")
    from reqtrace.core.config import find_spec_repo
    from reqtrace.graph.cache import whole_graph

    bundle, whole = _ask(find_spec_repo(root), rev, lambda _repo, bundle: whole_graph(bundle.graph))
    chosen = whole
    if focus is not None:
        if focus not in whole:
            raise InputError(f"no item with id '{focus}'", hint="`reqtrace list --kind all` shows every id")
        stop_at = frozenset() if through_baselines else frozenset({"baseline"})
        chosen = neighbourhood(whole, focus, depth, stop_at=stop_at)
    data = render(chosen, format.value, rev=bundle.commit)
    summary = f"{chosen.number_of_nodes()} items, {chosen.number_of_edges()} links"
    errors = output.stderr_console()
    if focus is not None:
        output.say(errors, f"[dim]{output.esc(_left_out(whole, chosen, focus, depth, through_baselines))}[/]")
    if out is None:
        output.write_bytes(data)
        return
    if format is GraphFormat.dot and out.suffix.lower() in _RENDERED:
        dot = shutil.which("dot")
        if dot is None:
            fallback = out.with_suffix(".dot")
            with output_writer(fallback) as handle:
                handle.write(data)
            errors.print(f"[yellow]Graphviz (dot) is not installed[/]: wrote the dot text to {output.esc(fallback)} ({summary}); render it with `dot -T{out.suffix[1:].lower()} {output.esc(fallback)}`")
            return
        proc = subprocess.run([dot, f"-T{out.suffix[1:].lower()}"], input=data, capture_output=True, check=False)
        if proc.returncode != 0:
            raise InputError(f"Graphviz failed: {proc.stderr.decode('utf-8', 'replace').strip()[:300]}")
        data = proc.stdout
    with output_writer(out) as handle:
        handle.write(data)
    errors.print(f"wrote {output.esc(out)} ({summary})")


def _left_out(whole: Any, chosen: Any, focus: str, depth: int, through_baselines: bool) -> str:
    """One line on what a focused graph does not show, and the option that shows it."""
    from reqtrace.graph.graph import neighbourhood

    stop_at = frozenset() if through_baselines else frozenset({"baseline"})
    shown = chosen.number_of_nodes()
    line = f"graph: {shown} of {whole.number_of_nodes()} items, {output.counted(chosen.number_of_edges(), 'link')}: {focus} and what is within {output.counted(depth, 'link')} of it"
    left_out = []
    further = neighbourhood(whole, focus, depth + 1, stop_at=stop_at).number_of_nodes() - shown
    if further:
        left_out.append(f"{further} more at {depth + 1} links (--depth {depth + 1})")
    if not through_baselines:
        behind = neighbourhood(whole, focus, depth, stop_at=frozenset()).number_of_nodes() - shown
        if behind:
            left_out.append(f"{behind} more through baselines (--through-baselines)")
    return line + ("; left out: " + ", ".join(left_out) if left_out else "")


@app.command()
def status(
    rev: RevOption = None,
    chart: Annotated[Optional[Path], typer.Option("--chart", metavar="FILE.html", help="Also write an offline HTML page with a chart of requirement changes and requests by class per month, baselines marked.", show_default=False)] = None,  # noqa: UP007, UP045
    root: RootOption = None,
    format: FormatOption = TextOrJson.text,
) -> None:
    """The project manager's one screen: what changed since the customer first signed, baseline, drift, requests, and loose ends."""
    from reqtrace.core.config import find_spec_repo
    from reqtrace.graph.cache import graph_is_kept, status_snapshot, target_of, whole_snapshot
    from reqtrace.graph.status import (
        build_status,
        keep_status,
        kept_status,
        kept_status_body,
        kept_status_inputs,
    )

    output.json_requested = format is TextOrJson.json
    if chart is not None:
        from reqtrace.io.files import output_path

        output_path(chart, option="--chart", what="HTML file", example="status.html")  # before the work, and again when written
    repo = find_spec_repo(root)
    target = target_of(repo, rev)
    # The whole answer, kept for the spec files' state and today as --format json writes it;
    # the chart needs the snapshot.
    if chart is None and format is TextOrJson.json:
        body = kept_status_body(repo, target.state)
        if body is not None and output.write_json_body(body):
            return
    data = kept_status(repo, target.state) if chart is None else None
    written: Callable[[], None] = _nothing

    def facts(repo: Any, bundle: Any) -> Any:
        # The inputs inside the question: a graph built afresh is kept meanwhile.
        snapshot = status_snapshot(repo, bundle)
        # A graph built afresh was built from every file parsed: the approvals take the
        # snapshot's side from it (one made of a kept graph's facts is no parse).
        return snapshot, kept_status_inputs(repo, snapshot, bundle.state, whole=bundle.snapshot is snapshot)

    try:
        if data is None:
            if target.state is not None and not graph_is_kept(repo):
                # No graph kept (a fresh clone): the answer reads only the snapshot. The graph
                # is built and kept by a child meanwhile, waited for once the answer is out.
                gc.disable()  # a whole parse: hundreds of thousands of objects, none of them garbage
                snapshot, written = whole_snapshot(repo, target)
                state = target.state
                inputs = kept_status_inputs(repo, snapshot, state, whole=True)
            else:
                bundle, (snapshot, inputs) = _ask(repo, rev, facts, target=target)
                state = bundle.state
            data = build_status(snapshot, **inputs)
            if chart is not None:
                _write_chart(repo, snapshot, data, chart)
            else:
                body = output.json_body(data)
                keep_status(repo, state, data, body)
                if format is TextOrJson.json and output.write_json_body(body):
                    return  # the kept text, not indented twice
        if format is TextOrJson.json:
            output.write_json(data)
            return
        render_status(data)
    finally:
        written()


def _write_chart(repo: Any, snapshot: Any, data: dict[str, Any], path: Path) -> None:
    from reqtrace.baselines.baseline import scan_baselines
    from reqtrace.graph.status_chart import status_chart
    from reqtrace.io.files import output_writer
    from reqtrace.pack.report import render_status_chart

    picture = status_chart(repo, snapshot, scan_baselines(repo, snapshot.commit).baselines)
    with output_writer(path, option="--chart") as handle:
        handle.write(render_status_chart(data, picture).encode("utf-8"))
    shown = f"{picture['months']} months, {picture['total_changes']} requirement changes, {picture['total_requests']} requests" if picture else "nothing dated yet"
    output.stderr_console().print(f"wrote {output.esc(path)} ({shown})")


SHOWN_IDS = 8  # ids on one status line; --format json lists all


def _some_ids(ids: list[str]) -> str:
    more = len(ids) - SHOWN_IDS
    return ", ".join(ids[:SHOWN_IDS]) + (f" and {more} more" if more > 0 else "")


def render_story(console: Any, data: dict[str, Any]) -> None:
    """The story's main point, first: what changed since the customer first signed, how
    much of it an approved request covers, and what was accepted later without approval."""
    esc = output.esc
    since = data.get("since_first_signed")
    if not since:
        return
    signed = f"{esc(since['baseline'])} ({esc((since.get('created') or 'undated')[:10])})"
    if not since["changes"]:
        console.print(f"[bold cyan]since first signed[/] {signed}: [green]no changes[/]")
        return
    unapproved = since["unapproved"]
    console.print(
        f"[bold cyan]since first signed[/] {signed}: {output.counted(since['changes'], 'change')}, "
        f"{since['approved']} approved, [{'red' if unapproved else 'green'}]{unapproved} not[/]"
    )
    if unapproved:
        console.print(f"  [red]not approved[/]     {esc(_some_ids(since['unapproved_ids']))}")
    later = data.get("accepted_without_approval")
    if later and later["count"]:
        console.print(f"  [red]accepted anyway[/]  in {esc(later['baseline'])}: {esc(_some_ids(later['ids']))} (no approval)")
def _named_in(customer: str, project: str) -> bool:
    """True when the project's name already names the customer ("Acme portal" for "Acme
    (ACME GmbH)"): the header says it once."""
    name = re.sub(r"\s*[(（][^()（）]*[)）]\s*$", "", customer).strip()
    return bool(name) and name.casefold() in project.casefold()


def _labelled(console: Any, markup: str) -> None:
    """A status line: its label, then the value, wrapped under the value column."""
    output.say(console, markup, hang=19)


def render_status(data: dict[str, Any]) -> None:
    console = output.stdout_console()
    esc = output.esc
    counts = data["counts"]
    customer = f" for {esc(data['customer'])}" if data.get("customer") and not _named_in(data["customer"], data["project"]) else ""
    where = f"commit {data['rev'][:12]}" if data.get("rev") else "the working tree"
    console.print(f"[bold]{esc(data['project'])}[/]{customer} [dim]at {where}[/]")
    console.print("  " + " · ".join(output.counted(counts[key + "s"], key) for key in ("requirement", "request", "meeting", "email", "document")))
    render_story(console, data)
    accepted = data.get("accepted_baseline")
    if accepted:
        delivered = f", delivered {esc(accepted['delivery_date'])}" if accepted.get("delivery_date") else ", not delivered yet"
        _labelled(console, f"[cyan]accepted baseline[/]  {esc(accepted['name'])} ({esc(accepted.get('created') or 'undated')}{delivered}), {accepted.get('requirement_count', 0)} requirements")
    else:
        console.print("[cyan]accepted baseline[/]  no accepted baseline yet — `reqtrace baseline create` and a customer sign-off make one")
    drift = data.get("drift")
    if drift:
        _labelled(console, f"[cyan]drift since then[/]   {drift['added']} added, {drift['modified']} modified, {drift['removed']} removed — {drift['approved']} approved, [{'red' if drift['unapproved'] else 'green'}]{drift['unapproved']} unapproved[/]")
    volatility = data.get("volatility")
    if volatility and volatility.get("index") is not None:
        _labelled(console, f"[cyan]volatility[/]         {volatility['index']:.2f} ({volatility['changes']} changes / {volatility['baseline_size']} requirements in the baseline)")
    if data.get("most_changed"):
        _labelled(console, "[cyan]most changed[/]       " + ", ".join(f"{esc(row['id'])} ({row['changes']})" for row in data["most_changed"]))
    tests = data.get("tests")
    if tests and not tests["runs"]:
        _labelled(console, "[cyan]tested[/]             no test results recorded yet [dim](`reqtrace ingest-tests REPORT` reads JUnit XML)[/]")
    elif tests:
        counts = tests["counts"]
        failing = f", [red]{counts['failing']} failing[/]" if counts["failing"] else ""
        _labelled(console, f"[cyan]tested[/]             {counts['verified']} of {sum(counts.values())} requirements of {esc(tests['baseline'])} verified by a passing test on their signed text{failing}, {counts['untested']} untested ({tests['runs']} test record(s))")
        for row in tests["failing"][:20]:
            console.print(f"  [red]failing[/]  {esc(row['id'])}  {esc(', '.join(row['tests'][:3]))} [dim]({esc(row['run'])})[/]")
        if tests["untested"]:
            shown = ", ".join(tests["untested"][:20]) + (", …" if len(tests["untested"]) > 20 else "")
            output.say(console, f"  [yellow]untested[/] {esc(shown)}", hang=9)
    requests = data["requests"]
    if requests["by_state"]:
        _labelled(console, "[cyan]requests by state[/]  " + ", ".join(f"{n} {esc(state)}" for state, n in requests["by_state"].items()))
        _labelled(console, "[cyan]by classification[/]  " + ", ".join(f"{n} {esc(kind)}" for kind, n in requests["by_classification"].items()))
        # One print for every requester: a call costs about 0.4 ms, and a public project has thousands.
        console.print("\n".join(
            ["[cyan]by requester[/]"]
            + [f"  {row['requests']:>4}  {esc(row['from'])} [dim]({row['open']} open, {row['approved']} approved, {row['rejected']} rejected)[/]" for row in requests["by_requester"]]
        ))
    else:
        console.print("[cyan]requests[/]           none recorded")
    unlinked = data["unlinked_records"]
    console.print(f"[cyan]records linked to nothing[/] ({len(unlinked)})" + ("" if unlinked else ": none"))
    for row in unlinked[:20]:
        console.print(f"  {esc(row['id'])}  {row['kind']}  {esc(row['title'] or '')}")
    if len(unlinked) > 20:
        console.print(f"  … and {len(unlinked) - 20} more (--format json lists all)")
    unsourced = data["unsourced_requirements"]
    derived = sum(1 for row in unsourced if row["has_parent"])
    console.print(f"[cyan]requirements with no source[/] ({len(unsourced)}, {derived} of them derive from a parent)" + ("" if unsourced else ": none"))
    for row in unsourced[:20]:
        console.print(f"  {esc(row['id'])}  {esc(row['title'])}")
    if len(unsourced) > 20:
        console.print(f"  … and {len(unsourced) - 20} more (--format json lists all)")
