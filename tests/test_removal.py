"""A requirement removed by an approved request: the records that named it stay true.

The request that approved removing REQ-9 names it in `affects` (that is what covers the
removal in `diff`); the meeting and the email that discussed it name it in `refs`. After
the removal `check` must not call those names dangling, as long as a baseline held REQ-9;
a name no baseline ever held still dangles, and so does a live requirement's parent.
"""

import json

import pytest

from conftest import copy_repo, make_repo_in, requirement_yaml, run_reqtrace

MAIL = "MAIL-0123456789"
FILES = {
    "specs/REQ-1.yaml": requirement_yaml("REQ-1", "Online booking", status="approved"),
    "specs/REQ-9.yaml": requirement_yaml("REQ-9", "Fax confirmation of bookings", parents=["REQ-1"], status="approved"),
    f"records/emails/{MAIL}.eml": b"Subject: No more fax\n\nNobody reads the fax any more.\n",
    f"records/emails/{MAIL}.eml.yaml": f"id: {MAIL}\ndate: '2026-03-01T09:00:00+08:00'\nsubject: No more fax\nrefs: [REQ-9]\n",
}
REMOVAL = {
    "specs/REQ-9.yaml": None,
    "records/requests/RQ-5.yaml": "id: RQ-5\nreceived: 2026-03-01\nfrom: Dr. Chen\ntitle: Drop the fax confirmation\n"
                                  "affects: [REQ-9]\nsources: [" + MAIL + "]\ndecision:\n  status: approved\n  as: change\n"
                                  "  by: Li Wei\n  when: 2026-03-05\n  in: MTG-2026-03-05\n",
    "records/meetings/MTG-2026-03-05.md": "---\nid: MTG-2026-03-05\ndate: 2026-03-05\ntitle: Change review\nrefs: [REQ-9]\n"
                                          "decisions:\n  - text: Drop the fax confirmation.\n    approves: [RQ-5]\n    refs: [REQ-9]\n---\n",
}


@pytest.fixture(scope="module")
def removed_template(tmp_path_factory, build_env):
    """Built once per module: a real `baseline create`, then the approved removal committed."""
    repo = make_repo_in(tmp_path_factory.mktemp("removal"))(FILES)
    created = run_reqtrace("baseline", "create", "contract-v1", "-m", "Contract scope", cwd=repo.root,
                           env={"SOURCE_DATE_EPOCH": "1769947200"})
    assert created.exit_code == 0, created.stderr
    repo.commit(REMOVAL, "Remove REQ-9 as approved in RQ-5", date="2026-03-06T10:00:00+08:00")
    return repo.root


@pytest.fixture
def removed(removed_template, tmp_path):
    return copy_repo(removed_template, tmp_path / "repo")


def test_records_may_name_a_requirement_removed_since_a_baseline(removed, run_cli):
    for rev in ((), ("--rev", "HEAD")):
        result = run_cli("check", "--strict", "--format", "json", *rev, cwd=removed.root)
        assert result.exit_code == 0, result.stdout
        assert json.loads(result.stdout)["findings"] == []


def test_the_removal_is_approved_in_diff_and_told_in_trace(removed, run_in_process):
    diff = json.loads(run_in_process("diff", "contract-v1", "--format", "json", cwd=removed.root).stdout)
    (change,) = diff["changes"]
    assert change["id"] == "REQ-9" and change["change"] == "removed"
    assert change["approved_by"] == ["RQ-5"]
    trace = run_in_process("trace", "RQ-5", "--format", "json", cwd=removed.root)
    assert trace.exit_code == 0, trace.stderr


def test_a_name_no_baseline_held_still_dangles_and_so_does_a_parent(removed, run_in_process):
    removed.commit({
        "records/requests/RQ-6.yaml": "id: RQ-6\nreceived: 2026-03-07\ntitle: Typo\naffects: [REQ-99]\n",
        "specs/REQ-2.yaml": requirement_yaml("REQ-2", "Fax cover page", parents=["REQ-9"]),
    }, "Two wrong names")
    result = run_in_process("check", "--format", "json", cwd=removed.root)
    assert result.exit_code == 1
    dangling = {(f["id"], f["message"].split(",")[0]) for f in json.loads(result.stdout)["findings"] if f["code"] == "dangling-ref"}
    assert dangling == {("RQ-6", "affects names 'REQ-99'"), ("REQ-2", "parents names 'REQ-9'")}
