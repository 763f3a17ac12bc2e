"""What `reqtrace diff`'s answer is kept under (changes/kept_diff.py keeps it), and its
JSON answer kept as `diff --format json` writes it.

Apart from the diff's machinery: a warm `diff --format json` names its inputs, finds the
JSON it wrote for them and writes it again, without importing the comparison (a fifth of
its start-up).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from reqtrace.changes.sides import resolve_sides
from reqtrace.core import cachestore
from reqtrace.core.config import CONFIG_FILE, SpecRepo, parse_config
from reqtrace.core.model import Config
from reqtrace.core.snapshot import WORKTREE
from reqtrace.core.worktree_state import SpecState, current_state
from reqtrace.io import clock

FORMAT = 1  # of kept_diff's encoding; in the content id
JSON_KIND = "diff-json"  # the same answer as `diff --format json` writes it, under the same content id


def _content_id(repo: SpecRepo, from_rev: str | None, to_rev: str, whitespace: str) -> tuple[str | None, SpecState | None, Config | None]:
    """What the answer is computed from, as text (the module's docstring), None when it
    cannot be named (outside git, no commit yet, very many uncommitted files); and, when
    the working tree was read, its state and configuration."""
    assert repo.git_top is not None
    ends: list[Any] = []
    for rev in (from_rev, to_rev):
        if rev is None or rev == WORKTREE:
            ends.append(rev)
        else:
            ((side, _config),) = resolve_sides(repo, [(rev, rev)])
            ends.append(["commit", side.commit, rev])
    state = config = None
    if from_rev is None or WORKTREE in (from_rev, to_rev):
        try:
            config, _ = parse_config((repo.root / CONFIG_FILE).read_bytes())
        except OSError:
            return None, None, None
        state = current_state(repo, config, None)
        if state is None:
            return None, None, None
    plain_state = list(state.plain()) if state is not None else None
    return json.dumps([FORMAT, str(repo.root), repo.prefix, ends, plain_state, whitespace, clock.today().isoformat()], sort_keys=True), state, config


@dataclass(frozen=True)
class DiffKey:
    """What a diff's answer is kept under (`content`: None when nothing may be kept), with the
    working tree's state and configuration when they were read to name it."""

    content: str | None
    state: SpecState | None = None
    config: Config | None = None


def diff_key(repo: SpecRepo, from_rev: str | None, to_rev: str, whitespace: str) -> DiffKey:
    """The key of the diff from `from_rev` to `to_rev`: asked once per command, for the
    result and for its JSON answer."""
    if repo.git_top is None or not cachestore.answers_kept():
        return DiffKey(None)
    return DiffKey(*_content_id(repo, from_rev, to_rev, whitespace))


def kept_json(repo: SpecRepo, key: DiffKey) -> str | None:
    """The JSON answer (`output.json_body` of `diff_json`) kept under `key`, or None. A warm
    `diff --format json` writes it as it is: no result decoded, nothing indented again."""
    if key.content is None:
        return None
    raw = cachestore.load_bytes(repo.git_top, JSON_KIND, key.content)
    if raw is None:
        return None
    try:
        body = raw.decode("utf-8")
        answer = json.loads(body)
    except ValueError:
        return None
    # What json_body makes of diff_json: an indented object of the diff's own keys.
    if not (body.startswith('{\n  "') and body.endswith("\n}") and isinstance(answer, dict) and _JSON_KEYS <= answer.keys()) or answer.keys() & {"schema_version", "ok"}:
        return None
    return body


def keep_json(repo: SpecRepo, key: DiffKey, body: str) -> None:
    if key.content is not None:
        cachestore.store_bytes(repo.git_top, JSON_KIND, key.content, body.encode("utf-8"))


_JSON_KEYS = frozenset({"from", "to", "summary", "changes"})
