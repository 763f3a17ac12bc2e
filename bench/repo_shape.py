"""The spec repo shape the benchmarks measure: what users have, at any size.

    from repo_shape import build
    root = build(Path("/tmp/bench"), 10_000)                 # realistic shape
    bare = build(Path("/tmp/bench"), 10_000, baselines=0)    # same repo, no baseline

`build(folder, n)` writes, with one `git fast-import` stream, a spec repo of
`n` requirements (1-2 parents each, acceptance criteria, some Chinese text,
`x-` fields) with a history of `commits` commits: a first commit with 60 % of
the requirements, then commits that add the rest and revise older ones, and
records beside them - requests (n/4), e-mails with their sidecars (n/8) and
meetings (n/8), about one record for every two requirements.

With `baselines=3` (the default) three baselines are frozen at earlier commits
(at 50 %, 75 % and 90 % of the history) with the real command line
(`reqtrace baseline create --rev`), each signed off with real SSH signatures
(`baseline sign --key`): by the vendor (approved) and the customer
(accepted), so the last one is the accepted baseline and the commits after it
are drift. The two ed25519 keys are made once with ssh-keygen into
`folder/keys/` and trusted by `.reqtrace/allowed_signers` in the repo.

The repo is written to `folder/n{n}-b{baselines}[-norecords]-s{seed}[-c{commits}]` and
reused when it is already there (a finished build leaves a `.bench-shape-done`
marker in its .git folder); the function returns its path, with the last
commit checked out and a clean working tree.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

AREAS = ("booking", "accounts", "payments", "reports", "notifications", "admin", "calendar", "sync")
WORDS = (
    "parcel depot shipment slot courier reminder calendar cancel confirm schedule "
    "record invoice payment report export message notify account login password "
    "holiday weekday morning evening dispatcher manager queue waiting list"
).split()
CHINESE = (
    "客户可以在线下单",
    "取消订单须提前二十四小时",
    "系统应发送短信提醒",
    "司机的排班表每周更新",
    "前台可以查看待办名单",
)
CONFIG = b"project: Synthetic benchmark\ncustomer: Nobody\n"
VENDOR = "Li Wei <li.wei@vendor.example>"
CUSTOMER = "Anna Schmidt <anna.schmidt@customer.example>"
START = 1767225600  # 2026-01-01T00:00:00Z; commits are one hour apart
DONE = ".bench-shape-done"


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def requirement_path(number: int) -> str:
    return f"specs/{AREAS[number % len(AREAS)]}/{number // 1000:03d}/REQ-{number}.yaml"


class Counts:
    """How many records of each kind a repo of n requirements holds."""

    def __init__(self, n: int, records: bool) -> None:
        self.requests = n // 4 if records else 0
        self.emails = n // 8 if records else 0
        self.meetings = max(1, n // 8) if records else 0


def requirement_text(number: int, rng: random.Random, revision: int, counts: Counts) -> bytes:
    parents = (
        sorted({rng.randrange(1, number) for _ in range(rng.choice((1, 1, 2)))})
        if number > 1
        else []
    )
    sources = []
    if counts.meetings and rng.random() < 0.4:
        sources.append(f"MTG-{rng.randrange(1, counts.meetings + 1)}")
    if counts.requests and rng.random() < 0.3:
        sources.append(f"RQ-{rng.randrange(1, counts.requests + 1)}")
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


def request_text(number: int, rng: random.Random, n: int) -> bytes:
    affects = sorted({rng.randrange(1, n + 1) for _ in range(2)})
    lines = [
        f"id: RQ-{number}",
        f"received: 2026-{1 + number % 12:02d}-{1 + number % 28:02d}",
        "from: Anna Schmidt <anna.schmidt@customer.example>",
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


def meeting_text(number: int, rng: random.Random, counts: Counts, n: int) -> bytes:
    approves = f"RQ-{rng.randrange(1, counts.requests + 1)}" if counts.requests else ""
    lines = [
        "---",
        f"id: MTG-{number}",
        f"date: 2026-{1 + number % 12:02d}-{1 + number % 28:02d}",
        f"title: Review {number}",
        "attendees: [Anna Schmidt, Li Wei, Zhang Min]",
        f"refs: [REQ-{rng.randrange(1, n + 1)}]",
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


def email_files(number: int, rng: random.Random, counts: Counts, n: int) -> list[tuple[str, bytes]]:
    """An .eml message and the sidecar `reqtrace ingest` writes beside it."""
    mail_id = f"MAIL-{number:010x}"
    day = f"2026-{1 + number % 12:02d}-{1 + number % 28:02d}"
    message_id = f"<bench-{number}@customer.example>"
    subject = sentence(rng, 5)[:-1]
    refs = [f"REQ-{rng.randrange(1, n + 1)}"]
    if counts.requests:
        refs.insert(0, f"RQ-{rng.randrange(1, counts.requests + 1)}")
    eml = (
        f"From: {CUSTOMER}\nTo: {VENDOR}\nDate: {day}T10:00:00+08:00\n"
        f"Subject: {subject}\nMessage-ID: {message_id}\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n"
        f"{sentence(rng, 25)}\n{rng.choice(CHINESE)}\n\n{sentence(rng, 15)}\n"
    )
    sidecar = "\n".join(
        [
            f"id: {mail_id}",
            f"message_id: {message_id}",
            f"date: '{day}T10:00:00+08:00'",
            f"from: {CUSTOMER}",
            "to:",
            f"- {VENDOR}",
            f"subject: '{subject}'",
            f"refs: [{', '.join(refs)}]",
            "",
        ]
    )
    return [
        (f"records/emails/{mail_id}.eml", eml.encode("utf-8")),
        (f"records/emails/{mail_id}.eml.yaml", sidecar.encode("utf-8")),
    ]


def bench_env(folder: Path) -> dict[str, str]:
    """An isolated git identity and configuration for building and timing."""
    config = folder / "gitconfig"
    folder.mkdir(parents=True, exist_ok=True)
    if not config.exists():
        config.write_text("[init]\n\tdefaultBranch = main\n")
    return {
        **os.environ,
        "GIT_CONFIG_GLOBAL": str(config),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Li Wei",
        "GIT_AUTHOR_EMAIL": "li.wei@vendor.example",
        "GIT_COMMITTER_NAME": "Li Wei",
        "GIT_COMMITTER_EMAIL": "li.wei@vendor.example",
    }


def signing_keys(folder: Path) -> dict[str, Path]:
    """The vendor's and the customer's ed25519 keys, made once into folder/keys/."""
    keys = folder / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    made = {}
    for who in ("vendor", "customer"):
        key = keys / who
        if not key.exists():
            subprocess.run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", who, "-f", str(key)],
                check=True,
            )
        made[who] = key
    return made


def allowed_signers(keys: dict[str, Path]) -> bytes:
    lines = []
    for who, signer in (("vendor", VENDOR), ("customer", CUSTOMER)):
        email = signer.split("<")[1].rstrip(">")
        public = " ".join(keys[who].with_suffix(".pub").read_text().split()[:2])
        lines.append(f'{email} namespaces="reqtrace" {public}')
    return ("\n".join(lines) + "\n").encode()


def _history(
    root: Path, n: int, commits: int, counts: Counts, seed: int, trust: bytes | None, env: dict
) -> list[str]:
    """Write the history with git fast-import; return the commit ids, oldest first."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True, env=env)
    importer = subprocess.Popen(
        ["git", "fast-import", "--quiet", f"--export-marks={root / '.git' / 'bench-marks'}"],
        cwd=root,
        stdin=subprocess.PIPE,
        env=env,
    )
    assert importer.stdin is not None
    out = importer.stdin

    def commit(number: int, message: str, files: list[tuple[str, bytes]]) -> None:
        out.write(b"commit refs/heads/main\nmark :%d\n" % (number + 1))
        out.write(b"committer Li Wei <li.wei@vendor.example> %d +0000\n" % (START + number * 3600))
        data = message.encode()
        out.write(b"data %d\n%s\n" % (len(data), data))
        for path, blob in files:
            out.write(f"M 100644 inline {path}\n".encode())
            out.write(b"data %d\n" % len(blob))
            out.write(blob)
            out.write(b"\n")

    steps = max(1, commits - 2)

    def share(items: list[int], step: int) -> list[int]:
        """The part of items that arrives in commit `step` (1..steps), spread evenly."""
        return items[len(items) * (step - 1) // steps : len(items) * step // steps]

    first = max(1, n * 6 // 10)
    files = [("reqtrace.yaml", CONFIG)]
    if trust is not None:
        files.append((".reqtrace/allowed_signers", trust))
    files += [(requirement_path(i), requirement_text(i, rng, 0, counts)) for i in range(1, first + 1)]
    commit(0, "initial requirements", files)
    # The last commit adds a few of everything too, so the drift has additions.
    later = list(range(first + 1, n + 1))
    keep = max(1, len(later) // 100)
    later, remaining = later[:-keep], later[-keep:]
    all_requests = list(range(1, counts.requests + 1))
    all_emails = list(range(1, counts.emails + 1))
    all_meetings = list(range(1, counts.meetings + 1))
    requests: list[int] = []
    emails: list[int] = []
    meetings: list[int] = []
    for number in range(1, commits - 1):
        batch = share(later, number)
        changes = [(requirement_path(i), requirement_text(i, rng, 0, counts)) for i in batch]
        # Revise a few existing requirements: this is what drifts after a baseline.
        for i in (rng.randrange(1, first + 1) for _ in range(max(1, n // 2000))):
            revised = random.Random(i * 7919 + number)  # noqa: S311
            changes.append((requirement_path(i), requirement_text(i, revised, number, counts)))
        rq = share(all_requests, number)
        changes += [(f"records/requests/RQ-{i}.yaml", request_text(i, rng, n)) for i in rq]
        em = share(all_emails, number)
        for i in em:
            changes += email_files(i, rng, counts, n)
        mt = share(all_meetings, number)
        changes += [(f"records/meetings/MTG-{i}.md", meeting_text(i, rng, counts, n)) for i in mt]
        commit(number, f"change {number}", changes)
    # Whatever is left, so that every id that is referenced exists at the last commit.
    last = [(requirement_path(i), requirement_text(i, rng, 0, counts)) for i in remaining]
    last += [(f"records/requests/RQ-{i}.yaml", request_text(i, rng, n)) for i in requests]
    for i in emails:
        last += email_files(i, rng, counts, n)
    last += [(f"records/meetings/MTG-{i}.md", meeting_text(i, rng, counts, n)) for i in meetings]
    commit(commits - 1, "last change", last)
    out.close()
    if importer.wait() != 0:
        raise SystemExit("git fast-import failed")
    marks = dict(
        line.split() for line in (root / ".git" / "bench-marks").read_text().splitlines()
    )
    return [marks[f":{number + 1}"] for number in range(commits)]


def _reqtrace(args: list[str], root: Path, env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reqtrace", *args], cwd=root, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"reqtrace {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def build(
    folder: Path,
    n: int,
    *,
    baselines: int = 3,
    records: bool = True,
    seed: int = 2,
    commits: int = 200,
) -> Path:
    """Build (or reuse) the benchmark spec repo of n requirements under folder; return its root."""
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    root = folder / (
        f"n{n}-b{baselines}{'' if records else '-norecords'}-s{seed}"
        + ("" if commits == 200 else f"-c{commits}")
    )
    if (root / ".git" / DONE).exists():
        return root
    if root.exists():
        subprocess.run(["rm", "-rf", str(root)], check=True)  # a half-built repo from a crash
    env = bench_env(folder)
    keys = signing_keys(folder) if baselines else {}
    counts = Counts(n, records)
    commits = max(commits, baselines + 3)
    ids = _history(root, n, commits, counts, seed, allowed_signers(keys) if keys else None, env)
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=root, check=True, env=env)
    fractions = (0.5, 0.75, 0.9)
    for index in range(baselines):
        fraction = fractions[index] if baselines <= 3 else (index + 1) / (baselines + 1)
        at = ids[min(len(ids) - 2, int(commits * fraction))]
        name = f"release-{index + 1}.0"
        when = str(START + int(commits * fraction) * 3600 + 1800)
        step_env = {**env, "SOURCE_DATE_EPOCH": when}
        _reqtrace(["baseline", "create", name, "--rev", at, "-m", f"Release {index + 1}"], root, step_env)
        for who, signer, meaning in (
            ("vendor", VENDOR, "approved"),
            ("customer", CUSTOMER, "accepted"),
        ):
            _reqtrace(
                ["baseline", "sign", name, "--signer", signer, "--meaning", meaning,
                 "--role", who, "--key", str(keys[who])],
                root,
                step_env,
            )
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=root, env=env, capture_output=True, text=True
    ).stdout
    if status.strip():
        raise SystemExit(f"the benchmark repo is not clean after building:\n{status[:2000]}")
    (root / ".git" / DONE).write_text(time.strftime("%Y-%m-%dT%H:%M:%SZ\n", time.gmtime()))
    return root


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Build a benchmark spec repo (see the module doc).")
    parser.add_argument("folder", type=Path)
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--baselines", type=int, default=3)
    parser.add_argument("--no-records", action="store_true")
    parser.add_argument("--seed", type=int, default=2)
    options = parser.parse_args()
    started = time.perf_counter()
    built = build(options.folder, options.n, baselines=options.baselines,
                  records=not options.no_records, seed=options.seed)
    print(f"{built}  ({time.perf_counter() - started:.1f} s)")
