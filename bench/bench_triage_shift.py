"""Does adapting to a new domain's own mix of requests help triage? (label shift)

    python bench/bench_triage_shift.py                    # every variant, every setting
    python bench/bench_triage_shift.py --models FILE      # keep the held-out models in FILE (JSON) and reuse them

The classifier is fitted with every class weighing the same, but a project's
requests come in its own mix (an issue tracker holds mostly defects and new
scope). Saerens, Latinne & Decaestecker (2002, "Adjusting the outputs of a
classifier to new a priori probabilities") estimate the new mix by EM from the
unlabelled requests' predicted probabilities, and re-weigh each answer by new
prior / training prior. The repo's decided requests are labelled evidence of
the same mix: pseudo-counts of a Dirichlet prior on it.

Measured as bench_triage.py measures (each domain by the model fitted without
it, leave-one-domain-out and leave-one-source-out), with the held-out
domain's requests as the unlabelled batch (what a user's repo holds):

- `all`: the batch is every request of the domain;
- `ten`: the domain split into batches of ten (seeded, three seeds);
- `decided`: ten requests of the domain taken as decided (seeds 1-5, drawn as
  bench_precedent.py draws them), their classes the prior's evidence, the
  other requests the batch and what is measured (against no shift on the same
  requests).

Variants: `none`; `tested` (what triage ships, triage/priors.py: EM, used only
with 20 requests or more, when the likelihood-ratio test rejects the training
mix at 5% and the mix is 0.15 nats or more from it); `em` (full EM); `em-a20`, `em-a50` (EM damped toward the
training prior by a Dirichlet of that many pseudo-requests); `em-half` (half
the EM shift on the log scale); `decisions` (the decided classes only, with a
Dirichlet of 4 pseudo-requests at the training prior).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import sys
import time
from pathlib import Path
from statistics import mean

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from bench_triage import COSTLY  # noqa: E402
from train_triage import WEIGHTS, held_out_models, load_examples, macro_f1  # noqa: E402
from triage_data import training_domains  # noqa: E402

from reqtrace.triage import DEFECT, GUARD_CONFIDENCE, NEEDS_REVIEW, decide  # noqa: E402
from reqtrace.triage.model import CLASSES, probabilities  # noqa: E402
from reqtrace.triage.priors import estimate_mix  # noqa: E402

UNIFORM = {c: 1.0 / len(CLASSES) for c in CLASSES}


def em_priors(rows: list[dict[str, float]], train: dict[str, float], *, alpha: float = 0.0,
              counts: dict[str, float] | None = None, iterations: int = 200, tolerance: float = 1e-6) -> dict[str, float]:
    """Saerens et al.'s EM, MAP form: a Dirichlet of `alpha` pseudo-requests at the training prior
    plus the decided classes' `counts`."""
    counts = counts or {}
    prior = dict(train)
    extra = alpha + sum(counts.values())
    for _ in range(iterations):
        totals = {c: alpha * train[c] + counts.get(c, 0.0) for c in CLASSES}
        for row in rows:
            weights = {c: row[c] * prior[c] / train[c] for c in CLASSES}
            s = sum(weights.values())
            for c in CLASSES:
                totals[c] += weights[c] / s
        new = {c: totals[c] / (len(rows) + extra) for c in CLASSES}
        done = max(abs(new[c] - prior[c]) for c in CLASSES) < tolerance
        prior = new
        if done:
            break
    return prior


def shifted_model(model: dict, ratio: dict[str, float]) -> dict:
    """The model whose probabilities are its own × ratio, renormalised: the log-ratio added to the
    logits (scaled back through the temperature and the regression's share of the blend)."""
    temperature = model.get("temperature", 1.0)
    share = 1.0 - model.get("tree_share", 0.0)
    bias = [b + temperature * math.log(ratio[c]) / share for b, c in zip(model["bias"], model["classes"], strict=True)]
    return {**model, "bias": bias}


def variant_priors(name: str, rows: list[dict[str, float]], counts: dict[str, float]) -> dict[str, float] | None:
    train = UNIFORM
    if name == "none":
        return None
    if name == "em":
        return em_priors(rows, train)
    if name.startswith("em-a"):
        return em_priors(rows, train, alpha=float(name[4:]))
    if name == "em-half":
        full = em_priors(rows, train)
        raw = {c: math.sqrt(full[c] * train[c]) for c in CLASSES}
        return {c: raw[c] / sum(raw.values()) for c in CLASSES}
    if name == "tested":  # what triage ships (triage/priors.py)
        mix = estimate_mix(rows, {c: int(k) for c, k in counts.items()})
        return dict(mix.shares) if mix.applied else None
    if name == "em-dec":  # the batch by EM and the decisions as counts, damped
        return em_priors(rows, train, alpha=20.0, counts=counts)
    if name == "decisions":
        if not counts:
            return None
        n = sum(counts.values())
        return {c: (counts.get(c, 0.0) + 4.0 * train[c]) / (n + 4.0) for c in CLASSES}
    raise ValueError(name)


VARIANTS = ("none", "tested", "em", "em-a20", "em-a50", "em-half", "em-dec", "decisions")


def evaluate(examples: list[dict], models: dict[str, dict], batches: list[list[int]], measured: list[int], variant: str,
             counts_of: dict[int, dict[str, float]], base: list[dict[str, float]]) -> tuple[dict[int, object], dict[str, list[dict]]]:
    """Results for the `measured` examples, each decided with the priors of its batch."""
    results = {}
    priors_seen: dict[str, list[dict]] = {}
    for batch in batches:
        domain = examples[batch[0]]["domain"]
        counts = counts_of.get(batch[0], {})
        priors = variant_priors(variant, [base[i] for i in batch], counts)
        model = models[domain]
        if priors is not None:
            model = shifted_model(model, {c: priors[c] / UNIFORM[c] for c in CLASSES})
            priors_seen.setdefault(domain, []).append(priors)
        for i in batch:
            if i in measured:
                e = examples[i]
                results[i] = decide(e["weighed"], e["index"], request=e["id"], model=model)
    return results, priors_seen


def summary(examples: list[dict], results: dict[int, object]) -> dict:
    by_domain: dict[str, list[int]] = {}
    for i in results:
        by_domain.setdefault(examples[i]["domain"], []).append(i)
    real_names = {e["domain"] for e in examples if e["real"]}
    invented, real = {}, {}
    for domain, ids in by_domain.items():
        labels = [examples[i]["label"] for i in ids]
        predicted = [results[i].classification for i in ids]
        f = {"macro": macro_f1(labels, predicted), "accuracy": sum(a == b for a, b in zip(labels, predicted, strict=True)) / len(ids)}
        (real if domain in real_names else invented)[domain] = f
    inv_ids = [i for i in results if examples[i]["domain"] not in real_names]
    sure = [i for i in results if results[i].classification != NEEDS_REVIEW and results[i].confidence >= 0.9]
    worst = min(invented, key=lambda d: invented[d]["macro"])
    return {
        "mean": mean(f["macro"] for f in invented.values()), "worst": invented[worst]["macro"], "worst_name": worst,
        "real": mean(f["accuracy"] for f in real.values()), "real_macro": mean(f["macro"] for f in real.values()),
        "abstain": sum(results[i].classification == NEEDS_REVIEW for i in inv_ids) / len(inv_ids),
        "costly": sum(examples[i]["label"] in COSTLY and results[i].classification == DEFECT and results[i].confidence >= GUARD_CONFIDENCE
                      for i in results),
        "sure": len(sure), "sure_right": sum(examples[i]["label"] == results[i].classification for i in sure) / max(1, len(sure)),
        "per_real": {d: f["accuracy"] for d, f in sorted(real.items())},
        "per_invented": {d: f["macro"] for d, f in sorted(invented.items())},
    }


def line(name: str, s: dict) -> str:
    return (f"  {name:<10} mean {s['mean']:.3f}  worst {s['worst']:.3f} ({s['worst_name']})  real acc {s['real']:.3f}"
            f" (macro {s['real_macro']:.3f})  abstain {s['abstain']:.1%}  costly {s['costly']}  >=0.9 {s['sure']} at {s['sure_right']:.1%}")


def averaged(runs: list[dict]) -> dict:
    out = {k: mean(r[k] for r in runs) for k in ("mean", "worst", "real", "real_macro", "abstain", "sure", "sure_right")}
    out["costly"] = sum(r["costly"] for r in runs)
    out["worst_name"] = "/".join(sorted({r["worst_name"] for r in runs}))
    out["per_real"] = {d: mean(r["per_real"][d] for r in runs) for d in runs[0]["per_real"]}
    out["per_invented"] = {d: mean(r["per_invented"][d] for r in runs) for d in runs[0]["per_invented"]}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=Path, help="keep the held-out models in this JSON file, and reuse them (keyed by the examples' features)")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--settings", default="all,ten,decided")
    args = parser.parse_args()
    started = time.perf_counter()
    shipped = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    choice = shipped["trained"]["choice"]
    domains = training_domains()
    examples = load_examples(domains)
    real_names = {d.name for d in domains if d.real}
    for e in examples:
        e["real"] = e["domain"] in real_names
    # The models depend on what they are fitted on, not on how an answer is decided from them.
    key = hashlib.sha256(json.dumps([(e["domain"], e["label"], sorted(e["features"].items())) for e in examples]).encode()).hexdigest()
    models = None
    if args.models and args.models.is_file():
        kept = json.loads(args.models.read_text(encoding="utf-8"))
        models = kept["models"] if kept.get("fingerprint") == key else None
    if models is None:
        models = held_out_models(examples, choice["l2"], choice["words_k"], choice.get("tree_share", 0.0),
                             choice.get("word_l2_power", 0.0))
        if args.models:
            args.models.write_text(json.dumps({"fingerprint": key, "models": models}), encoding="utf-8")
    for model in models.values():
        model["temperature"], model["threshold"] = choice["temperature"], choice["threshold"]
    print(f"{len(examples)} requests, models ready ({time.perf_counter() - started:.1f} s)", flush=True)
    base = [probabilities(e["features"], models[e["domain"]]) for e in examples]
    by_domain: dict[str, list[int]] = {}
    for i, e in enumerate(examples):
        by_domain.setdefault(e["domain"], []).append(i)
    variants = args.variants.split(",")
    for setting in args.settings.split(","):
        print(f"\n[{setting}]", flush=True)
        runs: list[tuple[list[list[int]], list[int], dict[int, dict[str, float]]]] = []
        if setting == "all":
            runs.append((list(by_domain.values()), list(range(len(examples))), {}))
        elif setting == "ten":
            for seed in (1, 2, 3):
                batches = []
                for ids in by_domain.values():
                    order = list(ids)
                    random.Random(seed).shuffle(order)  # noqa: S311 - a seeded draw
                    batches += [order[k:k + 10] for k in range(0, len(order), 10)]
                runs.append((batches, list(range(len(examples))), {}))
        elif setting == "decided":
            for seed in (1, 2, 3, 4, 5):
                batches, measured, counts_of = [], [], {}
                for ids in by_domain.values():
                    chosen = set(random.Random(seed).sample(ids, min(10, len(ids))))  # noqa: S311 - a seeded draw
                    rest = [i for i in ids if i not in chosen]
                    counts: dict[str, float] = {}
                    for i in chosen:
                        counts[examples[i]["label"]] = counts.get(examples[i]["label"], 0.0) + 1.0
                    batches.append(rest)
                    measured += rest
                    counts_of[rest[0]] = counts
                runs.append((batches, measured, counts_of))
        for variant in variants:
            if setting != "decided" and variant in ("decisions", "em-dec"):
                continue
            summaries = []
            priors_all: dict[str, list[dict]] = {}
            for batches, measured, counts_of in runs:
                results, priors_seen = evaluate(examples, models, batches, set(measured), variant, counts_of, base)
                summaries.append(summary(examples, results))
                for d, p in priors_seen.items():
                    priors_all.setdefault(d, []).extend(p)
            s = averaged(summaries)
            print(line(variant, s), flush=True)
            print("     real: " + ", ".join(f"{d} {a:.2f}" for d, a in s["per_real"].items()))
            print("     invented: " + ", ".join(f"{d} {a:.2f}" for d, a in s["per_invented"].items()))
            if priors_all and setting == "all":
                print("     priors: " + "; ".join(f"{d} " + "/".join(f"{mean(p[c] for p in ps):.2f}" for c in CLASSES)
                                               for d, ps in priors_all.items()))
    print(f"\n({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
