"""Measure how far a second, blind reader agrees with the triage benchmark's labels.

The triage benchmark (tests/data/triage/domains/*/requests.yaml: invented products, and
tests/data/triage/real/*/issues.yaml: real open-source trackers) was labelled by one author per
set. This script measures the labels' own noise: a second reader labels a random sample without
seeing the original label, reason or about, and the two are compared.

    python bench/label_audit.py sample               # the blind sample: set, id, text, baseline
    python bench/label_audit.py sample --round 2     # the second round: 6 more per real source
    python bench/label_audit.py compare              # agreement, Cohen's kappa, disagreements

`sample` draws, with a fixed seed, a plain random sample (not balanced by class: balancing would
need the labels) of 6 items from every set, and prints for each only what a labeller may see.
`sample --round 2` draws 6 more items of each real source (the sources that carry the target),
with another fixed seed and from the items round 1 did not take: the rounds are disjoint and each
is reproducible on its own (a set's round-1 draw, and so its round-2 draw, depends only on the
seeds, the set's name and its number of items). Its entries carry `round: 2`, to be copied into
bench/label_audit.yaml with the labels (an item without `round` is of round 1).
`compare` reads the second reader's labels from bench/label_audit.yaml (same ids, with `label`,
`about`, `reason` and, once the originals have been read, `verdict` a/b/c and `verdict_reason`)
and prints agreement and kappa per group (invented, real) for both rounds together and for each
round, per set (both rounds, with each round's count), the confusion table, and each
disagreement with both reasons. Verdicts: a = the original is right (the second reader
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
# Per round: its seed and the groups of sets it draws from. Round 2 goes to the real sources only:
# they carry the triage target, and round 1's 6 items each left their agreement's interval wide.
ROUNDS: dict[int, tuple[int, tuple[str, ...]]] = {
    1: (SEED, ("domains", "real")),
    2: (20261208, ("real",)),
}
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


def drawn_indices(name: str, size: int, round_number: int, per_set: int = PER_SET) -> set[int]:
    """Which of a set's `size` items round `round_number` takes: a seeded choice among the items
    no earlier round took.

    One generator per set and round, seeded from the round's seed and the set's name, so adding a
    set does not move the sample of the others, and a later round does not move an earlier one."""
    taken: set[int] = set()
    for earlier in range(1, round_number):
        taken |= drawn_indices(name, size, earlier, per_set)
    seed, _ = ROUNDS[round_number]
    generator = random.Random(f"{seed}:{name}")  # noqa: S311 - a reproducible sample, not secrets
    return set(generator.sample([index for index in range(size) if index not in taken], per_set))


def draw_sample(
    round_number: int = 1, per_set: int = PER_SET, only: set[str] | None = None
) -> list[tuple[str, dict]]:
    """(set name, item) pairs: round `round_number`'s seeded random choice of `per_set` items from
    each set of its groups (or from those of them named in `only`), in file order."""
    _, groups = ROUNDS[round_number]
    sample: list[tuple[str, dict]] = []
    for name, path in benchmark_sets():
        if name.split("/")[0] not in groups or (only is not None and name not in only):
            continue
        items = load_items(path)
        chosen = drawn_indices(name, len(items), round_number, per_set)
        sample.extend((name, items[index]) for index in sorted(chosen))
    return sample


def print_sample(round_number: int = 1) -> None:
    out = []
    for name, item in draw_sample(round_number):
        entry: dict[str, Any] = {"set": name, "baseline": str(DATA / name / "baseline")}
        if round_number != 1:
            entry["round"] = round_number
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


def round_of(mine: dict) -> int:
    """The round a second label belongs to; the first round's entries carry no `round`."""
    return int(mine.get("round", 1))


def audited_sets(audit: list[dict], round_number: int = 1) -> set[str]:
    """The sets the committed second labels of a round cover. A set added to the benchmark after
    the audit is drawn by `sample` for a later second reader, and compared once its labels are
    committed."""
    return {mine["set"] for mine in audit if round_of(mine) == round_number}


def committed_rounds(audit: list[dict]) -> list[int]:
    return sorted({round_of(mine) for mine in audit})


def drawn_keys(audit: list[dict]) -> list[tuple[int, str, str]]:
    """(round, set, id) of every item the committed rounds should hold, in the order of the file:
    by round, then in each round's draw order."""
    return [
        (round_number, name, item["id"])
        for round_number in committed_rounds(audit)
        for name, item in draw_sample(round_number, only=audited_sets(audit, round_number))
    ]


def print_agreement(title: str, rows: list[tuple[dict, dict]]) -> None:
    """Agreement of `rows` for all of them, without the contaminated ones, and per group."""

    def pairs(selected: list[tuple[dict, dict]]) -> list[tuple[str, str]]:
        return [(original["label"], mine["label"]) for mine, original in selected]

    # Items whose original label the second reader saw before labelling count in the per-set
    # lines but not in the group figures marked "blind".
    blind = [r for r in rows if not r[0].get("contaminated")]
    print(agreement_line(title, pairs(rows)))
    if len(blind) != len(rows):
        print(agreement_line(f"{title}, blind only", pairs(blind)))
    for group in ("domains", "real"):
        in_group = [r for r in rows if r[0]["set"].startswith(group)]
        if in_group and len(in_group) != len(rows):
            print(agreement_line(f"{title}: {group}", pairs(in_group)))
            blind_in_group = [r for r in in_group if not r[0].get("contaminated")]
            if len(blind_in_group) != len(in_group):
                print(agreement_line(f"{title}: {group}, blind only", pairs(blind_in_group)))


def compare() -> None:
    originals = {
        (name, item["id"]): item for name, path in benchmark_sets() for item in load_items(path)
    }
    audit = load_yaml(AUDIT.read_text(encoding="utf-8"))["items"]
    rounds = committed_rounds(audit)
    if [(round_of(mine), mine["set"], mine["id"]) for mine in audit] != drawn_keys(audit):
        sys.exit("bench/label_audit.yaml does not hold exactly the drawn sample, in draw order")
    rows = [(mine, originals[(mine["set"], mine["id"])]) for mine in audit]
    for round_number in ROUNDS:
        _, groups = ROUNDS[round_number]
        covered = audited_sets(audit, round_number)
        not_yet = [
            name
            for name, _ in benchmark_sets()
            if name.split("/")[0] in groups and name not in covered
        ]
        if not_yet:
            print(
                f"round {round_number}, not yet audited (no second labels committed): "
                + ", ".join(not_yet)
                + "\n"
            )

    def pairs(selected: list[tuple[dict, dict]]) -> list[tuple[str, str]]:
        return [(original["label"], mine["label"]) for mine, original in selected]

    print("agreement (original vs second reader), 95 % interval, Cohen's kappa")
    print_agreement("all rounds", rows)
    if len(rounds) > 1:
        for round_number in rounds:
            print_agreement(
                f"round {round_number}", [r for r in rows if round_of(r[0]) == round_number]
            )
    print("\nper set, all rounds (and each round's agreed/items when there are several)")
    for name, _ in benchmark_sets():
        in_set = [r for r in rows if r[0]["set"] == name]
        if not in_set:
            continue
        line = agreement_line(name, pairs(in_set))
        set_rounds = sorted({round_of(mine) for mine, _ in in_set})
        if len(set_rounds) > 1:
            for round_number in set_rounds:
                in_round = pairs([r for r in in_set if round_of(r[0]) == round_number])
                agreed = sum(first == second for first, second in in_round)
                line += f"  r{round_number} {agreed}/{len(in_round)}"
        print(line)

    for group in ("all", "domains", "real"):
        selected = [r for r in rows if group == "all" or r[0]["set"].startswith(group)]
        table = Counter(pairs(selected))
        print(f"\nconfusion, {group}, all rounds (rows: original, columns: second reader)")
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
    print(
        "\nabout, all rounds: " + ", ".join(f"{g} {k} {n}" for (g, k), n in sorted(about.items()))
    )

    verdicts: Counter[str] = Counter()
    print("\ndisagreements")
    for mine, original in rows:
        if mine["label"] == original["label"]:
            continue
        verdict = mine.get("verdict", "?")
        verdicts[verdict] += 1
        print(
            f"\n{mine['set']} {mine['id']} (round {round_of(mine)}): original {original['label']}, "
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
        (f"{mine['set'].split('/')[0]} round {round_of(mine)}", mine.get("verdict", "?"))
        for mine, original in rows
        if mine["label"] != original["label"]
    )
    print(
        "verdicts by group and round: "
        + ", ".join(f"{g} {v} {n}" for (g, v), n in sorted(by_group.items()))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("sample", "compare"))
    parser.add_argument(
        "--round",
        type=int,
        choices=sorted(ROUNDS),
        default=1,
        help="which round `sample` draws (round 2: 6 more items per real source)",
    )
    args = parser.parse_args()
    if args.mode == "sample":
        print_sample(args.round)
    else:
        compare()


if __name__ == "__main__":
    main()
