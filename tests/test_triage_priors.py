"""The repo's own mix of requests (triage/priors.py): estimated from its request records, and the
answers re-weighed by it only when it is a real one — run as a user would, and the estimate itself."""

import json
from pathlib import Path

import pytest
import yaml

from conftest import CONFIG, SpecRepoFixture, write_files
from reqtrace.triage.model import CLASSES
from reqtrace.triage.priors import MIN_REQUESTS, PSEUDO_REQUESTS, estimate_mix

DATA = Path(__file__).parent / "data" / "triage"
# Labelled defects of the worked example's sets, each a sure defect on its own: a repo whose
# undecided requests are these holds mostly defects.
DEFECTS = ("F-001", "F-011", "F-013", "F-018", "U-040", "H-045", "H-057", "H-066", "H-069", "M-011", "M-035",
           "M-095", "M-106", "L-001", "L-002", "L-006", "L-007", "L-008", "L-009", "L-010", "L-011")
# A defect the classifier alone leaves to a person (defect 0.47, new scope 0.17 with the weights of
# 2026-12-07 23:40: thirty-six domains; U-074, used before, went to change likeliest with a
# refit). A refit may move it out of needs-review: then pick another labelled defect that is
# needs-review with defect likeliest (`reqtrace triage --all --no-priors` on a repo of them tells).
BORDERLINE = "Q-069"


def _items() -> dict[str, dict]:
    return {str(item["id"]): item for path in sorted(DATA.glob("*.yaml")) for item in yaml.safe_load(path.read_text(encoding="utf-8"))["items"]}


def _request(rid: str, text: str) -> str:
    """A request file whose title and text read as the labelled text (triage reads "title\ntext")."""
    title, _, rest = text.strip().partition("\n")
    return (f"id: {rid}\nreceived: 2026-08-01\ntitle: {json.dumps(title, ensure_ascii=False)}\ntext: |\n"
            + "".join(f"  {line}\n" for line in (rest or title).splitlines()))


@pytest.fixture(scope="module")
def repos(tmp_path_factory, build_env) -> tuple[Path, Path]:
    """Two repos on the same baseline: one whose requests are the borderline one and 21 defects, and
    one that holds the borderline request alone."""
    items = _items()
    specs = {f"specs/{p.relative_to(DATA / 'baseline').as_posix()}": p.read_text(encoding="utf-8") for p in (DATA / "baseline").rglob("*.yaml")}
    roots = []
    for name, ids in (("mostly-defects", (BORDERLINE, *DEFECTS)), ("alone", (BORDERLINE,))):
        root = tmp_path_factory.mktemp(name) / "repo"
        write_files(root, {"reqtrace.yaml": CONFIG, **specs})
        repo = SpecRepoFixture(root)
        repo.git("init", "-q")
        repo.commit(message="initial", tag="baseline/v1.0")
        repo.commit({f"records/requests/RQ-{k + 1}.yaml": _request(f"RQ-{k + 1}", items[rid]["text"]) for k, rid in enumerate(ids)}, "requests")
        roots.append(root)
    return roots[0], roots[1]


def _triage(run_in_process, root: Path, *args: str) -> dict:
    result = run_in_process("triage", "RQ-1", *args, "--baseline", "v1.0", "--no-precedent", "-f", "json", cwd=root)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_a_repo_of_mostly_defects_turns_a_borderline_answer_and_says_why(repos, run_in_process):
    mostly, _ = repos
    shifted = _triage(run_in_process, mostly)
    plain = _triage(run_in_process, mostly, "--no-priors")
    assert plain["priors"] is None
    assert plain["results"][0]["classification"] == "needs-review"
    alone = plain["results"][0]["probabilities"]["defect"]
    assert max(plain["results"][0]["probabilities"].items(), key=lambda kv: kv[1])[0] == "defect"
    priors = shifted["priors"]
    assert priors["applied"] and priors["from"] == {"requests": 22, "decisions": 0}
    assert priors["shares"]["defect"] > 0.6
    result = shifted["results"][0]
    assert result["classification"] == "defect"
    assert result["reasons"][0].startswith("this repo's mix of requests (defect ")
    assert "turns the answer to defect" in result["reasons"][0]
    assert f"without it: needs-review (most likely defect, {alone:.2f})" in result["reasons"][0]
    # The mix says what is common in the repo, not what this request is: never a sure defect by it alone.
    assert result["probabilities"]["defect"] >= 0.8 and result["confidence"] == 0.79
    assert result["reasons"][1].startswith("weighed defect at 0.79, held below 0.80 because")


def test_the_answer_does_not_depend_on_which_requests_are_named(repos, run_in_process):
    mostly, _ = repos
    result = run_in_process("triage", "--all", "--baseline", "v1.0", "--no-precedent", "-f", "json", cwd=mostly)
    alone = _triage(run_in_process, mostly)["results"][0]
    every = {r["request"]: r for r in json.loads(result.stdout)["results"]}
    assert every["RQ-1"]["classification"] == alone["classification"] and every["RQ-1"]["probabilities"] == alone["probabilities"]


def test_a_request_alone_is_answered_as_without_the_mix(repos, run_in_process):
    _, alone = repos
    shown = _triage(run_in_process, alone)
    plain = _triage(run_in_process, alone, "--no-priors")
    assert not shown["priors"]["applied"] and f"fewer than {MIN_REQUESTS}" in shown["priors"]["why"]
    assert shown["results"][0] == plain["results"][0]


def test_the_text_output_says_what_the_mix_is(repos, run_in_process):
    mostly, _ = repos
    result = run_in_process("triage", "RQ-1", "--baseline", "v1.0", "--no-precedent", cwd=mostly)
    assert result.exit_code == 0, result.stderr
    assert "this repo's mix of requests: defect 0." in result.stdout and "answers re-weighed by it" in result.stdout


def _rows(leaning: dict[str, int]) -> list[dict[str, float]]:
    """Requests the classifier leans on: `n` of each class at 0.7, the rest shared evenly."""
    return [{name: 0.7 if name == kind else 0.1 for name in CLASSES} for kind, n in leaning.items() for _ in range(n)]


def test_a_mix_is_the_fixed_point_of_the_plain_computation():
    rows = _rows({"defect": 18, "new-scope": 8, "change": 1, "out-of-scope": 3})
    mix = estimate_mix(rows, {"defect": 2})
    assert mix.applied
    shares = dict(mix.shares)
    # Each request's probabilities re-weighed by the mix, averaged with the decisions counted and one
    # pseudo-request of each class, give the mix back.
    ratio = {name: shares[name] * len(CLASSES) for name in CLASSES}
    again = {name: (2.0 if name == "defect" else 0.0) + PSEUDO_REQUESTS / len(CLASSES) for name in CLASSES}
    for row in rows:
        whole = sum(row[name] * ratio[name] for name in CLASSES)
        for name in CLASSES:
            again[name] += row[name] * ratio[name] / whole
    assert all(abs(again[name] / (len(rows) + 2 + PSEUDO_REQUESTS) - shares[name]) < 1e-5 for name in CLASSES)
    assert shares["defect"] > shares["new-scope"] > shares["out-of-scope"] > shares["change"]


def test_an_even_mix_and_a_small_batch_are_not_applied():
    assert not estimate_mix(_rows({"defect": 10, "change": 10, "new-scope": 10, "out-of-scope": 10}), {}).applied
    small = estimate_mix(_rows({"defect": MIN_REQUESTS - 1}), {})
    assert not small.applied and small.ratio() is None
    assert estimate_mix(_rows({"defect": MIN_REQUESTS}), {}).applied


def test_decisions_alone_are_the_mix_and_no_class_is_made_impossible():
    mix = estimate_mix([], {"defect": 20, "new-scope": 5})
    shares = {name: round(share * 29, 6) for name, share in mix.shares}
    assert mix.applied and shares == {"defect": 21.0, "change": 1.0, "new-scope": 6.0, "out-of-scope": 1.0}
    assert mix.as_dict()["from"] == {"requests": 0, "decisions": 25}


def test_the_kept_mix_answers_as_the_plain_computation_and_a_wrong_one_is_computed_again(repos, run_in_process, tmp_path, monkeypatch):
    """`triage RQ-ID` reads the batch's mix from the store (kind triage-mix) instead of weighing every
    other undecided request again: the answer is the plain computation's, a kept entry of the wrong
    shape is not used, and an edited request makes another batch (its mix computed anew)."""
    import shutil

    from reqtrace.core import cachestore
    from reqtrace.core.config import find_spec_repo
    from reqtrace.triage.repo import MIX_KIND, MIX_ROWS_KIND, choose_baseline, kept_mix, mix_batch

    root = tmp_path / "repo"
    shutil.copytree(repos[0], root, symlinks=True)
    plain = _triage(run_in_process, root)
    run_in_process("triage", "RQ-1", "--baseline", "v1.0", "--no-precedent", cwd=root, env={"REQTRACE_NO_CACHE": "1"})
    first = _triage(run_in_process, root)  # computes and keeps the mix
    kept_files = list((root / ".git" / "reqtrace" / MIX_KIND).glob("*.json"))
    assert len(kept_files) == 1
    assert _triage(run_in_process, root) == first == plain

    repo = find_spec_repo(root)
    place = kept_mix(repo, choose_baseline(repo, "v1.0").commit, mix_batch(repo))
    assert place is not None and place.load() is not None  # the entry the runs above kept
    cachestore.store(repo.git_top, MIX_KIND, place.content_id, {"shares": [["defect", 1.0]], "requests": 22})
    assert place.load() is None  # a sealed entry of the wrong shape is no mix
    assert place.load_rows()  # the rows the runs above kept, by the baseline's index
    cachestore.store(repo.git_top, MIX_ROWS_KIND, place.rows_id, {"x": {"defect": 2.0}})
    assert place.load_rows() == {}  # nor are rows of the wrong shape: every request is weighed again
    assert _triage(run_in_process, root) == plain

    (root / "records" / "requests" / "RQ-2.yaml").write_text(_request("RQ-2", "How do I print the weekly list?"), encoding="utf-8")
    from reqtrace.triage import repo as triage_repo

    weighed: list[str] = []
    plain_weigh = triage_repo.weigh
    with monkeypatch.context() as patch:
        patch.setattr(triage_repo, "weigh", lambda text, *args: weighed.append(text) or plain_weigh(text, *args))
        edited = _triage(run_in_process, root)
    # The other requests' probabilities are kept (triage-mix-rows): only the edited one, and RQ-1 for its answer, are weighed.
    assert len(weighed) == 2 and any("weekly list" in text for text in weighed)
    assert edited == _triage(run_in_process, root)
    assert edited["priors"] == json.loads(run_in_process("triage", "RQ-1", "--baseline", "v1.0", "--no-precedent", "-f", "json", cwd=root,
                                                          env={"REQTRACE_NO_CACHE": "1"}).stdout)["priors"]


def test_the_mix_is_read_from_the_latest_undecided_requests_only(repos, run_in_process, monkeypatch):
    """A repo of thousands of undecided requests would weigh each before its first answer: the mix
    reads the latest `MIX_LATEST` by date received (then id), and says how many it read."""
    from types import SimpleNamespace

    from reqtrace.core.model import Decision, Request
    from reqtrace.triage import repo as triage_repo

    monkeypatch.setattr(triage_repo, "MIX_LATEST", 2)
    requests = {rid: Request(rid, received, rid, f"{rid}.yaml", text=f"text of {rid}", decision=decision)
                for rid, received, decision in (("RQ-1", "2026-09-01", None), ("RQ-2", "2026-07-01", None),
                                                ("RQ-3", "2026-08-01", None), ("RQ-4", "2026-10-01", Decision("approved", as_="change")),
                                                ("RQ-10", "2026-08-01", None))}
    batch = triage_repo.mix_batch(None, SimpleNamespace(requests=requests))  # type: ignore[arg-type]
    assert [text for text, _ in batch.undecided] == ["RQ-1\ntext of RQ-1", "RQ-10\ntext of RQ-10"]
    assert dict(batch.decided)["change"] == 1

    monkeypatch.setattr(triage_repo, "MIX_LATEST", 21)
    mostly, _ = repos
    assert _triage(run_in_process, mostly)["priors"]["from"] == {"requests": 21, "decisions": 0}
