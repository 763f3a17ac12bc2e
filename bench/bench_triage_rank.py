"""Could a learned second pass rank the first match better? Measures a rerank fitted across domains.

    python bench/bench_triage_rank.py            # held-out top-1 of the learned rerank against the shipped one
    python bench/bench_triage_rank.py --weights  # also the weights fitted on every set

The shipped matching (triage/index.py) ranks by BM25, then the 20 best again by
BM25 x (1 + the share of the title the request says), and a requirement the
request names by id gains 6 points. Here the same 20 candidates are ranked by a
linear score of four general features (the candidate's BM25 over the best
one's, ln(1 + BM25), the title share, named by id) whose weights are fitted
listwise (a softmax over each request's candidates, every domain weighing the
same) on every other set: leave-one-domain-out, and leave-one-source-out for
the real sources, as bench_triage_about.py's top-1 counts it (the first match
is one the label's `about` names). Nothing here is shipped; it tells whether a
fitted rerank is worth building (docs/triage.md 6).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from triage_data import training_domains  # noqa: E402

from reqtrace.triage.classify import NAMED_BOOST  # noqa: E402
from reqtrace.triage.index import RERANK_DEPTH, request_query  # noqa: E402
from reqtrace.triage.prepare import prepare  # noqa: E402

FEATURES = ("BM25 / best BM25", "ln(1 + BM25)", "title share", "named by id")
L2 = 0.001
STEPS = 300
RATE = 0.5


def candidates(domain) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per labelled request about something: its candidates' features, whether each is one it is
    about, and the shipped score (the order triage shows)."""
    found = []
    index = domain.index
    for item in domain.items:
        about = item.get("about")
        if not about:
            continue
        prepared = prepare(item["text"])
        _, query = request_query(prepared)
        # search returns the RERANK_DEPTH best by BM25, each times (1 + title share): divided back, BM25.
        hits = index.search(query, limit=RERANK_DEPTH)
        named = {*(item.get("refs") or ()), *prepared.refs}
        rows, labels, shipped = [], [], []
        best = 0.0
        for position, score, _ in hits:
            share = index.title_coverage(position, query)
            bm25 = score / (1.0 + share)
            best = max(best, bm25)
            rows.append([bm25, math.log1p(bm25), share, float(index.ids[position] in named)])
            labels.append(float(index.ids[position] in about))
            shipped.append(score + (NAMED_BOOST if index.ids[position] in named else 0.0))
        if not rows:
            labels, rows, shipped = [0.0], [[0.0, 0.0, 0.0, 0.0]], [0.0]
        features = np.array(rows)
        features[:, 0] /= best or 1.0
        found.append((features, np.array(labels), np.array(shipped)))
    return found


def fit(sets: list[list[tuple[np.ndarray, np.ndarray, np.ndarray]]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Listwise softmax weights (standardised features), every set weighing the same."""
    lists = [(x, y / y.sum(), 1.0 / len(chosen)) for chosen in sets for x, y, _ in chosen if y.sum() > 0]
    stacked = np.vstack([x for x, _, _ in lists])
    mean, scale = stacked.mean(0), stacked.std(0) + 1e-9
    # Padded to one array: requests x candidates x features, with a mask for the missing candidates.
    width = max(len(x) for x, _, _ in lists)
    features = np.zeros((len(lists), width, stacked.shape[1]))
    targets = np.zeros((len(lists), width))
    present = np.zeros((len(lists), width), dtype=bool)
    for row, (x, target, _) in enumerate(lists):
        features[row, : len(x)] = (x - mean) / scale
        targets[row, : len(x)] = target
        present[row, : len(x)] = True
    request_weights = np.array([w for _, _, w in lists])
    request_weights /= request_weights.sum()
    weights = np.zeros(stacked.shape[1])
    for _ in range(STEPS):
        z = np.where(present, features @ weights, -np.inf)
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        gradient = L2 * weights + np.einsum("r,rc,rcf->f", request_weights, p - targets, features)
        weights -= RATE * gradient
    return weights, mean, scale


def top1(chosen, weights: np.ndarray | None, mean=None, scale=None) -> float:
    right = 0.0
    for x, y, shipped in chosen:
        order = shipped if weights is None else (x - mean) / scale @ weights
        right += y[int(np.argmax(order))]
    return right / max(1, len(chosen))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", action="store_true", help="also print the weights fitted on every set")
    args = parser.parse_args()
    started = time.process_time()
    domains = training_domains()
    sets = {d.name: candidates(d) for d in domains}
    rows = []
    for domain in domains:
        weights, mean, scale = fit([found for name, found in sets.items() if name != domain.name])
        rows.append((domain, top1(sets[domain.name], None), top1(sets[domain.name], weights, mean, scale)))
    print(f"{'set':<30}{'about':>6}{'shipped':>9}{'learned':>9}")
    for domain, shipped, learned in rows:
        print(f"{('real/' if domain.real else '') + domain.name:<30}{len(sets[domain.name]):>6}{shipped:>9.3f}{learned:>9.3f}")
    for label, real in (("invented", False), ("real", True)):
        chosen = [(s, learned) for d, s, learned in rows if d.real == real]
        if chosen:
            print(f"{label}: mean top-1 shipped {sum(s for s, _ in chosen) / len(chosen):.3f}, "
                  f"learned (held out) {sum(v for _, v in chosen) / len(chosen):.3f}")
    if args.weights:
        weights, _, scale = fit(list(sets.values()))
        print("weights on every set (per unit of each feature): "
              + ", ".join(f"{name} {w:.2f}" for name, w in zip(FEATURES, weights / scale, strict=True)))
    print(f"({time.process_time() - started:.1f} s of CPU)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
