"""How well does `reqtrace triage` classify requests from a domain it never saw?

    python bench/bench_triage.py                # leave-one-domain-out: invented domains and real sources
    python bench/bench_triage.py --markdown     # the tables for docs/triage.md
    python bench/bench_triage.py --errors NAME  # the mistakes on one domain or real source
    python bench/bench_triage.py --no-real      # leave the real sources out (of training and of the figures)
    python bench/bench_triage.py --no-priors    # without the held-out domain's own mix of requests (triage --no-priors)

Leave-one-domain-out: for each labelled domain (bench/triage_data.py), the model
is fitted on all the other domains with the shipped choice of L2, words,
temperature and threshold (bench/train_triage.py), and measured on the one left
out, against that domain's own baseline. A real source is a domain like the
others: it is measured by a model fitted on every invented domain and the other
real sources (leave-one-source-out). `needs-review` counts as not right. A
costly mistake is a change or new-scope request called a defect at confidence
>= 0.8. As `triage` does in a repo, each held-out domain's requests are the
batch whose mix the answers are re-weighed by when it is one (triage/priors.py;
bench/bench_triage_shift.py measures the variants).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from train_triage import COSTLY, WEIGHTS, held_out_models, load_examples, macro_f1  # noqa: E402
from triage_data import invented_domains, training_domains  # noqa: E402

from reqtrace.triage import DEFECT, GUARD_CONFIDENCE, NEEDS_REVIEW, decide  # noqa: E402
from reqtrace.triage.model import probabilities  # noqa: E402
from reqtrace.triage.priors import Mix, estimate_mix  # noqa: E402

BUCKETS = ((0.0, 0.6), (0.6, 0.8), (0.8, 0.9), (0.9, 1.01))


def held_out_results(examples: list[dict], choice: dict, priors: bool = True) -> tuple[list, dict[str, Mix]]:
    models = held_out_models(examples, choice["l2"], choice["words_k"], choice.get("tree_share", 0.0),
                             choice.get("word_l2_power", 0.0))
    for model in models.values():
        model["temperature"], model["threshold"] = choice["temperature"], choice["threshold"]
    mixes = domain_mixes(examples, models) if priors else {}
    return [decide(e["weighed"], e["index"], request=e["id"], model=models[e["domain"]], mix=mixes.get(e["domain"])) for e in examples], mixes


def domain_mixes(examples: list[dict], models: dict[str, dict]) -> dict[str, Mix]:
    """Each domain's mix of requests as triage estimates it in a repo: every request of the domain
    undecided, read by the domain's own (held-out) model."""
    rows: dict[str, list[dict[str, float]]] = {}
    for e in examples:
        rows.setdefault(e["domain"], []).append(probabilities(e["features"], models[e["domain"]]))
    return {domain: estimate_mix(found, {}) for domain, found in rows.items()}


def figures(examples: list[dict], results: list) -> dict:
    labels = [e["label"] for e in examples]
    predicted = [r.classification for r in results]
    return {
        "n": len(examples),
        "macro": macro_f1(labels, predicted),
        "accuracy": sum(t == p for t, p in zip(labels, predicted, strict=True)) / max(1, len(examples)),
        "abstain": sum(p == NEEDS_REVIEW for p in predicted) / max(1, len(examples)),
        "costly": sum(e["label"] in COSTLY and r.classification == DEFECT and r.confidence >= GUARD_CONFIDENCE
                      for e, r in zip(examples, results, strict=True)),
    }


def reliability(examples: list[dict], results: list) -> list[tuple[str, int, float]]:
    rows = []
    for low, high in BUCKETS:
        inside = [(e, r) for e, r in zip(examples, results, strict=True) if r.classification != NEEDS_REVIEW and low <= r.confidence < high]
        right = sum(e["label"] == r.classification for e, r in inside)
        rows.append((f"{low:.1f}–{min(high, 1.0):.1f}", len(inside), right / len(inside) if inside else float("nan")))
    return rows


def table(title: str, rows: list[tuple[str, dict]], markdown: bool) -> str:
    lines = [f"\n{title}"] if not markdown else [f"\n**{title}**\n", "| set | requests | macro-F1 | accuracy | abstains | costly |", "| --- | --- | --- | --- | --- | --- |"]
    for name, f in rows:
        if markdown:
            lines.append(f"| {name} | {f['n']} | {f['macro']:.2f} | {f['accuracy']:.2f} | {f['abstain']:.0%} | {f['costly']} |")
        else:
            lines.append(f"  {name:<24} n={f['n']:<4} macro-F1 {f['macro']:.3f}  accuracy {f['accuracy']:.3f}  abstains {f['abstain']:5.1%}  costly {f['costly']}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--errors", metavar="NAME")
    parser.add_argument("--no-real", action="store_true")
    parser.add_argument("--no-priors", action="store_true", help="no re-weighing by the held-out domain's mix of requests")
    args = parser.parse_args()
    started = time.perf_counter()
    shipped = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    choice = shipped["trained"]["choice"]
    domains = invented_domains() if args.no_real else training_domains()
    examples = load_examples(domains)
    results, mixes = held_out_results(examples, choice, not args.no_priors) if len(domains) > 1 else (
        [decide(e["weighed"], e["index"], request=e["id"], model=shipped) for e in examples], {})
    pairs = list(zip(examples, results, strict=True))

    def figures_of(names: list[str]) -> list[tuple[str, dict]]:
        return [(name, figures([e for e, _ in pairs if e["domain"] == name], [r for e, r in pairs if e["domain"] == name])) for name in names]

    invented = [d.name for d in domains if not d.real]
    real = [d.name for d in domains if d.real]
    per = figures_of(invented)
    mean = sum(f["macro"] for _, f in per) / len(per)
    worst = min(per, key=lambda item: item[1]["macro"])
    out = [table("Leave-one-domain-out (each domain measured by a model fitted without it)" if len(domains) > 1
                 else "One domain only: its training fit", per, args.markdown)]
    mine = [(e, r) for e, r in pairs if e["domain"] in invented]
    total = figures([e for e, _ in mine], [r for _, r in mine])
    out.append(("\n" if args.markdown else "  ") + f"mean macro-F1 {mean:.3f}, worst {worst[1]['macro']:.3f} ({worst[0]}); all requests: accuracy {total['accuracy']:.3f}, "
               f"abstains {total['abstain']:.1%}, costly mistakes {total['costly']}")
    langs = []
    for lang in ("en", "zh", "mixed"):
        chosen = [(e, r) for e, r in mine if e["lang"] == lang]
        if chosen:
            langs.append((lang, figures([e for e, _ in chosen], [r for _, r in chosen])))
    out.append(table("By language (held-out predictions, invented domains)", langs, args.markdown))
    rel = reliability([e for e, _ in pairs], [r for _, r in pairs])
    if args.markdown:
        out.append("\n**Reliability of decided answers (held-out predictions, every domain)**\n\n| confidence | answers | right |\n| --- | --- | --- |")
        out.extend(f"| {name} | {n} | {right:.0%} |" for name, n, right in rel)
    else:
        out.append("\nReliability of decided answers (held-out predictions, every domain)")
        out.extend(f"  confidence {name}: {n:4d} answers, {right:.1%} right" for name, n, right in rel)
    if real:
        real_rows = figures_of(real)
        out.append(table("Real sources (each measured by a model fitted without it: leave-one-source-out)", real_rows, args.markdown))
        out.append(("\n" if args.markdown else "  ") + f"mean accuracy {sum(f['accuracy'] for _, f in real_rows) / len(real_rows):.3f}, "
                   f"mean macro-F1 {sum(f['macro'] for _, f in real_rows) / len(real_rows):.3f}, "
                   f"worst accuracy {min(f['accuracy'] for _, f in real_rows):.3f}")
    applied = [f"{name} ({mix.described()})" for name, mix in mixes.items() if mix.applied]
    out.append(("\n" if args.markdown else "  ") + "re-weighed by the domain's own mix of requests: " + ("; ".join(applied) or "none")
               if not args.no_priors else ("\n" if args.markdown else "  ") + "without the domains' own mix of requests (--no-priors)")
    print("\n".join(out))
    if args.errors:
        for e, r in pairs:
            if e["domain"] == args.errors and e["label"] != r.classification:
                text = " ".join(e["weighed"].prepared.own.split())[:160]
                print(f"\n{e['id']} {e['label']} -> {r.classification} {r.confidence:.2f}  {text}")
                for reason in r.reasons[:4]:
                    print(f"    {reason[:150]}")
    print(f"\n({time.perf_counter() - started:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
