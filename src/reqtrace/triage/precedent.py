"""Precedent: what this project's people already decided about requests like this one.

Every `reqtrace decide` is a labelled example from the very project being
triaged, in its customer's words. A new request that reads like one already
decided says so ("like RQ-7, decided change, approved by Li Wei on
2026-08-20 in MTG-2026-08-20 (similarity 0.82)") and that decision weighs in the
answer, in proportion to how alike the two texts are.

Three plain steps, independent of how the classifier itself works:
- `decided(requests)`: the requests whose decision gives a class and is
  approved or rejected (a pending decision is nobody's word yet);
- `PrecedentIndex`: TF-IDF over their words (English stems; Chinese words from
  jieba, loaded only when a text has Chinese) and `nearest(text, k)`, the
  most alike with a cosine similarity in [0, 1];
- `apply_precedent(result, precedents)`: adds to each class's log-probability
  `strength × (similarity − floor) / (1 − floor)` for each precedent of that
  class above the floor, renormalises, and takes the class, the confidence
  and the abstention from the reweighed probabilities. A resemblance at the
  floor changes nothing; only a close one can turn the answer.

The two constants (`FITTED`) are chosen from what bench/bench_precedent.py
measures leave-one-domain-out; docs/triage.md (4.6) records the figures.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from reqtrace.core.model import Request
from reqtrace.triage.prepare import MAX_TEXT_CHARS, normalise
from reqtrace.triage.words import is_content, tokens

if TYPE_CHECKING:
    from reqtrace.triage.classify import TriageResult

DECIDED_CLASSES = ("defect", "change", "new-scope", "out-of-scope")
FINAL_STATUSES = ("approved", "rejected")
NEEDS_REVIEW = "needs-review"
DEFECT = "defect"
CHANGE = "change"
NEAREST = 3  # precedents a result cites at most
SURE_DEFECT = 0.8  # a change or new scope called defect this sure is the costly mistake
_GUARDED_DEFECT = 0.75  # where a defect stays that the classifier was not sure of


@dataclass(frozen=True)
class Weighing:
    """How much a precedent counts: `strength` at similarity 1, nothing at or below `floor`."""

    strength: float
    floor: float


# Not the pair `python bench/bench_precedent.py --fit` finds (8, 0.25 on the data of 2026-12-07 evening):
# fitted leave-one-domain-out, that stronger pair lowers the written domains (-0.004 macro-F1) and the
# issue trackers (-0.007); this weaker one keeps the written domains level (+0.001) and lifts the
# trackers (+0.011). docs/triage.md, 4.6 and 6, has both.
FITTED = Weighing(strength=2.0, floor=0.15)


@dataclass(frozen=True)
class Precedent:
    """A decided request like the one triaged, and how alike the two are."""

    request: str
    classification: str
    status: str
    by: str | None
    date: str | None
    meeting: str | None
    similarity: float

    def as_dict(self) -> dict[str, Any]:
        return {"request": self.request, "classification": self.classification, "status": self.status,
                "by": self.by, "when": self.date, "meeting": self.meeting, "similarity": round(self.similarity, 2)}

    def reason(self) -> str:
        """The precedent in words a project manager can say to the customer."""
        said = f"decided {self.classification}, {self.status}"
        if self.by:
            said += f" by {self.by}"
        if self.date:
            said += f" on {self.date[:10]}"  # the day; JSON keeps the moment as recorded
        if self.meeting:
            said += f" in {self.meeting}"
        return f"like {self.request}, {said} (similarity {self.similarity:.2f})"


def decision_date(request: Request) -> str | None:
    """The date of a request's decision (the one place that reads it from the model)."""
    return request.decision.on if request.decision is not None else None


def decided(requests: Iterable[Request]) -> list[Request]:
    """The requests a person decided: a class given, approved or rejected (pending is nobody's word yet)."""
    return [r for r in requests if r.decision is not None and r.decision.as_ in DECIDED_CLASSES
            and r.decision.status in FINAL_STATUSES]


# ---------------------------------------------------------------- words


def words(text: str) -> list[str]:
    """The words of a text that say what it is about: triage's own terms (English stems,
    Chinese words by the same segmenter), no function words."""
    folded = normalise(text[:MAX_TEXT_CHARS]).lower()  # as the classifier reads it: traditional meets simplified
    return [token.term for token in tokens(folded) if is_content(token)]


# ---------------------------------------------------------------- the index


class PrecedentIndex:
    """TF-IDF vectors of the decided requests' texts, for the nearest ones to a new text.

    Kept as postings (word -> the decided requests that have it, with its weight
    there), so a query touches only the requests that share a word with it.
    """

    def __init__(self, requests: Sequence[Request], vectors: Sequence[Mapping[str, float]], idf: Mapping[str, float],
                 unseen: float) -> None:
        self._requests = tuple(requests)
        self._idf = dict(idf)
        self._unseen = unseen  # the weight of a word no decided request has
        self._postings: dict[str, list[tuple[int, float]]] = {}
        for position, vector in enumerate(vectors):
            for word, weight in vector.items():
                self._postings.setdefault(word, []).append((position, weight))

    @classmethod
    def build(cls, entries: Iterable[tuple[Request, str]]) -> PrecedentIndex:
        """Index decided requests (others are left out), each with the text triage reads of it."""
        kept = [(request, Counter(words(text))) for request, text in entries if decided([request])]
        count = len(kept)
        frequency: Counter[str] = Counter()
        for _, counts in kept:
            frequency.update(counts.keys())
        # Smoothed: a word in every decided request still counts a little, an unseen word most.
        idf = {word: math.log((1 + count) / (1 + df)) + 1.0 for word, df in frequency.items()}
        unseen = math.log(1 + count) + 1.0
        return cls([request for request, _ in kept], [_vector(counts, idf, unseen) for _, counts in kept], idf, unseen)

    def __len__(self) -> int:
        return len(self._requests)

    def nearest(self, text: str, k: int = NEAREST, *, exclude: Iterable[str] = (), floor: float = 0.0) -> tuple[Precedent, ...]:
        """The `k` decided requests most like `text` with a similarity above `floor`, most alike first;
        never one of the ids in `exclude` (the request itself)."""
        if not self._requests:
            return ()
        query = _vector(Counter(words(text)), self._idf, self._unseen)
        totals: dict[int, float] = {}
        for word, weight in query.items():
            for position, there in self._postings.get(word, ()):
                totals[position] = totals.get(position, 0.0) + weight * there
        skipped = set(exclude)
        scored = sorted((-min(1.0, total), position) for position, total in totals.items()
                        if total > floor and self._requests[position].id not in skipped)
        return tuple(_precedent(self._requests[position], -negative) for negative, position in scored[:k])


def _vector(counts: Mapping[str, int], idf: Mapping[str, float], unseen: float) -> dict[str, float]:
    weights = {word: (1.0 + math.log(n)) * idf.get(word, unseen) for word, n in counts.items()}
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {word: w / norm for word, w in weights.items()} if norm else {}


def _precedent(request: Request, similarity: float) -> Precedent:
    decision = request.decision
    assert decision is not None and decision.as_ is not None  # noqa: S101 - only decided requests are indexed
    return Precedent(request.id, decision.as_, decision.status, decision.by, decision_date(request), decision.in_,
                     round(similarity, 4))


# ---------------------------------------------------------------- weighing


def reweigh(probabilities: Mapping[str, float], precedents: Iterable[Precedent], weighing: Weighing = FITTED) -> dict[str, float]:
    """The classifier's probabilities with each precedent's class pulled up by its similarity."""
    pull = dict.fromkeys(probabilities, 0.0)
    for precedent in precedents:
        if precedent.classification in pull and precedent.similarity > weighing.floor:
            pull[precedent.classification] += weighing.strength * (precedent.similarity - weighing.floor) / (1.0 - weighing.floor)
    logits = {name: math.log(max(p, 1e-9)) + pull[name] for name, p in probabilities.items()}
    top = max(logits.values())
    exps = {name: math.exp(z - top) for name, z in logits.items()}
    total = sum(exps.values())
    return {name: e / total for name, e in exps.items()}


def apply_precedent(result: TriageResult, precedents: Sequence[Precedent], *, abstain_below: float,
                    weighing: Weighing = FITTED) -> TriageResult:
    """The result with its precedents cited and weighed in.

    `abstain_below` is the classifier's own threshold: below it a class is not
    given and a person decides (needs-review). A result without probabilities
    (no text, an empty baseline, the rules alone) cites its precedents and keeps
    its answer.
    """
    cited = tuple(p for p in precedents if p.similarity > weighing.floor)
    if not cited:
        return replace(result, precedents=())
    lines = tuple(p.reason() for p in cited)
    probabilities = dict(result.probabilities)
    if not probabilities:
        return replace(result, precedents=cited, reasons=(*lines, *result.reasons))
    reweighed = reweigh(probabilities, cited, weighing)
    label, confidence = decide(reweighed, abstain_below)
    if label in (DEFECT, CHANGE) and not result.matches:
        # The classifier's own rule: a defect fails, and a change alters, a signed requirement; with none
        # matched, a precedent alone cannot name one, so a person decides with the precedent in view.
        head = (f"precedent points to {label} ({confidence:.2f}), but no requirement matches, and a {label} "
                f"needs one; without it: {result.classification} ({result.confidence:.2f})")
        return replace(result, classification=NEEDS_REVIEW, confidence=round(1.0 - confidence, 4),
                       probabilities=tuple((name, round(p, 4)) for name, p in reweighed.items()),
                       precedents=cited, reasons=(head, *lines, *result.reasons))
    # Calling paid work a sure defect is the costly mistake: precedent may make a defect, or a surer one,
    # but a sure one (0.8 and above) only where the classifier itself, with its guard, was sure.
    if label == DEFECT and not (result.classification == DEFECT and result.confidence >= SURE_DEFECT):
        confidence = min(confidence, _GUARDED_DEFECT)
    if label != result.classification:
        heads: tuple[str, ...] = (f"precedent turns the answer to {label} ({confidence:.2f}); "
                                  f"without it: {result.classification} ({result.confidence:.2f})",)
    elif round(confidence, 2) != round(result.confidence, 2):
        heads = (f"precedent takes the confidence from {result.confidence:.2f} to {confidence:.2f}",)
    else:
        heads = ()
    return replace(result, classification=label, confidence=round(confidence, 4),
                   probabilities=tuple((name, round(p, 4)) for name, p in reweighed.items()),
                   precedents=cited, reasons=(*heads, *lines, *result.reasons))


def decide(probabilities: Mapping[str, float], abstain_below: float) -> tuple[str, float]:
    """The class and confidence the probabilities give; below the threshold a person decides.

    Abstaining mirrors the classifier: needs-review with confidence 1 − p.
    """
    order = list(probabilities)
    best = max(order, key=lambda name: (probabilities[name], -order.index(name)))
    p = probabilities[best]
    if best != NEEDS_REVIEW and p < abstain_below:
        return NEEDS_REVIEW, 1.0 - p
    return best, p
