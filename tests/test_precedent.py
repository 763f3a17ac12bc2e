"""Precedent: triage cites and weighs the repo's own decided requests, run as a user would."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CONFIG, CliResult, SpecRepoFixture, copy_repo, git, write_files
from reqtrace.core.model import Decision, Request
from reqtrace.triage import TriageResult
from reqtrace.triage.classify import Match
from reqtrace.triage.precedent import (
    Precedent,
    PrecedentIndex,
    Weighing,
    apply_precedent,
    decided,
    reweigh,
)

BASELINE = Path(__file__).parent / "data" / "triage" / "baseline"

MEETING = """\
---
id: MTG-2026-08-20
date: 2026-08-20
title: Post-delivery review
---
# Minutes
"""


def _request(rid: str, title: str, text: str) -> str:
    return f"id: {rid}\nreceived: 2026-08-01\ntitle: {json.dumps(title, ensure_ascii=False)}\ntext: |\n" + "".join(
        f"  {line}\n" for line in text.splitlines())


LONGER_WINDOW = _request("RQ-20", "Longer booking window",
                         "Please let patients book 30 days ahead instead of 14 days; our chronic patients\n"
                         "come back every four weeks.")
WINDOW_AGAIN = _request("RQ-21", "Booking window too short",
                        "Our chronic patients come every four weeks and want to book 30 days ahead,\n"
                        "not 14. Please change the booking window.")
PRINTER = _request("RQ-22", "Printer jams", "The printer in the front office jams on every page since Monday.")
SMS_LOST = _request("RQ-30", "短信提醒没有发出", "昨天预约的病人都没有收到短信提醒，系统里显示已发送，但是手机上什么都没有。")
SMS_AGAIN = _request("RQ-31", "病人没收到短信提醒", "今天好几个预约的病人说没有收到短信提醒，系统显示已经发送了。")


@pytest.fixture(scope="module")
def project_template(tmp_path_factory, build_env) -> Path:
    """Built once per module; never run a command in it: tests work on copies."""
    files = {f"specs/{p.relative_to(BASELINE).as_posix()}": p.read_text(encoding="utf-8") for p in BASELINE.rglob("*.yaml")}
    root = tmp_path_factory.mktemp("precedent") / "repo"
    write_files(root, {"reqtrace.yaml": CONFIG, **files, "records/meetings/MTG-2026-08-20.md": MEETING})
    git(root, "init", "-q")
    repo = SpecRepoFixture(root)
    repo.commit(message="initial", tag="baseline/v1.0")
    repo.commit({"records/requests/RQ-20.yaml": LONGER_WINDOW, "records/requests/RQ-21.yaml": WINDOW_AGAIN,
                 "records/requests/RQ-22.yaml": PRINTER, "records/requests/RQ-30.yaml": SMS_LOST,
                 "records/requests/RQ-31.yaml": SMS_AGAIN}, "requests")
    return root


@pytest.fixture
def project(project_template, tmp_path):
    """A copy of its own, for a test that decides."""
    return copy_repo(project_template, tmp_path / "repo")


@pytest.fixture(scope="module")
def rq20_changed(project_template, tmp_path_factory):
    """RQ-20 decided a change (`reqtrace decide` in a real process) and committed, once: shared by
    the tests that only triage."""
    repo = copy_repo(project_template, tmp_path_factory.mktemp("precedent-rq20") / "repo")
    _decide(_process, repo, "RQ-20", "change")
    return repo


def _process(*args: str, cwd: Path) -> CliResult:
    proc = subprocess.run([sys.executable, "-m", "reqtrace", *args], cwd=cwd, capture_output=True, text=True)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def _decide(run_cli, repo, rid: str, as_: str, status: str = "approved") -> None:
    result = run_cli("decide", rid, "--as", as_, "--status", status, "--by", "Li Wei", "--in", "MTG-2026-08-20",
                     "--on", "2026-08-20", cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    repo.commit(message=f"decide {rid}")


def _triage(run_cli, repo, *args: str) -> list[dict]:
    result = run_cli("triage", *args, "--baseline", "v1.0", "--format", "json", cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["results"]


def test_a_similar_request_names_the_decision_it_is_like(rq20_changed, run_in_process):
    (result,) = _triage(run_in_process, rq20_changed, "RQ-21")
    (precedent,) = result["precedents"]
    assert precedent == {"request": "RQ-20", "classification": "change", "status": "approved", "by": "Li Wei",
                         "when": "2026-08-20", "meeting": "MTG-2026-08-20", "similarity": precedent["similarity"]}
    assert 0.5 < precedent["similarity"] <= 1
    assert ("like RQ-20, decided change, approved by Li Wei on 2026-08-20 in MTG-2026-08-20 "
            f"(similarity {precedent['similarity']:.2f})") in result["reasons"]


def test_raw_text_in_the_repo_cites_the_decision_too(rq20_changed, run_in_process):
    (result,) = _triage(run_in_process, rq20_changed, "--text", "Could patients book 30 days ahead instead of 14? They come every four weeks.")
    assert [p["request"] for p in result["precedents"]] == ["RQ-20"]


def test_an_unrelated_request_gets_no_precedent(rq20_changed, run_in_process):
    (result,) = _triage(run_in_process, rq20_changed, "RQ-22")
    assert result["precedents"] == []
    assert not [reason for reason in result["reasons"] if reason.startswith(("like ", "precedent"))]


def test_a_decided_request_never_cites_itself(rq20_changed, run_in_process, tmp_path):
    (by_id,) = _triage(run_in_process, rq20_changed, "RQ-20")
    (by_file,) = _triage(run_in_process, rq20_changed, str(rq20_changed.root / "records/requests/RQ-20.yaml"))
    copy = tmp_path / "RQ-20-copy.yaml"  # outside the repo
    copy.write_text(LONGER_WINDOW, encoding="utf-8")
    (by_copy,) = _triage(run_in_process, rq20_changed, str(copy))
    assert by_id["precedents"] == by_file["precedents"] == by_copy["precedents"] == []


def test_a_pending_decision_is_no_precedent(project, run_in_process):
    _decide(run_in_process, project, "RQ-20", "change", status="pending")
    (result,) = _triage(run_in_process, project, "RQ-21")
    assert result["precedents"] == []
    _decide(run_in_process, project, "RQ-20", "change", status="rejected")
    (result,) = _triage(run_in_process, project, "RQ-21")
    assert [(p["request"], p["status"]) for p in result["precedents"]] == [("RQ-20", "rejected")]


def test_a_chinese_pair_is_found_and_jieba_says_nothing(project, run_cli, tmp_path):
    _decide(run_cli, project, "RQ-30", "defect")
    shared_temp = tmp_path / "shared-tmp"
    shared_temp.mkdir()
    (shared_temp / "jieba.cache").write_bytes(b"planted by someone else")
    result = run_cli("triage", "RQ-31", "--baseline", "v1.0", "--format", "json", cwd=project.root,
                     env={"TMPDIR": str(shared_temp)})
    assert result.exit_code == 0 and result.stderr == ""  # jieba's dictionary log stays off stderr
    (found,) = json.loads(result.stdout)["results"]
    assert [(p["request"], p["classification"]) for p in found["precedents"]] == [("RQ-30", "defect")]
    assert found["precedents"][0]["similarity"] > 0.4
    # jieba's dictionary cache lives beside triage's other caches, not in the shared temp folder
    assert (project.root / ".git" / "reqtrace" / "jieba.cache").is_file()
    assert (shared_temp / "jieba.cache").read_bytes() == b"planted by someone else"
    assert not (Path(os.environ["HOME"]) / ".cache").exists()


def test_no_precedent_gives_the_answer_without_decisions(project, run_in_process):
    before = _triage(run_in_process, project, "RQ-21", "RQ-31")
    _decide(run_in_process, project, "RQ-20", "defect")  # a decision that would pull RQ-21 away from change
    _decide(run_in_process, project, "RQ-30", "defect")
    assert _triage(run_in_process, project, "RQ-21", "RQ-31", "--no-precedent") == before
    assert all(result["precedents"] == [] for result in before)
    assert [r["precedents"] != [] for r in _triage(run_in_process, project, "RQ-21", "RQ-31")] == [True, True]


def test_text_output_shows_the_precedent_within_80_columns(rq20_changed, run_in_process):
    result = run_in_process("triage", "RQ-21", "--baseline", "v1.0", cwd=rq20_changed.root, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("  • like RQ-20, decided change"))
    shown = " ".join(line.strip() for line in lines[start:start + 2])
    assert "like RQ-20, decided change, approved by Li Wei on 2026-08-20 in MTG-2026-08-20 (similarity" in shown
    assert all(len(line.rstrip()) <= 80 for line in lines[start:start + 2])


# ---------------------------------------------------------------- the core


def _decided(rid: str, as_: str, status: str = "approved") -> Request:
    return Request(id=rid, received="2026-08-01", title="", path="", text="x",
                   decision=Decision(status, as_, "Li Wei", "2026-08-20", None))


def test_only_requests_with_a_class_and_a_final_status_are_decided():
    requests = [_decided("RQ-1", "change"), _decided("RQ-2", "change", "pending"), _decided("RQ-3", "defect", "rejected"),
                Request(id="RQ-4", received="2026-08-01", title="", path=""),
                Request(id="RQ-5", received="2026-08-01", title="", path="", decision=Decision("approved"))]
    assert [r.id for r in decided(requests)] == ["RQ-1", "RQ-3"]
    index = PrecedentIndex.build((r, "same words here") for r in requests)
    assert len(index) == 2


def test_a_request_in_traditional_characters_meets_its_precedent_in_simplified_ones():
    # The classifier reads traditional Chinese in simplified characters; so does precedent.
    index = PrecedentIndex.build([(_decided("RQ-1", "change"), "报表导出的日期格式请改成年月日"),
                                  (_decided("RQ-2", "defect"), "登录页面打不开")])
    (nearest,) = index.nearest("報表導出的日期格式請改成年月日", k=1)
    assert (nearest.request, nearest.classification) == ("RQ-1", "change")
    assert nearest.similarity > 0.99


def _precedent(similarity: float, classification: str = "defect") -> Precedent:
    return Precedent("RQ-7", classification, "approved", "Li Wei", "2026-08-20", None, similarity)


MATCHED = (Match("REQ-3", 0.8, ("export",), True),)  # the classifier's result met a signed requirement


def test_a_precedent_weighs_by_its_similarity():
    engine = {"defect": 0.05, "change": 0.6, "new-scope": 0.2, "out-of-scope": 0.1, "needs-review": 0.05}
    weighing = Weighing(strength=3.0, floor=0.3)
    new_scope = "new-scope"
    assert reweigh(engine, [_precedent(0.3, new_scope)], weighing) == pytest.approx(engine)  # at the floor: nothing
    weak, strong = reweigh(engine, [_precedent(0.4, new_scope)], weighing), reweigh(engine, [_precedent(0.95, new_scope)], weighing)
    assert engine[new_scope] < weak[new_scope] < 0.3 < 0.6 < strong[new_scope]
    result = TriageResult("RQ-9", "change", 0.6, MATCHED, reasons=("weighed change at 0.60",), probabilities=tuple(engine.items()))
    assert apply_precedent(result, [_precedent(0.4, new_scope)], abstain_below=0.35, weighing=weighing).classification == "change"
    turned = apply_precedent(result, [_precedent(0.95, new_scope)], abstain_below=0.35, weighing=weighing)
    assert turned.classification == new_scope and turned.confidence == pytest.approx(strong[new_scope], abs=1e-4)
    assert turned.reasons[0] == f"precedent turns the answer to new-scope ({strong[new_scope]:.2f}); without it: change (0.60)"
    assert turned.reasons[1].startswith("like RQ-7, decided new-scope, approved by Li Wei on 2026-08-20")
    assert turned.reasons[1].endswith("(similarity 0.95)")
    assert turned.reasons[2:] == result.reasons


def test_precedent_never_makes_a_sure_defect_the_classifier_was_not_sure_of():
    weighing = Weighing(8.0, 0.15)
    engine = {"defect": 0.85, "change": 0.1, "new-scope": 0.02, "out-of-scope": 0.02, "needs-review": 0.01}
    held = TriageResult("RQ-9", "defect", 0.75, MATCHED, probabilities=tuple(engine.items()))  # the classifier's guard capped it
    assert apply_precedent(held, [_precedent(0.9)], abstain_below=0.35, weighing=weighing).confidence == 0.75
    asked = {"defect": 0.3, "change": 0.6, "new-scope": 0.05, "out-of-scope": 0.03, "needs-review": 0.02}
    turned = apply_precedent(TriageResult("RQ-9", "change", 0.6, MATCHED, probabilities=tuple(asked.items())), [_precedent(0.9)],
                             abstain_below=0.35, weighing=weighing)
    assert (turned.classification, turned.confidence) == ("defect", 0.75)
    sure = TriageResult("RQ-9", "defect", 0.85, MATCHED, probabilities=tuple(engine.items()))
    assert apply_precedent(sure, [_precedent(0.9)], abstain_below=0.35, weighing=weighing).confidence > 0.95


def test_precedent_alone_never_makes_a_defect_or_change_that_no_requirement_matches():
    # Nothing of the baseline met the request: the classifier said new scope. A close precedent decided
    # defect cannot name what failed, so a person decides, with the precedent and the classifier's answer shown.
    engine = {"defect": 0.3, "change": 0.05, "new-scope": 0.5, "out-of-scope": 0.1, "needs-review": 0.05}
    unmatched = TriageResult("RQ-9", "new-scope", 0.5, (), probabilities=tuple(engine.items()))
    held = apply_precedent(unmatched, [_precedent(0.95)], abstain_below=0.35, weighing=Weighing(8.0, 0.15))
    assert held.classification == "needs-review"
    assert held.reasons[0].startswith("precedent points to defect (")
    assert held.reasons[0].endswith("but no requirement matches, and a defect needs one; without it: new-scope (0.50)")
    assert held.reasons[1].startswith("like RQ-7, decided defect")
    matched = apply_precedent(TriageResult("RQ-9", "new-scope", 0.5, MATCHED, probabilities=tuple(engine.items())),
                              [_precedent(0.95)], abstain_below=0.35, weighing=Weighing(8.0, 0.15))
    assert matched.classification == "defect"  # the same precedent where a requirement matched


def test_without_probabilities_precedent_is_cited_and_the_answer_kept():
    rules = TriageResult("RQ-9", "needs-review", 0.0, reasons=("the request has no text",))
    cited = apply_precedent(rules, [_precedent(0.9)], abstain_below=0.35, weighing=Weighing(3.0, 0.3))
    assert (cited.classification, cited.confidence) == ("needs-review", 0.0)
    assert cited.precedents == (_precedent(0.9),)


def test_a_decision_recorded_as_a_moment_is_cited_by_its_day(project, run_in_process):
    result = run_in_process("decide", "RQ-20", "--as", "change", "--status", "approved", "--by", "Li Wei",
                     "--on", "2026-08-20T23:30:00+08:00", cwd=project.root)
    assert result.exit_code == 0, result.stderr
    (found,) = _triage(run_in_process, project, "RQ-21")
    (precedent,) = found["precedents"]
    assert precedent["when"] == "2026-08-20T23:30:00+08:00" and precedent["meeting"] is None
    assert f"like RQ-20, decided change, approved by Li Wei on 2026-08-20 (similarity {precedent['similarity']:.2f})" in found["reasons"]
