"""How much do ten recorded decisions improve triage of a domain's other requests?

    python bench/bench_precedent.py              # per domain and on average, with the shipped constants
    python bench/bench_precedent.py --fit        # fit the constants leave-one-domain-out, and on all domains
    python bench/bench_precedent.py --markdown   # the table for docs/triage.md

For each domain — each folder under tests/data/triage/domains/ (`baseline/**.yaml`,
`requests.yaml` with `items: [{id, label, text, ...}]`), each real issue tracker
under tests/data/triage/real/ (`baseline/`, `issues.yaml`) and the worked example's
(tests/data/triage/*.yaml against tests/data/triage/baseline/) — ten requests
with a class a person can decide (not needs-review) are taken as decided, drawn
with each of several seeds, and every other request of the domain is
classified without and with precedent. Macro-F1 and accuracy are over those
other requests (needs-review counted as a class, as in bench_triage.py),
averaged over the seeds.

`--fit` chooses precedent's two constants (strength, floor; precedent.py) on a
grid: for each domain, the pair with the best mean macro-F1 on all the other
domains is measured on it (leave-one-domain-out, the figure to report); the
pair fitted on every domain is the one to ship in `precedent.FITTED`.
With no domain folder yet, `--groups set` (the default then) treats each of the
worked example's labelled sets, written by different authors, as a group of its own.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from statistics import mean

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from train_triage import COSTLY  # noqa: E402  (bench/ is on the path: the script's own folder)
from triage_data import load_baseline  # noqa: E402

from reqtrace.core.model import Decision, Request  # noqa: E402
from reqtrace.triage import (  # noqa: E402
    CLASSES,
    DEFECT,
    GUARD_CONFIDENCE,
    BaselineIndex,
    TriageResult,
    classify_request,
)
from reqtrace.triage.model import shipped_model  # noqa: E402
from reqtrace.triage.precedent import (  # noqa: E402
    DECIDED_CLASSES,
    FITTED,
    Precedent,
    PrecedentIndex,
    Weighing,
    apply_precedent,
)

DATA = ROOT / "tests" / "data" / "triage"
DOMAINS = DATA / "domains"
REAL = DATA / "real"
DECIDED = 10
SEEDS = (1, 2, 3, 4, 5)
STRENGTHS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0)
FLOORS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)


def domain_folders(domains: Path) -> list[Path]:
    return sorted(p for p in domains.iterdir() if (p / "requests.yaml").is_file()) if domains.is_dir() else []


def load_groups(groups: str, domains: Path = DOMAINS) -> dict[str, tuple[list, list[dict]]]:
    """name -> (baseline requirements, labelled items)."""
    found: dict[str, tuple[list, list[dict]]] = {}
    folders = domain_folders(domains)
    for folder in folders:
        items = yaml.safe_load((folder / "requests.yaml").read_text(encoding="utf-8"))["items"]
        found[folder.name] = (load_baseline(folder / "baseline"), items)
    for folder in sorted(REAL.iterdir()) if REAL.is_dir() else []:  # real issue trackers, each against its own spec
        if (folder / "issues.yaml").is_file():
            items = yaml.safe_load((folder / "issues.yaml").read_text(encoding="utf-8"))["items"]
            found[f"real/{folder.name}"] = (load_baseline(folder / "baseline"), items)
    example = load_baseline(DATA / "baseline")
    sets = sorted(DATA.glob("*.yaml"))
    if groups == "set":
        for path in sets:
            found[f"worked-example/{path.stem}"] = (example, yaml.safe_load(path.read_text(encoding="utf-8"))["items"])
    else:
        found["worked-example"] = (example, [item for path in sets for item in yaml.safe_load(path.read_text(encoding="utf-8"))["items"]])
    return found


def decided_request(item: dict) -> Request:
    return Request(id=str(item["id"]), received="2026-01-01", title="", path="", text=item["text"],
                   decision=Decision(status="approved", as_=item["label"], by="bench", on="2026-01-01"))


class Trial:
    """One domain, one seed: the decided ten, and for each other request its result and nearest precedents."""

    def __init__(self, items: list[dict], results: dict[str, TriageResult], seed: int) -> None:
        decidable = [item for item in items if item["label"] in DECIDED_CLASSES]
        chosen = random.Random(seed).sample(decidable, min(DECIDED, len(decidable)))  # noqa: S311 - a seeded draw, not a secret
        taken = {str(item["id"]) for item in chosen}
        index = PrecedentIndex.build((decided_request(item), f"\n{item['text']}") for item in chosen)
        self.rows: list[tuple[dict, TriageResult, tuple[Precedent, ...]]] = [
            (item, results[str(item["id"])], index.nearest(item["text"]))
            for item in items if str(item["id"]) not in taken
        ]

    def predictions(self, weighing: Weighing | None, threshold: float) -> list[tuple[str, TriageResult]]:
        if weighing is None:
            return [(item["label"], result) for item, result, _ in self.rows]
        return [(item["label"], apply_precedent(result, precedents, abstain_below=threshold, weighing=weighing))
                for item, result, precedents in self.rows]


def score(pairs: Sequence[tuple[str, TriageResult]]) -> tuple[float, float, int]:
    """(macro-F1, accuracy, costly mistakes) as bench_triage.py counts them."""
    f1s = []
    for name in CLASSES:
        tp = sum(1 for truth, result in pairs if truth == name and result.classification == name)
        predicted = sum(1 for _, result in pairs if result.classification == name)
        actual = sum(1 for truth, _ in pairs if truth == name)
        if not actual:
            continue
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    accuracy = sum(1 for truth, result in pairs if truth == result.classification) / len(pairs)
    costly = sum(1 for truth, result in pairs if truth in COSTLY and result.classification == DEFECT and result.confidence >= GUARD_CONFIDENCE)
    return mean(f1s), accuracy, costly


def measure(trials: list[Trial], weighing: Weighing | None, threshold: float) -> tuple[float, float, int]:
    scored = [score(trial.predictions(weighing, threshold)) for trial in trials]
    return mean(s[0] for s in scored), mean(s[1] for s in scored), sum(s[2] for s in scored)


def held_out_models() -> dict[str, dict]:
    """Domain (invented or real) -> the classifier fitted on every other domain, with the
    shipped choice (bench/train_triage.py)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from train_triage import held_out_models as fitted_without
    from train_triage import load_examples

    choice = shipped_model()["trained"]["choice"]
    models = fitted_without(load_examples(), choice["l2"], choice["words_k"], choice.get("tree_share", 0.0),
                             choice.get("word_l2_power", 0.0))
    for model in models.values():
        model["temperature"], model["threshold"] = choice["temperature"], choice["threshold"]
    return models


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fit", action="store_true", help="fit the constants leave-one-domain-out")
    parser.add_argument("--groups", choices=("domain", "set"), help="the worked example as one domain, or each of its sets as one "
                        "(default: domain when tests/data/triage/domains/ has domains, else set)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--domains", type=Path, default=DOMAINS, help="the folder of domain folders (default: %(default)s)")
    args = parser.parse_args()
    started = time.perf_counter()
    groups = load_groups(args.groups or ("domain" if domain_folders(args.domains) else "set"), args.domains)
    threshold = shipped_model()["threshold"]
    held_out = held_out_models() if args.groups != "set" else {}
    trials: dict[str, list[Trial]] = {}
    for name, (requirements, items) in groups.items():
        index = BaselineIndex.build(requirements)
        # A domain the shipped model was trained on is classified by a model fitted without it:
        # "without precedent" must be what a new user's domain gets, not a fit to its own labels.
        model = held_out.get(name.split("/")[0] if name.startswith("worked-example") else name.removeprefix("real/"))
        results = {str(item["id"]): classify_request(item["text"], index=index, request=str(item["id"]), model=model) for item in items}
        trials[name] = [Trial(items, results, seed) for seed in SEEDS]
    grid = [Weighing(strength, floor) for strength in STRENGTHS for floor in FLOORS]
    chosen: dict[str, Weighing] = dict.fromkeys(trials, FITTED)
    if args.fit:
        table = {(name, w): measure(trials[name], w, threshold)[0] for name in trials for w in grid}
        for held in trials:
            chosen[held] = max(grid, key=lambda w: (round(mean(table[(n, w)] for n in trials if n != held), 6), -w.strength, w.floor))
        overall = max(grid, key=lambda w: (round(mean(table[(n, w)] for n in trials), 6), -w.strength, w.floor))
    rows = []
    for name in trials:
        without = measure(trials[name], None, threshold)
        with_ = measure(trials[name], chosen[name], threshold)
        rows.append((name, len(groups[name][1]) - DECIDED, without, with_, chosen[name]))
    how = "leave-one-domain-out constants" if args.fit else f"shipped constants (strength {FITTED.strength}, floor {FITTED.floor})"
    print(f"{DECIDED} decided requests per domain, seeds {', '.join(map(str, SEEDS))}; {how}\n")
    if args.markdown:
        print("| domain | requests classified | macro-F1 without | with precedent | accuracy without | with precedent |"
              + (" constants (strength, floor) |" if args.fit else ""))
        print("| --- | --- | --- | --- | --- | --- |" + (" --- |" if args.fit else ""))
        for name, n, without, with_, weighing in rows:
            print(f"| {name} | {n} | {without[0]:.3f} | {with_[0]:.3f} | {without[1]:.3f} | {with_[1]:.3f} |"
                  + (f" {weighing.strength}, {weighing.floor} |" if args.fit else ""))
        print(f"| **mean** | | {mean(r[2][0] for r in rows):.3f} | **{mean(r[3][0] for r in rows):.3f}** "
              f"| {mean(r[2][1] for r in rows):.3f} | **{mean(r[3][1] for r in rows):.3f}** |" + (" |" if args.fit else ""))
    else:
        print(f"{'domain':<22} {'n':>5} {'F1 w/o':>7} {'F1 with':>7} {'gain':>7} {'acc w/o':>7} {'acc with':>8} {'costly':>7}")
        for name, n, without, with_, weighing in rows:
            extra = f"  ({weighing.strength}, {weighing.floor})" if args.fit else ""
            print(f"{name:<22} {n:>5} {without[0]:>7.3f} {with_[0]:>7.3f} {with_[0] - without[0]:>+7.3f} "
                  f"{without[1]:>7.3f} {with_[1]:>8.3f} {without[2]:>3}->{with_[2]:<3}{extra}")
        print(f"{'mean':<22} {'':>5} {mean(r[2][0] for r in rows):>7.3f} {mean(r[3][0] for r in rows):>7.3f} "
              f"{mean(r[3][0] - r[2][0] for r in rows):>+7.3f} {mean(r[2][1] for r in rows):>7.3f} {mean(r[3][1] for r in rows):>8.3f}")
        worst = min(rows, key=lambda r: r[3][0] - r[2][0])
        print(f"worst gain: {worst[0]} {worst[3][0] - worst[2][0]:+.3f}")
    kinds = {"written domains": [r for r in rows if "/" not in r[0] and r[0] != "worked-example"],
             "real sources": [r for r in rows if r[0].startswith("real/")]}
    print()
    for kind, part in kinds.items():
        if part:
            print(f"mean of the {len(part)} {kind}: macro-F1 {mean(r[2][0] for r in part):.3f} -> {mean(r[3][0] for r in part):.3f}, "
                  f"accuracy {mean(r[2][1] for r in part):.3f} -> {mean(r[3][1] for r in part):.3f}")
    print("\nthe nearest decided request's class against the true class, by similarity (all domains, seeds):")
    for low, high in ((0.0, 0.1), (0.1, 0.2), (0.2, 0.3), (0.3, 0.5), (0.5, 1.01)):
        near = [(item["label"], precedents[0].classification) for runs in trials.values() for trial in runs
                for item, _, precedents in trial.rows if precedents and low <= precedents[0].similarity < high]
        if near:
            same = sum(1 for truth, said in near if truth == said)
            print(f"  {low:.1f}-{min(high, 1.0):.1f}: {len(near):>5} requests, same class {same / len(near):.2f}")
    if args.fit:
        print(f"\nfitted on every domain: strength {overall.strength}, floor {overall.floor} (precedent.FITTED)")
    print(f"\n{sum(len(items) for _, items in groups.values())} requests in {len(groups)} domains, {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
