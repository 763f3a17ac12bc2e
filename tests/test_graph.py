"""The evidence graph and the commands that query it: trace, impact, graph, status."""

from __future__ import annotations

import io
import json
import shutil
import xml.etree.ElementTree as ET

import networkx as nx
import pytest

from conftest import copy_repo, make_repo_in, requirement_yaml, run_reqtrace
from reqtrace.core.config import find_spec_repo
from reqtrace.core.model import SCHEMA_VERSION
from reqtrace.core.snapshot import load_snapshot
from reqtrace.graph.graph import build_graph, build_graph_slowly, load_graph_baselines
from reqtrace.graph.status import build_status


@pytest.fixture(autouse=True)
def graph_read_by_every_command(monkeypatch):
    """Every command here reads the evidence graph (and its cache): no whole answer kept stands in for it."""
    monkeypatch.setenv("REQTRACE_NO_KEPT_ANSWERS", "1")


ASK = "MAIL-3fa2c1d0e9"
REPLY = "MAIL-aaaaaaaaaa"

STORY = {
    "specs/REQ-1.yaml": requirement_yaml("REQ-1", "Online booking", sources=[ASK], status="approved"),
    "specs/REQ-4.yaml": requirement_yaml("REQ-4", 'Booking window "14 days" <b>[draft]</b>', parents=["REQ-1"], sources=["MTG-2026-01-15"]),
    "specs/REQ-9.yaml": requirement_yaml("REQ-9", "Waiting list", parents=["REQ-4"]),
    "specs/REQ-20.yaml": requirement_yaml("REQ-20", "Reports"),
    f"records/emails/{ASK}.eml": b"Subject: Online booking\n\nPlease let patients book online.\n",
    f"records/emails/{ASK}.eml.yaml": f"id: {ASK}\nmessage_id: <ask@clinic>\ndate: '2026-01-10T09:00:00+08:00'\nfrom: Dr. Chen <chen@clinic.example>\nsubject: Online booking\nrefs: []\n",
    f"records/emails/{REPLY}.eml": b"Subject: Re: Online booking\n\nAgreed.\n",
    f"records/emails/{REPLY}.eml.yaml": f"id: {REPLY}\ndate: '2026-01-11T10:00:00+01:00'\nsubject: 'Re: Online booking'\nin_reply_to: [<ask@clinic>]\nrefs: [REQ-1]\n",
    "records/meetings/MTG-2026-01-15.md": "---\nid: MTG-2026-01-15\ndate: 2026-01-15\ntitle: Kick-off\nrefs: [REQ-1]\ndecisions:\n  - text: Booking window is 14 days.\n    refs: [REQ-4]\n---\n",
    "records/meetings/MTG-2026-06-10.md": "---\nid: MTG-2026-06-10\ndate: 2026-06-10\ntitle: Change review\ndecisions:\n  - text: Extend the window to 30 days, billed as CO-3.\n    approves: [RQ-7]\n  - text: No payment integration.\n    rejects: [RQ-5]\n---\n",
    "records/requests/RQ-7.yaml": "id: RQ-7\nreceived: 2026-06-03\nfrom: Dr. Chen\ntitle: Longer booking window\naffects: [REQ-4]\ndecision:\n  status: approved\n  as: change\n  by: Li Wei\n  on: 2026-06-10\n  in: MTG-2026-06-10\n",
    "records/requests/RQ-8.yaml": "id: RQ-8\nreceived: 2026-07-01\nfrom: Dr.  Chen\ntitle: Waiting list by SMS\naffects: [REQ-9]\ntriage:\n  classification: new-scope\n",
    "records/requests/RQ-5.yaml": "id: RQ-5\nreceived: 2026-06-01\nfrom: Nurse Wang\ntitle: Pay online\nrefs: [REQ-20]\n",
    "records/requests/RQ-30.yaml": "id: RQ-30\nreceived: 2026-08-01\ntitle: Unrelated question\n",
}


@pytest.fixture(scope="module")
def story_template(tmp_path_factory, build_env):
    """The story's repo, built once per module (a commit and two real `reqtrace baseline` runs)."""
    repo = make_repo_in(tmp_path_factory.mktemp("story"))(STORY)
    # A real baseline, frozen on 1 February 2026 and accepted by the clinic; the
    # director's email (already on record) is the evidence of her sign-off.
    at = {"SOURCE_DATE_EPOCH": "1769947200"}
    created = run_reqtrace("baseline", "create", "contract-v1", "-m", "Contract scope", cwd=repo.root, env=at)
    assert created.exit_code == 0, created.stderr
    signed = run_reqtrace(
        "baseline", "sign", "contract-v1", "--signer", "Dr. Chen <chen@clinic.example>", "--meaning", "accepted",
        "--role", "customer", "--recorded", "--evidence", f"records/emails/{ASK}.eml", cwd=repo.root, env=at,
    )
    assert signed.exit_code == 0, signed.stderr
    return repo.root


@pytest.fixture
def story(story_template, tmp_path):
    # Each test gets its own copy (tests edit it and write caches): ~0.1 s instead of ~1 s of CPU.
    return copy_repo(story_template, tmp_path / "repo")


def loaded(repo):
    spec = find_spec_repo(repo.root)
    snapshot = load_snapshot(spec)
    return spec, snapshot, load_graph_baselines(spec, snapshot)


def test_graph_has_every_node_and_typed_edge(story):
    _, snapshot, baselines = loaded(story)
    graph = build_graph(snapshot, baselines).to_networkx()
    kinds = {node: attrs["kind"] for node, attrs in graph.nodes(data=True)}
    assert kinds["baseline/contract-v1"] == "baseline" and kinds[ASK] == "email" and kinds["RQ-7"] == "request"
    edges = {(u, v, k) for u, v, k in graph.edges(keys=True)}
    assert ("REQ-4", "REQ-1", "parent") in edges
    assert ("REQ-1", ASK, "source") in edges
    assert ("MTG-2026-01-15", "REQ-4", "refs") in edges
    assert ("RQ-7", "REQ-4", "affects") in edges
    assert ("MTG-2026-06-10", "RQ-7", "decides") in edges
    assert graph.edges["MTG-2026-06-10", "RQ-7", "decides"]["decision"] == "approved"
    assert graph.edges["MTG-2026-06-10", "RQ-5", "decides"]["decision"] == "rejected"
    assert (REPLY, ASK, "thread") in edges  # resolved from In-Reply-To
    assert ("REQ-9", "baseline/contract-v1", "in-baseline") in edges


def test_fast_build_equals_networkx_public_api(story):
    _, snapshot, baselines = loaded(story)
    fast, slow = build_graph(snapshot, baselines).to_networkx(), build_graph_slowly(snapshot, baselines)
    assert nx.utils.graphs_equal(fast, slow)
    assert sorted(map(str, fast.edges(keys=True, data=True))) == sorted(map(str, slow.edges(keys=True, data=True)))


def test_baseline_tags_without_a_manifest_become_nodes(make_repo):
    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1")}, tag="baseline/v0.9")
    repo.commit({"specs/REQ-2.yaml": requirement_yaml("REQ-2")})
    _, snapshot, baselines = loaded(repo)
    assert [(b.name, b.requirement_ids) for b in baselines] == [("v0.9", ("REQ-1",))]


def test_trace_tells_the_story_of_a_requirement(story, run_cli):
    result = run_cli("trace", "REQ-4", "--format", "json", cwd=story.root)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= {"schema_version", "id", "kind", "timeline", "upstream", "downstream"}
    assert data["schema_version"] == SCHEMA_VERSION and data["id"] == "REQ-4" and data["kind"] == "requirement"
    assert data["upstream"] == ["REQ-1"] and data["downstream"] == ["REQ-9"]
    for entry in data["timeline"]:
        assert list(entry) == ["date", "id", "kind", "relation", "summary"]
    (created,) = [e for e in data["timeline"] if e["relation"] == "changed"]  # from its log
    assert (created["date"], created["kind"], created["summary"]) == ("2026-01-15T10:00:00+00:00", "commit", "added by Test Author — initial")
    story_rows = [(e["date"], e["id"], e["relation"]) for e in data["timeline"] if e["relation"] != "changed"]
    assert story_rows == [
        ("2026-01-15", "MTG-2026-01-15", "came-from"),
        ("2026-01-15", "MTG-2026-01-15", "mentioned-in"),
        ("2026-02-01T12:00:00Z", "baseline/contract-v1", "in-baseline"),
        ("2026-06-03", "RQ-7", "affected-by"),
        ("2026-06-10", "MTG-2026-06-10", "decision"),
    ]
    summaries = {e["relation"]: e["summary"] for e in data["timeline"]}
    assert summaries["affected-by"] == "Longer booking window — approved as change by Li Wei on 2026-06-10 in MTG-2026-06-10"
    assert summaries["decision"] == "approved RQ-7: Extend the window to 30 days, billed as CO-3."
    assert summaries["mentioned-in"] == "decision: Booking window is 14 days."
    assert "accepted by Dr. Chen" in summaries["in-baseline"]


def test_trace_of_the_root_shows_the_email_that_asked(story, run_in_process):
    data = json.loads(run_in_process("trace", "REQ-1", "--format", "json", cwd=story.root).stdout)
    first = data["timeline"][0]
    assert (first["id"], first["kind"], first["relation"], first["summary"]) == (ASK, "email", "came-from", "Online booking")
    assert data["downstream"] == ["REQ-4", "REQ-9"]


def test_trace_of_a_record_and_its_text(story, run_in_process):
    data = json.loads(run_in_process("trace", "RQ-7", "--format", "json", cwd=story.root).stdout)
    assert [(e["id"], e["relation"]) for e in data["timeline"]] == [("RQ-7", "received"), ("REQ-4", "affects"), ("MTG-2026-06-10", "decided-in")]
    assert data["upstream"] == ["REQ-4"]
    email = json.loads(run_in_process("trace", ASK, "--format", "json", cwd=story.root).stdout)
    assert email["downstream"] == ["REQ-1", "REQ-4", "REQ-9"]
    assert (REPLY, "replied-by") in {(e["id"], e["relation"]) for e in email["timeline"]}
    text = run_in_process("trace", "REQ-4", cwd=story.root)
    assert text.exit_code == 0
    assert 'Booking window "14 days" <b>[draft]</b>' in text.stdout  # rich markup escaped
    assert "affected-by" in text.stdout


def test_trace_of_an_unknown_id(story, run_in_process):
    result = run_in_process("trace", "REQ-404", cwd=story.root)
    assert result.exit_code == 3
    assert "no item with id 'REQ-404'" in result.stderr
    result = run_in_process("trace", "REQ-404", "--format", "json", cwd=story.root)
    assert json.loads(result.stdout)["error"]["code"] == "bad-input"


def test_trace_at_an_old_revision(story, run_in_process):
    first = story.git("rev-parse", "HEAD")
    story.commit({"records/requests/RQ-40.yaml": "id: RQ-40\nreceived: 2026-09-01\ntitle: Later ask\naffects: [REQ-4]\n"})
    now = json.loads(run_in_process("trace", "REQ-4", "--format", "json", cwd=story.root).stdout)
    then = json.loads(run_in_process("trace", "REQ-4", "--rev", first, "--format", "json", cwd=story.root).stdout)
    assert "RQ-40" in {e["id"] for e in now["timeline"]}
    assert "RQ-40" not in {e["id"] for e in then["timeline"]}


def test_impact_counts_first_then_lists(story, run_in_process):
    data = json.loads(run_in_process("impact", "REQ-4", "--format", "json", cwd=story.root).stdout)
    assert data["counts"] == {"descendants": 1, "open_requests": 1, "baselines": 1, "signoffs": 1}
    assert [d["id"] for d in data["descendants"]] == ["REQ-9"]
    assert [(r["id"], r["about"]) for r in data["open_requests"]] == [("RQ-8", ["REQ-9"])]
    assert data["baselines"][0]["holds"] == ["REQ-4", "REQ-9"]
    assert data["signoffs"][0]["meaning"] == "accepted" and data["signoffs"][0]["role"] == "customer"
    text = run_in_process("impact", "REQ-4", cwd=story.root).stdout
    assert text.splitlines()[1].strip().startswith("1 descendant requirement(s), 1 open request(s), 1 baseline(s) and 1 sign-off(s)")


def test_impact_of_a_leaf_is_zero_not_an_error(story, run_in_process):
    result = run_in_process("impact", "REQ-20", "--format", "json", cwd=story.root)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["counts"] == {"descendants": 0, "open_requests": 1, "baselines": 1, "signoffs": 1}


def test_impact_of_a_record_is_a_usage_error(story, run_in_process):
    result = run_in_process("impact", "RQ-7", cwd=story.root)
    assert result.exit_code == 2
    assert "RQ-7 is a request; impact is about requirements" in result.stderr


# --- export ----------------------------------------------------------------------------


def test_graph_json_and_graphml_and_focus(story, run_cli, run_in_process, tmp_path):
    data = json.loads(run_cli("graph", "--format", "json", cwd=story.root).stdout)
    assert data["schema_version"] == SCHEMA_VERSION
    assert {n["id"] for n in data["nodes"]} >= {"REQ-1", ASK, "baseline/contract-v1"}
    assert {"source": "RQ-7", "target": "REQ-4", "type": "affects"} in data["edges"]
    out = tmp_path / "graph.graphml"
    result = run_in_process("graph", "--format", "graphml", "-o", str(out), cwd=story.root)
    assert result.exit_code == 0, result.stderr
    read = nx.read_graphml(out, force_multigraph=True)
    assert read.nodes["REQ-4"]["title"] == 'Booking window "14 days" <b>[draft]</b>'
    focused = json.loads(run_in_process("graph", "--format", "json", "--focus", "REQ-9", "--depth", "1", cwd=story.root).stdout)
    assert sorted(n["id"] for n in focused["nodes"]) == ["REQ-4", "REQ-9", "RQ-8", "baseline/contract-v1"]


def test_dot_and_mermaid_escape_labels(story, run_in_process):
    dot = run_in_process("graph", "--format", "dot", cwd=story.root).stdout
    assert '"REQ-4" [label="REQ-4\\nBooking window \\"14 days\\" <b>[draft]</b>"' in dot
    assert '"MTG-2026-06-10" -> "RQ-7" [label="decides: approved"];' in dot
    mermaid = run_in_process("graph", "--format", "mermaid", cwd=story.root).stdout
    assert mermaid.startswith("flowchart LR\n")
    line = next(line for line in mermaid.splitlines() if "REQ-4:" in line)
    assert "Booking window #quot;14 days#quot; #lt;b#gt;#91;draft#93;#lt;/b#gt;" in line
    assert '"' not in line.split('["', 1)[1].rsplit('"]', 1)[0]


def test_dot_to_svg_without_graphviz_writes_the_dot_text(story, run_cli, tmp_path):
    # A PATH with git but without Graphviz.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "git").symlink_to(shutil.which("git"))
    out = tmp_path / "graph.svg"
    result = run_cli("graph", "-o", str(out), cwd=story.root, env={"PATH": str(bin_dir)})
    assert result.exit_code == 0, result.stderr
    assert "Graphviz (dot) is not installed" in result.stderr
    assert (tmp_path / "graph.dot").read_text("utf-8").startswith("digraph reqtrace {")
    assert not out.exists()


def test_graphml_survives_control_characters():
    from reqtrace.graph.formats import to_graphml
    from reqtrace.graph.graph import EvidenceGraph

    graph = EvidenceGraph()
    graph.add_node("REQ-1", kind="requirement", title="bell\x07 and nul\x00", status=None)
    ET.parse(io.BytesIO(to_graphml(graph)))  # noqa: S314 - our own output; checks it is well-formed XML


# --- status ----------------------------------------------------------------------------


def test_status_of_the_story(story, run_cli, run_in_process):
    result = run_cli("status", "--format", "json", cwd=story.root)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    accepted = data["accepted_baseline"]
    assert (accepted["name"], accepted["delivery_date"], accepted["requirement_count"]) == ("contract-v1", "2026-02-01", 4)
    assert data["drift"] == {"added": 0, "modified": 0, "removed": 0, "approved": 0, "unapproved": 0}
    assert data["counts"] == {"requirements": 4, "requests": 4, "meetings": 2, "emails": 2, "documents": 0}
    assert data["requests"]["by_state"] == {"open": 3, "approved": 1}
    assert data["requests"]["by_classification"] == {"unclassified": 2, "change": 1, "new-scope": 1}
    assert data["requests"]["by_requester"][0] == {"from": "Dr. Chen", "requests": 2, "open": 1, "approved": 1, "rejected": 0, "written_as": ["Dr. Chen"]}
    assert [r["id"] for r in data["unlinked_records"]] == ["RQ-30"]
    assert [r["id"] for r in data["unsourced_requirements"]] == ["REQ-9", "REQ-20"]
    # Changes after the baseline: one unapproved edit (twice), one new requirement.
    story.commit({"specs/REQ-9.yaml": requirement_yaml("REQ-9", "Waiting list", "Patients join a waiting list.", parents=["REQ-4"])})
    story.commit({"specs/REQ-9.yaml": requirement_yaml("REQ-9", "Waiting list", "Patients join a waiting list by SMS.", parents=["REQ-4"]), "specs/REQ-30.yaml": requirement_yaml("REQ-30", "Export")})
    data = json.loads(run_in_process("status", "--format", "json", cwd=story.root).stdout)
    assert data["drift"] == {"added": 1, "modified": 1, "removed": 0, "approved": 0, "unapproved": 2}
    assert data["volatility"] == {"changes": 2, "baseline_size": 4, "index": 0.5}
    assert [(row["id"], row["changes"]) for row in data["most_changed"]] == [("REQ-9", 2), ("REQ-30", 1)]
    text = run_in_process("status", cwd=story.root).stdout
    assert "contract-v1" in text and "2 unapproved" in text and "RQ-30" in text


def test_status_without_an_accepted_baseline(make_repo, run_in_process):
    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1")})
    data = json.loads(run_in_process("status", "--format", "json", cwd=repo.root).stdout)
    assert data["accepted_baseline"] is None and data["drift"] is None and data["volatility"] is None
    assert "no accepted baseline yet" in run_in_process("status", cwd=repo.root).stdout


def test_status_with_baseline_and_drift_data(story):
    _, snapshot, _ = loaded(story)
    accepted = {"name": "contract-v1", "created": "2026-02-01", "delivery_date": "2026-05-30", "requirement_count": 20}
    drift = {"added": ["REQ-20"], "modified": ["REQ-4", "REQ-9"], "removed": [], "approved": ["REQ-4"], "unapproved": ["REQ-9", "REQ-20"], "changes_by_requirement": {"REQ-4": 3, "REQ-9": 1, "REQ-20": 1}}
    data = build_status(snapshot, accepted, drift)
    assert data["drift"] == {"added": 1, "modified": 2, "removed": 0, "approved": 1, "unapproved": 2}
    assert data["volatility"] == {"changes": 3, "baseline_size": 20, "index": 0.15}
    assert [row["id"] for row in data["most_changed"]] == ["REQ-4", "REQ-9", "REQ-20"]


# --- the graph cache ---------------------------------------------------------------------


def cache_files(repo):
    return sorted((repo.root / ".git" / "reqtrace" / "graph").glob("*.bin"))


def test_cached_graph_gives_the_same_answers_and_follows_edits(story, run_cli, run_in_process, monkeypatch):
    monkeypatch.setenv("REQTRACE_NO_SCOPED", "1")  # trace builds the whole graph, and keeps it
    first = run_cli("trace", "REQ-4", "--format", "json", cwd=story.root)
    assert cache_files(story), "the first run leaves a cache"
    again = run_cli("trace", "REQ-4", "--format", "json", cwd=story.root)
    fresh = run_cli("trace", "REQ-4", "--format", "json", cwd=story.root, env={"REQTRACE_NO_CACHE": "1"})
    assert first.stdout == again.stdout == fresh.stdout
    # An uncommitted new request, then an edited one: each shows at once (the cache the real
    # processes above kept, read in this process: it is a file in .git either way).
    story.write({"records/requests/RQ-41.yaml": "id: RQ-41\nreceived: 2026-09-02\ntitle: Uncommitted ask\naffects: [REQ-4]\n"})
    assert "RQ-41" in run_in_process("trace", "REQ-4", cwd=story.root).stdout
    story.write({"records/requests/RQ-41.yaml": "id: RQ-41\nreceived: 2026-09-02\ntitle: Renamed ask\naffects: [REQ-4]\n"})
    assert "Renamed ask" in run_in_process("trace", "REQ-4", cwd=story.root).stdout
    story.write({"records/requests/RQ-41.yaml": None})
    assert "RQ-41" not in run_in_process("trace", "REQ-4", cwd=story.root).stdout


def test_a_new_baseline_tag_is_seen_through_the_cache(make_repo, run_cli):
    repo = make_repo({"specs/REQ-1.yaml": requirement_yaml("REQ-1")})
    assert "baseline/" not in run_cli("trace", "REQ-1", cwd=repo.root).stdout
    repo.git("tag", "baseline/v1")
    assert "held by baseline v1" in run_cli("trace", "REQ-1", cwd=repo.root).stdout


def test_a_planted_or_damaged_cache_is_ignored(story, run_cli, tmp_path, monkeypatch):
    import pickle

    monkeypatch.setenv("REQTRACE_NO_SCOPED", "1")  # trace builds the whole graph, and keeps it

    expected = run_cli("trace", "REQ-4", "--format", "json", cwd=story.root).stdout
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    assert cache_files(story)
    for file in cache_files(story):
        file.write_bytes(pickle.dumps({"format": 1, "key": "x", "evil": Evil()}))
    assert run_cli("trace", "REQ-4", "--format", "json", cwd=story.root).stdout == expected
    assert not marker.exists()
    for file in cache_files(story):
        file.write_bytes(b"\x80\x05garbage")
    assert run_cli("trace", "REQ-4", "--format", "json", cwd=story.root).stdout == expected
