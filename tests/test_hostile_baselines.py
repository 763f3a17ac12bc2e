"""Signed baselines under attack and accident: a witness deleted, evidence outside the repo,
a forged key fingerprint, an impossible SOURCE_DATE_EPOCH. Real git, real ssh-keygen keys.

The rules these tests pin are written where the code enforces them:
`baseline.missing_witnesses`, `baseline.evidence_path_problem` with
`baseline_verify.read_evidence`, `baseline_verify._check_fingerprint`, `clock.source_date_epoch`.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import SpecRepoFixture, make_repo_in, requirement_yaml
from pack_kit import CUSTOMER, VENDOR, VENDOR_EMAIL, allowed_signers_line, make_key, signoff_yaml
from reqtrace.baselines.baseline import create_baseline, load_baseline
from reqtrace.baselines.signoff import sign_baseline
from reqtrace.core.config import SpecRepo, find_spec_repo
from reqtrace.errors import InputError
from reqtrace.io.clock import today

FEB_20 = "1771581600"  # 2026-02-20T10:00:00Z
JUN_30 = "1782813600"  # 2026-06-30T10:00:00Z
CONTRACT = "baselines/contract-v1.0"
DELIVERY = "baselines/delivery-v1.0"
OUTSIDE = b"a file outside the spec repo: nothing of it may reach verify, check or a pack\n"


@dataclass
class World:
    spec: SpecRepoFixture
    repo: SpecRepo
    key: Path

    def signoff(self, folder: str, who: str) -> Path:
        (found,) = (self.spec.root / folder / "signoffs").glob(f"*-{who}-*.yaml")
        return found


@pytest.fixture(scope="module")
def world_template(tmp_path_factory, build_env) -> Path:
    """contract-v1.0 (vendor SSH + customer recorded, approved), then delivery-v1.0 accepted by
    the customer: delivery-v1.0 is the accepted baseline, contract-v1.0 the older one. Built
    once per module (a key, five commits, an SSH signature); `world` copies it per test."""
    tmp_path = tmp_path_factory.mktemp("hostile-baselines")
    with pytest.MonkeyPatch.context() as monkeypatch:
        _build_world(make_repo_in(tmp_path), tmp_path, monkeypatch)
    return tmp_path


@pytest.fixture
def world(world_template, tmp_path) -> World:
    # The repo, the key and the letters, at the same places under the test's own folder.
    shutil.copytree(world_template, tmp_path, symlinks=True, dirs_exist_ok=True)
    return World(SpecRepoFixture(tmp_path / "repo"), find_spec_repo(tmp_path / "repo"), tmp_path / "keys" / "vendor")


def _build_world(make_repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    spec = make_repo(
        {
            "specs/REQ-1.yaml": requirement_yaml("REQ-1", "Book online", "Patients book online.", status="approved"),
            "specs/REQ-2.yaml": requirement_yaml("REQ-2", "Cancel", "Patients cancel until 24 hours before.", parents=["REQ-1"]),
        }
    )
    key = make_key(tmp_path / "keys", "vendor", VENDOR_EMAIL)
    spec.commit({".reqtrace/allowed_signers": allowed_signers_line(key, VENDOR_EMAIL)}, "trust the vendor's key")
    repo = find_spec_repo(spec.root)
    letter, acceptance = tmp_path / "contract-letter.pdf", tmp_path / "acceptance-letter.pdf"
    letter.write_bytes(b"%PDF-1.4 contract approved, signed Chen Jing\n")
    acceptance.write_bytes(b"%PDF-1.4 delivery accepted, signed Chen Jing\n")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", FEB_20)
    create_baseline(repo, "contract-v1.0", message="Contract scope")
    sign_baseline(repo, "contract-v1.0", signer=VENDOR, meaning="approved", role="vendor", key=key)
    sign_baseline(repo, "contract-v1.0", signer=CUSTOMER, meaning="approved", role="customer", evidence=letter)
    spec.commit({"specs/REQ-3.yaml": requirement_yaml("REQ-3", "Reminders", "An SMS the day before.")}, "REQ-3")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", JUN_30)
    create_baseline(repo, "delivery-v1.0", message="Delivered scope")
    sign_baseline(repo, "delivery-v1.0", signer=CUSTOMER, meaning="accepted", role="customer", evidence=acceptance)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    return World(spec, repo, key)


def accepted(run_cli, world: World) -> str | None:
    result = run_cli("baseline", "list", "--format", "json", cwd=world.spec.root)
    return json.loads(result.stdout)["accepted"]


def test_the_world_is_clean_before_any_attack(world, run_cli):
    # Without this, an attack test's exit 1 could come from something else.
    assert run_cli("check", "--strict", cwd=world.spec.root).exit_code == 0
    assert run_cli("baseline", "verify", cwd=world.spec.root).exit_code == 0
    assert accepted(run_cli, world) == "delivery-v1.0"


# ------------------------------------------------ 1. a witness deleted or emptied


def test_a_deleted_accepted_baseline_is_a_finding_and_never_a_fallback(world, run_in_process):
    world.spec.git("rm", "-q", "-r", DELIVERY)
    deleter = world.spec.commit(message="remove the delivery baseline")
    root = world.spec.root
    assert world.spec.git("tag", "-l", "baseline/delivery-v1.0") == "baseline/delivery-v1.0"

    checked = run_in_process("check", cwd=root)  # not only --strict: a signed baseline vanishing is an error
    assert checked.exit_code == 1, checked.stdout + checked.stderr
    assert "baseline 'delivery-v1.0' is gone" in checked.stdout
    assert f"deleted in commit {deleter[:12]}" in checked.stdout
    assert f"git checkout {deleter[:12]}^ -- {DELIVERY}" in checked.stdout
    assert "git tag -d baseline/delivery-v1.0" in checked.stdout  # how to retire it on purpose

    for args in (("baseline", "verify"), ("baseline", "verify", "delivery-v1.0")):
        result = run_in_process(*args, cwd=root)
        assert result.exit_code == 1, (args, result.stdout, result.stderr)
        assert "baseline 'delivery-v1.0' is gone" in result.stdout

    # The accepted baseline is unknown, not silently contract-v1.0.
    for args in (("diff",), ("status",)):
        result = run_in_process(*args, cwd=root)
        assert result.exit_code == 3, (args, result.stdout, result.stderr)
        assert "cannot tell which baseline is accepted" in result.stderr and "delivery-v1.0" in result.stderr
        assert "Traceback" not in result.stderr
    assert accepted(run_in_process, world) is None

    # The fix the message gives works.
    world.spec.git("checkout", f"{deleter}^", "--", DELIVERY)
    world.spec.commit(message="restore the delivery baseline")
    assert run_in_process("baseline", "verify", cwd=root).exit_code == 0
    assert accepted(run_in_process, world) == "delivery-v1.0"


def test_a_triage_against_the_accepted_baseline_stops_too(world, run_in_process):
    world.spec.git("rm", "-q", "-r", DELIVERY)
    world.spec.commit(message="remove the delivery baseline")
    result = run_in_process("triage", "--text", "Please add SMS reminders", cwd=world.spec.root)
    assert result.exit_code == 3, result.stdout + result.stderr
    assert "cannot tell which baseline is accepted" in result.stderr


def test_removing_every_baseline_folder_is_still_seen(world, run_in_process):
    # With no file left under baselines/, check used to skip the baseline checks altogether.
    world.spec.git("rm", "-q", "-r", "baselines")
    world.spec.commit(message="remove all baselines")
    result = run_in_process("check", cwd=world.spec.root)
    assert result.exit_code == 1
    assert "baseline 'contract-v1.0' is gone" in result.stdout and "baseline 'delivery-v1.0' is gone" in result.stdout


def test_an_emptied_manifest_is_a_finding(world, run_in_process):
    world.spec.commit({f"{DELIVERY}/manifest.yaml": b""}, "empty the manifest")
    for args in (("check",), ("baseline", "verify"), ("baseline", "verify", "delivery-v1.0")):
        result = run_in_process(*args, cwd=world.spec.root)
        assert result.exit_code == 1, (args, result.stdout, result.stderr)
        assert "the manifest is empty" in result.stdout
        assert f"{DELIVERY}/manifest.yaml:1" in result.stdout or f"{DELIVERY}/manifest.yaml\n     1  error" in result.stdout
    assert run_in_process("diff", cwd=world.spec.root).exit_code == 3


def test_a_deleted_signoff_is_a_finding_pointing_to_revoke(world, run_in_process):
    signoff = world.signoff(DELIVERY, "chen")
    world.spec.git("rm", "-q", str(signoff.relative_to(world.spec.root)))
    deleter = world.spec.commit(message="drop the customer's acceptance")
    result = run_in_process("baseline", "verify", "delivery-v1.0", cwd=world.spec.root)
    assert result.exit_code == 1
    assert f"sign-off {signoff.stem} of baseline 'delivery-v1.0' was deleted in commit {deleter[:12]}" in " ".join(result.stdout.split())
    assert f"reqtrace baseline revoke delivery-v1.0 {signoff.stem}" in result.stdout
    assert run_in_process("check", cwd=world.spec.root).exit_code == 1
    assert run_in_process("diff", cwd=world.spec.root).exit_code == 3  # not a fallback to contract-v1.0


def test_a_deletion_not_yet_committed_is_seen_in_the_working_tree(world, run_in_process):
    (world.spec.root / DELIVERY / "manifest.yaml").unlink()
    result = run_in_process("check", cwd=world.spec.root)
    assert result.exit_code == 1
    assert "was deleted in the working tree" in result.stdout
    assert f"git checkout HEAD -- {DELIVERY}" in result.stdout


def test_retiring_a_baseline_is_explicit_deleting_its_tag_too(world, run_in_process):
    world.spec.git("rm", "-q", "-r", DELIVERY)
    world.spec.commit(message="retire the delivery baseline")
    world.spec.git("tag", "-d", "baseline/delivery-v1.0")
    assert run_in_process("baseline", "verify", cwd=world.spec.root).exit_code == 0
    assert run_in_process("check", cwd=world.spec.root).exit_code == 0
    assert accepted(run_in_process, world) == "contract-v1.0"


def test_a_cached_choice_does_not_hide_a_deleted_baseline(world, run_cli):
    # Retired, the same files rightly mean contract-v1.0, and diff and triage cache that choice.
    # When the tag comes back (a `git fetch --tags` from a remote that still has it), the same
    # files now mean a deleted baseline: the caches must not answer contract-v1.0.
    root = world.spec.root
    tag_object = world.spec.git("rev-parse", "refs/tags/baseline/delivery-v1.0")
    world.spec.git("rm", "-q", "-r", DELIVERY)
    world.spec.commit(message="remove the delivery baseline")
    world.spec.git("tag", "-d", "baseline/delivery-v1.0")
    assert run_cli("diff", cwd=root).exit_code == 0
    assert run_cli("triage", "--text", "Please add SMS reminders", cwd=root).exit_code == 0
    world.spec.git("update-ref", "refs/tags/baseline/delivery-v1.0", tag_object)
    for args in (("diff",), ("triage", "--text", "Please add SMS reminders")):
        result = run_cli(*args, cwd=root)
        assert result.exit_code == 3, (args, result.stdout, result.stderr)
        assert "baseline 'delivery-v1.0' is gone" in result.stderr


def test_a_folder_without_its_tag_stays_a_finding(world, run_in_process):
    world.spec.git("tag", "-d", "baseline/delivery-v1.0")
    result = run_in_process("baseline", "verify", "delivery-v1.0", cwd=world.spec.root)
    assert result.exit_code == 1
    assert "tag baseline/delivery-v1.0 is missing" in result.stdout


def test_an_older_revision_and_a_tag_from_another_branch_are_not_findings(world, run_in_process):
    root = world.spec.root
    # A revision from before the deletion still holds its baselines.
    before = world.spec.git("rev-parse", "HEAD")
    world.spec.git("rm", "-q", "-r", DELIVERY)
    world.spec.commit(message="remove the delivery baseline")
    result = run_in_process("baseline", "verify", "--rev", before, cwd=root)
    assert result.exit_code == 0, result.stdout
    # A baseline made on a branch that is not merged: its tag exists, its manifest was never on main.
    world.spec.git("checkout", "-q", f"{before}")
    world.spec.git("checkout", "-q", "-b", "main-again")
    world.spec.git("checkout", "-q", "-b", "feature")
    create_baseline(world.repo, "feature-v1")
    world.spec.git("checkout", "-q", "main-again")
    result = run_in_process("check", cwd=root)
    assert result.exit_code == 0, result.stdout


# ---------------------------------- 2. evidence paths that leave the repository


def forge_recorded_signoff(world: World, path: str, data: bytes, *, name: str = "20260701T000000Z-accepted-chen-jing-forged00.yaml") -> Path:
    """A recorded acceptance of delivery-v1.0 whose evidence is `path` with `data`'s sha256:
    recorded sign-offs are not signed, so anyone who can write the repo can make one."""
    baseline = load_baseline(world.repo, "delivery-v1.0")
    forged = world.spec.root / DELIVERY / "signoffs" / name
    forged.write_text(signoff_yaml("delivery-v1.0", baseline.root_digest, CUSTOMER, "accepted", "2026-07-01T00:00:00Z", "customer", evidence=(path, data), files_digest=baseline.files_digest))
    return forged


def evidence_line(forged: Path) -> int:
    return next(number for number, line in enumerate(forged.read_text().splitlines(), 1) if line.strip().startswith("path:"))


@pytest.fixture
def outside(tmp_path) -> Path:
    target = tmp_path / "elsewhere" / "secret.txt"
    target.parent.mkdir()
    target.write_bytes(OUTSIDE)
    return target


@pytest.mark.parametrize(
    ("kind", "why"),
    [
        ("absolute", "it is an absolute path"),
        ("dotdot", "it contains '..'"),
        ("git", "it points into .git/"),
        ("symlink", "a symbolic link lies on its way"),
    ],
)
def test_evidence_outside_the_repo_is_refused_and_nothing_of_it_shown(world, run_in_process, outside, kind, why):
    root = world.spec.root
    if kind == "absolute":
        path, data = str(outside), OUTSIDE
    elif kind == "dotdot":
        path, data = "../elsewhere/secret.txt", OUTSIDE
    elif kind == "git":
        path, data = ".git/config", (root / ".git" / "config").read_bytes()
    else:
        (root / "records").mkdir(exist_ok=True)
        (root / "records" / "linked").symlink_to(outside.parent, target_is_directory=True)
        path, data = "records/linked/secret.txt", OUTSIDE
    forged = forge_recorded_signoff(world, path, data)
    digest = hashlib.sha256(data).hexdigest()
    where = f"{forged.relative_to(root).as_posix()}:{evidence_line(forged)}"
    for args in (("baseline", "verify", "delivery-v1.0"), ("check",)):
        result = run_in_process(*args, cwd=root)
        assert result.exit_code == 1, (args, result.stdout, result.stderr)
        assert f"its evidence path '{path}' is refused: {why}" in " ".join(result.stdout.split())
        if args[0] == "baseline":
            assert where in result.stdout
        else:  # check prints the file, then the line number in front of the finding
            assert re.search(rf"{re.escape(forged.relative_to(root).as_posix())}\n\s+{evidence_line(forged)}\s+error\s+signature-invalid\s+its evidence path", result.stdout)
        assert "intact" not in result.stdout
    shown = run_in_process("baseline", "show", "delivery-v1.0", "--format", "json", cwd=root)
    (entry,) = [s for s in json.loads(shown.stdout)["baseline"]["signoffs"] if s["id"] == forged.stem]
    assert entry["status"] == "signature-invalid" and "refused" in entry["detail"]
    # A wrong hash must not leak the outside file's hash either (it used to print its first 16 digits).
    text = forged.read_text().replace(digest, "0" * 64)
    forged.write_text(text)
    result = run_in_process("baseline", "verify", "delivery-v1.0", cwd=root)
    assert result.exit_code == 1
    assert digest[:16] not in result.stdout + result.stderr


def test_a_pack_never_carries_an_outside_file(world, run_in_process, outside, tmp_path):
    # In the working tree (the pack's default) the evidence used to be read from disk, wherever it was.
    forged = forge_recorded_signoff(world, str(outside), OUTSIDE)
    out = tmp_path / "pack.zip"
    result = run_in_process("pack", "build", "delivery-v1.0", "--to", "WORKTREE", "-o", str(out), "--format", "json", cwd=world.spec.root)
    assert out.is_file(), result.stdout + result.stderr
    with zipfile.ZipFile(out) as archive:
        assert not any(OUTSIDE.strip() in archive.read(member) for member in archive.namelist())
    assert forged.stem in result.stdout + result.stderr


def test_evidence_at_a_revision_is_read_from_git_not_the_disk(world, run_in_process):
    # At --rev the evidence comes from that commit's tree: changing the file on disk changes nothing.
    head = world.spec.git("rev-parse", "HEAD")
    signoff = world.signoff(DELIVERY, "chen")
    evidence = re.search(r"path: (\S+)", signoff.read_text()).group(1)
    (world.spec.root / evidence).write_bytes(b"replaced on disk")
    assert run_in_process("baseline", "verify", "delivery-v1.0", "--rev", head, cwd=world.spec.root).exit_code == 0
    assert run_in_process("baseline", "verify", "delivery-v1.0", cwd=world.spec.root).exit_code == 1


# ------------------------------------------------ 3. a key fingerprint edited after signing


def fingerprint_of(key: Path) -> str:
    out = subprocess.run(["ssh-keygen", "-l", "-f", str(key) + ".pub"], capture_output=True, text=True, check=True).stdout
    return out.split()[1]


def test_an_edited_key_fingerprint_is_a_finding_and_json_reports_the_real_key(world, run_in_process):
    real = fingerprint_of(world.key)
    signoff = world.signoff(CONTRACT, "li-wei")
    text = signoff.read_text()
    assert f"key_fingerprint: {real}" in text
    forged_print = "SHA256:" + "A" * 43
    signoff.write_text(text.replace(real, forged_print))
    world.spec.commit(message="edit the fingerprint")
    line = next(n for n, row in enumerate(signoff.read_text().splitlines(), 1) if row.startswith("key_fingerprint:"))

    result = run_in_process("baseline", "verify", "contract-v1.0", cwd=world.spec.root)
    assert result.exit_code == 1
    assert f"{signoff.relative_to(world.spec.root).as_posix()}:{line}" in result.stdout
    assert f"its key_fingerprint says {forged_print}, but the signature was made with key {real}" in " ".join(result.stdout.split())
    assert run_in_process("check", cwd=world.spec.root).exit_code == 1

    shown = json.loads(run_in_process("baseline", "show", "contract-v1.0", "--format", "json", cwd=world.spec.root).stdout)
    (entry,) = [s for s in shown["baseline"]["signoffs"] if s["id"] == signoff.stem]
    assert entry["key_fingerprint"] == real
    assert entry["claimed_key_fingerprint"] == forged_print
    assert entry["status"] == "signature-invalid"


def test_an_intact_fingerprint_is_reported_as_verified(world, run_in_process):
    shown = json.loads(run_in_process("baseline", "show", "contract-v1.0", "--format", "json", cwd=world.spec.root).stdout)
    (entry,) = [s for s in shown["baseline"]["signoffs"] if s["method"] == "ssh"]
    assert entry["status"] == "valid"
    assert entry["key_fingerprint"] == entry["claimed_key_fingerprint"] == fingerprint_of(world.key)


# ------------------------------------------------ 4. SOURCE_DATE_EPOCH out of range


@pytest.mark.parametrize("value", ["99999999999999999", "-99999999999999999", "253402300800"])
@pytest.mark.parametrize("command", ["create", "sign", "pack"])
def test_an_impossible_source_date_epoch_is_exit_3_saying_out_of_range(world, run_in_process, tmp_path, value, command):
    root = world.spec.root
    before = world.spec.git("rev-parse", "HEAD")
    if command == "create":
        world.spec.commit({"specs/REQ-4.yaml": requirement_yaml("REQ-4", "More")}, "REQ-4")
        before = world.spec.git("rev-parse", "HEAD")
        args = ["baseline", "create", "v2"]
    elif command == "sign":
        args = ["baseline", "sign", "delivery-v1.0", "--signer", VENDOR, "--meaning", "delivered", "--key", str(world.key)]
    else:
        args = ["pack", "build", "delivery-v1.0", "-o", str(tmp_path / "p.zip")]
    result = run_in_process(*args, cwd=root, env={"SOURCE_DATE_EPOCH": value})
    assert result.exit_code == 3, result.stdout + result.stderr
    assert f"SOURCE_DATE_EPOCH={value} is out of range" in result.stderr
    assert "Traceback" not in result.stderr
    assert world.spec.git("rev-parse", "HEAD") == before and world.spec.git("status", "--porcelain") == ""
    assert world.spec.git("tag", "-l", "baseline/v2") == ""
    assert not (tmp_path / "p.zip").exists()


def test_triage_and_decide_read_source_date_epoch_the_same_way(monkeypatch):
    # `triage --write` and `decide` date what they write with clock.py, as every command does.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "99999999999999999")
    with pytest.raises(InputError, match=r"SOURCE_DATE_EPOCH=99999999999999999 is out of range"):
        today()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", FEB_20)
    assert today().isoformat() == "2026-02-20"
