"""Stage 4: signals that do not depend on a domain, each with the words that show it.

From the prepared request and its matches: does it report what happened or ask
for what should be; does a number in it contradict the matched requirement's;
is what it speaks of held by an accepted requirement, only by a proposed one,
or by none; is it a how-to question; does it name the customer's own
environment (unless the matched signed requirement names the same thing, which
makes it the signed platform). The learned layer weighs them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from reqtrace.core.model import Requirement
from reqtrace.triage import cues
from reqtrace.triage.index import BaselineIndex, requirement_text, signed_wording
from reqtrace.triage.prepare import REQUIREMENT_ID, Prepared
from reqtrace.triage.quantities import COMPARED, Quantity, quantities
from reqtrace.triage.words import Terms, terms_of


@dataclass(frozen=True)
class NumberFinding:
    request: Quantity
    signed: Quantity
    requirement: str
    stance: str  # 'asked', 'seen', 'limit' (calls the signed number a limit), 'replace', 'quotes'


@dataclass
class Signals:
    values: dict[str, float] = field(default_factory=dict)
    found: dict[str, list[str]] = field(default_factory=dict)  # kind -> phrases as written
    numbers: list[NumberFinding] = field(default_factory=list)
    environment: list[tuple[str, str]] = field(default_factory=list)  # (what, the words used)
    suppressed: list[tuple[str, str, str]] = field(default_factory=list)  # (what, words, requirement naming it)
    excluded: list[tuple[str, str, str]] = field(default_factory=list)  # (what, words, requirement ruling it out)
    novel: list[str] = field(default_factory=list)  # request words no accepted requirement holds
    coverage: float = 0.0
    headline_novel: float = 0.0  # share of the headline's words no accepted requirement holds
    headline_novel_words: list[str] = field(default_factory=list)
    foreign_names: list[str] = field(default_factory=list)  # code-like names the baseline never uses

    def note(self, kind: str, phrase: str) -> None:
        phrase = phrase.strip()
        if phrase and phrase not in self.found.setdefault(kind, []):
            self.found[kind].append(phrase)


def _find(pattern: re.Pattern[str], sentences: tuple[str, ...], signals: Signals, kind: str) -> int:
    count = 0
    for sentence in sentences:
        for match in pattern.finditer(sentence):
            signals.note(kind, match.group(0))
            count += 1
    return count


def _sentence_kinds(sentences: tuple[str, ...]) -> tuple[int, int, int, int]:
    """(statements, questions, sentences with a modal or wish, sentences in the past)."""
    statements = questions = modal = past = 0
    for sentence in sentences:
        if cues.QUESTION.search(sentence):
            questions += 1
        else:
            statements += 1
        if cues.MODAL_EN.search(sentence) or cues.MODAL_ZH.search(sentence):
            modal += 1
        if cues.PAST_EN.search(sentence) or cues.PAST_ZH.search(sentence):
            past += 1
    return statements, questions, modal, past


def _without_told(sentence: str) -> str:
    """The sentence less what it tells rather than asks: an agreed rule recalled, a change already made."""
    return cues.CHANGE_MADE.sub(" ", cues.RECALLED_RULE.sub(" ", sentence))


def _log(value: float) -> float:
    return math.log1p(max(0.0, value))


def find_signals(prepared: Prepared, terms: Terms, sentence_terms: list[Terms], index: BaselineIndex,
                 matches: list[tuple[int, float]], named: list[str]) -> Signals:
    """The signals of one request; `matches` are (position, relevance) best first."""
    signals = Signals()
    values = signals.values
    sentences = tuple(s.lower() for s in prepared.sentences) or (prepared.own,)
    report = _find(cues.REPORT_EN, sentences, signals, "report") + _find(cues.REPORT_ZH, sentences, signals, "report")
    # The agreed rule a customer recalls ("不是说最多只能约两个吗") and a change someone already made
    # ("把语言改成英文了") ask for nothing and alter nothing.
    asking = tuple(_without_told(s) for s in sentences)
    ask = _find(cues.ASK_EN, asking, signals, "ask") + _find(cues.ASK_ZH, asking, signals, "ask")
    alter = _find(cues.ALTER_EN, asking, signals, "alter") + _find(cues.ALTER_ZH, asking, signals, "alter")
    add = _find(cues.ADD_EN, asking, signals, "add") + _find(cues.ADD_ZH, asking, signals, "add")
    repair = _find(cues.REPAIR_EN, sentences, signals, "repair") + _find(cues.REPAIR_ZH, sentences, signals, "repair")
    how_to = _find(cues.HOW_TO_EN, sentences, signals, "how-to") + _find(cues.HOW_TO_ZH, sentences, signals, "how-to")
    own_side = _find(cues.OWN_SIDE_FINE, sentences, signals, "own side fine")
    slip = _find(cues.USER_SLIP, sentences, signals, "customer's slip")
    lapsed = _find(cues.LAPSED, sentences, signals, "lapsed")
    whose = _find(cues.WHOSE_QUESTION, sentences, signals, "whose")
    statements, questions, modal, past = _sentence_kinds(sentences)
    count = max(1, len(sentences))
    values.update({
        "report": _log(report), "ask": _log(ask), "alter": _log(alter), "add": _log(add), "repair": _log(repair),
        "how_to": _log(how_to), "own_side_fine": 1.0 if own_side else 0.0,
        "slip": _log(slip), "lapsed": _log(lapsed), "whose": _log(whose), "forwarded": float(prepared.forwarded),
        "question_share": questions / count, "modal_share": modal / count, "past_share": past / count,
        "statements": _log(statements), "sentences": _log(count),
        "machine_output": _log(len(prepared.machine)), "bug_template": float(prepared.bug_template),
        "feature_template": float(prepared.feature_template), "han": prepared.han_share,
        "length": _log(len(prepared.own)) / 8.0,
    })

    # What it is about: the best match, whether it was accepted, how much of the request it holds.
    top = matches[0] if matches else None
    accepted = [(p, r) for p, r in matches if index.is_accepted(p)]
    values["relevance"] = top[1] if top else 0.0
    values["relevance_second"] = matches[1][1] if len(matches) > 1 else 0.0
    values["top_accepted"] = 1.0 if top and index.is_accepted(top[0]) else 0.0
    values["top_proposed"] = 1.0 if top and not index.is_accepted(top[0]) else 0.0
    values["proposed_lead"] = max(0.0, top[1] - (accepted[0][1] if accepted else 0.0)) if top and not index.is_accepted(top[0]) else 0.0
    values["accepted_relevance"] = accepted[0][1] if accepted else 0.0
    values["named_accepted"] = 1.0 if any(index.by_id.get(n) is not None and index.is_accepted(index.by_id[n]) for n in named) else 0.0
    values["named_proposed"] = 1.0 if any(index.by_id.get(n) is not None and not index.is_accepted(index.by_id[n]) for n in named) else 0.0
    # The words that told a failure, an ask or a how-to, and requirement ids, say what kind of request it
    # is, not what it is about: they are not things the baseline could hold.
    told = _told_words(signals.found)
    coverage, novel_share, novel = _coverage(terms, index, accepted[0][0] if accepted else None, told)
    # Names of people and places (written capitalised, never in lower case) are not things asked for.
    names = {w.lower() for w in re.findall(r"\b[A-Z][a-z]+\b", prepared.own_cased)} - set(re.findall(r"\b[a-z]+\b", prepared.own_cased))
    novel = [w for w in novel if w not in names]
    signals.coverage = coverage
    signals.novel = novel
    values["coverage"] = coverage
    values["novel_share"] = novel_share
    # Another product, a platform or a dependency is named the way code is ("fprime-gds", `osal`,
    # Os::Queue); the product's own components are named in its baseline.
    signals.foreign_names = _foreign_names(prepared.names, index)
    values["foreign_names"] = _log(len(signals.foreign_names))
    values["foreign_name_share"] = len(signals.foreign_names) / len(prepared.names) if prepared.names else 0.0
    # The headline names the thing the issue is about: when no accepted requirement holds its words,
    # the thing may never have been signed ("An SSE consumer cannot tell what it lost"). Not a feature
    # (as one it lowered the held-out figures); the costly-mistake guard reads it (classify.py).
    if prepared.sentences:
        _held, signals.headline_novel, signals.headline_novel_words = _coverage(
            _headline_terms(prepared.sentences[0], index), index, None, names_read=True)
    # The sentence closest to the best accepted match: a long story often holds one sentence that is the point.
    best_sentence = 0.0
    if accepted:
        for sentence in sentence_terms:
            if len([t for t in sentence.weights if t not in sentence.bridged]) >= 3:
                best_sentence = max(best_sentence, _coverage(sentence, index, accepted[0][0], told)[0])
    values["sentence_coverage"] = best_sentence
    values["ask_sentence_covered"] = min(1.0, values["ask"] + values["alter"] + values["add"]) * best_sentence

    # The customer's environment, unless the matched signed requirement names it.
    leading = [index.requirement(p) for p, r in matches[:3] if top and r >= top[1] - 0.15]
    leading_text = " ".join(requirement_text(r) for r in leading).lower()
    for name, pattern in cues.ENVIRONMENT_RE:
        hits = [m.group(0) for s in sentences for m in pattern.finditer(s)]
        if not hits:
            continue
        if pattern.search(leading_text):
            naming = [r for r in leading if pattern.search(requirement_text(r).lower())]
            if all(_only_excluded(pattern, requirement_text(r).lower()) for r in naming):
                # The signed text names it only to rule it out ("no special printer is needed"):
                # the thing is the customer's, not the signed platform.
                signals.excluded.append((name, hits[0], naming[0].id))
                signals.environment.append((name, hits[0]))
                continue
            signals.suppressed.append((name, hits[0], naming[0].id if naming else ""))
            continue
        signals.environment.append((name, hits[0]))
    values["environment"] = _log(len(signals.environment))
    values["environment_suppressed"] = _log(len(signals.suppressed))

    # Numbers against the matched accepted requirements' numbers.
    _weigh_numbers(prepared, [index.requirement(p) for p, _ in accepted[:3]], signals)
    stances = [n.stance for n in signals.numbers]
    values["number_asked"] = 1.0 if "asked" in stances else 0.0
    values["number_seen"] = 1.0 if "seen" in stances else 0.0
    values["number_limit"] = 1.0 if "limit" in stances else 0.0
    values["number_replace"] = 1.0 if "replace" in stances else 0.0
    values["number_quotes"] = 1.0 if "quotes" in stances else 0.0

    # Interactions a linear model cannot make: an ask weighs as a change when an accepted
    # requirement holds what it speaks of, as new scope when none does.
    asks = min(1.0, values["ask"] + values["alter"] + values["add"])
    values["ask_covered"] = asks * coverage
    values["ask_uncovered"] = asks * (1.0 - coverage)
    values["report_relevant"] = min(1.0, values["report"]) * values["accepted_relevance"]
    values["question_only"] = 1.0 if questions and not statements else 0.0
    return signals


# How a headline tells a failure or an ask: no requirement holds these words, whatever it is about.
_KIND_CUES = (cues.REPORT_EN, cues.REPORT_ZH, cues.ASK_EN, cues.ASK_ZH, cues.ALTER_EN, cues.ALTER_ZH, cues.ADD_EN,
              cues.ADD_ZH, cues.REPAIR_EN, cues.REPAIR_ZH, cues.TITLE_ASK)


def _headline_terms(headline: str, index: BaselineIndex) -> Terms:
    """The terms of what a headline is about: its words less those that tell a failure or an ask,
    and less the references it names (a requirement id or a record's number is no word of a
    requirement's text); a name of the same shape (UTF-8, SHA-256, BT-300) stays a word."""
    text = REQUIREMENT_ID.sub(lambda found: " " if _is_reference(found.group(0), index) else found.group(0), headline).lower()
    for pattern in _KIND_CUES:
        text = pattern.sub(" ", text)
    return terms_of(text)


# A record's number (a claim, an order, a ticket, a date-stamped id: a group of four digits or more)
# names one case of the customer's, never a thing a requirement could hold.
_RECORD_NUMBER = re.compile(r"[0-9]{4}")


@lru_cache(maxsize=4)
def _id_prefixes(index: BaselineIndex) -> frozenset[str]:
    return frozenset(rid.rsplit("-", 1)[0].lower() for rid in index.ids)


def _is_reference(word: str, index: BaselineIndex) -> bool:
    """Whether a word shaped like an id refers to something (one of the baseline's ids or of its kind,
    a record's number) rather than names a thing: UTF-8, SHA-256 and BT-300 name things."""
    return word.rsplit("-", 1)[0].lower() in _id_prefixes(index) or bool(_RECORD_NUMBER.search(word))


_NAME_PART = re.compile(r"[A-Za-z][a-z]+|[A-Z]+(?![a-z])|[a-z]+")


@lru_cache(maxsize=4)
def _baseline_vocabulary(index: BaselineIndex) -> tuple[str, frozenset[str]]:
    """The baseline's text in lower case, and its words as written (every status: a proposed
    requirement names the product's things too)."""
    text = "\n".join(requirement_text(index.requirement(p)) for p in range(len(index))).lower()
    return text, frozenset(re.findall(r"[a-z][a-z0-9]+", text))


def _foreign_names(names: tuple[str, ...], index: BaselineIndex) -> list[str]:
    """The names the baseline never uses: not written in it as they are, and not every word of them (of
    three letters or more, camelCase and snake_case split) a word of it."""
    text, words = _baseline_vocabulary(index)
    foreign = []
    for name in names:
        if name.lower() in text:
            continue
        parts = [p.lower() for p in _NAME_PART.findall(name) if len(p) >= 3]
        if not parts or not all(p in words or p.rstrip("s") in words for p in parts):
            foreign.append(name)
    return foreign


def _only_excluded(pattern: re.Pattern[str], signed: str) -> bool:
    """Whether every mention of an environment thing in a signed text rules it out ("no special printer
    or driver is needed", "without a VPN", 无需打印机)."""
    mentions = list(pattern.finditer(signed))
    return bool(mentions) and all(
        cues.EXCLUDED_BEFORE.search(signed[max(0, m.start() - 40) : m.start()]) or cues.EXCLUDED_AFTER.match(signed[m.end() : m.end() + 40])
        for m in mentions)


_ID_WORD = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*[-_][0-9]+")


def _told_words(found: dict[str, list[str]]) -> tuple[frozenset[str], str]:
    """The English words of the cue phrases found, and those phrases joined (Chinese words are looked up inside)."""
    phrases = [p.lower() for values in found.values() for p in values]
    return frozenset(w for p in phrases for w in re.findall(r"[a-z']+", p)), " ".join(phrases)


def _coverage(terms: Terms, index: BaselineIndex, position: int | None,
              told: tuple[frozenset[str], str] = (frozenset(), ""), names_read: bool = False) -> tuple[float, float, list[str]]:
    """(share of the request's words the best accepted match holds, share no accepted requirement holds,
    those words as written), each word weighed by its rarity in the baseline. A word shaped like an id
    is left out, or with `names_read` only when it refers to something (`_is_reference`)."""
    total = held = novel = 0.0
    novel_words: list[str] = []
    for term in terms.weights:
        if term in terms.bridged or term.startswith("n:"):
            continue  # a gloss stands in for its Chinese word, counted there
        surface = terms.surfaces.get(term, term[2:]).lower()
        if (_ID_WORD.fullmatch(surface) and (not names_read or _is_reference(surface, index))) or surface in told[0] or (not surface.isascii() and surface in told[1]):
            continue
        weight = index.idf(term)
        glossed = [t for t, source in terms.bridged.items() if source == terms.surfaces.get(term)]
        total += weight
        if position is not None and (index.holds(term, position) or any(index.holds(g, position) for g in glossed)):
            held += weight
        if not (index.in_accepted(term) or any(index.in_accepted(g) for g in glossed)):
            novel += weight
            novel_words.append(terms.surfaces.get(term, term[2:]))
    if not total:
        return 0.0, 0.0, []
    return held / total, novel / total, novel_words


def _weigh_numbers(prepared: Prepared, candidates: list[Requirement], signals: Signals) -> None:
    text = prepared.own
    asked = [q for q in quantities(text) if q.dimension in COMPARED]
    if not asked or not candidates:
        return
    for requirement in candidates:
        signed = quantities(signed_wording(requirement))
        kins = [[q for q in signed if mine.comparable(q)] for mine in asked]
        if not any(kins):
            continue
        # A signed number the request itself quotes is the rule its other numbers of that kind are
        # read against ("合同里写的是 2 秒以内" beside "6 到 8 秒"), before the nearest one.
        quoted = [q for mine, kin in zip(asked, kins, strict=True) for q in kin if mine.same_as(q)]
        for mine, kin in zip(asked, kins, strict=True):
            if not kin:
                continue
            if mine.is_span and any(q.is_span for q in kin):
                kin = [q for q in kin if q.is_span]  # a span is read against a signed span, endpoint by endpoint
            before = text[max(0, mine.start - 24) : mine.start]
            sentence = sentence_at(text, mine.start)
            equal = next((q for q in kin if mine.same_as(q)), None)
            if equal is not None:
                if cues.LIMIT_BEFORE.search(before):
                    stance = "limit"
                elif cues.REPLACE_BEFORE.search(before):
                    stance = "replace"
                else:
                    stance = "quotes"
                signals.numbers.append(NumberFinding(mine, equal, requirement.id, stance))
                continue
            sentence_asks = any(pattern.search(_without_told(sentence)) for pattern in _ASKING_SENTENCE)
            if mine.dimension in ("clock", "weekday") and not cues.ASKED_BEFORE.search(before) \
                    and not (mine.is_span and sentence_asks):
                # "at 07:45", "8 点到 9 点" tell when it happened far more often than a rule; a span of
                # hours or days in a sentence that asks or alters ("周六改为只上午开诊 08:00-12:00") is one
                continue
            if cues.ASKED_BEFORE.search(before) and not cues.SEEN_BEFORE.search(before):
                stance = "asked"
            elif cues.SEEN_BEFORE.search(before):
                stance = "seen"
            elif sentence_asks:
                # a number in a sentence that asks, alters or adds ("Add: keep it for 90 days") is asked for
                stance = "asked"
            else:
                stance = "seen"
            rule = min(kin, key=lambda q: (q not in quoted, mine.distance(q)))
            signals.numbers.append(NumberFinding(mine, rule, requirement.id, stance))
        return  # the best matched requirement that speaks in the same units


# A sentence that asks, alters or adds: its number is asked for. The ask cues count too: "is it possible to
# have the code valid for 10 minutes?", "any chance of 60 days?" ask as much as a modal does.
_ASKING_SENTENCE = (cues.MODAL_EN, cues.MODAL_ZH, cues.ASK_EN, cues.ASK_ZH, cues.ALTER_EN, cues.ALTER_ZH, cues.ADD_EN, cues.ADD_ZH)


def sentence_at(text: str, position: int) -> str:
    ends = ".!?;。！？；\n"
    start = max((text.rfind(mark, 0, position) for mark in ends), default=-1) + 1
    stops = [found for found in (text.find(mark, position) for mark in ends) if found >= 0]
    return text[start : min(stops, default=len(text))]
