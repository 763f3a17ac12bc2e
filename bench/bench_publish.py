"""Benchmark `reqtrace publish` on a synthetic spec repo (target: 10,000 requirements in <= 10 s).

    python bench/bench_publish.py                  # N = 10,000 in a temp folder
    python bench/bench_publish.py -n 1000 -n 10000 --dir /tmp/pub --keep

Builds the realistic repo of bench/repo_shape.py (N requirements with history,
three baselines signed by vendor and customer with SSH keys, drift since the last,
and records: about one for every two requirements), then
times `reqtrace publish -o DIR` as a subprocess: without reqtrace's parse cache
(.git/reqtrace/ removed: the first run), one page per document and
--single-page, into a fresh folder and over the previous publish. Best and
median of --repeat runs, CPU time and peak RSS. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import repo_shape  # noqa: E402 - the one generator of benchmark repos
from bench_check import machine, measure  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, action="append", help="number of requirements (repeatable; default 10000)")
    parser.add_argument("--commits", type=int, default=20, help="commits of history (default 20)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (default 3)")
    parser.add_argument("--dir", type=Path, help="generate here (reused when it already holds a repo of that N)")
    parser.add_argument("--keep", action="store_true", help="keep the generated repos")
    options = parser.parse_args()
    reqtrace = [sys.executable, "-m", "reqtrace"]
    print(f"machine: {machine()}")
    print(f"date: {time.strftime('%Y-%m-%d')}")
    base = options.dir or Path(tempfile.mkdtemp(prefix="reqtrace-bench-publish-"))
    try:
        for n in options.n or [10000]:
            start = time.perf_counter()
            # The shape users have (bench/repo_shape.py): history, three baselines signed by
            # vendor and customer, drift since the last, and records.
            folder = repo_shape.build(base, n, commits=options.commits)
            print(f"N = {n:,}: built (or reused) in {time.perf_counter() - start:.1f} s ({folder})", flush=True)
            site = base / f"site{n}"

            def fresh(site: Path = site) -> None:
                shutil.rmtree(site, ignore_errors=True)

            def cold(site: Path = site, cache: Path = folder / ".git" / "reqtrace") -> None:
                shutil.rmtree(site, ignore_errors=True)
                shutil.rmtree(cache, ignore_errors=True)

            publish = [*reqtrace, "publish", "-o", str(site)]
            measure("publish (no parse cache)", publish, folder, options.repeat, cold)
            measure("publish (fresh folder)", publish, folder, options.repeat, fresh)
            measure("publish (over the last publish)", publish, folder, options.repeat)
            measure("publish --single-page", [*publish, "--single-page"], folder, options.repeat, fresh)
            measure("publish --baseline release-1.0", [*publish, "--baseline", "release-1.0"], folder, options.repeat, fresh)
            pages = sorted(site.glob("*.html"))
            print(f"  {len(pages)} pages, {sum(p.stat().st_size for p in pages) / 1e6:.1f} MB in all", flush=True)
    finally:
        if not options.keep and options.dir is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
