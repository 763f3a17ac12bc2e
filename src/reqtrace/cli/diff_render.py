"""Rendering a diff or a log for people: rich text for the terminal, Markdown for a
pull-request comment. User text is escaped in both (rich markup; Markdown and HTML)."""

from __future__ import annotations

import re
from typing import Any

from reqtrace.cli import output

CHANGE_ORDER = ("added", "removed", "modified", "moved")
STAT_LINES = 25  # --stat stays on one screen


def _where(side: Any) -> str:
    if side.commit is None:
        return "the working tree"
    name = side.ref if side.ref != side.commit else side.commit[:12]
    return f"{name} ({side.commit[:12]}, {side.date})" if side.ref != side.commit else f"{name} ({side.date})"


def _short(value: Any, limit: int = 160) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list | tuple):
        text = ", ".join(str(item) for item in value)
    elif isinstance(value, dict):
        import json

        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- rich text ---------------------------------------------------------------------


_EVERY_BRACKET = re.compile(r"(\\*)(\[|\Z)")


def _words_markup(words: Any, plain: bool) -> str:
    """Word diff as rich markup; git's [-…-]{+…+} markers when there is no colour."""
    parts = []
    for op, text in words:
        # Every '[' escaped, not only those that look like a tag: `[id, when` in one piece
        # and `]` in a later one would otherwise join into a tag across the pieces.
        # Backslashes before a '[' or at the end (before the next piece's tag) are doubled.
        shown = _EVERY_BRACKET.sub(lambda m: m.group(1) * 2 + ("\\[" if m.group(2) else ""), text)
        if op == "=":
            parts.append(shown)
        elif plain:
            parts.append(f"[-{shown}-]" if op == "-" else f"{{+{shown}+}}")
        else:
            parts.append(f"[red strike]{shown}[/]" if op == "-" else f"[green underline]{shown}[/]")
    return "".join(parts)


def _hunk_lines(hunks: Any, plain: bool) -> list[str]:
    """A long text's change: changed lines marked -, + or ~ (words marked within), one
    line of context around each, '…' where unchanged text is left out."""
    lines = []
    for index, hunk in enumerate(hunks):
        if index or hunk.before_unit or hunk.after_unit:
            lines.append("      [dim]…[/]")
        for piece in hunk.pieces:
            if piece.op == "=":
                lines.append(f"        [dim]{output.esc(piece.text)}[/]")
            elif piece.op == "-":
                lines.append(f"      [red]- {output.esc(piece.text)}[/]")
            elif piece.op == "+":
                lines.append(f"      [green]+ {output.esc(piece.text)}[/]")
            else:
                lines.append(f"      ~ {_words_markup(piece.words, plain)}")
    return lines


def _field_lines(change: Any, plain: bool) -> list[str]:
    lines = []
    for f in change.fields:
        name = f"[cyan]{output.esc(f.field)}[/]"
        if f.hunks:
            lines.append(f"    {name}:")
            lines.extend(_hunk_lines(f.hunks, plain))
        elif f.words:
            lines.append(f"    {name}: {_words_markup(f.words, plain)}")
        elif f.added or f.removed or f.reordered:
            lines.append(f"    {name}:" + (" (reordered)" if f.reordered else ""))
            lines.extend(f"      [green]+ {output.esc(item)}[/]" for item in f.added)
            lines.extend(f"      [red]- {output.esc(item)}[/]" for item in f.removed)
        else:
            lines.append(f"    {name}: [red]{output.esc(_short(f.before))}[/] → [green]{output.esc(_short(f.after))}[/]")
    return lines


def _request_line(change: Any) -> str | None:
    if change.approved_by:
        text = f"approved by {', '.join(change.approved_by)}"
        others = [f"{r.id} ({r.why_not})" for r in change.requests if not r.covers]
        return output.esc(text + (f"; also named by {', '.join(others)}" if others else ""))
    if change.requests:
        return output.esc("not covered: " + ", ".join(f"{r.id} ({r.why_not})" for r in change.requests))
    return None


class _Lines:
    """Collects markup lines; rich prints them in one call (one call per line costs ~0.3 ms each)."""

    def __init__(self, console: Any) -> None:
        self.console = console
        self.lines: list[str] = []

    def print(self, line: str) -> None:
        self.lines.append(line)

    def flush(self) -> None:
        if self.lines:
            output.say_all(self.console, self.lines)
            self.lines = []


def render_diff_text(result: Any, *, show_all: bool, stat: bool) -> None:
    real_console = output.stdout_console()
    plain = real_console.color_system is None
    console = _Lines(real_console)
    counts = {kind: result.count(kind) for kind in CHANGE_ORDER}
    unapproved = result.unapproved
    console.print(f"[bold]reqtrace diff[/] {output.esc(_where(result.from_side))} → {output.esc(_where(result.to_side))}")
    for note in result.notes:
        console.print(f"[dim]note: {output.esc(note)}[/]")
    for side, finding in result.findings:
        colour = "red" if finding.severity == "error" else "yellow"
        where = f"{finding.path}:{finding.line}" if finding.line else (finding.path or "")
        console.print(f"[{colour}]{finding.severity}[/] [dim]({side})[/] {output.esc(where)} [cyan]{finding.code}[/] {output.esc(finding.message)}")
    for item in result.unreadable:
        console.print(f"[bold red]UNREADABLE[/] {output.esc(item.id)} [dim]{output.esc(item.path)}[/] — {output.esc(item.message())}")
    for duplicate in result.duplicates:
        colour = "dim" if duplicate.status == "resolved" else "bold red"
        console.print(f"[{colour}]DUPLICATE[/] {output.esc(duplicate.message())}")
    if unapproved:
        console.print(f"[bold red]✗ {len(unapproved)} unapproved change(s)[/] — no approved request covers them")
    if stat:
        if result.changes:
            console.flush()
            _render_stat(real_console, result)
    else:
        for change in result.changes:
            _render_change(console, change, plain)
        for document in result.documents:
            console.print(f"{' ' * 10} [bold]document[/] [bold]{output.esc(document.id)}[/] {document.change} [dim]{output.esc(document.path)}[/]")
            for detail in document.details:
                console.print(f"    {output.esc(detail)}")
        if show_all and result.formatting_only:
            console.print("[bold]formatting only[/] [dim](files changed, meaning unchanged)[/]")
            for path in result.formatting_only:
                console.print(f"  {output.esc(path)}")
    if result.suspect:
        console.print(f"[yellow]{len(result.suspect)} suspect link(s)[/] — a parent changed since the child was reviewed:")
        for link in result.suspect:
            console.print(f"  [yellow]suspect[/] {output.esc(link.child)} → {output.esc(link.parent)} [dim](`reqtrace review {output.esc(link.child)}`)[/]")
    summary = ", ".join(f"{counts[kind]} {kind}" for kind in CHANGE_ORDER)
    extra = f"; {len(result.formatting_only)} file(s) changed formatting only" if result.formatting_only else ""
    if not result.changes:
        console.print(f"[green]✓[/] no change of meaning{extra}")
    else:
        verdict = f"[bold red]{len(unapproved)} unapproved[/]" if unapproved else "[green]all approved[/]"
        console.print(f"{summary} — {verdict}{extra}")
    console.flush()


def _render_change(console: Any, change: Any, plain: bool) -> None:
    if not change.needs_approval:
        mark = " " * 10
    elif change.approved:
        mark = "[green]approved[/]  "
    else:
        mark = "[bold red]UNAPPROVED[/]"
    path = change.path if change.from_path in (None, change.path) else f"{change.from_path} → {change.path}"
    title = change.after.title if change.after is not None else (change.before.title if change.before is not None else "")
    console.print(f"{mark} [bold]{change.change:<8}[/] [bold]{output.esc(change.id)}[/] {output.esc(_short(title, 80))} [dim]{output.esc(path)}[/]")
    if change.renamed_from:
        console.print(f"    [cyan]renamed[/] from {output.esc(change.renamed_from)}")
    if change.move_text:
        console.print(f"    [cyan]{output.esc(change.move_text)}[/]")
    for line in _field_lines(change, plain):
        console.print(line)
    if change.change == "added" and change.after is not None and not change.similar:
        console.print(f"    [dim]statement:[/] {output.esc(_short(change.after.statement))}")
    if change.similar:
        other, ratio = change.similar
        verb = "renamed to" if change.change == "removed" else "renamed from"
        console.print(f"    [yellow]hint:[/] probably {verb} {output.esc(other)} ({ratio:.0%} alike): an id that changed shows as removed + added")
    requests = _request_line(change)
    if requests:
        console.print(f"    [dim]{requests}[/]")


def _render_stat(console: Any, result: Any) -> None:
    from rich.table import Table

    table = Table(box=None, pad_edge=False, show_edge=False, show_header=True)
    for column in ("", "change", "id", "fields", "approved by"):
        table.add_column(column, overflow="ellipsis", no_wrap=True)
    for change in result.changes[:STAT_LINES]:
        mark = "[bold red]✗[/]" if not change.approved else "[green]✓[/]"
        fields = ", ".join(f.field for f in change.fields) or change.move_text or ("→ " + change.path if change.change == "moved" else "")
        table.add_row(mark, change.change, output.esc(change.id), output.esc(fields), output.esc(", ".join(change.approved_by)))
    console.print(table)
    if len(result.changes) > STAT_LINES:
        console.print(f"[dim]… and {len(result.changes) - STAT_LINES} more (drop --stat for all)[/]")


# --- Markdown -------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def md(text: Any) -> str:
    """User text made inert in GitHub Markdown: no markup, no HTML, no @-mentions, one line."""
    value = " ".join(str(text).split())
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    value = _MD_SPECIAL.sub(r"\\\1", value)
    return value.replace("@", "&#64;")


def _md_keep_edges(text: str) -> str:
    """`md`, keeping one space where the text began or ended with white space."""
    core = md(text)
    if not core:
        return " " if text else ""
    return (" " if text[:1].isspace() else "") + core + (" " if text[-1:].isspace() else "")


def _md_words(words: Any) -> str:
    parts = []
    for op, text in words:
        if op == "=":
            parts.append(_md_keep_edges(text))
            continue
        # GitHub ignores ~~ and ** that hug white space, so keep the spaces outside.
        lead = " " if text[:1].isspace() else ""
        tail = " " if text[-1:].isspace() and text.strip() else ""
        inner = md(text)
        if not inner:
            parts.append(" ")
        else:
            parts.append(f"{lead}~~{inner}~~{tail}" if op == "-" else f"{lead}**{inner}**{tail}")
    return "".join(parts).strip()


def _md_change(change: Any) -> list[str]:
    title = change.after.title if change.after is not None else (change.before.title if change.before is not None else "")
    path = md(change.path) if change.from_path in (None, change.path) else f"{md(change.from_path)} → {md(change.path)}"
    lines = [f"- **{md(change.id)}** {change.change}: {md(_short(title, 100))} — {path}"]
    if change.renamed_from:
        lines.append(f"  - renamed from {md(change.renamed_from)}")
    if change.move_text:
        lines.append(f"  - {md(change.move_text)}")
    for f in change.fields:
        if f.hunks:
            lines.append(f"  - {md(f.field)}:")
            for index, hunk in enumerate(f.hunks):
                if index or hunk.before_unit or hunk.after_unit:
                    lines.append("    - …")
                for piece in hunk.pieces:
                    if piece.op == "~":
                        shown = _md_words(piece.words)
                    elif not piece.text.strip():
                        shown = "(empty line)"
                    else:
                        shown = {"=": md(piece.text), "-": f"~~{md(piece.text)}~~", "+": f"**{md(piece.text)}**"}[piece.op]
                    lines.append(f"    - {shown}")
        elif f.words:
            lines.append(f"  - {md(f.field)}: {_md_words(f.words)}")
        elif f.added or f.removed or f.reordered:
            lines.append(f"  - {md(f.field)}:" + (" reordered" if f.reordered else ""))
            lines.extend(f"    - added: {md(item)}" for item in f.added)
            lines.extend(f"    - removed: ~~{md(item)}~~" for item in f.removed)
        else:
            lines.append(f"  - {md(f.field)}: ~~{md(_short(f.before))}~~ → **{md(_short(f.after))}**")
    if change.similar:
        other, ratio = change.similar
        verb = "renamed to" if change.change == "removed" else "renamed from"
        lines.append(f"  - hint: probably {verb} {md(other)} ({ratio:.0%} alike)")
    if change.approved_by:
        lines.append(f"  - approved by {md(', '.join(change.approved_by))}")
    elif change.requests:
        lines.append("  - not covered: " + md(", ".join(f"{r.id} ({r.why_not})" for r in change.requests)))
    return lines


def render_diff_markdown(result: Any, *, show_all: bool, stat: bool) -> str:
    def side(s: Any) -> str:
        return "working tree" if s.commit is None else f"{md(s.ref)} ({s.commit[:12]})"

    unapproved = result.unapproved
    lines = [f"### Requirements diff: {side(result.from_side)} → {side(result.to_side)}", ""]
    lines += ["| added | removed | modified | moved | unapproved |", "| ---: | ---: | ---: | ---: | ---: |"]
    counts = [str(result.count(kind)) for kind in CHANGE_ORDER]
    lines += [f"| {' | '.join(counts)} | {'**' + str(len(unapproved)) + '**' if unapproved else '0'} |", ""]
    if unapproved:
        lines += ["> [!WARNING]", f"> **{len(unapproved)} unapproved change(s)**: no approved request names them in `affects`.", ""]
    for note in [*result.notes, *(d.message() for d in result.duplicates if d.status == "resolved")]:
        lines += [f"_{md(note)}_", ""]
    problems = [(s, f) for s, f in result.findings if f.severity == "error"]
    if problems or result.unreadable or any(d.status != "resolved" for d in result.duplicates):
        lines.append("**Problems**")
        lines += [f"- {md(f.path or '')}:{f.line or ''} {md(f.code)} ({s}): {md(f.message)}" for s, f in problems]
        lines += [f"- {md(u.id)} cannot be compared: {md(u.message())}" for u in result.unreadable]
        lines += [f"- {md(d.message())}" for d in result.duplicates if d.status != "resolved"]
        lines.append("")
    groups = [("Unapproved", unapproved), ("Approved", [c for c in result.changes if c.approved and c.needs_approval]), ("Moved", [c for c in result.changes if not c.needs_approval])]
    for heading, changes in groups:
        if not changes:
            continue
        if stat:
            lines.append(f"**{heading}**: " + ", ".join(f"{md(c.id)} ({c.change})" for c in changes))
            lines.append("")
            continue
        fold = heading == "Moved"
        lines += [f"<details><summary>{heading} ({len(changes)})</summary>", ""] if fold else [f"#### {heading} ({len(changes)})", ""]
        for change in changes:
            lines += _md_change(change)
        lines += ["", "</details>", ""] if fold else [""]
    if result.documents:
        lines += [f"**Documents** ({len(result.documents)})", ""]
        for document in result.documents:
            lines.append(f"- **{md(document.id)}** {document.change} — {md(document.path)}")
            lines.extend(f"  - {md(detail)}" for detail in document.details)
        lines.append("")
    if show_all and result.formatting_only:
        lines += [f"<details><summary>Formatting only ({len(result.formatting_only)} files)</summary>", ""]
        lines += [f"- {md(path)}" for path in result.formatting_only]
        lines += ["", "</details>", ""]
    if result.suspect:
        lines += [f"**Suspect links** ({len(result.suspect)}): a parent changed since the child was reviewed", ""]
        lines += [f"- {md(link.child)} → {md(link.parent)}" for link in result.suspect]
        lines.append("")
    if not result.changes:
        lines += ["No change of meaning.", ""]
    return "\n".join(lines).rstrip() + "\n"


# --- log ---------------------------------------------------------------------------------


def render_log_text(history: Any) -> None:
    real_console = output.stdout_console()
    plain = real_console.color_system is None
    console = _Lines(real_console)
    current = history.current
    if current is not None and current.version is not None:
        console.print(f"[bold]{output.esc(history.id)}[/] {output.esc(current.version.title)} [dim]{output.esc(history.current_path)}[/]")
    else:
        console.print(f"[bold]{output.esc(history.id)}[/] [red](removed)[/]")
    for entry in history.entries:
        colour = {"added": "green", "removed": "red", "modified": "yellow", "moved": "dim", "unreadable": "bold red"}.get(entry.change, "dim")
        message = entry.message.splitlines()[0] if entry.message else ""
        console.print(
            f"[{colour}]{entry.change:<8}[/] {entry.date[:10]} [dim]{entry.commit[:10]}[/] {output.esc(entry.author)} — {output.esc(message)}"
        )
        if entry.change in ("moved", "modified") and entry.from_path and entry.path and entry.from_path != entry.path:
            console.print(f"    [dim]{output.esc(entry.from_path)} → {output.esc(entry.path)}[/]")
        for note in entry.notes:
            console.print(f"    [dim]{output.esc(note)}[/]")
        for line in _field_lines(entry, plain):
            console.print(line)
        if entry.requests:
            console.print(f"    [dim]requests:[/] {output.esc(', '.join(entry.requests))}")
        if entry.baselines:
            console.print(f"    [bold blue]in baseline {output.esc(', '.join(entry.baselines))}[/]")
    missing = [b.name for b in history.baselines if b.entry is None]
    if missing:
        console.print(f"[dim]not in baseline(s): {output.esc(', '.join(missing))}[/]")
    others = [r for r in history.requests if r.status != "approved"]
    if others:
        console.print("[dim]other requests naming it:[/] " + output.esc(", ".join(f"{r.id} ({r.status})" for r in others)))
    console.print(f"[dim]{len(history.entries)} change(s) in {history.commits_walked} commit(s) touching the requirements[/]")
    console.flush()
