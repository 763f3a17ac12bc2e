"""Triage one request: prepare, match, find signals, weigh, explain.

`classify_request(text, index=…)` is pure: it reads no file and no git. Each
stage is a plain function of the one before (prepare.py, words.py, index.py,
signals.py, model.py); this module runs them in order and turns what they found
into reasons a project manager can show the customer: the request's sentence and
the signed sentence it meets or contradicts, the numbers compared, the
environment named.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from reqtrace.core.model import Requirement
from reqtrace.triage import cues
from reqtrace.triage.index import (
    NAMED_BOOST,
    BaselineIndex,
    best_pair,
    request_query,
    signed_sentences,
    signed_wording,
)
from reqtrace.triage.model import CLASSES as MODEL_CLASSES
from reqtrace.triage.model import probabilities, shipped_model
from reqtrace.triage.prepare import Prepared, prepare
from reqtrace.triage.priors import reweighed
from reqtrace.triage.quantities import Quantity, weekday_before
from reqtrace.triage.signals import NumberFinding, Signals, find_signals, sentence_at
from reqtrace.triage.words import HAN, Terms, chinese_words, terms_of, tokens

if TYPE_CHECKING:
    from reqtrace.triage.precedent import Precedent
    from reqtrace.triage.priors import Mix

DEFECT = "defect"
CHANGE = "change"
NEW_SCOPE = "new-scope"
OUT_OF_SCOPE = "out-of-scope"
NEEDS_REVIEW = "needs-review"
CLASSES = (DEFECT, CHANGE, NEW_SCOPE, OUT_OF_SCOPE, NEEDS_REVIEW)
DIVERGING = (CHANGE, NEW_SCOPE)
GUARD_CONFIDENCE = 0.8  # a defect this sure is warranty work: paid work must never reach it by mistake
GUARD_PAID = 0.05  # nor while change and new scope together keep this much probability
GUARD_HEADLINE_NOVEL = 0.5  # nor while no accepted requirement holds this share of the headline's words
_MATCH_FLOOR = 0.05


@dataclass(frozen=True)
class Match:
    """One baseline requirement a request is about."""

    id: str
    score: float  # relevance in [0, 1]
    words: tuple[str, ...]  # the request's words that met it, as written
    accepted: bool  # False for a proposed or deprecated requirement


@dataclass(frozen=True)
class Evidence:
    """A sentence of the request beside the signed sentence it meets or contradicts."""

    request_sentence: str
    requirement: str
    signed_sentence: str
    relation: str  # 'meets', 'contradicts', 'asks to change', 'asks beyond'

    def as_dict(self) -> dict[str, str]:
        return {"request_sentence": self.request_sentence, "requirement": self.requirement,
                "signed_sentence": self.signed_sentence, "relation": self.relation}


@dataclass(frozen=True)
class TriageResult:
    request: str  # the request's id, or the file or text it came from
    classification: str
    confidence: float
    matches: tuple[Match, ...] = ()
    reasons: tuple[str, ...] = ()
    cues: tuple[tuple[str, tuple[str, ...]], ...] = ()  # kind of cue -> phrases found
    unknown_refs: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    probabilities: tuple[tuple[str, float], ...] = ()  # class -> probability
    precedents: tuple[Precedent, ...] = ()  # decided requests of the repo like this one (triage/precedent.py)

    @property
    def diverges(self) -> bool:
        return self.classification in DIVERGING

    def as_dict(self) -> dict[str, Any]:
        return {
            "request": self.request,
            "classification": self.classification,
            "diverges": self.diverges,
            "confidence": round(self.confidence, 2),
            "matches": [
                {"id": m.id, "score": round(m.score, 3), "words": list(m.words), "accepted": m.accepted}
                for m in self.matches
            ],
            "reasons": list(self.reasons),
            "cues": {name: list(found) for name, found in self.cues},
            "unknown_refs": list(self.unknown_refs),
            "evidence": [e.as_dict() for e in self.evidence],
            "probabilities": {name: round(p, 4) for name, p in self.probabilities},
            "precedents": [p.as_dict() for p in self.precedents],
        }


@dataclass
class Weighed:
    """Everything found in one request before the model decides (what training reads too)."""

    prepared: Prepared
    features: dict[str, float]
    signals: Signals
    matches: list[Match]
    positions: list[int]
    unknown: tuple[str, ...]
    sentence_terms: list[Terms] = field(default_factory=list)

    @cached_property
    def cues_as_read(self) -> dict[str, list[str]]:
        """The cue phrases found, in whole words (`_in_whole_words`): what the reasons and the
        JSON's `cues` show, worked out once (widening segments the request's Chinese again)."""
        return _in_whole_words(self.signals.found, self.prepared.own)


def _relevance(score: float) -> float:
    """BM25 score mapped to [0, 1): 0.5 at a score of 6."""
    return score / (score + 6.0)


def _looks_like_requirement(ref: str, index: BaselineIndex) -> bool:
    prefixes = {rid.rsplit("-", 1)[0] for rid in index.ids}
    return ref.rsplit("-", 1)[0] in prefixes


def weigh(text: str, index: BaselineIndex, refs: Sequence[str] = ()) -> Weighed:
    """Stages 1-4: the prepared text, its matches and its signals as the model's features."""
    prepared = prepare(text)
    terms, query = request_query(prepared)
    named = list(dict.fromkeys([*refs, *prepared.refs]))
    unknown = tuple(ref for ref in named if ref not in index.by_id and _looks_like_requirement(ref, index))
    hits = index.search(query, limit=8)
    for ref in named:  # a requirement the customer names is what the request is about, whatever the words
        position = index.by_id.get(ref)
        if position is None:
            continue
        if all(h[0] != position for h in hits):
            hits.append((position, 0.0, []))
        hits = [(i, s + NAMED_BOOST if i == position else s, t) for i, s, t in hits]
    hits.sort(key=lambda h: (-h[1], h[0]))
    matches: list[Match] = []
    positions: list[int] = []
    for position, score, met in hits[:5]:
        relevance = _relevance(score)
        if relevance < _MATCH_FLOOR:
            continue
        shown = tuple(dict.fromkeys(terms.surfaces.get(t) or terms.bridged.get(t) or t[2:] for t in met if not t.startswith("n:")))[:12]
        matches.append(Match(index.ids[position], relevance, shown, index.is_accepted(position)))
        positions.append(position)
    sentence_terms = [terms_of(s.lower()) for s in prepared.sentences]
    signals = find_signals(prepared, terms, sentence_terms, index, [(p, m.score) for p, m in zip(positions, matches, strict=True)], named)
    features = dict(signals.values)
    features["named_unknown"] = 1.0 if unknown else 0.0
    for token in tokens(prepared.prose):
        if token.term != "#":
            features["t:" + token.term] = 1.0
    return Weighed(prepared, features, signals, matches, positions, unknown, sentence_terms)


def classify_request(
    text: str,
    requirements: Sequence[Requirement] | None = None,
    *,
    index: BaselineIndex | None = None,
    request: str = "(text)",
    refs: Sequence[str] = (),
    claimed: str | None = None,
    learned: bool = True,
    model: dict[str, Any] | None = None,
    mix: Mix | None = None,
) -> TriageResult:
    """Classify one request's text against the baseline's requirements.

    Pass `index` (built once with `BaselineIndex.build`) when classifying many
    requests; `refs` are ids the request names outside its text (its `refs:`);
    `claimed` is how the customer frames it (shown, never decisive); `mix` is
    the repo's own mix of requests (priors.estimate_mix), applied when it says so.
    `learned` is kept for callers of the earlier engine: every decision is the model's.
    """
    del learned
    if index is None:
        index = BaselineIndex.build(requirements or ())
    stripped = text.strip()
    if not any(ch.isalnum() for ch in stripped):
        why = "the request has no text" if not stripped else "the request has no words, only punctuation or symbols"
        return TriageResult(request, NEEDS_REVIEW, 0.0, reasons=(f"{why}; a person has to read the original",))
    if not len(index):
        return TriageResult(request, NEEDS_REVIEW, 0.0, reasons=(
            "the baseline has no requirements, so nothing can be compared; sign a baseline that holds the agreed requirements",))
    weighed = weigh(text, index, refs)
    return decide(weighed, index, request=request, claimed=claimed, model=model, mix=mix)


def decide(weighed: Weighed, index: BaselineIndex, *, request: str = "(text)", claimed: str | None = None,
           model: dict[str, Any] | None = None, mix: Mix | None = None) -> TriageResult:
    """Stages 5-7: the model's class, its calibrated confidence, and the reasons behind it; with an
    applied `mix`, the probabilities re-weighed by the repo's own mix of requests first (priors.py)."""
    model = model or shipped_model()
    own_probs = probs = probabilities(weighed.features, model)
    ratio = mix.ratio() if mix is not None else None
    own = _ranked(probs)[0]
    if ratio is not None:
        probs = reweighed(probs, ratio)
    ranked = _ranked(probs)
    (label, confidence), (runner, runner_p) = ranked[0], ranked[1]
    evidence = _evidence(weighed, index)
    details = _reasons(weighed, index, evidence, claimed)
    lead: tuple[str, ...] = ()  # the mix's line comes first, as precedent's does: it changed what follows
    if mix is not None and ratio is not None and (own[0] != label or round(own[1], 2) != round(confidence, 2)):
        lead = (f"this repo's mix of requests ({mix.described()}; from {mix.requests} undecided request(s) and "
                f"{mix.decisions} decision(s)) {_moved(own, (label, confidence), weighed, model['threshold'])}",)
    prepared = weighed.prepared
    headline = prepared.sentences[0] if prepared.sentences else ""
    # The guard reads the request's own evidence: what change and new scope keep before the repo's mix
    # re-weighs them, and whether the request alone makes a sure defect (the mix says what is common
    # in this repo, not what this request is).
    paid = own_probs[CHANGE] + own_probs[NEW_SCOPE]
    alone = own_probs[DEFECT] if ratio is not None else None
    # A sure defect is held back while any condition of the guard holds (docs/triage.md 2.6).
    held_back = _held_back_because(weighed, headline, paid, alone) if label == DEFECT and confidence >= GUARD_CONFIDENCE else []
    if held_back:
        confidence = min(confidence, GUARD_CONFIDENCE - 0.01)
    threshold = model["threshold"]
    if not weighed.matches and label in (DEFECT, CHANGE):
        head = ("the evidence is too weak to classify: no requirement matches, and a "
                f"{label} needs one; most likely {label} ({confidence:.2f}), then {runner} ({runner_p:.2f})")
        return _result(request, NEEDS_REVIEW, 1.0 - confidence, weighed, (*lead, head, *details), evidence, probs)
    if confidence < threshold:
        head = (f"not sure enough to classify: most likely {label} ({confidence:.2f}), then {runner} "
                f"({runner_p:.2f}); below {threshold:.2f} a person decides")
        return _result(request, NEEDS_REVIEW, 1.0 - confidence, weighed, (*lead, head, *details), evidence, probs)
    head = f"weighed {label} at {confidence:.2f}"
    if held_back:
        head += (f", held below {GUARD_CONFIDENCE:.2f} because {'; and '.join(held_back[:2])}: a defect this sure is"
                 " warranty work, and paid work must not pass as a defect")
    return _result(request, label, confidence, weighed, (*lead, head, *details), evidence, probs)


def _moved(own: tuple[str, float], now: tuple[str, float], weighed: Weighed, threshold: float) -> str:
    """What re-weighing did, told against the answer the request alone gives (a person decides below
    the threshold, and for a defect or change nothing matched)."""
    def left_to_a_person(label: str, p: float) -> bool:
        return p < threshold or (not weighed.matches and label in (DEFECT, CHANGE))

    def answer(label: str, p: float) -> str:
        return f"{NEEDS_REVIEW} (most likely {label}, {p:.2f})" if left_to_a_person(label, p) else f"{label} ({p:.2f})"

    if own[0] == now[0] and left_to_a_person(*own) == left_to_a_person(*now):
        return f"takes the likeliest class's probability from {own[1]:.2f} to {now[1]:.2f}"
    return f"turns the answer to {answer(*now)}; without it: {answer(*own)}"


def _ranked(probs: dict[str, float]) -> list[tuple[str, float]]:
    return sorted(probs.items(), key=lambda item: (-item[1], MODEL_CLASSES.index(item[0])))


def _held_back_because(weighed: Weighed, headline: str, paid: float, alone: float | None = None) -> list[str]:
    """The conditions of the costly-mistake guard that hold, each as a sentence a project manager can
    say to the customer: first what the request says of itself, then what the baseline does not hold.
    A sure defect is held back while any holds: the request also asks for something, or says in its
    own words that it is an ask, or that what was delivered works as specified; nothing matched;
    change and new scope keep enough of the probability; or the headline speaks of what no accepted
    requirement holds; or only the repo's mix of requests makes it sure (`alone`: the request's own
    probability of a defect, when a mix re-weighed it)."""
    signals, prepared = weighed.signals, weighed.prepared
    why: list[str] = []
    asked = [p for kind in ("alter", "add", "ask") for p in signals.found.get(kind, ())]
    asked += [n.request.shown() for n in signals.numbers if n.stance in ("asked", "limit", "replace")]
    if asked:
        why.append("the request also asks for something (" + _phrases(asked, 3) + ")")
    if cues.TITLE_ASK.match(headline):
        why.append(f'its headline asks for something ("{_quote(headline, 60)}")')
    if prepared.feature_template:
        why.append("it is written on a feature-request template")
    said = cues.AS_SIGNED.search(prepared.own_cased)
    if said:
        why.append(f'it says that what was delivered works as specified ("{said.group(0)}")')
    if not why:
        # With no ask of its own, a request that says what the product shall do, the way a
        # requirement is written, may still ask for a change.
        shall = cues.SHALL_DO.search(prepared.own_cased)
        if shall is not None:
            why.append(f'the request says what the product "{shall.group(0)}", the way a requirement is written,'
                       " so it may ask for a change")
    if signals.headline_novel >= GUARD_HEADLINE_NOVEL:
        words = ", ".join(f'"{w}"' for w in _as_read(signals.headline_novel_words, weighed.prepared.own)[:4])
        why.append(f"no accepted requirement speaks of {words} in its headline, so what failed may never have been signed")
    if not weighed.matches:
        why.append("no requirement matches it")
    if paid >= GUARD_PAID:
        why.append(f"change and new scope together keep {paid:.2f} of the probability")
    if alone is not None and alone < GUARD_CONFIDENCE:
        why.append(f"only this repo's mix of requests makes it that sure (the request alone: defect at {alone:.2f})")
    return why


def _result(request: str, label: str, confidence: float, weighed: Weighed, reasons: tuple[str, ...],
            evidence: list[Evidence], probs: dict[str, float]) -> TriageResult:
    found = weighed.cues_as_read
    kinds = ("report", "repair", "ask", "alter", "add", "how-to", "own side fine", "customer's slip", "lapsed", "whose")
    cue_items = tuple((kind, tuple(found[kind])) for kind in kinds if found.get(kind))
    environment = tuple(words for _what, words in weighed.signals.environment)
    if environment:
        cue_items += (("environment", environment),)
    return TriageResult(request, label, max(0.0, min(1.0, round(confidence, 4))), tuple(weighed.matches), reasons,
                        cue_items, weighed.unknown, tuple(evidence), tuple((c, probs[c]) for c in MODEL_CLASSES))


def _quote(sentence: str, size: int = 160) -> str:
    sentence = " ".join(sentence.split())
    return sentence if len(sentence) <= size else sentence[: size - 1] + "…"


def _evidence(weighed: Weighed, index: BaselineIndex) -> list[Evidence]:
    signals = weighed.signals
    pairs = list(zip(weighed.prepared.sentences, weighed.sentence_terms, strict=True))
    found: list[Evidence] = []
    for match, position in list(zip(weighed.matches, weighed.positions, strict=True))[:2]:
        if found and match.score < weighed.matches[0].score - 0.15:
            break
        number = min((n for n in signals.numbers if n.requirement == match.id), key=_how_telling, default=None)
        pair = best_pair(pairs, position, index)
        if pair is None:
            continue
        request_sentence, signed_sentence = pair.request_sentence, pair.signed_sentence
        if number is not None and number.stance != "quotes":
            # The numbers compared are the evidence: quote the sentences they stand in, not the
            # pair that shares the most words ("要等 6 到 8 秒" beside "under 2 seconds", not the
            # sentences that share a weekday).
            requirement = index.requirement(position)
            request_sentence = _sentence_holding(weighed.prepared.sentences, weighed.prepared.own, number.request) or request_sentence
            signed_sentence = _sentence_holding(signed_sentences(requirement), signed_wording(requirement), number.signed) or signed_sentence
        if number is not None and _how_telling(number) == 0:
            relation = "asks to change"
        elif number is not None and _how_telling(number) == 1:
            relation = "contradicts"
        elif not match.accepted:
            relation = "asks for (not accepted)"
        else:
            relation = "meets"
        found.append(Evidence(_quote(request_sentence), match.id, _quote(signed_sentence), relation))
    return found


def _how_telling(number: NumberFinding) -> int:
    """Of a requirement's numbers compared, which one its evidence shows (lowest first): an ask to
    change the signed one (what the request wants is its point, whatever it reports beside), one it
    reports against the signed one, one within a signed span, a quote."""
    if number.stance == "seen":
        return 2 if number.request.same_as(number.signed) or number.request.within(number.signed) else 1
    return 0 if number.stance in ("asked", "limit", "replace") else 3


def _sentence_holding(sentences: Sequence[str], text: str, quantity: Quantity) -> str | None:
    """The sentence of `sentences` that holds `quantity`, found at its offset in `text` (the same
    words, lower case, lines joined): the one that holds the words around it, else the first that
    holds it as written."""
    around = " ".join(sentence_at(text, quantity.start).split()).strip(" \t-*•")
    plain = [" ".join(sentence.lower().split()) for sentence in sentences]
    for wanted in (around, " ".join(quantity.text.split())):
        for sentence, words in zip(sentences, plain, strict=True):
            if wanted and wanted in words:
                return sentence
    return None


# Each kind of cue found, and how a reason says it (in this order).
_ASK_REASONS = (
    ("report", "tells what happened"),
    ("repair", "asks for what was agreed to work"),
    ("alter", "asks to alter something"),
    ("add", "asks for something more"),
    ("ask", "asks or wishes"),
    ("how-to", "asks how to do something"),
)
_SIDE_REASONS = (
    ("customer's slip", "tells of a slip on the customer's side"),
    ("lapsed", "something of the customer's lapsed"),
    ("whose", "asks whose problem it is"),
)


def _cue_reasons(found: dict[str, Any], kinds: tuple[tuple[str, str], ...]) -> list[str]:
    return [f"{label}: {_phrases(found[kind])}" for kind, label in kinds if found.get(kind)]


def _reasons(weighed: Weighed, index: BaselineIndex, evidence: list[Evidence], claimed: str | None) -> tuple[str, ...]:
    signals = weighed.signals
    found = weighed.cues_as_read
    reasons: list[str] = []
    for item in evidence:
        status = "accepted" if index.is_accepted(index.by_id[item.requirement]) else (index.statuses[index.by_id[item.requirement]] or "not accepted")
        reasons.append(f'the request says "{item.request_sentence}"; {item.requirement} ({status}) says "{item.signed_sentence}"')
    for number in signals.numbers[:3]:
        mine, theirs = number.request.shown(), number.signed.shown()
        if number.stance == "asked":
            day = weekday_before(weighed.prepared.own, number.request.start) if number.request.dimension == "clock" else ""
            reasons.append(f"asks for {mine}{' on ' + day if day else ''}; {number.requirement} says {theirs}")
        elif number.stance == "seen" and number.request.within(number.signed):
            reasons.append(f"reports {mine}, within the {theirs} {number.requirement} says")
        elif number.stance == "seen":
            reasons.append(f"reports {mine}; {number.requirement} says {theirs}")
        elif number.stance == "limit":
            reasons.append(f"calls {mine} a limit, and {number.requirement} says {theirs}: the complaint is about the agreed rule itself")
        elif number.stance == "replace":
            reasons.append(f"asks to replace {mine} ({number.requirement} says {theirs})")
        else:
            reasons.append(f"quotes {mine}, as {number.requirement} says")
    if weighed.prepared.machine:
        reasons.append(f'pastes an error or log, evidence that something failed: "{_quote(weighed.prepared.machine[0], 100)}"')
    reasons += _cue_reasons(found, _ASK_REASONS)
    if weighed.features.get("question_only"):
        reasons.append("only asks a question, and reports no failure")
    if signals.environment:
        reasons.append("names the customer's own environment: " + "; ".join(f'{what} ("{words}")' for what, words in signals.environment))
    for _what, words, requirement in signals.suppressed:
        reasons.append(f'"{words}" is named by {requirement}: the signed platform, not the customer\'s environment')
    for _what, words, requirement in signals.excluded:
        reasons.append(f'"{words}" is named by {requirement} only to rule it out: the customer\'s own, not what was signed')
    reasons += _cue_reasons(found, _SIDE_REASONS)
    if weighed.prepared.forwarded:
        reasons.append("its own words are few: the forwarded message was read as the request")
    if found.get("own side fine"):
        reasons.append("rules the customer's side out: " + _phrases(found["own side fine"]))
    top = weighed.matches[0] if weighed.matches else None
    if top is not None and not top.accepted:
        status = index.statuses[index.by_id[top.id]] or "not accepted"
        reasons.append(f"{top.id} is {status} in this baseline, not accepted: asking for it is new scope")
    if signals.novel and signals.values.get("novel_share", 0) >= 0.3:
        reasons.append("no accepted requirement speaks of " + _phrases(_as_read(signals.novel, weighed.prepared.own), 6))
    if signals.foreign_names and signals.values.get("foreign_name_share", 0) >= 0.5:
        reasons.append("names components the baseline never names: " + _phrases(signals.foreign_names))
    if weighed.matches:
        accepted = next((m for m in weighed.matches if m.accepted), None)
        if accepted is not None:
            reasons.append(f"{accepted.id} holds {signals.coverage:.0%} of what the request speaks of")
    if weighed.unknown:
        reasons.append("refers to " + ", ".join(weighed.unknown) + ", not in this baseline")
    if claimed or weighed.prepared.bug_template or weighed.prepared.feature_template:
        framing = [claimed] if claimed else []
        if weighed.prepared.bug_template:
            framing.append("bug report template")
        if weighed.prepared.feature_template:
            framing.append("feature request template")
        reasons.append("the customer frames it as " + ", ".join(f'"{f}"' for f in dict.fromkeys(framing)) + " (how it is framed does not decide the class)")
    if not weighed.matches:
        reasons.append("no requirement of the baseline matches its words")
    return tuple(reasons)


_HAN_RUN = re.compile(f"[{HAN}]+")
_AFTER_A_NUMBER = re.compile(r"\d\s*$")


def _as_read(words: Sequence[str], own: str) -> list[str]:
    """Words as a person reads them in the request (`own`, as it was searched). A Chinese word the
    segmenter does not know comes out one character at a time ("工单" → 工, 单): such characters
    are shown as the run of Chinese they make up as written, when the whole run is made of them,
    and otherwise not at all (one character cut out of a longer run is a fragment); a unit after a
    number ("6 到 8 秒") is left to the numbers' reasons."""
    singles = {w for w in words if len(w) == 1 and _HAN_RUN.match(w)}
    if not singles:
        return list(words)
    whole_runs = {m.group(0) for m in _HAN_RUN.finditer(own) if set(m.group(0)) <= singles}
    shown: list[str] = []
    for word in words:
        if word not in singles:
            shown.append(word)
            continue
        places = [m.start() for m in re.finditer(re.escape(word), own)]
        if places and all(_AFTER_A_NUMBER.search(own[max(0, at - 3) : at]) for at in places):
            continue
        shown.extend(run for run in sorted(whole_runs, key=own.find) if word in run)
    return list(dict.fromkeys(shown))


def _in_whole_words(found: dict[str, list[str]], own: str) -> dict[str, list[str]]:
    """The cue phrases found, each widened to the Chinese words it cuts ("一直转" of 一直转圈 is
    shown "一直转圈"): a cue pattern may end inside a word, a reason may not."""
    return {kind: list(dict.fromkeys(_widened(phrase, own) for phrase in phrases)) for kind, phrases in found.items()}


def _widened(phrase: str, own: str) -> str:
    at = own.find(phrase.lower())
    if at < 0 or not (_HAN_RUN.match(phrase[0]) or _HAN_RUN.match(phrase[-1])):
        return phrase
    start, end = at, at + len(phrase)
    for run in _HAN_RUN.finditer(own):
        if run.end() <= start or run.start() >= end:
            continue
        edges, offset = [run.start()], run.start()
        for word in chinese_words(run.group(0)):
            offset += len(word)
            edges.append(offset)
        if run.start() <= start < run.end():
            start = max(edge for edge in edges if edge <= start)
        if run.start() < end <= run.end():
            end = min(edge for edge in edges if edge >= end)
    return own[start:end]


def _phrases(phrases: Sequence[str], limit: int = 4) -> str:
    return ", ".join(f'"{p}"' for p in list(dict.fromkeys(phrases))[:limit])
