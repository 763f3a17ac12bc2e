"""Benchmark the evidence graph (issue 5): build time and `reqtrace trace` wall time.

    python bench/bench_graph.py                       # 10,000 requirements + 50,000 records
    python bench/bench_graph.py -n 1000 --records 5000
    python bench/bench_graph.py --dir /tmp/graph10k --keep

Generates a spec repo with N requirements (with parents and sources) and R
records: 40 % requests, 10 % meetings, 45 % emails (sidecar + stored
message) and 5 % documents, all linked to each other and to the requirements
the way real records are, committed to git. Then it times, in this process,
`load_snapshot` and `build_graph` (target: graph <= 1.0 s), and as
subprocesses `reqtrace trace ID` (target: <= 1.5 s including start-up):

- with no graph cache at all (the first run; .git/reqtrace/graph/ deleted);
- right after an edit — what a user meets most: a requirement's file edited,
  a request added, a commit made (working tree and `--rev HEAD`); each run
  changes the repo again, so each finds the graph cache one step behind;
- warm (asked again at the same state), at the working tree, at `--rev HEAD`
  and as JSON;

then `reqtrace impact REQ-1`, `reqtrace status` (no parse cache, and warm)
and `reqtrace --version`. Best and median of `--repeat` runs, and the median
CPU time (user + system) of the reqtrace process. The edits and commits are
undone at the end (`git reset --hard` to the generated commit). A benchmark,
not a test: nothing fails.
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

WORDS = "parcel depot shipment slot courier reminder calendar cancel confirm schedule record invoice report".split()
CHINESE = ("客户可以在线下单", "取消订单须提前二十四小时", "系统应发送短信提醒")


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize()


def generate(folder: Path, n: int, records: int, seed: int = 5) -> dict[str, int]:
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    n_requests, n_meetings, n_emails = records * 40 // 100, records * 10 // 100, records * 45 // 100
    n_documents = records - n_requests - n_meetings - n_emails
    mail_ids = [f"MAIL-{hashlib.sha256(str(i).encode()).hexdigest()[:10]}" for i in range(n_emails)]
    (folder / "reqtrace.yaml").parent.mkdir(parents=True, exist_ok=True)
    (folder / "reqtrace.yaml").write_text("project: Graph benchmark\n")

    def write(relative: str, text: str | bytes) -> None:
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")

    def req(count: int = 1) -> str:
        return ", ".join(f"REQ-{rng.randrange(1, n + 1)}" for _ in range(count))

    for number in range(1, n + 1):
        parents = f"REQ-{rng.randrange(1, number)}" if number > 1 else ""
        sources = []
        if n_emails and rng.random() < 0.4:
            sources.append(rng.choice(mail_ids))
        if n_meetings and rng.random() < 0.3:
            sources.append(f"MTG-{rng.randrange(1, n_meetings + 1)}")
        write(
            f"specs/{number // 1000:03d}/REQ-{number}.yaml",
            f"id: REQ-{number}\ntitle: {sentence(rng, 4)}\nstatement: {sentence(rng, 14)} {rng.choice(CHINESE)}\n"
            f"priority: must\nstatus: approved\nparents: [{parents}]\nsources: [{', '.join(sources)}]\n",
        )
    for number in range(1, n_requests + 1):
        decision = ""
        if n_meetings and rng.random() < 0.5:
            decision = f"decision:\n  status: {rng.choice(('approved', 'rejected'))}\n  on: 2026-06-10\n  in: MTG-{rng.randrange(1, n_meetings + 1)}\n"
        write(
            f"records/requests/{number // 1000:03d}/RQ-{number}.yaml",
            f"id: RQ-{number}\nreceived: 2026-{1 + number % 12:02d}-{1 + number % 28:02d}\nfrom: Requester {number % 40}\n"
            f"title: {sentence(rng, 5)}\nrefs: [{req()}]\naffects: [{req(2)}]\nsources: [{rng.choice(mail_ids) if mail_ids else ''}]\n{decision}",
        )
    for number in range(1, n_meetings + 1):
        approves = f"RQ-{rng.randrange(1, n_requests + 1)}" if n_requests else ""
        write(
            f"records/meetings/MTG-{number}.md",
            f"---\nid: MTG-{number}\ndate: 2026-{1 + number % 12:02d}-{1 + number % 28:02d}\ntitle: Review {number}\n"
            f"refs: [{req(2)}]\ndecisions:\n  - text: {sentence(rng, 8)}\n    approves: [{approves}]\n    refs: [{req()}]\n---\n# Review\n\n{sentence(rng, 30)}\n",
        )
    for number, mail_id in enumerate(mail_ids):
        thread = f"thread: [{mail_ids[number - 1]}]\n" if number and rng.random() < 0.4 else ""
        write(f"records/emails/{mail_id}.eml", f"Subject: Mail {number}\n\nAbout {req()}.\n")
        write(
            f"records/emails/{mail_id}.eml.yaml",
            f"id: {mail_id}\nmessage_id: <{number}@bench.example>\ndate: '2026-03-{1 + number % 28:02d}T09:00:00+08:00'\n"
            f"from: Chen Jing <chen@depot.example>\nto: [li@vendor.example]\nsubject: Mail {number}\n{thread}refs: [{req(2)}]\n",
        )
    for number in range(1, n_documents + 1):
        data = f"document {number}\n".encode()
        write(f"records/documents/doc-{number}.pdf", data)
        write(
            f"records/documents/doc-{number}.pdf.yaml",
            f"id: DOC-{number}\ntitle: Document {number}\ndate: 2026-05-01\nsha256: {hashlib.sha256(data).hexdigest()}\nrefs: [{req()}]\n",
        )
    return {"requirements": n, "requests": n_requests, "meetings": n_meetings, "emails": n_emails, "documents": n_documents}


CPU: list[float] = []  # CPU seconds (user + system) of the last subprocess runs


WALL: list[float] = []  # wall seconds of the last subprocess runs (edits made before them not counted)


def timed_runs(repeat: int, func) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    CPU.clear()
    WALL.clear()
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return times


def cli(folder: Path, *args: str) -> None:
    # wait4 gives the child's CPU time: on a machine shared with other work, wall
    # time says what a user waits, CPU time what reqtrace itself costs.
    began = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "reqtrace", *args], cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    errors = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    WALL.append(time.perf_counter() - began)
    CPU.append(usage.ru_utime + usage.ru_stime)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"reqtrace {' '.join(args)} failed: {errors.decode()[-500:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=10_000, help="requirements")
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    folder = args.dir or Path(tempfile.mkdtemp(prefix="reqtrace-graph-"))
    if not (folder / "reqtrace.yaml").exists():
        start = time.perf_counter()
        counts = generate(folder, args.n, args.records)
        subprocess.run(["git", "init", "-q", str(folder)], check=True)
        subprocess.run(["git", "add", "-A"], cwd=folder, check=True)
        subprocess.run(["git", "-c", "user.name=Bench", "-c", "user.email=bench@example.test", "commit", "-q", "-m", "bench"], cwd=folder, check=True)
        print(f"generated and committed {counts} in {time.perf_counter() - start:.1f} s under {folder}")
    try:
        from reqtrace.core.config import find_spec_repo
        from reqtrace.core.snapshot import load_snapshot
        from reqtrace.graph.graph import build_graph, load_graph_baselines

        repo = find_spec_repo(folder)
        loads = timed_runs(args.repeat, lambda: load_snapshot(repo))
        snapshot = load_snapshot(repo)
        baselines = load_graph_baselines(repo, snapshot)
        graph = build_graph(snapshot, baselines)
        builds = timed_runs(args.repeat, lambda: build_graph(snapshot, baselines))
        target = f"REQ-{args.n // 2}"
        cache = folder / ".git" / "reqtrace"

        def cold_trace() -> None:
            shutil.rmtree(cache / "graph", ignore_errors=True)
            cli(folder, "trace", target)

        cpu: dict[str, list[float]] = {}

        def measured(name: str, runs: int, func) -> list[float]:  # type: ignore[no-untyped-def]
            timed_runs(runs, func)
            cpu[name] = list(CPU)
            return list(WALL)  # the commands only, not the edits made before them

        colds = measured("cold", min(args.repeat, 2), cold_trace)
        start = subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, check=True).stdout.strip()
        edited = folder / f"specs/{(args.n // 2 + 1) // 1000:03d}/REQ-{args.n // 2 + 1}.yaml"
        original = edited.read_text(encoding="utf-8")
        step = iter(range(1, 1_000_000))

        def edit() -> None:
            edited.write_text(original.replace("title: ", f"title: Edit {next(step)} ", 1), encoding="utf-8")

        def add_request() -> None:
            number = next(step)
            (folder / f"records/requests/bench-{number}.yaml").write_text(
                f"id: RQ-{args.records + number}\nreceived: 2026-11-25\ntitle: Added {number}\naffects: [{target}]\n", encoding="utf-8"
            )

        def commit() -> None:
            edit()
            subprocess.run(["git", "-c", "user.name=Bench", "-c", "user.email=bench@example.test", "commit", "-qam", "bench edit"], cwd=folder, check=True)

        cli(folder, "trace", target)  # a graph cache to start from
        after_edit = measured("edit", args.repeat, lambda: (edit(), cli(folder, "trace", target)))
        after_add = measured("add", args.repeat, lambda: (add_request(), cli(folder, "trace", target)))
        after_commit = measured("commit", args.repeat, lambda: (commit(), cli(folder, "trace", target)))
        cli(folder, "trace", target, "--rev", "HEAD")
        after_commit_rev = measured("commit-rev", args.repeat, lambda: (commit(), cli(folder, "trace", target, "--rev", "HEAD")))
        traces = measured("warm", args.repeat, lambda: cli(folder, "trace", target))
        cli(folder, "trace", target, "--rev", "HEAD")
        traces_rev = measured("rev", args.repeat, lambda: cli(folder, "trace", target, "--rev", "HEAD"))
        traces_json = measured("json", args.repeat, lambda: cli(folder, "trace", target, "--format", "json"))
        impacts = measured("impact", args.repeat, lambda: cli(folder, "impact", "REQ-1"))
        status_cold = measured("status-cold", min(args.repeat, 2), lambda: (shutil.rmtree(cache, ignore_errors=True), cli(folder, "status")))
        status_warm = measured("status", args.repeat, lambda: cli(folder, "status"))
        versions = measured("version", args.repeat, lambda: cli(folder, "--version"))
        load = os.getloadavg()[0]
        subprocess.run(["git", "reset", "-q", "--hard", start], cwd=folder, check=True)
        for added in (folder / "records/requests").glob("bench-*.yaml"):
            added.unlink()

        print(f"python {platform.python_version()} · {platform.machine()} · {os.cpu_count()} cpus · {platform.platform()}")
        print(f"graph: {graph.number_of_nodes():,} nodes, {graph.number_of_edges():,} edges; snapshot: {len(snapshot.requirements):,} requirements, {snapshot.record_count:,} records")
        print(f"load average {load:.2f} on {os.cpu_count()} cpus (other work on the machine slows wall times)")
        print(f"{'step':<44} {'best':>8} {'median':>8} {'cpu med':>8}")
        for name, times, key in (
            ("load_snapshot (in process)", loads, None),
            ("build_graph (in process)", builds, None),
            (f"trace {target}, no graph cache", colds, "cold"),
            (f"trace {target}, a requirement edited", after_edit, "edit"),
            (f"trace {target}, a request added", after_add, "add"),
            (f"trace {target}, after a commit", after_commit, "commit"),
            (f"trace {target} --rev HEAD, after a commit", after_commit_rev, "commit-rev"),
            (f"trace {target}, warm", traces, "warm"),
            (f"trace {target} --rev HEAD, warm", traces_rev, "rev"),
            (f"trace {target} --format json, warm", traces_json, "json"),
            ("impact REQ-1, warm", impacts, "impact"),
            ("status, no caches", status_cold, "status-cold"),
            ("status, warm", status_warm, "status"),
            ("reqtrace --version", versions, "version"),
        ):
            cpu_text = f"{statistics.median(cpu[key]):>7.3f}s" if key else f"{'':>8}"
            print(f"{name:<44} {min(times):>7.3f}s {statistics.median(times):>7.3f}s {cpu_text}")
    finally:
        if not args.keep and args.dir is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
