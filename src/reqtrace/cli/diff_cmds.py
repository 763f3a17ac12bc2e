"""Commands about change: diff and log."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import typer

from reqtrace.cli import app, output
from reqtrace.cli.options import (
    FormatOption,
    RootOption,
    TextOrJson,
    checked_argument,
    complete_requirements,
    complete_revisions,
)


class DiffFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"
    sarif = "sarif"
    junit = "junit"


class Whitespace(str, Enum):
    collapse = "collapse"
    exact = "exact"


WhitespaceOption = Annotated[Whitespace, typer.Option("--whitespace", help="How a long text's change is shown: collapse (white space does not count; re-wrapping is no change) or exact (every line as written: a Markdown field's line breaks and indentation count).")]


class FailOn(str, Enum):
    unapproved = "unapproved"
    any = "any"


def _revision_argument(value: str | None, what: str) -> str | None:
    # Refused here, before git sees it: `--output=/tmp/x` would be an option to git.
    if value is not None and (not value or value.startswith("-")):
        from reqtrace.errors import RevisionError

        raise RevisionError(f"{what} '{value}' is not a revision name (it starts with '-' or is empty); name a baseline, tag, branch, commit id or WORKTREE")
    return value


@app.command()
def diff(
    from_rev: Annotated[Optional[str], typer.Argument(metavar="[FROM]", help="Baseline name, tag, branch, commit id or WORKTREE (default: the accepted baseline, else HEAD).", show_default=False, autocompletion=complete_revisions)] = None,  # noqa: UP007
    to_rev: Annotated[Optional[str], typer.Argument(metavar="[TO]", help="Same choices (default: WORKTREE, the working tree).", show_default=False, autocompletion=complete_revisions)] = None,  # noqa: UP007
    root: RootOption = None,
    format: Annotated[DiffFormat, typer.Option("--format", "-f", help="text for people, json for tools, markdown for a pull-request comment, sarif or junit for the gate's findings (the --fail-on rule; unapproved without it).")] = DiffFormat.text,
    stat: Annotated[bool, typer.Option("--stat", help="A one-screen summary: one line per change.")] = False,
    show_all: Annotated[bool, typer.Option("--all", help="Also list the files whose changes are formatting only.")] = False,
    fail_on: Annotated[Optional[FailOn], typer.Option("--fail-on", help="Exit 1 when unapproved changes (or any change) exist, or a changed file cannot be read.", show_default=False)] = None,  # noqa: UP007
    whitespace: WhitespaceOption = Whitespace.collapse,
) -> None:
    """What changed in the requirements between FROM and TO, field by field, and which approved request covers each change.

    FROM and TO are baseline names, tags, branches, commit ids or WORKTREE (the
    working tree). FROM defaults to the accepted baseline, else HEAD; TO to WORKTREE.
    Unapproved changes come first. Exit 1 only with --fail-on.
    """
    from reqtrace.changes.diff_key import diff_key, keep_json, kept_json
    from reqtrace.core.config import find_spec_repo
    from reqtrace.core.snapshot import WORKTREE

    output.json_requested = format is DiffFormat.json
    _revision_argument(from_rev, "FROM")
    _revision_argument(to_rev, "TO")
    repo = find_spec_repo(root)
    key = diff_key(repo, from_rev, to_rev or WORKTREE, whitespace.value)
    # The JSON answer kept whole (without a gate: --fail-on decides `ok` from the result).
    plain_json = format is DiffFormat.json and fail_on is None
    if plain_json:
        body = kept_json(repo, key)
        if body is not None and output.write_json_body(body):
            return
    # Imported only now: a kept JSON answer needs none of the diff's machinery.
    from reqtrace.changes.diff import diff_json
    from reqtrace.changes.kept_diff import kept_diff
    from reqtrace.core.parse_cache import ParseCache

    # The cache's new entries are written in the background while the result is rendered.
    with ParseCache.for_git(repo.git_top) as cache:
        result = kept_diff(repo, from_rev, to_rev or WORKTREE, cache=cache, whitespace=whitespace.value, key=key)
        failed = output.gate_failed = fail_on is not None and _fails(result, fail_on)
        if plain_json:
            body = output.json_body(diff_json(result))
            keep_json(repo, key, body)
            if not output.write_json_body(body):
                output.write_json(diff_json(result))
        elif format is DiffFormat.json:
            output.write_json(diff_json(result))
        elif format in (DiffFormat.sarif, DiffFormat.junit):
            from reqtrace.checks.ci_formats import diff_gate, render_junit, render_sarif

            gate = diff_gate(result, any_change=fail_on is FailOn.any)
            output.write_text(render_sarif(gate, prefix=repo.prefix) if format is DiffFormat.sarif else render_junit(gate, prefix=repo.prefix))
        elif format is DiffFormat.markdown:
            from reqtrace.cli.diff_render import render_diff_markdown

            output.write_text(render_diff_markdown(result, show_all=show_all, stat=stat))
        else:
            from reqtrace.cli.diff_render import render_diff_text

            render_diff_text(result, show_all=show_all, stat=stat)
    if failed:
        raise typer.Exit(1)


def _fails(result, fail_on: FailOn) -> bool:  # type: ignore[no-untyped-def]
    incomplete = bool(result.unreadable) or result.errors_at_to > 0
    return bool(incomplete or result.unapproved or (fail_on is FailOn.any and result.changes))


@app.command()
def log(
    item_id: Annotated[str, typer.Argument(metavar="ID", help="The requirement's id.", callback=checked_argument, autocompletion=complete_requirements)],
    rev: Annotated[Optional[str], typer.Option("--rev", help="Walk history up to this revision (default: HEAD).", show_default=False)] = None,  # noqa: UP007
    root: RootOption = None,
    format: FormatOption = TextOrJson.text,
    whitespace: WhitespaceOption = Whitespace.collapse,
) -> None:
    """One requirement's life: every commit that changed its meaning, who made it, why, and which baselines hold which version.

    Followed by id across file moves and renames; commits that only reformatted it are left out.
    """
    from reqtrace.changes.history import history_json, requirement_history
    from reqtrace.core.config import find_spec_repo

    output.json_requested = format is TextOrJson.json
    _revision_argument(rev, "--rev")
    repo = find_spec_repo(root)
    history = requirement_history(repo, item_id, rev or "HEAD", whitespace=whitespace.value)
    if rev is None:
        from reqtrace.core.worktree_state import committed_only_note

        note = committed_only_note(repo, "this log")
        if note is not None:
            output.stderr_console().print(f"[yellow]note:[/] {output.esc(note)}")
    if format is TextOrJson.json:
        output.write_json(history_json(history))
        return
    from reqtrace.cli.diff_render import render_log_text

    render_log_text(history)
