"""Writes under attack and accident: options that would make a bad record, files
in every valid YAML shape, a person saving while reqtrace writes, a write
killed half-way, and mail that does not say its charset.

Each test runs reqtrace as a user would (a subprocess, real git, real files)
and asserts what the user sees: the exit code, the message, the file as it is
afterwards.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest

from conftest import (
    DATA,
    SpecRepoFixture,
    copy_repo,
    git,
    keep_triage_dictionaries,
    make_repo_in,
    requirement_yaml,
    run_reqtrace,
)
from reqtrace.io.files import TEMP_SUFFIX, FileChangedError, atomic_write
from reqtrace.io.yamlio import load_yaml
from reqtrace.records.mail import mail_id, read_message

EML = DATA / "eml"
THREAD_ROOT = EML / "webklex_thread_my_topic.eml"
THREAD_REPLY = EML / "webklex_thread_re_my_topic.eml"
TRIAGE_BASELINE = DATA / "triage" / "baseline"


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and ".git" not in p.parts}


def temp_files(root: Path) -> list[Path]:
    return [p for p in root.rglob(f"*{TEMP_SUFFIX}") if ".git" not in p.relative_to(root).parts]


# --- ingest --document: every option is checked before anything is written ------------


@pytest.mark.parametrize("date", ["2026-02-30", "2026-13-01", "2026-00-10", "2025-02-29"])
def test_document_with_an_impossible_date_is_refused_and_nothing_is_written(make_repo, run_in_process, tmp_path, date):
    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1")})
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(b"%PDF-1.4 signed acceptance letter")
    before = files_of(repo.root)
    result = run_in_process("ingest", "--document", str(letter), "--title", "Acceptance letter", "--date", date, cwd=repo.root)
    assert result.exit_code == 2, result.stderr
    assert f"--date must be a real date like 2026-01-15 (got '{date}')" in result.stderr
    assert "Traceback" not in result.stderr
    assert files_of(repo.root) == before
    assert git(repo.root, "status", "--porcelain") == ""


def test_document_with_a_real_date_passes_check(make_repo, run_in_process, tmp_path):
    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1")})
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(b"%PDF-1.4 signed acceptance letter")
    result = run_in_process("ingest", "--document", str(letter), "--title", "Acceptance letter", "--date", "2024-02-29", cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    assert "date: '2024-02-29'" in (repo.root / "records/documents/letter.pdf.yaml").read_text("utf-8")
    assert run_in_process("check", cwd=repo.root).exit_code == 0


# --- ingest keeps a sidecar's line endings --------------------------------------------


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["crlf", "crlf-bom"])
def test_thread_update_keeps_a_crlf_sidecar_crlf(make_repo, run_in_process, bom):
    repo = make_repo({"specs/REQ-4.yaml": requirement_yaml("REQ-4")})
    reply = json.loads(run_in_process("ingest", "--format", "json", str(THREAD_REPLY), cwd=repo.root).stdout)["results"][0]
    sidecar = repo.root / reply["path"]
    # As a Windows editor saves it: CRLF, a comment of the user's, a hand-added ref.
    user_lines = sidecar.read_text("utf-8").replace("refs: []", "refs: [REQ-4]   # added by hand").splitlines()
    sidecar.write_bytes(bom + "\r\n".join(user_lines).encode("utf-8") + b"\r\n")
    result = run_in_process("ingest", "--format", "json", str(THREAD_ROOT), cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    root_id = json.loads(result.stdout)["results"][0]["id"]
    assert json.loads(result.stdout)["threads_updated"] == [reply["path"]]
    data = sidecar.read_bytes()
    assert data.startswith(bom + b"#")
    body = data[len(bom):]
    assert body.count(b"\r\n") == body.count(b"\n"), "a line lost its CR"
    lines = body.decode("utf-8").split("\r\n")
    assert f"thread: [{root_id}]" in lines
    assert [line for line in lines if line and not line.startswith("thread:")] == user_lines
    assert run_in_process("check", cwd=repo.root).exit_code == 0


# --- decide and triage --write edit every valid shape of a request file -----------------

FLOW = """\
# Dr. Chen's request, written by a script as one flow mapping
{id: RQ-12, received: 2026-07-10, from: "Dr. Chen: clinic director",
 title: Patients want to book further ahead,   # her words
 text: "Please change it so patients can book 30 days ahead instead of 14.",
 refs: [REQ-3], x-ticket: T-12}
"""

MARKERS = """\
%YAML 1.1
--- # Dr. Chen's request
id: RQ-12
received: 2026-07-10
from: "Dr. Chen: clinic director"
title: Patients want to book further ahead   # her words
text: |
  Please change it so patients can book 30 days ahead instead of 14.
refs: [REQ-3]
x-ticket: T-12
...
# notes after the document end stay there
"""


def findings_about(run_cli, root: Path, relative: str) -> list[dict]:
    """`reqtrace check`'s findings about one file (the triage baseline's own files have some)."""
    result = run_cli("check", "--format", "json", cwd=root)
    return [f for f in json.loads(result.stdout)["findings"] if f["path"] == relative]


def _request_fields(path: Path) -> dict:
    data = load_yaml(path.read_text("utf-8"))
    return {k: v for k, v in data.items() if k not in ("decision", "triage")}


@pytest.fixture(scope="module")
def clinic_template(tmp_path_factory: pytest.TempPathFactory, build_env: None, triage_dictionaries: Path) -> Path:
    files = {f"specs/{p.relative_to(TRIAGE_BASELINE).as_posix()}": p.read_text("utf-8") for p in TRIAGE_BASELINE.rglob("*.yaml")}
    files["records/meetings/MTG-2026-08-20.md"] = "---\nid: MTG-2026-08-20\ndate: 2026-08-20\ntitle: Review\n---\n"
    repo = make_repo_in(tmp_path_factory.mktemp("clinic"))(files, tag="baseline/v1.0")
    # A first triage in a repo parses the Chinese dictionary (given here, made once per run) and
    # indexes the baseline, kept in .git/reqtrace/: done once here, so that each copy's triage only
    # edits the file.
    keep_triage_dictionaries(triage_dictionaries, repo.root)
    warmed = run_reqtrace("triage", "--text", "Please let patients book further ahead.", "--baseline", "v1.0", cwd=repo.root)
    assert warmed.exit_code == 0, warmed.stderr
    assert git(repo.root, "status", "--porcelain") == ""
    return repo.root


@pytest.fixture
def clinic(clinic_template: Path, tmp_path: Path) -> SpecRepoFixture:
    return copy_repo(clinic_template, tmp_path / "repo")


@pytest.mark.parametrize("shape", ["flow", "markers"])
@pytest.mark.parametrize("command", ["decide", "triage"])
def test_decide_and_triage_write_edit_flow_style_and_marked_files(clinic, run_cli, run_in_process, shape, command):
    path = clinic.root / "records/requests/RQ-12.yaml"
    clinic.commit({"records/requests/RQ-12.yaml": FLOW if shape == "flow" else MARKERS})
    before = _request_fields(path)
    assert findings_about(run_in_process, clinic.root, "records/requests/RQ-12.yaml") == []
    if command == "decide":
        result = run_cli("decide", "RQ-12", "--as", "change", "--status", "approved", "--by", "Li Wei", "--on", "2026-08-20", "--in", "MTG-2026-08-20", cwd=clinic.root)
        key, expected = "decision", {"as": "change", "status": "approved", "by": "Li Wei", "in": "MTG-2026-08-20"}
    else:
        result = run_cli("triage", "RQ-12", "--baseline", "v1.0", "--write", cwd=clinic.root)
        key, expected = "triage", {"classification": "change", "baseline": "v1.0"}
    assert result.exit_code == 0, result.stderr
    written = load_yaml(path.read_text("utf-8"))[key]
    assert {k: written[k] for k in expected} == expected
    assert _request_fields(path) == before  # every field the user wrote, unchanged
    text = path.read_text("utf-8")
    if shape == "flow":
        # Rewritten as block YAML (ruamel.yaml cannot keep a flow layout); comments kept.
        assert text.startswith("# Dr. Chen's request, written by a script as one flow mapping\n")
        assert "# her words" in text
    else:
        lines = MARKERS.splitlines()
        assert text.startswith("%YAML 1.1\n--- # Dr. Chen's request\n")
        assert text.endswith("...\n# notes after the document end stay there\n")
        assert [line for line in text.splitlines() if line in lines] == lines  # the user's lines, in order
    assert findings_about(run_in_process, clinic.root, "records/requests/RQ-12.yaml") == []
    # The edit is idempotent: the same decision again changes nothing.
    again = path.read_bytes()
    if command == "decide":
        run_cli("decide", "RQ-12", "--as", "change", "--status", "approved", "--by", "Li Wei", "--on", "2026-08-20", "--in", "MTG-2026-08-20", cwd=clinic.root)
        assert path.read_bytes() == again


# --- a person saving while reqtrace writes wins -----------------------------------------

# Runs `reqtrace decide` with one change: right after decide has read the file and
# built its edit (when it reads the edit back), the user's editor saves the file.
_RACE = textwrap.dedent("""
    import sys
    from pathlib import Path
    import reqtrace.triage.recording as recording
    from reqtrace.cli import main

    target = Path(sys.argv[1])
    real_parse = recording.parse_request
    calls = []

    def parse_then_user_saves(path, data, config):
        calls.append(path)
        if len(calls) == 2:  # the read-back of decide's edit, just before the replace
            target.write_bytes(target.read_bytes().replace(b"title: Longer", b"title: Much longer"))
        return real_parse(path, data, config)

    recording.parse_request = parse_then_user_saves
    sys.argv = ["reqtrace", *sys.argv[2:]]
    main()
""")

REQUEST = "id: RQ-1\nreceived: 2026-06-03\ntitle: Longer booking window   # keep\ntext: 30 days, not 14.\n"


def test_decide_refuses_when_the_file_changed_while_it_was_writing(make_repo):
    repo = make_repo({"records/requests/RQ-1.yaml": REQUEST})
    path = repo.root / "records/requests/RQ-1.yaml"
    proc = subprocess.run(
        [sys.executable, "-c", _RACE, str(path), "decide", "RQ-1", "--as", "change", "--status", "approved", "--by", "Li Wei"],
        cwd=repo.root, capture_output=True, text=True, env=os.environ.copy(),
    )
    assert proc.returncode == 3, proc.stderr
    assert "records/requests/RQ-1.yaml changed while reqtrace was writing it; nothing was written, run again" in proc.stderr
    # The user's save is what the file holds; decide's edit was not written over it.
    assert path.read_text("utf-8") == REQUEST.replace("title: Longer", "title: Much longer")
    assert temp_files(repo.root) == []


def test_atomic_write_with_replaces_leaves_a_changed_file_alone(tmp_path):
    path = tmp_path / "RQ-1.yaml"
    path.write_bytes(b"id: RQ-1\n")
    read = path.read_bytes()
    path.write_bytes(b"id: RQ-1\ntitle: saved by a person\n")
    with pytest.raises(FileChangedError) as raised:
        atomic_write(path, b"id: RQ-1\ndecision: {}\n", replaces=read)
    assert raised.value.exit_code == 3
    assert path.read_bytes() == b"id: RQ-1\ntitle: saved by a person\n"
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind
    atomic_write(path, b"id: RQ-1\ndecision: {}\n", replaces=path.read_bytes())  # unchanged since read: written
    assert path.read_bytes() == b"id: RQ-1\ndecision: {}\n"


def test_decide_adds_the_temp_pattern_to_git_exclude(make_repo, run_in_process):
    repo = make_repo({"records/requests/RQ-1.yaml": REQUEST})
    result = run_in_process("decide", "RQ-1", "--as", "change", "--status", "pending", "--by", "Li Wei", cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    exclude = (repo.root / ".git/info/exclude").read_text("utf-8").splitlines()
    assert exclude.count(f"*{TEMP_SUFFIX}") == 1


# --- a write killed half-way ----------------------------------------------------------

# Writes a request through the one atomic writer, says "writing" once the first
# half is on disk, then waits to be killed before it could finish.
_KILLED_WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from reqtrace.io.files import atomic_writer

    with atomic_writer(Path(sys.argv[1])) as handle:
        handle.write(b"id: RQ-99\\nreceived: 2026-06-03\\ntitle: half-written request\\n")
        handle.flush()
        print("writing", flush=True)
        time.sleep(120)
        handle.write(b"text: never written\\n")
""")


def test_a_write_killed_with_sigkill_leaves_no_visible_trace(tmp_path, run_cli):
    root = tmp_path / "spec"
    assert run_cli("init", str(root), "--project", "Clinic").exit_code == 0
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    target = root / "records/requests/RQ-99.yaml"
    child = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(target)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "writing"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    (leftover,) = temp_files(root)  # the kill left the temporary file …
    assert b"RQ-99" in leftover.read_bytes()
    assert not target.exists()  # … and never the half-written target
    # … which git does not show, the loader never reads, and check names for deletion.
    assert git(root, "status", "--porcelain") == ""
    listed = run_cli("list", "--kind", "request", "--format", "json", cwd=root)
    assert listed.exit_code == 0, listed.stderr
    assert "RQ-99" not in listed.stdout
    check = run_cli("check", "--format", "json", cwd=root)
    assert check.exit_code == 0, check.stdout
    (finding,) = [f for f in json.loads(check.stdout)["findings"] if f["code"] == "stale-temp-file"]
    relative = leftover.relative_to(root).as_posix()
    assert finding["severity"] == "warning" and finding["path"] == relative
    assert f"delete it (rm '{relative}')" in finding["message"]
    strict = run_cli("check", "--strict", cwd=root)
    assert strict.exit_code == 1 and relative in strict.stdout + strict.stderr


# --- mail that does not say its charset ------------------------------------------------

CHINESE_BODY = (
    "陈医生：\n\n关于预约系统，患者希望可以提前三十天预约，而不是现在的十四天。"
    "请确认 REQ-4 需要修改，并告诉我们什么时候可以上线。\n\n谢谢！\n王芳\n"
)


def unlabelled_gbk_message() -> bytes:
    """A GBK body without a charset parameter, built with Python's email package."""
    message = EmailMessage()
    message["From"] = "Wang Fang <wang.fang@clinic.example>"
    message["To"] = "Li Wei <li.wei@vendor.example>"
    message["Subject"] = "Booking window"
    message["Message-ID"] = "<gbk-unlabelled@clinic.example>"
    message["Date"] = "Tue, 10 Feb 2026 21:03:00 +0800"
    message.set_content(CHINESE_BODY.encode("gbk"), maintype="text", subtype="plain", cte="8bit")
    data = message.as_bytes(policy=SMTP)
    assert b"Content-Type: text/plain\r\n" in data and b"charset" not in data  # no label at all
    return data


def test_an_unlabelled_gbk_body_is_detected_and_said_so(make_repo, run_in_process, tmp_path):
    repo = make_repo({"specs/REQ-4.yaml": requirement_yaml("REQ-4", "Booking window")})
    source = tmp_path / "unlabelled.eml"
    source.write_bytes(unlabelled_gbk_message())
    result = run_in_process("ingest", str(source), cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    assert "no charset label; charset detected as gb18030" in result.stderr
    chosen = mail_id("<gbk-unlabelled@clinic.example>", b"")
    sidecar = (repo.root / f"records/emails/{chosen}.eml.yaml").read_text("utf-8")
    assert "charset: gb18030 (detected)" in sidecar
    assert "refs: [REQ-4]" in sidecar  # found in the body, so the body was read right
    assert (repo.root / f"records/emails/{chosen}.eml").read_bytes() == source.read_bytes()
    assert run_in_process("check", cwd=repo.root).exit_code == 0


def test_a_gbk_body_labelled_utf8_is_detected_not_mangled():
    data = unlabelled_gbk_message().replace(b"Content-Type: text/plain\r\n", b"Content-Type: text/plain; charset=utf-8\r\n")
    message = read_message(data)
    assert message.body.replace("\r\n", "\n").strip() == CHINESE_BODY.strip()
    assert message.charset == "gb18030"
    assert "body: labelled utf-8 but is not valid utf-8; charset detected as gb18030 — check the text" in message.notes


def test_a_latin_name_without_a_label_is_read_as_windows_1252_with_a_note():
    data = b"From: a@b.example\nSubject: hi\nContent-Type: text/plain\n\nGr\xfc\xdfe, J\xfcrgen\n"
    message = read_message(data)
    assert message.body == "Grüße, Jürgen"
    assert message.charset is None
    assert any("no charset label" in note and "Windows-1252" in note for note in message.notes)


def test_decide_writes_text_that_yaml_1_1_would_misread_quoted(make_repo, run_in_process):
    # ruamel.yaml writes YAML 1.2, where a plain NO is text; reqtrace reads YAML 1.1, where it is False.
    repo = make_repo({"records/requests/RQ-1.yaml": REQUEST})
    result = run_in_process("decide", "RQ-1", "--as", "change", "--status", "approved", "--by", "NO", "--note", "1.10", cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    decision = load_yaml((repo.root / "records/requests/RQ-1.yaml").read_text("utf-8"))["decision"]
    assert decision["by"] == "NO" and decision["note"] == "1.10"
    assert run_in_process("check", cwd=repo.root).exit_code == 0
