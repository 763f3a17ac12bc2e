"""The pack's computed triage is what `reqtrace triage RQ-ID --baseline NAME` answers at the pack's
revision (RT-269): the same class, confidence, reasons, precedents and mix of requests, the CLI
computed the plain way (REQTRACE_NO_CACHE: nothing kept read). And a kept recommendation is keyed
by what the answer depends on (RT-270): an edited decision changes the next pack's answer."""

from __future__ import annotations

import gc
import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import copy_demo
from reqtrace.core.config import find_spec_repo
from reqtrace.pack import build as pack_build

BASELINE = "delivery-v1.0"
# Reports of failure, received after delivery: enough of them (with the demo's own requests and
# decisions) that the repo's mix of requests is not an even one and re-weighs the answers.
FAILURES = (
    "The reminder SMS was not sent for booking {n}; the log shows error 500.",
    "Booking {n} crashed with an exception when the receptionist saved it.",
    "Since the update, appointment {n} shows the wrong time and cannot be cancelled, it fails with an error.",
    "The schedule page is broken; booking {n} disappeared after saving, a bug.",
)


def commit(root: Path, message: str) -> None:
    subprocess.run(["git", "add", "-A"], cwd=root, check=True, capture_output=True)
    subprocess.run(["git", "commit", "-qm", message], cwd=root, check=True, capture_output=True)


def build(root: Path, out: Path) -> dict[str, dict]:
    """The pack's computed recommendations, by request id, from its requests.json."""
    pack_build.build_pack(find_spec_repo(start=root), BASELINE, out, to_rev="HEAD")
    gc.enable()
    gc.unfreeze()
    with zipfile.ZipFile(out) as archive:
        rows = json.loads(archive.read("data/records/requests.json"))["items"]
    return {row["id"]: row["computed_triage"] for row in rows if "computed_triage" in row}


def cli_triage(run_in_process, root: Path, *ids: str) -> dict:
    result = run_in_process("triage", *ids, "--baseline", BASELINE, "-f", "json", cwd=root, env={"REQTRACE_NO_CACHE": "1"})
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def assert_same_answers(pack: dict[str, dict], cli: dict) -> None:
    assert pack and set(pack) == {result["request"] for result in cli["results"]}
    for result in cli["results"]:
        computed = pack[result["request"]]
        for key in ("classification", "diverges", "confidence", "reasons", "precedents"):
            assert computed[key] == result[key], (result["request"], key)
        assert computed["matches"] == [match["id"] for match in result["matches"]][: len(computed["matches"])]
        assert computed["priors"] == cli["priors"]


@pytest.fixture
def demo(demo_build, tmp_path):
    return copy_demo(demo_build, tmp_path / "demo")


def test_the_packs_triage_is_the_commands_with_precedent_and_the_mix(demo, tmp_path, run_in_process):
    for i in range(24):
        text = FAILURES[i % len(FAILURES)].format(n=40 + i)
        (demo / "records" / "requests" / f"RQ-{40 + i}.yaml").write_text(
            f"id: RQ-{40 + i}\nreceived: 2026-08-{1 + i % 28:02d}\nfrom: Front desk\nchannel: email\ntitle: Problem with booking {40 + i}\ntext: {text}\n"
            + ("decision:\n  status: pending\n" if i == 0 else ""), encoding="utf-8")  # a pending decision is no decision yet
    commit(demo, "reports after delivery")
    pack = build(demo, tmp_path / "pack.zip")
    cli = cli_triage(run_in_process, demo, *sorted(pack))
    assert "RQ-40" in pack  # its decision is pending: `triage --all` triages it, so the pack does
    assert cli["priors"]["applied"]  # the mix re-weighs these answers: the pack must apply it too
    assert_same_answers(pack, cli)
    assert any(result["precedents"] for result in cli["results"])  # and cites the demo's decisions
    with zipfile.ZipFile(tmp_path / "pack.zip") as archive:
        html = archive.read("index.html").decode()
    assert "mix of requests: defect 0." in html and "answers re-weighed by it" in html
    assert 'like <span class="nowrap">RQ-6</span>, decided change, approved by Li Wei' in html


def test_an_edited_decision_changes_the_next_packs_answer(demo, tmp_path, run_in_process):
    before = build(demo, tmp_path / "first.zip")
    assert [cited["classification"] for cited in before["RQ-12"]["precedents"] if cited["request"] == "RQ-6"] == ["change"]
    decided = demo / "records" / "requests" / "RQ-6.yaml"
    decided.write_text(decided.read_text(encoding="utf-8").replace("  as: change\n", "  as: new-scope\n"), encoding="utf-8")
    commit(demo, "RQ-6 decided again")
    after = build(demo, tmp_path / "second.zip")
    assert after["RQ-12"] != before["RQ-12"]
    assert [cited["classification"] for cited in after["RQ-12"]["precedents"] if cited["request"] == "RQ-6"] == ["new-scope"]
    assert_same_answers(after, cli_triage(run_in_process, demo, *sorted(after)))
