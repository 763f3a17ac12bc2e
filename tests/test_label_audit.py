"""bench/label_audit.py: the blind sample is reproducible, hides the labels, and kappa is right."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(scope="module")
def audit():
    spec = importlib.util.spec_from_file_location("label_audit", BENCH / "label_audit.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_second_labels_cover_exactly_the_drawn_sample(audit) -> None:
    # A changed seed, set or item order would silently compare other items than those labelled.
    # Sets added to the benchmark after the audit are left out until their second labels exist.
    committed = audit.load_yaml((BENCH / "label_audit.yaml").read_text(encoding="utf-8"))["items"]
    drawn = audit.drawn_keys(committed)
    assert [(audit.round_of(mine), mine["set"], mine["id"]) for mine in committed] == drawn
    first_round = [key for key in drawn if key[0] == 1]
    assert len(audit.audited_sets(committed)) == 31 and len(first_round) == 6 * 31
    assert len(audit.audited_sets(committed, 2)) == 10 and len(drawn) == 6 * 31 + 6 * 10
    assert {mine["label"] for mine in committed} <= set(audit.CLASSES)


def test_the_second_round_draws_other_items_of_the_real_sources_only(audit) -> None:
    # Two rounds that shared an item would count it twice; a round-2 draw that moved round 1
    # would silently pair committed labels with other items.
    first = {(name, item["id"]) for name, item in audit.draw_sample(1)}
    second = [(name, item["id"]) for name, item in audit.draw_sample(2)]
    real = [name for name, _ in audit.benchmark_sets() if name.startswith("real/")]
    assert sorted({name for name, _ in second}) == real and len(second) == 6 * len(real)
    assert not first & set(second) and len(set(second)) == len(second)
    # ros2_medkit holds 12 items: the two rounds take all of them.
    assert audit.drawn_indices("real/ros2_medkit", 12, 1) | audit.drawn_indices(
        "real/ros2_medkit", 12, 2
    ) == set(range(12))


def test_the_blind_sample_holds_no_label_reason_about_or_style(audit, capsys) -> None:
    audit.print_sample()
    shown = audit.load_yaml(capsys.readouterr().out)
    assert len(shown) == 6 * len(audit.benchmark_sets())
    assert all(set(entry) <= {"set", "baseline", "id", "lang", "url", "text"} for entry in shown)
    audit.print_sample(2)
    shown = audit.load_yaml(capsys.readouterr().out)
    assert all(entry["round"] == 2 for entry in shown)
    allowed = {"set", "baseline", "round", "id", "lang", "url", "text"}
    assert all(set(entry) <= allowed for entry in shown)


def test_cohen_kappa_discounts_the_agreement_expected_by_chance(audit) -> None:
    # Observed 3/4; chance (2*1 + 2*3) / 16 = 1/2; kappa (0.75 - 0.5) / (1 - 0.5) = 0.5.
    pairs = [("a", "a"), ("a", "b"), ("b", "b"), ("b", "b")]
    assert audit.cohen_kappa(pairs) == pytest.approx(0.5)
    assert audit.cohen_kappa([("a", "a"), ("b", "b")]) == pytest.approx(1.0)
    assert audit.wilson_interval(6, 6)[0] == pytest.approx(0.61, abs=0.01)
