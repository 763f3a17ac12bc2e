"""Does adapting the signals to each domain's own batch of requests help triage on a domain it never saw?

    python bench/bench_triage_adapt.py                       # every variant, against the plain signals
    python bench/bench_triage_adapt.py --variants centre-about rank-join-all

Unsupervised adaptation, measured leave-one-domain-out like bench/bench_triage.py: each
domain's requests are its batch (as a repo's undecided requests are in `triage`), and a
variant rewrites each request's signals (never its words) from that batch's statistics alone —
no label is read. Training domains are rewritten by their own batches, the held-out domain by
its own, so the model learns on the same scale it is applied on. Variants:

- centre-SET: a signal minus its batch median;
- scale-SET: minus the batch median, divided by the batch's spread (1.4826 MAD, or the standard
  deviation when the MAD is 0, floored);
- rank-SET: a signal replaced by its mid-rank percentile within the batch;
- rank-join-SET / centre-join-SET: the plain signal kept, the percentile / centred value beside it;

where SET is `about` (what depends on the baseline's size and wording: relevance, coverage,
novel share and what is built from them), `form` (length, sentences, statements) or `all`
(every signal that is not a word). weight-TAU instead weighs each training domain by how close
its batch's mean signals are to the held-out batch's (importance weights, exp(-d^2 / TAU)).

The temperature and threshold are the shipped ones (not chosen again per variant).

Measured 2026-12-07 on main c8276a7's data and code (2-core shared VM, loaded; the figures are
not timing), against the plain signals' 0.816 mean / 0.756 worst (restaurant POS) invented
macro-F1, 0.633 real mean accuracy, 7.5% abstains, 0 costly, 95% right of 837 at >= 0.9:
  centre-about  0.815 / 0.752 (build tool) / 0.625, abstains 7.4%, 0 costly, 95.1% of 849
  scale-about   0.808 / 0.763 (newsroom CMS) / 0.615, abstains 7.7%, 0 costly, 95.0% of 838
  rank-join-about 0.812 / 0.743 (restaurant POS) / 0.633, abstains 7.1%, 0 costly, 95.1% of 864
  weight-2      0.823 / 0.760 (door lock) / 0.640, abstains 7.3%, 0 costly, 95.1% of 892
  weight-1      0.821 / 0.759 (logistics TMS) / 0.636, abstains 7.2%, 0 costly, 95.2% of 904
  typical-2     0.814 / 0.759 (logistics TMS) / 0.622, abstains 7.6%, 0 costly, 95.1% of 856
Standardising the signals per batch loses on the real sources; importance weights pass the keep rule
(at TAU 1 and 2: it is the closeness to the target batch that helps — weights by each domain's
typicality alone, which could ship, lose on the real sources), but need a refit for each user's batch (numpy, scipy, minutes), which `triage` cannot do at run time:
none is shipped (docs/triage.md 6).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from bench_triage import figures, held_out_results, reliability  # noqa: E402
from train_triage import WEIGHTS, load_examples  # noqa: E402
from triage_data import training_domains  # noqa: E402

ABOUT = ("relevance", "relevance_second", "accepted_relevance", "proposed_lead", "coverage", "novel_share",
         "sentence_coverage", "ask_sentence_covered", "ask_covered", "ask_uncovered", "report_relevant")
FORM = ("length", "sentences", "statements")


def signal_names(examples: list[dict], which: str) -> list[str]:
    if which == "about":
        return list(ABOUT)
    if which == "form":
        return list(FORM)
    if which == "about+form":
        return [*ABOUT, *FORM]
    return sorted({name for e in examples for name in e["features"] if not name.startswith("t:")})


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def _spread(values: list[float], centre: float) -> float:
    mad = 1.4826 * _median([abs(v - centre) for v in values])
    if mad > 1e-6:
        return mad
    mean = sum(values) / len(values)
    std = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5
    return max(std, 0.05)


def _percentiles(values: list[float]) -> list[float]:
    """Mid-rank percentile of each value within its batch (ties share one)."""
    n = len(values)
    below: dict[float, int] = {}
    equal: dict[float, int] = {}
    for v in values:
        equal[v] = equal.get(v, 0) + 1
    running = 0
    for v in sorted(equal):
        below[v] = running
        running += equal[v]
    return [(below[v] + 0.5 * equal[v]) / n for v in values]


def adapted(examples: list[dict], variant: str) -> list[dict]:
    if variant == "plain":
        return examples
    kind, which = variant.rsplit("-", 1)
    names = signal_names(examples, which)
    by_domain: dict[str, list[int]] = {}
    for i, e in enumerate(examples):
        by_domain.setdefault(e["domain"], []).append(i)
    new_features = [dict(e["features"]) for e in examples]
    for rows in by_domain.values():
        for name in names:
            values = [examples[i]["features"].get(name, 0.0) for i in rows]
            if kind in ("centre", "scale", "centre-join"):
                centre = _median(values)
                spread = _spread(values, centre) if kind == "scale" else 1.0
                out = [(v - centre) / spread for v in values]
                target = "c:" + name if kind == "centre-join" else name
            elif kind in ("rank", "rank-join"):
                out = _percentiles(values)
                target = "r:" + name if kind == "rank-join" else name
            elif kind == "mean":
                centre = sum(values) / len(values)
                out = [v - centre for v in values]
                target = name
            else:
                raise SystemExit(f"unknown variant {variant!r}")
            for i, v in zip(rows, out, strict=True):
                new_features[i][target] = v
    return [{**e, "features": f, "weighed": replace(e["weighed"], features=f)} for e, f in zip(examples, new_features, strict=True)]


def importance(examples: list[dict], tau: float, typical: bool = False) -> None:
    """Weigh each training domain by how close its batch's mean signals are to the held-out batch's
    (exp(-d^2 / tau), d the distance of the means standardised across domains, per signal); the
    weights still sum to 1, as the fit's L2 expects. Patches train_triage's sample weights: the
    held-out domain is the one the fold's examples lack."""
    import math

    import train_triage

    names = signal_names(examples, "all")
    domains = list(dict.fromkeys(e["domain"] for e in examples))
    means = {d: [0.0] * len(names) for d in domains}
    counts = {d: 0 for d in domains}
    for e in examples:
        counts[e["domain"]] += 1
        row = means[e["domain"]]
        for j, name in enumerate(names):
            row[j] += e["features"].get(name, 0.0)
    for d in domains:
        means[d] = [v / counts[d] for v in means[d]]
    spread = []
    for j in range(len(names)):
        column = [means[d][j] for d in domains]
        centre = sum(column) / len(column)
        spread.append(max(1e-6, (sum((v - centre) ** 2 for v in column) / len(column)) ** 0.5))

    def distance(one: str, other: str) -> float:
        return (sum(((a - b) / s) ** 2 for a, b, s in zip(means[one], means[other], spread, strict=True)) / len(names)) ** 0.5

    plain = train_triage._sample_weights

    def weighed(train: list[dict]) -> list[float]:
        base = plain(train)
        present = set(e["domain"] for e in train)
        missing = [d for d in domains if d not in present]
        if len(missing) != 1:
            return base
        if typical:  # no target: each training domain by its mean distance to the other training domains
            factor = {d: math.exp(-(sum(distance(d, o) ** 2 for o in present if o != d) / (len(present) - 1)) / tau) for d in present}
        else:
            factor = {d: math.exp(-distance(d, missing[0]) ** 2 / tau) for d in present}
        out = [w * factor[e["domain"]] for w, e in zip(base, train, strict=True)]
        total = sum(out)
        return [w / total for w in out]

    train_triage._sample_weights = weighed


def summary(examples: list[dict], results: list) -> dict:
    pairs = list(zip(examples, results, strict=True))
    invented = list(dict.fromkeys(e["domain"] for e in examples if not e.get("real")))
    real = list(dict.fromkeys(e["domain"] for e in examples if e.get("real")))

    def of(name: str) -> dict:
        chosen = [(e, r) for e, r in pairs if e["domain"] == name]
        return figures([e for e, _ in chosen], [r for _, r in chosen])

    per = {name: of(name) for name in invented}
    real_per = {name: of(name) for name in real}
    everything = figures(examples, results)
    top = [row for row in reliability(examples, results) if row[0].startswith("0.9")][0]
    worst = min(per, key=lambda n: per[n]["macro"])
    return {"mean": sum(f["macro"] for f in per.values()) / len(per), "worst": per[worst]["macro"], "worst_name": worst,
            "real": sum(f["accuracy"] for f in real_per.values()) / max(1, len(real_per)),
            "abstain": everything["abstain"], "costly": everything["costly"], "top_n": top[1], "top_right": top[2],
            "per": {n: round(f["macro"], 3) for n, f in per.items()}, "real_per": {n: round(f["accuracy"], 3) for n, f in real_per.items()}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", nargs="*", default=["plain", "centre-about", "scale-about", "rank-join-about", "scale-all", "rank-join-all"])
    parser.add_argument("--json", metavar="FILE", help="append each variant's figures to FILE (one JSON a line)")
    args = parser.parse_args()
    started = time.perf_counter()
    choice = json.loads(WEIGHTS.read_text(encoding="utf-8"))["trained"]["choice"]
    domains = training_domains()
    real = {d.name for d in domains if d.real}
    examples = [{**e, "real": e["domain"] in real} for e in load_examples(domains)]
    print(f"{len(examples)} requests from {len(domains)} domains ({time.perf_counter() - started:.0f} s)", flush=True)
    for variant in args.variants:
        if variant.startswith(("weight-", "typical-")):
            importance(examples, float(variant.split("-", 1)[1]), variant.startswith("typical-"))
            chosen = examples
        else:
            chosen = adapted(examples, variant)
        results, _mixes = held_out_results(chosen, choice)
        s = summary(chosen, results)
        print(f"{variant:<22} mean {s['mean']:.3f}  worst {s['worst']:.3f} ({s['worst_name']})  real {s['real']:.3f}  "
              f"abstain {s['abstain']:.1%}  costly {s['costly']}  >=0.9 {s['top_right']:.1%} of {s['top_n']}  "
              f"({time.perf_counter() - started:.0f} s)", flush=True)
        if args.json:
            with open(args.json, "a", encoding="utf-8") as out:
                out.write(json.dumps({"variant": variant, **s}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
