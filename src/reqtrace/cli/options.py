"""Options that many commands share, declared once."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

RootOption = Annotated[
    Optional[Path],  # noqa: UP007 - typer needs Optional on 3.11
    typer.Option("--root", help="The spec repo's folder (default: the first folder with a reqtrace.yaml, walking up).", show_default=False),
]
# Arguments from argv are hostile text too. Rule for every id, name and request
# argument: not empty, at most MAX_ARGUMENT_CHARS, no control characters, and
# valid UTF-8 (Python hands non-UTF-8 argv bytes over as lone surrogates, which
# no id holds and no UTF-8 output can print) -- else a usage error (exit 2).
MAX_ARGUMENT_CHARS = 1024


def argument_problem(value: str) -> str | None:
    """Why `value` cannot be an id/name argument, or None when it can."""
    if not value.strip():
        return "must not be empty"
    if len(value) > MAX_ARGUMENT_CHARS:
        return f"is {len(value)} characters long; at most {MAX_ARGUMENT_CHARS}"
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        return "is not UTF-8 text (the terminal passed other bytes)"
    if any(ch < " " or "\x7f" <= ch <= "\x9f" for ch in value):
        return "holds control characters"
    return None


def checked_argument(value: str | list[str] | None) -> str | list[str] | None:
    """typer callback: refuse an unusable argument (see argument_problem) as a usage error."""
    for one in [value] if isinstance(value, str) else value or []:
        problem = argument_problem(one)
        if problem:
            # ascii(): escapes surrogates and control characters, so the message itself prints.
            raise typer.BadParameter(f"{ascii(one[:40])}{'…' if len(one) > 40 else ''} {problem}")
    return value


def non_empty_path(value: str | None) -> str | None:
    """typer callback for a path option typed `str`: an empty path is a usage error.

    typer turns "" into Path("."), the current folder, so `--html-dir ""` (an unset
    shell variable) would write there; such options take text and convert after this.
    """
    if value is not None and not value.strip():
        raise typer.BadParameter("is empty; name a folder, e.g. report/")
    return value


# Shell completion (`reqtrace --install-completion`): names from the spec repo's file
# names (reqtrace.cli.completion), filtered by what was typed so far.


def _repo_names(ctx: typer.Context):  # type: ignore[no-untyped-def]
    from reqtrace.cli.completion import repo_names

    root = ctx.params.get("root") if ctx is not None else None
    return repo_names(Path(root) if root else None)


def _matching(pairs: list[tuple[str, str]], incomplete: str) -> list[tuple[str, str]]:
    return [(name, what) for name, what in pairs if name.startswith(incomplete)]


def complete_items(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    names = _repo_names(ctx)
    pairs = [(rid, "requirement") for rid in names.requirements]
    pairs += [(rid, kind.rstrip("s")) for kind, ids in names.records.items() for rid in ids]
    return _matching(pairs, incomplete)


def complete_requirements(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    return _matching([(rid, "requirement") for rid in _repo_names(ctx).requirements], incomplete)


def complete_requests(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    return _matching([(rid, "request") for rid in _repo_names(ctx).records.get("requests", [])], incomplete)


def complete_baselines(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    return _matching([(name, "baseline") for name in _repo_names(ctx).baselines], incomplete)


def complete_revisions(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    return complete_baselines(ctx, incomplete) + _matching([("WORKTREE", "the working tree")], incomplete)


ItemIdArgument = Annotated[str, typer.Argument(metavar="ID", help="A requirement or record id.", callback=checked_argument, autocompletion=complete_items)]
RevOption = Annotated[
    Optional[str],  # noqa: UP007
    typer.Option("--rev", help="Read at this revision: a baseline name, tag, branch or commit id (default: the working tree).", show_default=False, autocompletion=complete_baselines),
]

BaselineOption = Annotated[
    Optional[str],  # noqa: UP007
    typer.Option("--baseline", metavar="NAME", help="Read the requirements as this baseline froze them (a baseline name; instead of --rev).", show_default=False, callback=checked_argument, autocompletion=complete_baselines),
]


class TextOrJson(str, Enum):
    text = "text"
    json = "json"


FormatOption = Annotated[TextOrJson, typer.Option("--format", "-f", help="Output for people (text) or machines (json).")]
