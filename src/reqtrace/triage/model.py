"""Stage 5 and 6: the learned layer and its calibrated confidence.

A blend of two models fitted by bench/train_triage.py with every domain
weighted equally: a multinomial logistic regression over the domain-general
signals (and the words that occur in requests of several training domains),
and gradient-boosted shallow trees over the signals alone, which make the
interactions a linear model cannot (an ask weighs otherwise when an accepted
requirement holds what it speaks of). Both ship as JSON (`weights.json` beside
this module) and are read here in plain Python. The
probabilities are divided by a temperature fitted on leave-one-domain-out
predictions, so that a confidence of 0.9 is right about nine times in ten on a
domain the model never saw; below the shipped threshold a person decides.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources
from typing import Any

CLASSES = ("defect", "change", "new-scope", "out-of-scope")


@lru_cache(maxsize=1)
def shipped_model() -> dict[str, Any]:
    """The weights bench/train_triage.py wrote."""
    return json.loads(resources.files(__package__).joinpath("weights.json").read_text(encoding="utf-8"))


_COMPILED: list[tuple[Any, Any, tuple[list[float], dict[str, list[float]]]]] = []


def _compiled(model: dict[str, Any]) -> tuple[list[float], dict[str, list[float]]]:
    """The weights with the standardisation folded in (a feature a request lacks then costs nothing)."""
    for features, bias, compiled in _COMPILED:  # the same weights objects: a model in training differs in either
        if features is model["features"] and bias is model["bias"]:
            return compiled
    bias = list(model["bias"])
    weights: dict[str, list[float]] = {}
    for name, (mean, scale, values) in model["features"].items():
        weights[name] = [w / scale for w in values]
        for k, w in enumerate(values):
            bias[k] -= w * mean / scale
    compiled = (bias, weights)
    _COMPILED[:] = [*_COMPILED[-3:], (model["features"], model["bias"], compiled)]
    return compiled


def logits(features: dict[str, float], model: dict[str, Any]) -> list[float]:
    bias, weights = _compiled(model)
    out = list(bias)
    for name, value in features.items():
        row = weights.get(name)
        if row is None or value == 0.0:
            continue
        for k, w in enumerate(row):
            out[k] += w * value
    share = model.get("tree_share", 0.0)
    if not share:
        return out
    out = [(1.0 - share) * v for v in out]
    names = model["tree_features"]
    for k, tree in model["trees"]:
        out[k] += share * _tree_value(tree, names, features)
    return out


def _tree_value(tree: Any, names: list[str], features: dict[str, float]) -> float:
    """A tree is a leaf value or [feature position, threshold, left (value <= threshold), right]."""
    while isinstance(tree, list):
        position, threshold, left, right = tree
        tree = left if features.get(names[position], 0.0) <= threshold else right
    return float(tree)


def softmax(values: list[float], temperature: float = 1.0) -> list[float]:
    top = max(values)
    exps = [math.exp((v - top) / temperature) for v in values]
    total = sum(exps)
    return [e / total for e in exps]


def probabilities(features: dict[str, float], model: dict[str, Any] | None = None) -> dict[str, float]:
    """Class -> calibrated probability."""
    model = model or shipped_model()
    return dict(zip(model["classes"], softmax(logits(features, model), model.get("temperature", 1.0)), strict=True))
