"""Hostile caches: bit flips, truncation, garbage, an entry under another's key and a
pickle that runs code, in every cache reqtrace keeps under .git/reqtrace/. A cache is a
hint: with any of it damaged, every command answers exactly as it did with it intact."""

from __future__ import annotations

import builtins
import pickle
import shutil
from pathlib import Path

import pytest

from .kit import ANY, Case, Outcome, judge, rng, run

pytestmark = pytest.mark.hostile

COMMANDS = {
    "check": ["check"],
    "list": ["list", "--format", "json"],
    "list-at-baseline": ["list", "--rev", "contract-v1.0", "--format", "json"],
    "diff": ["diff", "contract-v1.0", "--format", "json"],
    "trace": ["trace", "REQ-4"],
    "impact-at-head": ["impact", "REQ-4", "--rev", "HEAD"],
    "status": ["status"],
    "triage": ["triage", "--all", "--format", "json"],
}
# Which cache files each kind is (globs under .git/reqtrace), and the commands that read them.
CATEGORIES = {
    "parse-entry": ("parse/*.json", ("check", "list", "list-at-baseline")),
    "parse-packed": ("parse/*.idx", ("check", "list", "diff")),
    "graph": ("graph/*.bin", ("trace", "impact-at-head", "status")),
    "triage-index": ("triage-index/*.idx", ("triage",)),
    "triage-baselines": ("triage-index/baselines-*", ("triage",)),
}
MUTATIONS = ("bit-flip", "bit-flip-2", "bit-flip-in-title", "bit-flip-in-title-2", "truncated-half", "empty", "garbage", "evil-pickle", "other-entry", "appended")
FILES_PER_CATEGORY = {"parse-entry": 3}


class _Evil:
    """Unpickled by a careless loader, it creates a file outside the repo."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (builtins.open, (str(self.target), "w"))


def cache_specs() -> list[tuple[str, str, int, str]]:
    specs = []
    for category in CATEGORIES:
        for index in range(FILES_PER_CATEGORY.get(category, 1)):
            for mutation in MUTATIONS:
                specs.append((f"cache:{category}-{index}:{mutation}", category, index, mutation))
    return specs


SPECS = cache_specs()


@pytest.fixture(scope="module")
def warm(demo_ws, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The demo with every cache filled, each command's answer, and a copy of the caches."""
    answers: dict[str, Outcome] = {}
    for _ in range(2):
        for name, argv in COMMANDS.items():
            answers[name] = run(argv, demo_ws.repo)
    for name, argv in COMMANDS.items():  # the answer with a warm cache is stable
        again = run(argv, demo_ws.repo)
        assert (again.code, again.stdout) == (answers[name].code, answers[name].stdout), f"{name} answers differently twice in a row"
    caches = demo_ws.repo / ".git" / "reqtrace"
    pristine = tmp_path_factory.mktemp("pristine-cache") / "reqtrace"
    shutil.copytree(caches, pristine)
    return answers, caches, pristine


def _titles(repo: Path) -> list[bytes]:
    """The requirements' titles, as the caches may store them."""
    titles = []
    for path in sorted((repo / "specs").rglob("*.yaml")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("title: ") and len(line) > 20:
                titles.append(line[len("title: ") :].strip().strip("'\"").encode())
    return titles


def _mutate(data: bytes, mutation: str, random, other: bytes, evil_target: Path, titles: list[bytes]) -> bytes:  # type: ignore[no-untyped-def]
    if mutation.startswith("bit-flip-in-title"):
        # One bit that keeps the file well-formed: the case of a letter in a stored title.
        found = [(data.find(title), title) for title in titles if title in data]
        if found:
            start, title = found[random.randrange(len(found))]
            letters = [start + i for i, byte in enumerate(title) if 97 <= byte <= 122]
            offset = letters[random.randrange(len(letters))]
            return data[:offset] + bytes([data[offset] ^ 0x20]) + data[offset + 1 :]
    if mutation.startswith("bit-flip") and data:
        offset = random.randrange(len(data))
        return data[:offset] + bytes([data[offset] ^ (1 << random.randrange(8))]) + data[offset + 1 :]
    if mutation == "truncated-half":
        return data[: len(data) // 2]
    if mutation == "empty":
        return b""
    if mutation == "garbage":
        return bytes(random.randrange(256) for _ in range(max(16, len(data))))
    if mutation == "evil-pickle":
        return pickle.dumps(_Evil(evil_target), protocol=2)
    if mutation == "other-entry":
        return other  # a well-formed entry, under the wrong key
    return data + b"\x00trailing"


def _first_difference(before: str, after: str) -> str:
    for old, new in zip(before.splitlines(), after.splitlines(), strict=False):
        if old != new:
            return f"{old.strip()!r} became {new.strip()!r}"
    return f"{len(before.splitlines())} lines became {len(after.splitlines())}"


@pytest.mark.parametrize("spec", SPECS, ids=[spec[0] for spec in SPECS])
def test_hostile_cache(demo_ws, warm, spec: tuple[str, str, int, str]) -> None:  # type: ignore[no-untyped-def]
    label, category, index, mutation = spec
    answers, caches, pristine = warm
    pattern, commands = CATEGORIES[category]
    files = sorted(path for path in caches.glob(pattern) if path.is_file())
    everything = sorted(path for path in caches.rglob("*") if path.is_file())
    assert everything, "no cache files at all: did the caches move? update CATEGORIES"
    files = files or everything  # a category the code no longer has: attack whatever exists
    random = rng(label)
    target = files[(random.randrange(len(files)) + index) % len(files)]
    others = [path for path in files if path != target] or [path for path in everything if path != target]
    other = others[random.randrange(len(others))].read_bytes() if others else b""
    original = target.read_bytes()
    evil_target = demo_ws.outside / "pwned-by-cache"
    damaged = _mutate(original, mutation, random, other, evil_target, _titles(demo_ws.repo))
    try:
        for command in commands:
            target.write_bytes(damaged)
            case = Case("cache", f"{category}-{index}:{mutation} ({target.relative_to(caches)}) {command}", allowed=ANY)
            sentinel = demo_ws.sentinel()
            outcome = run(COMMANDS[command], demo_ws.repo)
            judge(case, outcome, sentinel)
            expected = answers[command]
            assert (outcome.code, outcome.stdout) == (expected.code, expected.stdout), (
                f"[{case.id}] a damaged cache changed the answer (exit {expected.code} -> {outcome.code}): "
                + _first_difference(expected.stdout, outcome.stdout)
            )
    finally:
        shutil.rmtree(caches)
        shutil.copytree(pristine, caches)
        evil_target.unlink(missing_ok=True)
