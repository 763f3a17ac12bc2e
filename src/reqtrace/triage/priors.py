"""The project's own mix of requests: adapting the answers to it (label shift).

The classifier is fitted with every class weighing the same, but a project's
requests come in a mix of their own: an issue tracker holds mostly defects and
new scope, few changes. The EM prior adjustment of Saerens, Latinne &
Decaestecker (2002, "Adjusting the outputs of a classifier to new a priori
probabilities") estimates that mix from the classifier's probabilities over
the repo's own undecided requests, with the repo's decided requests counted as
labelled evidence of the same mix, and re-weighs each answer by
estimated share / training share.

A mix is believed only when it is one: estimated from `MIN_REQUESTS` or more
requests and decisions, unlikely under the training mix (the likelihood-ratio
test at 5%) and far from it (`MIN_SHIFT`). On balanced domains the classifier
never saw, EM finds a mix as far as 0.14 nats from the training one from the
classifier's own errors; re-weighing by that lowered their figures (docs/triage.md).
Otherwise every answer is the classifier's own. Plain functions, no file, no git.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reqtrace.triage.model import CLASSES

# The classifier is fitted with every domain, and within it every class, weighing the same
# (bench/train_triage.py): the mix it assumes is an even one.
TRAINING_MIX = {name: 1.0 / len(CLASSES) for name in CLASSES}
MIN_REQUESTS = 20  # fewer requests (with the decisions) say too little of a mix: EM runs to the edges
LIKELIHOOD_RATIO = 7.81  # chi-square, 3 degrees of freedom, at 5%: a mix the training one would rarely give
MIN_SHIFT = 0.15  # nats (KL from the training mix): above what EM finds on a balanced unseen domain (up to 0.14)
# One pseudo-request of each class (a Dirichlet at the training mix): no class is ever made impossible,
# however few of it a batch holds (on its own, EM gives a share of 0.00 to a class no request leans to).
PSEUDO_REQUESTS = 4.0
_ITERATIONS = 500
_TOLERANCE = 1e-7


@dataclass(frozen=True)
class Mix:
    """The mix of a repo's requests as estimated, and whether the answers were re-weighed by it."""

    shares: tuple[tuple[str, float], ...]  # class -> estimated share
    requests: int  # undecided requests read (their probabilities)
    decisions: int  # decided requests counted (their classes)
    applied: bool
    why: str  # why it is used or not, in a sentence

    def ratio(self) -> dict[str, float] | None:
        """Each class's estimated share / its training share, when the answers are re-weighed."""
        if not self.applied:
            return None
        return {name: share / TRAINING_MIX[name] for name, share in self.shares}

    def described(self) -> str:
        return ", ".join(f"{name} {share:.2f}" for name, share in self.shares)

    def as_dict(self) -> dict[str, Any]:
        return {"applied": self.applied, "shares": {name: round(share, 4) for name, share in self.shares},
                "from": {"requests": self.requests, "decisions": self.decisions}, "why": self.why}


def estimate_mix(rows: Sequence[Mapping[str, float]], decided: Mapping[str, int]) -> Mix:
    """The mix of the repo's requests: EM over the undecided requests' probabilities `rows`, with the
    decided classes' counts `decided` as a Dirichlet's pseudo-counts; applied when the tests pass."""
    counts = {name: float(decided.get(name, 0)) for name in CLASSES}
    decisions = int(sum(counts.values()))
    said = f"{len(rows)} undecided request(s) and {decisions} decision(s)"
    if len(rows) + decisions < MIN_REQUESTS:
        return Mix(tuple(TRAINING_MIX.items()), len(rows), decisions, False,
                   f"{said}: fewer than {MIN_REQUESTS}, too few to tell this repo's mix of requests")
    shares = _em(rows, counts)
    ratio = {name: shares[name] / TRAINING_MIX[name] for name in CLASSES}
    statistic = 2.0 * (sum(math.log(max(sum(row[name] * ratio[name] for name in CLASSES), 1e-300)) for row in rows)
                       + sum(n * math.log(max(ratio[name], 1e-12)) for name, n in counts.items() if n))
    shift = sum(share * math.log(max(share, 1e-12) / TRAINING_MIX[name]) for name, share in shares.items())
    ordered = tuple((name, shares[name]) for name in CLASSES)
    if statistic < LIKELIHOOD_RATIO or shift < MIN_SHIFT:
        return Mix(ordered, len(rows), decisions, False,
                   f"{said}: their mix is close enough to an even one (shift {shift:.2f}, test {statistic:.1f}); answers not re-weighed")
    return Mix(ordered, len(rows), decisions, True,
               f"{said}: their mix differs from an even one (shift {shift:.2f}, test {statistic:.1f}); answers re-weighed by it")


def _em(rows: Sequence[Mapping[str, float]], counts: Mapping[str, float]) -> dict[str, float]:
    """Saerens et al.'s EM, each request's probabilities re-weighed by the current mix, the mix the
    mean of them (with the decisions' counts and the pseudo-requests: the MAP estimate), until it
    settles. Deterministic: a fixed start and order."""
    shares = dict(TRAINING_MIX)
    size = len(rows) + sum(counts.values()) + PSEUDO_REQUESTS
    for _ in range(_ITERATIONS):
        totals = {name: counts[name] + PSEUDO_REQUESTS * TRAINING_MIX[name] for name in CLASSES}
        for row in rows:
            weights = {name: row[name] * shares[name] / TRAINING_MIX[name] for name in CLASSES}
            whole = sum(weights.values()) or 1.0
            for name in CLASSES:
                totals[name] += weights[name] / whole
        new = {name: totals[name] / size for name in CLASSES}
        settled = max(abs(new[name] - shares[name]) for name in CLASSES) < _TOLERANCE
        shares = new
        if settled:
            break
    return shares


def reweighed(probabilities: Mapping[str, float], ratio: Mapping[str, float]) -> dict[str, float]:
    """Each class's probability × its ratio, renormalised."""
    weighed = {name: p * ratio.get(name, 1.0) for name, p in probabilities.items()}
    whole = sum(weighed.values())
    return {name: w / whole for name, w in weighed.items()} if whole > 0 else dict(probabilities)
