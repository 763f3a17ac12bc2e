"""`reqtrace pack build` and `pack verify`: contents, determinism, atomicity, and every attack."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import NamedTuple

import pytest

from conftest import make_repo_in, run_reqtrace
from pack_kit import (
    VENDOR_EMAIL,
    allowed_signers_line,
    build_repo,
    make_key,
    manifest_for,
    read_zip,
    signoff_yaml,
    write_zip,
)
from reqtrace.core.model import SCHEMA_VERSION
from reqtrace.io.archive import (
    MANIFEST,
    DeterministicZip,
    UnsafeMember,
    is_safe_member,
    member_name,
)
from reqtrace.io.files import atomic_writer

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen is needed to sign the test baseline")


@pytest.fixture
def signed(make_repo, tmp_path):
    return build_repo(make_repo, tmp_path)


class SharedPack(NamedTuple):
    zip: Path
    html: Path  # what --html-dir wrote


@pytest.fixture(scope="module")
def shared_pack(tmp_path_factory, build_env) -> SharedPack:
    """`pack build v1` of the signed repo, built once per module by a real process: the tests
    that read the pack, or tamper with a copy of it, share it."""
    top = tmp_path_factory.mktemp("shared-pack")
    signed = build_repo(make_repo_in(top), top)
    out = top / "out" / "pack.zip"
    out.parent.mkdir()  # -o never creates a missing folder
    result = run_reqtrace("pack", "build", "v1", "-o", str(out), "--html-dir", str(top / "html"), cwd=signed.repo.root)
    assert result.exit_code == 0, result.stderr
    return SharedPack(out, top / "html")


@pytest.fixture
def built(shared_pack, tmp_path):
    """The test's copy of the shared pack: the pack of `signed`'s repo, byte for byte (its
    commits' dates, the key and the signatures' times are fixed, so every copy is the same)."""
    out = tmp_path / "out" / "pack.zip"
    out.parent.mkdir()
    shutil.copyfile(shared_pack.zip, out)
    return out


# ------------------------------------------------------------------ member names


@pytest.mark.parametrize(
    "original",
    ["../../x", "/etc/passwd", "CON", "con.txt", "LPT1", "a\\..\\..\\windows\\system32", "x" * 300 + ".eml", "验收函.pdf", "..", "", " .hidden", "a/b/c/../../../../etc/shadow"],
)
def test_hostile_file_names_become_safe_member_names(original):
    name = member_name("data/records/files", original)
    assert is_safe_member(name), name
    assert name.startswith("data/records/files/")
    assert ".." not in name.split("/")
    assert len(name) <= 120
    base = name.rsplit("/", 1)[1]
    assert base.split(".")[0].split("-")[0].lower() not in {"con", "lpt1", "aux", "nul", "prn"} or "-" in base


def test_names_differing_only_in_case_or_beyond_the_slug_stay_apart():
    names = {
        member_name("d", "records/emails/Report.eml"),
        member_name("d", "records/emails/report.eml"),
        member_name("d", "records/emails/REPORT.eml"),
        member_name("d", "x" * 300 + "a.eml"),
        member_name("d", "x" * 300 + "b.eml"),
        member_name("d", "other/report.eml"),
    }
    assert len({name.casefold() for name in names}) == 6


def test_the_archive_refuses_unsafe_and_duplicate_members():
    archive = DeterministicZip(__import__("datetime").datetime(2026, 1, 1, tzinfo=__import__("datetime").UTC))
    archive.add("data/a.txt", b"1")
    for bad in ("../x", "/etc/passwd", "data/../x", "CON", "data/con.txt", "a\\b", "C:/x", "x" * 300):
        with pytest.raises(UnsafeMember):
            archive.add(bad, b"")
    with pytest.raises(UnsafeMember, match="duplicate"):
        archive.add("data/a.txt", b"2")
    with pytest.raises(UnsafeMember, match="duplicate"):
        archive.add("DATA/A.TXT", b"2")
    with pytest.raises(UnsafeMember):
        archive.add(MANIFEST, b"")


def test_atomic_writer_leaves_the_old_file_when_the_writer_fails(tmp_path):
    target = tmp_path / "pack.zip"
    target.write_bytes(b"old pack")
    with pytest.raises(RuntimeError), atomic_writer(target) as handle:
        handle.write(b"half a pa")
        raise RuntimeError("disk on fire")
    assert target.read_bytes() == b"old pack"
    assert [p.name for p in tmp_path.iterdir()] == ["pack.zip"]


# ------------------------------------------------------------------------- build


def test_pack_holds_report_data_manifest_and_pack_json(signed, built, shared_pack):
    members = read_zip(built)
    for name in ("index.html", "pack.json", MANIFEST, "data/baseline/requirements.json", "data/to/requirements.json", "data/diff.json",
                 "data/records/requests.json", "data/records/meetings.json", "data/baseline/manifest.yaml", "data/baseline/signoffs.json",
                 "data/baseline/allowed_signers", "data/files.json", "data/trace-graph.json", "data/timeline.json"):
        assert name in members, name
    pack = json.loads(members["pack.json"])
    assert pack["tool"] == {"name": "reqtrace", "version": __import__("reqtrace").__version__}
    assert pack["baseline"]["commit"] == signed.baseline_commit
    assert pack["baseline"]["root_digest"] == signed.root
    assert pack["to"]["commit"] == signed.repo.git("rev-parse", "HEAD")
    assert pack["built"] == {"time": "2026-03-06T10:00:00Z", "from": f"commit date of {pack['to']['commit'][:12]}"}
    assert pack["counts"]["unapproved_changes"] == 2

    # Originals are byte for byte what the repository holds, under safe names.
    origins = json.loads(members["data/files.json"])["files"]
    by_path = {(o["path"], o["commit"]): m for m, o in origins.items()}
    assert members[by_path[("records/emails/2026-02-10-booking.eml", pack["to"]["commit"])]] == (signed.repo.root / "records/emails/2026-02-10-booking.eml").read_bytes()
    assert members[by_path[("records/documents/acceptance-letter.pdf", pack["to"]["commit"])]] == (signed.repo.root / "records/documents/acceptance-letter.pdf").read_bytes()
    old_yaml = signed.repo.git("show", f"{signed.baseline_commit}:specs/booking/REQ-2.yaml") + "\n"
    assert members[by_path[("specs/booking/REQ-2.yaml", signed.baseline_commit)]].decode() == old_yaml

    diff = json.loads(members["data/diff.json"])
    changes = {c["id"]: c for c in diff["changes"]}
    assert changes["REQ-2"]["approved_by"] == ["RQ-1"] and changes["REQ-2"]["approved"]
    assert changes["REQ-3"]["change"] == "modified" and not changes["REQ-3"]["approved"]
    assert changes["REQ-4"]["change"] == "added"
    statement = next(f for f in changes["REQ-2"]["fields"] if f["field"] == "statement")
    assert (statement["before"], statement["after"]) == ("Patients book up to 14 days ahead.", "Patients book up to 30 days ahead.")

    signoffs = json.loads(members["data/baseline/signoffs.json"])["signoffs"]
    ssh = next(s for s in signoffs if s["method"] == "ssh")
    assert ssh["status_at_build"] == "valid"
    assert signed.root in members[ssh["statement"]].decode()
    assert members[ssh["signature"]].startswith(b"-----BEGIN SSH SIGNATURE-----")
    recorded = next(s for s in signoffs if s["method"] == "recorded")
    assert hashlib.sha256(members[recorded["evidence"]]).hexdigest() == recorded["evidence_sha256"]

    # --html-dir writes the same page, unzipped.
    assert (shared_pack.html / "index.html").read_bytes() == members["index.html"]


def test_sha256sum_checks_the_unzipped_pack_without_reqtrace(built, tmp_path):
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(built) as archive:
        archive.extractall(folder)
    proc = subprocess.run(["sha256sum", "-c", "--strict", MANIFEST], cwd=folder, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "index.html: OK" in proc.stdout


def test_the_same_repo_state_builds_the_same_bytes(signed, run_cli, tmp_path):
    first, second = tmp_path / "a.zip", tmp_path / "b" / "b.zip"
    second.parent.mkdir()
    assert run_cli("pack", "build", "v1", "-o", str(first), cwd=signed.repo.root).exit_code == 0
    assert run_cli("pack", "build", "v1", "-o", str(second), cwd=signed.repo.root, env={"TZ": "Asia/Shanghai"}).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(2026, 3, 6, 10, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}
    assert {i.extra for i in infos} == {b""}


def test_source_date_epoch_fixes_the_timestamps(signed, run_in_process, tmp_path):
    out = tmp_path / "p.zip"
    result = run_in_process("pack", "build", "v1", "-o", str(out), cwd=signed.repo.root, env={"SOURCE_DATE_EPOCH": "1767225600"})
    assert result.exit_code == 0, result.stderr
    with zipfile.ZipFile(out) as archive:
        assert {i.date_time for i in archive.infolist()} == {(2026, 1, 1, 0, 0, 0)}
        assert json.loads(archive.read("pack.json"))["built"] == {"time": "2026-01-01T00:00:00Z", "from": "SOURCE_DATE_EPOCH"}


def test_a_failed_build_leaves_the_previous_pack_and_no_debris(signed, tmp_path, monkeypatch):
    from reqtrace.core.config import find_spec_repo
    from reqtrace.pack import build as pack
    from reqtrace.pack.build import build_pack

    out = tmp_path / "packs" / "pack.zip"
    out.parent.mkdir()
    out.write_bytes(b"the pack from yesterday")

    def broken(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(pack, "render_pack_page", broken)
    with pytest.raises(OSError):
        build_pack(find_spec_repo(signed.repo.root), "v1", out)
    assert out.read_bytes() == b"the pack from yesterday"
    assert [p.name for p in out.parent.iterdir()] == ["pack.zip"]


def test_unknown_baseline_is_bad_input_and_writes_nothing(signed, run_in_process, tmp_path):
    out = tmp_path / "p.zip"
    result = run_in_process("pack", "build", "no-such-baseline", "-o", str(out), cwd=signed.repo.root)
    assert result.exit_code == 3
    assert "no baseline named 'no-such-baseline' (baselines: v1)" in result.stderr
    assert not out.exists()


def test_a_baseline_name_starting_with_dash_is_refused(signed, run_in_process, tmp_path):
    result = run_in_process("pack", "build", "-o", str(tmp_path / "p.zip"), "--", "--output=/tmp/x", cwd=signed.repo.root)
    assert result.exit_code == 3
    assert "is not a revision name" in result.stderr


def test_to_selects_the_end_of_the_changes(signed, run_in_process, tmp_path):
    from conftest import requirement_yaml

    # --to the baseline's own commit: no change, and the baseline files (committed later) still found.
    at_baseline = tmp_path / "at-baseline.zip"
    result = run_in_process("pack", "build", "v1", "--to", signed.baseline_commit, "-o", str(at_baseline), cwd=signed.repo.root)
    assert result.exit_code == 0, result.stderr
    members = read_zip(at_baseline)
    assert json.loads(members["data/diff.json"])["changes"] == []
    assert json.loads(members["pack.json"])["counts"]["signoffs"] == 2

    # --to WORKTREE: an uncommitted edit shows, and the pack says it is not a commit.
    signed.repo.write({"specs/booking/REQ-1.yaml": requirement_yaml("REQ-1", "在线预约", "患者可以在线或电话预约医生。")})
    worktree = tmp_path / "worktree.zip"
    result = run_in_process("pack", "build", "v1", "--to", "WORKTREE", "-o", str(worktree), cwd=signed.repo.root)
    assert result.exit_code == 0, result.stderr
    members = read_zip(worktree)
    assert json.loads(members["pack.json"])["to"] == {"ref": None, "commit": None}
    assert "REQ-1" in {c["id"] for c in json.loads(members["data/diff.json"])["changes"]}
    assert "working tree (uncommitted)" in members["index.html"].decode()


def test_post_delivery_requests_without_triage_are_classified_and_marked_computed(signed, run_in_process, tmp_path):
    from pack_kit import VENDOR, reqtrace

    reqtrace(signed.repo.root, "baseline", "sign", "v1", "--signer", VENDOR, "--meaning", "delivered", "--role", "vendor", "--key", str(signed.key), date="2026-06-30T08:00:00+00:00")
    signed.repo.commit(
        {"records/requests/RQ-9.yaml": "id: RQ-9\nreceived: 2026-07-10\nfrom: Chen Jing\nchannel: phone\ntitle: 预约窗口改为 60 天\ntext: 希望患者可以提前 60 天预约，现在只能提前 14 天。\nrefs: [REQ-2]\n"},
        "after delivery", date="2026-07-11T10:00:00+00:00",
    )
    out = tmp_path / "p.zip"
    result = run_in_process("pack", "build", "v1", "-o", str(out), cwd=signed.repo.root)
    assert result.exit_code == 0, result.stderr
    members = read_zip(out)
    assert json.loads(members["pack.json"])["baseline"]["delivery_date"] == "2026-06-30"
    html = members["index.html"].decode()
    assert "computed against v1 when the pack was built" in html
    assert "recorded in the request" in html  # RQ-1's own triage block


def test_an_output_that_is_a_folder_or_unwritable_is_a_clear_error(signed, run_in_process, tmp_path):
    folder = tmp_path / "packs"
    folder.mkdir()
    result = run_in_process("pack", "build", "v1", "-o", str(folder), cwd=signed.repo.root)
    assert result.exit_code == 3
    assert "is a folder; -o names the zip file to write" in result.stderr
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("x")
    result = run_in_process("pack", "build", "v1", "-o", str(blocked / "pack.zip"), cwd=signed.repo.root)
    assert result.exit_code == 3
    assert "is not a folder" in result.stderr
    assert list(tmp_path.glob("**/*.tmp")) == []


def test_bad_source_date_epoch_is_a_clear_error(signed, run_in_process, tmp_path):
    result = run_in_process("pack", "build", "v1", "-o", str(tmp_path / "p.zip"), cwd=signed.repo.root, env={"SOURCE_DATE_EPOCH": "yesterday"})
    assert result.exit_code == 3
    assert "SOURCE_DATE_EPOCH must be a whole number" in result.stderr


# ------------------------------------------------------------------------ verify


def no_git_env(tmp_path: Path) -> dict[str, str]:
    """A PATH with ssh-keygen and sha256sum but no git: verify must not need it."""
    bin_dir = tmp_path / "bin-no-git"
    bin_dir.mkdir(exist_ok=True)
    for tool in ("ssh-keygen",):
        target = bin_dir / tool
        if not target.exists():
            target.symlink_to(shutil.which(tool))
    return {"PATH": str(bin_dir)}


def verify(run, pack: Path, *args: str, tmp_path: Path):
    """`pack verify` from a folder outside any repo, with no git on PATH. `run` is `run_cli`
    (a real process) or `run_in_process`: the tampering tests ask only for the verdict, and
    real processes verify in the tests above and below that pin the text and the JSON."""
    folder = tmp_path / "elsewhere"
    folder.mkdir(exist_ok=True)
    return run("pack", "verify", str(pack), *args, cwd=folder, env=no_git_env(tmp_path))


def test_verify_passes_with_no_git_and_says_which_signers_it_used(signed, built, run_cli, tmp_path):
    outside = verify(run_cli, built, "--signers", str(signed.signers), tmp_path=tmp_path)
    assert outside.exit_code == 0, outside.stdout + outside.stderr
    assert "outside the pack" in outside.stdout
    assert "could not have changed it" in outside.stdout
    assert "the pack is intact" in outside.stdout

    inside = verify(run_cli, built, tmp_path=tmp_path)
    assert inside.exit_code == 0, inside.stdout + inside.stderr
    assert "the copy inside the pack" in inside.stdout
    assert "pass --signers FILE" in inside.stdout

    as_json = verify(run_cli, built, "--format", "json", "--signers", str(signed.signers), tmp_path=tmp_path)
    data = json.loads(as_json.stdout)
    assert data["schema_version"] == SCHEMA_VERSION and data["ok"] is True
    assert data["root_digest"] == signed.root
    assert data["signers"]["source"] == "--signers"
    assert sorted(s["status"] for s in data["signoffs"]) == ["recorded", "valid"]


def tamper(built: Path, tmp_path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    members = read_zip(built)
    change(members)
    out = tmp_path / "tampered.zip"
    write_zip(out, members)
    return out


def req_json(members: dict[str, bytes]) -> dict:
    return json.loads(members["data/baseline/requirements.json"])


def test_a_modified_file_is_named(built, run_in_process, tmp_path):
    def change(m):
        m["data/records/meetings.json"] = m["data/records/meetings.json"].replace(b"Kick-off", b"Kick-off (amended)")

    result = verify(run_in_process, tamper(built, tmp_path, change), tmp_path=tmp_path)
    assert result.exit_code == 1
    assert "data/records/meetings.json: its sha256 differs from MANIFEST.sha256" in result.stdout


def test_an_extra_file_is_named(built, run_in_process, tmp_path):
    result = verify(run_in_process, tamper(built, tmp_path, lambda m: m.update({"data/records/files/extra-0123456789ab.eml": b"From: x"})), tmp_path=tmp_path)
    assert result.exit_code == 1
    assert "data/records/files/extra-0123456789ab.eml: is in the zip but not in MANIFEST.sha256" in result.stdout


def test_a_missing_file_is_named(built, run_in_process, tmp_path):
    def change(m):
        victim = next(name for name in m if name.startswith("data/records/files/acceptance-letter"))
        del m[victim]

    result = verify(run_in_process, tamper(built, tmp_path, change), tmp_path=tmp_path)
    assert result.exit_code == 1
    assert "data/records/files/acceptance-letter-" in result.stdout
    assert "is listed in MANIFEST.sha256 but missing from the zip" in result.stdout


def test_a_manifest_rewritten_to_match_an_edited_requirement_is_caught_by_the_root_digest(signed, built, run_in_process, tmp_path):
    def change(m):
        data = req_json(m)
        for entry in data["requirements"]:
            if entry["id"] == "REQ-2":
                entry["fields"]["statement"] = "Patients book up to 60 days ahead."
        m["data/baseline/requirements.json"] = json.dumps(data).encode()
        m[MANIFEST] = manifest_for(m)

    result = verify(run_in_process, tamper(built, tmp_path, change), "--signers", str(signed.signers), tmp_path=tmp_path)
    assert result.exit_code == 1
    assert "data/baseline/requirements.json: REQ-2: recomputed digest" in result.stdout
    assert "the requirements were changed" in result.stdout
    assert "sha256 differs from MANIFEST" not in result.stdout  # the manifest itself is consistent


@pytest.mark.parametrize("also_signoffs", [False, True], ids=["digests", "digests-and-signoff-files"])
def test_rewriting_every_digest_as_well_is_caught_by_the_signatures(signed, built, run_in_process, tmp_path, also_signoffs):
    """The attacker edits a requirement and every digest, pack.json and the baseline manifest (and even the
    sign-off files' root digest and statement): only the signature can tell."""
    import yaml

    from reqtrace.core.digest import requirement_digest, root_digest
    from reqtrace.pack.verify import requirement_from_fields

    def change(m):
        data = req_json(m)
        for entry in data["requirements"]:
            if entry["id"] == "REQ-2":
                entry["fields"]["statement"] = "Patients book up to 60 days ahead."
                entry["digest"] = requirement_digest(requirement_from_fields(entry["fields"], entry["path"]))
                m[entry["yaml"]] = m[entry["yaml"]].replace(b"14 days", b"60 days")
        new_root = root_digest((e["id"], e["digest"]) for e in data["requirements"])
        data["root_digest"] = new_root
        m["data/baseline/requirements.json"] = json.dumps(data).encode()
        pack = json.loads(m["pack.json"])
        old_root = pack["baseline"]["root_digest"]
        pack["baseline"]["root_digest"] = new_root
        m["pack.json"] = json.dumps(pack).encode()
        manifest = yaml.safe_load(m["data/baseline/manifest.yaml"])
        assert manifest["root_digest"] == old_root
        manifest["root_digest"] = new_root
        manifest["requirements"] = [{"id": e["id"], "digest": e["digest"], "path": e["path"]} for e in data["requirements"]]
        m["data/baseline/manifest.yaml"] = yaml.safe_dump(manifest, sort_keys=False).encode()
        if also_signoffs:
            for entry in json.loads(m["data/baseline/signoffs.json"])["signoffs"]:
                for part in ("file", "statement"):
                    if entry.get(part):
                        m[entry[part]] = m[entry[part]].replace(old_root.encode(), new_root.encode())
        m[MANIFEST] = manifest_for(m)

    result = verify(run_in_process, tamper(built, tmp_path, change), "--signers", str(signed.signers), tmp_path=tmp_path)
    assert result.exit_code == 1, result.stdout
    assert "digest differs" not in result.stdout  # every digest was forged consistently
    if also_signoffs:
        assert "signature by li.wei@vendor.example does not verify" in result.stdout
    else:
        assert "it signs other content" in result.stdout
    assert "no sign-off in the pack is signed by a key in" in result.stdout


def test_a_re_signed_pack_passes_only_with_the_pack_s_own_signers(signed, built, run_in_process, tmp_path):
    """Why --signers matters: an attacker who swaps the pack's allowed_signers and re-signs is caught only by an outside file."""
    from reqtrace.core.digest import requirement_digest, root_digest
    from reqtrace.pack.verify import requirement_from_fields

    mallory = make_key(tmp_path / "mallory", "key", VENDOR_EMAIL)

    def change(m):
        data = req_json(m)
        for entry in data["requirements"]:
            if entry["id"] == "REQ-2":
                entry["fields"]["statement"] = "Patients book up to 60 days ahead."
                entry["digest"] = requirement_digest(requirement_from_fields(entry["fields"], entry["path"]))
                m[entry["yaml"]] = m[entry["yaml"]].replace(b"14 days", b"60 days")
        new_root = root_digest((e["id"], e["digest"]) for e in data["requirements"])
        data["root_digest"] = new_root
        m["data/baseline/requirements.json"] = json.dumps(data).encode()
        pack = json.loads(m["pack.json"])
        pack["baseline"]["root_digest"] = new_root
        m["pack.json"] = json.dumps(pack).encode()
        del m["data/baseline/manifest.yaml"]
        index = json.loads(m["data/baseline/signoffs.json"])
        origins = json.loads(m["data/files.json"])
        for dropped in (s for s in index["signoffs"] if s["method"] != "ssh"):  # the files of a sign-off left out go too
            for part in ("file", "statement"):
                del m[dropped[part]], origins["files"][dropped[part]]
        m["data/files.json"] = json.dumps(origins).encode()
        index["signoffs"] = [s for s in index["signoffs"] if s["method"] == "ssh"]
        entry = index["signoffs"][0]
        forged = signoff_yaml("v1", new_root, "Li Wei <li.wei@vendor.example>", "approved", "2026-02-20T08:30:00Z", "vendor", key=mallory)
        m[entry["file"]] = forged.encode()
        import yaml

        parsed = yaml.safe_load(forged)
        m[entry["statement"]] = parsed["statement"].encode()
        m[entry["signature"]] = parsed["signature"].encode()
        m["data/baseline/allowed_signers"] = allowed_signers_line(mallory, VENDOR_EMAIL).encode()
        m["data/baseline/signoffs.json"] = json.dumps(index).encode()
        m[MANIFEST] = manifest_for(m)

    forged = tamper(built, tmp_path, change)
    fooled = verify(run_in_process, forged, tmp_path=tmp_path)
    assert fooled.exit_code == 0, fooled.stdout  # the pack's own keys vouch for themselves
    assert "the copy inside the pack" in fooled.stdout
    caught = verify(run_in_process, forged, "--signers", str(signed.signers), tmp_path=tmp_path)
    assert caught.exit_code == 1
    assert "does not verify against" in caught.stdout
    assert f"no sign-off in the pack is signed by a key in {signed.signers}" in caught.stdout


def test_the_announced_manifest_digest_fixes_every_file(signed, built, run_in_process, tmp_path):
    members = read_zip(built)
    announced = hashlib.sha256(members[MANIFEST]).hexdigest()
    assert verify(run_in_process, built, "--manifest-sha256", announced, tmp_path=tmp_path).exit_code == 0

    def change(m):
        m["index.html"] = m["index.html"].replace(b"UNAPPROVED", b"approved")
        m[MANIFEST] = manifest_for(m)

    edited = tamper(built, tmp_path, change)
    assert verify(run_in_process, edited, tmp_path=tmp_path).exit_code == 0  # the HTML is not signed...
    result = verify(run_in_process, edited, "--manifest-sha256", announced, tmp_path=tmp_path)
    assert result.exit_code == 1  # ...but the announced manifest digest covers it
    assert "MANIFEST.sha256: its sha256 is" in result.stdout


@pytest.mark.parametrize("evil", ["../../evil.sh", "/etc/cron.d/evil", "data/../../evil", "C:/Windows/evil.bat", "data\\..\\..\\evil"])
def test_a_zip_slip_member_is_named(built, run_in_process, tmp_path, evil):
    result = verify(run_in_process, tamper(built, tmp_path, lambda m: m.update({evil: b"rm -rf ~"})), tmp_path=tmp_path)
    assert result.exit_code == 1
    assert f"{evil}: unsafe member name" in result.stdout


def test_an_edited_evidence_file_is_named(built, run_in_process, tmp_path):
    def change(m):
        victim = next(name for name in m if name.startswith("data/records/files/acceptance-letter"))
        m[victim] = b"%PDF-1.4 a different letter"
        m[MANIFEST] = manifest_for(m)

    result = verify(run_in_process, tamper(built, tmp_path, change), tmp_path=tmp_path)
    assert result.exit_code == 1
    assert "data/records/files/acceptance-letter-" in result.stdout
    assert "the sign-off" in result.stdout and "recorded" in result.stdout


def test_verify_of_something_that_is_not_a_zip(run_in_process, tmp_path):
    junk = tmp_path / "pack.zip"
    junk.write_bytes(b"this is not a zip")
    result = verify(run_in_process, junk, tmp_path=tmp_path)
    assert result.exit_code == 1
    assert "not a readable zip archive" in result.stdout
    missing = verify(run_in_process, tmp_path / "nope.zip", tmp_path=tmp_path)
    assert missing.exit_code == 3
    assert "no such file" in missing.stderr


def test_verify_without_ssh_keygen_is_an_environment_error(built, run_cli, tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    folder = tmp_path / "elsewhere"
    folder.mkdir(exist_ok=True)
    result = run_cli("pack", "verify", str(built), cwd=folder, env={"PATH": str(empty)})
    assert result.exit_code == 3
    assert "ssh-keygen is not installed" in result.stderr


def test_a_plain_revision_builds_an_unsigned_pack_that_says_so(make_repo, run_in_process, tmp_path):
    from conftest import requirement_yaml

    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1")}, tag="v0")
    out = tmp_path / "p.zip"
    result = run_in_process("pack", "build", "v0", "-o", str(out), cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    assert "is a plain revision, not a signed baseline" in result.stdout
    checked = run_in_process("pack", "verify", str(out), cwd=tmp_path)
    assert checked.exit_code == 0
    assert "no SSH signature binds this pack" in checked.stdout
    assert os.path.getsize(out) > 0


def test_json_outputs_keep_their_keys(signed, run_cli, tmp_path):
    out = tmp_path / "p.zip"
    built = run_cli("pack", "build", "v1", "-o", str(out), "--format", "json", cwd=signed.repo.root)
    assert built.exit_code == 0, built.stderr
    data = json.loads(built.stdout)
    assert set(data) == {"schema_version", "ok", "output", "size", "sha256", "manifest_sha256", "member_count", "html", "pack", "warnings"}
    assert data["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert set(data["pack"]) >= {"schema_version", "format", "tool", "project", "customer", "baseline", "to", "built", "counts"}
    checked = run_cli("pack", "verify", str(out), "--format", "json", cwd=tmp_path)
    report = json.loads(checked.stdout)
    assert set(report) == {"schema_version", "ok", "pack", "baseline", "to", "checked", "root_digest", "manifest_sha256", "signers", "signoffs", "findings", "notes"}
    assert report["manifest_sha256"] == data["manifest_sha256"]
    broken = tmp_path / "broken.zip"
    write_zip(broken, {**read_zip(out), "../evil": b"x"})
    failed = json.loads(run_cli("pack", "verify", str(broken), "--format", "json", cwd=tmp_path).stdout)
    assert failed["ok"] is False
    assert {"code": "member", "severity": "error", "path": "../evil", "line": None, "id": None} == {k: v for k, v in failed["findings"][0].items() if k != "message"}


def test_link_and_duplicate_members_are_named(built, run_in_process, tmp_path):
    import warnings

    members = read_zip(built)
    evil = tmp_path / "links.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        link = zipfile.ZipInfo("data/records/files/link-0123456789ab.txt")
        link.create_system = 3
        link.external_attr = 0o120777 << 16  # a symbolic link to /etc/passwd when unpacked
        archive.writestr(link, "/etc/passwd")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns about the duplicate: that is the point
            archive.writestr("index.html", b"<p>the other index</p>")
    result = verify(run_in_process, evil, tmp_path=tmp_path)
    assert result.exit_code == 1
    assert "data/records/files/link-0123456789ab.txt: is not a regular file" in result.stdout
    assert "index.html: appears twice in the zip" in result.stdout


def test_records_over_the_spec_file_limit_are_carried_whole(make_repo, run_in_process, tmp_path):
    from conftest import requirement_yaml

    scan = bytes(range(256)) * (6 * 1024)  # 1.5 MiB: over the 1 MiB limit for spec files
    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1"), "records/documents/contract-scan.pdf": scan}, tag="v0")
    out = tmp_path / "p.zip"
    assert run_in_process("pack", "build", "v0", "-o", str(out), cwd=repo.root).exit_code == 0
    members = read_zip(out)
    origins = json.loads(members["data/files.json"])["files"]
    member = next(m for m, o in origins.items() if o["path"] == "records/documents/contract-scan.pdf")
    assert members[member] == scan


@pytest.mark.parametrize("parallel_from", [1, 10**9], ids=["two-processes", "one-process"])
def test_an_edited_original_yaml_is_caught_by_its_digest(signed, built, tmp_path, monkeypatch, parallel_from):
    """The YAML beside the JSON is the original evidence: editing only it (and the manifest) fails too."""
    from reqtrace.pack import verify as pack_verify

    def change(m):
        entry = next(e for e in req_json(m)["requirements"] if e["id"] == "REQ-2")
        m[entry["yaml"]] = m[entry["yaml"]].replace(b"14 days", b"60 days")
        m[MANIFEST] = manifest_for(m)

    monkeypatch.setattr(pack_verify, "PARALLEL_YAML_FROM", parallel_from)
    report = pack_verify.verify_pack(tamper(built, tmp_path, change), signed.signers)
    assert [(p.check, p.entry.split(": ")[1]) for p in report.problems] == [("digest", "REQ-2")]
    assert report.problems[0].entry.startswith("data/baseline/yaml/req-2-")


# slow: creates, signs, packs and verifies a baseline of thousands of requirements
@pytest.mark.slow
def test_a_baseline_whose_manifest_is_over_1_mib_signs_packs_and_verifies(make_repo, run_cli, tmp_path):
    """The manifest has its own cap (64 MiB): one over the 1 MiB limit of spec files must still be read."""
    from pack_kit import VENDOR, reqtrace

    folder = "specs/" + "a-very-long-folder-name-for-the-manifest-paths/" * 4
    entries = "".join(f"  - id: REQ-{i}\n    title: R{i}\n    statement: The system does {i}.\n" for i in range(1, 4001))
    key = make_key(tmp_path / "keys", "vendor", VENDOR_EMAIL)
    (tmp_path / "keys" / "allowed_signers").write_text(allowed_signers_line(key, VENDOR_EMAIL))
    repo = make_repo({f"{folder}all.yaml": "requirements:\n" + entries, ".reqtrace/allowed_signers": allowed_signers_line(key, VENDOR_EMAIL)})
    reqtrace(repo.root, "baseline", "create", "big", date="2026-02-20T08:00:00+00:00")
    assert (repo.root / "baselines/big/manifest.yaml").stat().st_size > 1024 * 1024
    reqtrace(repo.root, "baseline", "sign", "big", "--signer", VENDOR, "--meaning", "approved", "--key", str(key), date="2026-02-20T09:00:00+00:00")
    out = tmp_path / "big.zip"
    built = run_cli("pack", "build", "big", "-o", str(out), cwd=repo.root)
    assert built.exit_code == 0, built.stderr
    assert "valid" in json.loads(read_zip(out)["data/baseline/signoffs.json"])["signoffs"][0]["status_at_build"]
    checked = run_cli("pack", "verify", str(out), "--signers", str(tmp_path / "keys" / "allowed_signers"), cwd=tmp_path)
    assert checked.exit_code == 0, checked.stdout
