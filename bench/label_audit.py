"""Measure how far a second, blind reader agrees with the triage benchmark's labels.

The triage benchmark (tests/data/triage/domains/*/requests.yaml: invented products, and
tests/data/triage/real/*/issues.yaml: real open-source trackers) was labelled by one author per
set. This script measures the labels' own noise: a second reader labels a random sample without
seeing the original label, reason or about, and the two are compared.

    python bench/label_audit.py sample               # the blind sample: set, id, text, baseline
    python bench/label_audit.py compare              # agreement, Cohen's kappa, disagreements

`sample` draws, with a fixed seed, a plain random sample (not balanced by class: balancing would
need the labels) of 6 items from every set, and prints for each only what a labeller may see.
`compare` reads the second reader's labels from bench/label_audit.yaml (same ids, with `label`,
`about`, `reason` and, once the originals have been read, `verdict` a/b/c and `verdict_reason`)
and prints agreement and kappa per group (invented, real) and per set, the confusion table, and
each disagreement with both reasons. A set added after the second reading (no item of it in
bench/label_audit.yaml) is still sampled, for the next second reader, and `compare` names it as
not yet audited instead of comparing it. Verdicts: a = the original is right (the second reader
misread), b = the second label is right (the original looks wrong), c = genuinely ambiguous.
This is a measurement, not a test: nothing fails.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "triage"
AUDIT = Path(__file__).resolve().parent / "label_audit.yaml"
SEED = 20261207
PER_SET = 6
CLASSES = ("defect", "change", "new-scope", "out-of-scope", "needs-review")
# What a blind labeller may see of an item; label, reason, about and style stay hidden
# (style names the writer's trick, e.g. a wish filed as warranty, which would hint the class).
VISIBLE = ("id", "lang", "url", "text")


def benchmark_sets() -> list[tuple[str, Path]]:
    """(set name, items file) for every invented domain and real source, in a fixed order."""
    domains = sorted(DATA.glob("domains/*/requests.yaml"))
    real = sorted(DATA.glob("real/*/issues.yaml"))
    return [(f"{path.parent.parent.name}/{path.parent.name}", path) for path in domains + real]


# libyaml's loader when present: the 27 sets load in a tenth of the pure-Python time.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=YAML_LOADER)  # noqa: S506 - YAML_LOADER is a safe loader


def load_items(path: Path) -> list[dict]:
    return list(load_yaml(path.read_text(encoding="utf-8"))["items"])


def draw_sample(seed: int = SEED, per_set: int = PER_SET) -> list[tuple[str, dict]]:
    """(set name, item) pairs: a seeded random choice of `per_set` items from each set.

    One generator per set, seeded from the seed and the set's name, so adding a set does not
    move the sample of the others."""
    sample: list[tuple[str, dict]] = []
    for name, path in benchmark_sets():
        items = load_items(path)
        generator = random.Random(f"{seed}:{name}")  # noqa: S311 - a reproducible sample, not secrets
        chosen = generator.sample(range(len(items)), per_set)
        sample.extend((name, items[index]) for index in sorted(chosen))
    return sample


def audited_sets(audit: list[dict]) -> list[str]:
    """The sets the second reader labelled, in benchmark order; later sets have no second labels yet."""
    labelled = {mine["set"] for mine in audit}
    return [name for name, _ in benchmark_sets() if name in labelled]


def print_sample() -> None:
    out = []
    for name, item in draw_sample():
        entry = {"set": name, "baseline": str(DATA / name / "baseline")}
        entry.update({key: item[key] for key in VISIBLE if key in item})
        out.append(entry)
    yaml.safe_dump(out, sys.stdout, allow_unicode=True, sort_keys=False, width=100)


def cohen_kappa(pairs: list[tuple[str, str]]) -> float:
    """Cohen's kappa of two raters over the same items: (observed - chance) / (1 - chance)."""
    total = len(pairs)
    observed = sum(first == second for first, second in pairs) / total
    first_counts = Counter(first for first, _ in pairs)
    second_counts = Counter(second for _, second in pairs)
    chance = sum(first_counts[c] * second_counts[c] for c in first_counts) / total**2
    return 1.0 if chance == 1 else (observed - chance) / (1 - chance)


def wilson_interval(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion: honest at the sample sizes used here (6 to 162)."""
    share = successes / total
    centre = (share + z * z / (2 * total)) / (1 + z * z / total)
    half = (
        z
        * math.sqrt(share * (1 - share) / total + z * z / (4 * total * total))
        / (1 + z * z / total)
    )
    return centre - half, centre + half


def agreement_line(title: str, pairs: list[tuple[str, str]]) -> str:
    agreed = sum(first == second for first, second in pairs)
    low, high = wilson_interval(agreed, len(pairs))
    return (
        f"{title:<36} {agreed:>3}/{len(pairs):<3} {agreed / len(pairs):6.1%}"
        f"  [{low:4.0%}-{high:4.0%}]  kappa {cohen_kappa(pairs):5.2f}"
    )


def compare() -> None:
    originals = {
        (name, item["id"]): item for name, path in benchmark_sets() for item in load_items(path)
    }
    audit = load_yaml(AUDIT.read_text(encoding="utf-8"))["items"]
    rows = []
    for mine in audit:
        original = originals[(mine["set"], mine["id"])]
        rows.append((mine, original))
    audited = audited_sets(audit)
    expected = {(name, item["id"]) for name, item in draw_sample() if name in audited}
    if {(mine["set"], mine["id"]) for mine, _ in rows} != expected:
        sys.exit("bench/label_audit.yaml does not hold exactly the drawn sample of its sets")
    not_yet = [name for name, _ in benchmark_sets() if name not in audited]

    def pairs(selected: list[tuple[dict, dict]]) -> list[tuple[str, str]]:
        return [(original["label"], mine["label"]) for mine, original in selected]

    # Items whose original label the second reader saw before labelling count in the per-set
    # lines but not in the group figures marked "blind".
    blind = [r for r in rows if not r[0].get("contaminated")]
    print("agreement (original vs second reader), 95 % interval, Cohen's kappa")
    print(agreement_line("all", pairs(rows)))
    print(agreement_line("all, blind only", pairs(blind)))
    for group in ("domains", "real"):
        print(agreement_line(group, pairs([r for r in rows if r[0]["set"].startswith(group)])))
    print(
        agreement_line(
            "real, blind only", pairs([r for r in blind if r[0]["set"].startswith("real")])
        )
    )
    print()
    for name in audited:
        print(agreement_line(name, pairs([r for r in rows if r[0]["set"] == name])))
    if not_yet:
        print(f"not yet audited (added after the second reading): {', '.join(not_yet)}")

    for group in ("all", "domains", "real"):
        selected = [r for r in rows if group == "all" or r[0]["set"].startswith(group)]
        table = Counter(pairs(selected))
        print(f"\nconfusion, {group} (rows: original, columns: second reader)")
        print(" " * 14 + "".join(f"{c[:12]:>13}" for c in CLASSES))
        for first in CLASSES:
            print(f"{first:<14}" + "".join(f"{table[(first, c)]:>13}" for c in CLASSES))

    # Which requirements an item is about: both named some and share one, both named none,
    # only one reader named any, or both named some and share none.
    about: Counter[tuple[str, str]] = Counter()
    for mine, original in rows:
        original_about = set(original.get("about") or [])
        second_about = set(mine.get("about") or [])
        if original_about and second_about:
            kind = "share a requirement" if original_about & second_about else "share none"
        else:
            kind = "both none" if original_about == second_about else "one reader none"
        about[(mine["set"].split("/")[0], kind)] += 1
    print("\nabout: " + ", ".join(f"{g} {k} {n}" for (g, k), n in sorted(about.items())))

    verdicts: Counter[str] = Counter()
    print("\ndisagreements")
    for mine, original in rows:
        if mine["label"] == original["label"]:
            continue
        verdict = mine.get("verdict", "?")
        verdicts[verdict] += 1
        print(
            f"\n{mine['set']} {mine['id']}: original {original['label']}, "
            f"second {mine['label']}  verdict {verdict}"
        )
        print(
            f"  original: {' '.join(str(original.get('reason', '')).split())}"
            f" [about {original.get('about') or []}]"
        )
        print(f"  second:   {mine['reason']} [about {mine.get('about') or []}]")
        if mine.get("verdict_reason"):
            print(f"  verdict:  {mine['verdict_reason']}")
    print("\nverdicts: " + ", ".join(f"{k} {verdicts[k]}" for k in sorted(verdicts)))
    by_group = Counter(
        (mine["set"].split("/")[0], mine.get("verdict", "?"))
        for mine, original in rows
        if mine["label"] != original["label"]
    )
    print(
        "verdicts by group: " + ", ".join(f"{g} {v} {n}" for (g, v), n in sorted(by_group.items()))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("sample", "compare"))
    args = parser.parse_args()
    if args.mode == "sample":
        print_sample()
    else:
        compare()


if __name__ == "__main__":
    main()
