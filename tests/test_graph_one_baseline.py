"""The graph holds baselines.baseline.Baseline itself (issue 15: one baseline type), and what
it keeps of one in the graph cache reads back to the same trace, impact and links."""

from __future__ import annotations

import json

from reqtrace.baselines.baseline import Baseline, scan_baselines
from reqtrace.graph.graph import (
    REFS,
    baseline_facts,
    baseline_of_facts,
    build_graph,
    signoff_evidence,
)
from test_graph import (
    ASK,
    REPLY,
    loaded,
    story,  # noqa: F401 - the fixture
    story_template,  # noqa: F401 - the fixture's template
)

LI_WEI = "Li Wei <li.wei@vendor.example>"


def _sign_again(story, run_cli):  # noqa: F811 - the fixture
    """A second recorded sign-off of contract-v1 (the vendor's, resting on the reply); its id."""
    signed = run_cli(
        "baseline", "sign", "contract-v1", "--signer", LI_WEI, "--meaning", "approved", "--role", "vendor",
        "--recorded", "--evidence", f"records/emails/{REPLY}.eml", "--format", "json", cwd=story.root,
    )
    assert signed.exit_code == 0, signed.stderr
    return json.loads(signed.stdout)["signoff"]


def _story_of(run_cli, root, item_id):
    """What trace and impact say of `item_id`'s baseline, and of the reply as evidence."""
    traced = run_cli("trace", item_id, "--format", "json", cwd=root)
    impact = run_cli("impact", item_id, "--format", "json", cwd=root)
    reply = run_cli("trace", REPLY, "--format", "json", cwd=root)
    assert traced.exit_code == 0 and impact.exit_code == 0 and reply.exit_code == 0, traced.stderr + impact.stderr + reply.stderr
    held = [e["summary"] for e in json.loads(traced.stdout)["timeline"] if e["relation"] == "in-baseline"]
    signers = [(s["signer"], s["meaning"]) for s in json.loads(impact.stdout)["signoffs"]]
    evidence = [e["summary"] for e in json.loads(reply.stdout)["timeline"] if e["id"] == "baseline/contract-v1"]
    return held, signers, evidence


def test_the_graph_holds_the_baseline_itself_cold_cached_and_patched(story, run_cli, run_in_process):  # noqa: F811 - the fixture
    # Real processes build the graph cold and patch it; the cached answers are read in this process
    # (the cache is a file in .git, which the process boundary does not change: test_graph_cache).
    signoff = _sign_again(story, run_cli)
    spec, snapshot, baselines = loaded(story)
    [baseline] = baselines
    [read] = scan_baselines(spec, snapshot.commit).baselines
    assert isinstance(baseline, Baseline) and baseline == read  # what `baseline list` reads
    assert [(s.meaning, signoff_evidence(s)) for s in baseline.active_signoffs] == [("accepted", ASK), ("approved", REPLY)]
    # What the graph cache keeps of it (plain data) reads back to the same graph.
    kept = baseline_of_facts(json.loads(json.dumps(baseline_facts(baseline))))
    assert baseline_facts(kept) == baseline_facts(baseline)
    assert kept.requirement_ids == read.requirement_ids == ("REQ-1", "REQ-20", "REQ-4", "REQ-9")
    fresh, from_cache = build_graph(snapshot, [baseline]), build_graph(snapshot, [kept])
    assert dict(fresh.nodes) == dict(from_cache.nodes)
    assert sorted(map(repr, fresh.edges())) == sorted(map(repr, from_cache.edges()))
    assert {target for target in fresh.succ["baseline/contract-v1"] if REFS in fresh.succ["baseline/contract-v1"][target]} == {ASK, REPLY}

    held, signers, evidence = _story_of(run_cli, story.root, "REQ-1")
    assert held == ["held by baseline contract-v1; signed: accepted by Dr. Chen <chen@clinic.example>, approved by " + LI_WEI]
    assert signers == [("Dr. Chen <chen@clinic.example>", "accepted"), (LI_WEI, "approved")]
    assert evidence == [f"evidence of the sign-off approved by {LI_WEI} of baseline contract-v1"]
    assert _story_of(run_in_process, story.root, "REQ-1") == (held, signers, evidence)  # from the graph cache
    revoked = run_cli("baseline", "revoke", "contract-v1", signoff, "--reason", "signed by mistake", cwd=story.root)
    assert revoked.exit_code == 0, revoked.stderr
    # The cached graph is patched: the baseline's sign-offs changed, so its links moved.
    after = (["held by baseline contract-v1; signed: accepted by Dr. Chen <chen@clinic.example>"], [("Dr. Chen <chen@clinic.example>", "accepted")], [])
    assert _story_of(run_cli, story.root, "REQ-1") == after
    assert _story_of(run_in_process, story.root, "REQ-1") == after
