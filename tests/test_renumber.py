"""`reqtrace renumber OLD NEW`: one step from a duplicate id to a clean `check`, every
reference rewritten in place, baselines untouched, and `log` across the renumbering."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import git, requirement_yaml
from reqtrace.core.config import find_spec_repo
from reqtrace.errors import InputError
from reqtrace.io import files as files_module
from reqtrace.records import renumber as renumber_module
from reqtrace.records.renumber import ID_FIELDS

SCHEMAS = Path(__file__).resolve().parents[1] / "src" / "reqtrace" / "schemas"
ID_ITEM = "^[A-Za-z0-9][A-Za-z0-9_.:-]*$"

# Every id field, written in the ways people write YAML: comments, quotes, flow and
# block lists, a list of requirements in one file.
REQ_3 = """\
# The login requirement: keep this comment.
id: REQ-3   # renumbered below
title: Log in
statement: >
  A user logs in with a password. (REQ-3 is named in prose too.)
priority: must
"""
FILES = {
    "specs/REQ-3.yaml": REQ_3,
    "specs/auth/more.yaml": """\
requirements:
  - id: REQ-4
    title: Log out
    statement: A user logs out.
    parents:
      - REQ-3      # block list
      - REQ-30
  - id: REQ-5
    title: Reset the password
    statement: A user resets a forgotten password.
    parents: ['REQ-3']
    sources: ["MTG-2026-01-10"]
""",
    "records/requests/RQ-1.yaml": """\
id: RQ-1
received: "2026-02-01"
title: Log in with a phone number
text: |
  Please also allow REQ-3 with a phone number.
refs: [REQ-3, REQ-30]
sources: [MTG-2026-01-10]
affects:
  - "REQ-3"
triage:
  classification: change
  matches: [REQ-3]
decision:
  status: approved
  in: MTG-2026-01-10
""",
    "records/meetings/MTG-2026-01-10.md": """\
---
id: MTG-2026-01-10
date: "2026-01-10"
title: Workshop
refs: [REQ-3, RQ-1]
decisions:
  - text: Phone numbers count as user names (REQ-3).
    refs: [REQ-3]
    approves: [RQ-1]
---
# Workshop

REQ-3 was discussed.
""",
    "specs/REQ-30.yaml": requirement_yaml("REQ-30", "Lock out after 5 failures"),
}


def _baselined_repo(make_repo, run_cli):
    repo = make_repo(FILES)
    created = run_cli("baseline", "create", "v1", "--root", str(repo.root))
    assert created.exit_code == 0, created.stderr
    return repo


def test_every_id_field_of_the_schemas_is_rewritten():
    """ID_FIELDS names each schema field whose values are ids (the manifest is a baseline's)."""

    def walk(node, path):
        if isinstance(node, dict):
            if node.get("pattern") == ID_ITEM and path:
                yield tuple(path)
            for key, value in node.items():
                if key == "properties":
                    for name, sub in value.items():
                        yield from walk(sub, [*path, name])
                elif key == "items":
                    yield from walk(value, [*path, "*"])
                elif key in ("anyOf", "oneOf", "allOf"):
                    for sub in value:
                        yield from walk(sub, path)

    for kind in ID_FIELDS:
        schema = json.loads((SCHEMAS / f"{kind}.json").read_text(encoding="utf-8"))
        found = {p for p in walk(schema, []) if p != ("id",)}
        assert found == set(ID_FIELDS[kind]), kind


def test_renumber_rewrites_every_reference_in_place(make_repo, run_cli):
    repo = _baselined_repo(make_repo, run_cli)
    manifest = (repo.root / "baselines" / "v1" / "manifest.yaml").read_bytes()
    before = {path: (repo.root / path).read_text(encoding="utf-8") for path in FILES}

    result = run_cli("renumber", "REQ-3", "REQ-31", cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    assert "REQ-3 → REQ-31" in result.stdout
    assert "baselines v1 keep REQ-3" in result.stdout

    assert not (repo.root / "specs" / "REQ-3.yaml").exists()
    renamed = (repo.root / "specs" / "REQ-31.yaml").read_text(encoding="utf-8")
    assert renamed == REQ_3.replace("id: REQ-3   # renumbered below\n", "id: REQ-31   # renumbered below\nx-renamed-from: REQ-3\n")
    expected = {
        "specs/auth/more.yaml": before["specs/auth/more.yaml"].replace("- REQ-3      #", "- REQ-31      #").replace("['REQ-3']", "['REQ-31']"),
        "records/requests/RQ-1.yaml": before["records/requests/RQ-1.yaml"]
        .replace("refs: [REQ-3, REQ-30]", "refs: [REQ-31, REQ-30]")
        .replace('- "REQ-3"', '- "REQ-31"')
        .replace("matches: [REQ-3]", "matches: [REQ-31]"),
        "records/meetings/MTG-2026-01-10.md": before["records/meetings/MTG-2026-01-10.md"]
        .replace("refs: [REQ-3, RQ-1]", "refs: [REQ-31, RQ-1]")
        .replace("    refs: [REQ-3]", "    refs: [REQ-31]"),
        "specs/REQ-30.yaml": before["specs/REQ-30.yaml"],
    }
    for path, text in expected.items():
        assert (repo.root / path).read_text(encoding="utf-8") == text, path
    # Prose keeps its words, and the output says where OLD is still mentioned.
    assert "Please also allow REQ-3 with" in expected["records/requests/RQ-1.yaml"]
    assert "records/meetings/MTG-2026-01-10.md" in result.stdout
    # The baseline is never touched: it was signed with REQ-3.
    assert (repo.root / "baselines" / "v1" / "manifest.yaml").read_bytes() == manifest

    check = run_cli("check", "--format", "json", cwd=repo.root)
    assert [f for f in json.loads(check.stdout)["findings"] if f["severity"] == "error"] == []
    repo.commit(message="Renumber REQ-3 to REQ-31")
    verify = run_cli("baseline", "verify", "v1", cwd=repo.root)
    assert verify.exit_code == 0, verify.stdout + verify.stderr

    log = run_cli("log", "REQ-31", "--format", "json", cwd=repo.root)
    assert log.exit_code == 0, log.stderr
    entries = json.loads(log.stdout)["entries"]
    assert [e["change"] for e in entries] == ["added", "modified"]
    assert entries[0]["message"] == "initial" and entries[0]["path"] == "specs/REQ-3.yaml"
    assert entries[1]["message"] == "Renumber REQ-3 to REQ-31"
    assert "renumbered from REQ-3" in " ".join(entries[1]["notes"])
    assert [b["name"] for b in json.loads(log.stdout)["baselines"] if b["entry"]] == ["v1"]


def test_renumber_a_request_and_a_meeting(make_repo, run_in_process):
    repo = make_repo(FILES)
    assert run_in_process("renumber", "RQ-1", "RQ-1001", cwd=repo.root).exit_code == 0
    assert "approves: [RQ-1001]" in (repo.root / "records/meetings/MTG-2026-01-10.md").read_text(encoding="utf-8")
    assert (repo.root / "records/requests/RQ-1001.yaml").exists()
    assert "x-renamed-from" not in (repo.root / "records/requests/RQ-1001.yaml").read_text(encoding="utf-8")
    moved = run_in_process("renumber", "MTG-2026-01-10", "MTG-2026-01-10-417", "--format", "json", cwd=repo.root)
    assert moved.exit_code == 0, moved.stderr
    data = json.loads(moved.stdout)
    assert data["new_path"] == "records/meetings/MTG-2026-01-10-417.md"
    request = (repo.root / "records/requests/RQ-1001.yaml").read_text(encoding="utf-8")
    assert "in: MTG-2026-01-10-417" in request and "sources: [MTG-2026-01-10-417]" in request
    assert "sources: [\"MTG-2026-01-10-417\"]" in (repo.root / "specs/auth/more.yaml").read_text(encoding="utf-8")
    assert run_in_process("check", cwd=repo.root).exit_code == 0


def test_crlf_and_a_byte_order_mark_are_kept(make_repo, run_in_process):
    text = "\ufeff" + requirement_yaml("REQ-7", parents=["REQ-8"]).replace("\n", "\r\n")
    repo = make_repo({"specs/REQ-7.yaml": text.encode("utf-8"), "specs/REQ-8.yaml": requirement_yaml("REQ-8")})
    assert run_in_process("renumber", "REQ-8", "REQ-80", cwd=repo.root).exit_code == 0
    assert (repo.root / "specs/REQ-7.yaml").read_bytes() == text.replace('["REQ-8"]', '["REQ-80"]').encode("utf-8")
    assert run_in_process("check", cwd=repo.root).exit_code == 0


def test_a_duplicate_from_two_branches_is_fixed_in_one_step(make_repo, run_in_process):
    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1")})
    git(repo.root, "checkout", "-q", "-b", "alice")
    repo.commit({"specs/booking/REQ-9.yaml": requirement_yaml("REQ-9", "Alice's")}, message="Alice adds REQ-9")
    git(repo.root, "checkout", "-q", "-b", "bob", "main")
    repo.commit({"specs/payments/REQ-9.yaml": requirement_yaml("REQ-9", "Bob's", parents=["REQ-1"])}, message="Bob adds REQ-9")
    repo.commit({"specs/payments/REQ-9.yaml": requirement_yaml("REQ-9", "Bob's, reworded", parents=["REQ-1"])}, message="Bob rewords REQ-9")
    git(repo.root, "checkout", "-q", "main")
    git(repo.root, "merge", "-q", "--no-edit", "alice")
    assert "CONFLICT" not in git(repo.root, "merge", "--no-edit", "bob")  # merges silently...
    broken = run_in_process("check", cwd=repo.root)
    assert broken.exit_code == 1 and "duplicate-id" in broken.stdout  # ...into a duplicate

    ambiguous = run_in_process("renumber", "REQ-9", "REQ-10", cwd=repo.root)
    assert ambiguous.exit_code == 2
    assert "specs/payments/REQ-9.yaml" in ambiguous.stderr and "--file" in ambiguous.stderr
    fixed = run_in_process("renumber", "REQ-9", "REQ-10", "--file", "specs/payments/REQ-9.yaml", cwd=repo.root)
    assert fixed.exit_code == 0, fixed.stderr
    assert (repo.root / "specs/payments/REQ-10.yaml").exists() and not (repo.root / "specs/payments/REQ-9.yaml").exists()
    assert "id: REQ-9" in (repo.root / "specs/booking/REQ-9.yaml").read_text(encoding="utf-8")
    assert run_in_process("check", cwd=repo.root).exit_code == 0
    repo.commit(message="Renumber Bob's REQ-9 to REQ-10")

    # log follows Bob's copy back through REQ-9, not Alice's (along first parents, as
    # log always does: Bob's copy came to main with the merge).
    log = json.loads(run_in_process("log", "REQ-10", "--format", "json", cwd=repo.root).stdout)
    messages = [e["message"] for e in log["entries"] if e["change"] in ("added", "modified")]
    assert messages == ["Merge branch 'bob'", "Renumber Bob's REQ-9 to REQ-10"]
    assert log["entries"][0]["path"] == "specs/payments/REQ-9.yaml"
    alice = json.loads(run_in_process("log", "REQ-9", "--format", "json", cwd=repo.root).stdout)
    assert alice["path"] == "specs/booking/REQ-9.yaml"


def test_renumber_refuses_what_it_cannot_do_and_changes_nothing(make_repo, run_in_process):
    repo = make_repo(FILES)
    snapshot = {path: (repo.root / path).read_bytes() for path in FILES}
    cases = [
        (("REQ-3", "REQ-30"), 3, "'REQ-30' already exists in the working tree"),
        (("REQ-99", "REQ-100"), 3, "'REQ-99' is not the id of any requirement or record"),
        (("REQ-3", "req three"), 2, "cannot be an id"),
        (("REQ-3", "req-3"), 2, "does not match the id pattern"),
        (("REQ-3", "REQ-3"), 2, "the same id"),
        (("REQ-3", "REQ-31", "--file", "specs/REQ-30.yaml"), 2, "does not define 'REQ-3'"),
    ]
    for args, code, message in cases:
        result = run_in_process("renumber", *args, cwd=repo.root)
        assert result.exit_code == code, (args, result.stderr)
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert {path: (repo.root / path).read_bytes() for path in FILES} == snapshot
    assert git(repo.root, "status", "--porcelain") == ""


def test_a_new_id_held_by_another_branch_is_refused(make_repo, run_in_process):
    repo = make_repo(FILES)
    git(repo.root, "checkout", "-q", "-b", "other")
    repo.commit({"specs/REQ-31.yaml": requirement_yaml("REQ-31")}, message="REQ-31 elsewhere")
    git(repo.root, "checkout", "-q", "main")
    result = run_in_process("renumber", "REQ-3", "REQ-31", cwd=repo.root)
    assert result.exit_code == 3 and "'REQ-31' already exists on a local branch" in result.stderr


def test_a_failed_write_puts_back_every_file(make_repo, monkeypatch):
    repo = make_repo(FILES)
    before = {path: (repo.root / path).read_bytes() for path in FILES}
    real_write = files_module.atomic_write
    calls = []

    def failing_write(path, data, **kwargs):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device", str(path))
        return real_write(path, data, **kwargs)

    monkeypatch.setattr(renumber_module, "atomic_write", failing_write)
    with pytest.raises(InputError, match="nothing was renumbered"):
        renumber_module.renumber(find_spec_repo(repo.root), "REQ-3", "REQ-31")
    monkeypatch.undo()
    assert {path: (repo.root / path).read_bytes() for path in FILES} == before
    assert not (repo.root / "specs/REQ-31.yaml").exists()


def test_log_follows_a_chain_of_renumberings(make_repo, run_in_process):
    repo = make_repo(FILES)
    assert run_in_process("renumber", "REQ-30", "REQ-300", cwd=repo.root).exit_code == 0
    repo.commit(message="first renumbering")
    # Twice before one commit: REQ-3000 never reaches history; REQ-300 did.
    assert run_in_process("renumber", "REQ-300", "REQ-3000", cwd=repo.root).exit_code == 0
    assert run_in_process("renumber", "REQ-3000", "REQ-3001", cwd=repo.root).exit_code == 0
    assert "x-renamed-from: [REQ-30, REQ-300, REQ-3000]" in (repo.root / "specs/REQ-3001.yaml").read_text(encoding="utf-8")
    repo.commit(message="second renumbering")
    log = json.loads(run_in_process("log", "REQ-3001", "--format", "json", cwd=repo.root).stdout)
    assert [(e["change"], e["message"]) for e in log["entries"]] == [
        ("added", "initial"),
        ("modified", "first renumbering"),
        ("modified", "second renumbering"),
    ]
    assert [e["path"] for e in log["entries"]] == ["specs/REQ-30.yaml", "specs/REQ-300.yaml", "specs/REQ-3001.yaml"]
