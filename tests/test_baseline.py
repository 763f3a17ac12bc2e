"""Baselines end to end, with real git, real keys made by ssh-keygen, and every attack of issue 3."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import git, make_repo_in, requirement_yaml
from reqtrace.baselines.baseline import (
    accepted_baseline,
    create_baseline,
    load_baseline,
    load_baselines,
)
from reqtrace.baselines.signoff import sign_baseline
from reqtrace.baselines.verify import verify_baseline
from reqtrace.core.config import find_spec_repo
from reqtrace.core.model import SCHEMA_VERSION
from reqtrace.errors import RevisionError, ToolMissing

VENDOR = "Li Wei <li.wei@brightpath.example>"
CUSTOMER = "Dr. Chen <chen@sunrise-clinic.example>"
FEB_20 = "1771581600"  # 2026-02-20T10:00:00Z


def spec_files() -> dict[str, str]:
    return {
        "specs/booking/REQ-1.yaml": requirement_yaml("REQ-1", "Book online", "Patients book an appointment online.", priority="must"),
        "specs/booking/REQ-2.yaml": requirement_yaml("REQ-2", "Cancel", "A patient can cancel until 24 hours before the start.", parents=["REQ-1"]),
        "specs/reminders/REQ-3.yaml": requirement_yaml("REQ-3", "短信提醒", "预约前一天发送短信提醒。", status="approved"),
    }


@pytest.fixture
def keys(tmp_path: Path):
    """keys("vendor") -> path of a fresh ed25519 private key (its .pub beside it)."""

    def make(name: str) -> Path:
        folder = tmp_path / "keys"
        folder.mkdir(exist_ok=True)
        path = folder / name
        if not path.exists():
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(path)], check=True)
        return path

    return make


def trust(signers: Path, email: str, key: Path) -> None:
    """Add `email key` to an allowed-signers file, as a maintainer would."""
    public = " ".join(key.with_name(key.name + ".pub").read_text().split()[:2])
    signers.parent.mkdir(parents=True, exist_ok=True)
    with signers.open("a") as handle:
        handle.write(f'{email} namespaces="reqtrace" {public}\n')


@pytest.fixture
def spec(make_repo, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", FEB_20)
    return make_repo(spec_files())


def repo_of(fixture):
    return find_spec_repo(fixture.root)


def _sign(spec, key: Path):
    """Baseline contract-v1.0 signed by the vendor (SSH, with `key`) and the customer (recorded)."""
    repo = repo_of(spec)
    create_baseline(repo, "contract-v1.0", message="Contract scope")
    trust(spec.root / ".reqtrace" / "allowed_signers", "li.wei@brightpath.example", key)
    spec.commit(message="trust the vendor's key")
    sign_baseline(repo, "contract-v1.0", signer=VENDOR, meaning="approved", role="vendor", key=key)
    letter = spec.root.parent / "acceptance-letter.pdf"
    letter.write_bytes(b"%PDF-1.4 scanned letter signed by Dr. Chen\n")
    sign_baseline(repo, "contract-v1.0", signer=CUSTOMER, meaning="approved", role="customer", evidence=letter)
    return repo


@pytest.fixture(scope="module")
def signed_template(tmp_path_factory: pytest.TempPathFactory, build_env: None) -> Path:
    """`_sign` done once per module, laid out as a test's tmp_path: repo/, keys/vendor, the letter."""
    folder = tmp_path_factory.mktemp("signed")
    key = folder / "keys" / "vendor"
    key.parent.mkdir()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "vendor", "-f", str(key)], check=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", FEB_20)  # as the `spec` fixture
        _sign(make_repo_in(folder)(spec_files()), key)
    return folder


def signed_repo(spec, keys, signed_template: Path):
    """A repo with baseline contract-v1.0 signed by the vendor (SSH) and the customer (recorded):
    the module's signed repo copied over `spec` (a new repo, a baseline and two real sign-offs
    per test cost ~0.4 s of CPU), and the vendor's key where `keys("vendor")` finds it."""
    tmp = spec.root.parent
    assert not (tmp / "keys" / "vendor").exists(), "signed_repo comes first: it brings the vendor's key"
    shutil.rmtree(spec.root)
    shutil.copytree(signed_template / "repo", spec.root, symlinks=True)
    shutil.copytree(signed_template / "keys", tmp / "keys", dirs_exist_ok=True)
    shutil.copy2(signed_template / "acceptance-letter.pdf", tmp / "acceptance-letter.pdf")
    assert keys("vendor") == tmp / "keys" / "vendor"
    return repo_of(spec)


def verify_cli(run_cli, spec, *args):
    return run_cli("baseline", "verify", "contract-v1.0", *args, cwd=spec.root)


# ------------------------------------------------------------------ create


def test_create_tags_the_commit_writes_and_commits_the_manifest(spec, run_cli):
    head = spec.git("rev-parse", "HEAD")
    result = run_cli("baseline", "create", "contract-v1.0", "-m", "Contract scope as signed", "--format", "json", cwd=spec.root)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["commit"] == head and data["requirement_count"] == 3 and data["tag"] == "baseline/contract-v1.0"
    assert spec.git("rev-parse", "baseline/contract-v1.0^{commit}") == head
    assert spec.git("cat-file", "-t", "baseline/contract-v1.0") == "tag"
    assert f"root-digest: {data['root_digest']}" in spec.git("tag", "-l", "-n99", "baseline/contract-v1.0")
    # The manifest is committed on top of the frozen commit; the tag stays on the spec commit.
    assert spec.git("rev-parse", "HEAD~1") == head and data["committed"] == spec.git("rev-parse", "HEAD")
    assert spec.git("status", "--porcelain") == ""
    manifest = (spec.root / "baselines/contract-v1.0/manifest.yaml").read_text()
    assert "created: '2026-02-20T10:00:00Z'" in manifest
    assert "created_by: Test Committer <committer@example.test>" in manifest
    assert "path: specs/reminders/REQ-3.yaml" in manifest
    assert "message: Contract scope as signed" in manifest


def test_the_same_name_twice_is_refused_and_nothing_changes(spec, run_in_process):
    assert run_in_process("baseline", "create", "v1", cwd=spec.root).exit_code == 0
    before = spec.git("rev-parse", "HEAD")
    result = run_in_process("baseline", "create", "v1", cwd=spec.root)
    assert result.exit_code == 3
    assert "baseline 'v1' already exists" in result.stderr and "never changed" in result.stderr
    assert spec.git("rev-parse", "HEAD") == before


def test_uncommitted_spec_changes_are_refused_unless_rev_names_the_commit(spec, run_in_process):
    spec.write({"specs/booking/REQ-1.yaml": requirement_yaml("REQ-1", "Book online", "Patients book online, edited.")})
    result = run_in_process("baseline", "create", "v1", cwd=spec.root)
    assert result.exit_code == 3
    assert "uncommitted changes to the requirements (specs/booking/REQ-1.yaml)" in result.stderr
    assert "--rev" in result.stderr
    assert spec.git("tag", "-l") == ""
    result = run_in_process("baseline", "create", "v1", "--rev", "HEAD", "--no-commit", cwd=spec.root)
    assert result.exit_code == 0, result.stderr
    assert "not committed" in result.stdout


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("a/b", "contains '/'"),
        ("../escape", "contains '/'"),
        ("v1..2", "contains '..'"),
        ("contract v1", "white space"),
        ("-v1", "starts with '-'"),
        ("v1.lock", "ends with '.' or '.lock'"),
        ("WORKTREE", "WORKTREE means the working tree"),
    ],
)
def test_bad_names_are_refused_with_exit_2(spec, run_in_process, name, reason):
    result = run_in_process("baseline", "create", "--", name, cwd=spec.root)
    assert result.exit_code == 2, result.stderr
    assert f"'{name}' cannot be a baseline name" in result.stderr and reason in result.stderr
    assert "Traceback" not in result.stderr
    assert spec.git("tag", "-l") == "" and not (spec.root / "baselines").exists()


def test_a_name_that_looks_like_an_option_is_a_usage_error(spec, run_in_process):
    result = run_in_process("baseline", "create", "-v1", cwd=spec.root)
    assert result.exit_code == 2 and "Traceback" not in result.stderr


def test_a_baseline_of_broken_requirements_is_refused(spec, run_in_process):
    spec.commit({"specs/booking/REQ-9.yaml": "id: REQ-9\ntitle: [unclosed\n"})
    result = run_in_process("baseline", "create", "v1", cwd=spec.root)
    assert result.exit_code == 1
    assert "specs/booking/REQ-9.yaml:3: YAML syntax error" in result.stderr and "reqtrace check --rev" in result.stderr


def test_a_baseline_name_works_wherever_a_revision_does(spec, run_in_process):
    assert run_in_process("baseline", "create", "v1.0", cwd=spec.root).exit_code == 0
    spec.commit({"specs/booking/REQ-4.yaml": requirement_yaml("REQ-4", "Later", "Added after the baseline.")})
    listed = json.loads(run_in_process("list", "--rev", "v1.0", "--format", "json", cwd=spec.root).stdout)
    assert sorted(item["id"] for item in listed["items"]) == ["REQ-1", "REQ-2", "REQ-3"]
    assert listed["rev"] == spec.git("rev-parse", "baseline/v1.0^{commit}")


def test_create_at_an_older_revision(spec, run_in_process):
    first = spec.git("rev-parse", "HEAD")
    spec.commit({"specs/booking/REQ-4.yaml": requirement_yaml("REQ-4", "Later", "Added later.")})
    result = run_in_process("baseline", "create", "old", "--rev", first, "--format", "json", cwd=spec.root)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["requirement_count"] == 3
    assert verify_cli(run_in_process, spec).exit_code == 3  # contract-v1.0 does not exist
    assert run_in_process("baseline", "verify", "old", cwd=spec.root).exit_code == 0


# -------------------------------------------------------------------- sign


def test_ssh_sign_off_verifies_against_allowed_signers(spec, keys, run_cli):
    assert run_cli("baseline", "create", "contract-v1.0", cwd=spec.root).exit_code == 0
    key = keys("vendor")
    result = run_cli("baseline", "sign", "contract-v1.0", "--signer", VENDOR, "--meaning", "approved", "--role", "vendor", "--key", str(key), cwd=spec.root)
    assert result.exit_code == 0, result.stderr
    # Not trusted yet: sign says so, and prints the line to add.
    assert "signer-unknown" in result.stderr and 'li.wei@brightpath.example namespaces="reqtrace" ssh-ed25519 ' in result.stderr
    files = list((spec.root / "baselines/contract-v1.0/signoffs").glob("*.yaml"))
    assert len(files) == 1 and files[0].name.startswith("20260220T100000Z-approved-li-wei-")
    text = files[0].read_text()
    assert "-----BEGIN SSH SIGNATURE-----" in text and "key_fingerprint: SHA256:" in text
    assert "time: '2026-02-20T10:00:00Z'" in text
    assert spec.git("status", "--porcelain") == ""  # committed
    assert spec.git("log", "-1", "--format=%s") == f"Sign-off contract-v1.0: approved by {VENDOR} (vendor)"

    unknown = verify_cli(run_cli, spec)
    assert unknown.exit_code == 1
    assert "signer-unknown" in unknown.stdout and "no allowed-signers file at .reqtrace/allowed_signers" in unknown.stdout

    trust(spec.root / ".reqtrace" / "allowed_signers", "li.wei@brightpath.example", key)
    good = verify_cli(run_cli, spec)
    assert good.exit_code == 0, good.stdout
    assert "1 valid" in good.stdout


def test_statement_is_what_ssh_keygen_verifies_by_hand(spec, keys, signed_template):
    """An auditor can check a sign-off with ssh-keygen alone: the statement in the file is the signed bytes."""
    repo = signed_repo(spec, keys, signed_template)
    signoff = next(s for s in load_baseline(repo, "contract-v1.0").signoffs if s.method == "ssh")
    sig = spec.root.parent / "statement.sig"
    sig.write_text(signoff.signature or "")
    proc = subprocess.run(
        ["ssh-keygen", "-Y", "verify", "-f", str(spec.root / ".reqtrace/allowed_signers"), "-I", "li.wei@brightpath.example", "-n", "reqtrace", "-s", str(sig)],
        input=signoff.statement.encode(), capture_output=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert signoff.statement.splitlines()[:4] == [
        "reqtrace sign-off statement 1",
        "baseline: contract-v1.0",
        "algorithm: reqtrace-digest-1",
        f"root-digest: {load_baseline(repo, 'contract-v1.0').root_digest}",
    ]


def test_recorded_sign_off_keeps_the_evidence_and_its_hash(spec, keys, run_in_process, signed_template):
    signed_repo(spec, keys, signed_template)
    kept = spec.root / "records/documents/acceptance-letter.pdf"
    assert kept.read_bytes().startswith(b"%PDF-1.4")
    sidecar = (spec.root / "records/documents/acceptance-letter.pdf.yaml").read_text()
    assert "id: DOC-1" in sidecar and "sha256: " in sidecar
    show = json.loads(run_in_process("baseline", "show", "contract-v1.0", "--format", "json", cwd=spec.root).stdout)["baseline"]
    recorded = next(s for s in show["signoffs"] if s["method"] == "recorded")
    assert recorded["status"] == "recorded" and recorded["role"] == "customer"
    assert recorded["evidence"]["path"] == "records/documents/acceptance-letter.pdf"
    assert recorded["recorded_by"] == "Test Committer <committer@example.test>"
    assert show["accepted"] is True
    assert {s["status"] for s in show["signoffs"]} == {"valid", "recorded"}

    kept.write_bytes(b"%PDF-1.4 a different letter\n")
    changed = verify_cli(run_in_process, spec)
    assert changed.exit_code == 1
    assert "signature-invalid" in changed.stdout and "evidence file records/documents/acceptance-letter.pdf changed" in changed.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--signer", "Li Wei", "--meaning", "approved", "--key", "k"], "--signer must be 'Name <email>'"),
        (["--signer", VENDOR, "--meaning", "approved"], "say how it is signed"),
        (["--signer", VENDOR, "--meaning", "approved", "--recorded"], "--recorded needs --evidence"),
        (["--signer", VENDOR, "--meaning", "approved", "--key", "k", "--recorded", "--evidence", "x"], "choose one method"),
        (["--signer", VENDOR, "--meaning", "signed", "--key", "k"], "'signed' is not one of"),
        (["--signer", VENDOR, "--meaning", "approved", "--role", "boss", "--key", "k"], "'boss' is not one of"),
    ],
)
def test_sign_usage_errors_exit_2(spec, run_in_process, args, message):
    assert run_in_process("baseline", "create", "contract-v1.0", cwd=spec.root).exit_code == 0
    result = run_in_process("baseline", "sign", "contract-v1.0", *args, cwd=spec.root)
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr


def test_sign_an_unknown_baseline_or_with_a_missing_key(spec, run_in_process, keys):
    result = run_in_process("baseline", "sign", "nope", "--signer", VENDOR, "--meaning", "approved", "--key", str(keys("vendor")), cwd=spec.root)
    assert result.exit_code == 3 and "no baseline named 'nope'" in result.stderr
    assert run_in_process("baseline", "create", "v1", cwd=spec.root).exit_code == 0
    result = run_in_process("baseline", "sign", "v1", "--signer", VENDOR, "--meaning", "approved", "--key", "/nonexistent/key", cwd=spec.root)
    assert result.exit_code == 3 and "no key file at /nonexistent/key" in result.stderr
    assert not (spec.root / "baselines/v1/signoffs").exists()


# ----------------------------------------------------------------- attacks


def test_attack_edit_a_word_later_and_rewrite_the_manifest_to_match(spec, keys, run_in_process, signed_template):
    repo = signed_repo(spec, keys, signed_template)
    assert verify_cli(run_in_process, spec).exit_code == 0
    manifest_path = spec.root / "baselines/contract-v1.0/manifest.yaml"
    original = manifest_path.read_text()
    # One word of a signed requirement changes in a later commit...
    spec.commit({"specs/booking/REQ-2.yaml": requirement_yaml("REQ-2", "Cancel", "A patient can cancel until 12 hours before the start.", parents=["REQ-1"])})
    from reqtrace.baselines.baseline import digest_entries, requirements_at
    from reqtrace.core.digest import root_digest

    later = spec.git("rev-parse", "HEAD")
    entries = {e.id: e for e in digest_entries(requirements_at(repo, later)[1])}
    old = load_baseline(repo, "contract-v1.0")
    new_root = root_digest((i, e.digest) for i, e in entries.items())
    rewritten = original.replace(old.digests()["REQ-2"], entries["REQ-2"].digest).replace(old.root_digest, new_root)
    # ...and the manifest is rewritten to match, keeping its commit:
    spec.commit({manifest_path.relative_to(spec.root).as_posix(): rewritten}, message="cover it up")
    result = verify_cli(run_in_process, spec)
    assert result.exit_code == 1
    assert "baseline-tampered" in result.stdout
    assert "REQ-2: the manifest's digest" in result.stdout and "is not the digest of specs/booking/REQ-2.yaml at commit" in result.stdout
    assert "signature-invalid" in result.stdout  # both sign-offs signed the old root digest

    # ...or rewritten to claim the later commit: the tag still points at the signed one.
    spec.commit({manifest_path.relative_to(spec.root).as_posix(): rewritten.replace(old.commit, later)}, message="cover it up better")
    result = verify_cli(run_in_process, spec)
    assert result.exit_code == 1
    assert f"tag baseline/contract-v1.0 points at commit {old.commit[:12]}, but the manifest says the baseline is commit {later[:12]}" in result.stdout

    # ...and the tag moved too: the tag object differs, and the signatures still fail.
    spec.git("tag", "-f", "-a", "-m", f"reqtrace baseline contract-v1.0\n\nroot-digest: {new_root}", "baseline/contract-v1.0", later)
    result = verify_cli(run_in_process, spec)
    assert result.exit_code == 1
    assert "tag baseline/contract-v1.0 was re-created" in result.stdout
    assert result.stdout.count("signature-invalid") == 2


def test_attack_change_the_manifests_digest(spec, keys, run_in_process, signed_template):
    repo = signed_repo(spec, keys, signed_template)
    manifest_path = spec.root / "baselines/contract-v1.0/manifest.yaml"
    root = load_baseline(repo, "contract-v1.0").root_digest
    forged = "sha256:" + "0" * 64
    manifest_path.write_text(manifest_path.read_text().replace(root, forged))
    result = verify_cli(run_in_process, spec)
    assert result.exit_code == 1
    assert f"the manifest's root digest {forged} is not the digest of its own requirement list" in " ".join(result.stdout.split())
    assert "tag baseline/contract-v1.0 records root digest" in result.stdout
    assert result.stdout.count("signature-invalid") == 2
    check = json.loads(run_in_process("check", "--format", "json", cwd=spec.root).stdout)
    codes = {f["code"] for f in check["findings"]}
    assert {"baseline-tampered", "signature-invalid"} <= codes
    tampered = next(f for f in check["findings"] if f["code"] == "baseline-tampered" and "root digest" in f["message"])
    assert tampered["path"] == "baselines/contract-v1.0/manifest.yaml" and tampered["line"] == manifest_path.read_text().splitlines().index(f"root_digest: {forged}") + 1


def test_attack_copy_a_signature_file_to_another_baseline(spec, keys, run_in_process, signed_template):
    repo = signed_repo(spec, keys, signed_template)
    spec.commit({"specs/booking/REQ-4.yaml": requirement_yaml("REQ-4", "Extra scope", "Something the customer never signed.")})
    create_baseline(repo, "contract-v2.0")
    source = next((spec.root / "baselines/contract-v1.0/signoffs").glob("*approved-chen*.yaml"))
    target = spec.root / "baselines/contract-v2.0/signoffs" / source.name
    target.parent.mkdir(parents=True)
    shutil.copy(source, target)
    result = run_in_process("baseline", "verify", "contract-v2.0", cwd=spec.root)
    assert result.exit_code == 1
    assert "this sign-off is for baseline 'contract-v1.0', not 'contract-v2.0': it was copied here" in result.stdout
    # Editing the copy to name the new baseline does not help: the statement no longer matches.
    v2 = load_baseline(repo, "contract-v2.0")
    v1 = load_baseline(repo, "contract-v1.0")
    ssh_source = next((spec.root / "baselines/contract-v1.0/signoffs").glob("*approved-li-wei*.yaml"))
    edited = ssh_source.read_text().replace("baseline: contract-v1.0", "baseline: contract-v2.0").replace(v1.root_digest, v2.root_digest)
    assert v1.files_digest and v2.files_digest
    edited = edited.replace(v1.files_digest, v2.files_digest)  # the files it signs, too
    (target.parent / ssh_source.name).write_text(edited)
    result = run_in_process("baseline", "verify", "contract-v2.0", cwd=spec.root)
    assert result.exit_code == 1
    assert "the signature does not match this baseline's statement" in result.stdout
    # Copied sign-offs never make v2 the accepted baseline through a valid check.
    assert "signature-invalid" in result.stdout


def test_attack_signature_by_a_key_not_in_allowed_signers(spec, keys, run_in_process, signed_template):
    repo = signed_repo(spec, keys, signed_template)
    intruder = keys("intruder")
    sign_baseline(repo, "contract-v1.0", signer=CUSTOMER, meaning="accepted", role="customer", key=intruder)
    result = verify_cli(run_in_process, spec)
    assert result.exit_code == 1
    assert "signer-unknown" in result.stdout and "is not in .reqtrace/allowed_signers: nobody vouched that it is chen@sunrise-clinic.example's key" in " ".join(result.stdout.split())
    # The vendor's own (trusted) key signing in the customer's name is not the customer either.
    sign_baseline(repo, "contract-v1.0", signer=CUSTOMER, meaning="reviewed", role="customer", key=keys("vendor"))
    result = verify_cli(run_in_process, spec)
    assert "gives SHA256:" in result.stdout and "to li.wei@brightpath.example, not to chen@sunrise-clinic.example" in " ".join(result.stdout.split())
    check = json.loads(run_in_process("check", "--format", "json", cwd=spec.root).stdout)
    assert {"signer-unknown", "signature-invalid"} <= {f["code"] for f in check["findings"]}


def test_editing_a_signed_field_breaks_the_sign_off(spec, keys, run_in_process, signed_template):
    signed_repo(spec, keys, signed_template)
    path = next((spec.root / "baselines/contract-v1.0/signoffs").glob("*approved-li-wei*.yaml"))
    path.write_text(path.read_text().replace("meaning: approved", "meaning: accepted", 1))
    result = verify_cli(run_in_process, spec)
    assert result.exit_code == 1
    assert "fields no longer match the statement" in result.stdout


def test_an_allowed_signers_file_outside_the_repo_stops_a_self_vouched_key(spec, keys, run_in_process, tmp_path, signed_template):
    """Whoever can edit the repo can add their own key to .reqtrace/allowed_signers; --signers FILE cannot be edited that way."""
    repo = signed_repo(spec, keys, signed_template)
    outside = tmp_path / "trusted_signers"
    trust(outside, "li.wei@brightpath.example", keys("vendor"))
    intruder = keys("intruder")
    trust(spec.root / ".reqtrace" / "allowed_signers", "chen@sunrise-clinic.example", intruder)  # the intruder vouches for themselves
    sign_baseline(repo, "contract-v1.0", signer=CUSTOMER, meaning="accepted", role="customer", key=intruder)
    assert verify_cli(run_in_process, spec).exit_code == 0  # the in-repo list was edited: it believes the intruder
    result = verify_cli(run_in_process, spec, "--signers", str(outside))
    assert result.exit_code == 1 and "signer-unknown" in result.stdout
    assert f"is not in {outside}" in " ".join(result.stdout.split())
    check = run_in_process("check", "--format", "json", cwd=spec.root, env={"REQTRACE_ALLOWED_SIGNERS": str(outside)})
    assert check.exit_code == 1 and "signer-unknown" in check.stdout


def test_key_validity_is_judged_at_the_signing_time(spec, keys, run_in_process, monkeypatch):
    repo = repo_of(spec)
    create_baseline(repo, "v1")
    key = keys("vendor")
    public = " ".join(key.with_name(key.name + ".pub").read_text().split()[:2])
    signers = spec.root.parent / "signers"
    signers.write_text(f'li.wei@brightpath.example namespaces="reqtrace",valid-after="20260201Z",valid-before="20260301Z" {public}\n')
    sign_baseline(repo, "v1", signer=VENDOR, meaning="approved", role="vendor", key=key)  # 2026-02-20: inside the window
    assert run_in_process("baseline", "verify", "v1", "--signers", str(signers), cwd=spec.root).exit_code == 0
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(FEB_20) + 86400 * 30))  # 2026-03-22: the key had expired
    sign_baseline(repo, "v1", signer=VENDOR, meaning="delivered", role="vendor", key=key)
    result = run_in_process("baseline", "verify", "v1", "--signers", str(signers), cwd=spec.root)
    assert result.exit_code == 1 and "not valid at the signing time 2026-03-22T10:00:00Z" in result.stdout


def test_revoked_sign_off_stays_on_record_and_no_longer_accepts(spec, keys, run_in_process, signed_template):
    repo = signed_repo(spec, keys, signed_template)
    assert accepted_baseline(repo).name == "contract-v1.0"
    customer = next(s for s in load_baseline(repo, "contract-v1.0").signoffs if s.role == "customer")
    before = Path(spec.root / customer.path).read_bytes()
    result = run_in_process("baseline", "revoke", "contract-v1.0", customer.id, "--reason", "Signed the wrong version of the letter", cwd=spec.root)
    assert result.exit_code == 0, result.stderr
    assert Path(spec.root / customer.path).read_bytes() == before  # history is never rewritten
    assert accepted_baseline(repo) is None
    show = json.loads(run_in_process("baseline", "show", "contract-v1.0", "--format", "json", cwd=spec.root).stdout)["baseline"]
    revoked = next(s for s in show["signoffs"] if s["id"] == customer.id)
    assert revoked["status"] == "revoked" and revoked["revoked"]["reason"] == "Signed the wrong version of the letter"
    assert show["accepted"] is False
    assert verify_cli(run_in_process, spec).exit_code == 0  # a revocation is not breakage
    again = run_in_process("baseline", "revoke", "contract-v1.0", customer.id, "--reason", "twice", cwd=spec.root)
    assert again.exit_code == 3 and "already revoked" in again.stderr
    assert spec.git("status", "--porcelain") == ""


def test_missing_tag_in_a_shallow_clone_says_how_to_fetch(spec, keys, run_in_process, tmp_path, signed_template):
    signed_repo(spec, keys, signed_template)
    clone = tmp_path / "ci-checkout"
    git(tmp_path, "clone", "-q", "--depth", "1", "--no-tags", f"file://{spec.root}", str(clone))
    result = run_in_process("baseline", "verify", "contract-v1.0", cwd=clone)
    assert result.exit_code == 3
    assert "tag baseline/contract-v1.0 is not in this clone, which is shallow" in result.stderr
    assert "git fetch --unshallow --tags" in result.stderr and "fetch-depth: 0" in result.stderr
    check = run_in_process("check", cwd=clone)
    assert check.exit_code == 3 and "fetch-depth: 0" in check.stderr
    shown = run_in_process("baseline", "list", cwd=clone)  # list still answers, and says why it cannot verify
    assert shown.exit_code == 0 and "problem" in shown.stdout


def test_a_deleted_tag_in_a_full_clone_is_tampering(spec, keys, run_in_process, signed_template):
    signed_repo(spec, keys, signed_template)
    spec.git("tag", "-d", "baseline/contract-v1.0")
    result = verify_cli(run_in_process, spec)
    assert result.exit_code == 1 and "tag baseline/contract-v1.0 is missing" in result.stdout


def test_ssh_keygen_missing_from_path(spec, keys, run_cli, tmp_path, signed_template):
    repo = signed_repo(spec, keys, signed_template)
    bin_dir = tmp_path / "bin-without-ssh"
    bin_dir.mkdir()
    (bin_dir / "git").symlink_to(shutil.which("git"))
    env = {"PATH": str(bin_dir)}
    result = run_cli("baseline", "sign", "contract-v1.0", "--signer", VENDOR, "--meaning", "delivered", "--key", str(keys("vendor")), cwd=spec.root, env=env)
    assert result.exit_code == 3
    assert "ssh-keygen is not installed or not on PATH" in result.stderr and "openssh-client" in result.stderr
    assert len(load_baseline(repo, "contract-v1.0").signoffs) == 2  # nothing written
    assert spec.git("status", "--porcelain") == ""
    assert verify_cli(run_cli, spec).exit_code == 0
    result = run_cli("baseline", "verify", "contract-v1.0", cwd=spec.root, env=env)
    assert result.exit_code == 3 and "ssh-keygen is not installed" in result.stderr
    shown = run_cli("baseline", "show", "contract-v1.0", cwd=spec.root, env=env)
    assert shown.exit_code == 0 and "unverified" in shown.stdout


def test_ssh_keygen_missing_is_a_typed_error_in_the_core(spec, keys, monkeypatch, signed_template):
    repo = signed_repo(spec, keys, signed_template)
    monkeypatch.setattr("reqtrace.io.sshsig._TOOL", "ssh-keygen-that-does-not-exist")
    with pytest.raises(ToolMissing):
        verify_baseline(repo, load_baseline(repo, "contract-v1.0"))


# ------------------------------------------------------- accepted, list, show


def test_accepted_baseline_rule_and_delivery_date(spec, keys, monkeypatch):
    repo = repo_of(spec)
    create_baseline(repo, "draft-1")
    key = keys("vendor")
    sign_baseline(repo, "draft-1", signer=VENDOR, meaning="approved", role="vendor", key=key)
    assert accepted_baseline(repo) is None  # a vendor's yes does not make it accepted
    letter = spec.root.parent / "letter.eml"
    letter.write_text("From: chen@sunrise-clinic.example\nSubject: OK\n\nApproved.\n")
    sign_baseline(repo, "draft-1", signer=CUSTOMER, meaning="reviewed", role="customer", evidence=letter)
    assert accepted_baseline(repo) is None  # reviewed is not approved
    sign_baseline(repo, "draft-1", signer=CUSTOMER, meaning="approved", role="customer", evidence=letter)
    assert accepted_baseline(repo).name == "draft-1"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(FEB_20) + 86400 * 30))
    spec.commit({"specs/booking/REQ-4.yaml": requirement_yaml("REQ-4", "More", "Agreed in March.")})
    create_baseline(repo, "contract-v2")
    assert accepted_baseline(repo).name == "draft-1"  # newer, but nobody on the customer side accepted it
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(FEB_20) + 86400 * 60))
    sign_baseline(repo, "contract-v2", signer=VENDOR, meaning="delivered", role="vendor", key=key)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(FEB_20) + 86400 * 70))
    sign_baseline(repo, "contract-v2", signer=CUSTOMER, meaning="accepted", role="customer", evidence=letter)
    accepted = accepted_baseline(repo)
    assert accepted.name == "contract-v2"
    assert accepted.delivery_date == "2026-04-21"  # the first delivered/accepted sign-off
    assert accepted.commit == spec.git("rev-parse", "baseline/contract-v2^{commit}")
    assert [b.name for b in load_baselines(repo)] == ["draft-1", "contract-v2"]


def test_list_and_show_text_and_json(spec, keys, run_cli, run_in_process, signed_template):
    signed_repo(spec, keys, signed_template)
    listed = run_cli("baseline", "list", "--format", "json", cwd=spec.root)
    assert listed.exit_code == 0
    data = json.loads(listed.stdout)
    assert data["schema_version"] == SCHEMA_VERSION and data["accepted"] == "contract-v1.0"
    entry = data["baselines"][0]
    for key in ("name", "commit", "created", "created_by", "root_digest", "requirement_count", "accepted", "delivery_date", "ok", "signoffs"):
        assert key in entry
    for key in ("signer", "meaning", "time", "method", "status", "role"):
        assert key in entry["signoffs"][0]
    # The JSON through real processes; the text in this process (the same text, ~0.25 s less each).
    text = run_in_process("baseline", "list", cwd=spec.root).stdout
    assert "contract-v1.0" in text and "accepted baseline" in text and "✓ intact" in text
    shown = run_in_process("baseline", "show", "contract-v1.0", cwd=spec.root).stdout
    assert "approved (customer) by Dr. Chen <chen@sunrise-clinic.example>" in shown
    assert "approved (vendor) by Li Wei <li.wei@brightpath.example>" in shown
    assert "valid" in shown and "recorded" in shown and "2026-02-20T10:00:00Z" in shown
    full = json.loads(run_cli("baseline", "show", "contract-v1.0", "--format", "json", cwd=spec.root).stdout)
    assert [r["id"] for r in full["baseline"]["requirements"]] == ["REQ-1", "REQ-2", "REQ-3"]


def test_check_passes_on_intact_baselines_and_schemas_print(spec, keys, run_cli, run_in_process, signed_template):
    signed_repo(spec, keys, signed_template)
    result = run_cli("check", "--format", "json", cwd=spec.root)
    assert result.exit_code == 0, result.stdout
    for kind in ("manifest", "signoff", "revocation"):
        schema = run_in_process("schema", kind)  # `schema` runs as a real process in test_schema
        assert schema.exit_code == 0 and json.loads(schema.stdout)["$id"] == f"{kind}.json"


def test_a_hand_edited_manifest_with_a_schema_error_is_reported(spec, run_in_process):
    assert run_in_process("baseline", "create", "v1", cwd=spec.root).exit_code == 0
    path = spec.root / "baselines/v1/manifest.yaml"
    path.write_text(path.read_text().replace("algorithm: reqtrace-digest-1", "algorithm: md5"))
    check = json.loads(run_in_process("check", "--format", "json", cwd=spec.root).stdout)
    finding = next(f for f in check["findings"] if f["path"] == "baselines/v1/manifest.yaml")
    assert finding["code"] == "schema" and "algorithm" in finding["message"]
    result = run_in_process("baseline", "verify", "v1", cwd=spec.root)
    assert result.exit_code == 1 and "✗ schema baselines/v1/manifest.yaml:" in result.stdout and "algorithm" in result.stdout


# ------------------------------------------------------------- the demo's use


def test_the_demo_invocations_work_in_a_fresh_repo(tmp_path, keys, run_cli):
    """As examples/clinic/story.yaml replays them: dates from the environment, files committed by reqtrace."""
    root = tmp_path / "clinic"
    assert run_cli("init", str(root), "--project", "Clinic", cwd=tmp_path).exit_code == 0
    (root / "specs/REQ-1.yaml").write_text(requirement_yaml("REQ-1", "在线预约", "患者可以在线预约。"))
    dates = {"GIT_AUTHOR_DATE": "2026-02-20T10:00:00+08:00", "GIT_COMMITTER_DATE": "2026-02-20T10:00:00+08:00", "SOURCE_DATE_EPOCH": str(int(FEB_20) - 8 * 3600)}
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Agreed scope", env=dates)
    key = keys("vendor")
    trust(root / ".reqtrace/allowed_signers", "li.wei@brightpath.example", key)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Trust the vendor key", env=dates)
    result = run_cli("baseline", "create", "contract-v1.0", "-m", "Contract scope signed with the clinic", cwd=root, env=dates)
    assert result.exit_code == 0, result.stderr
    result = run_cli("baseline", "sign", "contract-v1.0", "--signer", VENDOR, "--meaning", "approved", "--role", "vendor", "--key", str(key), cwd=root, env=dates)
    assert result.exit_code == 0, result.stderr
    scan = tmp_path / "acceptance-letter.pdf"
    scan.write_bytes(b"%PDF-1.4 signed and stamped\n")
    result = run_cli("baseline", "sign", "contract-v1.0", "--signer", CUSTOMER, "--meaning", "approved", "--role", "customer", "--recorded", "--evidence", str(scan), cwd=root, env=dates)
    assert result.exit_code == 0, result.stderr
    assert "contract-v1.0 is the accepted baseline" in result.stdout
    assert git(root, "status", "--porcelain") == ""
    log = git(root, "log", "--format=%ad %s", "--date=iso-strict").splitlines()
    assert all(line.startswith("2026-02-20T10:00:00+08:00") for line in log)
    assert "2026-02-20T02:00:00Z" in next((root / "baselines/contract-v1.0/signoffs").glob("*li-wei*.yaml")).read_text()
    assert run_cli("baseline", "verify", "contract-v1.0", cwd=root).exit_code == 0
    assert run_cli("check", cwd=root).exit_code == 0


def test_verify_raises_for_missing_history_in_the_core(spec, keys, tmp_path, signed_template):
    signed_repo(spec, keys, signed_template)
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", "--no-tags", f"file://{spec.root}", str(clone))
    repo = find_spec_repo(clone)
    with pytest.raises(RevisionError, match="shallow"):
        verify_baseline(repo, load_baseline(repo, "contract-v1.0"))


def test_source_date_epoch_must_be_a_number(spec, run_in_process):
    result = run_in_process("baseline", "create", "v1", cwd=spec.root, env={"SOURCE_DATE_EPOCH": "yesterday"})
    assert result.exit_code == 3 and "SOURCE_DATE_EPOCH must be a whole number" in result.stderr
    assert spec.git("tag", "-l") == ""


def test_revoke_unknown_sign_off(spec, run_in_process):
    assert run_in_process("baseline", "create", "v1", cwd=spec.root).exit_code == 0
    result = run_in_process("baseline", "revoke", "v1", "nope", "--reason", "x", cwd=spec.root)
    assert result.exit_code == 3 and "has no sign-off 'nope'" in result.stderr


def test_no_shell_anywhere():
    source = Path(__file__).resolve().parents[1] / "src" / "reqtrace"
    for path in source.rglob("*.py"):
        assert "shell=True" not in path.read_text(), path




def test_check_reports_a_moved_tag_and_passes_before(spec, keys, run_in_process, signed_template):
    signed_repo(spec, keys, signed_template)
    assert run_in_process("check", cwd=spec.root).exit_code == 0
    later = spec.commit({"specs/booking/REQ-2.yaml": requirement_yaml("REQ-2", "Cancel", "Cancel until 1 hour before.")})
    spec.git("tag", "-f", "-a", "-m", "moved", "baseline/contract-v1.0", later)
    result = run_in_process("check", "--format", "json", cwd=spec.root)
    assert result.exit_code == 1
    moved = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "baseline-tampered"]
    assert any("points at commit " + later[:12] in f["message"] for f in moved)
    assert all(f["path"] == "baselines/contract-v1.0/manifest.yaml" for f in moved)


def test_create_commits_only_its_manifest_and_explains_a_refused_commit(spec, run_in_process):
    spec.write({"records/requests/notes.txt": "staged, not mine"})
    spec.git("add", "records/requests/notes.txt")
    assert run_in_process("baseline", "create", "v1", cwd=spec.root).exit_code == 0
    assert spec.git("show", "--name-only", "--format=", "HEAD") == "baselines/v1/manifest.yaml"
    assert spec.git("status", "--porcelain") == "A  records/requests/notes.txt"  # still staged, untouched
    hook = spec.root / ".git/hooks/pre-commit"
    hook.write_text("#!/bin/sh\necho 'no commits today' >&2\nexit 1\n")
    hook.chmod(0o755)
    result = run_in_process("baseline", "create", "v2", cwd=spec.root)
    assert result.exit_code == 3
    assert "baseline 'v2' was made (tag baseline/v2, baselines/v2/manifest.yaml) but committing the manifest failed" in result.stderr
    assert "git add baselines/v2/manifest.yaml && git commit" in result.stderr
