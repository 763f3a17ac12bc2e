"""How long does shell completion take to list the ids of a large spec repo?

    python bench/bench_completion.py            # 10,000 requirement files in 50 folders

Completion runs on every Tab press, so it reads file names only (completion.py).
Prints the best and the median of 5 runs of `repo_names`; docs/performance.md
records the figure (target: under 0.5 s at 10,000 requirements).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from reqtrace.cli.completion import repo_names  # noqa: E402


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "big"
        for n in range(10_000):
            folder = root / "specs" / f"area-{n % 50}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"REQ-{n}.yaml").write_text("id: x\n")
        (root / "reqtrace.yaml").write_text("project: Big\n")
        times = []
        for _ in range(5):
            started = time.perf_counter()
            names = repo_names(root)
            times.append(time.perf_counter() - started)
        assert len(names.requirements) == 10_000
    print(f"repo_names, 10,000 requirements: best {min(times):.3f} s, median {statistics.median(times):.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
