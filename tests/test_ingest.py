"""`reqtrace ingest`: emails become records, stored unchanged, with sidecars people edit."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import DATA, MATERIAL_EML, requirement_yaml
from reqtrace.records.mail import mail_id

EML = DATA / "eml"
THREAD_ROOT = EML / "webklex_thread_my_topic.eml"
THREAD_REPLY = EML / "webklex_thread_re_my_topic.eml"


def message(subject: str, body: str, *, message_id: str | None = "<m1@clinic.example>", charset: str = "utf-8", extra: str = "") -> bytes:
    head = "From: Dr. Chen <chen@clinic.example>\nTo: li@vendor.example\n"
    if message_id:
        head += f"Message-ID: {message_id}\n"
    head += f"Subject: {subject}\nDate: Mon, 12 Jan 2026 09:30:00 +0800\n{extra}"
    head += f"Content-Type: text/plain; charset={charset}\nContent-Transfer-Encoding: 8bit\n\n"
    return head.encode("ascii") + body.encode(charset)


@pytest.fixture
def repo(make_repo):
    return make_repo({"specs/REQ-4.yaml": requirement_yaml("REQ-4", "Booking window"), "specs/REQ-12.yaml": requirement_yaml("REQ-12", "Cancel online")})


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts}


def ingest_json(run_cli, repo, *paths: Path | str):
    result = run_cli("ingest", "--format", "json", *map(str, paths), cwd=repo.root)
    return result, json.loads(result.stdout)


def test_message_is_stored_unchanged_with_a_sidecar(repo, run_cli, tmp_path):
    source = tmp_path / "ask.eml"
    source.write_bytes(message("Booking window (REQ-4)", "Could the window be 30 days? See REQ-12 and RQ-99.\nUTF-8 please."))
    result, data = ingest_json(run_cli, repo, source)
    assert result.exit_code == 0, result.stderr
    expected_id = mail_id("<m1@clinic.example>", b"")
    (entry,) = data["results"]
    assert entry["status"] == "added" and entry["id"] == expected_id
    stored = repo.root / f"records/emails/{expected_id}.eml"
    assert stored.read_bytes() == source.read_bytes()
    sidecar = (repo.root / f"records/emails/{expected_id}.eml.yaml").read_text("utf-8")
    assert f"id: {expected_id}" in sidecar
    assert "refs: [REQ-4, REQ-12]" in sidecar  # ids that exist; RQ-99 and UTF-8 name nothing
    assert "date: '2026-01-12T09:30:00+08:00'" in sidecar
    assert any("RQ-99" in w and "UTF-8" in w for w in entry["warnings"])
    check = run_cli("check", "--format", "json", cwd=repo.root)
    assert check.exit_code == 0, check.stdout
    assert json.loads(check.stdout)["summary"]["records"] == 1


def test_ingesting_the_same_message_twice_is_a_no_op(repo, run_in_process, tmp_path):
    source = tmp_path / "ask.eml"
    source.write_bytes(message("Hello", "REQ-4"))
    ingest_json(run_in_process, repo, source)
    before = files_of(repo.root)
    result, data = ingest_json(run_in_process, repo, source)
    assert result.exit_code == 0
    assert data["results"][0]["status"] == "unchanged"
    assert files_of(repo.root) == before


def test_user_edits_to_the_sidecar_survive_reingestion(repo, run_in_process, tmp_path):
    source = tmp_path / "ask.eml"
    source.write_bytes(message("Hello", "about REQ-4"))
    _, data = ingest_json(run_in_process, repo, source)
    sidecar = repo.root / data["results"][0]["path"]
    edited = sidecar.read_text("utf-8").replace("refs: [REQ-4]", "refs: [REQ-4, REQ-12]   # the director meant cancelling too\nx-note: checked by Li Wei\n")
    sidecar.write_text(edited, encoding="utf-8")
    result, data = ingest_json(run_in_process, repo, source)
    assert result.exit_code == 0 and data["results"][0]["status"] == "unchanged"
    assert sidecar.read_text("utf-8") == edited
    # Deleting the stored message and ingesting again restores it; the sidecar stays the user's.
    (repo.root / data["results"][0]["path"].removesuffix(".yaml")).unlink()
    result, data = ingest_json(run_in_process, repo, source)
    assert data["results"][0]["status"] == "restored"
    assert sidecar.read_text("utf-8") == edited


def test_thread_resolves_in_either_order_and_keeps_user_lines(repo, run_in_process):
    result, data = ingest_json(run_in_process, repo, THREAD_REPLY)
    reply = data["results"][0]
    sidecar = repo.root / reply["path"]
    assert "thread" not in sidecar.read_text("utf-8")
    user_text = sidecar.read_text("utf-8").replace("refs: []", "refs: [REQ-4]  # added by hand")
    sidecar.write_text(user_text, encoding="utf-8")
    result, data = ingest_json(run_in_process, repo, THREAD_ROOT)
    root_id = data["results"][0]["id"]
    assert data["threads_updated"] == [reply["path"]]
    text = sidecar.read_text("utf-8")
    assert f"thread: [{root_id}]" in text
    assert "refs: [REQ-4]  # added by hand" in text
    assert [line for line in text.splitlines() if not line.startswith("thread:")] == user_text.splitlines()
    trace = json.loads(run_in_process("trace", reply["id"], "--format", "json", cwd=repo.root).stdout)
    assert {"id": root_id, "relation": "reply-to"}.items() <= {k: v for e in trace["timeline"] if e["id"] == root_id for k, v in e.items()}.items()


def test_thread_in_one_batch(repo, run_in_process):
    _, data = ingest_json(run_in_process, repo, THREAD_REPLY, THREAD_ROOT)
    reply, root = data["results"]
    assert f"thread: [{root['id']}]" in (repo.root / reply["path"]).read_text("utf-8")


def test_mbox_with_a_broken_from_line(repo, run_in_process, tmp_path):
    box = tmp_path / "inbox.mbox"
    box.write_bytes(
        b"From chen@clinic.example Mon Jan 12 09:30:00 2026\nMessage-ID: <1@x>\nSubject: one\n\nfirst\n\n"
        b"From broken-line\nMessage-ID: <2@x>\nSubject: two\n\nsecond\n\n"
        b"From li@vendor.example Tue Jan 13 10:00:00 2026\nMessage-ID: <3@x>\nSubject: three\n\nthird\n"
    )
    result = run_in_process("ingest", str(box), cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    # The message wraps where the temporary path's length puts it: compare the words.
    assert "inbox.mbox:7: line 7: broken 'From ' line 'From broken-line' (no sender and date); read as the start of a new message" in " ".join(result.stderr.split())
    assert "3 added" in result.stdout
    assert (repo.root / f"records/emails/{mail_id('<1@x>', b'')}.eml").read_bytes() == b"Message-ID: <1@x>\nSubject: one\n\nfirst\n"


def test_a_folder_ingests_every_message(repo, run_in_process, tmp_path):
    folder = tmp_path / "inbox"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(THREAD_ROOT, folder / "a.eml")
    shutil.copy(THREAD_REPLY, folder / "sub" / "b.eml")
    (folder / "notes.txt").write_text("not mail")
    result, data = ingest_json(run_in_process, repo, folder)
    assert result.exit_code == 0
    assert [r["status"] for r in data["results"]] == ["added", "added"]


def test_every_shared_message_ingests_and_the_chinese_ones_read(repo, run_in_process):
    result, data = ingest_json(run_in_process, repo, MATERIAL_EML)
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert data["summary"]["added"] == len(list(MATERIAL_EML.glob("*.eml")))
    sidecars = "\n".join(p.read_text("utf-8") for p in (repo.root / "records/emails").glob("*.yaml"))
    assert "subject: 代开各地增值税发票" in sidecars
    assert "from: 张先生 <baoguan@hotmail.com>" in sidecars
    assert "繁體中文光碟版" in sidecars
    check = run_in_process("check", cwd=repo.root)
    assert check.exit_code == 0, check.stdout


# --- bad input: a clear message, nothing lost, nothing outside records/ -----------------


def test_a_30_mb_email_is_refused(repo, run_in_process, tmp_path):
    big = tmp_path / "big.eml"
    with big.open("wb") as handle:
        handle.write(b"Subject: big\n\n")
        handle.write(b"x" * (30 * 1024 * 1024))
    before = files_of(repo.root)
    result = run_in_process("ingest", str(big), cwd=repo.root)
    assert result.exit_code == 3
    assert "big.eml: message is 31,457,294 bytes; reqtrace stores messages up to 26,214,400 bytes (25 MB)" in result.stderr
    assert "Traceback" not in result.stderr
    assert files_of(repo.root) == before


def test_ten_thousand_mime_parts_are_refused_and_others_still_ingest(repo, run_in_process, tmp_path):
    parts = b"".join(b"--b\nContent-Type: text/plain\n\npart\n" for _ in range(10_000))
    (tmp_path / "parts.eml").write_bytes(b"Subject: parts\nContent-Type: multipart/mixed; boundary=b\n\n" + parts + b"--b--\n")
    shutil.copy(THREAD_ROOT, tmp_path / "ok.eml")
    result, data = ingest_json(run_in_process, repo, tmp_path / "parts.eml", tmp_path / "ok.eml")
    assert result.exit_code == 3
    refused, added = data["results"]
    assert refused["status"] == "refused" and refused["message"] == "more than 1,000 MIME parts; reqtrace reads messages with up to 1,000"
    assert added["status"] == "added"
    assert data["ok"] is False


def test_a_one_megabyte_header_line_is_refused(repo, run_in_process, tmp_path):
    (tmp_path / "header.eml").write_bytes(b"Subject: " + b"A" * (1024 * 1024) + b"\n\nbody\n")
    result = run_in_process("ingest", str(tmp_path / "header.eml"), cwd=repo.root)
    assert result.exit_code == 3
    assert "header.eml: header line 1 is 1,048,586 bytes long; reqtrace reads header lines up to 65,536 bytes" in result.stderr
    assert not (repo.root / "records/emails").exists()


def test_attachment_named_to_escape_writes_nothing_outside_records(repo, run_in_process, tmp_path):
    data = (
        b"Message-ID: <evil@x>\nSubject: evil\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n"
        b'--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename="../../etc/passwd"\n'
        b"Content-Transfer-Encoding: base64\n\ncm9vdDp4OjA6MA==\n--b--\n"
    )
    (tmp_path / "evil.eml").write_bytes(data)
    before = files_of(repo.root)
    def outside() -> list[str]:
        return sorted(str(p) for p in tmp_path.rglob("*") if repo.root not in (p, *p.parents))

    outside_before = outside()
    result, out = ingest_json(run_in_process, repo, tmp_path / "evil.eml")
    assert result.exit_code == 0
    new = sorted(set(files_of(repo.root)) - set(before))
    mid = mail_id("<evil@x>", b"")
    assert new == [f"records/emails/{mid}.eml", f"records/emails/{mid}.eml.yaml"]
    assert outside() == outside_before
    sidecar = (repo.root / f"records/emails/{mid}.eml.yaml").read_text("utf-8")
    assert "name: ../../etc/passwd" in sidecar and "size: 10" in sidecar


def test_a_message_id_shared_by_two_different_messages(repo, run_in_process, tmp_path):
    first = message("First", "one", message_id="<same@x>")
    second = message("Second", "two", message_id="<same@x>")
    (tmp_path / "1.eml").write_bytes(first)
    (tmp_path / "2.eml").write_bytes(second)
    result, data = ingest_json(run_in_process, repo, tmp_path / "1.eml", tmp_path / "2.eml")
    assert result.exit_code == 0
    one, two = data["results"]
    assert one["id"] == mail_id("<same@x>", b"") and two["id"] == mail_id(None, second)
    assert two["status"] == "added"
    assert any(f"Message-ID <same@x> is already used by {one['id']}" in w and "named by its bytes" in w for w in two["warnings"])
    assert (repo.root / f"records/emails/{one['id']}.eml").read_bytes() == first  # neither lost nor overwritten
    assert (repo.root / f"records/emails/{two['id']}.eml").read_bytes() == second
    result, data = ingest_json(run_in_process, repo, tmp_path / "2.eml")
    assert data["results"][0]["status"] == "unchanged"


def test_a_missing_file_and_an_empty_folder(repo, run_in_process, tmp_path):
    (tmp_path / "empty").mkdir()
    result = run_in_process("ingest", str(tmp_path / "nope.eml"), str(tmp_path / "empty"), cwd=repo.root)
    assert result.exit_code == 3
    assert "nope.eml: no such file or folder" in result.stderr
    assert "no .eml or .mbox files in this folder" in result.stderr


def test_ingest_without_arguments_is_a_usage_error(repo, run_in_process):
    result = run_in_process("ingest", cwd=repo.root)
    assert result.exit_code == 2
    assert "name the .eml or .mbox files" in result.stderr


EXAMPLE_INBOX = Path(__file__).resolve().parents[1] / "examples" / "clinic" / "inbox"


@pytest.mark.skipif(not EXAMPLE_INBOX.is_dir(), reason="the worked example has no inbox")
def test_the_example_inbox_ingests_readably(make_repo, run_in_process):
    repo = make_repo({f"specs/REQ-{n}.yaml": requirement_yaml(f"REQ-{n}") for n in (1, 3, 4, 8, 9)})
    result, data = ingest_json(run_in_process, repo, EXAMPLE_INBOX)
    assert result.exit_code == 0, result.stderr
    assert data["summary"]["added"] == len(list(EXAMPLE_INBOX.glob("*.eml")))
    sidecars = {p.name: p.read_text("utf-8") for p in (repo.root / "records/emails").glob("*.yaml")}
    text = "\n".join(sidecars.values())
    assert "subject: 爽约的病人太多了，能不能限制一下？" in text  # the GBK one, from Foxmail
    assert "from: 王芳 <wang.fang@sunrise-clinic.example>" in text
    replies = [t for t in sidecars.values() if "thread: [" in t]
    assert len(replies) >= 2  # the booking-window thread
    assert run_in_process("check", cwd=repo.root).exit_code == 0
