"""The verdicts `check` keeps (cachestore.py): the baselines' findings and the drift gate's.

Each test compares the kept answer with the plain computation on a copy of one
repo built once per module (two baselines with real SSH and recorded sign-offs,
drift since the accepted one), first unchanged, then after an input changes: a
sign-off replaced, a tag moved, allowed_signers edited, a manifest or evidence
edited, a sign-off deleted, ssh-keygen gone, a requirement edited, a request
approving the drift. The kept verdict must never outlive its input.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import cold_copy, git, requirement_yaml, write_files
from reqtrace.baselines.baseline import scan_baselines
from reqtrace.baselines.verify import (
    VERDICT_KIND,
    baseline_findings,
    plain_baseline_findings,
    verdict_content,
)
from reqtrace.changes.diff import accepted_base, drift_findings
from reqtrace.checks.check import DRIFT_KIND, drift_content, drift_gate
from reqtrace.core import cachestore
from reqtrace.core.config import find_spec_repo
from reqtrace.core.parse_cache import PackedParseCache
from reqtrace.core.snapshot import load_snapshot
from reqtrace.errors import ToolMissing

VENDOR = "Li Wei <li.wei@vendor.example>"
CUSTOMER = "Anna Schmidt <anna.schmidt@customer.example>"
JAN_10 = "1768039200"  # 2026-01-10T10:00:00Z


def _trust(signers: Path, email: str, key: Path) -> None:
    public = " ".join(key.with_name(key.name + ".pub").read_text().split()[:2])
    signers.parent.mkdir(parents=True, exist_ok=True)
    with signers.open("a") as handle:
        handle.write(f'{email} namespaces="reqtrace" {public}\n')


def _request(req_id: str, affects: str) -> str:
    return f"id: {req_id}\nreceived: 2026-01-05\ntitle: Change {affects}\naffects: [{affects}]\ndecision:\n  status: approved\n  by: Li Wei\n  when: 2026-01-06\n"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory, build_env: None) -> Path:
    """v1 (vendor SSH, customer recorded) and v2 (both SSH, accepted), then drift: built once."""
    from reqtrace.baselines.baseline import create_baseline
    from reqtrace.baselines.signoff import sign_baseline

    folder = tmp_path_factory.mktemp("kept-verdicts")
    root = folder / "repo"
    keys = {}
    for who in ("vendor", "customer"):
        keys[who] = folder / who
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", who, "-f", str(keys[who])], check=True)
    files = {"reqtrace.yaml": "project: Kept\ncustomer: Nobody\n"}
    files.update({f"specs/area/REQ-{i}.yaml": requirement_yaml(f"REQ-{i}", f"Requirement {i}", f"The system shall do {i}; 预约 {i}.") for i in range(1, 7)})
    write_files(root, files)
    _trust(root / ".reqtrace" / "allowed_signers", "li.wei@vendor.example", keys["vendor"])
    _trust(root / ".reqtrace" / "allowed_signers", "anna.schmidt@customer.example", keys["customer"])
    git(root, "init", "-q")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", JAN_10)
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "first")
        repo = find_spec_repo(root)
        create_baseline(repo, "v1")
        sign_baseline(repo, "v1", signer=VENDOR, meaning="approved", role="vendor", key=keys["vendor"])
        letter = folder / "letter.pdf"
        letter.write_bytes(b"%PDF-1.4 signed on paper\n")
        sign_baseline(repo, "v1", signer=CUSTOMER, meaning="reviewed", role="customer", evidence=letter)
        write_files(root, {"specs/area/REQ-2.yaml": requirement_yaml("REQ-2", "Requirement 2, revised")})
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "second")
        create_baseline(repo, "v2")
        sign_baseline(repo, "v2", signer=VENDOR, meaning="approved", role="vendor", key=keys["vendor"])
        sign_baseline(repo, "v2", signer=CUSTOMER, meaning="accepted", role="customer", key=keys["customer"])
        write_files(root, {"specs/area/REQ-3.yaml": requirement_yaml("REQ-3", "Drift after v2"), "specs/area/REQ-9.yaml": requirement_yaml("REQ-9", "Added after v2")})
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "drift")
    shutil.rmtree(root / ".git" / "reqtrace", ignore_errors=True)
    return root


@pytest.fixture
def spec(prepared: Path, tmp_path: Path) -> Path:
    return cold_copy(prepared, tmp_path / "repo")


def _snapshot(root: Path, rev: str | None = None):
    repo = find_spec_repo(root)
    with PackedParseCache.for_git(repo.git_top) as cache:
        return load_snapshot(repo, rev, cache=cache)


def _plain(root: Path, rev: str | None = None):
    snapshot = _snapshot(root, rev)
    return plain_baseline_findings(snapshot.repo, scan_baselines(snapshot.repo, snapshot.commit), snapshot.commit)


def _kept_entries(root: Path, kind: str) -> list[Path]:
    folder = root / ".git" / "reqtrace" / kind
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_an_unchanged_repo_reads_the_kept_verdict_and_it_is_the_plain_one(spec: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = baseline_findings(_snapshot(spec))
    assert first == _plain(spec) == []
    assert len(_kept_entries(spec, VERDICT_KIND)) == 1

    def no_ssh(*_args, **_kwargs):
        raise AssertionError("ssh-keygen ran although the verdict was kept")

    monkeypatch.setattr("reqtrace.io.sshsig.verify", no_ssh)
    monkeypatch.setattr("reqtrace.baselines.verify.frozen_entries", no_ssh)
    assert baseline_findings(_snapshot(spec)) == first


def _forge_signoff(root: Path) -> None:
    """The vendor's v2 sign-off carries the customer's signature instead of its own."""
    folder = root / "baselines" / "v2" / "signoffs"
    vendor = next(p for p in folder.iterdir() if "li-wei" in p.name)
    customer = next(p for p in folder.iterdir() if "anna-schmidt" in p.name)

    vendor_text = vendor.read_text()
    customer_text = customer.read_text()
    start = vendor_text.index("signature:")
    end = vendor_text.index("-----END SSH SIGNATURE-----", start) + len("-----END SSH SIGNATURE-----")
    other_start = customer_text.index("signature:")
    other_end = customer_text.index("-----END SSH SIGNATURE-----", other_start) + len("-----END SSH SIGNATURE-----")
    vendor.write_text(vendor_text[:start] + customer_text[other_start:other_end] + vendor_text[end:])


def _move_tag(root: Path) -> None:
    git(root, "tag", "-f", "-a", "-m", "moved", "baseline/v1", "HEAD")


def _distrust_customer(root: Path) -> None:
    signers = root / ".reqtrace" / "allowed_signers"
    signers.write_text("".join(line for line in signers.read_text().splitlines(keepends=True) if "anna.schmidt" not in line))


def _edit_manifest(root: Path) -> None:
    manifest = root / "baselines" / "v1" / "manifest.yaml"
    text = manifest.read_text()
    start = text.index("digest: sha256:") + len("digest: sha256:")
    manifest.write_text(text[:start] + ("0" if text[start] != "0" else "1") + text[start + 1 :])


def _edit_evidence(root: Path) -> None:
    evidence = next((root / "records").rglob("letter*.pdf"))
    evidence.write_bytes(evidence.read_bytes() + b"%% appended later\n")


def _delete_signoff_and_commit(root: Path) -> None:
    signoff = next((root / "baselines" / "v2" / "signoffs").iterdir())
    signoff.unlink()
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "remove a sign-off")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (_forge_signoff, "signature-invalid"),
        (_move_tag, "baseline-tampered"),
        (_distrust_customer, "signer-unknown"),
        (_edit_manifest, "baseline-tampered"),
        (_edit_evidence, "signature-invalid"),
        (_delete_signoff_and_commit, "baseline-tampered"),
    ],
    ids=["sign-off-replaced", "tag-moved", "allowed-signers-edited", "manifest-edited", "evidence-edited", "sign-off-deleted"],
)
def test_a_changed_input_is_verified_again_and_fails(spec: Path, change, code: str) -> None:
    assert baseline_findings(_snapshot(spec)) == []  # kept: the repo verified
    before = verdict_content(find_spec_repo(spec), None)
    change(spec)
    assert verdict_content(find_spec_repo(spec), None) != before
    found = baseline_findings(_snapshot(spec))
    assert found == _plain(spec)
    assert code in {f.code for f in found}, found
    assert baseline_findings(_snapshot(spec)) == found  # and that verdict is kept in turn


def test_at_a_revision_the_verdict_is_kept_per_commit_and_tags(spec: Path) -> None:
    head = git(spec, "rev-parse", "HEAD")
    assert baseline_findings(_snapshot(spec, head)) == _plain(spec, head) == []
    _move_tag(spec)
    found = baseline_findings(_snapshot(spec, head))
    assert found == _plain(spec, head) and "baseline-tampered" in {f.code for f in found}


def test_without_ssh_keygen_the_kept_verdict_does_not_pass(spec: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert baseline_findings(_snapshot(spec)) == []
    only_git = tmp_path / "bin"
    only_git.mkdir()
    os.symlink(shutil.which("git"), only_git / "git")
    monkeypatch.setenv("PATH", str(only_git))
    with pytest.raises(ToolMissing):
        baseline_findings(_snapshot(spec))


def test_a_damaged_verdict_is_computed_again(spec: Path) -> None:
    assert baseline_findings(_snapshot(spec)) == []
    _distrust_customer(spec)
    entry_before = set(_kept_entries(spec, VERDICT_KIND))
    found = baseline_findings(_snapshot(spec))
    (entry,) = set(_kept_entries(spec, VERDICT_KIND)) - entry_before
    data = bytearray(entry.read_bytes())
    data[-3] ^= 0x01
    entry.write_bytes(bytes(data))
    assert baseline_findings(_snapshot(spec)) == found == _plain(spec)


# ------------------------------------------------------------------ drift


def _drift(root: Path, rev: str | None = None):
    snapshot = _snapshot(root, rev)
    base = accepted_base(snapshot.repo, rev)
    assert base is not None and base[0] == "v2"
    return drift_gate(snapshot, base, "warn"), drift_findings(snapshot.repo, base, "warn", to_rev=rev or "WORKTREE")


def test_the_kept_drift_is_the_plain_one_and_follows_the_working_tree(spec: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kept, plain = _drift(spec)
    assert kept == plain and {f.id for f in kept} == {"REQ-3", "REQ-9"}
    assert len(_kept_entries(spec, DRIFT_KIND)) == 1
    with monkeypatch.context() as patch:
        patch.setattr("reqtrace.changes.diff.drift_findings", lambda *_a, **_k: pytest.fail("diffed although the drift was kept"))
        assert _drift_gate_only(spec) == kept
    # Edited in the working tree, not committed: drifts too.
    write_files(spec, {"specs/area/REQ-5.yaml": requirement_yaml("REQ-5", "Edited, not committed")})
    kept, plain = _drift(spec)
    assert kept == plain and {f.id for f in kept} == {"REQ-3", "REQ-5", "REQ-9"}
    # A request approving REQ-9 covers it.
    write_files(spec, {"records/requests/RQ-1.yaml": _request("RQ-1", "REQ-9")})
    kept, plain = _drift(spec)
    assert kept == plain and {f.id for f in kept} == {"REQ-3", "REQ-5"}
    # Undone: the first answer again, from the store.
    write_files(spec, {"specs/area/REQ-5.yaml": requirement_yaml("REQ-5", "Requirement 5", "The system shall do 5; 预约 5."), "records/requests/RQ-1.yaml": None})
    kept, plain = _drift(spec)
    assert kept == plain and {f.id for f in kept} == {"REQ-3", "REQ-9"}


def _drift_gate_only(root: Path):
    snapshot = _snapshot(root)
    return drift_gate(snapshot, accepted_base(snapshot.repo), "warn")


def test_the_drift_is_kept_per_day_level_and_revision(spec: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    snapshot = _snapshot(spec)
    base = accepted_base(snapshot.repo)
    assert base is not None
    monkeypatch.setenv("SOURCE_DATE_EPOCH", JAN_10)
    today = drift_content(snapshot, base, "warn")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(JAN_10) + 86400))
    assert drift_content(snapshot, base, "warn") != today
    assert drift_content(snapshot, base, "error") != drift_content(snapshot, base, "warn")
    head = git(spec, "rev-parse", "HEAD")
    kept, plain = _drift(spec, head)
    assert kept == plain and {f.id for f in kept} == {"REQ-3", "REQ-9"}
    assert drift_gate(_snapshot(spec, head), base, "error") == drift_findings(snapshot.repo, base, "error", to_rev=head)


def test_a_symbolic_link_under_the_requirements_keeps_no_drift(spec: Path) -> None:
    os.symlink("REQ-1.yaml", spec / "specs" / "area" / "REQ-link.yaml")
    snapshot = _snapshot(spec)
    base = accepted_base(snapshot.repo)
    assert base is not None and drift_content(snapshot, base, "warn") is None
    assert cachestore.entry_path(snapshot.repo.git_top, DRIFT_KIND, "x") is not None


def test_requirements_at_a_baseline_read_through_the_shared_pack_are_the_plain_ones(spec: Path) -> None:
    from reqtrace.core.snapshot import read_only_parse_pack, requirements_at, share_parse_pack

    repo = find_spec_repo(spec)
    v1 = git(spec, "rev-parse", "baseline/v1^{commit}")
    plain = requirements_at(repo, v1)  # no pack yet: every file parsed
    with PackedParseCache.for_git(repo.git_top) as cache:
        load_snapshot(repo, None, cache=cache)

    class Asked(dict):
        found = 0

        def get(self, key, default=None):
            value = super().get(key, default)
            self.found += value is not None
            return value

    cache.used = Asked(cache.used)
    share_parse_pack(repo.git_top, cache)
    try:
        assert requirements_at(repo, v1) == plain
        # Found among the snapshot's parses, not parsed again: all but REQ-2 and REQ-3, changed since v1.
        assert cache.used.found == len(plain[1]) - 2
        assert read_only_parse_pack(repo.git_top).get("not a key") is None
    finally:
        share_parse_pack(None, PackedParseCache(None))  # leave no pack of this test behind


def test_the_accepted_baseline_is_kept_with_the_verdict(spec: Path) -> None:
    from reqtrace.baselines.signoff import revoke_signoff
    from reqtrace.baselines.verify import baseline_verdict

    repo = find_spec_repo(spec)
    v2 = git(spec, "rev-parse", "baseline/v2^{commit}")
    assert baseline_verdict(_snapshot(spec)).accepted == accepted_base(repo) == ("v2", v2)
    assert baseline_verdict(_snapshot(spec)).accepted == ("v2", v2)  # a new snapshot: from the store
    customer = next(p.stem for p in (spec / "baselines" / "v2" / "signoffs").iterdir() if "anna-schmidt" in p.name)
    revoke_signoff(repo, "v2", customer, reason="signed the wrong scope", by=CUSTOMER)
    assert baseline_verdict(_snapshot(spec)).accepted is None  # v1 was only reviewed by the customer
    assert accepted_base(repo) is None
    (spec / "baselines" / "v1" / "manifest.yaml").unlink()
    found = baseline_verdict(_snapshot(spec))
    assert found.accepted is None and "baseline-tampered" in {f.code for f in found.findings}
