"""Time `baseline create` and `baseline verify` on the benchmark spec repos (bench/repo_shape.py).

    python bench/bench_baseline.py                    # N = 1,000 and 10,000
    python bench/bench_baseline.py -n 100000 --repeat 3 --dir /tmp/bench

For each N it builds (or reuses, with --dir) the realistic shape (three
baselines with real SSH sign-offs at earlier commits, drift since the last
one, records) and the bare shape (the same repo without a baseline), then
runs the CLI as a user would (`python -m reqtrace ...`, interpreter start
included):

- `baseline create` of a new baseline at HEAD (committed; the commit and the
  tag are undone before the next run), on both shapes: cold, warm (the parse
  pack a first create wrote), and after a `check` (which kept the earlier
  baselines' digests, as when a user checks before freezing);
- `baseline verify release-3.0` (two SSH sign-offs; cold, warm, and cold with
  `--deep`, which recomputes every digest as a format 1 manifest always does)
  and `baseline verify` (every baseline) on the realistic shape. Repos built
  by earlier versions hold format 1 manifests (no blob ids): build a new one
  (another --dir) to measure the blob-id path.

"cold" runs start without .git/reqtrace/ (reqtrace's caches), "warm" runs
keep it. Each line gives the best and the median wall time of `--repeat`
runs, the CPU time (user + system of reqtrace and its git and ssh-keygen
children, which moves much less than wall time on a shared machine) and the
peak RSS. Not a test: results go to docs/performance.md by hand.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import repo_shape
from bench_check import machine, measure


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, action="append", help="requirements (repeatable; default 1000 and 10000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (default 5)")
    parser.add_argument("--dir", type=Path, help="build the repos here (reused when already built)")
    options = parser.parse_args()
    sizes = options.n or [1000, 10000]
    reqtrace = [sys.executable, "-m", "reqtrace"]
    print(f"machine: {machine()}")
    print(f"date: {time.strftime('%Y-%m-%d')}, load average before: {os.getloadavg()[0]:.2f}")
    base = options.dir or Path(tempfile.mkdtemp(prefix="reqtrace-bench-"))
    env = repo_shape.bench_env(base)
    try:
        for n in sizes:
            for baselines in (3, 0):
                root = repo_shape.build(base, n, baselines=baselines)
                print(f"N = {n:,}, {baselines} baselines: {root}", flush=True)
                head = subprocess.run(
                    ["git", "rev-parse", "HEAD"], cwd=root, env=env, capture_output=True, text=True, check=True
                ).stdout.strip()
                cache = root / ".git" / "reqtrace"

                def undo(root: Path = root, head: str = head) -> None:
                    subprocess.run(["git", "reset", "-q", "--hard", head], cwd=root, env=env, check=True)
                    subprocess.run(["git", "tag", "-d", "baseline/bench"], cwd=root, env=env, capture_output=True, check=False)

                def undo_cold(root: Path = root, head: str = head, cache: Path = cache) -> None:
                    undo(root, head)
                    shutil.rmtree(cache, ignore_errors=True)

                create = [*reqtrace, "baseline", "create", "bench", "-m", "bench", "--format", "json"]
                measure("baseline create (cold)", create, root, options.repeat, undo_cold, env)
                measure("baseline create (warm)", create, root, options.repeat, undo, env)
                undo(root, head)
                # As users create one: after a `check`, which kept the earlier baselines' digests.
                subprocess.run([*reqtrace, "check", "--format", "json"], cwd=root, env=env, capture_output=True, check=False)
                measure("baseline create (after a check)", create, root, options.repeat, undo, env)
                undo(root, head)
                if baselines:
                    verify = [*reqtrace, "baseline", "verify", "release-3.0", "--format", "json"]
                    measure("baseline verify release-3.0 (cold)", verify, root, options.repeat, lambda cache=cache: shutil.rmtree(cache, ignore_errors=True), env)
                    measure("baseline verify release-3.0 (warm)", verify, root, options.repeat, None, env)
                    # Every digest recomputed as well: what a format 1 manifest always costs.
                    measure("baseline verify release-3.0 --deep (cold)", [*verify, "--deep"], root, options.repeat, lambda cache=cache: shutil.rmtree(cache, ignore_errors=True), env)
                    every = [*reqtrace, "baseline", "verify", "--format", "json"]
                    measure("baseline verify, all 3 (warm)", every, root, options.repeat, None, env)
    finally:
        if options.dir is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
