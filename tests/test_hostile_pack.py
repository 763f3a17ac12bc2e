"""`reqtrace pack verify` against hostile packs: content the signatures do not cover, zip bombs,
damaged and malformed members. Each pack here is a real one (built by `reqtrace pack build` from a
repository with a real SSH signature), changed afterwards the way an attacker would: members edited
in Python's zipfile and MANIFEST.sha256 written again to match."""

from __future__ import annotations

import io
import json
import random
import shutil
import struct
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from conftest import CONFIG, SpecRepoFixture, git, requirement_yaml, write_files
from pack_kit import build_repo, manifest_for, read_zip, write_zip
from reqtrace.io.archive import MANIFEST

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen is needed to sign the test baseline")

BASE_JSON = "data/baseline/requirements.json"
SIGNOFFS_JSON = "data/baseline/signoffs.json"
FILES_JSON = "data/files.json"


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    """One signed pack for the module: (the pack, the outside allowed-signers file). Tests change copies.

    Module-scoped because building and signing takes seconds; so the isolated git identity of
    conftest's per-test `isolated_git` is set here for the build."""
    tmp_path = tmp_path_factory.mktemp("pack")
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n[tag]\n\tgpgSign = false\n[commit]\n\tgpgSign = false\n")
    identity = {
        "HOME": str(home), "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"), "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Test Author", "GIT_AUTHOR_EMAIL": "author@example.test",
        "GIT_COMMITTER_NAME": "Test Committer", "GIT_COMMITTER_EMAIL": "committer@example.test",
        "GIT_AUTHOR_DATE": "2026-01-15T10:00:00+00:00", "GIT_COMMITTER_DATE": "2026-01-15T10:00:00+00:00",
    }

    def make_repo(files):
        root = tmp_path / "repo"
        root.mkdir()
        write_files(root, {"reqtrace.yaml": CONFIG, **files})
        git(root, "init", "-q")
        fixture = SpecRepoFixture(root)
        fixture.commit(message="initial")
        return fixture

    with pytest.MonkeyPatch.context() as patch:
        for key, value in identity.items():
            patch.setenv(key, value)
        for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
            patch.delenv(key, raising=False)
        signed = build_repo(make_repo, tmp_path)
        out = tmp_path / "pack.zip"
        proc = subprocess.run([sys.executable, "-m", "reqtrace", "pack", "build", "v1", "-o", str(out)], cwd=signed.repo.root, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    return out, signed.signers


def attack(pack, tmp_path: Path, change, *, manifest: bool = True, name: str = "tampered.zip") -> Path:
    """A copy of the pack with `change(members)` applied, and MANIFEST.sha256 recomputed as an attacker would."""
    members = read_zip(pack[0])
    change(members)
    if manifest:
        members[MANIFEST] = manifest_for(members)
    out = tmp_path / name
    write_zip(out, members)
    return out


def verify(run, path: Path, *args: str):
    """`pack verify PATH ARGS` with `run`: a real process (`run_cli`) for the untouched pack and some
    random mutations, in-process (`run_in_process`: the same exit codes and output through
    `reqtrace.cli.main`) for the other attacks, whose subject is the verdict."""
    return run("pack", "verify", str(path), *args, cwd=path.parent)


def refused(result, *expected: str) -> None:
    """Exit 1, each expected text in the output, no traceback, and never the words of a pass."""
    output = result.stdout + result.stderr
    assert result.exit_code == 1, output
    for text in expected:
        assert text in output, output
    assert "Traceback" not in output and "internal error" not in output
    assert "the pack is intact" not in output


def listed_in_files_json(members: dict[str, bytes], name: str, path: str) -> None:
    index = json.loads(members[FILES_JSON])
    index["files"][name] = {"path": path, "commit": None}
    members[FILES_JSON] = json.dumps(index).encode()


def test_the_untouched_pack_passes(pack, run_cli):
    result = verify(run_cli, pack[0], "--signers", str(pack[1]))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "the pack is intact" in result.stdout


# ------------------------------------------------------- what the signatures do not cover


def test_a_second_entry_for_a_signed_id_is_refused(pack, run_in_process, tmp_path):
    """A forged REQ-1, with its own correct digest, put before the signed one: the signed set is still
    there whole, so only counting the ids tells."""
    from reqtrace.core.digest import requirement_digest
    from reqtrace.pack.verify import requirement_from_fields

    def change(m):
        data = json.loads(m[BASE_JSON])
        real = next(e for e in data["requirements"] if e["id"] == "REQ-1")
        forged = json.loads(json.dumps(real))
        forged["fields"]["statement"] = "患者可以在线预约医生，并享受终身免费维护。"
        forged["digest"] = requirement_digest(requirement_from_fields(forged["fields"], forged["path"]))
        forged["yaml"] = None
        data["requirements"].insert(0, forged)
        m[BASE_JSON] = json.dumps(data, ensure_ascii=False).encode()

    result = verify(run_in_process, attack(pack, tmp_path, change), "--signers", str(pack[1]))
    refused(result, f"{BASE_JSON}: REQ-1: REQ-1 appears more than once")


def test_an_extra_requirement_in_a_signed_yaml_file_is_refused(pack, run_in_process, tmp_path):
    """REQ-1's original YAML rewritten as a list holding REQ-1 unchanged and a REQ-999."""
    def change(m):
        entry = next(e for e in json.loads(m[BASE_JSON])["requirements"] if e["id"] == "REQ-1")
        original = m[entry["yaml"]].decode()
        indented = "".join(("  - " if i == 0 else "    ") + line + "\n" for i, line in enumerate(original.splitlines()))
        extra = requirement_yaml("REQ-999", "Maintenance", "free maintenance forever")
        indented += "".join(("  - " if i == 0 else "    ") + line + "\n" for i, line in enumerate(extra.splitlines()))
        m[entry["yaml"]] = ("requirements:\n" + indented).encode()

    result = verify(run_in_process, attack(pack, tmp_path, change), "--signers", str(pack[1]))
    refused(result, "REQ-999: the original YAML holds REQ-999, which data/baseline/requirements.json does not list for this file: no signature covers it")
    assert "REQ-1: the original YAML does not give the digest" not in result.stdout  # REQ-1 itself is as signed


def test_an_extra_yaml_member_beside_the_signed_ones_is_refused(pack, run_in_process, tmp_path):
    name = "data/baseline/yaml/req-999-0123456789ab.yaml"

    def change(m):
        m[name] = requirement_yaml("REQ-999", "Maintenance", "free maintenance forever").encode()
        listed_in_files_json(m, name, "specs/booking/REQ-999.yaml")

    result = verify(run_in_process, attack(pack, tmp_path, change), "--signers", str(pack[1]))
    refused(result, f"{name}: REQ-999: the original YAML holds REQ-999, which {BASE_JSON} does not list for this file")


@pytest.mark.parametrize("where", ["fields", "entry", "document"])
def test_an_extra_key_in_the_baseline_requirements_is_refused(pack, run_in_process, tmp_path, where):
    def change(m):
        data = json.loads(m[BASE_JSON])
        entry = next(e for e in data["requirements"] if e["id"] == "REQ-1")
        {"fields": entry["fields"], "entry": entry, "document": data}[where]["warranty"] = "free maintenance forever"
        m[BASE_JSON] = json.dumps(data, ensure_ascii=False).encode()

    result = verify(run_in_process, attack(pack, tmp_path, change), "--signers", str(pack[1]))
    expected = {
        "fields": "REQ-1: REQ-1 has field 'warranty', which is not part of a requirement",
        "entry": "REQ-1: the entry has key 'warranty', which the pack format does not have",
        "document": f"{BASE_JSON}: has key 'warranty', which the pack format does not have",
    }[where]
    refused(result, expected)


def test_an_unknown_field_in_a_signed_yaml_file_is_refused(pack, run_in_process, tmp_path):
    """A field the digest ignores is a field no signature covers."""
    def change(m):
        entry = next(e for e in json.loads(m[BASE_JSON])["requirements"] if e["id"] == "REQ-1")
        m[entry["yaml"]] += b"warranty: free maintenance forever\n"

    result = verify(run_in_process, attack(pack, tmp_path, change), "--signers", str(pack[1]))
    refused(result, "unknown field 'warranty'", "only what their digests cover")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("data/baseline/statements/extra-0123456789ab.statement", "is under data/baseline/, but no sign-off refers to it"),
        ("data/terms-0123456789ab.txt", "is neither one of the pack's own files nor an original listed in data/files.json"),
    ],
)
def test_a_member_nothing_accounts_for_is_refused(pack, run_in_process, tmp_path, name, expected):
    """Listed in MANIFEST.sha256 (and, under data/baseline/, in data/files.json too), yet no part of what was built."""
    def change(m):
        m[name] = b"The vendor provides free maintenance forever.\n"
        if name.startswith("data/baseline/"):
            listed_in_files_json(m, name, "baselines/v1/signoffs/extra.statement")

    result = verify(run_in_process, attack(pack, tmp_path, change), "--signers", str(pack[1]))
    refused(result, f"{name}: {expected}")


# ------------------------------------------------------------------------- zip bombs


def add_bomb(path: Path, name: str, size: int) -> None:
    """Append `size` zero bytes as member `name`, streamed: the test never holds them in memory."""
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as archive, archive.open(name, "w") as handle:
        chunk = bytes(1024 * 1024)
        for _ in range(size // len(chunk)):
            handle.write(chunk)


def patch_headers(path: Path, name: str, *, size: int | None = None, flags: int | None = None) -> None:
    """Rewrite what the zip declares about member `name` — in its local header and in the central
    directory — the way a hostile zip can: a declared size that lies, or flag bits."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
        start = archive.start_dir
    data = bytearray(path.read_bytes())
    local = info.header_offset
    assert data[local:local + 4] == b"PK\x03\x04"
    central = start
    while data[central:central + 4] == b"PK\x01\x02":
        name_len, extra_len, comment_len = struct.unpack("<HHH", data[central + 28:central + 34])
        if data[central + 46:central + 46 + name_len] == name.encode():
            break
        central += 46 + name_len + extra_len + comment_len
    else:
        raise AssertionError(f"{name} not in the central directory")
    if size is not None:
        struct.pack_into("<I", data, local + 22, size)
        struct.pack_into("<I", data, central + 24, size)
    if flags is not None:
        struct.pack_into("<H", data, local + 6, flags)
        struct.pack_into("<H", data, central + 8, flags)
    path.write_bytes(bytes(data))


def verify_measuring_memory(path, signers):  # type: ignore[no-untyped-def]
    """pack verify's report and the most memory it held (tracemalloc's peak)."""
    from reqtrace.pack import verify as pack_verify

    tracemalloc.start()
    try:
        report = pack_verify.verify_pack(path, signers)
        return report, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_zip_bomb_is_refused_from_its_declared_size_without_inflating(pack, tmp_path, monkeypatch):
    """200 MB of zeros (200 KB compressed) against a cap lowered to 16 MiB: refused, and verify's
    memory stays small — nothing of the bomb is inflated."""
    from reqtrace.pack import verify as pack_verify

    bomb = "data/records/files/bomb-0123456789ab.bin"
    path = tmp_path / "bomb.zip"
    shutil.copy(pack[0], path)
    add_bomb(path, bomb, 200 * 1024 * 1024)
    assert path.stat().st_size < 2 * 1024 * 1024
    monkeypatch.setattr(pack_verify, "MAX_MEMBER_BYTES", 16 * 1024 * 1024)
    report, peak = verify_measuring_memory(path, pack[1])
    assert not report.ok
    problem = next(p for p in report.problems if p.entry == bomb)
    assert problem.message == "unpacks to 209,715,200 bytes, over the limit of 16,777,216; not read (a zip bomb?)"
    assert peak < 16 * 1024 * 1024, f"verify held {peak:,} bytes"


def test_a_zip_bomb_that_lies_about_its_size_is_stopped_while_inflating(pack, tmp_path, monkeypatch):
    """The same bomb declaring 1,000 bytes: reading stops where the declared size ends (the CRC then
    fails), never near 200 MB."""
    from reqtrace.pack import verify as pack_verify

    bomb = "data/records/files/bomb-0123456789ab.bin"
    path = tmp_path / "bomb.zip"
    shutil.copy(pack[0], path)
    add_bomb(path, bomb, 200 * 1024 * 1024)
    patch_headers(path, bomb, size=1000)
    monkeypatch.setattr(pack_verify, "MAX_MEMBER_BYTES", 16 * 1024 * 1024)
    report, peak = verify_measuring_memory(path, pack[1])
    problem = next(p for p in report.problems if p.entry == bomb)
    assert problem.check in ("modified", "member")
    assert peak < 16 * 1024 * 1024, f"verify held {peak:,} bytes"


def test_the_inflate_cap_holds_while_reading_whatever_the_zip_declares(tmp_path, monkeypatch):
    """Python's zipfile stops at the declared size; verify's own count does not rely on it."""
    from reqtrace.pack import verify as pack_verify

    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("index.html", bytes(4 * 1024 * 1024))
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("index.html")
        with pytest.raises(pack_verify._TooLarge):
            pack_verify._inflate(archive, info, keep=True, limit=1024 * 1024)
        assert pack_verify._inflate(archive, info, keep=False, limit=8 * 1024 * 1024)[1:] == (None, 4 * 1024 * 1024)


def test_the_members_verify_parses_are_capped_together(pack, tmp_path, monkeypatch):
    """They are held in memory: a bomb spread over the sign-off files stops at the cap too."""
    from reqtrace.pack import verify as pack_verify

    monkeypatch.setattr(pack_verify, "MAX_READ_BYTES", 4096)
    report = pack_verify.verify_pack(pack[0], pack[1])
    assert any("over the limit of 4,096 for what verify parses" in p.message for p in report.problems), report.problems
    assert not report.ok


def test_the_total_of_all_members_is_capped(pack, tmp_path, monkeypatch):
    from reqtrace.pack import verify as pack_verify

    with zipfile.ZipFile(pack[0]) as archive:
        half = sum(info.file_size for info in archive.infolist()) // 2
    monkeypatch.setattr(pack_verify, "MAX_PACK_BYTES", half)
    report = pack_verify.verify_pack(pack[0], pack[1])
    assert any(f"the pack unpacks to more than {half:,} bytes; not read further" in p.message for p in report.problems), report.problems


# ------------------------------------------------------------ damaged and malformed packs


def in_process(path: Path, signers: Path | None, monkeypatch) -> int:
    """What `reqtrace pack verify` would exit with, run in this process (fast enough for a loop): the
    report is built and rendered as text and as JSON, both encoded as UTF-8. Any exception other than
    reqtrace's own errors — exit 4 for a user — propagates and fails the test."""
    from rich.console import Console

    from reqtrace.cli import pack_cmds
    from reqtrace.errors import ReqtraceError
    from reqtrace.pack.verify import verify_pack

    try:
        report = verify_pack(path, signers)
    except ReqtraceError as error:
        return int(error.exit_code)
    buffer = io.StringIO()
    monkeypatch.setattr(pack_cmds, "_console", lambda: Console(file=buffer, width=200))
    pack_cmds.render_verify_text(report)
    buffer.getvalue().encode("utf-8")
    json.dumps(report.as_dict(), ensure_ascii=False).encode("utf-8")
    return 0 if report.ok else 1


def mutate(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    kind = rng.choice(["flip", "overwrite", "truncate"])
    if kind == "truncate":
        cut = rng.randrange(len(data))
        return f"truncate at {cut}", data[:cut]
    out = bytearray(data)
    at = rng.randrange(len(data))
    if kind == "flip":
        out[at] ^= 1 << rng.randrange(8)
    else:
        run = rng.randrange(1, 17)
        out[at:at + run] = bytes(rng.randrange(256) for _ in range(len(out[at:at + run])))
    return f"{kind} at {at}", bytes(out)


def test_random_byte_mutations_never_crash_verify(pack, run_cli, tmp_path, monkeypatch):
    """60 mutations (bit flips, overwritten runs, truncations) at random places, fixed seed. Most hit
    deflate data (bad CRC, broken stream), some the headers or the central directory; a few land
    where nothing is checked (a timestamp) and pass. None may crash."""
    original = pack[0].read_bytes()
    rng = random.Random(16)  # noqa: S311 - a fixed seed, so a failure can be replayed
    outcomes: dict[int, int] = {}
    for number in range(60):
        what, data = mutate(original, rng)
        path = tmp_path / f"mutant-{number}.zip"
        path.write_bytes(data)
        try:
            code = in_process(path, pack[1], monkeypatch)
        except Exception as exc:  # noqa: BLE001 - the point: which mutation crashed, and how
            raise AssertionError(f"mutation {number} ({what}) crashed verify: {type(exc).__name__}: {exc}") from exc
        assert code in (0, 1, 3), f"mutation {number} ({what}): exit {code}"
        outcomes[code] = outcomes.get(code, 0) + 1
        if number % 12 == 0:  # and some through the real command line: exit code and no traceback
            result = verify(run_cli, path, "--signers", str(pack[1]))
            assert result.exit_code == code, f"mutation {number} ({what}): {result.stdout}{result.stderr}"
            assert "Traceback" not in result.stderr and "internal error" not in result.stderr
        path.unlink()
    assert outcomes.get(1, 0) >= 40, outcomes  # the loop does break packs


def test_an_encrypted_member_is_named(pack, run_in_process, tmp_path):
    path = attack(pack, tmp_path, lambda m: None)
    patch_headers(path, "pack.json", flags=0x1)
    refused(verify(run_in_process, path, "--signers", str(pack[1])), "pack.json: is encrypted; a pack's members are never encrypted")


@pytest.mark.parametrize(
    ("member", "text", "expected"),
    [
        (SIGNOFFS_JSON, '{"signoffs": ' + "[" * 100_000 + "]" * 100_000 + "}", f"{SIGNOFFS_JSON}: is not JSON reqtrace reads: it nests deeper than 64 levels"),
        ("pack.json", '{"format": "reqtrace-pack-1", "x": ' + '{"a": ' * 100 + "1" + "}" * 100 + "}", "pack.json: is not JSON reqtrace reads: it nests deeper than 64 levels"),
        (BASE_JSON, '{"schema_version": ' + "7" * 5000 + "}", f"{BASE_JSON}: is not valid JSON: Exceeds the limit"),
        (BASE_JSON, '{"schema_version": 1, "ref": "v1", "commit": null, "algorithm": "reqtrace-digest-1", "root_digest": "x", "requirements": 5}', f"{BASE_JSON}: 'requirements' is int, not a list"),
        (SIGNOFFS_JSON, '{"baseline": "v1", "signoffs": 5, "revocations": []}', f"{SIGNOFFS_JSON}: is not a sign-off index: 'signoffs' is int, not a list"),
        (SIGNOFFS_JSON, '{"baseline": "v1", "signoffs": [], "revocations": 7}', f"{SIGNOFFS_JSON}: is not a sign-off index: 'revocations' is int, not a list"),
        (SIGNOFFS_JSON, '{"baseline": "v1", "signoffs": [5], "revocations": [7]}', f"{SIGNOFFS_JSON}: is not a sign-off index: revocations[0] is not text"),
        ("pack.json", '{"format": "reqtrace-pack-1", "baseline": 5}', "pack.json: is not a pack description: 'baseline' is int"),
        ("pack.json", '{"format": "reqtrace-pack-1", "baseline": {"name": "\\ud800"}}', "pack.json: is not JSON reqtrace reads: it holds text with a lone surrogate"),
        (FILES_JSON, '{"files": 5}', f"{FILES_JSON}: is not a file index"),
    ],
    ids=["deep-array", "deep-object", "5000-digits", "requirements-5", "signoffs-5", "revocations-7", "revocation-not-text", "baseline-5", "surrogate", "files-5"],
)
def test_malformed_json_members_are_named_not_crashes(pack, run_in_process, tmp_path, member, text, expected):
    result = verify(run_in_process, attack(pack, tmp_path, lambda m: m.update({member: text.encode()})), "--signers", str(pack[1]))
    refused(result, expected)


def test_a_lone_surrogate_in_a_requirement_is_named(pack, run_in_process, tmp_path):
    def change(m):
        data = m[BASE_JSON].decode()
        m[BASE_JSON] = data.replace('"id": "REQ-1"', '"id": "REQ-1\\ud800"', 1).encode()

    refused(verify(run_in_process, attack(pack, tmp_path, change), "--signers", str(pack[1])), f"{BASE_JSON}: is not JSON reqtrace reads: it holds text with a lone surrogate")


def test_wrong_types_inside_a_requirement_entry_are_named(pack, run_in_process, tmp_path):
    def change(m):
        data = json.loads(m[BASE_JSON])
        data["requirements"][0]["fields"]["acceptance"] = 5
        data["requirements"][1]["fields"] = "x"
        data["requirements"].append(7)
        m[BASE_JSON] = json.dumps(data, ensure_ascii=False).encode()

    refused(
        verify(run_in_process, attack(pack, tmp_path, change), "--signers", str(pack[1])),
        "REQ-1: REQ-1 field 'acceptance' is not a list of texts",
        "REQ-2: the entry 'fields' is str, not an object",
        f"{BASE_JSON}: requirements[3]: is not an object",
    )


def test_a_huge_number_in_a_signed_yaml_file_is_named(pack, run_in_process, tmp_path):
    def change(m):
        entry = next(e for e in json.loads(m[BASE_JSON])["requirements"] if e["id"] == "REQ-1")
        m[entry["yaml"]] += b"x-cost: " + b"9" * 5000 + b"\n"

    result = verify(run_in_process, attack(pack, tmp_path, change), "--signers", str(pack[1]))
    refused(result, "data/baseline/yaml/req-1-")


def test_a_re_zipped_pack_gives_one_error_about_folder_entries(pack, run_in_process, tmp_path):
    """`unzip` then `zip -r`: the files are intact, but zip adds an entry for every folder."""
    if shutil.which("zip") is None or shutil.which("unzip") is None:
        pytest.skip("zip and unzip are needed")
    folder = tmp_path / "unzipped"
    folder.mkdir()
    subprocess.run(["unzip", "-q", str(pack[0]), "-d", str(folder)], check=True)
    rezipped = tmp_path / "rezipped.zip"
    subprocess.run(["zip", "-q", "-r", str(rezipped), "."], cwd=folder, check=True)
    result = verify(run_in_process, rezipped, "--signers", str(pack[1]))
    refused(result, "folder entries are not allowed: rebuild the pack with `reqtrace pack build`, don't re-zip it")
    assert "path component ''" not in result.stdout
    assert result.stdout.count("✗ ") == 2, result.stdout  # the one problem, and the summary line


def test_a_zip_slip_member_is_still_refused_and_never_read(pack, run_in_process, tmp_path):
    def change(m):
        m["../../evil.sh"] = b"rm -rf ~"

    result = verify(run_in_process, attack(pack, tmp_path, change, manifest=False), "--signers", str(pack[1]))
    refused(result, "../../evil.sh: unsafe member name")


def test_baseline_create_refuses_a_field_no_digest_covers(make_repo, run_cli):
    # pack verify refuses what no signature covers, so create must not freeze it in the first place.
    repo = make_repo({"specs/REQ-1.yaml": "id: REQ-1\ntitle: Book online\nstatement: The system shall book.\nwarranty: forever\n"})
    result = run_cli("baseline", "create", "v1", cwd=repo.root)
    assert result.exit_code == 1
    assert "field(s) no digest covers, e.g. specs/REQ-1.yaml:4" in result.stdout + result.stderr
    assert "x-NAME" in result.stdout + result.stderr
    assert not (repo.root / "baselines" / "v1").exists()
    repo.commit({"specs/REQ-1.yaml": "id: REQ-1\ntitle: Book online\nstatement: The system shall book.\nx-warranty: forever\n"})
    assert run_cli("baseline", "create", "v1", cwd=repo.root).exit_code == 0
