"""Triage: is a post-delivery request a defect, a change, new scope, or not the product's?

Stages, each a module: `prepare` (the customer's own words, apart from quoted
mail, signatures, templates and pasted logs), `words` (English stems, Chinese
words by jieba, CC-CEDICT glosses between them), `index` (what the request is
about, by BM25 over the baseline's own text), `signals` (report or ask, numbers
against the signed ones, coverage, how-to, environment), `model` (a
logistic regression over the signals and the prose's words, blended with small
gradient-boosted trees over the signals, with a calibrated confidence),
`precedent` (the repo's own decided requests, cited and weighed), and `classify`,
which runs them and writes the reasons. docs/triage.md describes it and its figures.
"""

from reqtrace.triage.classify import (
    CHANGE,
    CLASSES,
    DEFECT,
    DIVERGING,
    GUARD_CONFIDENCE,
    NEEDS_REVIEW,
    NEW_SCOPE,
    OUT_OF_SCOPE,
    Evidence,
    Match,
    TriageResult,
    classify_request,
    decide,
    weigh,
)
from reqtrace.triage.index import ACCEPTED_STATUSES, INDEX_FORMAT, BaselineIndex, requirement_text

__all__ = [
    "ACCEPTED_STATUSES", "CHANGE", "CLASSES", "DEFECT", "DIVERGING", "GUARD_CONFIDENCE", "INDEX_FORMAT", "NEEDS_REVIEW",
    "NEW_SCOPE", "OUT_OF_SCOPE", "BaselineIndex", "Evidence", "Match", "TriageResult", "classify_request", "decide",
    "requirement_text", "weigh",
]
