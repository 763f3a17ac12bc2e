"""The campaign's size, checkable: at least 1,000 hostile inputs, in every family."""

from __future__ import annotations

from collections import Counter

import pytest

from . import (
    test_hostile_cache,
    test_hostile_cli,
    test_hostile_ingest,
    test_hostile_pack,
    test_hostile_process,
    test_hostile_repo,
    test_hostile_yaml,
)

pytestmark = pytest.mark.hostile

MINIMUM = 1000


def all_inputs() -> list[str]:
    """The id of every hostile input the suite replays (one id per parametrized case)."""
    ids = [case.id for case in test_hostile_yaml.STRUCTURAL + test_hostile_yaml.FIELDS]
    ids += [case.id for case in test_hostile_cli.REVISION_CASES + test_hostile_cli.CLI_CASES + test_hostile_cli.OUTPUT_CASES]
    ids += [case.id for case in test_hostile_repo.SHAPE_CASES]
    ids += [f"repo-shape:redos:{pattern}" for pattern in test_hostile_repo.REDOS] + ["repo-shape:fifo-requirement"]
    ids += [f"repo-shape:shallow-clone:{n}" for n in range(4)]
    ids += [case.id for case in test_hostile_ingest.EMAIL_CASES]
    ids += [spec.id for spec in test_hostile_pack.SPECS] + ["pack-not-a-zip:fifo"]
    ids += [spec[0] for spec in test_hostile_cache.SPECS]
    ids += [case.id for case in test_hostile_process.PROCESS_CASES]
    ids += [f"process:triage-stdin:{name}" for name in test_hostile_process.STDIN_CASES]
    ids += [f"process:argv-bytes:{name}" for name in test_hostile_process.ARGV_BYTES]
    return ids


def test_at_least_a_thousand_hostile_inputs() -> None:
    ids = all_inputs()
    assert len(ids) == len(set(ids)), [name for name, count in Counter(ids).items() if count > 1]
    families = Counter(name.split(":", 1)[0] for name in ids)
    print(f"\n{len(ids)} hostile inputs: " + ", ".join(f"{family} {count}" for family, count in sorted(families.items())))
    assert len(ids) >= MINIMUM, families
    groups = Counter()
    for family, count in families.items():
        groups[family.split("-")[0]] += count  # pack-bytes, pack-member... are one family: packs
    assert all(count >= 15 for count in groups.values()), groups
