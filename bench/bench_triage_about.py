"""What is a request about? Measures triage's matching alone, against the labelled `about` ids.

    python bench/bench_triage_about.py              # every invented domain and real source
    python bench/bench_triage_about.py --markdown   # the table for docs/triage.md
    python bench/bench_triage_about.py --misses NAME  # one set's requests whose first match is not theirs

For every labelled request that names the requirements it is about: is the first
requirement triage shows one of them (top-1), is one of them among the first
three (top-3). For the requests about no requirement (`about: []`): how well
the best match's score tells them from the requests about something, as the
area under the ROC curve (AUC: 0.5 is chance, 1.0 every request about
something scores above every request about none), within each set and pooled
over all sets (pooled, a score must mean the same in every baseline). Nothing
is fitted: the matching is the shipped one, the same for every set.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from triage_data import training_domains  # noqa: E402

from reqtrace.triage import weigh  # noqa: E402


def auc(positive: list[float], negative: list[float]) -> float:
    """The chance that a request about something scores above one about none (ties count half)."""
    if not positive or not negative:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in positive for n in negative)
    return wins / (len(positive) * len(negative))


def measure(domain, misses: bool) -> dict:
    top1 = top3 = 0
    scores: tuple[list[float], list[float]] = ([], [])  # the best match's relevance: about something, about none
    for item in domain.items:
        about = item.get("about")
        if about is None:
            continue
        weighed = weigh(item["text"], domain.index, item.get("refs") or ())
        ids = [m.id for m in weighed.matches]
        best = weighed.matches[0].score if weighed.matches else 0.0
        scores[0 if about else 1].append(best)
        if not about:
            continue
        top1 += bool(ids[:1] and ids[0] in about)
        top3 += bool(set(ids[:3]) & set(about))
        if misses and not (ids[:1] and ids[0] in about):
            print(f"  {item['id']} about {', '.join(about)}; first {', '.join(ids[:3]) or 'none'}: {' '.join(item['text'].split())[:100]}")
    about_some = len(scores[0])
    return {"n": about_some, "top1": top1 / max(1, about_some), "top3": top3 / max(1, about_some),
            "none": len(scores[1]), "auc": auc(*scores), "scores": scores}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--misses", metavar="NAME")
    args = parser.parse_args()
    started = time.process_time()
    rows = [(d, measure(d, args.misses == d.name)) for d in training_domains() if not args.misses or d.name == args.misses]
    lines = ["| set | about something | top-1 | top-3 | about none | AUC |", "| --- | --- | --- | --- | --- | --- |"] if args.markdown else [
        f"{'set':<22}{'about':>6}{'top-1':>7}{'top-3':>7}{'none':>6}{'AUC':>7}"]
    for domain, f in rows:
        name = f"real/{domain.name}" if domain.real else domain.name
        auc_text = "–" if f["auc"] != f["auc"] else f"{f['auc']:.2f}"
        lines.append(f"| {name} | {f['n']} | {f['top1']:.2f} | {f['top3']:.2f} | {f['none']} | {auc_text} |" if args.markdown else
                     f"{name:<22}{f['n']:>6}{f['top1']:>7.3f}{f['top3']:>7.3f}{f['none']:>6}{auc_text:>7}")
    for label, real in (("invented", False), ("real", True)):
        chosen = [f for d, f in rows if d.real == real]
        if not chosen:
            continue
        within = [f["auc"] for f in chosen if f["auc"] == f["auc"]]
        pooled = auc([s for f in chosen for s in f["scores"][0]], [s for f in chosen for s in f["scores"][1]])
        lines.append(("\n" if args.markdown else "") +
                     f"{label}: mean top-1 {sum(f['top1'] for f in chosen) / len(chosen):.3f}, top-3 {sum(f['top3'] for f in chosen) / len(chosen):.3f}; "
                     f"about none: mean AUC within a set {sum(within) / max(1, len(within)):.3f}, pooled {pooled:.3f}")
    print("\n".join(lines))
    print(f"({time.process_time() - started:.1f} s of CPU)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
