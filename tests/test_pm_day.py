"""The project manager's day, in the README's order: what was just decided reaches the
pack, timelines run in the order things happened, and the first screen tells the story."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import CliResult, DemoBuild, copy_demo, copy_repo, make_repo_in, run_reqtrace
from hostile.kit import run as run_through_main


@pytest.fixture
def demo(demo_build, tmp_path) -> Path:
    """The demo (built once per worker); each test works on its own copy."""
    copy = copy_demo(demo_build, tmp_path / "demo")
    return copy


@pytest.fixture(scope="module")
def demo_shared(demo_build, tmp_path_factory) -> Path:
    """One copy for the tests that only read it."""
    return copy_demo(demo_build, tmp_path_factory.mktemp("pm-day-shared") / "demo")


@dataclass(frozen=True)
class Decided:
    demo: Path  # RQ-13 triaged and decided, not committed: only read it (or copy it)
    with_decision: Path  # pack build delivery-v1.0 --to WORKTREE
    without_decision: Path  # pack build delivery-v1.0 --to HEAD


@pytest.fixture(scope="module")
def decided(demo_build, tmp_path_factory, build_env) -> Decided:
    """The README's two writing commands run once (real processes), and the two packs built from
    that tree in-process: tests that only read the tree or the packs share them."""
    top = tmp_path_factory.mktemp("pm-day-decided")
    demo = copy_demo(demo_build, top / "demo")
    _decide_rq13(demo, _process)
    packs = {}
    for name, to in (("with.zip", "WORKTREE"), ("without.zip", "HEAD")):
        built = run_through_main(["pack", "build", "delivery-v1.0", "-o", str(top / name), "--to", to], demo)
        assert built.code == 0, built.describe()
        packs[to] = top / name
    return Decided(demo, packs["WORKTREE"], packs["HEAD"])


def _process(*args: str, cwd: Path) -> CliResult:
    proc = subprocess.run([sys.executable, "-m", "reqtrace", *args], cwd=cwd, capture_output=True, text=True)
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


def _decide_rq13(demo: Path, run_cli) -> None:
    """The README's two writing commands, exactly as it gives them."""
    assert run_cli("triage", "RQ-13", "--write", cwd=demo).exit_code == 0
    decided = run_cli("decide", "RQ-13", "--as", "out-of-scope", "--status", "rejected", "--by", "Li Wei",
                      "--note", "Printer driver on the clinic's own PC; not part of the delivered system.", cwd=demo)
    assert decided.exit_code == 0, decided.stderr


def _pack_request(zip_path: Path, request_id: str) -> dict:
    with zipfile.ZipFile(zip_path) as archive:
        requests = json.loads(archive.read("data/records/requests.json"))
    return next(item["fields"] for item in requests["items"] if item["fields"]["id"] == request_id)


# --- 1. a pack never silently misses what was just decided ---------------------------


def test_pack_build_after_decide_refuses_and_names_the_uncommitted_file(decided, run_cli, run_in_process, tmp_path):
    demo = decided.demo  # refused: nothing is written
    out = tmp_path / "acceptance.zip"
    refused = run_cli("pack", "build", "delivery-v1.0", "-o", str(out), cwd=demo)
    assert refused.exit_code == 3
    message = " ".join(refused.stderr.split())
    assert "records/requests/RQ-13.yaml" in message and "not committed" in message
    assert "--to WORKTREE" in message and "git commit" in message
    assert not out.exists()
    as_json = run_in_process("pack", "build", "delivery-v1.0", "-o", str(out), "--format", "json", cwd=demo)
    assert as_json.exit_code == 3 and json.loads(as_json.stdout)["error"]["code"] == "uncommitted"


def test_pack_build_to_worktree_includes_the_decision_and_head_leaves_it_out(decided):
    # Both packs are built by `decided` (each build's exit code is asserted there).
    assert _pack_request(decided.with_decision, "RQ-13")["decision"]["status"] == "rejected"
    assert "decision" not in _pack_request(decided.without_decision, "RQ-13")


def test_pack_build_after_committing_the_decision_holds_it(decided, run_cli, tmp_path):
    demo = copy_demo(DemoBuild(decided.demo, "", ""), tmp_path / "demo")  # decided, not yet committed
    _git(demo, "add", "records")
    _git(demo, "commit", "-q", "-m", "RQ-13 decided")
    out = tmp_path / "acceptance.zip"
    built = run_cli("pack", "build", "delivery-v1.0", "-o", str(out), cwd=demo)
    assert built.exit_code == 0, built.stderr
    assert _pack_request(out, "RQ-13")["decision"]["by"] == "Li Wei"
    assert run_cli("pack", "verify", str(out), cwd=tmp_path).exit_code == 0


def test_log_says_in_one_line_that_it_is_as_of_head_while_the_tree_differs(demo, run_in_process):
    clean = run_in_process("log", "REQ-14", cwd=demo)
    assert clean.exit_code == 0 and "as of HEAD" not in clean.stderr
    (demo / "specs" / "accounts" / "REQ-14.yaml").write_text(
        (demo / "specs" / "accounts" / "REQ-14.yaml").read_text(encoding="utf-8").replace("15 minutes", "30 minutes"), encoding="utf-8")
    noted = run_in_process("log", "REQ-14", cwd=demo)
    assert noted.exit_code == 0
    lines = [line for line in noted.stderr.splitlines() if line.strip()]
    assert " ".join(" ".join(lines).split()).startswith("note: this log is as of HEAD")
    assert "specs/accounts/REQ-14.yaml" in "".join(noted.stderr.split())


# --- 3. the story's main point on the first screen -----------------------------------


def test_status_leads_with_the_changes_since_the_customer_first_signed(demo_shared, run_in_process):
    shown = run_in_process("status", cwd=demo_shared, env={"COLUMNS": "80"})
    assert shown.exit_code == 0, shown.stderr
    lines = shown.stdout.splitlines()
    # Right under the header and counts, before the accepted baseline's own drift (which is 0).
    assert lines[2] == "since first signed contract-v1.0 (2026-02-20): 6 changes, 3 approved, 3 not"
    assert lines[3].split() == ["not", "approved", "REQ-12,", "REQ-17,", "REQ-23"]
    assert lines[4].split() == ["accepted", "anyway", "in", "delivery-v1.0:", "REQ-12,", "REQ-17,", "REQ-23", "(no", "approval)"]
    assert lines[5].startswith("accepted baseline  delivery-v1.0")
    assert all(len(line) <= 80 for line in lines[2:5])


def test_status_json_carries_the_same_figures_and_keeps_the_old_keys(demo_shared, run_in_process):
    data = json.loads(run_in_process("status", "--format", "json", cwd=demo_shared).stdout)
    assert data["since_first_signed"] == {
        "baseline": "contract-v1.0", "created": "2026-02-20T08:30:00Z", "commit": data["since_first_signed"]["commit"],
        "changes": 6, "added": 1, "modified": 5, "removed": 0, "approved": 3, "unapproved": 3,
        "approved_ids": ["REQ-7", "REQ-14", "REQ-25"], "unapproved_ids": ["REQ-12", "REQ-17", "REQ-23"],
    }
    assert data["since_first_signed"]["commit"] == _git(demo_shared, "rev-parse", "baseline/contract-v1.0^{commit}").strip()
    assert data["accepted_without_approval"] == {"baseline": "delivery-v1.0", "since": "contract-v1.0", "count": 3, "ids": ["REQ-12", "REQ-17", "REQ-23"]}
    assert data["accepted_baseline"]["name"] == "delivery-v1.0" and data["drift"]["unapproved"] == 0
    assert {"schema_version", "project", "customer", "rev", "counts", "accepted_baseline", "drift", "volatility", "most_changed",
            "requests", "unlinked_records", "unsourced_requirements"} < set(data)


def test_status_of_a_repo_whose_first_signed_baseline_is_the_accepted_one(make_repo, run_in_process, tmp_path):
    letter = tmp_path / "approval.txt"
    letter.write_text("Approved. Ann\n", encoding="utf-8")
    repo = make_repo({"specs/REQ-1.yaml": "id: REQ-1\ntitle: One\nstatement: The system shall do one thing.\n"})
    assert run_in_process("baseline", "create", "v1", cwd=repo.root).exit_code == 0
    signed = run_in_process("baseline", "sign", "v1", "--role", "customer", "--meaning", "approved", "--signer", "Ann <ann@example.test>",
                     "--recorded", "--evidence", str(letter), cwd=repo.root)
    assert signed.exit_code == 0, signed.stderr
    repo.commit({"specs/REQ-1.yaml": "id: REQ-1\ntitle: One\nstatement: The system shall do one thing twice.\n"}, message="changed")
    data = json.loads(run_in_process("status", "--format", "json", cwd=repo.root).stdout)
    assert data["since_first_signed"]["baseline"] == "v1" and data["since_first_signed"]["unapproved_ids"] == ["REQ-1"]
    assert data["accepted_without_approval"]["count"] == 0
    text = run_in_process("status", cwd=repo.root).stdout
    assert "since first signed v1" in text and "accepted anyway" not in text


def test_the_packs_first_page_leads_with_the_same_story(demo_shared, run_in_process, tmp_path):
    out = tmp_path / "acceptance.zip"
    assert run_in_process("pack", "build", "delivery-v1.0", "-o", str(out), cwd=demo_shared).exit_code == 0
    with zipfile.ZipFile(out) as archive:
        html = archive.read("index.html").decode("utf-8")
    story = html[html.index('<div class="story"'):html.index("</div>", html.index('<div class="story"'))]
    assert html.index('<div class="story"') < html.index('<dl class="facts">')
    text = " ".join(re.sub(r"<[^>]+>", "", story).split())
    assert "Since the customer first signed contract-v1.0 (2026-02-20): 6 requirement changes, 3 covered by an approved request, 3 not." in text
    assert "Not approved: REQ-12, REQ-17, REQ-23." in text
    assert "baseline delivery-v1.0 took in 3 changes since contract-v1.0 that no approved request covers: REQ-12, REQ-17, REQ-23." in text


# --- 2. every recorded event has a full timestamp; every timeline orders by it --------

# 2026-03-01T13:00:00+08:00, between the commit that adds REQ-1 (09:00) and the one that changes it (16:00).
DECIDED_AT = "1772341200"
REQUEST = "id: RQ-1\nreceived: 2026-03-01\nfrom: Ann\ntitle: Longer window\naffects: [REQ-1]\n"


@pytest.fixture(scope="module")
def same_day_template(tmp_path_factory, build_env):
    """REQ-1 added in the morning, RQ-1 decided at noon with `decide` (a real process), REQ-1
    changed in the afternoon; built once per module."""
    repo = make_repo_in(tmp_path_factory.mktemp("same-day"))()
    repo.commit({"specs/REQ-1.yaml": "id: REQ-1\ntitle: Window\nstatement: Patients book 7 days ahead.\n", "records/requests/RQ-1.yaml": REQUEST},
                "Five requirements agreed", date="2026-03-01T09:00:00+08:00")
    decided = run_reqtrace("decide", "RQ-1", "--as", "change", "--status", "approved", "--by", "Li Wei", cwd=repo.root, env={"SOURCE_DATE_EPOCH": DECIDED_AT})
    assert decided.exit_code == 0, decided.stderr
    repo.commit({"specs/REQ-1.yaml": "id: REQ-1\ntitle: Window\nstatement: Patients book 14 days ahead.\n"}, "Window 14 days (RQ-1)", date="2026-03-01T16:00:00+08:00")
    return repo.root


@pytest.fixture
def same_day(same_day_template, tmp_path):
    # Each test works on its own copy (some write to it).
    return copy_repo(same_day_template, tmp_path / "repo")


def test_decide_and_triage_write_record_a_full_timestamp_with_offset(same_day, run_cli):
    text = (same_day.root / "records/requests/RQ-1.yaml").read_text(encoding="utf-8")
    assert '  when: "2026-03-01T05:00:00+00:00"\n' in text
    without_epoch = run_cli("decide", "RQ-1", "--as", "change", "--status", "approved", "--by", "Li Wei", "--format", "json", cwd=same_day.root,
                            env={"SOURCE_DATE_EPOCH": ""})
    stamped = json.loads(without_epoch.stdout)["decision"]["when"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", stamped), stamped
    given = run_cli("decide", "RQ-1", "--as", "change", "--status", "approved", "--by", "Li Wei", "--on", "2026-03-01T13:00:00+08:00", cwd=same_day.root)
    assert given.exit_code == 0 and '  when: "2026-03-01T13:00:00+08:00"\n' in (same_day.root / "records/requests/RQ-1.yaml").read_text(encoding="utf-8")
    bad = run_cli("decide", "RQ-1", "--as", "change", "--status", "approved", "--by", "Li Wei", "--on", "2026-03-01T25:00", cwd=same_day.root)
    assert bad.exit_code == 2 and "--on must be a date like 2026-08-20 or a time like" in bad.stderr
    assert run_cli("check", "--strict", cwd=same_day.root).exit_code == 0


def test_log_ties_a_same_day_decision_to_the_change_it_approved_not_the_creation(same_day, run_in_process):
    data = json.loads(run_in_process("log", "REQ-1", "--format", "json", cwd=same_day.root).stdout)
    assert [(e["change"], e["requests"]) for e in data["entries"]] == [("added", []), ("modified", ["RQ-1"])]
    text = run_in_process("log", "REQ-1", cwd=same_day.root).stdout
    added = text[text.index("added"):text.index("modified")]
    assert "RQ-1" not in added and "requests: RQ-1" in text[text.index("modified"):]


def test_log_reads_an_old_date_only_decision_the_same_way(make_repo, run_in_process):
    repo = make_repo()
    repo.commit({"specs/REQ-1.yaml": "id: REQ-1\ntitle: Window\nstatement: Patients book 7 days ahead.\n",
                 "records/requests/RQ-1.yaml": REQUEST + "decision:\n  as: change\n  status: approved\n  by: Li Wei\n  on: 2026-03-01\n"},
                "Five requirements agreed", date="2026-03-01T09:00:00+08:00")
    repo.commit({"specs/REQ-1.yaml": "id: REQ-1\ntitle: Window\nstatement: Patients book 14 days ahead.\n"}, "Window 14 days", date="2026-03-01T16:00:00+08:00")
    data = json.loads(run_in_process("log", "REQ-1", "--format", "json", cwd=repo.root).stdout)
    assert [(e["change"], e["requests"]) for e in data["entries"]] == [("added", []), ("modified", ["RQ-1"])]


def test_trace_puts_the_decision_between_the_commits_it_follows_and_precedes(same_day, run_in_process):
    data = json.loads(run_in_process("trace", "REQ-1", "--format", "json", cwd=same_day.root).stdout)
    story = [(e["kind"], e["relation"]) for e in data["timeline"]]
    assert story.index(("commit", "changed")) < story.index(("request", "decision")) < len(story) - 1
    changes = [e for e in data["timeline"] if e["kind"] == "commit"]
    assert changes[0]["summary"].startswith("added") and changes[1]["summary"].startswith("changed statement")
    order = [e["id"] if e["kind"] != "commit" else e["summary"].split()[0] for e in data["timeline"]]
    assert order.index("added") < order.index("RQ-1", order.index("added")) < order.index("changed")
    # The request received that day (a date alone) is shown with its day; the decision with its time.
    decision = next(e for e in data["timeline"] if e["relation"] == "decision")
    assert decision["date"] == "2026-03-01T05:00:00+00:00"


def test_the_packs_timeline_is_in_time_order_in_one_format(decided):
    with zipfile.ZipFile(decided.with_decision) as archive:  # RQ-13 decided, --to WORKTREE
        html = archive.read("index.html").decode("utf-8")
        events = json.loads(archive.read("data/timeline.json"))["events"]
    section = html[html.index('<section id="timeline"'):html.index("</section>", html.index('<section id="timeline"'))]
    shown = re.findall(r'<time datetime="([^"]*)">([^<]*)</time>', section)
    assert len(shown) == len(events) > 40
    one_format = re.compile(r"\d{4}-\d\d-\d\d( \d\d:\d\d (UTC|[+-]\d\d:\d\d))?")
    assert all(one_format.fullmatch(text) for _, text in shown), [text for _, text in shown if not one_format.fullmatch(text)]

    from reqtrace.io.clock import moment_key

    keys = [moment_key(recorded) for recorded, _ in shown]
    assert keys == sorted(keys)
    # The acceptance meeting at 10:00 +08:00 (02:00 UTC) comes before the sign-off at 09:00 UTC;
    # the decisions of the contract meeting (dated by day only) after the meeting itself.
    order = [recorded for recorded, _ in shown]
    assert order.index("2026-06-30T10:00:00+08:00") < order.index("2026-06-30T09:00:00Z")
    assert order.index("2026-02-20T14:00:00+08:00") < order.index("2026-02-20")


# --- 4. the picture: status --chart ----------------------------------------------------


def test_status_chart_follows_the_output_rule_and_keeps_text_as_text(make_repo, run_in_process, tmp_path):
    repo = make_repo({"reqtrace.yaml": 'project: "<script>alert(1)</script> & Co"\n',
                      "specs/REQ-1.yaml": "id: REQ-1\ntitle: One\nstatement: The system shall do one thing.\n",
                      "records/requests/RQ-1.yaml": 'id: RQ-1\nreceived: 2026-01-20\ntitle: "<img src=x onerror=alert(1)>"\ntriage: {classification: defect}\n'})
    refused = run_in_process("status", "--chart", str(tmp_path), cwd=repo.root)
    assert refused.exit_code == 3 and "is a folder" in refused.stderr
    page = tmp_path / "chart.html"
    made = run_in_process("status", "--chart", str(page), cwd=repo.root)
    assert made.exit_code == 0, made.stderr
    html = page.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html and "<script" not in html and "<img" not in html
    assert 'http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;' in html and "<svg" in html
    assert "2026-01: 1 defect request</title>" in html and "2026-01: 1 requirement change</title>" in html


def test_chart_model_counts_each_month_and_marks_baselines_in_their_month():
    from reqtrace.graph.status_chart import chart_model

    model = chart_model(
        [("2026-01-05T10:00:00+08:00", 2), ("2026-01-30T10:00:00+00:00", 1), ("2026-03-02T09:00:00Z", 4)],
        [("2026-02-10", "change"), ("2026-02-11", "change"), ("2026-02-12", "defect"), ("not a date", "defect")],
        [("v1", "2026-02-15T08:00:00Z"), ("v2", None)],
    )
    assert (model["first"], model["last"], model["months"]) == ("2026-01", "2026-03", 3)
    assert model["total_changes"] == 7 and model["total_requests"] == 3
    labels = [bar["label"] for bar in model["bars"]]
    assert labels == ["2026-01: 3 requirement changes", "2026-02: 1 defect request", "2026-02: 2 change requests", "2026-03: 4 requirement changes"]
    (mark,) = model["baselines"]
    slot = (model["right"] - model["left"]) / 3
    assert mark["name"] == "v1" and model["left"] + slot < mark["x"] < model["left"] + 2 * slot
    # The stacked request bars of February sit on each other, the tallest bar reaches the top grid line.
    defect, change = model["bars"][1], model["bars"][2]
    assert change["y"] + change["height"] == pytest.approx(defect["y"])
    assert chart_model([], [], []) is None
