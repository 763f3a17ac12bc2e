"""Benchmark `reqtrace check` on a synthetic spec repo (issue 2).

    python bench/bench_check.py                 # N = 1,000 and 10,000 in a temp folder
    python bench/bench_check.py -n 100000       # one size
    python bench/bench_check.py -n 10000 --dir /tmp/spec10k --keep

For each N it generates a spec repo with N requirements (with parents),
N/2 requests and N/10 meetings, and a history of `--commits` commits (written
with `git fast-import`, so a few hundred commits of 100,000 files take
seconds, not minutes), checks out the last one, then times `reqtrace check` as
a subprocess — at the working tree and at `--rev` — and `reqtrace --version` /
`--help`. Each command runs `--repeat` times; the table shows the best and
the median wall time and the peak RSS of the reqtrace process (from wait4).

"cold" runs start without reqtrace's parse cache (.git/reqtrace/ removed
first), "warm" runs reuse it. This is a benchmark, not a test: nothing fails.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

AREAS = ("booking", "accounts", "payments", "reports", "notifications", "admin", "calendar", "sync")
WORDS = (
    "patient clinic appointment slot doctor reminder calendar cancel confirm schedule "
    "record invoice payment report export message notify account login password "
    "holiday weekday morning evening receptionist director queue waiting list"
).split()
CHINESE = (
    "患者可以在线预约",
    "取消预约须提前二十四小时",
    "系统应发送短信提醒",
    "医生的排班表每周更新",
    "前台可以查看候诊名单",
)


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def requirement_path(number: int) -> str:
    return f"specs/{AREAS[number % len(AREAS)]}/{number // 1000:03d}/REQ-{number}.yaml"


def requirement_text(
    number: int, rng: random.Random, revision: int, n_requests: int, n_meetings: int
) -> bytes:
    parents = (
        sorted({rng.randrange(1, number) for _ in range(rng.choice((1, 1, 2)))})
        if number > 1
        else []
    )
    sources = []
    if n_meetings and rng.random() < 0.5:
        sources.append(f"MTG-{rng.randrange(1, n_meetings + 1)}")
    if n_requests and rng.random() < 0.3:
        sources.append(f"RQ-{rng.randrange(1, n_requests + 1)}")
    statement = sentence(rng, 14)
    if number % 5 == 0:
        statement += " " + rng.choice(CHINESE) + "。"
    if revision:
        statement += f" (revised {revision})"
    lines = [
        f"id: REQ-{number}",
        f"title: {sentence(rng, 4)[:-1]}",
        "statement: >",
        f"  {statement}",
        "acceptance:",
        *(f"  - {sentence(rng, 8)}" for _ in range(rng.choice((1, 2, 3)))),
        f"priority: {rng.choice(('must', 'should', 'could'))}",
        f"status: {rng.choice(('draft', 'proposed', 'approved', 'approved'))}",
        f"parents: [{', '.join(f'REQ-{p}' for p in parents)}]",
        f"sources: [{', '.join(sources)}]",
        f"tags: [{AREAS[number % len(AREAS)]}]",
        "owner: Li Wei",
        f"x-effort: {rng.randrange(1, 13)}",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def request_text(number: int, rng: random.Random, n_requirements: int) -> bytes:
    affects = sorted({rng.randrange(1, n_requirements + 1) for _ in range(2)})
    month = 1 + number % 12
    lines = [
        f"id: RQ-{number}",
        f"received: 2026-{month:02d}-{1 + number % 28:02d}",
        "from: Dr. Chen <chen@clinic.example>",
        f"channel: {rng.choice(('email', 'phone', 'meeting', 'ticket'))}",
        f"title: {sentence(rng, 5)[:-1]}",
        "text: |",
        f"  {sentence(rng, 20)}",
        f"  {rng.choice(CHINESE)}",
        f"refs: [REQ-{affects[0]}]",
        f"affects: [{', '.join(f'REQ-{a}' for a in affects)}]",
        "claimed: defect",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def meeting_text(number: int, rng: random.Random, n_requests: int, n_requirements: int) -> bytes:
    approves = f"RQ-{rng.randrange(1, n_requests + 1)}" if n_requests else ""
    lines = [
        "---",
        f"id: MTG-{number}",
        f"date: 2026-{1 + number % 12:02d}-{1 + number % 28:02d}",
        f"title: Review {number}",
        "attendees: [Dr. Chen, Li Wei, Anna Schmidt]",
        f"refs: [REQ-{rng.randrange(1, n_requirements + 1)}]",
        "decisions:",
        f"  - text: {sentence(rng, 8)}",
        f"    approves: [{approves}]",
        "---",
        f"# Review {number}",
        "",
        sentence(rng, 30),
        "",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


CONFIG = b"project: Synthetic benchmark\ncustomer: Nobody\n"


def generate(folder: Path, n: int, commits: int, seed: int = 2) -> None:
    """A spec repo with `commits` commits; the last one is checked out."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    n_requests, n_meetings = n // 2, max(1, n // 10)
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(folder)], check=True)
    importer = subprocess.Popen(
        ["git", "fast-import", "--quiet"], cwd=folder, stdin=subprocess.PIPE
    )
    assert importer.stdin is not None
    out = importer.stdin

    def blob(data: bytes) -> None:
        out.write(b"data %d\n" % len(data))
        out.write(data)
        out.write(b"\n")

    def commit(number: int, message: str, files: list[tuple[str, bytes]]) -> None:
        when = 1767225600 + number * 3600  # 2026-01-01, one hour apart
        out.write(b"commit refs/heads/main\n")
        out.write(b"committer Bench <bench@example.test> %d +0000\n" % when)
        blob_message = message.encode()
        out.write(b"data %d\n%s\n" % (len(blob_message), blob_message))
        for path, data in files:
            out.write(f"M 100644 inline {path}\n".encode())
            blob(data)

    # The first commit holds a tenth of everything; the rest arrives and changes over time.
    first = max(1, n // 10)
    files = [("reqtrace.yaml", CONFIG)]
    files += [
        (requirement_path(i), requirement_text(i, rng, 0, n_requests, n_meetings))
        for i in range(1, first + 1)
    ]
    commit(0, "initial requirements", files)
    remaining = list(range(first + 1, n + 1))
    per_commit = -(-len(remaining) // max(1, commits - 2))
    requests = list(range(1, n_requests + 1))
    meetings = list(range(1, n_meetings + 1))
    req_per_commit = -(-len(requests) // max(1, commits - 2))
    mtg_per_commit = -(-len(meetings) // max(1, commits - 2))
    for number in range(1, commits - 1):
        batch, remaining = remaining[:per_commit], remaining[per_commit:]
        changes = [
            (requirement_path(i), requirement_text(i, rng, 0, n_requests, n_meetings))
            for i in batch
        ]
        revised = [rng.randrange(1, first + 1) for _ in range(5)]
        changes += [
            (
                requirement_path(i),
                requirement_text(i, random.Random(i), number, n_requests, n_meetings),  # noqa: S311
            )
            for i in revised
        ]
        rq, requests = requests[:req_per_commit], requests[req_per_commit:]
        changes += [(f"records/requests/RQ-{i}.yaml", request_text(i, rng, n)) for i in rq]
        mt, meetings = meetings[:mtg_per_commit], meetings[mtg_per_commit:]
        changes += [
            (f"records/meetings/MTG-{i}.md", meeting_text(i, rng, n_requests, n)) for i in mt
        ]
        commit(number, f"change {number}", changes)
    # Whatever is left, so that every id that is referenced exists at HEAD.
    last = [
        (requirement_path(i), requirement_text(i, rng, 0, n_requests, n_meetings))
        for i in remaining
    ]
    last += [(f"records/requests/RQ-{i}.yaml", request_text(i, rng, n)) for i in requests]
    last += [
        (f"records/meetings/MTG-{i}.md", meeting_text(i, rng, n_requests, n)) for i in meetings
    ]
    commit(commits - 1, "last change", last)
    out.close()
    if importer.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=folder, check=True)


def run_once(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> tuple[float, float, float, int]:
    """(wall seconds, CPU seconds, peak RSS in MB, exit code) of one subprocess.

    CPU time (user + system, including a forked parse worker) shows the work
    done even when other jobs share the cores; peak RSS is the largest single
    process (reqtrace or its worker), as wait4 reports it.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(
        args,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
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
        "rss": max(rss),
        "exit": code,
    }
    print(
        f"  {label:<36} best {row['best']:7.3f} s   median {row['median']:7.3f} s   "
        f"cpu {row['cpu']:7.3f} s   peak {row['rss']:7.1f} MB   exit {code}",
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
    parser.add_argument("--commits", type=int, default=300, help="commits of history (default 300)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (default 3)")
    parser.add_argument(
        "--dir", type=Path, help="generate here (reused when it already holds a repo of that N)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated repos")
    options = parser.parse_args()
    sizes = options.n or [1000, 10000]
    reqtrace = [sys.executable, "-m", "reqtrace"]
    print(f"machine: {machine()}")
    print(f"date: {time.strftime('%Y-%m-%d')}, load average before: {os.getloadavg()[0]:.2f}")
    base = options.dir or Path(tempfile.mkdtemp(prefix="reqtrace-bench-"))
    try:
        here = Path.cwd()
        measure("reqtrace --version", [*reqtrace, "--version"], here, max(5, options.repeat))
        measure("reqtrace --help", [*reqtrace, "--help"], here, max(5, options.repeat))
        for n in sizes:
            folder = base / f"n{n}"
            if not (folder / ".git").is_dir():
                start = time.perf_counter()
                generate(folder, n, options.commits)
                print(
                    f"N = {n:,}: generated {n:,} requirements, {n // 2:,} requests, {max(1, n // 10):,} meetings, "
                    f"{options.commits} commits in {time.perf_counter() - start:.1f} s  ({folder})",
                    flush=True,
                )
            else:
                print(f"N = {n:,}: reusing {folder}", flush=True)
            cache = folder / ".git" / "reqtrace"

            def drop_cache(cache: Path = cache) -> None:
                shutil.rmtree(cache, ignore_errors=True)

            check = [*reqtrace, "check", "--format", "json"]
            middle = f"HEAD~{options.commits // 2}"
            measure("check (worktree, cold)", check, folder, options.repeat, drop_cache)
            measure(
                "check (worktree, cold, 1 process)",
                check,
                folder,
                options.repeat,
                drop_cache,
                {"REQTRACE_JOBS": "1"},
            )
            measure("check (worktree, warm)", check, folder, options.repeat)
            measure(
                "check --rev HEAD (cold)",
                [*check, "--rev", "HEAD"],
                folder,
                options.repeat,
                drop_cache,
            )
            measure("check --rev HEAD (warm)", [*check, "--rev", "HEAD"], folder, options.repeat)
            measure(
                f"check --rev {middle} (warm)", [*check, "--rev", middle], folder, options.repeat
            )
    finally:
        if not options.keep and options.dir is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
