"""Writing triage recommendations and people's decisions into request files.

These are the only commands that edit a file the user wrote, so they do it
the careful way: the file must read cleanly first (else nothing is written),
only the `triage:` or `decision:` block is replaced (yamlio's round-trip
editor keeps every other byte), the result is read back and checked before it
replaces the file, and the write is atomic — and refused if someone saved the
file between our read and our replace (their edit wins; `files.atomic_write`
with `replaces`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reqtrace import __version__
from reqtrace.core.config import SpecRepo
from reqtrace.core.model import ERROR, Config, Request
from reqtrace.core.parse import MOMENT_FIELD, OLD_FIELD_NAMES, parse_request
from reqtrace.errors import InputError, UsageError
from reqtrace.io import gitio
from reqtrace.io.files import atomic_write, inside
from reqtrace.io.yamlio import YamlProblem, rename_nested_keys, set_top_level_block
from reqtrace.triage import CLASSES, NEEDS_REVIEW, TriageResult

DECISION_CLASSES = tuple(c for c in CLASSES if c != NEEDS_REVIEW)
DECISION_STATUSES = ("approved", "rejected", "pending")


def _moment_value(on: str | dt.date) -> str | dt.date:
    """A date alone is written as YAML writes a date (unquoted, as people type it); a time
    with its offset as quoted text, which every YAML reader reads the same."""
    if isinstance(on, str) and len(on) == 10:
        try:
            return dt.date.fromisoformat(on)
        except ValueError:
            return on
    return on


@dataclass(frozen=True)
class Written:
    path: Path
    changed: bool


def _read_clean(repo: SpecRepo, request: Request, config: Config) -> tuple[Path, bytes, str]:
    """The request file's bytes and text, refusing a file that does not read cleanly now."""
    path = inside(repo.root, request.path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {request.path}: {exc.strerror}") from None
    parsed = parse_request(request.path, data, config)
    errors = [f for f in parsed.findings if f.severity == ERROR]
    if errors:
        first = errors[0]
        raise InputError(
            f"{request.path}:{first.line or 1}: {first.message}",
            hint="fix the file first (`reqtrace check`); nothing was written",
        )
    return path, data, data.decode("utf-8-sig") if data.startswith(b"\xef\xbb\xbf") else data.decode("utf-8")


def _replace_block(repo: SpecRepo, request: Request, config: Config, key: str, block: dict[str, Any],
                   *, insert_before: tuple[str, ...] = (), flow_lists: tuple[str, ...] = ()) -> Written:
    path, old_data, text = _read_clean(repo, request, config)
    had_bom = old_data.startswith(b"\xef\xbb\xbf")
    try:
        new_text = set_top_level_block(text, key, block, insert_before=insert_before, flow_lists=flow_lists)
    except YamlProblem as problem:
        raise InputError(f"{request.path}:{problem.line or 1}: {problem.message}", hint="nothing was written") from None
    data = (b"\xef\xbb\xbf" if had_bom else b"") + new_text.encode("utf-8")
    # Read the result back as `check` would: the edit must leave a valid request with the same id.
    parsed = parse_request(request.path, data, config)
    errors = [f for f in parsed.findings if f.severity == ERROR]
    if errors or not parsed.items or parsed.items[0].id != request.id:
        detail = errors[0].message if errors else "the request could not be read back"
        raise InputError(f"{request.path}: writing the {key} block would break the file ({detail}); nothing was written")
    if new_text == text:
        return Written(path, False)
    if repo.git_top is not None:
        gitio.exclude_temp_files(repo.git_top)
    atomic_write(path, data, replaces=old_data)
    return Written(path, True)


def write_triage(repo: SpecRepo, request: Request, config: Config, result: TriageResult, baseline: str,
                 on: str | dt.date) -> Written:
    """Store the recommendation in the request's `triage:` block; `on` is when, best a full
    timestamp with offset (clock.timestamp), so timelines can order it among commits."""
    block: dict[str, Any] = {
        "classification": result.classification,
        "confidence": round(result.confidence, 2),
        "diverges": result.diverges,
        "baseline": baseline,
        "matches": [m.id for m in result.matches[:3]],
        "reasons": list(result.reasons),
        "by": f"reqtrace {__version__}",
        MOMENT_FIELD: _moment_value(on),
    }
    if not block["matches"]:
        del block["matches"]
    return _replace_block(repo, request, config, "triage", block, insert_before=("decision",), flow_lists=("matches",))


def write_decision(
    repo: SpecRepo,
    request: Request,
    config: Config,
    *,
    as_: str,
    status: str,
    by: str,
    on: str | dt.date,
    in_: str | None,
    note: str | None,
    known_records: dict[str, str],
) -> Written:
    """Record a person's decision in the request's `decision:` block.

    `known_records` maps the ids of meetings and emails to their kind; `in_`
    must be one of them.
    """
    if as_ not in DECISION_CLASSES:
        raise UsageError(f"--as must be one of {', '.join(DECISION_CLASSES)} (got '{as_}')")
    if status not in DECISION_STATUSES:
        raise UsageError(f"--status must be one of {', '.join(DECISION_STATUSES)} (got '{status}')")
    if not by.strip():
        raise UsageError("--by must name the person who decided")
    if in_ is not None and in_ not in known_records:
        raise InputError(
            f"--in {in_}: no meeting or email with that id in {repo.root}",
            hint="name the meeting (MTG-…) or email (MAIL-…) where it was decided; "
            "`reqtrace list --kind meeting` lists them; nothing was written",
        )
    block: dict[str, Any] = {"as": as_, "status": status, "by": by.strip(), MOMENT_FIELD: _moment_value(on)}
    if in_ is not None:
        block["in"] = in_
    if note:
        block["note"] = note
    return _replace_block(repo, request, config, "decision", block)


def rename_old_fields(repo: SpecRepo, paths: list[str]) -> list[Written]:
    """Rename the old field names (`on:` of a triage or decision) in these request files.

    Only the key changes: comments, quoting and layout stay as they were. Each
    file is read back before it replaces the old one (yamlio.rename_nested_keys),
    and the write is refused if the file changed meanwhile.
    """
    written = []
    for relative in paths:
        path = inside(repo.root, relative)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {relative}: {exc.strerror}") from None
        had_bom = data.startswith(b"\xef\xbb\xbf")
        try:
            text = data.decode("utf-8-sig")
            new_text = rename_nested_keys(text, OLD_FIELD_NAMES)
        except (UnicodeDecodeError, YamlProblem) as problem:
            line = getattr(problem, "line", None) or 1
            raise InputError(f"{relative}:{line}: {getattr(problem, 'message', problem)}", hint="fix the file first (`reqtrace check`); nothing was written to it") from None
        if new_text is None:
            written.append(Written(path, False))
            continue
        if repo.git_top is not None:
            gitio.exclude_temp_files(repo.git_top)
        atomic_write(path, (b"\xef\xbb\xbf" if had_bom else b"") + new_text.encode("utf-8"), replaces=data)
        written.append(Written(path, True))
    return written
