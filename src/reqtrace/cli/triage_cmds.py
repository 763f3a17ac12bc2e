"""Commands for post-delivery requests: triage and decide."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Optional

import typer

from reqtrace.cli import app, output
from reqtrace.cli.options import (
    FormatOption,
    RootOption,
    TextOrJson,
    checked_argument,
    complete_requests,
)

BaselineOption = Annotated[
    Optional[str],  # noqa: UP007, UP045 - typer needs Optional on 3.11
    typer.Option("--baseline", help="Compare with this baseline (a baseline name, tag or commit); default: the accepted baseline.", show_default=False),
]


@app.command()
def triage(
    items: Annotated[Optional[list[str]], typer.Argument(metavar="[RQ-ID|FILE]...", help="Request ids, request files (.yaml) or emails (.eml).", show_default=False, autocompletion=complete_requests, callback=checked_argument)] = None,  # noqa: UP007, UP045
    text: Annotated[Optional[str], typer.Option("--text", help="Triage this text instead of a request ('-' reads it from standard input).", show_default=False)] = None,  # noqa: UP007, UP045
    every: Annotated[bool, typer.Option("--all", help="Every request without a decision.")] = False,
    since_delivery: Annotated[bool, typer.Option("--since-delivery", help="Only requests received after the baseline's delivery date.")] = False,
    baseline: BaselineOption = None,
    write: Annotated[bool, typer.Option("--write", help="Store each recommendation in the request's triage block.")] = False,
    no_precedent: Annotated[bool, typer.Option("--no-precedent", help="Do not cite or weigh the repo's decided requests.")] = False,
    no_priors: Annotated[bool, typer.Option("--no-priors", help="Do not re-weigh the answers by the mix of the repo's own requests.")] = False,
    root: RootOption = None,
    format: FormatOption = TextOrJson.text,
) -> None:
    """Classify post-delivery requests against the signed baseline: defect, change, new-scope, out-of-scope or needs-review."""
    from reqtrace.core.config import find_spec_repo
    from reqtrace.errors import InputError
    from reqtrace.io.clock import timestamp
    from reqtrace.triage.repo import (
        MAX_TEXT_BYTES,
        baseline_index,
        select_inputs,
        triage_in_repo,
    )

    output.json_requested = format is TextOrJson.json
    if text == "-":
        import sys

        text = sys.stdin.buffer.read(MAX_TEXT_BYTES + 4).decode("utf-8", "replace")
    repo = find_spec_repo(root)
    chosen, index = baseline_index(repo, baseline)
    since = None
    if since_delivery:
        if chosen.delivery_date is None:
            raise InputError(
                f"--since-delivery: baseline '{chosen.name}' has no delivery date",
                hint="the delivery date is the first sign-off of meaning delivered or accepted "
                "(`reqtrace baseline sign NAME --meaning delivered …`); drop --since-delivery to triage every request",
            )
        since = chosen.delivery_date
    inputs, records = select_inputs(repo, items=items or [], text=text, every=every, since=since)
    run, index = triage_in_repo(repo, inputs, chosen, index, records, precedent=not no_precedent, priors=not no_priors)
    written = []
    if write:
        written = _write_all(repo, records, run, timestamp())
    if format is TextOrJson.json:
        output.write_json(triage_json(run, index, written))
    else:
        render_triage_text(run, index, written)


def _write_all(repo: Any, records: Any, run: Any, on: Any) -> list[tuple[str, str]]:
    from reqtrace.triage.recording import write_triage

    console = output.stderr_console()
    written: list[tuple[str, str]] = []
    for item, result in run.results:
        if item.request is None:
            console.print(f"[yellow]not written:[/] {output.esc(item.label)} is not a request of this repo")
            continue
        done = write_triage(repo, item.request, records.config, result, run.baseline.name, on)
        written.append((item.request.id, item.request.path if done.changed else ""))
    return written


def triage_json(run: Any, index: Any, written: list[tuple[str, str]]) -> dict[str, Any]:
    results = []
    for item, result in run.results:
        data = result.as_dict()
        for match in data["matches"]:
            requirement = index.get(match["id"])
            if requirement is not None:
                match["title"] = requirement.title
                match["statement"] = requirement.statement.strip()
        data["title"] = item.text.split("\n", 1)[0][:200] if item.request is not None else None
        data["received"] = item.received
        results.append(data)
    return {
        "baseline": run.baseline.name,
        "baseline_commit": run.baseline.commit,
        "signoffs": [{"signer": s.signer, "meaning": s.meaning, "time": s.time, "role": s.role} for s in run.baseline.active_signoffs],
        "delivery_date": run.baseline.delivery_date,
        "priors": run.mix.as_dict() if run.mix is not None else None,
        "results": results,
        "written": [rid for rid, path in written if path],
    }


_COLOURS = {"defect": "red", "change": "yellow", "new-scope": "magenta", "out-of-scope": "cyan", "needs-review": "white"}


# Below this width the request and the signed text are shown one after the other.
TRIAGE_SIDE_BY_SIDE_WIDTH = 100


def render_triage_text(run: Any, index: Any, written: list[tuple[str, str]]) -> None:
    from rich.table import Table

    console = output.stdout_console()
    output.say(console, f"[bold]Baseline {output.esc(run.baseline.name)}[/] [dim]commit {run.baseline.commit[:12]} · {len(index)} requirements[/]")
    if run.baseline.active_signoffs:
        for s in run.baseline.active_signoffs:
            output.say(console, f"  [dim]signed by {output.esc(s.signer)} ({s.meaning}, {s.time})[/]")
    else:
        output.say(console, "  [dim]signed by: not known to triage yet (record sign-offs with `reqtrace baseline sign`)[/]")
    if run.mix is not None:
        from reqtrace.triage.repo import mix_line

        output.say(console, f"  [dim]{output.esc(mix_line(run.mix))}[/]")
    if not run.results:
        console.print("no requests to triage (every request has a decision, or none matched)")
        return
    for item, result in run.results:
        colour = _COLOURS.get(result.classification, "white")
        diverges = " · diverges from the baseline" if result.diverges else ""
        console.print()
        output.say(console, f"[bold]{output.esc(item.label)}[/]  [{colour}]{result.classification}[/] confidence {result.confidence:.2f}{diverges}")
        cited = {precedent.reason() for precedent in result.precedents}
        output.say_all(console, [f"  • {output.esc(reason)}" for reason in result.reasons if reason not in cited], hang=2)
        if cited & set(result.reasons):
            _print_precedents(console, result.precedents)
        if result.matches:
            output.say(console, "  matches: " + ", ".join(f"{output.esc(m.id)} {m.score:.2f} ({output.esc(' '.join(m.words[:6]))})" for m in result.matches[:3]))
            top = index.get(result.matches[0].id)
            signed_title = f"signed: {top.id} {top.title}" if top else "signed"
            signed_text = (top.statement.strip() + ("\n" + "\n".join(f"- {c}" for c in top.acceptance) if top.acceptance else "")) if top else ""
            if console.width >= TRIAGE_SIDE_BY_SIDE_WIDTH:
                table = Table(show_header=True, header_style="bold", expand=True, box=None, padding=(0, 1))
                table.add_column("the request", ratio=1, overflow="fold")
                table.add_column(output.esc(signed_title), ratio=1, overflow="fold")
                table.add_row(output.esc(_clip(item.text, 700)), _signed_cell(top) if top else "")
                console.print(table)
            else:
                # Two columns of 39 would cut every other word: the request, then the signed text.
                for heading, text in (("the request", item.text), (signed_title, signed_text)):
                    lines = [f"  [bold]{output.esc(heading)}[/]"]
                    lines += [f"    {output.esc(line)}" for line in _clip(text, 700).splitlines()]
                    output.say_all(console, lines, hang=2)
    counts: dict[str, int] = {}
    for _, result in run.results:
        counts[result.classification] = counts.get(result.classification, 0) + 1
    console.print()
    output.say(console, "[dim]" + ", ".join(f"{n} {name}" for name, n in sorted(counts.items())) + f" of {len(run.results)} request(s); a person decides: `reqtrace decide RQ-ID --as … --status … --by …`[/]")
    changed = [rid for rid, path in written if path]
    if written:
        console.print(f"[green]✓[/] wrote the triage block of {len(changed)} request(s)" + (f": {output.esc(', '.join(changed))}" if changed else " (unchanged)"))


def _signed_cell(requirement: Any) -> Any:
    """The signed statement and its acceptance criteria, each criterion a "-" with its text
    beside it: text without spaces (Chinese) then folds beside the dash, never below a
    dash left alone on its line."""
    from rich.console import Group
    from rich.table import Table

    statement = _clip(requirement.statement, 700)
    criteria = Table.grid(padding=(0, 1))
    criteria.add_column(width=1)
    criteria.add_column(overflow="fold")
    room = 700 - len(statement)
    for criterion in requirement.acceptance:
        if room <= 0:
            criteria.add_row("", "…")
            break
        text = _clip(criterion, max(room, 2))
        room -= len(text)
        criteria.add_row("-", output.esc(text))
    return Group(output.esc(statement), criteria) if requirement.acceptance else output.esc(statement)


def _print_precedents(console: Any, precedents: Any) -> None:
    """Each precedent wrapped under its bullet: it is what a PM reads out, so it fits the terminal."""
    output.say_all(console, [f"  • {output.esc(precedent.reason())}" for precedent in precedents], hang=4)


def _clip(text: str, size: int) -> str:
    text = text.strip()
    return text if len(text) <= size else text[: size - 1] + "…"


class DecisionClass(str, Enum):  # noqa: UP042 - typer choices, like NewKind
    defect = "defect"
    change = "change"
    new_scope = "new-scope"
    out_of_scope = "out-of-scope"


class DecisionStatus(str, Enum):  # noqa: UP042
    approved = "approved"
    rejected = "rejected"
    pending = "pending"


@app.command()
def decide(
    request_id: Annotated[str, typer.Argument(metavar="RQ-ID", help="The request decided on.", callback=checked_argument, autocompletion=complete_requests)],
    as_: Annotated[DecisionClass, typer.Option("--as", help="The class a person gives it (may differ from triage's).")],
    status: Annotated[DecisionStatus, typer.Option("--status", help="approved, rejected or pending.")],
    by: Annotated[str, typer.Option("--by", help="Who decided.")],
    in_: Annotated[Optional[str], typer.Option("--in", help="The meeting or email where it was decided.", show_default=False)] = None,  # noqa: UP007, UP045
    note: Annotated[Optional[str], typer.Option("--note", help="Why, in a sentence.", show_default=False)] = None,  # noqa: UP007, UP045
    on: Annotated[Optional[str], typer.Option("--on", help="When it was decided: a date (2026-08-20) or a time with its offset (2026-08-20T14:30:00+08:00); default: now.", show_default=False)] = None,  # noqa: UP007, UP045
    root: RootOption = None,
    format: FormatOption = TextOrJson.text,
) -> None:
    """Record a person's decision on a request in its decision block (the triage block stays beside it)."""
    from reqtrace.core.config import find_spec_repo
    from reqtrace.triage.recording import write_decision
    from reqtrace.triage.repo import decision_moment, load_records, missing_request

    output.json_requested = format is TextOrJson.json
    repo = find_spec_repo(root)
    when = decision_moment(on)
    records = load_records(repo, ("request", "meeting", "email"))
    request = records.requests.get(request_id)
    if request is None:
        raise missing_request(repo, request_id, records)
    known = {rid: "meeting" for rid in records.meetings} | {rid: "email" for rid in records.emails}
    done = write_decision(repo, request, records.config, as_=as_.value, status=status.value, by=by, on=when,
                          in_=in_, note=note, known_records=known)
    recommended = request.triage.classification if request.triage else None
    if format is TextOrJson.json:
        output.write_json({
            "request": request.id, "path": request.path, "written": [request.path] if done.changed else [],
            "decision": {"as": as_.value, "status": status.value, "by": by, "when": when, "in": in_, "note": note},
            "triage": recommended,
        })
        return
    console = output.stdout_console()
    verb = "recorded" if done.changed else "unchanged"
    console.print(f"[green]✓[/] {verb}: {output.esc(request.id)} decided as [bold]{as_.value}[/], {status.value}, by {output.esc(by)} on {output.esc(when)}" + (f" in {output.esc(in_)}" if in_ else "") + f" [dim]({output.esc(request.path)})[/]")
    if recommended and recommended != as_.value:
        console.print(f"  [yellow]note:[/] triage recommended {recommended}; both stay on record")
