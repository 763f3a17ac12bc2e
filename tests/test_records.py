"""Records in `reqtrace check`: email sidecars, documents, meetings, references."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest

from conftest import requirement_yaml

MAIL = "MAIL-0123456789"
LETTER = b"%PDF-1.4 scanned acceptance letter\n"


def sidecar(mail_id: str = MAIL, refs: str = "[REQ-1]", extra: str = "") -> str:
    return f"id: {mail_id}\nsubject: Booking window\ndate: '2026-01-12T09:30:00+08:00'\n{extra}refs: {refs}\n"


def document_sidecar(sha256: str, refs: str = "[]") -> str:
    return f"id: DOC-1\ntitle: Signed acceptance letter\ndate: 2026-07-01\nsha256: {sha256}\nrefs: {refs}\n"


def findings(run_cli, repo, *args):
    result = run_cli("check", "--format", "json", *args, cwd=repo.root)
    return result, json.loads(result.stdout)["findings"]


def test_clean_records_pass(make_repo, run_cli):
    repo = make_repo({
        "specs/REQ-1.yaml": requirement_yaml("REQ-1", sources=[MAIL, "DOC-1"]),
        f"records/emails/{MAIL}.eml": b"Subject: Booking window\n\nREQ-1\n",
        f"records/emails/{MAIL}.eml.yaml": sidecar(),
        "records/documents/letter.pdf": LETTER,
        "records/documents/letter.pdf.yaml": document_sidecar(hashlib.sha256(LETTER).hexdigest(), "[REQ-1]"),
    })
    result, found = findings(run_cli, repo)
    assert result.exit_code == 0, found
    assert found == []
    listed = json.loads(run_cli("list", "--kind", "all", "--format", "json", cwd=repo.root).stdout)["items"]
    assert {(row["id"], row["kind"], row["title"]) for row in listed} >= {(MAIL, "email", "Booking window"), ("DOC-1", "document", "Signed acceptance letter")}


def test_dangling_ref_in_an_email_sidecar(make_repo, run_in_process):
    repo = make_repo({
        "specs/REQ-1.yaml": requirement_yaml("REQ-1"),
        f"records/emails/{MAIL}.eml": b"Subject: x\n\nx\n",
        f"records/emails/{MAIL}.eml.yaml": sidecar(refs="[REQ-1, REQ-404]", extra="thread: [MAIL-ffffffffff]\n"),
    })
    result, found = findings(run_in_process, repo)
    assert result.exit_code == 1
    by_message = {f["message"]: f for f in found}
    ref = by_message["refs names 'REQ-404', which does not exist; fix the id or add the item"]
    assert (ref["code"], ref["path"], ref["line"], ref["id"]) == ("dangling-ref", f"records/emails/{MAIL}.eml.yaml", 5, MAIL)
    assert "thread names 'MAIL-ffffffffff', which does not exist; fix the id or add the ingested email" in by_message


def test_email_sidecar_whose_message_is_missing(make_repo, run_in_process):
    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1"), f"records/emails/{MAIL}.eml.yaml": sidecar()})
    result, found = findings(run_in_process, repo)
    assert result.exit_code == 1
    (finding,) = found
    assert finding["code"] == "email-message-missing"
    assert finding["path"] == f"records/emails/{MAIL}.eml.yaml"
    assert f"the message records/emails/{MAIL}.eml this sidecar describes is missing" in finding["message"]


def test_email_sidecar_with_a_bad_id_or_field(make_repo, run_in_process):
    repo = make_repo({
        f"records/emails/{MAIL}.eml": b"x",
        f"records/emails/{MAIL}.eml.yaml": "id: MAIL-XYZ\nsubject: x\nrefs: []\nrefz: []\n",
    })
    _, found = findings(run_in_process, repo)
    codes = {(f["code"], f["line"]) for f in found}
    assert ("schema", 1) in codes and ("unknown-field", 4) in codes
    assert any("an email's id is MAIL- and 10 lowercase hex digits" in f["message"] for f in found)


def test_meeting_decision_approving_a_request_that_does_not_exist(make_repo, run_in_process):
    repo = make_repo({
        "specs/REQ-1.yaml": requirement_yaml("REQ-1"),
        "records/meetings/MTG-2026-06-10.md": "---\nid: MTG-2026-06-10\ndate: 2026-06-10\ntitle: Review\ndecisions:\n  - text: Approve the SMS reminders.\n    approves: [RQ-3]\n---\nMinutes.\n",
    })
    result, found = findings(run_in_process, repo)
    assert result.exit_code == 1
    (finding,) = found
    assert finding["code"] == "dangling-ref" and finding["line"] == 6
    assert finding["message"] == "decisions: approves names 'RQ-3', which does not exist; fix the id or add the request"


def test_meeting_without_front_matter_or_never_closed(make_repo, run_in_process):
    repo = make_repo({
        "records/meetings/a.md": "# Kick-off\n\nNo front matter here.\n",
        "records/meetings/b.md": "---\nid: MTG-2\ndate: 2026-01-15\ntitle: Kick-off\n\n# Kick-off\n",
    })
    result, found = findings(run_in_process, repo)
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    by_path = {f["path"]: f for f in found}
    assert by_path["records/meetings/a.md"]["code"] == "schema"
    assert "no YAML front matter: the file must start with a line '---'" in by_path["records/meetings/a.md"]["message"]
    assert "the YAML front matter is never closed" in by_path["records/meetings/b.md"]["message"]
    assert by_path["records/meetings/b.md"]["line"] == 1


def test_document_whose_bytes_changed(make_repo, run_in_process):
    digest = hashlib.sha256(LETTER).hexdigest()
    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1"), "records/documents/letter.pdf": LETTER, "records/documents/letter.pdf.yaml": document_sidecar(digest)})
    first = repo.git("rev-parse", "HEAD")
    repo.commit({"records/documents/letter.pdf": LETTER + b"tampered"})
    result, found = findings(run_in_process, repo)
    assert result.exit_code == 1
    (finding,) = found
    assert finding["code"] == "document-changed"
    assert (finding["path"], finding["line"], finding["id"]) == ("records/documents/letter.pdf.yaml", 4, "DOC-1")
    assert f"the sidecar says {digest}" in finding["message"]
    # At the earlier commit the document was intact.
    result, found = findings(run_in_process, repo, "--rev", first)
    assert result.exit_code == 0 and found == []


def test_document_that_is_missing(make_repo, run_in_process):
    repo = make_repo({"records/documents/letter.pdf.yaml": document_sidecar("0" * 64)})
    result, found = findings(run_in_process, repo)
    assert result.exit_code == 1
    assert found[0]["code"] == "document-missing"


def test_ingest_a_document(make_repo, run_in_process, tmp_path):
    repo = make_repo()
    scan = tmp_path / "Acceptance letter (signed) 验收.pdf"
    scan.write_bytes(LETTER)
    result = run_in_process("ingest", "--document", str(scan), "--title", "Signed acceptance letter", "--date", "2026-07-01", "--format", "json", cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    added = json.loads(result.stdout)["document"]
    assert added["id"] == "DOC-1"
    assert added["file"] == "records/documents/Acceptance-letter-signed.pdf"
    assert (repo.root / added["file"]).read_bytes() == LETTER
    again = json.loads(run_in_process("ingest", "--document", str(scan), "--title", "x", "--format", "json", cwd=repo.root).stdout)["document"]
    assert again["status"] == "unchanged" and again["id"] == "DOC-1"
    assert run_in_process("check", cwd=repo.root).exit_code == 0
    trace = json.loads(run_in_process("trace", "DOC-1", "--format", "json", cwd=repo.root).stdout)
    assert trace["timeline"][0] == {"date": "2026-07-01", "id": "DOC-1", "kind": "document", "relation": "dated", "summary": "Signed acceptance letter"}


# slow: six commands in real processes walk the cycle
@pytest.mark.slow
def test_reference_cycle_among_records_neither_hangs_nor_crashes(make_repo, run_in_process):
    other = "MAIL-abcdefabcd"
    repo = make_repo({
        "specs/REQ-1.yaml": requirement_yaml("REQ-1", parents=["REQ-2"], sources=["MTG-1"]),
        "specs/REQ-2.yaml": requirement_yaml("REQ-2", parents=["REQ-1"]),
        "records/meetings/MTG-1.md": f"---\nid: MTG-1\ndate: 2026-01-15\ntitle: Kick-off\nrefs: [{MAIL}, RQ-1]\n---\n",
        "records/requests/RQ-1.yaml": f"id: RQ-1\nreceived: 2026-02-01\ntitle: Loop\nrefs: [MTG-1, RQ-1]\nsources: [{MAIL}]\naffects: [REQ-1]\n",
        f"records/emails/{MAIL}.eml": b"x",
        f"records/emails/{MAIL}.eml.yaml": sidecar(refs="[MTG-1, RQ-1]", extra=f"thread: [{other}]\n"),
        f"records/emails/{other}.eml": b"y",
        f"records/emails/{other}.eml.yaml": sidecar(other, refs=f"[{MAIL}]", extra=f"thread: [{MAIL}]\n"),
    })
    for args in (("check",), ("trace", "REQ-1"), ("trace", MAIL, "--format", "json"), ("impact", "REQ-1"), ("graph", "--format", "json"), ("status",)):
        proc = subprocess.run([sys.executable, "-m", "reqtrace", *args], cwd=repo.root, capture_output=True, text=True, timeout=60)
        assert "Traceback" not in proc.stderr, (args, proc.stderr)
        assert proc.returncode in (0, 1), (args, proc.stderr)
    check = json.loads(run_in_process("check", "--format", "json", cwd=repo.root).stdout)
    assert [f["code"] for f in check["findings"]] == ["parent-cycle"]
    impact = json.loads(run_in_process("impact", "REQ-1", "--format", "json", cwd=repo.root).stdout)
    assert [d["id"] for d in impact["descendants"]] == ["REQ-2"]
