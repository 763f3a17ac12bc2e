"""The learned layer of triage: the rules' evidence in, a class and a calibrated confidence out.

The rules (`triage.py`) find cues, numbers, wishes, the customer's environment and
the baseline requirements a request is about. Their own decision was tuned on the
phrasing of the people who wrote them and does not carry to other authors
(docs/triage.md, round 3). This layer reads the same evidence as numbers that do
carry — how strong each class's cues are, how well the baseline matches, whether a
number was asked for or observed, whether the text asks, wishes or only reports —
and weighs them with a multinomial logistic regression fitted across authors
(bench/train_triage.py, which writes `triage_weights.json`). Its probability is the
confidence; below the shipped threshold the request goes to needs-review. The
costly-mistake guard of the rules still caps a defect nobody told as a failure.

Pure Python, no dependency, deterministic: the same evidence gives the same bytes.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources
from typing import Any

from .triage_lexicon import CONCEPTS, ENVIRONMENT_LABELS

CLASSES = ("defect", "change", "new-scope", "out-of-scope", "needs-review")
_CUE_CLASSES = ("defect", "change", "new-scope", "out-of-scope")
GUARD_CONFIDENCE = 0.8  # a defect this sure is warranty work; paid work must never reach it by mistake
# A failure of an accepted requirement is told in that requirement's terms: a sure defect needs the best
# accepted match to hold at least this share of what the request speaks of ("patients can't see how many
# are still ahead of them" tells no failure of the booking rules it happens to match).
GUARD_COVERAGE = 0.25

# Rule mechanisms that are not phrases of one author: they become features of their own.
MECHANISMS = {
    "[asks for another number]": "asks for another number than the signed one",
    "[delivered number differs from the signed one]": "reports a delivered number off the signed one",
    "[quotes the agreed number]": "quotes the agreed number",
    "[asks to replace the signed number]": "asks to replace the signed number",
    "[calls the signed number a limit]": "calls the signed number a limit",
    "[describes delivered behaviour, asks for nothing new]": "describes delivered behaviour, asks for nothing new",
    "[only asks a question, reports nothing]": "only asks a question, reports nothing",
    "[asks a could-you question]": "asks a could-you question",
}

_READABLE = {
    "relevance": "how well the best requirement matches",
    "relevance_second": "how well the second requirement matches",
    "top_accepted": "the best match is accepted",
    "top_proposed": "the best match is not accepted",
    "coverage": "how much of the request the best accepted requirement holds",
    "asks": "the request asks or wishes for something",
    "told_failure": "failure words or a measured number tell a failure",
    "environment_words": "words of the customer's environment",
    "novel_main": "things no accepted requirement mentions",
    "novel_passing": "things no accepted requirement mentions, in passing",
    "uncovered": "things the best match does not speak of",
    "agreement": "quotes the agreement",
    "vague": "points elsewhere or asks for contact",
    "wish": "wish words",
    "repair": "asks for a repair",
    "ownside": "rules the customer's side out",
    "question_ask": "a could-you question",
    "wanting": "says someone wants something",
    "tells": "tells what happened",
    "questions": "asks a question",
    "ask_words": "ask words",
    "secondary": "a second ask in passing",
    "negation": "a negation",
    "question_marks": "question marks",
    "length": "length of the text",
    "han": "share of Chinese characters",
    "claimed": "the customer frames it (bug, after-sales)",
}


def _log(value: float) -> float:
    return math.log1p(max(0.0, value))


def evidence_features(rules: Any, evidence: Any, matches: Any, text: str, terms: Any = (), *,
                      claimed: bool = False) -> dict[str, float]:
    """The evidence of one request as named numbers (the model's input), plus `guard:` values it does not read."""
    scores = evidence.scores
    features: dict[str, float] = {}
    total = sum(max(0.0, scores[c]) for c in _CUE_CLASSES)
    for name in _CUE_CLASSES:
        features[f"score:{name}"] = _log(scores[name])
        features[f"share:{name}"] = max(0.0, scores[name]) / total if total else 0.0
        phrases = [c for c in evidence.cues.get(name, []) if not c.startswith("[")]
        features[f"cues:{name}"] = _log(len(phrases))
    features[f"rules:{rules.classification}"] = 1.0
    features["rules_confidence"] = rules.confidence
    for cues in evidence.cues.values():
        for cue in cues:
            if cue in MECHANISMS:
                features[f"mechanism:{cue}"] = 1.0
    top = matches[0] if matches else None
    features["relevance"] = top.score if top else 0.0
    features["relevance_second"] = matches[1].score if len(matches) > 1 else 0.0
    features["top_accepted"] = 1.0 if top is not None and top.accepted else 0.0
    features["top_proposed"] = 1.0 if top is not None and not top.accepted else 0.0
    features["asks"] = 1.0 if evidence.asks else 0.0
    told = evidence.told_failure()
    features["told_failure"] = _log(told)
    for name, value in evidence.signals.items():
        features[name] = value if name == "coverage" else _log(value)
    lowered = text.lower()
    features["negation"] = 1.0 if any(w in lowered for w in ("not ", "n't", "never", "no longer", "不", "没")) else 0.0
    features["question_marks"] = _log(text.count("?") + text.count("？"))
    features["length"] = math.log1p(len(text)) / 8.0
    han = sum("\u4e00" <= ch <= "\u9fff" for ch in text)
    features["han"] = han / max(1, sum(not ch.isspace() for ch in text))
    features["claimed"] = 1.0 if claimed or evidence.cues.get("claim") else 0.0
    # The request's words (w:stem), Chinese bigrams (c:) and bilingual concepts (k:), present or not;
    # the shipped model reads only those its training kept (bench/train_triage.py, FEATURE_SETS).
    for term in terms:
        features[f"term:{term}"] = 1.0
    # Not read by the model: what the costly-mistake guard needs.
    features["guard:told_failure"] = told
    features["guard:asks"] = 1.0 if evidence.asks else 0.0
    features["guard:diverging"] = max(scores["change"], scores["new-scope"])
    features["guard:coverage"] = evidence.signals.get("coverage", 0.0)
    return features


@lru_cache(maxsize=1)
def shipped_model() -> dict[str, Any]:
    """The weights bench/train_triage.py wrote (`triage_weights.json` in this package)."""
    return json.loads(resources.files(__package__).joinpath("triage_weights.json").read_text(encoding="utf-8"))


_COMPILED: list[tuple[Any, Any, tuple[list[float], dict[str, list[float]]]]] = []  # (features, bias, compiled)


def _compiled(model: dict[str, Any]) -> tuple[list[float], dict[str, list[float]]]:
    """The folded weights of a model, compiled once per weights object (the shipped one, or one in training)."""
    for features, bias, compiled in _COMPILED:
        if features is model["features"] and bias is model["bias"]:
            return compiled
    compiled = _compile(model)
    _COMPILED[:] = [*_COMPILED[-3:], (model["features"], model["bias"], compiled)]
    return compiled


def _compile(model: dict[str, Any]) -> tuple[list[float], dict[str, list[float]]]:
    """Fold the standardisation into the weights: a feature the request lacks (value 0) then costs nothing,
    so a request touches only its own few features, not the thousands of words the model knows."""
    bias = list(model["bias"])
    weights: dict[str, list[float]] = {}
    for name, (mean, scale, values) in model["features"].items():
        weights[name] = [w / scale for w in values]
        for k, w in enumerate(values):
            bias[k] -= w * mean / scale
    return bias, weights


def probabilities(features: dict[str, float], model: dict[str, Any]) -> tuple[list[float], dict[str, list[float]]]:
    """Class probabilities, and each present feature's pull on each class (what it adds to the logit)."""
    bias, weights = _compiled(model)
    logits = list(bias)
    pulls: dict[str, list[float]] = {}
    for name, value in features.items():
        row = weights.get(name)
        if row is None or value == 0.0:
            continue
        pull = [w * value for w in row]
        pulls[name] = pull
        for k, p in enumerate(pull):
            logits[k] += p
    temperature = model.get("temperature", 1.0)
    top = max(logits)
    exps = [math.exp((z - top) / temperature) for z in logits]
    total = sum(exps)
    return [e / total for e in exps], pulls


def _concept_label(concept: str) -> str:
    """A concept as a person reads it: its name in reasons, or its first cue phrase."""
    if concept in ENVIRONMENT_LABELS:
        return ENVIRONMENT_LABELS[concept]
    phrases = CONCEPTS.get(concept, ())
    return f'"{phrases[0]}" and the like' if phrases else concept


def readable(feature: str) -> str:
    kind, _, rest = feature.partition(":")
    if kind == "score":
        return f"{rest} cue weight"
    if kind == "share":
        return f"{rest} share of the cue weight"
    if kind == "cues":
        return f"number of {rest} cue phrases"
    if kind == "rules":
        return f"the rules alone say {rest}"
    if kind == "term":
        return f'the word "{rest[2:]}"' if rest[0] != "k" else f"talk of {_concept_label(rest[2:])}"
    if kind == "mechanism":
        return MECHANISMS.get(rest, rest)
    if feature == "rules_confidence":
        return "the rules' confidence"
    return _READABLE.get(feature, feature)


def decide_with_model(rules: Any, features: dict[str, float], model: dict[str, Any] | None = None) -> Any:
    """The final result: the model's class and probability, the rules' reasons, the model's strongest evidence."""
    from dataclasses import replace

    model = model or shipped_model()
    classes = model["classes"]
    probs, pulls = probabilities(features, model)
    best = max(range(len(classes)), key=lambda k: (probs[k], -k))
    label, confidence = classes[best], probs[best]
    by_class = tuple(zip(classes, probs, strict=True))  # before any cap: what precedent (precedent.py) reweighs
    # The costly mistake is calling paid work a defect: never sure of one while the request asks for
    # something, nor when no failure word or measured number tells the failure.
    if label == "defect" and confidence >= GUARD_CONFIDENCE and (
            features["guard:asks"] or features["guard:diverging"] > 0.5 or features["guard:told_failure"] < 2.0
            or features["guard:coverage"] < GUARD_COVERAGE):
        confidence = min(confidence, 0.75)
    # What moved the decided class most, against the mean of the classes.
    mean_pull = {name: sum(p) / len(p) for name, p in pulls.items()}
    strongest = sorted(((p[best] - mean_pull[name], name) for name, p in pulls.items()), reverse=True)[:3]
    because = ", ".join(readable(name) for pull, name in strongest if pull > 0.05)
    reasons = [r for r in rules.reasons if not _rule_verdict(r)]
    threshold = model["threshold"]
    if label != "needs-review" and confidence < threshold:
        runner = sorted(range(len(classes)), key=lambda k: -probs[k])[1]
        head = (f"not sure enough to classify: most likely {label} ({confidence:.2f}), then {classes[runner]} "
                f"({probs[runner]:.2f}); below {threshold:.2f} a person decides")
        return replace(rules, probabilities=by_class, classification="needs-review", confidence=round(1.0 - confidence, 4),
                       reasons=(head, *reasons, _rules_said(rules)))
    head = f"weighed {label} at {confidence:.2f}" + (f" (strongest evidence: {because})" if because else "")
    if label == "needs-review":  # the rules' word on why the evidence is thin says it best
        verdicts = tuple(r for r in rules.reasons if _rule_verdict(r))
        return replace(rules, probabilities=by_class, classification=label, confidence=round(confidence, 4),
                       reasons=(*verdicts, head, *reasons, _rules_said(rules)))
    return replace(rules, probabilities=by_class, classification=label, confidence=round(confidence, 4), reasons=(head, *reasons, _rules_said(rules)))


def _rule_verdict(reason: str) -> bool:
    """The rules' own verdict lines, replaced by the model's."""
    return reason.startswith("the evidence is too weak to classify") or " are close (" in reason


def _rules_said(rules: Any) -> str:
    return f"the rules alone say {rules.classification} ({rules.confidence:.2f})"
