"""Benchmark `reqtrace pack build` and `pack verify` (issue 7).

    python bench/bench_pack.py                      # 10,000 requirements + 5,000 records
    python bench/bench_pack.py -n 2000 --records 1000 --keep --dir /tmp/packbench

Generates a spec repo: N requirements (with parents, some Chinese text),
records = 80 % requests, 10 % meeting minutes, 10 % raw .eml messages; commit
1 becomes baseline `bench` (`reqtrace baseline create`, then `baseline sign`
with an SSH key made for the run), a last commit changes 1 % of the
requirements and approves half of those changes. Then it times, as subprocesses, `pack
build bench` (HEAD) and `pack verify --signers FILE`, `--repeat` times each,
and prints the best and median wall time and the peak RSS (from wait4).
Targets (2 cores): build <= 10 s and <= 1 GB; verify <= 3 s.
This is a benchmark, not a test: nothing fails.
"""

from __future__ import annotations

import argparse
import hashlib
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

WORDS = (
    "parcel depot shipment slot courier reminder calendar cancel confirm schedule record "
    "invoice payment report export message notify account login password holiday weekday"
).split()
CHINESE = ("客户可以在线下单", "取消订单须提前二十四小时", "系统应发送短信提醒", "前台可以查看待办名单")
AREAS = ("booking", "accounts", "reports", "notifications", "admin")


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def requirement(number: int, rng: random.Random, revised: bool) -> str:
    parents = f"[REQ-{rng.randrange(1, number)}]" if number > 1 else "[]"
    statement = sentence(rng, 14) + (" " + rng.choice(CHINESE) + "。" if number % 5 == 0 else "")
    if revised:
        statement += " Revised after delivery."
    acceptance = "".join(f"  - {sentence(rng, 8)}\n" for _ in range(rng.choice((1, 2, 3))))
    return (
        f"id: REQ-{number}\ntitle: {sentence(rng, 4)[:-1]}\nstatement: >\n  {statement}\nacceptance:\n{acceptance}"
        f"priority: {rng.choice(('must', 'should', 'could'))}\nstatus: approved\nparents: {parents}\n"
        f"tags: [{AREAS[number % len(AREAS)]}]\nowner: Li Wei\n"
    )


def git(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True, env={**os.environ, **(env or {})}).stdout.strip()


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))


def commit(root: Path, message: str, date: str) -> str:
    env = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    git(root, "add", "-A", env=env)
    git(root, "commit", "-q", "--no-verify", "-m", message, env=env)
    return git(root, "rev-parse", "HEAD")


def generate(root: Path, n: int, records: int, seed: int = 7) -> Path:
    """The spec repo; returns the allowed-signers file kept outside it."""
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not secrets
    root.mkdir(parents=True)
    git(root, "init", "-q")
    git(root, "config", "user.name", "Bench")
    git(root, "config", "user.email", "bench@vendor.example")
    git(root, "config", "commit.gpgsign", "false")
    n_requests, n_meetings = records * 8 // 10, records // 10
    n_mails = records - n_requests - n_meetings
    files: dict[str, str | bytes] = {"reqtrace.yaml": "project: Bench project\ncustomer: Bench depot\n"}
    for i in range(1, n + 1):
        files[f"specs/{AREAS[i % len(AREAS)]}/{i // 1000:03d}/REQ-{i}.yaml"] = requirement(i, rng, False)
    for i in range(1, n_meetings + 1):
        refs = ", ".join(f"REQ-{rng.randrange(1, n + 1)}" for _ in range(3))
        files[f"records/meetings/MTG-{i}.md"] = f"---\nid: MTG-{i}\ndate: 2026-01-{1 + i % 28:02d}\ntitle: {sentence(rng, 4)}\nrefs: [{refs}]\n---\n# Minutes\n\n{sentence(rng, 40)}\n"
    for i in range(1, n_mails + 1):
        files[f"records/emails/{i:05d}-message.eml"] = (
            f"From: customer{i}@depot.example\r\nTo: li.wei@vendor.example\r\nSubject: REQ-{rng.randrange(1, n + 1)} {sentence(rng, 5)}\r\n"
            f"Message-ID: <{i}@depot.example>\r\nDate: Tue, 10 Feb 2026 09:00:00 +0800\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{sentence(rng, 60)}\r\n"
        ).encode()
    write(root, files)
    baseline_commit = commit(root, "contract scope", "2026-02-20T10:00:00+00:00")

    keys = root.parent / f"{root.name}-keys"
    keys.mkdir(exist_ok=True)
    key = keys / "vendor"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True, capture_output=True)
    kind, blob = (keys / "vendor.pub").read_text().split()[:2]
    signers = keys / "allowed_signers"
    signers.write_text(f'li.wei@vendor.example namespaces="reqtrace" {kind} {blob}\n')
    write(root, {".reqtrace/allowed_signers": signers.read_text()})
    commit(root, "trust the vendor's key", "2026-02-20T10:10:00+00:00")
    reqtrace = [sys.executable, "-m", "reqtrace"]
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1771582200", "GIT_AUTHOR_DATE": "2026-02-20T10:10:00+00:00", "GIT_COMMITTER_DATE": "2026-02-20T10:10:00+00:00"}
    subprocess.run([*reqtrace, "baseline", "create", "bench", "--rev", baseline_commit, "-m", "Bench scope"], cwd=root, check=True, capture_output=True, env=env)
    subprocess.run([*reqtrace, "baseline", "sign", "bench", "--signer", "Li Wei <li.wei@vendor.example>", "--meaning", "approved", "--role", "vendor", "--key", str(key)], cwd=root, check=True, capture_output=True, env=env)

    changed = rng.sample(range(1, n + 1), max(1, n // 100))
    later: dict[str, str | bytes] = {}
    for i in changed:
        later[f"specs/{AREAS[i % len(AREAS)]}/{i // 1000:03d}/REQ-{i}.yaml"] = requirement(i, random.Random(i), True)  # noqa: S311
    for i in range(1, n_requests + 1):
        affects = f"[REQ-{changed[i - 1]}]" if i <= len(changed) // 2 else f"[REQ-{rng.randrange(1, n + 1)}]"
        decision = "decision:\n  status: approved\n  by: Li Wei\n  on: 2026-03-01\n" if i <= len(changed) // 2 else ""
        later[f"records/requests/RQ-{i}.yaml"] = f"id: RQ-{i}\nreceived: 2026-02-{1 + i % 28:02d}\nfrom: Customer {i}\nchannel: email\ntitle: {sentence(rng, 5)}\ntext: {sentence(rng, 25)}\naffects: {affects}\n{decision}"
    write(root, later)
    commit(root, "changes and requests after delivery", "2026-03-02T10:00:00+00:00")
    return signers


def timed(argv: list[str], cwd: Path) -> tuple[float, int, int, float]:
    """(wall seconds, peak RSS bytes, exit code, CPU seconds) of one subprocess."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        sys.stderr.write(proc.stderr.read().decode() if proc.stderr else "")
    return wall, usage.ru_maxrss * 1024, proc.returncode, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=10_000, help="requirements (default 10,000)")
    parser.add_argument("--records", type=int, default=5_000, help="records (default 5,000)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, help="where to generate (default: a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the generated repo and packs")
    args = parser.parse_args()

    work = args.dir or Path(tempfile.mkdtemp(prefix="reqtrace-bench-pack-"))
    repo = work / "repo"
    try:
        started = time.perf_counter()
        signers = generate(repo, args.n, args.records) if not repo.exists() else work / "repo-keys" / "allowed_signers"
        print(f"generated {args.n:,} requirements + {args.records:,} records in {time.perf_counter() - started:.1f} s ({repo})")
        reqtrace = [sys.executable, "-m", "reqtrace"]
        load = os.getloadavg()
        out = work / "pack.zip"
        results = {}
        for label, argv, cwd in (
            ("pack build", [*reqtrace, "pack", "build", "bench", "-o", str(out)], repo),
            ("pack verify", [*reqtrace, "pack", "verify", str(out), "--signers", str(signers)], work),
        ):
            runs = [timed(argv, cwd) for _ in range(args.repeat)]
            if any(run[2] for run in runs):
                print(f"{label}: failed (exit {[run[2] for run in runs]})")
            walls = [run[0] for run in runs]
            results[label] = (walls[0], min(walls), statistics.median(walls), max(run[1] for run in runs), min(run[3] for run in runs))
        size = out.stat().st_size
        digest = hashlib.sha256(out.read_bytes()).hexdigest()[:16]
        print(f"machine: {platform.node()} · {platform.machine()} · {os.cpu_count()} cores · Python {platform.python_version()} · {platform.platform()}")
        print(f"pack: {size / 1e6:.1f} MB, sha256 {digest}…")
        print(f"load average before: {load[0]:.2f} (another job on the 2 cores inflates wall time; CPU time less so)")
        print("first: the first run, on a fresh repository (no .git/reqtrace/ cache yet); best/median: of all runs; CPU: the least of all runs")
        print(f"{'command':<14}{'first':>9}{'best':>9}{'median':>9}{'CPU':>9}{'peak RSS':>11}")
        for label, (first, best, median, rss, cpu) in results.items():
            print(f"{label:<14}{first:>8.2f}s{best:>8.2f}s{median:>8.2f}s{cpu:>8.2f}s{rss / 2**20:>9.0f} MB")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
