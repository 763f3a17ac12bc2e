"""The pack holds the one baseline type, baseline.Baseline, itself (issue #15): what it
says about the baseline is what `baseline` commands read, and a plain revision is a
baseline that froze that commit and that no one signed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pack_kit import build_repo
from reqtrace.baselines.baseline import load_baseline
from reqtrace.core.config import find_spec_repo
from reqtrace.io.archive import DeterministicZip
from reqtrace.pack.build import gather_pack, lay_out


def test_the_pack_shows_the_baseline_that_baseline_commands_read(make_repo, tmp_path: Path) -> None:
    built = build_repo(make_repo, tmp_path)
    spec = find_spec_repo(built.repo.root)
    signed = load_baseline(spec, "v1")

    packed = gather_pack(spec, "v1").baseline
    assert packed.baseline == signed
    assert sorted((p.signoff for p in packed.signoffs), key=lambda s: s.id) == sorted(signed.signoffs, key=lambda s: s.id)
    assert [p.status for p in sorted(packed.signoffs, key=lambda p: p.signoff.time)] == ["valid", "recorded"]
    assert packed.digests == signed.digests() and packed.problems == []

    # A plain revision at the same commit: the same digests, frozen, and no one signed it.
    plain = gather_pack(spec, built.baseline_commit)
    assert plain.baseline.baseline.signoffs == () and plain.baseline.manifest is None
    assert plain.baseline.digests == signed.digests()
    assert plain.baseline.baseline.root_digest == signed.root_digest == built.root
    assert any("plain revision" in problem for problem in plain.baseline.problems)
    _, pack = lay_out(plain, DeterministicZip(dt.datetime(2026, 1, 1, tzinfo=dt.UTC)))
    assert pack["baseline"]["root_digest"] == built.root and pack["baseline"]["manifest"] is None
    assert pack["counts"]["signoffs"] == 0
