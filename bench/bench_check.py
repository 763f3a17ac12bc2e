"""Benchmark `reqtrace check` on the benchmark spec repos (bench/repo_shape.py).

    python bench/bench_check.py                 # N = 1,000 and 10,000 in a temp folder
    python bench/bench_check.py -n 100000 --repeat 3
    python bench/bench_check.py -n 10000 --dir /tmp/bench --keep
    python bench/bench_check.py -n 100000 --dir /tmp/bench --warm-only --repeat 3

For each N it builds (or reuses, with --dir) two spec repos of N requirements
with history and records (one for every two requirements): the realistic
shape, with three SSH-signed baselines at earlier commits and drift since the
last one, and the bare shape, the same without a baseline. It times
`reqtrace check` as a subprocess - at the working tree and at `--rev` - and
`reqtrace --version` / `--help`. Each command runs `--repeat` times; the table
shows the best and the median wall time, the CPU time (user + system of
reqtrace and its children) and the peak RSS of the largest process (wait4).

"cold" runs start without reqtrace's caches (.git/reqtrace/ removed first),
"warm" runs reuse them (`--cold-only`: only the cold runs). CPU is the lowest
of the runs, with the median beside it. This is a benchmark, not a test: nothing fails.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import repo_shape


def run_once(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> tuple[float, float, float, int]:
    """(wall seconds, CPU seconds, peak RSS in MB, exit code) of one subprocess.

    CPU time (user + system, including a forked parse worker) shows the work
    done even when other jobs share the cores; peak RSS is the largest single
    process (reqtrace or its worker), as wait4 reports it.
    """
    # As installed: bytecode is cached. With PYTHONDONTWRITEBYTECODE set (some CI images and
    # sandboxes set it), an editable install compiles every module it imports on every run.
    merged = {**os.environ, **(env or {})}
    merged.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    proc = subprocess.Popen(
        args,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=merged,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode


def measure(label: str, args: list[str], cwd: Path, repeat: int, before=None, env=None) -> dict:
    walls, cpus, rss, code = [], [], [], 0
    for _ in range(repeat):
        if before:
            before()
        wall, cpu, peak, code = run_once(args, cwd, env)
        walls.append(wall)
        cpus.append(cpu)
        rss.append(peak)
    row = {
        "what": label,
        "best": min(walls),
        "median": statistics.median(walls),
        "cpu": min(cpus),
        "cpu_median": statistics.median(cpus),
        "rss": max(rss),
        "exit": code,
    }
    print(
        f"  {label:<36} best {row['best']:7.3f} s   median {row['median']:7.3f} s   "
        f"cpu {row['cpu']:7.3f} s (median {row['cpu_median']:.3f})   peak {row['rss']:7.1f} MB   exit {code}",
        flush=True,
    )
    return row


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    return f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, {git}, {platform.system()} {platform.release()}"


def measure_check(reqtrace: list[str], folder: Path, repeat: int, commits: int, *, warm_only: bool = False, cold_only: bool = False) -> None:
    cache = folder / ".git" / "reqtrace"

    def drop_cache() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    check = [*reqtrace, "check", "--format", "json"]
    middle = f"HEAD~{commits // 2}"
    if warm_only:  # one run of each first, untimed, fills the caches
        for args in (check, [*check, "--rev", "HEAD"], [*check, "--rev", middle]):
            run_once(args, folder)
        measure("check (worktree, warm)", check, folder, repeat)
        measure("check --rev HEAD (warm)", [*check, "--rev", "HEAD"], folder, repeat)
        measure(f"check --rev {middle} (warm)", [*check, "--rev", middle], folder, repeat)
        return
    measure("check (worktree, cold)", check, folder, repeat, drop_cache)
    measure(
        "check (worktree, cold, 1 process)",
        check,
        folder,
        repeat,
        drop_cache,
        {"REQTRACE_JOBS": "1"},
    )
    if not cold_only:
        measure("check (worktree, warm)", check, folder, repeat)
    measure("check --rev HEAD (cold)", [*check, "--rev", "HEAD"], folder, repeat, drop_cache)
    if cold_only:
        return
    measure("check --rev HEAD (warm)", [*check, "--rev", "HEAD"], folder, repeat)
    measure(f"check --rev {middle} (warm)", [*check, "--rev", middle], folder, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "-n",
        type=int,
        action="append",
        help="number of requirements (repeatable; default 1000 and 10000)",
    )
    parser.add_argument("--commits", type=int, default=200, help="commits of history (default 200)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (default 5)")
    parser.add_argument(
        "--shape",
        choices=("both", "baselines", "bare"),
        default="both",
        help="which repos: with three signed baselines, without, or both (default)",
    )
    parser.add_argument(
        "--dir", type=Path, help="build the repos here (reused when already built)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the built repos")
    parser.add_argument("--warm-only", action="store_true", help="only the warm runs (each command run once first to fill the caches)")
    parser.add_argument("--cold-only", action="store_true", help="only the cold runs (no .git/reqtrace/), and not --version/--help")
    options = parser.parse_args()
    sizes = options.n or [1000, 10000]
    reqtrace = [sys.executable, "-m", "reqtrace"]
    print(f"machine: {machine()}")
    print(f"date: {time.strftime('%Y-%m-%d')}, load average before: {os.getloadavg()[0]:.2f}")
    base = options.dir or Path(tempfile.mkdtemp(prefix="reqtrace-bench-"))
    try:
        here = Path.cwd()
        if not options.cold_only:
            measure("reqtrace --version", [*reqtrace, "--version"], here, max(5, options.repeat))
            measure("reqtrace --help", [*reqtrace, "--help"], here, max(5, options.repeat))
        shapes = {"both": (3, 0), "baselines": (3,), "bare": (0,)}[options.shape]
        for n in sizes:
            for baselines in shapes:
                start = time.perf_counter()
                folder = repo_shape.build(base, n, baselines=baselines, commits=options.commits)
                print(
                    f"N = {n:,}, {baselines} baselines: {folder} "
                    f"(ready in {time.perf_counter() - start:.1f} s)",
                    flush=True,
                )
                measure_check(reqtrace, folder, options.repeat, options.commits, warm_only=options.warm_only, cold_only=options.cold_only)
    finally:
        if not options.keep and options.dir is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
