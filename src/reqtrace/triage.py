"""Triage: is a post-delivery request a defect, a change, new scope, or not ours?

`classify_request(text, requirements)` is pure: it reads no file and no git.
It indexes the baseline's requirements once (`BaselineIndex`, an inverted index
of English stems, Chinese character bigrams and bilingual concepts), finds the
requirements the request is about (BM25), compares the numbers of the request
with those of the requirements it matched (units across languages), weighs cue
phrases for each class, and returns the class with the evidence behind it.

The rules find the evidence and print it as reasons a person can read and
dispute; since round 4 a small learned layer (`triage_model.py`) weighs that
evidence into a class and a calibrated confidence, and when it is unsure it
says `needs-review` instead of guessing (`learned=False` gives the rules' own
verdict). docs/triage.md describes how it works, how well it does across
authors, and where it fails.
"""

from __future__ import annotations

import heapq
import marshal
import math
import re
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .model import Requirement

if TYPE_CHECKING:
    from .precedent import Precedent
from .triage_lexicon import (
    ASK_CUES,
    ASK_MARKERS,
    CAUSE_FOUND,
    CHANGE_CUES,
    CLAIM_CUES,
    DEFECT_CUES,
    ENVIRONMENT_LABELS,
    LIMIT_MARKERS,
    NEW_SCOPE_CUES,
    OUT_OF_SCOPE_CUES,
    OWN_SIDE_FINE,
    POLITE_ASKS,
    REPAIR_CUES,
    REPLACE_MARKERS,
    REPORT_MARKERS,
    SECONDARY_MARKERS,
    STOPWORDS,
    VAGUE_CUES,
    WISH_CUES,
)
from .wording import (
    Lexicon,
    Quantity,
    Words,
    bare_numbers,
    compile_forms,
    concept_lexicon,
    find_phrases,
    normalise,
    quantities,
    quantity_terms,
    split_words,
    stem,
    words_of,
)

DEFECT = "defect"
CHANGE = "change"
NEW_SCOPE = "new-scope"
OUT_OF_SCOPE = "out-of-scope"
NEEDS_REVIEW = "needs-review"
CLASSES = (DEFECT, CHANGE, NEW_SCOPE, OUT_OF_SCOPE, NEEDS_REVIEW)
DIVERGING = (CHANGE, NEW_SCOPE)

# Statuses whose requirements count as accepted in a baseline. A `proposed`
# requirement was not agreed: asking for it is new scope, not a defect.
ACCEPTED_STATUSES = ("approved", None)

_ENVIRONMENT_CONCEPTS = frozenset({"printer", "network", "device", "computer", "officeapp", "carrier", "account3p",
                                   "phonefilter", "power", "browserlocal", "chatgroup",
                                   "otherbrowser", "ownphone", "oldsoftware"})
# Dimensions whose numbers are rules worth comparing; plain counts ("two patients") are too loose.
_COMPARED_DIMENSIONS = frozenset({"time", "characters", "times", "percent", "money", "clock", "size"})
_SOFT_ENVIRONMENT = frozenset({"computer", "officeapp"})
_GENERIC_CONCEPTS = frozenset({"patient", "page", "doctor", "frontdesk"})
_SECONDARY_WEIGHT = 0.4
_NAMED_BOOST = 4.0  # BM25 points for a requirement the request names by id
_TERM_WEIGHT = {"w": 1.0, "c": 0.6, "k": 1.2, "n": 1.0}
_ID_IN_TEXT = re.compile(r"\b([A-Z][A-Z0-9]*-[0-9]+)\b")
# A question that asks for something: "Could we …?", 能不能……？; a bare 可以 only in its own clause
# and not after 还是/也/都 ("还是可以预约" reports that booking is still possible).
_QUESTION_ASK = re.compile(r"(?:^|[.!?。！？\n]\s*)(?:can|could|would|is it possible)\b[^.!?。！？]*\?"
                           r"|(?:能不能|能否|可不可以)[^。！？?]*[？?]|(?<![还是也都就才])可以[^。！？?，,]*[吗？?]")
# "How do patients switch …?", "how can the front desk …", "where should we …": how-to questions,
# whoever does it; not "how is that possible" or "how long does it take".
_HOW_TO_EN = re.compile(r"\b(?:how (?:do|does|can|could|should|would|to|shall)|where (?:do|can|could|should|would|shall|is|are))\b"
                        r"(?! you expect| it happen| this happen| that happen| it be possible| that be)")
# Someone wanting something: "patients want …", "the doctors would appreciate …", 医生想…, 病人希望….
_WANTING = re.compile(
    r"\b(?:(?:the |our )?(?:patients?|doctors?|staff|nurses?|director|front desk|clinic|receptionists?|accountant|manager)|we|they|everyone|people|dr\.? \w+)"
    r"\s+(?:would |really |also |all |still )?(?:want|wants|would like|would love|would appreciate|are asking for|keep asking for"
    r"|keep asking (?:whether|if)|are asking (?:whether|if)|have asked (?:whether|if))\b"
    r"(?! to know| to ask| to check| to understand| to meet| to talk| to discuss| to see you| to call| a call| a meeting)"
    r"|(?:医生|病人|患者|院长|我们|前台|护士|大家|家长|会计|老人)(?:们)?(?:都|也|很|还|一直)?(?:想|希望|要求|想要)(?!知道|问|了解|确认|取消|登录|注册|打电话|找|见面|聊|谈|开会)")
# 怎么 asks how, except in 怎么回事 ("what is going on") and before a negation or an adverb,
# where it complains: 怎么不显示了 ("why does it not show any more").
_HOW_TO_ZH = re.compile(r"怎么(?!回事|办|样|了|这么|那么|会|还|可能|搞的|不|没|又|都|总|老|就|也|一直|突然|能)|如何|怎样")
# Verb + 不了 / 不进去 / 不出来: "cannot V", the commonest way a failure is told in Chinese
# (约不了, 登录不进去); not 少不了, 受不了, 免不了, 大不了 ("indispensable", "cannot stand" ...).
_CANNOT_ZH = re.compile(r"(?<![少受免大得])不了(?!解)|不进去|不出来|不上去|(?<=[看约收登挂刷查])不到")
# 没(有) + a verb of the system doing its job: it did not happen (没有跳转, 没更新, 没保存).
_DID_NOT_ZH = re.compile(r"没有?(?:跳转|显示|更新|保存|生效|提示|通知|同步|删除|释放|变化|变|发出|发送|记录|弹出|锁定|退出|到账|出现)")
# 不是……吗: "isn't it …?", the customer quoting what was agreed.
_RHETORICAL_ZH = re.compile(r"不是(?:说|应该|只能|要|规定)[^。！？?!]{0,24}[吗嘛][？?]?")
_NUMBER_ASKS = ("[asks for another number]", "[asks to replace the signed number]", "[calls the signed number a limit]")
_INTENSIFIERS = frozenset(stem(w) for w in ("really", "very", "quite", "super", "actually", "truly", "extremely", "pretty", "so", "much"))
# Words of a sentence that wishes or asks: a number in it is asked for, not observed.
_CONDITIONAL = re.compile(r"\b(?:would|could)\b(?! not|n't)|\b(?:if|please|wish)\b|能不能|可不可以|希望|要是|最好|如果|改成|改为|请")
_AGREEMENT = ("we agreed", "agreed on", "the agreement", "contract", "as agreed", "was agreed", "the spec",
              "supposed to", "不是说", "说好的", "合同", "按要求", "约定", "需求文档", "需求里")


@dataclass(frozen=True)
class Match:
    """One baseline requirement a request is about."""

    id: str
    score: float  # relevance in [0, 1]
    words: tuple[str, ...]  # the request's words that met it, as written
    accepted: bool  # False for a proposed or deprecated requirement


@dataclass(frozen=True)
class TriageResult:
    request: str  # the request's id, or the file or text it came from
    classification: str
    confidence: float
    matches: tuple[Match, ...] = ()
    reasons: tuple[str, ...] = ()
    cues: tuple[tuple[str, tuple[str, ...]], ...] = ()  # class -> cue phrases found
    unknown_refs: tuple[str, ...] = ()
    # (class, probability) from the learned layer (empty for the rules alone): what precedent reweighs.
    probabilities: tuple[tuple[str, float], ...] = ()
    precedents: tuple[Precedent, ...] = ()  # decided requests of the repo like this one (precedent.py)

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
            "precedents": [p.as_dict() for p in self.precedents],
        }


# ---------------------------------------------------------------- the index


def requirement_text(requirement: Requirement) -> str:
    """The words of a requirement that say what it means (title counted twice)."""
    return "\n".join([requirement.title, requirement.title, requirement.statement, *requirement.acceptance, " ".join(requirement.tags)])


_BM25_K1 = 1.2
_BM25_B = 0.75
INDEX_FORMAT = 2  # bump when the index's content or the way it is built changes


def _requirement_record(requirement: Requirement) -> tuple[Any, ...]:
    return (requirement.id, requirement.title, requirement.statement, requirement.path, requirement.line,
            tuple(requirement.acceptance), requirement.priority, requirement.status, tuple(requirement.parents),
            tuple(requirement.tags), requirement.owner)


def _requirement_from_record(record: tuple[Any, ...]) -> Requirement:
    rid, title, statement, path, line, acceptance, priority, status, parents, tags, owner = record
    return Requirement(id=rid, title=title, statement=statement, path=path, line=line, acceptance=tuple(acceptance),
                       priority=priority, status=status, parents=tuple(parents), tags=tuple(tags), owner=owner)


class BaselineIndex:
    """An inverted index over a baseline's requirements, built once and queried many times.

    Each term's postings hold, per requirement, its BM25 contribution computed at
    build time, so a query only adds floats. The index serialises to bytes
    (`to_bytes`/`from_bytes`) so that a baseline, which never changes, is indexed once.
    """

    def __init__(self, records: list[tuple[Any, ...]], postings: dict[str, Any], concept_sets: list[tuple[str, ...]],
                 requirements: list[Requirement] | None = None) -> None:
        self._records = records
        self._postings = postings  # term -> (array of requirement indexes, array of impacts) or their bytes
        self._concept_sets = concept_sets
        self._requirements: dict[int, Requirement] = dict(enumerate(requirements)) if requirements else {}
        self.ids = [record[0] for record in records]
        self.by_id = {rid: i for i, rid in enumerate(self.ids)}
        self.statuses = [record[7] for record in records]
        self.concepts = frozenset(
            c for i, concepts in enumerate(concept_sets) if self.statuses[i] in ACCEPTED_STATUSES for c in concepts
        )

    def __len__(self) -> int:
        return len(self._records)

    @classmethod
    def build(cls, requirements: Iterable[Requirement]) -> BaselineIndex:
        listed = list(requirements)
        counts: dict[str, list[tuple[int, int]]] = {}
        lengths = []
        concept_sets = []
        for position, requirement in enumerate(listed):
            text = requirement_text(requirement)
            terms = Counter([*words_of(text).terms, *quantity_terms(text)])
            lengths.append(sum(terms.values()))
            concept_sets.append(tuple(sorted(t[2:] for t in terms if t.startswith("k:"))))
            for term, count in terms.items():
                counts.setdefault(term, []).append((position, count))
        total = len(listed)
        average = (sum(lengths) / total) if total else 1.0
        postings: dict[str, Any] = {}
        for term, entries in counts.items():
            idf = math.log(1 + (total - len(entries) + 0.5) / (len(entries) + 0.5)) * _TERM_WEIGHT[term[0]]
            docs = array("i", (position for position, _ in entries))
            impacts = array("f", (
                idf * count * (_BM25_K1 + 1) / (count + _BM25_K1 * (1 - _BM25_B + _BM25_B * lengths[position] / average))
                for position, count in entries
            ))
            postings[term] = (docs, impacts)
        return cls([_requirement_record(r) for r in listed], postings, concept_sets, listed)

    def to_bytes(self) -> bytes:
        postings = {term: (docs.tobytes(), impacts.tobytes()) for term, (docs, impacts) in ((t, self._arrays(t)) for t in self._postings)}
        return marshal.dumps((INDEX_FORMAT, self._records, postings, self._concept_sets))

    @classmethod
    def from_bytes(cls, data: bytes) -> BaselineIndex:
        """The index `to_bytes` wrote; ValueError when the bytes are not one (of this format)."""
        try:
            version, records, postings, concept_sets = marshal.loads(data)  # noqa: S302 - our own cache, see docs
        except (EOFError, ValueError, TypeError) as exc:
            raise ValueError(f"not a triage index: {exc}") from None
        if version != INDEX_FORMAT:
            raise ValueError(f"triage index format {version}, expected {INDEX_FORMAT}")
        return cls(records, postings, concept_sets)

    def _arrays(self, term: str) -> tuple[array[int], array[float]]:
        entry = self._postings[term]
        if isinstance(entry[0], bytes):  # decoded on first use: most terms are never asked for
            docs, impacts = array("i"), array("f")
            docs.frombytes(entry[0])
            impacts.frombytes(entry[1])
            entry = self._postings[term] = (docs, impacts)
        return entry  # type: ignore[no-any-return]

    def has_term(self, term: str) -> bool:
        return term in self._postings

    def coverage(self, words: Words, position: int) -> float:
        """How much of what the request speaks of one requirement holds, in [0, 1].

        Each distinct word and concept of the request counts by its rarity in the
        baseline (idf); a word no requirement has counts as the rarest. Chinese
        bigrams no requirement has are left out: they are mostly grammar.
        """
        total = held = 0.0
        rarest = math.log(1 + (len(self._records) + 0.5) / 0.5)
        for term in dict.fromkeys(words.terms):
            if term in self._postings:
                docs = self._arrays(term)[0]
                weight = math.log(1 + (len(self._records) - len(docs) + 0.5) / (len(docs) + 0.5)) * _TERM_WEIGHT[term[0]]
                total += weight
                if _contains(docs, position):
                    held += weight
            elif not term.startswith("c:"):
                total += rarest * _TERM_WEIGHT[term[0]]
        return held / total if total else 0.0

    def requirement(self, position: int) -> Requirement:
        found = self._requirements.get(position)
        if found is None:
            found = self._requirements[position] = _requirement_from_record(self._records[position])
        return found

    def get(self, requirement_id: str) -> Requirement | None:
        position = self.by_id.get(requirement_id)
        return None if position is None else self.requirement(position)

    def concepts_of(self, requirement_id: str) -> frozenset[str]:
        position = self.by_id.get(requirement_id)
        return frozenset(self._concept_sets[position]) if position is not None else frozenset()

    def is_accepted(self, position: int) -> bool:
        return self.statuses[position] in ACCEPTED_STATUSES

    def search(self, words: Words, limit: int = 5) -> list[tuple[int, float, list[str]]]:
        """Top requirements by BM25 over the request's distinct terms: (index, score, terms that met).

        Rare terms are added first, posting by posting. A common term (in more
        than 2% of a large baseline) then only raises requirements that rarer
        terms already found, through a dict built at C speed: on 10,000
        requirements this is what keeps a request in a few milliseconds.
        """
        present = [t for t in dict.fromkeys(words.terms) if t in self._postings]
        arrays = {t: self._arrays(t) for t in present}
        present.sort(key=lambda t: len(arrays[t][0]))
        common = max(64, len(self._records) // 50)
        scores: dict[int, float] = {}
        for term in present:
            docs, impacts = arrays[term]
            if len(docs) <= common or len(scores) < 4 * limit:
                get = scores.get
                for position, impact in zip(docs, impacts, strict=True):
                    scores[position] = get(position, 0.0) + impact
            else:
                gains = dict(zip(docs, impacts, strict=True))
                for position in [p for p in scores if p in gains]:
                    scores[position] += gains[position]
        best = heapq.nlargest(limit, sorted(scores), key=scores.__getitem__)
        results = []
        for position in best:
            met = [t for t in present if _contains(arrays[t][0], position)]
            met.sort(key=words.terms.index)
            results.append((position, scores[position], met))
        return results


def _contains(docs: array[int], position: int) -> bool:
    found = bisect_left(docs, position)
    return found < len(docs) and docs[found] == position


# ---------------------------------------------------------------- cues


@dataclass(frozen=True)
class CueFinder:
    lexicon: Lexicon
    weights: dict[str, float]


@lru_cache(maxsize=1)
def cue_finder() -> CueFinder:
    entries: dict[str, tuple[str, ...]] = {}
    weights: dict[str, float] = {}
    for name, cues in ((DEFECT, DEFECT_CUES), (CHANGE, CHANGE_CUES), (NEW_SCOPE, NEW_SCOPE_CUES), (OUT_OF_SCOPE, OUT_OF_SCOPE_CUES), ("vague", VAGUE_CUES), ("repair", REPAIR_CUES), ("wish", WISH_CUES), ("ownside", OWN_SIDE_FINE)):
        for phrase, weight in cues:
            key = f"{name}\t{phrase}"
            entries[key] = (phrase,)
            weights[key] = weight
    for group, phrases in (("claim", CLAIM_CUES), ("ask", ASK_CUES), ("cause", CAUSE_FOUND)):
        for phrase in phrases:
            entries[f"{group}\t{phrase}"] = (phrase,)
            weights[f"{group}\t{phrase}"] = 0.0
    return CueFinder(compile_forms(entries), weights)


@dataclass
class Evidence:
    """What was found in one request; the decision is made from this."""

    scores: dict[str, float] = field(default_factory=lambda: dict.fromkeys((DEFECT, CHANGE, NEW_SCOPE, OUT_OF_SCOPE, "vague", "repair", "wish", "ownside"), 0.0))
    cues: dict[str, list[str]] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    weights: dict[tuple[str, str], float] = field(default_factory=dict)  # (class, cue) -> weight it added
    asks: bool = False  # anything in the request asks or wishes for something
    signals: dict[str, float] = field(default_factory=dict)  # what the learned layer reads besides the scores

    def told_failure(self) -> float:
        """The weight of what plainly tells a failure: failure words, a delivered number off the signed one."""
        return sum(w for (name, cue), w in self.weights.items()
                   if name == DEFECT and (not cue.startswith("[") or cue == "[delivered number differs from the signed one]"))

    def add(self, name: str, weight: float, cue: str | None = None) -> None:
        self.scores[name] += weight
        if cue is not None and cue not in self.cues.setdefault(name, []):
            self.cues[name].append(cue)
        if cue is not None:
            self.weights[(name, cue)] = self.weights.get((name, cue), 0.0) + weight

    def take_back(self, name: str, cue: str) -> float:
        """Remove one cue's weight from a class; the weight it had."""
        weight = self.weights.pop((name, cue), 0.0)
        self.scores[name] -= weight
        if cue in self.cues.get(name, []):
            self.cues[name].remove(cue)
        return weight


def _sentence_kinds(text: str) -> tuple[bool, bool]:
    """(has a statement of a few words, has a question): what kind of sentences the text is made of."""
    tells = questions = False
    # Clauses, not sentences: "我们设置了假期，结果还是可以预约，这怎么办？" tells before it asks.
    for sentence, mark in re.findall(r"([^.!?。！？\n,，;；]+)([.!?。！？\n,，;；]*)", normalise(text)):
        body = sentence.strip()
        if not body:
            continue
        if "?" in mark or "？" in mark or re.search(r"[吗呢]\W*$", body):
            questions = True
        else:
            english, _raw, runs = split_words(body)
            if sum(w not in STOPWORDS and len(w) > 1 for w in english) + sum(max(1, len(r) - 1) for r in runs) >= 3:
                tells = True
    return tells, questions


def _inside(phrase: str, other: str) -> bool:
    """Whether one cue phrase is part of another (Chinese: a substring; English: a run of its words)."""
    if _is_chinese_word(phrase):
        return phrase in other
    return f" {phrase} " in f" {other} "


def _clause_before(text: str, position: int, size: int) -> str:
    """Up to `size` characters before a position, not reaching back past punctuation or a space."""
    start = position
    while start > 0 and position - start < size and text[start - 1] not in " ,.;:!?，。；：！？、\n":
        start -= 1
    return text[start:position]


def _is_chinese_word(phrase: str) -> bool:
    return bool(phrase) and phrase[0] >= "\u3400"


def split_secondary(text: str) -> tuple[str, str]:
    """(the main ask, a lesser one appended with "by the way", "另外", …)."""
    normal = normalise(text)
    cut = min((normal.find(marker) for marker in SECONDARY_MARKERS if marker in normal), default=-1)
    if cut <= 0:
        return normal, ""
    return normal[:cut], normal[cut:]


# Words that hold an ask word but ask for nothing: 加载 ("load"), 请假 ("leave"), 还是可以 ("still can").
_NOT_ASKING_ZH = re.compile(r"加载|参加|加班|请假|请问|想起|想到|(?:还是|还|也|都|就|才)可以")
# 改成英文以后 ("after switching to English") tells what was done; it asks for nothing.
_DONE_ZH = re.compile(r"改(?:成|为)([^，。,！？!?]{0,8}(?:以后|之后|后))")


def find_cues(normal: str, evidence: Evidence, scale: float = 1.0) -> None:
    """Add the cue phrases of (normalised) text to the evidence, each weighed once."""
    finder = cue_finder()
    normal = _DONE_ZH.sub(r"换到\1", normal)
    english, _raw, runs = split_words(normal)
    # 能不能用 ("could it be used to") holds 不能用 ("cannot be used"): not a failure.
    masked_english, _raw, masked_runs = split_words(normal.replace("能不能", "能〇能"))
    seen: set[str] = set()
    hits = [(k, s) for k, s in find_phrases(english, runs, finder.lexicon) if not k.startswith(DEFECT)]
    hits += [(k, s) for k, s in find_phrases(masked_english, masked_runs, finder.lexicon) if k.startswith(DEFECT)]
    # "would be really helpful" is "would be helpful": cues are also looked for without intensifiers.
    plain = [word for word in english if word not in _INTENSIFIERS]
    if len(plain) < len(english):
        hits += find_phrases(plain, [], finder.lexicon)
    # A cue inside a longer cue is one cue, the longer: "blank page" holds "blank", 看看为什么 holds 为什么,
    # and "any longer" (a failure) holds "longer" (a change).
    phrases = {key.split("\t", 1)[1] for key, _surface in hits if key.split("\t", 1)[0] not in ("ask", "claim", "cause")}
    for key, _surface in hits:
        if key in seen:
            continue
        seen.add(key)
        name, phrase = key.split("\t", 1)
        if name not in ("ask", "claim", "cause") and any(phrase != other and _inside(phrase, other) for other in phrases):
            continue
        if name == "ask" and _is_chinese_word(phrase) and phrase not in _NOT_ASKING_ZH.sub("〇", normal):
            continue
        if name in ("claim", "ask", "cause"):
            evidence.cues.setdefault(name, []).append(phrase)
        else:
            evidence.add(name, finder.weights[key] * scale, phrase)
    for run in runs:
        for how in _HOW_TO_ZH.finditer(run):
            if any(neg in run[how.end() : how.end() + 6] for neg in ("不", "没")):
                continue  # 怎么约不了号了: "why can I not book", a complaint
            evidence.add(OUT_OF_SCOPE, 2.2 * scale, how.group(0))
            break
    masked = normal.replace("能不能", "能〇能")
    for cannot in _CANNOT_ZH.finditer(masked):
        near = masked[max(0, cannot.start() - 3) : cannot.end() + 1]
        if any(_is_chinese_word(found) and found in near for found in evidence.cues.get(DEFECT, [])):
            break  # 收不到 is already a cue
        verb = _clause_before(masked, cannot.start(), 2).lstrip("都也还就又能可得是了么上下里我你他她它们")
        evidence.add(DEFECT, 1.2 * scale, verb + cannot.group(0))
        break
    for missed in _DID_NOT_ZH.finditer(normal):
        evidence.add(DEFECT, 1.5 * scale, missed.group(0))
        break
    if not any(key.startswith(OUT_OF_SCOPE) for key in seen):
        for how in _HOW_TO_EN.finditer(normal):
            evidence.add(OUT_OF_SCOPE, 2.2 * scale, how.group(0))
            break
    for quoted in _RHETORICAL_ZH.finditer(normal):
        evidence.add(DEFECT, 1.5 * scale, quoted.group(0)[:12])
        break


# ---------------------------------------------------------------- numbers


def _requirement_quantities(requirement: Requirement) -> tuple[tuple[Quantity, ...], tuple[Quantity, ...]]:
    """(quantities of the statement and title, quantities of the acceptance criteria)."""
    return _quantities_of(requirement.title + "\n" + requirement.statement), _quantities_of("\n".join(requirement.acceptance))


@lru_cache(maxsize=8192)  # the same matched requirements come back request after request
def _quantities_of(text: str) -> tuple[Quantity, ...]:
    return tuple(quantities(text))


@dataclass
class NumberComparison:
    requirement: str
    same: list[tuple[Quantity, Quantity]] = field(default_factory=list)  # request quantity, requirement quantity
    different: list[tuple[Quantity, Quantity]] = field(default_factory=list)
    bare_same: list[tuple[float, Quantity]] = field(default_factory=list)


def compare_numbers(asked: list[Quantity], bare: list[float], requirement: Requirement) -> NumberComparison:
    """The request's numbers against one requirement's, dimension by dimension."""
    stated, accepted = _requirement_quantities(requirement)
    result = NumberComparison(requirement.id)
    signed = stated + accepted
    for quantity in asked:
        if quantity.dimension not in _COMPARED_DIMENSIONS and quantity.dimension != "count":
            continue
        # Clock times in acceptance criteria are examples ("on Thursday at 10:00"), not rules.
        kin = [q for q in signed if quantity.comparable(q) and (q.dimension != "clock" or q in stated)]
        if not kin:
            continue
        # "the last slot should be 17:45" quotes a criterion: a clock equal to any signed one is the same.
        equal = next((q for q in kin if quantity.same_as(q)), None) or next(
            (q for q in accepted if q.dimension == "clock" and quantity.dimension == "clock" and quantity.same_as(q)), None)
        if equal is not None:
            result.same.append((quantity, equal))
        else:
            rules = [q for q in stated if quantity.comparable(q)] or kin
            rule = min(rules, key=lambda q: abs(q.value - quantity.value)) if quantity.dimension == "clock" else rules[0]
            result.different.append((quantity, rule))
    for number in bare:
        equal = next((q for q in signed if abs(q.amount - number) < 1e-9 and q.dimension != "clock"), None)
        if equal is not None:
            result.bare_same.append((number, equal))
    return result


@lru_cache(maxsize=1)
def _marker_finders() -> tuple[Lexicon, Lexicon, Lexicon, Lexicon]:
    return (compile_forms({"report": REPORT_MARKERS}), compile_forms({"ask": ASK_MARKERS}),
            compile_forms({"limit": LIMIT_MARKERS}), compile_forms({"replace": REPLACE_MARKERS}))


def _words_before(normal: str, quantity: Quantity, lexicon: Lexicon) -> list[tuple[str, str]]:
    before = normal[max(0, quantity.start - 14) : quantity.start]
    english, _raw, runs = split_words(before)
    return find_phrases(english[-4:], [r[-6:] for r in runs[-1:]], lexicon)


def number_stance(normal: str, quantity: Quantity) -> str:
    """'observed', 'asked' or 'unclear': what the words just before a number say about it."""
    if quantity.start < 0:
        return "unclear"
    reports, asks, _limits, _replaces = _marker_finders()
    report_hits = _words_before(normal, quantity, reports)
    ask_hits = _words_before(normal, quantity, asks)
    if report_hits and not ask_hits:
        return "observed"
    if ask_hits and not report_hits:
        return "asked"
    return "unclear"


def _sentence_of(normal: str, position: int) -> str:
    """The sentence of normalised text around one position."""
    ends = ".!?;。！？；\n"
    start = max((normal.rfind(mark, 0, position) for mark in ends), default=-1) + 1
    stops = [found for found in (normal.find(mark, position) for mark in ends) if found >= 0]
    return normal[start : min(stops, default=len(normal))]


def _shown(quantity: Quantity) -> str:
    return quantity.text if quantity.text.isascii() else f"{quantity.text} ({quantity.describe()})"


def weigh_numbers(text: str, candidates: list[Requirement], evidence: Evidence, asks: bool,
                  leading: Sequence[str] = ()) -> NumberComparison | None:
    """Compare the request's numbers with those of the requirements it matched; add what that shows.

    `leading` are the ids of the requirements the request is plainly about (the best matches):
    only their numbers can be called a limit.
    """
    asked = quantities(text)
    bare = bare_numbers(text)
    if not asked and not bare:
        return None
    # The matched requirement whose number the request quotes is the one it is about;
    # else the first that speaks in the same units.
    compared = [c for c in (compare_numbers(asked, bare, r) for r in candidates) if c.same or c.different]
    if not compared:
        return None
    comparison = max(compared, key=lambda c: (c.requirement in leading or not leading, len(c.same) > 0))
    normal = normalise(text)
    agreement = any(cue in normal for cue in _AGREEMENT) or bool(_RHETORICAL_ZH.search(normal))
    quotes_rule = bool(comparison.same or comparison.bare_same)
    observed = asked_for = 0
    for mine, theirs in comparison.different[:3]:
        stance = number_stance(normal, mine)
        if stance != "asked" and _CONDITIONAL.search(_sentence_of(normal, mine.start)) and not agreement:
            stance = "asked"  # "it would be better if reminders were sent 2 days ahead"
        if mine.dimension == "clock" and stance != "asked":
            continue  # "at 07:45" is when it happened far more often than a rule
        if stance == "unclear":
            stance = "observed" if agreement or not asks else "asked"
        if stance == "observed":
            observed += 1
            evidence.reasons.append(f"reports {_shown(mine)}; {comparison.requirement} says {_shown(theirs)}")
        else:
            asked_for += 1
            evidence.reasons.append(f"asks for {_shown(mine)}; {comparison.requirement} says {_shown(theirs)}")
    if asked_for:
        evidence.add(CHANGE, 2.5 if not agreement else 1.2, "[asks for another number]")
    if observed:
        evidence.add(DEFECT, 2.0 if (agreement or quotes_rule) else 1.2, "[delivered number differs from the signed one]")
    if quotes_rule and agreement and not comparison.different:
        evidence.add(DEFECT, 1.0, "[quotes the agreed number]")
    limits, replaces = _marker_finders()[2:]
    replaced = next((pair for pair in comparison.same if _words_before(normal, pair[0], replaces)), None)
    if replaced is not None and asks and not observed and not agreement and comparison.requirement in leading:
        mine, theirs = replaced
        evidence.add(CHANGE, 1.5, "[asks to replace the signed number]")
        evidence.reasons.append(f"asks to replace {_shown(mine)} ({comparison.requirement} says {_shown(theirs)})")
    limited = next((pair for pair in comparison.same if _words_before(normal, pair[0], limits)), None)
    if limited is not None and not agreement and not comparison.different and comparison.requirement in leading:
        mine, theirs = limited
        evidence.add(CHANGE, 1.5, "[calls the signed number a limit]")
        evidence.reasons.append(f"calls {_shown(mine)} a limit, and {comparison.requirement} says {_shown(theirs)}: "
                                "the complaint is about the agreed rule itself")
    return comparison


# ---------------------------------------------------------------- classification


def _relevance(score: float) -> float:
    """BM25 score mapped to [0, 1): 0.5 at a score of 6."""
    return score / (score + 6.0)


def _shown_word(term: str) -> str:
    return term[2:]


def classify_request(
    text: str,
    requirements: Sequence[Requirement] | None = None,
    *,
    index: BaselineIndex | None = None,
    request: str = "(text)",
    refs: Sequence[str] = (),
    claimed: str | None = None,
    learned: bool = True,
) -> TriageResult:
    """Classify one request's text against the baseline's requirements.

    Pass `index` (built once with `BaselineIndex.build`) when classifying many
    requests; `refs` are ids the request names outside its text (its `refs:`).
    The rules weigh the evidence; the learned layer (`triage_model`) reads that
    evidence and gives the class and a calibrated confidence. `learned=False`
    gives the rules' own decision (for comparison in bench/).
    """
    rules, features = weigh_request(text, index=index, requirements=requirements, request=request, refs=refs, claimed=claimed)
    if not learned or features is None:
        return rules
    from .triage_model import decide_with_model

    return decide_with_model(rules, features)


def weigh_request(
    text: str,
    *,
    index: BaselineIndex | None = None,
    requirements: Sequence[Requirement] | None = None,
    request: str = "(text)",
    refs: Sequence[str] = (),
    claimed: str | None = None,
) -> tuple[TriageResult, dict[str, float] | None]:
    """The rules' decision and the evidence features behind it (None when there was nothing to weigh)."""
    if index is None:
        index = BaselineIndex.build(requirements or ())
    stripped = text.strip()
    if not any(ch.isalnum() for ch in stripped):
        why = "the request has no text" if not stripped else "the request has no words, only punctuation or symbols"
        return TriageResult(request, NEEDS_REVIEW, 0.0, reasons=(f"{why}; a person has to read the original",)), None

    evidence = Evidence()
    words = words_of(text)
    named = list(dict.fromkeys([*refs, *_ID_IN_TEXT.findall(text)]))
    unknown = tuple(ref for ref in named if ref not in index.by_id and _looks_like_requirement(ref, index))
    if not len(index):
        return TriageResult(
            request, NEEDS_REVIEW, 0.0,
            reasons=("the baseline has no requirements, so nothing can be compared; sign a baseline that holds the agreed requirements",),
            unknown_refs=unknown,
        ), None

    hits = index.search(Words((*words.terms, *quantity_terms(text)), words.english, words.han_runs), limit=8)
    for ref in named:  # a requirement the customer names is about the request, whatever the words
        position = index.by_id.get(ref)
        if position is None:
            continue
        if all(h[0] != position for h in hits):
            hits.append((position, 0.0, []))
        hits = [(i, s + _NAMED_BOOST if i == position else s, t) for i, s, t in hits]
    hits.sort(key=lambda h: (-h[1], h[0]))
    matches = []
    for position, score, terms in hits[:5]:
        # Words and concepts say more than Chinese bigrams; bigrams only when nothing else met.
        plain = [t for t in terms if not t.startswith("c:")] or terms
        shown = tuple(dict.fromkeys(_shown_word(t) for t in plain))[:12]
        matches.append(Match(index.ids[position], _relevance(score), shown, index.is_accepted(position)))
    matches = [m for m in matches if m.score >= 0.05]

    primary, secondary = split_secondary(text)
    find_cues(primary, evidence)
    if secondary:
        find_cues(secondary, evidence, scale=_SECONDARY_WEIGHT)
        evidence.reasons.append(f"also asks, in passing: \"{secondary.strip()[:80]}\" (weighed less than the main ask)")
    top = matches[0] if matches else None
    relevance = top.score if top else 0.0

    # Concepts the request speaks of that the baseline never mentions, and the customer's environment.
    request_concepts = {t[2:] for t in words.terms if t.startswith("k:")}
    main_concepts = {t[2:] for t in words_of(primary).terms if t.startswith("k:")} if secondary else request_concepts
    # A PC or Word that the matched requirement itself names is part of what was agreed.
    leading_concepts = frozenset().union(*(index.concepts_of(m.id) for m in matches if top and m.score >= max(0.5, top.score - 0.2)))
    environment = sorted(c for c in request_concepts & _ENVIRONMENT_CONCEPTS if not (c in _SOFT_ENVIRONMENT and c in leading_concepts))
    novel = sorted(request_concepts - index.concepts - _ENVIRONMENT_CONCEPTS - _GENERIC_CONCEPTS)
    own_side_fine = evidence.scores.pop("ownside")
    signals = evidence.signals
    signals["ownside"] = own_side_fine
    signals["environment_words"] = float(len(environment))
    if own_side_fine:
        ruled_out = ", ".join(f'"{c}"' for c in evidence.cues.get("ownside", []))
        evidence.reasons.append(f"rules its own side out ({ruled_out})" + (f", so its {', '.join(environment)} is not the cause" if environment else ""))
        evidence.add(DEFECT, own_side_fine, None)
        environment = []
    repair = evidence.scores.pop("repair")
    signals["repair"] = repair
    ask_words = set(evidence.cues.get("ask", []))
    if repair or evidence.told_failure() >= 1.5:
        ask_words -= POLITE_ASKS  # "please fix it", "麻烦看看为什么打不开" ask for what was agreed
    if repair:
        evidence.add(DEFECT, min(repair, 1.2), None)
    # "instead of" alone does not ask: "comes at midnight instead of the day before" reports.
    # Nor do the faint change words ("only", "吧") on their own.
    change_asks = evidence.scores[CHANGE] - evidence.weights.get((CHANGE, "instead of"), 0.0)
    asks = (bool(ask_words) or change_asks >= 0.8 or evidence.scores[NEW_SCOPE] > 0
            or bool(_QUESTION_ASK.search(normalise(primary))))
    if not asks and "instead of" in evidence.cues.get(CHANGE, []):
        evidence.add(DEFECT, evidence.take_back(CHANGE, "instead of"), "instead of")
    env_hits = Counter(t[2:] for t in words.terms if t.startswith("k:") and t[2:] in _ENVIRONMENT_CONCEPTS)
    for concept in environment:
        evidence.add(OUT_OF_SCOPE, min(3.0, 1.6 + 0.6 * (env_hits[concept] - 1)), f"[{concept}]")
    if environment:
        written = _written(text, environment)
        shown = "; ".join(f"{ENVIRONMENT_LABELS.get(c, c)}: " + ", ".join(f'"{w}"' for w in written.get(c, [])[:3]) for c in environment)
        evidence.reasons.append(f"speaks of the customer's environment ({shown}), not of the delivered product")
    if environment and evidence.cues.get("cause"):
        evidence.add(OUT_OF_SCOPE, 1.0, None)
        evidence.reasons.append(f'names a cause ("{evidence.cues["cause"][0]}") beside its own environment')
    signals["novel_main"] = float(len([c for c in novel if c in main_concepts]))
    signals["novel_passing"] = float(len(novel)) - signals["novel_main"]
    signals["ask_words"] = float(len(ask_words))
    signals["secondary"] = 1.0 if secondary else 0.0
    if novel:
        # Beside a request plainly about one requirement, a new word is more likely incidental.
        in_main = [c for c in novel if c in main_concepts]
        weight = min(3.0, 1.5 * len(in_main) + 1.5 * _SECONDARY_WEIGHT * (len(novel) - len(in_main)))
        weight *= 0.5 if relevance >= 0.75 else 1.0
        weight *= 0.5 if environment else 1.0  # their iPad's email is part of their environment
        evidence.add(NEW_SCOPE, weight if asks else 0.5, None)
        evidence.cues.setdefault(NEW_SCOPE, []).extend(f"[{c}]" for c in novel)
        written = _written(text, novel)
        shown = ", ".join(f"{c} (" + ", ".join(f'"{w}"' for w in written.get(c, [])[:3]) + ")" for c in novel)
        evidence.reasons.append(f"speaks of {shown}, which no accepted requirement mentions")

    # A wish that says neither "add" nor "change" ("it would be nice", 要是能, "could we …?") goes to
    # new scope or change by how much of the request the best accepted match already holds.
    new_scope_cued = evidence.scores[NEW_SCOPE] > 0  # before a wish adds its share
    wish = evidence.scores.pop("wish")
    question = _QUESTION_ASK.search(normalise(primary))
    wanting = _WANTING.search(normalise(primary))
    # A could-you question or "patients want" is the ask itself only when no cue says what it asks for
    # ("can you change the sender name?" is a change request put as a question).
    cued = change_asks >= 1.0 or evidence.scores[NEW_SCOPE] >= 1.0
    if (question or wanting) and not cued and not repair:
        asks = True
    if wanting and not repair and not cued and not any(c in wanting.group(0) for c in evidence.cues.get("wish", [])):
        wish += 1.2
        evidence.cues.setdefault("wish", []).append(wanting.group(0))
    if question and not repair and not cued:
        wish += 1.5
        evidence.cues.setdefault("wish", []).append("[asks a could-you question]")
    elif ask_words & POLITE_ASKS and not wish and not repair and not cued and evidence.told_failure() < 1.0:
        # "Please …" with nothing that says what kind of ask: a wish, weighed by what covers it.
        wish += 1.0
        evidence.cues.setdefault("wish", []).append(sorted(ask_words & POLITE_ASKS)[0])
    if wish and environment:
        evidence.reasons.append("its asks are about the customer's own environment, not the product")
        wish = 0.0
    signals["wish"] = wish
    signals["question_ask"] = 1.0 if question else 0.0
    signals["wanting"] = 1.0 if wanting else 0.0
    if wish:
        asks = True

    # Numbers: the request's against those of the requirements it matched.
    candidates = [index.requirement(index.by_id[m.id]) for m in matches[:5] if m.accepted]
    leading = [m.id for m in matches if m.score >= relevance - 0.2]
    weigh_numbers(text, candidates, evidence, asks, leading)

    if top is not None and top.accepted:
        signals["coverage"] = index.coverage(words, index.by_id[top.id])
    if wish:
        wish = min(wish, 2.5)
        shown = ", ".join(f'"{c}"' for c in evidence.cues.get("wish", []) if not c.startswith("[")) or "a could-you question"
        share = 0.0
        number_cues = [c for c in evidence.cues.get(CHANGE, []) if c in _NUMBER_ASKS]
        if number_cues:
            share = 1.0  # "it would be better if reminders were sent 2 days ahead": the wish is that number
            part = "it asks for another number than the signed one"
        elif top is not None and top.accepted and not [c for c in novel if c in main_concepts]:
            held = index.coverage(words, index.by_id[top.id])
            if relevance >= 0.4:
                share = max(0.0, min(1.0, (held - 0.3) / 0.3))
                part = f"{top.id} holds {held:.0%} of what it speaks of"
            else:
                part = f"its best match {top.id} is weak ({relevance:.2f})"
        else:
            part = "nothing accepted covers it" if not novel else f"it speaks of {', '.join(novel)}"
        if share:
            evidence.add(CHANGE, wish * share, None)
        if share < 1:
            evidence.add(NEW_SCOPE, wish * (1 - share), None)
        verdict = "a change" if share >= 0.5 else "new scope"
        evidence.reasons.append(f"wishes for something ({shown}); {part}: weighed as {verdict}")

    # What the request speaks of that its best match does not: a wish beyond that requirement.
    uncovered: list[str] = []
    if top is not None:
        covered = index.concepts_of(top.id)
        uncovered = sorted(request_concepts - covered - _ENVIRONMENT_CONCEPTS - set(novel) - {"patient", "doctor", "frontdesk"})
        if uncovered and asks and new_scope_cued:
            evidence.add(NEW_SCOPE, min(1.2, 0.6 * len(uncovered)), None)
            evidence.reasons.append(f"{top.id} does not speak of {', '.join(uncovered)}")

    # A failure told together with the customer's printer, network or phone bill is theirs to fix.
    agreement = any(cue in normalise(text) for cue in _AGREEMENT)
    signals["uncovered"] = float(len(uncovered))
    signals["agreement"] = 1.0 if agreement else 0.0
    if environment and not agreement and evidence.scores[DEFECT] > 0:
        evidence.scores[DEFECT] *= 0.5

    # "Add" to a subject a requirement already fixes, with nothing new in it, alters that requirement.
    if not novel and not uncovered and relevance >= 0.6 and new_scope_cued:
        moved = evidence.scores[NEW_SCOPE] / 2
        evidence.scores[NEW_SCOPE] -= moved
        evidence.add(CHANGE, moved, None)

    # A message that only points elsewhere ("see my previous email") says too little.
    vague = evidence.scores.pop("vague")
    signals["vague"] = vague
    if vague:
        evidence.reasons.append("it mostly points elsewhere or asks for contact: " + ", ".join(f'"{c}"' for c in evidence.cues.get("vague", [])))
        for name in evidence.scores:
            evidence.scores[name] = max(0.0, evidence.scores[name] - vague)

    # A plain account of what the delivered system does, close to one requirement, asking for
    # nothing new and naming nothing of the customer's own: most often a failure report.
    others = evidence.scores[CHANGE] + evidence.scores[NEW_SCOPE] + evidence.scores[OUT_OF_SCOPE]
    tells, questions = _sentence_kinds(primary)
    signals["tells"] = 1.0 if tells else 0.0
    signals["questions"] = 1.0 if questions else 0.0
    if (not tells and questions and not asks and not environment and not vague and others < 1.0
            and evidence.told_failure() < 1.0 and relevance >= 0.3):
        # "How many patients can a doctor see per slot?", 前台能帮他找回吗？: a question about using it.
        evidence.add(OUT_OF_SCOPE, 1.6, "[only asks a question, reports nothing]")
        evidence.reasons.append("only asks a question about how the delivered system works or what to do, and reports no failure: read as a how-to question")
    elif (tells and not asks and not environment and not vague and others < 1.0
          and (relevance >= 0.5 or (relevance >= 0.4 and evidence.told_failure() >= 1.0))):
        evidence.add(DEFECT, 1.8, "[describes delivered behaviour, asks for nothing new]")
        subject = next((m.id for m in matches if m.accepted), top.id if top else "it")
        evidence.reasons.append(f"describes what the delivered system does about {subject} and asks for nothing new: read as a failure report")

    # Weak relevance makes a defect or a change unlikely: neither exists without a requirement.
    fit = min(1.0, relevance / 0.45)
    evidence.scores[DEFECT] *= fit
    evidence.scores[CHANGE] *= fit
    # A failure told of something a proposed requirement also mentions is about the accepted one
    # just behind it ("the export file does not open" next to proposed statistics that cite the export).
    accepted_close = next((m for m in matches if m.accepted and top is not None and m.score >= top.score - 0.1), None)
    if top is not None and not top.accepted and accepted_close is not None and not asks and evidence.scores[DEFECT] >= 1.0:
        evidence.reasons.append(f"{top.id} is not accepted, but {accepted_close.id} (accepted) matches nearly as well and the request tells a failure")
    elif top is not None and not top.accepted:
        evidence.reasons.append(f"{top.id} is {index.statuses[index.by_id[top.id]] or 'not accepted'} in this baseline, not accepted: asking for it is new scope")
        evidence.add(NEW_SCOPE, 2.0 + evidence.scores[DEFECT] + evidence.scores[CHANGE], None)
        evidence.scores[DEFECT] = evidence.scores[CHANGE] = 0.0

    if claimed:
        evidence.cues.setdefault("claim", []).insert(0, claimed)
    evidence.asks = asks
    rules = _decide(request, evidence, matches, relevance, unknown)
    from .triage_model import evidence_features

    return rules, evidence_features(rules, evidence, matches, text, words.terms, claimed=bool(claimed))


def _written(text: str, concepts: Iterable[str]) -> dict[str, list[str]]:
    """The words of the text that stand for each concept, as found (English stems, Chinese as written)."""
    wanted = set(concepts)
    english, _raw, runs = split_words(normalise(text))
    found: dict[str, list[str]] = {}
    for concept, surface in find_phrases(english, runs, concept_lexicon()):
        if concept in wanted and surface not in found.setdefault(concept, []):
            found[concept].append(surface)
    return found


def _looks_like_requirement(ref: str, index: BaselineIndex) -> bool:
    prefixes = {rid.rsplit("-", 1)[0] for rid in index.ids}
    return ref.rsplit("-", 1)[0] in prefixes


def _decide(request: str, evidence: Evidence, matches: list[Match], relevance: float, unknown: tuple[str, ...]) -> TriageResult:
    scores = evidence.scores
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    (best, best_score), (_second, second_score) = ranked[0], ranked[1]
    reasons = list(evidence.reasons)
    for name in (DEFECT, CHANGE, NEW_SCOPE, OUT_OF_SCOPE):
        found = [c for c in evidence.cues.get(name, []) if not c.startswith("[")]
        if found:
            reasons.append(f"{name} cues: " + ", ".join(f'"{c}"' for c in found[:6]))
    if evidence.cues.get("claim"):
        reasons.append("the customer frames it as " + ", ".join(f'"{c}"' for c in list(dict.fromkeys(evidence.cues["claim"]))[:4]) + " (how it is framed does not decide the class)")
    if unknown:
        reasons.append("refers to " + ", ".join(unknown) + ", not in this baseline")
    # A plain ask that is unsure only between change and new scope still departs from the baseline.
    diverging = scores[CHANGE] + scores[NEW_SCOPE]
    plainly_asks = (best in DIVERGING and diverging >= 1.2 and evidence.asks
                    and scores[DEFECT] < 0.5 and scores[OUT_OF_SCOPE] < 0.5)
    if (best_score < 1.5 and not plainly_asks) or (best in (DEFECT, CHANGE) and relevance < 0.2):
        reasons.insert(0, "the evidence is too weak to classify: " + ("no requirement matches and no cue decides" if not matches else f"best match {matches[0].id} at {matches[0].score:.2f}, strongest cue weight {best_score:.1f}"))
        return TriageResult(request, NEEDS_REVIEW, 0.0, tuple(matches), tuple(reasons), _cue_items(evidence), unknown)
    margin = (best_score - second_score) / best_score
    confidence = 0.35 + 0.45 * margin + 0.2 * min(1.0, best_score / 6.0)
    if best in (DEFECT, CHANGE):
        confidence *= 0.7 + 0.3 * min(1.0, relevance / 0.5)
    # The costly mistake is calling paid work a defect: never sure of a defect while anything asks for more.
    if best == DEFECT and (scores[CHANGE] > 0.5 or scores[NEW_SCOPE] > 0.5 or evidence.asks):
        confidence = min(confidence, 0.7)
    # Nor sure of one that no failure word or measured number tells, only the absence of an ask.
    if best == DEFECT and evidence.told_failure() < 2.0:
        confidence = min(confidence, 0.75)
    if margin < 0.15:
        reasons.insert(0, f"{best} and {_second} are close ({best_score:.1f} vs {second_score:.1f}); a person should decide")
        return TriageResult(request, NEEDS_REVIEW, round(1 - margin, 2) * 0.5, tuple(matches), tuple(reasons), _cue_items(evidence), unknown)
    return TriageResult(request, best, max(0.0, min(1.0, confidence)), tuple(matches), tuple(reasons), _cue_items(evidence), unknown)


def _cue_items(evidence: Evidence) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((name, tuple(found)) for name, found in evidence.cues.items() if found)
