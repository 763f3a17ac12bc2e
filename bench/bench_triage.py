"""How well does `reqtrace triage` classify? Measured on the labelled set.

    python bench/bench_triage.py                 # every stored set, part by part
    python bench/bench_triage.py --errors tune   # list the tune part's mistakes (for tuning)
    python bench/bench_triage.py --markdown      # the tables for docs/triage.md
    python bench/bench_triage.py --set FILE      # one labelled file only (e.g. a new held-out set)
    python bench/bench_triage.py --rules         # the rules alone, without the learned layer (round 4)

The sets are tests/data/triage/labelled.yaml (split into `tune` and `heldout` when
it was written), fresh.yaml, probe.yaml and fresh2.yaml to fresh9.yaml, against the
requirements in tests/data/triage/baseline/. docs/triage.md says which of them were
tuned on: since round 5 the learned layer is trained on every set but fresh8.yaml
to fresh11.yaml, so only those four are held-out figures (bench/train_triage.py
reports the leave-one-author-out figures of the others).
By default the final classifier (rules + learned layer) is measured; `--rules` the rules alone.
`--set` measures a file this script does not know, with the same fields, and
prints nothing about the other sets.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from reqtrace.model import Config  # noqa: E402
from reqtrace.parse import parse_requirements  # noqa: E402
from reqtrace.triage import CLASSES, DEFECT, BaselineIndex, classify_request  # noqa: E402

DATA = ROOT / "tests" / "data" / "triage"
COSTLY = ("change", "new-scope")  # true classes that must never be called a sure defect
TRAINED = tuple(f"fresh{n}" for n in range(2, 8))  # authors C-H: the learned layer's training data since round 5
HELD_OUT = ("fresh8", "fresh9", "fresh10", "fresh11")  # authors I-L: never trained on, each measured once after round 5


def load_baseline(folder: Path = DATA / "baseline"):  # type: ignore[no-untyped-def]
    requirements = []
    for path in sorted(folder.rglob("*.yaml")):
        parsed = parse_requirements(path.relative_to(folder).as_posix(), path.read_bytes(), Config(project="bench"))
        assert not [f for f in parsed.findings if f.severity == "error"], parsed.findings
        requirements.extend(parsed.items)
    return requirements


def load_items(path: Path = DATA / "labelled.yaml") -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["items"]


def evaluate(items: list[dict], index: BaselineIndex, learned: bool = True) -> dict:
    rows = []
    for item in items:
        result = classify_request(item["text"], index=index, request=item["id"], learned=learned)
        rows.append((item, result))
    confusion = {t: dict.fromkeys(CLASSES, 0) for t in CLASSES}
    for item, result in rows:
        confusion[item["label"]][result.classification] += 1
    per_class = {}
    for name in CLASSES:
        tp = confusion[name][name]
        predicted = sum(confusion[t][name] for t in CLASSES)
        actual = sum(confusion[name].values())
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[name] = (precision, recall, f1, actual)
    present = [name for name in CLASSES if per_class[name][3]]
    macro = sum(per_class[name][2] for name in present) / len(present)
    accuracy = sum(confusion[n][n] for n in CLASSES) / len(rows)
    costly = [(item, result) for item, result in rows if item["label"] in COSTLY and result.classification == DEFECT and result.confidence >= 0.8]
    return {"rows": rows, "confusion": confusion, "per_class": per_class, "macro": macro, "accuracy": accuracy, "costly": costly}


def render(name: str, report: dict, markdown: bool) -> str:
    short = {"defect": "defect", "change": "change", "new-scope": "new", "out-of-scope": "oos", "needs-review": "review"}
    lines = []
    total = len(report["rows"])
    if markdown:
        lines.append(f"**{name}** ({total} requests): macro-F1 **{report['macro']:.3f}**, accuracy {report['accuracy']:.3f}, "
                     f"costly mistakes (change/new-scope called defect with confidence >= 0.8): **{len(report['costly'])}**\n")
        lines.append("| true \\ predicted | " + " | ".join(short[c] for c in CLASSES) + " |")
        lines.append("| --- |" + " --- |" * len(CLASSES))
        for t in CLASSES:
            lines.append(f"| {t} | " + " | ".join(str(report["confusion"][t][p]) for p in CLASSES) + " |")
        lines.append("")
        lines.append("| class | precision | recall | F1 | n |")
        lines.append("| --- | --- | --- | --- | --- |")
        for c in CLASSES:
            p, r, f, n = report["per_class"][c]
            lines.append(f"| {c} | {p:.2f} | {r:.2f} | {f:.2f} | {n} |")
    else:
        lines.append(f"== {name}: {total} requests")
        lines.append("confusion (rows: true class, columns: predicted)")
        lines.append(f"{'':>14} " + " ".join(f"{short[c]:>7}" for c in CLASSES))
        for t in CLASSES:
            lines.append(f"{t:>14} " + " ".join(f"{report['confusion'][t][p]:>7}" for p in CLASSES))
        lines.append(f"{'class':>14} {'prec':>7} {'recall':>7} {'F1':>7} {'n':>5}")
        for c in CLASSES:
            p, r, f, n = report["per_class"][c]
            lines.append(f"{c:>14} {p:>7.2f} {r:>7.2f} {f:>7.2f} {n:>5}")
        lines.append(f"macro-F1 {report['macro']:.3f}   accuracy {report['accuracy']:.3f}   "
                     f"costly (change/new-scope as defect, confidence >= 0.8): {len(report['costly'])}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--errors", choices=("tune", "heldout", "fresh", "probe", *TRAINED, *HELD_OUT, "set"),
                        help="list the mistakes of one part")
    parser.add_argument("--set", type=Path, help="measure only this labelled file (fields as in labelled.yaml)")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument("--rules", action="store_true", help="the rules alone, without the learned layer")
    parser.add_argument("--tune-only", action="store_true", help="while tuning: print nothing about the fresh held-out set")
    args = parser.parse_args()
    started = time.perf_counter()
    requirements = load_baseline()
    index = BaselineIndex.build(requirements)
    if args.set:
        parts = {args.set.name: load_items(args.set)}
        part = args.set.name
    else:
        items = load_items()
        parts = {
            "fresh (tuned on in round 3)": load_items(DATA / "fresh.yaml"),
            "held-out": [i for i in items if i["split"] == "heldout"],
            "tune": [i for i in items if i["split"] == "tune"],
            "probe": load_items(DATA / "probe.yaml"),
            **{f"{name} (trained on)": load_items(DATA / f"{name}.yaml") for name in TRAINED},
            **{f"{name} (held out)": load_items(DATA / f"{name}.yaml") for name in HELD_OUT},
        }
        if args.tune_only:
            parts = {"held-out": parts["held-out"], "tune": parts["tune"]}
        part = "held-out" if args.tune_only else "fresh8 (held out)"
    reports = {name: evaluate(items_of_part, index, learned=not args.rules) for name, items_of_part in parts.items()}
    elapsed = time.perf_counter() - started
    for name, report in reports.items():
        print(render(name, report, args.markdown))
        print()
    if not args.set and not args.tune_only:  # the held-out sets together: the figure that counts
        part = "fresh8 to fresh11 (held out)"
        together = [item for name in HELD_OUT for item in parts[f"{name} (held out)"]]
        print(render(part, evaluate(together, index, learned=not args.rules), args.markdown))
        print()
    else:
        together = parts[part]
    zh = [i for i in together if i["lang"] in ("zh", "mixed")]
    en = [i for i in together if i["lang"] == "en"]
    for label, subset in ((f"{part}, Chinese and mixed", zh), (f"{part}, English", en)):
        report = evaluate(subset, index, learned=not args.rules)
        print(f"{label}: {len(subset)} requests, macro-F1 {report['macro']:.3f}, accuracy {report['accuracy']:.3f}")
    print(f"\n{len(requirements)} baseline requirements, {sum(len(p) for p in parts.values())} requests, {elapsed:.2f} s")
    if args.errors:
        key = {"heldout": "held-out", "fresh": "fresh (tuned on in round 3)", "tune": "tune", "probe": "probe",
               **{name: f"{name} (trained on)" for name in TRAINED}, **{name: f"{name} (held out)" for name in HELD_OUT},
               "set": part}[args.errors]
        print(f"\n== mistakes in the {key} part")
        for item, result in reports[key]["rows"]:
            if result.classification != item["label"]:
                top = ", ".join(f"{m.id}:{m.score:.2f}" for m in result.matches[:3])
                print(f"{item['id']} true={item['label']} got={result.classification} ({result.confidence:.2f}) [{top}]")
                print("   ", item["text"].strip().replace("\n", " ")[:150])
                for reason in result.reasons:
                    print("    -", reason)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
