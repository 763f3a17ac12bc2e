"""`reqtrace demo`: the worked example as a dated git history, as a new user meets it."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import copy_demo


@pytest.fixture(scope="module")
def demo_repo(demo_build, tmp_path_factory):
    """A copy of the demo (built once per worker), and the build: what `reqtrace demo` printed."""
    return copy_demo(demo_build, tmp_path_factory.mktemp("demo") / "clinic"), demo_build


def test_demo_prints_what_to_run_next(demo_repo):
    _, proc = demo_repo
    assert "reqtrace check" in proc.stdout
    assert str(proc.root) in proc.stdout
    # The replay log shows each command as it ran, with its paths, never the story's placeholders.
    log = proc.stdout + proc.stderr
    assert "{keys}" not in log and "{example}" not in log
    assert "reqtrace-demo-keys/vendor" in " ".join(log.split())


def test_demo_history_carries_the_storys_real_dates(demo_repo):
    target, _ = demo_repo
    dates = subprocess.run(["git", "log", "--format=%ad", "--date=short"], cwd=target, capture_output=True, text=True, check=True).stdout.split()
    assert dates[-1] == "2026-01-12"  # kick-off
    assert max(dates) >= "2026-10-01"  # post-delivery asks in the autumn
    assert len(dates) >= 25
    authors = set(subprocess.run(["git", "log", "--format=%an"], cwd=target, capture_output=True, text=True, check=True).stdout.splitlines())
    assert {"Li Wei", "Zhang Min"} <= authors


def test_demo_repo_passes_check(demo_repo, run_cli):
    target, _ = demo_repo
    result = run_cli("check", "--format", "json", cwd=target)
    data = json.loads(result.stdout)
    assert result.exit_code == 0, [f for f in data["findings"] if f["severity"] == "error"]
    assert data["summary"]["requirements"] == 25


def test_demo_refuses_a_folder_that_is_not_empty(tmp_path, run_in_process):
    (tmp_path / "keep.txt").write_text("mine")
    result = run_in_process("demo", str(tmp_path))
    assert result.exit_code == 3
    assert "not empty" in result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_trace_tells_a_demo_requirements_whole_story(demo_repo, run_in_process):
    """Issue 5's promise: the email that asked, the meeting that agreed, the baseline
    that holds it, and the request that changed it — here REQ-25, born of Wang Fang's
    GBK-encoded email about no-shows."""
    target, _ = demo_repo
    result = run_in_process("trace", "REQ-25", "--format", "json", cwd=target)
    assert result.exit_code == 0, result.stderr
    timeline = {(entry["id"], entry["relation"]) for entry in json.loads(result.stdout)["timeline"]}
    assert ("MAIL-f7afec25b3", "came-from") in timeline  # the email behind RQ-7
    assert ("RQ-7", "affected-by") in timeline
    assert ("MTG-2026-04-16", "decision") in timeline
    assert ("baseline/delivery-v1.0", "in-baseline") in timeline
    text = run_in_process("trace", "REQ-25", cwd=target, env={"COLUMNS": "200"}).stdout
    assert "爽约的病人太多了" in text  # the Chinese subject, decoded from GBK


def test_triage_sorts_the_demos_waiting_requests_as_its_readme_says(demo_repo, run_in_process):
    """examples/clinic/README.md: nine of the ten waiting requests as the story sorts them;
    RQ-13 (the printer, which REQ-18 names only to rule a special one out) is left to a person, out of scope the likeliest;
    RQ-18 is the defect of REQ-20 it is, with the signed sentence beside the request's."""
    target, _ = demo_repo
    result = run_in_process("triage", "--all", "--format", "json", cwd=target)
    assert result.exit_code == 0, result.stderr
    got = {r["request"]: r for r in json.loads(result.stdout)["results"]}
    story = {"RQ-12": "change", "RQ-13": "out-of-scope", "RQ-16": "out-of-scope", "RQ-17": "change",
             "RQ-18": "defect", "RQ-19": "new-scope", "RQ-20": "change", "RQ-21": "out-of-scope",
             "RQ-22": "defect", "RQ-23": "new-scope"}
    assert set(got) == set(story)
    assert [rq for rq, label in story.items() if got[rq]["classification"] != label] == ["RQ-13"]
    assert got["RQ-13"]["classification"] == "needs-review"
    assert max(got["RQ-13"]["probabilities"].items(), key=lambda item: item[1])[0] == "out-of-scope"
    assert '"printer" is named by REQ-18 only to rule it out: the customer\'s own, not what was signed' in got["RQ-13"]["reasons"]
    assert got["RQ-18"]["evidence"][0]["requirement"] == "REQ-20"
    # spans read as spans: RQ-17's Saturday hours against REQ-2's, endpoint by endpoint; RQ-22's
    # "8 点到 9 点" is when the calendar is slow, never 09:00 asked for
    assert "asks for 08:00-12:00 on Saturday; REQ-2 says 08:00-18:00" in got["RQ-17"]["reasons"]
    assert not [r for r in got["RQ-22"]["reasons"] if r.startswith(("asks for", "quotes", "calls")) and "点" in r]
    # what no accepted requirement speaks of, in whole words: 工单 as written, not 工 and 单, nor the 秒 of "8 秒"
    [novel] = [r for r in got["RQ-22"]["reasons"] if r.startswith("no accepted requirement speaks of")]
    assert '"工单"' in novel and not {'"工"', '"单"', '"秒"', '"点"'} & set(novel.split(", "))
    # a cue pattern may end inside a word ("一直转" of 一直转圈); the cue shown may not
    assert got["RQ-16"]["cues"]["report"] == ["打不开", "一直转圈"]
    # the evidence is the sentences that hold the numbers compared, and the ask is the point
    assert got["RQ-22"]["evidence"][0]["relation"] == "contradicts"
    assert "6 到 8 秒" in got["RQ-22"]["evidence"][0]["request_sentence"]
    assert got["RQ-22"]["evidence"][0]["signed_sentence"].startswith("95% of page loads complete in under 2 seconds")
    assert got["RQ-12"]["evidence"][0] == {"request_sentence": "Please change it so patients can book 30 days ahead.", "requirement": "REQ-3",
                                           "signed_sentence": got["RQ-12"]["evidence"][0]["signed_sentence"], "relation": "asks to change"}


def test_trace_shows_each_time_with_its_offset_in_time_order(demo_repo, run_in_process):
    # The meeting was at 14:00 in Beijing, the contract signed at 08:30 UTC (16:30 in Beijing):
    # without offsets the timeline seemed to put 14:00 after 08:30.
    target, _ = demo_repo
    text = run_in_process("trace", "REQ-3", cwd=target, env={"COLUMNS": "200"}).stdout
    meeting = text.index("2026-02-20 14:00 +08:00  MTG-2026-02-20")
    signed = text.index("2026-02-20 08:30 UTC     baseline/contract-v1.0")
    assert meeting < signed
    assert "2026-02-10               RQ-6" in text  # a day without a time stays a day
