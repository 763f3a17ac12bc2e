"""Time baseline create / verify / show and `check` with a signed baseline, for N requirements.

    python bench/bench_baseline.py 1000 10000

Builds a throw-away spec repo per N in a temporary folder (a real git repo, a
real ed25519 key made by ssh-keygen), then runs the CLI as a user would and
prints wall time and peak memory (of the reqtrace process) per command.
Not a test: results go to docs/performance.md by hand.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, float, int]:
    """(wall s, CPU s of reqtrace and its git/ssh-keygen children, peak MB, exit code).

    CPU time is reported too because the machine is shared: wall time moves with
    the load, CPU time much less. Peak memory is the largest child so far
    (ru_maxrss of RUSAGE_CHILDREN is a high-water mark)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "reqtrace", *args], cwd=cwd, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        print(proc.stdout.decode()[-2000:], proc.stderr.decode()[-2000:], file=sys.stderr)
    return wall, cpu, after.ru_maxrss / 1024, proc.returncode


def build(root: Path, n: int, env: dict[str, str]) -> None:
    root.mkdir()
    (root / "reqtrace.yaml").write_text("project: bench\n")
    for index in range(1, n + 1):
        folder = root / "specs" / f"area{index % 50:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        parent = f"parents: [REQ-{index // 2}]\n" if index > 1 else ""
        (folder / f"REQ-{index}.yaml").write_text(
            f"id: REQ-{index}\ntitle: Requirement {index}\nstatement: >\n  The system shall handle case {index}\n  within 2 seconds, 预约 {index}.\n"
            f"acceptance:\n  - Case {index} passes.\npriority: must\nstatus: approved\n{parent}"
        )
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "spec"]):
        subprocess.run(["git", *args], cwd=root, env=env, check=True)


def main() -> None:
    sizes = [int(arg) for arg in sys.argv[1:]] or [1000, 10000]
    with tempfile.TemporaryDirectory(prefix="reqtrace-bench-") as tmp:
        folder = Path(tmp)
        env = {
            **os.environ,
            "GIT_CONFIG_GLOBAL": str(folder / "gitconfig"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.test",
            "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.test",
            "SOURCE_DATE_EPOCH": "1771581600",
        }
        (folder / "gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
        key = folder / "key"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
        public = " ".join(key.with_suffix(".pub").read_text().split()[:2])
        for n in sizes:
            root = folder / f"n{n}"
            build(root, n, env)
            (root / ".reqtrace").mkdir()
            (root / ".reqtrace/allowed_signers").write_text(f"v@example.test {public}\n")
            subprocess.run(["git", "add", "-A"], cwd=root, env=env, check=True)
            subprocess.run(["git", "commit", "-q", "-m", "trust"], cwd=root, env=env, check=True)
            rows = [("check (no baseline)", run(["check"], root, env))]
            rows.append(("baseline create", run(["baseline", "create", "v1", "-m", "bench"], root, env)))
            rows.append(("baseline sign --key", run(["baseline", "sign", "v1", "--signer", "V <v@example.test>", "--meaning", "approved", "--role", "vendor", "--key", str(key)], root, env)))
            letter = folder / "letter.pdf"
            letter.write_bytes(b"%PDF scan\n")
            rows.append(("baseline sign --recorded", run(["baseline", "sign", "v1", "--signer", "C <c@example.test>", "--meaning", "accepted", "--role", "customer", "--recorded", "--evidence", str(letter)], root, env)))
            rows.append(("baseline verify", run(["baseline", "verify", "v1"], root, env)))
            rows.append(("baseline show", run(["baseline", "show", "v1"], root, env)))
            rows.append(("check (1 baseline, 2 sign-offs)", run(["check"], root, env)))
            print(f"N = {n:,} requirements")
            for label, (wall, cpu, peak, code) in rows:
                print(f"  {label:<34} wall {wall:6.2f} s  cpu {cpu:6.2f} s  peak {peak:5.0f} MB  exit {code}")


if __name__ == "__main__":
    main()
