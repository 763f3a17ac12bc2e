"""The parse of a spec repo's files in one process, stage by stage: µs per file.

What every cold command pays for each file (on two cores), without git, the
parse pack or the worker: reading the bytes, the YAML, the schema checks,
building the items, and a requirement's digest. Each stage is timed alone with
`time.process_time` over every file, best of --repeat runs; the parsers' own
time is timed too, and "items" is what it costs beyond the YAML and the schema.

    python bench/bench_parse.py /tmp/bench/n10000-b3-s2 [--repeat 5] [--profile]

Measure before and after a change interleaved, on the same machine and load.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import os
import pstats
import sys
import time
from pathlib import Path
from typing import Any

from reqtrace.core.config import parse_config
from reqtrace.core.digest import canonical_bytes
from reqtrace.core.model import Requirement
from reqtrace.core.parse import Parsed, read_yaml_file
from reqtrace.core.schema import validate
from reqtrace.core.snapshot import FILE_KINDS, kind_finder


def _files(root: Path) -> list[tuple[str, Any]]:
    """(path relative to root, file kind) of every spec file, in path order."""
    config, _findings = parse_config((root / "reqtrace.yaml").read_bytes())
    kind_of = kind_finder(config)
    found = []
    for folder, _dirs, names in os.walk(root):
        if "/.git" in folder or folder.endswith(".git"):
            continue
        for name in names:
            path = os.path.relpath(os.path.join(folder, name), root)
            kind = kind_of(path)
            if kind is not None:
                found.append((path, kind))
    found.sort()
    return found


def _best(run: Any, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        gc.disable()  # as the commands parse: the collector paused (see snapshot)
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
        gc.enable()
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", type=Path, help="a spec repo (its working tree)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile the parsers and digests instead of timing stages")
    args = parser.parse_args()
    root = args.root
    config, _findings = parse_config((root / "reqtrace.yaml").read_bytes())
    files = _files(root)
    contents = [(path, kind, (root / path).read_bytes()) for path, kind in files]
    count = len(contents)

    def parse_all() -> list[Parsed]:
        return [kind.parser(path, data, config) for path, kind, data in contents]

    requirements = [item for parsed in parse_all() for item in parsed.items if type(item) is Requirement]

    def digest_all() -> None:
        for item in requirements:
            hashlib.sha256(canonical_bytes(item)).hexdigest()

    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        parse_all()
        digest_all()
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
        return 0

    front_matter = {kind.name: kind.name == "meeting" for kind in FILE_KINDS}

    def read_all() -> None:
        for path, _kind, _data in contents:
            with open(root / path, "rb") as handle:
                handle.read()

    def yaml_all() -> list[Any]:
        return [read_yaml_file(path, data, Parsed(), front_matter=front_matter[kind.name]) for path, kind, data in contents]

    loaded = yaml_all()

    def schema_all() -> None:
        for (_path, kind, _data), value in zip(contents, loaded, strict=True):
            if isinstance(value, dict):
                validate(value, kind.name, getattr(value, "line", 1))

    stages = {}
    stages["reading"] = _best(read_all, args.repeat)
    stages["YAML"] = _best(yaml_all, args.repeat)
    stages["schema"] = _best(schema_all, args.repeat)
    stages["parsers in all"] = _best(parse_all, args.repeat)
    stages["items (parsers - YAML - schema)"] = stages["parsers in all"] - stages["YAML"] - stages["schema"]
    stages["digests (per requirement)"] = _best(digest_all, args.repeat)
    print(f"{count} files, {len(requirements)} requirements, best of {args.repeat}, CPU")
    for name, seconds in stages.items():
        per = count if "requirement" not in name else max(len(requirements), 1)
        print(f"  {name:34} {seconds:7.3f} s  {seconds / per * 1e6:6.1f} µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
