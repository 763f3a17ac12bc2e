"""The learned layer: shipped weights, reproducible training, no costly mistake on the training
domains, calibrated confidence, the guard."""

import itertools
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from train_triage import (  # noqa: E402
    CHECK_TOLERANCE,
    WEIGHTS,
    WORD_L2_POWER,
    _sample_weights,
    fingerprint,
    fit_regression,
    in_sample_sound,
    load_examples,
    model_difference,
    model_features,
)
from triage_data import invented_domains, real_sources  # noqa: E402

from reqtrace.triage import BaselineIndex, classify_request, decide, weigh  # noqa: E402
from reqtrace.triage import model as triage_model  # noqa: E402
from reqtrace.triage.model import CLASSES  # noqa: E402


def test_the_shipped_weights_were_trained_on_the_current_data_and_feature_code():
    # A changed labelled set, cue list or feature without a retrain would ship a model
    # that reads evidence it was not trained on.
    shipped = triage_model.shipped_model()
    assert shipped["trained"]["fingerprint"] == fingerprint(), "run: python bench/train_triage.py"
    assert shipped["trained"]["script"] == "bench/train_triage.py"
    assert len(shipped["trained"]["domains"]) >= 10


def test_every_real_source_is_a_training_domain_of_its_own():
    # Each real source is one domain: fitted on like the others, and measured by a model
    # fitted without it (leave-one-source-out), so a name shared with an invented domain
    # would merge two folds.
    shipped = triage_model.shipped_model()
    sources = real_sources()
    assert len(sources) >= 10
    assert {s.name for s in sources} <= set(shipped["trained"]["domains"])
    assert not {d.name for d in invented_domains()} & {s.name for s in sources}


def test_the_refit_that_proves_the_shipped_weights_runs_in_ci():
    # Refitting on every domain (~8 s of CPU on top of weighing every request) runs in CI, outside
    # the test suite: `train_triage.py --check` fails unless the shipped weights are, within
    # CHECK_TOLERANCE, what the script makes from the current data and code, and the recorded
    # fingerprint matches. A refit on fewer domains would be another model: it could not tell.
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "\n.venv/bin/python bench/train_triage.py --check\n" in ci
    # what --check compares by: a bias or a weight edited by hand is more than the tolerance
    shipped = triage_model.shipped_model()
    assert model_difference(shipped, json.loads(json.dumps(shipped))) == 0.0
    tampered = json.loads(json.dumps(shipped))
    tampered["bias"][0] += 0.01
    assert model_difference(shipped, tampered) > CHECK_TOLERANCE
    tampered = json.loads(json.dumps(shipped))
    tampered["features"][min(tampered["features"])][2][0] += 0.01
    assert model_difference(shipped, tampered) > CHECK_TOLERANCE


def test_the_check_in_ci_holds_the_shipped_model_to_no_costly_mistake_in_sample():
    # `train_triage.py --check` (in CI, where every request is weighed already) classifies every
    # request the model was fitted on: a costly mistake or too many abstentions fail it. Here on
    # one domain, with the shipped model and with one too flat to decide anything.
    examples = load_examples([min(invented_domains(), key=lambda d: len(d.items))])
    shipped = triage_model.shipped_model()
    sound, line = in_sample_sound(examples, shipped)
    assert sound, line
    assert line.startswith("in sample: 0 costly mistake(s), ")
    flat = {**shipped, "temperature": shipped["temperature"] * 1000}
    sound, line = in_sample_sound(examples, flat)
    assert not sound
    assert line.endswith("100.0% abstained (limit 15%)")


def test_the_shipped_weights_are_small_json_with_no_word_of_one_domain_only():
    model = json.loads(WEIGHTS.read_text(encoding="utf-8"))
    assert WEIGHTS.stat().st_size < 400_000
    assert model["classes"] == list(CLASSES)
    assert 0.0 < model["threshold"] < 1.0 and model["temperature"] > 0
    # words are kept only when they occur in requests of several training domains
    k = model["trained"]["choice"]["words_k"]
    assert k >= 3
    words = [name for name in model["features"] if name.startswith("t:")]
    assert words and not any(w in ("t:w:patient", "t:z:病人", "t:z:医生", "t:w:doctor") for w in words)


@pytest.fixture(scope="module")
def shop():
    from reqtrace.core.model import Requirement

    return BaselineIndex.build([
        Requirement(id="REQ-1", title="Free delivery", statement="Delivery is free when the basket total is £40.00 or more.", path="a.yaml"),
        Requirement(id="REQ-3", title="Basket kept", statement="A signed-in customer's basket is kept for 30 days.", path="c.yaml"),
    ])


def test_confidence_is_the_calibrated_probability_of_the_class(shop):
    result = classify_request("Please keep the basket for 60 days instead of 30.", index=shop)
    probabilities = dict(result.probabilities)
    assert result.classification == max(probabilities, key=probabilities.get)
    assert abs(result.confidence - probabilities[result.classification]) < 1e-3


def test_a_request_the_model_is_unsure_of_goes_to_a_person(shop):
    weighed = weigh("Please keep the basket for 60 days instead of 30.", shop)
    unsure = {**triage_model.shipped_model(), "threshold": 0.999}
    result = decide(weighed, shop, model=unsure)
    assert result.classification == "needs-review" and not result.diverges
    assert result.reasons[0].startswith("not sure enough to classify: most likely ")
    assert "below 1.00 a person decides" in result.reasons[0]


def test_a_sure_defect_is_capped_while_the_request_also_asks_for_more(shop):
    weighed = weigh("The basket was emptied after 7 days. Could you also add a wish list?", shop)
    certain = {**triage_model.shipped_model(), "bias": [50.0, 0.0, 0.0, 0.0]}  # the model would say defect at 1.0
    result = decide(weighed, shop, model=certain)
    assert result.classification == "defect" and result.confidence < 0.8
    assert "paid work must not pass as a defect" in result.reasons[0]
    assert 'the request also asks for something ("also", "add", "could you")' in result.reasons[0]


def _toy_examples() -> list[dict]:
    """Eight domains of eight requests, two a class; signals that half tell the class, a word of
    defects heard in four domains, one of out-of-scope requests in six and one of changes in all eight."""
    examples = []
    for d, k, twice in itertools.product(range(8), range(4), range(2)):
        label = CLASSES[k]
        features = {"report": 1.0 if k == 0 else 0.2 * ((d + k + twice) % 3), "ask": 0.5 if k else 0.0}
        if label == "defect" and d < 4:
            features["t:w:few"] = 1.0
        if label == "out-of-scope" and d < 6:
            features["t:w:some"] = 1.0
        if label == "change":
            features["t:w:many"] = 1.0
        examples.append({"id": f"{d}-{k}-{twice}", "domain": f"d{d}", "label": label, "features": features})
    return examples


def test_the_regressions_sparse_products_give_the_fit_of_the_standardised_matrix():
    # fit_regression multiplies the sparse raw features and subtracts the centre; the plain computation
    # standardises a dense matrix. Both minimise the same loss: the same weights.
    import numpy as np
    from scipy.optimize import minimize

    examples = _toy_examples()
    fitted = fit_regression(examples, 10.0, 4)
    names = model_features(examples, 4)
    raw = np.array([[e["features"].get(n, 0.0) for n in names] for e in examples])
    scales = raw.std(axis=0)
    scales[scales <= 1e-6] = 1.0
    standard = (raw - raw.mean(axis=0)) / scales
    onehot = np.eye(len(CLASSES))[[CLASSES.index(e["label"]) for e in examples]]
    weights, penalty, d = np.array(_sample_weights(examples)), 10.0 / len(examples), len(names)

    def objective(flat):
        w, b = flat[: d * 4].reshape(d, 4), flat[d * 4 :]
        z = standard @ w + b
        log_p = z - z.max(axis=1, keepdims=True)
        log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
        delta = weights[:, None] * (np.exp(log_p) - onehot)
        loss = -(weights * (onehot * log_p).sum(axis=1)).sum() + 0.5 * penalty * (w * w).sum()
        return loss, np.concatenate([(standard.T @ delta + penalty * w).ravel(), delta.sum(axis=0)])

    plain = minimize(objective, np.zeros(d * 4 + 4), jac=True, method="L-BFGS-B", options={"gtol": 1e-10, "ftol": 1e-15}).x
    for j, name in enumerate(names):
        assert fitted["features"][name][2] == pytest.approx(list(plain[j * 4 : j * 4 + 4]), abs=1e-4)


def test_a_word_of_few_domains_is_shrunk_harder_than_a_word_of_many():
    examples = _toy_examples()
    alike = fit_regression(examples, 10.0, 4)["features"]
    scaled = fit_regression(examples, 10.0, 4, word_l2_power=1.0)["features"]
    defect, change = CLASSES.index("defect"), CLASSES.index("change")
    # the median word is heard in six domains: the word of four pulls toward defect less, the word of
    # eight toward change more
    assert 0 < scaled["t:w:few"][2][defect] < alike["t:w:few"][2][defect] - 0.01
    assert scaled["t:w:many"][2][change] > alike["t:w:many"][2][change] + 0.01
    # the shipped weights were fitted with the rule the script ships
    assert triage_model.shipped_model()["trained"]["choice"]["word_l2_power"] == WORD_L2_POWER > 0
