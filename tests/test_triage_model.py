"""The learned layer of triage: shipped weights, calibrated confidence, the costly-mistake guard."""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from bench_triage import DATA, evaluate, load_baseline, load_items  # noqa: E402
from train_triage import (  # noqa: E402
    CHECK_TOLERANCE,
    NEVER_READ,
    final_model,
    fingerprint,
    load_examples,
    model_difference,
)

from reqtrace import triage_model  # noqa: E402
from reqtrace.triage import BaselineIndex, classify_request, weigh_request  # noqa: E402


@pytest.fixture(scope="module")
def index():
    return BaselineIndex.build(load_baseline())


def test_the_shipped_weights_were_trained_on_the_current_data_and_feature_code():
    # Changing a labelled set, the rules, the lexicon or the features without retraining
    # would ship a model that reads evidence it was not trained on.
    shipped = triage_model.shipped_model()
    assert shipped["trained"]["fingerprint"] == fingerprint(), "run: python bench/train_triage.py"
    assert shipped["trained"]["script"] == "bench/train_triage.py"
    for held_out in NEVER_READ:  # round 5's held-out sets, measured once after the last training
        assert held_out not in json.dumps(shipped["trained"])


# slow: retrains the classifier from the labelled sets
@pytest.mark.slow
def test_the_shipped_weights_are_what_the_training_script_makes():
    # Retrain with the shipped choice (about 20 s): weights edited by hand, or a script that no
    # longer converges to what was shipped, fail here.
    shipped = triage_model.shipped_model()
    retrained = final_model(load_examples(), shipped["trained"]["choice"])
    assert model_difference(retrained, shipped) <= CHECK_TOLERANCE
    tampered = json.loads(json.dumps(shipped))
    tampered["bias"][0] += 0.01
    assert model_difference(retrained, tampered) > CHECK_TOLERANCE


def test_the_shipped_weights_are_small_and_deterministic_json():
    path = ROOT / "src" / "reqtrace" / "triage_weights.json"
    assert path.stat().st_size < 700_000  # read once per process; one request still takes 0.26 s
    model = json.loads(path.read_text(encoding="utf-8"))
    assert model["classes"] == list(triage_model.CLASSES)
    assert 0.0 < model["threshold"] < 1.0 and model["temperature"] > 0
    assert not any(name.startswith("guard:") for name in model["features"])


def test_confidence_is_the_models_probability_and_reasons_say_what_decided(index):
    result = classify_request("Please let patients book 30 days ahead instead of 14.", index=index)
    assert result.classification == "change"
    assert result.reasons[0].startswith("weighed change at ")
    assert f"{result.confidence:.2f}" in result.reasons[0]
    assert "asks for 30 days; REQ-3 says 14 days" in result.reasons
    assert any(r.startswith("the rules alone say ") for r in result.reasons)


def test_a_request_the_model_is_unsure_of_goes_to_a_person(index):
    rules, features = weigh_request("Please let patients book 30 days ahead instead of 14.", index=index)
    unsure = {**triage_model.shipped_model(), "threshold": 0.999}
    result = triage_model.decide_with_model(rules, features, unsure)
    assert result.classification == "needs-review" and not result.diverges
    assert result.reasons[0].startswith("not sure enough to classify: most likely change")


def test_the_rules_alone_are_still_available(index):
    result = classify_request("Please let patients book 30 days ahead instead of 14.", index=index, learned=False)
    assert result.classification == "change"
    assert not any(r.startswith("weighed ") for r in result.reasons)


def test_a_wish_that_mentions_a_failure_word_is_never_a_sure_defect(index):
    # fresh2's G-049 in other words: "can't" and "still" tell no failure of the booking rules.
    text = ("Patients keep asking why they can't see on their phone how many people are still ahead of them "
            "after check-in. They would rather wait in the cafe next door. The hospital down the road has this.")
    result = classify_request(text, index=index)
    assert not (result.classification == "defect" and result.confidence >= 0.8)


# slow: classifies every request of every stored labelled set
@pytest.mark.slow
def test_no_stored_set_has_the_costly_mistake(index):
    # Paid work (change, new-scope) called a defect with confidence >= 0.8: never, on any stored set.
    for name in ("labelled.yaml", "fresh.yaml", "probe.yaml", *(f"fresh{n}.yaml" for n in range(2, 12))):
        report = evaluate(load_items(DATA / name), index)
        assert report["costly"] == [], name


def test_evidence_is_named_in_words_a_person_reads() -> None:
    from reqtrace.triage_model import readable

    assert readable("term:k:officeapp") == "talk of office software"
    assert readable("term:w:sms") == 'the word "sms"'
    assert "officeapp" not in readable("term:k:officeapp")
