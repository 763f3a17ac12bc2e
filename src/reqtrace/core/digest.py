"""Content digests: a requirement's meaning as one sha256, and a baseline's root digest.

Algorithm `reqtrace-digest-1`, specified in docs/digest.md (read that before
changing anything here: a stored baseline is only verifiable while this code
computes the same bytes):
1. Take the requirement's fields as parsed (id, title, statement, acceptance,
   priority, status, parents, sources, tags, owner, rationale, x-…).
2. Normalise every text value: Unicode NFC; every run of white space becomes
   one space; a space with a CJK character on either side is removed
   (re-wrapping Chinese text in a folded block, or pangu-style spacing around
   Latin words, must not change its meaning); trim both ends.
3. `parents`, `sources` and `tags` are sets: sorted, duplicates removed.
   `acceptance` keeps its order. Fields that are absent or empty are left out.
4. Serialise as JSON with sorted keys, no insignificant white space, UTF-8,
   non-ASCII kept as is; the digest is `sha256:` + the hex sha256 of it.
The root digest of a set of requirements is the sha256 of the lines
`<id> <digest>\n`, sorted by id (byte order of UTF-8).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from operator import itemgetter
from typing import Any

from reqtrace.core.model import Requirement

ALGORITHM = "reqtrace-digest-1"
DIGEST_PATTERN = re.compile(r"^sha256:[0-9a-f]{64}$")
_SPACE = re.compile(r"\s+")
# Scripts written without spaces between words: CJK radicals and symbols,
# CJK punctuation, kana, bopomofo, CJK ideographs (with extension A and the
# compatibility block), full-width forms, and the supplementary ideograph planes.
# Hangul syllables are not in the set: Korean separates words with spaces.
_CJK = "\u2e80-\u303f\u3040-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f"
# A space with a CJK character before or after it. The space is matched first (the
# engine then looks for spaces alone) and the character before it is looked at from
# behind the space: the same spaces as `(?<=[CJK]) | (?=[CJK])`, three times faster.
_CJK_GAP = re.compile(f" (?:(?<=[{_CJK}] )|(?=[{_CJK}]))")
_UNSAFE_ID = re.compile(r"[\s\x00-\x1f\x7f]")
SET_FIELDS = ("parents", "sources", "tags")
# `set(map(type, items)) <= _ONLY_TEXT`: every item is exactly text, asked in C (a third of
# what `all(type(item) is str for item in items)` costs on a short list).
_ONLY_TEXT = frozenset((str,))


def normalise_text(text: str) -> str:
    # str.split() and strip() split on exactly what `\s` matches (Unicode white space), so
    # joining the words is `_SPACE.sub(" ", text).strip()`, at a third of the cost; ASCII
    # text is its own NFC and holds no CJK character (tests/test_digest.py pins both).
    if text.isascii():
        return " ".join(text.split())
    text = " ".join(unicodedata.normalize("NFC", text).split())
    return _CJK_GAP.sub("", text)


def _normalise(value: Any) -> Any:
    kind = type(value)
    if kind is str:
        return normalise_text(value)
    if kind is list or kind is tuple:
        return [normalise_text(item) if type(item) is str else _normalise(item) for item in value]
    if isinstance(value, str):
        return normalise_text(value)
    if isinstance(value, list | tuple):
        return [_normalise(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _normalise(item) for key, item in value.items()}
    return value


def _is_empty(value: Any) -> bool:
    # `0` and `false` are values; only nothing at all is left out.
    return value is None or (isinstance(value, str | list | dict) and not value)


def canonical_fields(requirement: Requirement) -> dict[str, Any]:
    """The fields that carry meaning, normalised as the digest sees them."""
    data = _normalise(requirement.fields())
    for name in SET_FIELDS:
        if name in data:
            data[name] = sorted(set(data[name]))
    return {key: value for key, value in data.items() if not _is_empty(value)}


def _digest_fields(requirement: Requirement) -> dict[str, Any]:
    """canonical_fields, in another key order (the JSON sorts the keys): the usual field —
    text, or a list of texts — normalised here without the general walk; any other
    value takes canonical_fields' own steps. tests/test_digest_fast.py holds the two
    side by side."""
    data: dict[str, Any] = {}
    for key, value in requirement.fields().items():
        kind = type(value)
        if kind is str and key not in SET_FIELDS:
            value = normalise_text(value)
            if value:
                data[key] = value
            continue
        if kind is list and set(map(type, value)) <= _ONLY_TEXT:
            value = [normalise_text(item) for item in value]
            if key in SET_FIELDS:
                value = sorted(set(value))
            if value:
                data[key] = value
            continue
        value = _normalise(value)
        if key in SET_FIELDS:
            value = sorted(set(value))
        if not _is_empty(value):
            data[key] = value
    return data


# json.dumps(…, sort_keys=True, ensure_ascii=False, separators=(",", ":")) builds an encoder
# per call, which costs more than encoding a requirement: the same encoder, made once.
_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
try:
    from json.encoder import c_make_encoder as _c_make_encoder  # type: ignore[attr-defined]  # the C accelerator typeshed does not list
    from json.encoder import encode_basestring as _encode_basestring
except ImportError:  # pragma: no cover - a Python without the json C accelerator
    _c_make_encoder = None
# What JSONEncoder.encode makes on every call for these options, made once (check_circular
# off: parsed YAML holds no cycles, aliases are refused). The same bytes as json.dumps,
# pinned by tests/test_digest_fast.py.
_ITERENCODE = (
    _c_make_encoder(None, _ENCODER.default, _encode_basestring, None, ":", ",", True, False, True)
    if _c_make_encoder is not None
    else None
)


def _encode_json(value: Any) -> str:
    if _ITERENCODE is None:  # pragma: no cover - a Python without the json C accelerator
        return _ENCODER.encode(value)
    return "".join(_ITERENCODE(value, 0))


# The fields of a requirement's canonical JSON in the JSON's key order (sorted; every `x-`
# field sorts after them: "x" > "t"), each with its key as written and how it is held.
_ONE_TEXT, _TEXT_LIST, _TEXT_SET = 0, 1, 2
_CANONICAL_ORDER = tuple(
    (name, f'"{name}":', _TEXT_SET if name in SET_FIELDS else _TEXT_LIST if name == "acceptance" else _ONE_TEXT)
    for name in sorted(("id", "title", "statement", "acceptance", "priority", "status", "parents", "sources", "tags", "owner", "rationale"))
)


def _texts_json(texts: Any, is_set: bool) -> str | None:
    """A tuple of texts as its canonical JSON list (normalised; a set sorted, without
    repeats); None when it is anything else."""
    if type(texts) is not tuple or not set(map(type, texts)) <= _ONLY_TEXT:
        return None
    items = [normalise_text(item) for item in texts]
    if is_set:
        items = sorted(set(items))
    return "[" + ",".join(map(_encode_basestring, items)) + "]"


def _canonical_json(requirement: Requirement) -> str | None:
    """The canonical JSON of the usual requirement, written in one pass over its fields:
    every field text or None, every list field a tuple of texts, only `x-` fields in
    `extra`. None for anything else, which `_digest_fields` and the encoder take through
    the general steps.

    The same text as `_encode_json(_digest_fields(…))`: the keys in sorted order (every
    `x-` field after the others: "x" > "t"), each string written by the encoder's own
    escaping; tests/test_digest_fast.py holds the two side by side. A cold run digests
    every requirement; this costs about four fifths of the general way (no fields()
    mapping, no walk by type, no key sorting).
    """
    values = requirement.__dict__
    escape = _encode_basestring
    parts: list[str] = []
    for name, head, kind in _CANONICAL_ORDER:
        value = values[name]
        if kind == _ONE_TEXT:
            if value is None:
                continue
            if type(value) is not str:
                return None
            value = normalise_text(value)
            if value:
                parts.append(head + escape(value))
        elif value:
            texts = _texts_json(value, kind == _TEXT_SET)
            if texts is None:
                return None
            parts.append(head + texts)
    extra = values["extra"]
    if extra:
        if type(extra) is not tuple:
            return None
        previous = ""
        for pair in extra:
            if type(pair) is not tuple or len(pair) != 2:
                return None
            name, value = pair
            if type(name) is not str or not name.startswith("x-") or name <= previous:
                return None  # another field's name, or out of order or twice as no parse writes them
            previous = name
            if type(value) is int:  # `x-effort: 3`: the encoder writes an int as its repr
                parts.append(escape(name) + ":" + repr(value))
                continue
            # any other value as _digest_fields takes it; encoded alone, the same text as inside the mapping
            if type(value) is str:
                value = normalise_text(value)
            elif type(value) is list and set(map(type, value)) <= _ONLY_TEXT:
                value = [normalise_text(item) for item in value]
            else:
                value = _normalise(value)
            if not _is_empty(value):
                parts.append(escape(name) + ":" + _encode_json(value))
    return "{" + ",".join(parts) + "}"


def canonical_bytes(requirement: Requirement) -> bytes:
    text = _canonical_json(requirement) if _ITERENCODE is not None else None
    if text is None:
        text = _encode_json(_digest_fields(requirement))
    return text.encode("utf-8")


# The digest computed for a requirement object beside its parsing (on two cores, see
# snapshot.parse_sources), kept in the instance under a name no dataclass field has:
# equality, hashing, repr and the caches' codecs never see it, and a changed copy
# (dataclasses.replace) is a new object without it.
_STASHED = "_reqtrace_digest"


def stash_digest(requirement: Requirement, digest: str | None = None) -> str:
    """Compute (or take `digest`, computed by this same code for this requirement's fields)
    and keep the requirement's digest with it, so that requirement_digest reads it back."""
    if digest is None:
        digest = "sha256:" + hashlib.sha256(canonical_bytes(requirement)).hexdigest()
    requirement.__dict__[_STASHED] = digest
    return digest


def stashed_digest(requirement: Requirement) -> str | None:
    """The digest stash_digest kept with this requirement object, if any."""
    return requirement.__dict__.get(_STASHED)  # type: ignore[no-any-return]


def requirement_digest(requirement: Requirement) -> str:
    stashed = requirement.__dict__.get(_STASHED)
    if stashed is not None:
        return stashed  # type: ignore[no-any-return]
    return "sha256:" + hashlib.sha256(canonical_bytes(requirement)).hexdigest()


# id -> (the requirement, kept alive so that its id is not reused; its digest), for the
# process: the diffs of one `status` (three of them, sharing the working tree's and the
# baselines' parses) would otherwise digest the same requirement objects twice or more.
_KNOWN: dict[int, tuple[Requirement, str]] = {}
_KNOWN_LIMIT = 500_000


def known_digest(requirement: Requirement) -> str:
    """requirement_digest, remembered per requirement object for the process (a
    Requirement is frozen: its digest cannot change)."""
    entry = _KNOWN.get(id(requirement))
    if entry is None or entry[0] is not requirement:
        if len(_KNOWN) >= _KNOWN_LIMIT:
            _KNOWN.clear()
        entry = _KNOWN[id(requirement)] = (requirement, requirement_digest(requirement))
    return entry[1]


def memo_digests() -> Callable[[Requirement], str]:
    """requirement_digest, remembered per requirement object: one diff, or one check of
    suspect links, compares the same parent many times (and the process's other diffs
    the same objects: `known_digest`)."""
    return known_digest


def root_digest(pairs: Iterable[tuple[str, str]]) -> str:
    """The digest over (id, digest) pairs: what a baseline's sign-offs sign.

    Ids with white space or control characters, and digests not of the form
    `sha256:<64 hex>`, are refused (ValueError): they could make two different
    sets of pairs spell the same lines.
    """
    pairs = list(pairs)
    lines = _ascii_root_lines(pairs)
    if lines is None:
        return plain_root_digest(pairs)
    return "sha256:" + hashlib.sha256(lines.encode("ascii")).hexdigest()


def plain_root_digest(pairs: Iterable[tuple[str, str]]) -> str:
    """`root_digest` pair by pair: the definition, and the answer (or the error) for any
    pairs `_ascii_root_lines` does not take."""
    pairs = sorted(pairs, key=lambda pair: pair[0].encode("utf-8"))
    for item_id, digest in pairs:
        if not item_id or _UNSAFE_ID.search(item_id):
            raise ValueError(f"id {item_id!r} cannot be part of a root digest")
        if not DIGEST_PATTERN.match(digest):
            raise ValueError(f"{digest!r} is not a sha256: digest")
    lines = "".join(f"{item_id} {digest}\n" for item_id, digest in pairs)
    return "sha256:" + hashlib.sha256(lines.encode("utf-8")).hexdigest()


_PAIR = frozenset((tuple,))
_TWO = frozenset((2,))
_FIRST = itemgetter(0)
_SECOND = itemgetter(1)


_DIGEST_PREFIX = "sha256:"
_HEX_DIGITS = b"0123456789abcdef"


def well_formed_digests(digests: list[str]) -> bool:
    """Whether every one of `digests` (texts) matches DIGEST_PATTERN without a line break after
    it, asked of them all at once: each is 71 ASCII characters; `sha256:` stands at the start
    of each (the joined texts' every 71st character from each of the prefix's places); and
    with every hex digit taken out, what is left is `sh:` from each prefix and nothing else.
    False says only that one of them may not be."""
    count = len(digests)
    if set(map(len, digests)) != {71}:
        return False
    joined = "".join(digests)
    if not joined.isascii() or any(joined[place::71] != char * count for place, char in enumerate(_DIGEST_PREFIX)):
        return False
    return joined.encode("ascii").translate(None, _HEX_DIGITS) == b"sh:" * count


def _ascii_root_lines(pairs: list[tuple[str, str]]) -> str | None:
    """The root digest's lines of `pairs` when every pair is two texts, every id is ASCII
    with no white space or control character and every digest is well formed, checked over
    all the pairs at once, not with two regular expressions' calls a pair (a manifest has a
    row for every requirement; the three of the 100,000 bench repo: 0.35-0.48 -> 0.22 s); None for
    anything else, which `plain_root_digest` answers, error included. The ids are sorted
    as text: for ASCII that is the byte order of their UTF-8."""
    if not pairs:
        return None
    if not set(map(type, pairs)) <= _PAIR or not set(map(len, pairs)) <= _TWO:
        return None
    ids = list(map(_FIRST, pairs))
    digests = list(map(_SECOND, pairs))
    if not set(map(type, ids)) <= _ONLY_TEXT or not set(map(type, digests)) <= _ONLY_TEXT:
        return None
    joined = "".join(ids)
    if not joined.isascii() or "" in ids or _UNSAFE_ID.search(joined) is not None:
        return None
    if not well_formed_digests(digests):
        return None
    pairs.sort(key=_FIRST)
    return "\n".join(map(" ".join, pairs)) + "\n"
