"""Benchmark `reqtrace diff` and `reqtrace log` (issue 4). Not a test: it prints numbers.

    python bench/bench_diff.py                 # 10,000 and 100,000 requirements, and the log
    python bench/bench_diff.py --sizes 10000   # only some sizes
    python bench/bench_diff.py --keep /tmp/b   # keep the generated repos there

Repos are generated with one `git fast-import` stream (seconds, not minutes):
- diff-N: N requirements in folders of 100, N/10 requests; a second commit
  changes N/100 of the requirements (statement and acceptance edits, moves,
  additions, removals, a formatting-only edit) and approves half of them with
  new requests. `diff` is timed between the two commits and from the first
  commit to the working tree (checked out at the second).
- log: 10,000 requirements and 2,000 commits of 3 edits each; the followed
  requirement is edited every 20th commit, reformatted now and then, moved
  twice, and two baselines (tags baseline/*) are set along the way.

Each command runs as a user runs it (`python -m reqtrace ...`, interpreter start
included), with the parse cache removed (cold) and then kept (warm); wall time
is the best of five runs, memory the peak RSS of the reqtrace process.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"diff-10000": (0.3, None), "diff-100000": (1.5, 300), "log": (1.5, None)}
EPOCH = 1767225600  # 2026-01-01


def requirement(number: int, statement: str | None = None, version: int = 0) -> bytes:
    text = statement or f"The system shall handle case {number} within {number % 60 + 1} seconds of the request."
    return (
        f"id: REQ-{number}\n"
        f"title: Capability {number}\n"
        f"statement: {text}\n"
        "acceptance:\n"
        f"  - Case {number} is handled in a test with {version + 3} users.\n"
        f"  - 患者在{number % 28 + 1}天内可以预约。\n"
        "priority: should\n"
        "status: approved\n"
        f"parents: [REQ-{max(1, number // 10)}]\n"
        f"tags: [area-{number // 100}]\n"
    ).encode()


def request(number: int, affects: int, day: int, approved: bool = True) -> bytes:
    decision = f"decision:\n  status: {'approved' if approved else 'pending'}\n  by: Bench\n  on: 2026-01-{day:02d}\n"
    return (
        f"id: RQ-{number}\nreceived: 2026-01-{day:02d}\nfrom: Customer\nchannel: email\n"
        f"title: Change {affects}\ntext: Please change case {affects}.\naffects: [REQ-{affects}]\n{decision}"
    ).encode()


def req_path(number: int, area: int | None = None) -> str:
    return f"specs/area-{number // 100 if area is None else area}/REQ-{number}.yaml"


class FastImport:
    """Writes a `git fast-import` stream."""

    def __init__(self, repo: Path) -> None:
        subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
        self.proc = subprocess.Popen(["git", "fast-import", "--quiet", "--done"], cwd=repo, stdin=subprocess.PIPE)
        self.out = self.proc.stdin
        self.mark = 0
        self.commits = 0

    def commit(self, files: dict[str, bytes | None], message: str, when: int) -> int:
        self.mark += 1
        out = self.out
        message_bytes = message.encode()
        out.write(b"commit refs/heads/main\nmark :%d\n" % self.mark)
        out.write(b"author Bench Author <author@example.test> %d +0000\n" % when)
        out.write(b"committer Bench Author <author@example.test> %d +0000\n" % when)
        out.write(b"data %d\n%s\n" % (len(message_bytes), message_bytes))
        if self.commits:
            out.write(b"from :%d\n" % (self.mark - 1))
        for path, data in files.items():
            if data is None:
                out.write(b"D %s\n" % path.encode())
            else:
                out.write(b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))
        self.commits += 1
        return self.mark

    def tag(self, name: str, mark: int) -> None:
        self.out.write(b"reset refs/tags/%s\nfrom :%d\n\n" % (name.encode(), mark))

    def close(self) -> None:
        self.out.write(b"done\n")
        self.out.close()
        if self.proc.wait() != 0:
            raise SystemExit("git fast-import failed")


def make_diff_repo(repo: Path, n: int) -> dict[str, int]:
    rng = random.Random(n)  # noqa: S311 - repeatable test data, not secrets
    fi = FastImport(repo)
    files: dict[str, bytes | None] = {"reqtrace.yaml": b"project: Bench\n"}
    for number in range(1, n + 1):
        files[req_path(number)] = requirement(number)
    requests = n // 10
    for number in range(1, requests + 1):
        files[f"records/requests/RQ-{number}.yaml"] = request(number, rng.randint(1, n), 1 + number % 28)
    first = fi.commit(files, "baseline content", EPOCH)
    fi.tag("baseline/v1", first)
    changed = n // 100
    picked = rng.sample(range(2, n + 1), changed + 1)
    edits: dict[str, bytes | None] = {}
    counts = {"modified": 0, "moved": 0, "added": 0, "removed": 0, "formatting": 1}
    for index, number in enumerate(picked[:changed]):
        kind = index % 20
        if kind < 14:
            edits[req_path(number)] = requirement(number, f"The system shall handle case {number} within {number % 60 + 2} seconds.")
            counts["modified"] += 1
        elif kind < 16:
            edits[req_path(number)] = requirement(number, version=1)
            counts["modified"] += 1
        elif kind < 18:
            edits[req_path(number)] = None
            edits[req_path(number, area=number // 100 + 1)] = requirement(number)
            counts["moved"] += 1
        elif kind == 18:
            edits[req_path(n + index)] = requirement(n + index)
            counts["added"] += 1
        else:
            edits[req_path(number)] = None
            counts["removed"] += 1
        if index % 2 == 0:
            edits[f"records/requests/RQ-{requests + index + 1}.yaml"] = request(requests + index + 1, number if kind < 19 else n + index, 2)
    # A formatting-only edit: the same meaning, written differently.
    reformatted = picked[changed]
    edits[req_path(reformatted)] = requirement(reformatted).replace(b"statement: ", b"statement:\n  ")
    fi.commit(edits, f"change {changed} requirements", EPOCH + 86400)
    fi.close()
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=repo, check=True)
    return counts


def make_log_repo(repo: Path, n: int = 10_000, commits: int = 2_000, followed: int = 4_242) -> None:
    rng = random.Random(7)  # noqa: S311
    fi = FastImport(repo)
    files: dict[str, bytes | None] = {"reqtrace.yaml": b"project: Bench\n"}
    for number in range(1, n + 1):
        files[req_path(number)] = requirement(number)
    files["records/requests/RQ-1.yaml"] = request(1, followed, 5)
    when = EPOCH
    fi.commit(files, "initial requirements", when)
    where = req_path(followed)
    version = 0
    for index in range(1, commits):
        when += 3600
        edits: dict[str, bytes | None] = {}
        for number in rng.sample(range(1, n + 1), 3):
            if number != followed:
                edits[req_path(number)] = requirement(number, version=index)
        if index % 20 == 0:
            version += 1
            edits[where] = requirement(followed, version=version)
        elif index % 97 == 0:
            edits[where] = requirement(followed, version=version).replace(b"statement: ", b"statement:\n  ")
        if index in (700, 1400):  # moved to another folder (and file name)
            edits[where] = None
            where = f"specs/moved-{index}/capability-{followed}.yaml"
            edits[where] = requirement(followed, version=version)
        mark = fi.commit(edits, f"edit round {index}", when)
        if index in (500, 1500):
            fi.tag(f"baseline/v{index // 500}", mark)
    fi.close()
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=repo, check=True)


def measure(repo: Path, args: list[str], *, cold: bool, repeat: int = 5) -> tuple[float, float, float]:
    """Best wall time, best CPU time (reqtrace and its git children) and peak RSS (MB) over `repeat` runs."""
    best, best_cpu, peak = float("inf"), float("inf"), 0.0
    for _ in range(repeat):
        if cold:
            shutil.rmtree(repo / ".git" / "reqtrace", ignore_errors=True)
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "reqtrace", *args], cwd=repo, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            raise SystemExit(f"reqtrace {' '.join(args)} exited {code}: {proc.stderr.read().decode()[-800:]}")  # type: ignore[union-attr]
        best = min(best, wall)
        best_cpu = min(best_cpu, usage.ru_utime + usage.ru_stime)
        peak = max(peak, usage.ru_maxrss / 1024)
    return best, best_cpu, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--no-log", action="store_true")
    parser.add_argument("--keep", type=Path, help="generate (or reuse) the repos in this folder")
    options = parser.parse_args()
    base = options.keep or Path(tempfile.mkdtemp(prefix="reqtrace-bench-diff-"))
    base.mkdir(parents=True, exist_ok=True)
    env_note = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {subprocess.run(['git', '--version'], capture_output=True, text=True).stdout.strip()}"
    print(f"# reqtrace diff/log benchmark — {time.strftime('%Y-%m-%d')} — {env_note}; load average {os.getloadavg()[0]:.1f} at start")
    rows = []
    for size in [int(s) for s in options.sizes.split(",") if s]:
        repo = base / f"diff-{size}"
        if not (repo / ".git").exists():
            started = time.perf_counter()
            counts = make_diff_repo(repo, size)
            print(f"[generated {repo.name} in {time.perf_counter() - started:.1f} s: {counts}]", file=sys.stderr)
        target = TARGETS.get(f"diff-{size}", (None, None))
        for label, args in (
            (f"diff v1 main, {size:,} reqs, {size // 100:,} changed, json", ["diff", "v1", "main", "--format", "json"]),
            (f"diff v1 main, {size:,} reqs, text", ["diff", "v1", "main"]),
            (f"diff v1 (to the working tree), {size:,}, json", ["diff", "v1", "--format", "json"]),
        ):
            cold = measure(repo, args, cold=True)
            warm = measure(repo, args, cold=False)
            rows.append((label, cold, warm, target))
    if not options.no_log:
        repo = base / "log"
        if not (repo / ".git").exists():
            started = time.perf_counter()
            make_log_repo(repo)
            print(f"[generated log repo in {time.perf_counter() - started:.1f} s]", file=sys.stderr)
        for label, args in (
            ("log REQ-4242, 2,000 commits, 10,000 reqs, json", ["log", "REQ-4242", "--format", "json"]),
            ("log REQ-4242, text", ["log", "REQ-4242"]),
        ):
            cold = measure(repo, args, cold=True)
            warm = measure(repo, args, cold=False)
            rows.append((label, cold, warm, TARGETS["log"]))
    print(f"{'scenario':<48} {'cold wall':>9} {'cold CPU':>9} {'warm wall':>9} {'warm CPU':>9} {'peak MB':>8}  target (wall)")
    for label, cold, warm, (seconds, megabytes) in rows:
        goal = []
        if seconds is not None:
            goal.append(f"<= {seconds} s {'ok' if max(cold[0], warm[0]) <= seconds else 'MISSED' if cold[0] > seconds and warm[0] > seconds else 'warm ok, cold missed'}")
        if megabytes is not None:
            goal.append(f"<= {megabytes} MB {'ok' if max(cold[2], warm[2]) <= megabytes else 'MISSED'}")
        print(f"{label:<48} {cold[0]:>9.3f} {cold[1]:>9.3f} {warm[0]:>9.3f} {warm[1]:>9.3f} {max(cold[2], warm[2]):>8.0f}  {'; '.join(goal)}")
    version = measure(Path.cwd(), ["--version"], cold=False)
    print(f"{'reqtrace --version (start-up alone)':<48} {'':>9} {'':>9} {version[0]:>9.3f} {version[1]:>9.3f}")
    print(f"(best of 5 runs each; CPU = user + system time of reqtrace and its git children; load average {os.getloadavg()[0]:.1f} at the end)")
    if not options.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
