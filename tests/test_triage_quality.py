"""The triage benchmark's data is what docs/triage.md says it is. That the shipped model makes
no costly mistake on it is checked in tests/test_triage_model.py, which weighs every request
once for that and for the refit. The figures themselves (leave-one-domain-out, the real
sources) come from bench/bench_triage.py and are recorded in docs/triage.md."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from triage_data import FOUR, invented_domains  # noqa: E402


def test_the_benchmark_has_ten_domains_of_its_own_baseline_and_balanced_requests():
    domains = [d for d in invented_domains() if d.name != "worked-example"]
    assert len(domains) >= 10
    for domain in domains:
        assert len(domain.index) >= 15, domain.name
        items = domain.items
        assert len(items) >= 40, domain.name
        counts = {label: sum(i["label"] == label for i in items) for label in FOUR}
        assert min(counts.values()) * 8 >= len(items), (domain.name, counts)  # every class well present
        assert sum(i.get("lang") in ("zh", "mixed") for i in items) * 3 >= len(items), domain.name
    ids = [i["id"] for d in invented_domains() for i in d.items]
    assert len(set(ids)) == len(ids)
