"""Suspect links: a parent changed after the child's link to it was reviewed.

`reqtrace review` stamps links; check, trace, impact and diff report the ones
whose parent changed since, at the working tree and at any revision.
"""

from __future__ import annotations

import json

from conftest import requirement_yaml
from reqtrace.core.digest import requirement_digest
from reqtrace.core.model import Config
from reqtrace.core.parse import parse_requirements

PARENT = """\
# The booking rule every other booking requirement refines.
id: REQ-1
title: Book online
statement: Patients book an appointment online.
priority: must
parents: []
tags: [booking]  # reviewed by the team on Monday
"""

CHILD = """\
id: REQ-2
title: Cancel online
statement: Patients cancel an appointment online, up to 2 hours before it.
parents: [REQ-1]   # derived at the kick-off
sources: []
tags: [booking]
"""

MANY = """\
# Limits, kept together.
requirements:
  - id: REQ-3
    title: At most 2 open appointments
    statement: >
      A patient can hold at most 2 future appointments.
    parents: [REQ-1]
    tags: [limits]
  - id: REQ-4
    title: Closes 2 hours before
    statement: A slot cannot be booked online in the last 2 hours.
    parents: [REQ-1]
"""


def repo_with_links(make_repo):
    return make_repo({"specs/REQ-1.yaml": PARENT, "specs/REQ-2.yaml": CHILD, "specs/limits.yaml": MANY})


def check_json(run_cli, root, *args):
    result = run_cli("check", "--format", "json", *args, cwd=root)
    return result, json.loads(result.stdout)


def suspect_findings(data):
    return [f for f in data["findings"] if f["code"] == "suspect-link"]


def test_review_all_stamps_every_link_and_keeps_comments_and_layout(make_repo, run_cli) -> None:
    repo = repo_with_links(make_repo)
    result = run_cli("review", "--all", cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    assert "3 links stamped in 2 files" in result.stdout
    digest = requirement_digest(parse_requirements("specs/REQ-1.yaml", PARENT.encode(), Config("t")).items[0])
    child = (repo.root / "specs/REQ-2.yaml").read_text()
    # Only the new block is added, right after parents; the comment on parents stays.
    assert child == CHILD.replace("parents: [REQ-1]   # derived at the kick-off\n", f"parents: [REQ-1]   # derived at the kick-off\nreviewed:\n  REQ-1: {digest}\n")
    many = (repo.root / "specs/limits.yaml").read_text()
    expected = MANY.replace("    parents: [REQ-1]\n    tags: [limits]\n", f"    parents: [REQ-1]\n    reviewed:\n      REQ-1: {digest}\n    tags: [limits]\n")
    expected = expected.replace("    parents: [REQ-1]\n\"\"\"", "")
    assert many == expected + f"    reviewed:\n      REQ-1: {digest}\n"
    # A stamp is not meaning: the child's own digest (what baselines sign) is unchanged.
    assert check_json(run_cli, repo.root)[1]["findings"] == []


def test_a_changed_parent_makes_its_stamped_children_suspect_and_review_clears_it(make_repo, run_in_process) -> None:
    repo = repo_with_links(make_repo)
    run_in_process("review", "--all", cwd=repo.root)
    repo.commit(message="reviewed")
    repo.write({"specs/REQ-1.yaml": PARENT.replace("book an appointment online", "book an appointment online or by phone")})
    result, data = check_json(run_in_process, repo.root)
    assert result.exit_code == 0  # a warning by default
    found = suspect_findings(data)
    assert [(f["id"], f["path"], f["line"], f["severity"]) for f in found] == [
        ("REQ-2", "specs/REQ-2.yaml", 5, "warning"),  # the line of `reviewed:`
        ("REQ-3", "specs/limits.yaml", 8, "warning"),
        ("REQ-4", "specs/limits.yaml", 15, "warning"),
    ]
    assert "parent REQ-1 changed since this link was reviewed" in found[0]["message"]
    assert "reqtrace review REQ-2" in found[0]["message"]
    # --strict makes it an error, as every warning.
    assert run_in_process("check", "--strict", cwd=repo.root).exit_code == 1

    reviewed = run_in_process("review", "REQ-2", cwd=repo.root)
    assert reviewed.exit_code == 0, reviewed.stderr
    assert "REQ-2 → REQ-1 reviewed (was suspect)" in reviewed.stdout
    assert [f["id"] for f in suspect_findings(check_json(run_in_process, repo.root)[1])] == ["REQ-3", "REQ-4"]


def test_plain_unstamped_links_are_never_suspect(make_repo, run_in_process) -> None:
    repo = repo_with_links(make_repo)
    repo.write({"specs/REQ-1.yaml": PARENT.replace("online.", "online at any hour.")})
    assert suspect_findings(check_json(run_in_process, repo.root)[1]) == []


def test_config_switch_makes_suspect_links_errors_or_silences_them(make_repo, run_in_process) -> None:
    repo = repo_with_links(make_repo)
    run_in_process("review", "--all", cwd=repo.root)
    repo.write({"specs/REQ-1.yaml": PARENT.replace("priority: must", "priority: should")})
    config = (repo.root / "reqtrace.yaml").read_text()
    repo.write({"reqtrace.yaml": config + "suspect_links: error\n"})
    result, data = check_json(run_in_process, repo.root)
    assert result.exit_code == 1
    assert {f["severity"] for f in suspect_findings(data)} == {"error"}
    # Quoted: YAML 1.1 reads an unquoted off as false, which the schema refuses.
    repo.write({"reqtrace.yaml": config + 'suspect_links: "off"\n'})
    assert suspect_findings(check_json(run_in_process, repo.root)[1]) == []


def test_suspect_links_at_a_revision_and_in_trace_impact_and_diff(make_repo, run_in_process) -> None:
    repo = repo_with_links(make_repo)
    run_in_process("review", "--all", cwd=repo.root)
    reviewed = repo.commit(message="reviewed")
    repo.commit({"specs/REQ-1.yaml": PARENT.replace("Book online", "Book an appointment online")}, message="retitle")
    # At HEAD (committed) and at the reviewed commit: only HEAD has suspect links.
    assert len(suspect_findings(check_json(run_in_process, repo.root, "--rev", "HEAD")[1])) == 3
    assert suspect_findings(check_json(run_in_process, repo.root, "--rev", reviewed)[1]) == []

    trace = json.loads(run_in_process("trace", "REQ-2", "--format", "json", cwd=repo.root).stdout)
    assert trace["suspect"] == [{"child": "REQ-2", "parent": "REQ-1"}]
    trace_then = json.loads(run_in_process("trace", "REQ-2", "--rev", reviewed, "--format", "json", cwd=repo.root).stdout)
    assert trace_then["suspect"] == []
    text = run_in_process("trace", "REQ-1", cwd=repo.root).stdout
    assert "suspect" in text and "REQ-3 → REQ-1" in text
    # A second run answers from the graph cache: the same answer.
    assert json.loads(run_in_process("trace", "REQ-2", "--format", "json", cwd=repo.root).stdout)["suspect"] == trace["suspect"]

    impact = json.loads(run_in_process("impact", "REQ-1", "--format", "json", cwd=repo.root).stdout)
    assert {row["id"]: row["suspect"] for row in impact["descendants"]} == {"REQ-2": ["REQ-1"], "REQ-3": ["REQ-1"], "REQ-4": ["REQ-1"]}
    assert "suspect: review against REQ-1" in run_in_process("impact", "REQ-1", cwd=repo.root).stdout

    diff = json.loads(run_in_process("diff", reviewed, "HEAD", "--format", "json", cwd=repo.root).stdout)
    assert [(link["child"], link["parent"]) for link in diff["suspect"]] == [("REQ-2", "REQ-1"), ("REQ-3", "REQ-1"), ("REQ-4", "REQ-1")]
    assert "suspect REQ-2 → REQ-1" in run_in_process("diff", reviewed, "HEAD", cwd=repo.root).stdout
    assert "**Suspect links** (3)" in run_in_process("diff", reviewed, "HEAD", "--format", "markdown", cwd=repo.root).stdout


def test_wording_only_shows_the_change_and_restamps_every_child_once(make_repo, run_in_process) -> None:
    repo = repo_with_links(make_repo)
    run_in_process("review", "--all", cwd=repo.root)
    repo.commit(message="reviewed")
    repo.write({"specs/REQ-1.yaml": PARENT.replace("Patients book", "Patients  book").replace("online.", "onlien.")})
    repo.commit(message="typo")
    repo.write({"specs/REQ-1.yaml": PARENT})  # the typo fixed again: back to the reviewed text
    repo.write({"specs/REQ-1.yaml": PARENT.replace("appointment online", "appointment on-line")})
    result = run_in_process("review", "REQ-1", "--wording-only", cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    assert "statement: Patients book an appointment [-online-]{+on-line+}." in result.stdout
    assert "3 links stamped in 2 files" in result.stdout
    assert suspect_findings(check_json(run_in_process, repo.root)[1]) == []


def test_wording_only_refuses_a_change_of_meaning(make_repo, run_in_process) -> None:
    repo = repo_with_links(make_repo)
    run_in_process("review", "--all", cwd=repo.root)
    repo.commit(message="reviewed")
    repo.write({"specs/REQ-1.yaml": PARENT.replace("priority: must", "priority: could")})
    before = (repo.root / "specs/REQ-2.yaml").read_bytes()
    result = run_in_process("review", "REQ-1", "--wording-only", cwd=repo.root)
    assert result.exit_code == 2
    assert "REQ-1 changed more than its wording since REQ-2, REQ-3, REQ-4 was reviewed: priority changed" in result.stderr
    assert "hint: review each child against the new REQ-1: reqtrace review REQ-2" in result.stderr
    assert (repo.root / "specs/REQ-2.yaml").read_bytes() == before


def test_review_refuses_what_it_cannot_do(make_repo, run_in_process) -> None:
    repo = repo_with_links(make_repo)
    top = run_in_process("review", "REQ-1", cwd=repo.root)
    assert top.exit_code == 2 and "REQ-1 has no parents" in top.stderr
    missing = run_in_process("review", "REQ-99", cwd=repo.root)
    assert missing.exit_code == 3 and "no requirement with id 'REQ-99'" in missing.stderr
    neither = run_in_process("review", cwd=repo.root)
    assert neither.exit_code == 2 and "name one requirement ID, or use --all" in neither.stderr
    usage_json = run_in_process("review", "--format", "json", cwd=repo.root)
    assert usage_json.exit_code == 2 and json.loads(usage_json.stdout)["error"]["code"] == "usage"


def test_a_bad_stamp_is_a_schema_error_with_its_line(make_repo, run_in_process) -> None:
    repo = make_repo({"specs/REQ-1.yaml": PARENT, "specs/REQ-2.yaml": requirement_yaml("REQ-2", parents=["REQ-1"]) + "reviewed:\n  REQ-1: abc\n"})
    result, data = check_json(run_in_process, repo.root)
    assert result.exit_code == 1
    (finding,) = [f for f in data["findings"] if f["code"] == "schema"]
    assert finding["line"] == 6 and "'reviewed.REQ-1'" in finding["message"] and "sha256:" in finding["message"]
