"""`reqtrace review`: stamp parent links as reviewed, so that suspect links clear."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Annotated, Any, Optional

import typer

from reqtrace.cli import app, output
from reqtrace.cli.options import FormatOption, RootOption, TextOrJson, checked_argument


@app.command()
def review(
    item_id: Annotated[Optional[str], typer.Argument(metavar="[ID]", help="The requirement whose parent links were reviewed (with --wording-only: the parent whose children are re-stamped).", callback=checked_argument, show_default=False)] = None,  # noqa: UP007
    wording_only: Annotated[bool, typer.Option("--wording-only", help="ID is a parent whose change was wording only: show the change, then re-stamp its suspect children.")] = False,
    all_links: Annotated[bool, typer.Option("--all", help="Stamp every parent link of the spec repo (start tracking reviews).")] = False,
    root: RootOption = None,
    format: FormatOption = TextOrJson.text,
) -> None:
    """Record that a requirement still holds against its parents: clears its suspect links.

    Each link gets the parent's digest as it is now (`reviewed:` in the child's
    file, comments and layout kept). `check`, `trace`, `impact` and `diff` report
    a link as suspect when the parent changes after that.
    """
    from reqtrace.changes.history import requirement_history
    from reqtrace.changes.review import (
        apply_review,
        plan_review,
        plan_review_all,
        plan_wording_only,
    )
    from reqtrace.cli.spec_cmds import load
    from reqtrace.errors import UsageError

    output.json_requested = format is TextOrJson.json
    if all_links == (item_id is not None):
        raise UsageError("name one requirement ID, or use --all", hint="reqtrace review REQ-2 · reqtrace review REQ-1 --wording-only · reqtrace review --all")
    if all_links and wording_only:
        raise UsageError("--wording-only needs the ID of the parent whose wording changed")
    repo, snapshot = load(root, None)
    if all_links:
        plan = plan_review_all(snapshot)
    elif wording_only:
        assert item_id is not None
        versions: dict[str, Any] = {}
        if repo.git_top is not None and item_id in snapshot.requirements:
            for entry in requirement_history(repo, item_id, links=False).entries:
                if entry.version is not None and entry.digest is not None:
                    versions[entry.digest] = entry.version
        plan = plan_wording_only(snapshot, item_id, versions)
    else:
        assert item_id is not None
        plan = plan_review(snapshot, item_id)
    apply_review(repo, snapshot, plan)
    if format is TextOrJson.json:
        output.write_json(
            {
                "target": plan.target or None,
                "wording_only": plan.wording_only,
                "stamps": [stamp.as_dict() for stamp in plan.stamps],
                "written": plan.written,
            }
        )
        return
    _render(plan)


def _render(plan: Any) -> None:
    from reqtrace.cli.diff_render import _field_lines

    console = output.stdout_console()
    plain = console.color_system is None
    esc = output.esc
    for changes in plan.changes.values():
        console.print(f"[bold]{esc(plan.target)}[/] changed since its children were reviewed (wording only):")
        for line in _field_lines(SimpleNamespace(fields=changes), plain):
            console.print(line)
    if not plan.stamps:
        console.print("nothing to stamp: every link named is reviewed against its parent as it is now")
        return
    for stamp in plan.stamps:
        was = "was never reviewed" if stamp.before is None else "was suspect"
        console.print(f"[green]✓[/] {esc(stamp.child)} → {esc(stamp.parent)} reviewed [dim]({was})[/]")
    console.print(f"{output.counted(len(plan.stamps), 'link')} stamped in {output.counted(len(plan.written), 'file')}; commit them with the change they review")
