"""The commands that read a whole spec repo (check, status, trace, impact) run with the cyclic
collector off (`list` and `show` only while loading): at 100,000 requirements its passes over millions of parsed objects, none of
them garbage, cost 1.5-2.6 s of CPU (docs/performance.md, "100,000: what grew faster than
the repo"). conftest's `collector_back_on` turns it on again after each test."""

from __future__ import annotations

import gc
import json

from conftest import requirement_yaml


def test_whole_repo_commands_leave_the_collector_off_and_still_answer(make_repo, run_in_process):
    repo = make_repo({
        "specs/REQ-1.yaml": requirement_yaml("REQ-1"),
        "specs/REQ-2.yaml": requirement_yaml("REQ-2", parents=["REQ-1"]),
    })
    for command in (["check"], ["status"], ["trace", "REQ-1"], ["impact", "REQ-1"]):
        gc.enable()
        result = run_in_process(*command, "--format", "json", cwd=repo.root)
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)
        assert not gc.isenabled(), command
    checked = json.loads(run_in_process("check", "--format", "json", cwd=repo.root).stdout)
    assert checked["summary"]["requirements"] == 2 and checked["ok"]


def test_loading_keeps_the_collector_off_until_the_snapshot_is_frozen(make_repo, monkeypatch):
    """`list` and `show` keep the collector, but not while loading: the parse pack is
    written (after `load_snapshot` turned it back on) before the snapshot is frozen."""
    from reqtrace.cli import spec_cmds
    from reqtrace.core.parse_cache import PackedParseCache

    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1")})
    seen: list[bool] = []
    flush = PackedParseCache.flush
    monkeypatch.setattr(PackedParseCache, "flush", lambda self: seen.append(gc.isenabled()) or flush(self))
    gc.enable()
    gc.unfreeze()
    _, snapshot = spec_cmds.load(repo.root, None)
    assert list(snapshot.requirements) == ["REQ-1"]
    assert seen and not any(seen)  # off while the pack was written
    assert gc.isenabled() and gc.get_freeze_count() > 0  # on again, the snapshot frozen
