"""Time the everyday commands on the realistic shape and on the bare one (no baseline).

    python bench/bench_commands.py --dir /tmp/bench -n 10000            # both shapes, median of 5
    python bench/bench_commands.py --dir /tmp/bench -n 100000 --repeat 3

Builds (or reuses) the repos of bench/repo_shape.py — N requirements, three
signed baselines at earlier commits, drift after the last one, records — and
its bare twin, then runs each command as a user would (`python -m reqtrace …`,
start-up included): `trace REQ-1`, `impact REQ-1`, `status` cold (no
`.git/reqtrace/`) and warm, `diff` from the accepted baseline warm, `pack
build` of the accepted baseline (first run and again), `--version` and
`--help` (`--cold-only`: only the cold runs; `--id ID`, again for more: trace
and impact of those ids instead of REQ-1, the root of the hierarchy). Prints the median wall time, the median CPU time (user + system of
reqtrace and its git children, from wait4: the steadier figure on a shared
machine) and the peak RSS. A benchmark, not a test: nothing fails.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from repo_shape import build  # noqa: E402 - the sibling module, found through the path above


def run(args: list[str], cwd: Path) -> tuple[float, float, int, int]:
    """(wall s, CPU s of the process and its children, peak RSS bytes, exit code)."""
    began = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "reqtrace", *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    errors = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        print(f"  reqtrace {' '.join(args)}: exit {code}: {errors.decode()[-300:]}", file=sys.stderr)
    return time.perf_counter() - began, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, code


def measure(label: str, args: list[str], cwd: Path, repeat: int, *, cold: bool = False) -> tuple[str, float, float, int]:
    walls, cpus, peak = [], [], 0
    for _ in range(repeat):
        if cold:
            shutil.rmtree(cwd / ".git" / "reqtrace", ignore_errors=True)
        wall, cpu, rss, _ = run(args, cwd)
        walls.append(wall)
        cpus.append(cpu)
        peak = max(peak, rss)
    return label, statistics.median(walls), statistics.median(cpus), peak


def accepted_name(root: Path) -> str | None:
    names = sorted(p.name for p in (root / "baselines").iterdir()) if (root / "baselines").is_dir() else []
    return names[-1] if names else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, required=True, help="where the repos are built (reused when there)")
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--bare", action=argparse.BooleanOptionalAction, default=True, help="also measure the bare twin")
    parser.add_argument("--cold-only", action="store_true", help="only the cold runs of status, trace and impact")
    parser.add_argument("--id", action="append", dest="ids", help="the ids to trace and ask the impact of (again for more; default REQ-1, the root of the hierarchy)")
    parser.add_argument("--no-status", action="store_true", help="with --cold-only: leave out status")
    options = parser.parse_args()
    shapes = [("realistic", build(options.dir, options.n))]
    if options.bare:
        shapes.append(("bare", build(options.dir, options.n, baselines=0)))
    print(f"machine: {platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()} · {platform.platform()}")
    print(f"load average before: {os.getloadavg()[0]:.2f}; N = {options.n:,}; median of {options.repeat}")
    for shape, root in shapes:
        name = accepted_name(root)
        if options.cold_only:
            rows = [] if options.no_status else [measure("status cold", ["status", "--format", "json"], root, options.repeat, cold=True)]
            for item_id in options.ids or ["REQ-1"]:
                rows.append(measure(f"trace {item_id} cold", ["trace", item_id, "--format", "json"], root, options.repeat, cold=True))
                rows.append(measure(f"impact {item_id} cold", ["impact", item_id, "--format", "json"], root, options.repeat, cold=True))
        else:
            rows = [
                measure("--version", ["--version"], root, options.repeat),
                measure("--help", ["--help"], root, options.repeat),
                measure("status cold", ["status", "--format", "json"], root, options.repeat, cold=True),
                measure("status warm", ["status", "--format", "json"], root, options.repeat),
                measure("trace REQ-1 cold", ["trace", "REQ-1", "--format", "json"], root, options.repeat, cold=True),
                measure("trace REQ-1 warm", ["trace", "REQ-1", "--format", "json"], root, options.repeat),
                measure("impact REQ-1 cold", ["impact", "REQ-1", "--format", "json"], root, options.repeat, cold=True),
                measure("impact REQ-1 warm", ["impact", "REQ-1", "--format", "json"], root, options.repeat),
            ]
        if name is not None and not options.cold_only:
            rows.append(measure(f"diff {name} warm", ["diff", name, "--format", "json"], root, options.repeat))
            out = options.dir / f"{root.name}.zip"
            rows.append(measure("pack build", ["pack", "build", name, "-o", str(out)], root, options.repeat))
        print(f"\n{shape}: {root}")
        print(f"{'command':<28}{'wall':>9}{'CPU':>9}{'peak RSS':>11}")
        for label, wall, cpu, rss in rows:
            print(f"{label:<28}{wall:>8.2f}s{cpu:>8.2f}s{rss / 2**20:>8.0f} MB")


if __name__ == "__main__":
    main()
