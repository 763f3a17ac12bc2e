"""Content digests: a requirement's meaning as one sha256, and a baseline's root digest.

Algorithm `reqtrace-digest-1` (documented in docs/digest.md):
1. Take the requirement's fields (id, title, statement, acceptance, priority,
   status, parents, sources, tags, owner, rationale, x-…); leave out the ones
   that are absent or empty.
2. Normalise text: Unicode NFC; every run of white space becomes one space;
   white space between two CJK characters is removed (re-wrapping Chinese
   text in a folded block must not change its meaning); trim both ends.
3. `parents`, `sources` and `tags` are sets: sorted, duplicates removed.
   `acceptance` keeps its order.
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
from collections.abc import Iterable
from typing import Any

from .model import Requirement

ALGORITHM = "reqtrace-digest-1"
_SPACE = re.compile(r"\s+")
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_CJK_GAP = re.compile(f"(?<=[{_CJK}]) (?=[{_CJK}])")
SET_FIELDS = ("parents", "sources", "tags")


def normalise_text(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = _SPACE.sub(" ", text).strip()
    return _CJK_GAP.sub("", text)


def _normalise(value: Any) -> Any:
    if isinstance(value, str):
        return normalise_text(value)
    if isinstance(value, list | tuple):
        return [_normalise(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _normalise(item) for key, item in value.items()}
    return value


def canonical_fields(requirement: Requirement) -> dict[str, Any]:
    """The fields that carry meaning, normalised as the digest sees them."""
    data = _normalise(requirement.fields())
    for name in SET_FIELDS:
        if name in data:
            data[name] = sorted(set(data[name]))
    return {key: value for key, value in data.items() if value not in ("", [], {}, None)}


def canonical_bytes(requirement: Requirement) -> bytes:
    return json.dumps(canonical_fields(requirement), sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def requirement_digest(requirement: Requirement) -> str:
    return "sha256:" + hashlib.sha256(canonical_bytes(requirement)).hexdigest()


def root_digest(pairs: Iterable[tuple[str, str]]) -> str:
    """The digest over (id, digest) pairs: what a baseline's sign-offs sign."""
    lines = "".join(f"{item_id} {digest}\n" for item_id, digest in sorted(pairs, key=lambda p: p[0].encode("utf-8")))
    return "sha256:" + hashlib.sha256(lines.encode("utf-8")).hexdigest()
