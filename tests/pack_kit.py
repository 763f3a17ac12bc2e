"""A small spec repo with a signed baseline, for the evidence-pack tests.

The baseline's files follow docs/format.md (reqtrace-baseline-1 and
reqtrace-signoff-1); the SSH signature is made by ssh-keygen with a key
generated for the test.
"""

from __future__ import annotations

import io
import json
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

from conftest import SpecRepoFixture, requirement_yaml

VENDOR = "Li Wei <li.wei@vendor.example>"
VENDOR_EMAIL = "li.wei@vendor.example"
CUSTOMER = "Chen Jing <chen.jing@clinic.example>"
LETTER = b"%PDF-1.4\n% scanned acceptance letter\n" + bytes(range(256))
EML = (
    "From: =?UTF-8?B?6ZmI5pmv?= <chen.jing@clinic.example>\r\n"
    "To: li.wei@vendor.example\r\nSubject: Booking window REQ-2\r\n"
    "Message-ID: <m1@clinic.example>\r\nDate: Tue, 10 Feb 2026 09:00:00 +0800\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\n请把预约窗口改为 14 天。\r\n"
).encode()


def make_key(folder: Path, name: str, email: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    key = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", email, "-f", str(key)], check=True, capture_output=True)
    return key


def allowed_signers_line(key: Path, email: str) -> str:
    kind, blob = (key.with_suffix(".pub") if key.suffix else Path(str(key) + ".pub")).read_text().split()[:2]
    return f'{email} namespaces="reqtrace" {kind} {blob}\n'


def ssh_sign(key: Path, message: bytes) -> str:
    proc = subprocess.run(["ssh-keygen", "-Y", "sign", "-f", str(key), "-n", "reqtrace"], input=message, capture_output=True, check=True)
    return proc.stdout.decode("ascii")


def yaml_block(text: str, indent: str = "  ") -> str:
    return "|\n" + "".join(indent + line + "\n" for line in text.rstrip("\n").split("\n"))


def signoff_yaml(baseline: str, root: str, signer: str, meaning: str, time: str, role: str, *, key: Path | None = None, evidence: tuple[str, bytes] | None = None, files_digest: str | None = None) -> str:
    """A sign-off file in the reqtrace-signoff-1 format, made by hand (an attacker's forgery)."""
    import hashlib

    from reqtrace.baselines.signed_statement import statement_text

    statement = statement_text(
        baseline=baseline, algorithm="reqtrace-digest-1", root_digest=root, signer=signer, meaning=meaning, time=time,
        method="ssh" if key else "recorded", role=role, evidence_sha256=hashlib.sha256(evidence[1]).hexdigest() if evidence else None,
        files_digest=files_digest,
    )
    lines = [
        "format: reqtrace-signoff-1",
        f"baseline: {baseline}",
        "algorithm: reqtrace-digest-1",
        f"root_digest: '{root}'",
        *([f"files_digest: '{files_digest}'"] if files_digest else []),
        f"signer: {json.dumps(signer)}",
        f"meaning: {meaning}",
        f"role: {role}",
        f"time: '{time}'",
        f"method: {'ssh' if key else 'recorded'}",
        "statement: " + yaml_block(statement).rstrip("\n"),
    ]
    if key is not None:
        lines.append("signature: " + yaml_block(ssh_sign(key, statement.encode())).rstrip("\n"))
    if evidence is not None:
        path, data = evidence
        lines += ["evidence:", f"  path: {path}", f"  sha256: {hashlib.sha256(data).hexdigest()}", f"recorded_by: {json.dumps(VENDOR)}"]
    return "\n".join(lines) + "\n"


@dataclass
class PackRepo:
    repo: SpecRepoFixture
    key: Path
    signers: Path  # an allowed-signers file kept outside the repo
    baseline_commit: str
    root: str


def reqtrace(root: Path, *args: str, date: str) -> str:
    """Run the real CLI as of `date` (UTC, ISO): reqtrace commands date their files from SOURCE_DATE_EPOCH."""
    import datetime as dt
    import os
    import sys

    stamp = dt.datetime.fromisoformat(date)
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(int(stamp.timestamp())), "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    proc = subprocess.run([sys.executable, "-m", "reqtrace", *args], cwd=root, capture_output=True, text=True, env=env)
    assert proc.returncode == 0, f"reqtrace {' '.join(args)}: {proc.stderr}{proc.stdout}"
    return proc.stdout


# Built repos, by (repo maker, extra files): the first test builds one (five runs of the CLI and
# ssh-keygen, ~2.5 s) and keeps a copy; later tests in the same worker get a copy of the copy.
# The result is the same either way: commit dates, signatures' times and the key are fixed.
_BUILT: dict[tuple[str, str], tuple[Path, str, str, str]] = {}
_PARTS = ("keys", "letter")


def build_repo(make_repo, tmp_path: Path, extra_files: dict[str, str | bytes] | None = None) -> PackRepo:
    """A spec repo: baseline v1 (3 requirements) made and signed with `reqtrace baseline`; then one approved
    and two unapproved changes. Built once per worker and repo maker; each caller gets its own copy."""
    import shutil
    import tempfile

    key = (f"{getattr(make_repo, '__module__', '')}.{getattr(make_repo, '__qualname__', '')}", repr(sorted((extra_files or {}).items())))
    if key in _BUILT:
        template, repo_name, baseline_commit, root = _BUILT[key]
        for part in (*_PARTS, repo_name):
            shutil.copytree(template / part, tmp_path / part, symlinks=True)
        repo = SpecRepoFixture(tmp_path / repo_name)
        return PackRepo(repo, tmp_path / "keys" / "vendor", tmp_path / "keys" / "allowed_signers", baseline_commit, root)
    built = _build_repo(make_repo, tmp_path, extra_files)
    repo_name = built.repo.root.relative_to(tmp_path).as_posix()
    template = Path(tempfile.mkdtemp(prefix="pack-template-", dir=tmp_path.parent))
    for part in (*_PARTS, repo_name):
        shutil.copytree(tmp_path / part, template / part, symlinks=True)
    _BUILT[key] = (template, repo_name, built.baseline_commit, built.root)
    return built


def _build_repo(make_repo, tmp_path: Path, extra_files: dict[str, str | bytes] | None = None) -> PackRepo:
    key = make_key(tmp_path / "keys", "vendor", VENDOR_EMAIL)
    signers = tmp_path / "keys" / "allowed_signers"
    signers.write_text(allowed_signers_line(key, VENDOR_EMAIL))
    letter = tmp_path / "letter" / "acceptance-letter.pdf"
    letter.parent.mkdir()
    letter.write_bytes(LETTER)
    repo = make_repo(
        {
            "specs/booking/REQ-1.yaml": requirement_yaml("REQ-1", "在线预约", "患者可以在线预约医生。", acceptance=["预约在 5 秒内确认。"], priority="must", status="approved"),
            "specs/booking/REQ-2.yaml": requirement_yaml("REQ-2", "Booking window", "Patients book up to 14 days ahead.", acceptance=["Day 15 is not offered."], parents=["REQ-1"], sources=["MTG-1"]),
            "specs/booking/REQ-3.yaml": requirement_yaml("REQ-3", "Cancel online", "Cancel until 24 hours before.", parents=["REQ-1"]),
            "records/meetings/MTG-1.md": "---\nid: MTG-1\ndate: 2026-01-12\ntitle: Kick-off 启动会\nattendees: [Chen Jing, Li Wei]\nrefs: [REQ-1]\n---\n# Kick-off\n\n会议纪要：预约窗口 14 天。\n",
            "records/emails/2026-02-10-booking.eml": EML,
            ".reqtrace/allowed_signers": allowed_signers_line(key, VENDOR_EMAIL),
            **(extra_files or {}),
        },
    )
    baseline_commit = repo.git("rev-parse", "HEAD")
    when = "2026-02-20T08:00:00+00:00"
    reqtrace(repo.root, "baseline", "create", "v1", "-m", "Contract scope", date=when)
    reqtrace(repo.root, "baseline", "sign", "v1", "--signer", VENDOR, "--meaning", "approved", "--role", "vendor", "--key", str(key), date="2026-02-20T08:30:00+00:00")
    reqtrace(repo.root, "baseline", "sign", "v1", "--signer", CUSTOMER, "--meaning", "approved", "--role", "customer", "--recorded", "--evidence", str(letter), "--recorded-by", VENDOR, date="2026-02-20T09:00:00+00:00")
    import yaml

    root = yaml.safe_load((repo.root / "baselines/v1/manifest.yaml").read_text())["root_digest"]
    repo.commit(
        {
            "records/requests/RQ-1.yaml": "id: RQ-1\nreceived: 2026-03-01\nfrom: Chen Jing\nchannel: email\ntitle: 30 天预约窗口\ntext: 请把预约窗口改为 30 天。\naffects: [REQ-2]\ntriage:\n  classification: change\n  confidence: 0.9\n  reasons: [\"asks for 30 days; REQ-2 says 14 days\"]\ndecision:\n  as: change\n  status: approved\n  by: Li Wei\n  on: 2026-03-05\n  in: MTG-2\n",
            "records/meetings/MTG-2.md": "---\nid: MTG-2\ndate: 2026-03-05\ntitle: Change review\ndecisions:\n  - text: Approve the 30-day window.\n    approves: [RQ-1]\n---\nApproved.\n",
            "specs/booking/REQ-2.yaml": requirement_yaml("REQ-2", "Booking window", "Patients book up to 30 days ahead.", acceptance=["Day 31 is not offered."], parents=["REQ-1"], sources=["MTG-1"]),
            "specs/booking/REQ-3.yaml": requirement_yaml("REQ-3", "Cancel online", "Cancel until 12 hours before.", parents=["REQ-1"]),
            "specs/booking/REQ-4.yaml": requirement_yaml("REQ-4", "Waiting list", "Patients join a waiting list for a full day."),
        },
        "changes after the contract",
        date="2026-03-06T10:00:00+00:00",
    )
    return PackRepo(repo, key, signers, baseline_commit, root)


def read_zip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def write_zip(path: Path, members: dict[str, bytes]) -> None:
    """Re-pack members as given (an attacker's tool: no checks, any names)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0)), data)
    path.write_bytes(buffer.getvalue())


def manifest_for(members: dict[str, bytes]) -> bytes:
    import hashlib

    return "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(members.items()) if name != "MANIFEST.sha256").encode()
