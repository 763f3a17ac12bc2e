"""Stage 3: what a request is about, from the baseline's own text.

`BaselineIndex` is an inverted index over the baseline's requirements (title
counted twice, statement, acceptance criteria, tags; the rationale and the
children's titles at half weight), built once per baseline and cached by
triage_repo. A query ranks requirements by BM25, and the first few again by how
much of each one's title the request says; a requirement the request names by
id is strong evidence whatever the words. `best_pair` finds the request
sentence and the signed sentence that share the most, to quote them side by
side.
"""

from __future__ import annotations

import heapq
import marshal
import math
import re
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reqtrace.core.model import Requirement
from reqtrace.triage.prepare import Prepared, normalise, split_sentences
from reqtrace.triage.quantities import quantity_terms
from reqtrace.triage.words import Terms, glosses, terms_of

INDEX_FORMAT = 7  # bump when the index's content or the way it is built changes
ACCEPTED_STATUSES = ("approved", None)  # a `proposed` requirement was not agreed
# BM25's term saturation and length normalisation, and the weights below, were chosen inside the
# leave-one-domain-out loop on the matching figure (bench/bench_triage_about.py): every held-out
# domain chose the same values from the others.
_BM25_K1 = 2.0
_BM25_B = 0.9
NAMED_BOOST = 6.0  # BM25 points for a requirement the request names by id
CONTEXT_WEIGHT = 0.5  # a word of a requirement's rationale or of its children's titles, against one it says
HEADLINE_WEIGHT = 0.5  # added to a request's word that its headline (an issue's title, a subject) holds
# A word the request says n times weighs 1 + REPEAT_WEIGHT * ln(n) in the query: a tracker's issue tells
# what it is about again and again (the component it names in the title, the steps and the logs),
# while a word said once in passing weighs 1.
REPEAT_WEIGHT = 1.0
# The RERANK_DEPTH best by BM25 are ranked again, each score times 1 + TITLE_COVERAGE_GAIN * the share
# of its title the request says (each title word weighed by its rarity in the baseline). In a large
# specification told in shared words, a long requirement that holds many of the request's common
# words outscores the one whose title names the request's subject; the title is what its writer chose
# to call it.
TITLE_COVERAGE_GAIN = 1.0
RERANK_DEPTH = 20


def requirement_text(requirement: Requirement) -> str:
    """The words of a requirement that say what it means (title counted twice)."""
    return "\n".join([requirement.title, requirement.title, requirement.statement, *requirement.acceptance, " ".join(requirement.tags)])


def _record(requirement: Requirement) -> tuple[Any, ...]:
    return (requirement.id, requirement.title, requirement.statement, requirement.path, requirement.line,
            tuple(requirement.acceptance), requirement.priority, requirement.status, tuple(requirement.parents),
            tuple(requirement.tags), requirement.owner)


def _from_record(record: tuple[Any, ...]) -> Requirement:
    rid, title, statement, path, line, acceptance, priority, status, parents, tags, owner = record
    return Requirement(id=rid, title=title, statement=statement, path=path, line=line, acceptance=tuple(acceptance),
                       priority=priority, status=status, parents=tuple(parents), tags=tuple(tags), owner=owner)


def text_terms(text: str) -> dict[str, float]:
    """A text's matching terms: its words (with Chinese glosses) and its measured numbers."""
    lowered = normalise(text).lower()
    terms = dict(terms_of(lowered).weights)
    for term in quantity_terms(lowered):
        terms[term] = terms.get(term, 0.0) + 1.0
    return terms


class BaselineIndex:
    """An inverted index over a baseline's requirements, built once and queried many times.

    Each term's postings hold, per requirement, its BM25 contribution computed at
    build time, so a query only adds floats. It serialises to bytes (`to_bytes`)
    so that a baseline, which never changes, is indexed once.
    """

    def __init__(self, records: list[tuple[Any, ...]], postings: dict[str, Any], lengths: list[tuple[Any, ...]],
                 requirements: list[Requirement] | None = None) -> None:
        self._records = records
        self._postings = postings  # term -> (array of positions, array of impacts), or their bytes
        # Per requirement: its signed sentences with their terms, made at build time so that a query
        # in English never loads the Chinese segmenter for a baseline that holds Chinese.
        self._concept_sets = lengths
        self._requirements: dict[int, Requirement] = dict(enumerate(requirements)) if requirements else {}
        self.ids = [record[0] for record in records]
        self.by_id = {rid: i for i, rid in enumerate(self.ids)}
        self.statuses = [record[7] for record in records]
        self._accepted_vocabulary: frozenset[str] | None = None
        self._title_rarity: dict[int, tuple[tuple[str, float], ...]] = {}

    def __len__(self) -> int:
        return len(self._records)

    @classmethod
    def build(cls, requirements: Iterable[Requirement]) -> BaselineIndex:
        listed = list(requirements)
        counts: dict[str, list[tuple[int, float]]] = {}
        lengths = []
        sentences = []
        children = _children_titles(listed)
        for position, requirement in enumerate(listed):
            sentences.append(tuple((sentence, tuple(text_terms(sentence).items())) for sentence in signed_sentences(requirement)))
            terms = _weighed_terms(requirement, children)
            lengths.append(sum(terms.values()))
            for term, count in terms.items():
                counts.setdefault(term, []).append((position, count))
        total = len(listed)
        average = (sum(lengths) / total) if total else 1.0
        postings: dict[str, Any] = {}
        by_character = _holders_by_character(counts)
        for term, entries in counts.items():
            held = _held_with_glosses(term, entries, counts, by_character) if term.startswith("z:") else len(entries)
            idf = math.log(1 + (total - held + 0.5) / (held + 0.5))
            docs = array("i", (position for position, _ in entries))
            impacts = array("f", (
                idf * count * (_BM25_K1 + 1) / (count + _BM25_K1 * (1 - _BM25_B + _BM25_B * lengths[position] / average))
                for position, count in entries
            ))
            postings[term] = (docs, impacts)
        return cls([_record(r) for r in listed], postings, sentences, listed)

    def to_bytes(self) -> bytes:
        postings = {term: (docs.tobytes(), impacts.tobytes()) for term, (docs, impacts) in ((t, self._arrays(t)) for t in self._postings)}
        return marshal.dumps((INDEX_FORMAT, self._records, postings, self._concept_sets))

    @classmethod
    def from_bytes(cls, data: bytes) -> BaselineIndex:
        """The index `to_bytes` wrote; ValueError when the bytes are not one (of this format)."""
        try:
            version, records, postings, lengths = marshal.loads(data)  # noqa: S302 - our own cache, sealed and checked
        except (EOFError, ValueError, TypeError) as exc:
            raise ValueError(f"not a triage index: {exc}") from None
        if version != INDEX_FORMAT:
            raise ValueError(f"triage index format {version}, expected {INDEX_FORMAT}")
        return cls(records, postings, lengths)

    def _arrays(self, term: str) -> tuple[array[int], array[float]]:
        entry = self._postings[term]
        if isinstance(entry[0], bytes):  # decoded on first use: most terms are never asked for
            docs, impacts = array("i"), array("f")
            docs.frombytes(entry[0])
            impacts.frombytes(entry[1])
            entry = self._postings[term] = (docs, impacts)
        return entry  # type: ignore[no-any-return]

    def requirement(self, position: int) -> Requirement:
        found = self._requirements.get(position)
        if found is None:
            found = self._requirements[position] = _from_record(self._records[position])
        return found

    def get(self, requirement_id: str) -> Requirement | None:
        position = self.by_id.get(requirement_id)
        return None if position is None else self.requirement(position)

    def sentences(self, position: int) -> list[tuple[str, dict[str, float]]]:
        """The signed sentences of a requirement with their terms (title, statement, each criterion)."""
        signed = signed_sentences(self.requirement(position))
        try:
            cached = [(sentence, dict(terms)) for sentence, terms in self._concept_sets[position]]
        except (TypeError, ValueError):
            cached = []
        # The cache is a hint: what is quoted as signed must be the requirement's own text (which
        # triage_repo checks against git), else the sentences are made again from it.
        if [sentence for sentence, _ in cached] != signed:
            cached = [(sentence, text_terms(sentence)) for sentence in signed]
        return cached

    def is_accepted(self, position: int) -> bool:
        return self.statuses[position] in ACCEPTED_STATUSES

    def idf(self, term: str) -> float:
        """How rare a term is in the baseline; a term no requirement has counts as the rarest."""
        size = len(self._records)
        held = len(self._arrays(term)[0]) if term in self._postings else 0
        return math.log(1 + (size - held + 0.5) / (held + 0.5))

    def holds(self, term: str, position: int) -> bool:
        if term not in self._postings:
            return False
        docs = self._arrays(term)[0]
        found = bisect_left(docs, position)
        return found < len(docs) and docs[found] == position

    def in_accepted(self, term: str) -> bool:
        """Whether any accepted requirement holds the term."""
        if term not in self._postings:
            return False
        return any(self.statuses[p] in ACCEPTED_STATUSES for p in self._arrays(term)[0])

    def search(self, query: dict[str, float], limit: int = 5) -> list[tuple[int, float, list[str]]]:
        """Top requirements: (position, score, the query's terms that met it).

        The score is BM25, and for the RERANK_DEPTH best, BM25 times 1 + TITLE_COVERAGE_GAIN
        times the share of the title the query holds (`title_coverage`). Rare terms are added
        first, posting by posting; a common term (in more than 2% of a large baseline) then
        only raises requirements rarer terms found.
        """
        present = [t for t in query if t in self._postings]
        arrays = {t: self._arrays(t) for t in present}
        present.sort(key=lambda t: len(arrays[t][0]))
        common = max(64, len(self._records) // 50)
        scores: dict[int, float] = {}
        for term in present:
            docs, impacts = arrays[term]
            weight = query[term]
            if len(docs) <= common or len(scores) < 4 * limit:
                get = scores.get
                for position, impact in zip(docs, impacts, strict=True):
                    scores[position] = get(position, 0.0) + impact * weight
            else:
                gains = dict(zip(docs, impacts, strict=True))
                for position in [p for p in scores if p in gains]:
                    scores[position] += gains[position] * weight
        if TITLE_COVERAGE_GAIN:
            for position in heapq.nlargest(max(RERANK_DEPTH, limit), sorted(scores), key=scores.__getitem__):
                scores[position] *= 1.0 + TITLE_COVERAGE_GAIN * self.title_coverage(position, query)
        best = heapq.nlargest(limit, sorted(scores), key=scores.__getitem__)
        return [(position, scores[position], [t for t in present if self.holds(t, position)]) for position in best]

    def title_coverage(self, position: int, query: dict[str, float]) -> float:
        """The share of a requirement's title that the query holds, each title word weighed by its
        rarity in the baseline (0 for a title of no words)."""
        rarity = self._title_rarity.get(position)
        if rarity is None:
            rarity = self._title_rarity[position] = tuple(
                (term, self.idf(term)) for term in self._title_terms(position) if not term.startswith("n:"))
        total = sum(weight for _, weight in rarity)
        return sum(weight for term, weight in rarity if term in query) / total if total else 0.0

    def _title_terms(self, position: int) -> dict[str, float]:
        """A requirement's title as terms: those made at build time when they are the title's, else made now."""
        title = self._records[position][1].strip()
        try:
            sentence, terms = self._concept_sets[position][0]
            if sentence == title:
                return dict(terms)
        except (IndexError, TypeError, ValueError):
            pass  # a title of no words, or sentences that are not what build made: make the terms again
        return text_terms(title) if title else {}


def _held_with_glosses(term: str, entries: list[tuple[int, float]], counts: dict[str, list[tuple[int, float]]],
                       by_character: dict[str, set[int]]) -> int:
    """How many requirements hold a Chinese word or one of its English glosses.

    A baseline written mostly in English with a few requirements in Chinese holds each Chinese word
    in those few only: by its own count 预约 would be as rare as a word said once, and every Chinese
    request that speaks of booking would rank first the one Chinese requirement that says 预约
    (in the worked example, one requirement was the first match of a quarter of its requests).
    A word is as rare as what it means: counted with the requirements that say it in English, it
    weighs what "book" weighs. (Its English glosses already count the Chinese requirements, since
    a Chinese word brings them.) A word of one character has no gloss (too many senses): it is as
    common as the longer words that hold it (约 in 预约, 改约).
    """
    word = term[2:]
    holders = {position for position, _ in entries}
    for gloss in glosses(word):
        holders.update(position for position, _ in counts.get("w:" + gloss, ()))
    if len(word) == 1:
        holders |= by_character.get(word, set())
    return len(holders)


def _holders_by_character(counts: dict[str, list[tuple[int, float]]]) -> dict[str, set[int]]:
    """Per Chinese character: the requirements holding a Chinese word of two or more characters with it."""
    found: dict[str, set[int]] = {}
    for term, entries in counts.items():
        if term.startswith("z:") and len(term) > 3:
            positions = {position for position, _ in entries}
            for character in set(term[2:]):
                found.setdefault(character, set()).update(positions)
    return found


def _children_titles(requirements: list[Requirement]) -> dict[str, list[str]]:
    """Per requirement id: the titles of its children in this baseline (what it is about, told in parts)."""
    known = {r.id for r in requirements}
    found: dict[str, list[str]] = {}
    for requirement in requirements:
        for parent_id in requirement.parents:
            if parent_id in known and parent_id != requirement.id:
                found.setdefault(parent_id, []).append(requirement.title)
    return found


def _weighed_terms(requirement: Requirement, children: dict[str, list[str]]) -> dict[str, float]:
    """A requirement's terms: those of what it says (`requirement_text`), and, at CONTEXT_WEIGHT, those
    of its rationale and of its children's titles. Both are the baseline's own words for the same thing;
    the signed sentences quoted as evidence stay the requirement's title, statement and criteria."""
    terms = text_terms(requirement_text(requirement))
    for text in [requirement.rationale or "", *children.get(requirement.id, ())] if CONTEXT_WEIGHT else ():
        if text.strip():
            for term, count in text_terms(text).items():
                terms[term] = terms.get(term, 0.0) + count * CONTEXT_WEIGHT
    return terms


def has_headline(prepared: Prepared) -> bool:
    """Whether the request opens with a title: a first line of its own that ends without a full stop,
    as an issue's or a mail's subject does."""
    if not prepared.sentences:
        return False
    first = prepared.sentences[0]
    return prepared.own_cased.startswith(first + "\n") and not re.search(r"[.!?。！？:：,，]$", first)


def request_query(prepared: Prepared) -> tuple[Terms, dict[str, float]]:
    """The request's terms, and the query that ranks the baseline by them: each word of its own
    1 + REPEAT_WEIGHT * ln(times said) (a gloss at half), half again when its headline holds it (an
    issue says in its title what it is about; its body tells a story in many more words), and its
    measured numbers."""
    terms = terms_of(prepared.own)
    query = {term: min(1.0, weight) + (REPEAT_WEIGHT * math.log(weight) if weight > 1.0 else 0.0)
             for term, weight in terms.weights.items()}
    if HEADLINE_WEIGHT and has_headline(prepared):
        for term, weight in terms_of(prepared.sentences[0].lower()).weights.items():
            if term in query:
                query[term] += HEADLINE_WEIGHT * min(1.0, weight)
    for term in quantity_terms(prepared.own):
        query[term] = 1.0
    return terms, query


@dataclass(frozen=True)
class SentencePair:
    request_sentence: str
    signed_sentence: str
    shared: tuple[str, ...]  # the words they share, as the request wrote them
    weight: float


def signed_sentences(requirement: Requirement) -> list[str]:
    """The sentences of what was signed: title, statement and each acceptance criterion."""
    found = [requirement.title.strip()] if requirement.title.strip() else []
    found.extend(split_sentences(requirement.statement))
    found.extend(c.strip() for c in requirement.acceptance if c.strip())
    return found


def signed_wording(requirement: Requirement) -> str:
    """What was signed as one lower-case text: where the numbers a request is read against stand
    (a quantity's offsets are offsets in it)."""
    return (requirement.title + "\n" + requirement.statement + "\n" + "\n".join(requirement.acceptance)).lower()


def best_pair(sentences: Iterable[tuple[str, Terms]], position: int, index: BaselineIndex) -> SentencePair | None:
    """The (request sentence, signed sentence) that share the most rare words."""
    signed = index.sentences(position)
    best: SentencePair | None = None
    for sentence, terms in sentences:
        for signed_sentence, signed_terms in signed:
            shared = [t for t in terms.weights if t in signed_terms]
            if not shared:
                continue
            weight = sum(index.idf(t) * min(1.0, terms.weights[t]) for t in shared)
            if best is None or weight > best.weight:
                shown = tuple(dict.fromkeys(terms.surfaces.get(t) or terms.bridged.get(t, t[2:]) for t in shared))
                best = SentencePair(sentence, signed_sentence, shown, weight)
    return best
