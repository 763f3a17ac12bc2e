"""How fast is `reqtrace triage`? One request against a 10,000-requirement baseline, and --all over 1,000.

    python bench/bench_triage_speed.py [--requirements 10000] [--requests 1000] [--keep DIR]

Builds a synthetic spec repo (requirements with varied wording, English with
some Chinese, numbers and units; requests taken from the labelled set with
variations), commits it, tags baseline/v1, and times the real command line in
a subprocess, start-up included: the first run (which indexes the baseline and
caches the index under .git/) and warm runs. Prints wall time (median of 3)
and the peak resident memory of the reqtrace process.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "triage"

SUBJECTS = """appointment booking slot schedule calendar reminder confirmation cancellation reschedule invoice payment
report export statistics dashboard account password login role permission driver customer courier front-desk
administrator depot room department category parcel manifest record history backup retention archive
notification message email sms language translation search filter list page screen form field upload download
document attachment photo signature consent privacy audit log session timeout token code verification queue
waiting-list holiday opening-hours weekend shift rota leave absence training manual help ticket feedback rating
survey questionnaire insurance claim refund discount voucher package inspection test result handover transfer""".split()
VERBS = "shows lists sends keeps blocks allows refuses exports prints records notifies loads validates locks deletes".split()
QUALIFIERS = ["within {n} seconds", "for {n} days", "up to {n} months", "at most {n} times", "before {n} hours",
              "in under {n} minutes", "{n} 天以内", "最多 {n} 次", "不超过 {n} 秒"]
CHINESE = "下单 取消 提醒 短信 司机 客户 前台 导出 统计 权限 密码 账户 登录 排班 假期 备份 发票 支付 报表 通知".split()


def requirement_yaml(number: int, rng: random.Random) -> str:
    subject, other = rng.sample(SUBJECTS, 2)
    verb = rng.choice(VERBS)
    qualifier = rng.choice(QUALIFIERS).format(n=rng.choice([1, 2, 3, 5, 7, 10, 14, 15, 24, 30, 90]))
    extra = " ".join(rng.sample(SUBJECTS, 6))
    statement = f"The system {verb} the {subject} of each {other} {qualifier}. It covers {extra}."
    if number % 5 == 0:
        statement += " " + "，".join(rng.sample(CHINESE, 4)) + "。"
    acceptance = [f"A {subject} test {verb} {rng.choice(SUBJECTS)} {qualifier}.", f"The {other} {rng.choice(VERBS)} its {rng.choice(SUBJECTS)}."]
    title = f"{subject.capitalize()} {verb} {other} (variant {number})"
    return yaml.safe_dump({"id": f"REQ-{number}", "title": title, "statement": statement, "acceptance": acceptance,
                           "priority": "must", "status": "approved", "tags": [subject]}, allow_unicode=True, sort_keys=False)


def build_repo(folder: Path, n_requirements: int, n_requests: int) -> None:
    rng = random.Random(7)  # noqa: S311 - reproducible test data, not secrets
    (folder / "specs").mkdir(parents=True)
    (folder / "records" / "requests").mkdir(parents=True)
    (folder / "reqtrace.yaml").write_text("project: Triage benchmark\n", encoding="utf-8")
    for number in range(1, n_requirements + 1):
        (folder / "specs" / f"REQ-{number}.yaml").write_text(requirement_yaml(number, rng), encoding="utf-8")
    items = yaml.safe_load((DATA / "labelled.yaml").read_text(encoding="utf-8"))["items"]
    for number in range(1, n_requests + 1):
        item = items[(number - 1) % len(items)]
        text = item["text"] + (f"\n(follow-up {number}: {rng.choice(SUBJECTS)} {rng.choice(SUBJECTS)})" if number > len(items) else "")
        request = {"id": f"RQ-{number}", "received": "2026-09-01", "title": f"Request {number}", "text": text}
        (folder / "records" / "requests" / f"RQ-{number}.yaml").write_text(yaml.safe_dump(request, allow_unicode=True, sort_keys=False), encoding="utf-8")
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@e", "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@e"}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "benchmark"], ["tag", "baseline/v1"]):
        subprocess.run(["git", *args], cwd=folder, check=True, env=env)
    # A recorded baseline with a customer sign-off, so that triage finds the accepted baseline itself.
    letter = folder.parent / "acceptance-letter.pdf"
    letter.write_bytes(b"%PDF-1.4 acceptance letter\n")
    for args in (["baseline", "create", "contract", "-m", "benchmark"],
                 ["baseline", "sign", "contract", "--signer", "Customer <c@example.test>", "--meaning", "accepted",
                  "--role", "customer", "--recorded", "--evidence", str(letter)]):
        subprocess.run([sys.executable, "-m", "reqtrace", *args], cwd=folder, check=True, env=env, capture_output=True)


def timed(args: list[str], cwd: Path) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB of the child, stdout) for one run of reqtrace."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "reqtrace", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"reqtrace {' '.join(args)} failed ({proc.returncode}): {err.decode()[-500:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return wall, peak, out.decode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requirements", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=1_000)
    parser.add_argument("--keep", type=Path, help="build the repo here and keep it")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="reqtrace-triage-bench-")) / "repo"
    if folder.exists():
        shutil.rmtree(folder)
    started = time.perf_counter()
    build_repo(folder, args.requirements, args.requests)
    print(f"built {args.requirements} requirements + {args.requests} requests in {time.perf_counter() - started:.1f} s: {folder}")
    text = "病人反映只能约两周以内的号，能不能改成可以约一个月的？ The reminder SMS should come 48 hours before."
    rows = []
    wall, peak, _ = timed(["triage", "--baseline", "v1", "--text", text, "--format", "json"], folder)
    rows.append(("one request, first run (indexes the baseline, fills the cache)", wall, peak))
    for label, command in (
        ("one request (--text), cache warm", ["triage", "--baseline", "v1", "--text", text, "--format", "json"]),
        ("one request by id (RQ-12), cache warm", ["triage", "RQ-12", "--baseline", "v1", "--format", "json"]),
        (f"--all over {args.requests} requests, cache warm", ["triage", "--all", "--baseline", "v1", "--format", "json"]),
        ("one request, accepted baseline found by itself, first run", ["triage", "--text", text, "--format", "json"]),
        ("one request, accepted baseline found by itself, cache warm", ["triage", "--text", text, "--format", "json"]),
        ("reqtrace --version (start-up floor)", ["--version"]),
    ):
        runs = [timed(command, folder) for _ in range(1 if "first run" in label else 3)]
        rows.append((label, statistics.median(r[0] for r in runs), max(r[1] for r in runs)))
        if "--all" in command:
            assert len(json.loads(runs[0][2])["results"]) == args.requests
    print(f"\n{'what':<62} {'wall s':>8} {'peak MB':>8}")
    for label, wall, peak in rows:
        print(f"{label:<62} {wall:>8.3f} {peak:>8.0f}")
    print("\n(peak MB is the largest resident size of any reqtrace process so far in this run)")
    if not args.keep:
        shutil.rmtree(folder.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
