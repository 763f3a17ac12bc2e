"""Parsed files, cached by git blob id: the kind `parse` of the one store (core/cachestore.py).

A file's parse depends only on its bytes, its kind, its path (findings and
items name it) and the id pattern; the key covers all of them plus the cache
format and a fingerprint of reqtrace's parsing code, so a new parser never
reads an old entry. The bytes are named by their git blob id, which is known
without reading them at a commit and cheap to compute in the working tree.

A cache is a hint, never evidence (the rules of io/cachefile.py): each entry file
and the pack is opened only when it is a regular file, and carries a sha256
over its payload and its key (which holds the parser's fingerprint); an entry
that does not verify is a miss, parsed again and written anew — never
believed, never a crash. Payloads are plain data: entries are JSON, the pack
is read by an unpickler that refuses every class (reqtrace's own included) and
the items are built back from plain tuples here.

Files live where the store keeps a kind, `.git/reqtrace/parse/`, named by its
scheme (`<stamp>-<sha256 of kind and content id>`, the content id being the
key; the pack is the content id `pack`, suffix `.idx`), and entries another
stamp wrote are removed by the store's routine (`cachestore.remove_foreign`)
when this code writes. The stamp is `parse_stamp`, narrower than the store's.

Safe to delete and safe under concurrent runs: each entry is one file written
by atomic replace, two runs writing the same key write the same content.
Commands that read every file use one pack instead (`PackedParseCache`, below).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import io
import json
import operator
import pickle  # noqa: S403 - read only through _PlainUnpickler
import queue
import threading
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any, Self

from reqtrace.core import cachestore
from reqtrace.core.cachestore import PARSER_MODULES, code_fingerprint
from reqtrace.core.digest import DIGEST_PATTERN, stash_digest, stashed_digest
from reqtrace.core.model import (
    Attachment,
    Decision,
    Document,
    Email,
    Finding,
    Meeting,
    MeetingDecision,
    Request,
    Requirement,
    SpecDocument,
    Triage,
)
from reqtrace.core.parse import Parsed
from reqtrace.io.cachefile import note, read_regular, seal, unseal

CACHE_FORMAT = 1
_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (Requirement, Request, Meeting, MeetingDecision, Decision, Triage, Finding, Email, Document, Attachment, SpecDocument)
}


# What a parse yields at its top level (nested parts are built by these classes' own fields).
_ITEM_TYPES = frozenset({Requirement, Request, Meeting, Email, Document, SpecDocument})


class _Unencodable(Exception):
    pass


def _encode(value: Any) -> Any:
    # Tuples (the common case in frozen items) are JSON arrays; lists and
    # mappings are tagged so that decoding gives back exactly the same values.
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, tuple):
        return [_encode(item) for item in value]
    if isinstance(value, list):
        return {"L": [_encode(item) for item in value]}
    if isinstance(value, dict):
        return {"D": [[str(key), _encode(item)] for key, item in value.items()]}
    if is_dataclass(value) and type(value).__name__ in _TYPES:
        return {"C": type(value).__name__, "F": {f.name: _encode(getattr(value, f.name)) for f in fields(value)}}
    raise _Unencodable(type(value).__name__)


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_decode(item) for item in value)
    if isinstance(value, dict):
        if "L" in value:
            return [_decode(item) for item in value["L"]]
        if "D" in value:
            return {key: _decode(item) for key, item in value["D"]}
        cls = _TYPES[value["C"]]
        return cls(**{name: _decode(item) for name, item in value["F"].items()})
    return value


KIND = "parse"  # the store's folder for parsed files
PACK_ID = "pack"  # the pack's content id: one pack per repository


def parser_fingerprint() -> str:
    """reqtrace's version plus a hash of the code and schemas that turn bytes into items
    (PARSER_MODULES): in the key, so that a changed parser (even without a new version
    number, as while developing) never reads an entry an older one wrote."""
    return code_fingerprint(PARSER_MODULES)


@functools.cache
def parse_stamp() -> str:
    """The stamp in the parse cache's file names. Narrower than the store's code stamp on
    purpose: a parse depends on the parser's modules only, so an edit anywhere else (the
    graph, the checks) keeps every parse, which a cold `check` would otherwise pay for."""
    return hashlib.sha256(f"{CACHE_FORMAT}\x00{parser_fingerprint()}".encode()).hexdigest()[:16]


@functools.cache
def _key_prefix() -> str:
    return f"{CACHE_FORMAT}\x00{parser_fingerprint()}\x00"


def cache_key(kind: str, path: str, oid: str, id_pattern: str) -> str:
    text = f"{_key_prefix()}{kind}\x00{path}\x00{id_pattern}\x00{oid}"
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


class ParseCache:
    """Parsed files by key; a cache without a folder keeps nothing."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.hits = 0
        self.misses = 0
        # Entries are written by one background thread: creating a few thousand small
        # files takes ~0.2 ms each on a busy disk, time better spent beside the parsing.
        self._queue: queue.SimpleQueue[tuple[Path, bytes] | None] | None = None
        self._writer: threading.Thread | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.flush()

    def flush(self) -> None:
        """Wait until every entry put so far is written."""
        if self._writer is not None and self._queue is not None:
            self._queue.put(None)
            self._writer.join()
            self._writer = None
            self._queue = None

    def _write_all(self, pending: queue.SimpleQueue[tuple[Path, bytes] | None]) -> None:
        from reqtrace.io.files import atomic_write

        while True:
            item = pending.get()
            if item is None:
                return
            try:
                item[0].parent.mkdir(parents=True, exist_ok=True)
                atomic_write(item[0], item[1], durable=False)
            except OSError:
                continue  # a read-only or full disk costs speed, never a result
            cachestore.remove_foreign(item[0].parent, parse_stamp())  # lists the folder once per process

    @classmethod
    def for_git(cls, git_top: Path | None) -> Self:
        """The cache of the repository at `git_top` (none outside git)."""
        top = cachestore.cache_root(git_top) if git_top is not None else None
        return cls(top / KIND if top is not None else None)

    def _entry(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / cachestore.entry_name(KIND, key, ".json", parse_stamp())

    def get(self, key: str) -> Parsed | None:
        if self.folder is None:
            return None
        held = _held_parse(self.folder, key)
        if held is not None:
            self.hits += 1
            return held
        entry = self._entry(key)
        raw = read_regular(entry)
        if raw is None:
            self.misses += 1
            return None
        try:
            sealed = unseal(raw, key)
            if sealed is None:
                raise ValueError("does not match its hash")
            data = json.loads(sealed)
            if data.get("key") != key:
                raise ValueError("entry holds another key")
            parsed = Parsed(list(_decode(data["items"])), list(_decode(data["findings"])))
            if not all(type(item) in _ITEM_TYPES for item in parsed.items) or not all(type(finding) is Finding for finding in parsed.findings):
                raise TypeError("holds something other than items and findings")
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            note(entry, str(error))
            self.misses += 1  # damaged or foreign: ignored here, rewritten by the next put
            return None
        self.hits += 1
        return parsed

    def get_value(self, key: str) -> Any:
        """A plain JSON value stored with `put_value`; None when absent or damaged."""
        if self.folder is None:
            return None
        sealed = unseal(read_regular(self._entry(key)), key)
        if sealed is None:
            return None
        try:
            data = json.loads(sealed)
            return data["value"] if data.get("key") == key else None
        except (ValueError, KeyError, TypeError, AttributeError):
            return None

    def put_value(self, key: str, value: Any) -> None:
        if self.folder is not None:
            self._enqueue(key, json.dumps({"key": key, "value": value}, ensure_ascii=False, separators=(",", ":")))

    def put_pickled(self, keys: list[str], payload: bytes, values: list[Parsed]) -> None:
        """Entries whose parses are already pickled by `dump_parsed`, in key order (see
        PackedParseCache); entry files are JSON, so here they are stored one by one."""
        for key, value in zip(keys, values, strict=True):
            self.put(key, value)

    def pickle_added(self) -> None:
        """Prepare what was put so far for writing, now rather than at `flush` (a pack does)."""

    def is_empty(self) -> bool:
        """True when no lookup can succeed (entry files cannot tell without looking)."""
        return self.folder is None

    def put(self, key: str, parsed: Parsed) -> None:
        if self.folder is None:
            return
        try:
            payload = {"key": key, "items": _encode(tuple(parsed.items)), "findings": _encode(tuple(parsed.findings))}
        except _Unencodable:
            return  # a value the codec does not know: simply not cached
        self._enqueue(key, json.dumps(payload, ensure_ascii=False, separators=(",", ":")))

    def _enqueue(self, key: str, text: str) -> None:
        try:
            data = seal(key, text.encode("utf-8"))  # bound to its key: a copied entry does not verify
        except UnicodeEncodeError:
            return  # text that is not UTF-8 (a lone surrogate): simply not cached
        if self._writer is None:
            self._queue = queue.SimpleQueue()
            self._writer = threading.Thread(target=self._write_all, args=(self._queue,), name="reqtrace-cache", daemon=True)
            self._writer.start()
            atexit.register(self.flush)
        assert self._queue is not None
        self._queue.put((self._entry(key), data))


class HeldParseCache(ParseCache):
    """Parses held for the process only, nothing written: for work that reads the same blobs
    twice in one process where writing entries costs more than it saves — the approval diffs
    of one `status` from the first signed baseline, which parse that baseline's version of the
    same changed files (graph/status.py). A parse is held by its key (kind, path, blob id, id
    pattern), so a hit is the same file's parse by the same code."""

    def __init__(self) -> None:
        super().__init__(None)
        self._held: dict[str, Parsed] = {}

    def get(self, key: str) -> Parsed | None:
        held = self._held.get(key)
        if held is None:
            self.misses += 1
        else:
            self.hits += 1
        return held

    def put(self, key: str, parsed: Parsed) -> None:
        self._held[key] = parsed

    def is_empty(self) -> bool:
        return not self._held


def pack_name() -> str:
    """The pack's file name in the parse folder: sealed bytes in the pack's own format (`.idx`)."""
    return cachestore.entry_name(KIND, PACK_ID, ".idx", parse_stamp())


# Segments of pickled parse lists, each parse with the digests its requirements were given
# (format 2 had no digests; format 1 was one dict of entries).
PACK_FORMAT = 3
# Entries a run did not use are kept up to this many beyond the ones it used,
# so that switching between a few revisions stays warm without the pack growing
# without bound.
SPARE_ENTRIES = 20_000
# Segments are appended as runs parse new files; past this many (beyond one per
# SEGMENT_ENTRIES entries) they are merged.
MAX_SEGMENTS = 16
# Entries per segment written at once: pickling is linear in pieces of this
# size, but one pickle of 160,000 parses takes three times as long per entry.
SEGMENT_ENTRIES = 20_000


class _PlainUnpickler(pickle.Unpickler):
    """Builds plain data only (tuples, lists, dicts, text, numbers): every class is
    refused, reqtrace's own included, so a planted pickle can neither run code nor
    hand over a ready-made Requirement."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a reqtrace cache: it holds plain data only")


# The parses travel (pack segments, the forked worker's pipe) as plain tuples:
# (class number, field values in field order), with the few nested items
# (a request's triage and decision, a meeting's decisions, an email's
# attachments) encoded the same way. Building the items back costs what
# unpickling the dataclasses did.
_PLAIN_CLASSES: tuple[type, ...] = (Requirement, Request, Meeting, Email, Document, Finding, Decision, Triage, MeetingDecision, Attachment, SpecDocument)
_FIELD_NAMES = tuple(tuple(f.name for f in fields(cls)) for cls in _PLAIN_CLASSES)
_GETTERS = {cls: (number, operator.attrgetter(*names)) for number, (cls, names) in enumerate(zip(_PLAIN_CLASSES, _FIELD_NAMES, strict=True))}
_ONE, _MANY = 1, 2
# class -> (field position, one item or a tuple of them) for the fields that hold items
_NESTED: dict[type, tuple[tuple[int, int], ...]] = {
    Request: ((_FIELD_NAMES[1].index("triage"), _ONE), (_FIELD_NAMES[1].index("decision"), _ONE)),
    Meeting: ((_FIELD_NAMES[2].index("decisions"), _MANY),),
    Email: ((_FIELD_NAMES[3].index("attachments"), _MANY),),
}
_NESTED_BY_NUMBER = {_PLAIN_CLASSES.index(cls): nested for cls, nested in _NESTED.items()}


def _plain_item(item: Any) -> tuple[int, tuple[Any, ...]]:
    number, getter = _GETTERS[type(item)]  # KeyError: not an item this codec knows
    values = getter(item)
    nested = _NESTED.get(type(item))
    if nested:
        plain = list(values)
        for position, how in nested:
            value = plain[position]
            if how == _ONE:
                plain[position] = None if value is None else _plain_item(value)
            else:
                plain[position] = tuple(_plain_item(part) for part in value)
        values = tuple(plain)
    return number, values


def _item_of(plain: tuple[int, tuple[Any, ...]]) -> Any:
    number, values = plain
    names = _FIELD_NAMES[number]
    if len(values) != len(names) or type(values) is not tuple:
        raise pickle.UnpicklingError("an item of another shape")
    nested = _NESTED_BY_NUMBER.get(number)
    if nested:
        values = list(values)  # type: ignore[assignment]
        for position, how in nested:
            value = values[position]
            if how == _ONE:
                values[position] = None if value is None else _item_of(value)  # type: ignore[index]
            else:
                values[position] = tuple(_item_of(part) for part in value)  # type: ignore[index]
    # As unpickling a dataclass does: the fields set directly (the classes are frozen).
    item: Any = _new(_PLAIN_CLASSES[number])
    item.__dict__.update(zip(names, values, strict=False))  # lengths checked above
    return item


_new = object.__new__


def load_parsed(data: bytes | memoryview) -> list[Parsed]:
    """A list of parse results written by `dump_parsed` (a pack segment, or a forked
    parse worker's half), read as plain data and built back here."""
    plain = _PlainUnpickler(io.BytesIO(data)).load()
    if type(plain) is not list:
        raise pickle.UnpicklingError("not a list of parse results")
    result: list[Parsed] = []
    append = result.append
    classes, all_names, nested = _PLAIN_CLASSES, _FIELD_NAMES, _NESTED_BY_NUMBER
    for items, findings, oid, digests in plain:
        if type(items) is not tuple or type(findings) is not tuple or not (oid is None or type(oid) is str):
            raise pickle.UnpicklingError("not a parse result")
        if digests is not None and (type(digests) is not tuple or len(digests) != len(items)):
            raise pickle.UnpicklingError("digests that do not fit the items")
        built = []
        for entry in (*items, *findings):
            # _item_of inlined for the common item (nothing nested): ~3 µs instead of ~10
            number, values = entry
            if number in nested:
                built.append(_item_of(entry))
                continue
            names = all_names[number]
            if len(values) != len(names) or type(values) is not tuple:
                raise pickle.UnpicklingError("an item of another shape")
            item = _new(classes[number])
            item.__dict__.update(zip(names, values, strict=False))  # lengths checked above
            built.append(item)
        if digests is not None:
            for item, digest in zip(built, digests, strict=False):
                if digest is not None:
                    if type(item) is not Requirement or type(digest) is not str or not DIGEST_PATTERN.match(digest):
                        raise pickle.UnpicklingError("a digest that is not a requirement's sha256 digest")
                    stash_digest(item, digest)
        append(Parsed(built[: len(items)], built[len(items) :], oid))
    return result


def dump_parsed(values: list[Parsed]) -> bytes:
    """`values` as plain data (see `load_parsed`), with the digests stashed with their
    requirements (digest.stash_digest); KeyError for an item the codec does not know."""
    getters, nested = _GETTERS, _NESTED
    plain = []
    for parsed in values:
        items = []
        digests = None
        if any(type(item) is Requirement and stashed_digest(item) is not None for item in parsed.items):
            digests = tuple(stashed_digest(item) if type(item) is Requirement else None for item in parsed.items)
        for item in (*parsed.items, *parsed.findings):
            cls = type(item)
            if cls in nested:
                items.append(_plain_item(item))
            else:  # _plain_item inlined for the common item
                number, getter = getters[cls]
                items.append((number, getter(item)))
        count = len(parsed.items)
        plain.append((tuple(items[:count]), tuple(items[count:]), parsed.oid, digests))
    return pickle.dumps(plain, protocol=pickle.HIGHEST_PROTOCOL)


class _Segment:
    """Keys and their parses pickled as one list; unpickled on first use."""

    __slots__ = ("keys", "payload", "_values")

    def __init__(self, keys: tuple[str, ...], payload: bytes, values: list[Parsed] | None = None) -> None:
        self.keys = keys
        self.payload = payload
        self._values = values

    @property
    def damaged(self) -> bool:
        return self._values == [] and bool(self.keys)

    def values(self) -> list[Parsed] | None:
        """The parses, in key order; None when the payload is damaged or does not fit the keys."""
        if self._values is None:
            try:
                values = load_parsed(self.payload)
            except Exception:  # noqa: BLE001 - a damaged segment is simply not used
                values = []
            self._values = values if len(values) == len(self.keys) else []
        return self._values or None


class PackedParseCache(ParseCache):
    """The parses of whole snapshots in one file (`pack_name`), beside the entries.

    For commands that read every spec file (check, list, show): one pack of
    10,000 files (~9 MB) loads in ~0.06 s, where as many entry files take
    ~0.8 s. Same keys as the entries, so the same guarantees: safe to delete;
    written whole to a temporary file and renamed, so concurrent runs see an
    old or a new pack, never half of one (the last writer wins); a damaged or
    foreign pack (one that does not match its hash) is ignored. Pickle for
    speed, but of plain tuples only, read by an unpickler that refuses every
    class: a planted pack can neither run code nor hand over an item.

    The pack is a list of segments, each a pickled list of parses with its
    keys. A run that parsed new files appends a segment and writes the
    segments it read back byte for byte: after editing one file the pack is
    not pickled again as a whole, and the half of a first run's files that the
    forked parse worker pickled to send them is stored as it was sent.
    """

    def __init__(self, folder: Path | None) -> None:
        super().__init__(folder)
        self.pack_file = folder / pack_name() if folder is not None else None
        self._segments: list[_Segment] | None = None
        self._index: dict[str, tuple[_Segment, int]] = {}
        self.used: dict[str, Parsed] = {}
        self._added: list[tuple[str, Parsed]] = []
        self._added_segments: list[_Segment] = []

    @property
    def added(self) -> int:
        return len(self._added) + sum(len(segment.keys) for segment in self._added_segments)

    def _load(self) -> list[_Segment]:
        # Loaded on first use, i.e. inside load_snapshot, where the garbage
        # collector is paused: unpickling 10,000 parses then takes half the time.
        if self._segments is None:
            self._segments = _load_pack(self.pack_file) if self.pack_file is not None else []
            for segment in self._segments:
                for position, key in enumerate(segment.keys):
                    self._index.setdefault(key, (segment, position))
        return self._segments

    @property
    def packed(self) -> dict[str, Parsed]:
        """Every entry of the pack as it was read (tests/test_snapshot.py checks the pack with it)."""
        entries: dict[str, Parsed] = {}
        for segment in self._load():
            values = segment.values()
            if values is not None:
                for key, value in zip(segment.keys, values, strict=True):
                    entries.setdefault(key, value)
        return entries

    def get(self, key: str) -> Parsed | None:
        if self._segments is None:
            self._load()
        found = self._index.get(key)
        values = found[0].values() if found is not None else None
        if values is None:
            self.misses += 1  # entry files are not consulted: a miss costs no file system call
            return None
        parsed = values[found[1]]  # type: ignore[index]
        self.hits += 1
        self.used[key] = parsed
        return parsed

    def put(self, key: str, parsed: Parsed) -> None:
        # Into the pack only: thousands of entry files would cost more than they save.
        if self.pack_file is not None:
            self.used[key] = parsed
            self._added.append((key, parsed))

    def put_pickled(self, keys: list[str], payload: bytes, values: list[Parsed]) -> None:
        """Entries whose parses are already pickled (by `dump_parsed`, in key order): stored as they are."""
        if self.pack_file is not None:
            self._added_segments.append(_Segment(tuple(keys), payload, values))
            self.used.update(zip(keys, values, strict=True))

    def is_empty(self) -> bool:
        return not self._load() or not self._index

    def pickle_added(self) -> None:
        self._added_segments.extend(_segments_of(self._added))
        self._added = []

    def flush(self) -> None:
        """Write the pack when this run parsed something new; never fail the command."""
        super().flush()
        if self.folder is not None:
            # What a later reading in this process asks first; one repo's at a time, so that
            # a process reading many repos (a test run) does not hold every one's parses.
            _HELD.clear()
            _HELD[self.folder] = self.used
        if self.pack_file is None or not self.added:
            return
        from reqtrace.io.files import atomic_writer

        try:
            kept, rescued = self._kept_segments()
            segments = kept + self._added_segments + _segments_of(self._added + rescued)
            if len(segments) > MAX_SEGMENTS + len(self.used) // SEGMENT_ENTRIES:
                segments = _segments_of(list(self.used.items()))  # merged: only what this run used
        except (KeyError, pickle.PicklingError):
            return  # an item the plain codec does not know: no pack this time
        payload = {"format": PACK_FORMAT, "segments": [(segment.keys, segment.payload) for segment in segments]}
        with contextlib.suppress(OSError):
            self.pack_file.parent.mkdir(parents=True, exist_ok=True)
            with atomic_writer(self.pack_file, durable=False) as handle:
                handle.write(seal(_pack_stamp(), pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)))
            cachestore.remove_foreign(self.pack_file.parent, parse_stamp())
        self._segments = segments
        self._added, self._added_segments = [], []

    def _kept_segments(self) -> tuple[list[_Segment], list[tuple[str, Parsed]]]:
        """The segments read from the pack that stay, byte for byte — those whose entries this
        run used, and unused ones while they fit in SPARE_ENTRIES — and the used entries of a
        partly used segment that does not fit, for a new segment."""
        kept: list[_Segment] = []
        rescued: list[tuple[str, Parsed]] = []
        spare = SPARE_ENTRIES
        for segment in self._segments or []:
            if segment.damaged or not segment.keys:
                continue  # its entries were parsed again, into a new segment
            unused = sum(1 for key in segment.keys if key not in self.used)
            if unused <= spare:
                spare -= unused
                kept.append(segment)
            else:
                values = segment.values() or []
                rescued.extend((key, value) for key, value in zip(segment.keys, values, strict=False) if key in self.used)
        return kept, rescued


# The parses the pack a command read (and wrote) last in this process used, by its folder:
# a later reading of some files — a diff at another commit after `status` or `trace` read
# the working tree — finds them here, as the same objects, instead of parsing or reading
# an entry file again. Keys name content, so a parse held here is the one the file would
# give. Only the parses are held (the snapshot holds their items anyway), not the pack's
# pickled segments.
_HELD: dict[Path, dict[str, Parsed]] = {}


def _held_parse(folder: Path, key: str) -> Parsed | None:
    used = _HELD.get(folder)
    return used.get(key) if used is not None else None


def _segments_of(entries: list[tuple[str, Parsed]]) -> list[_Segment]:
    segments = []
    for start in range(0, len(entries), SEGMENT_ENTRIES):
        piece = entries[start : start + SEGMENT_ENTRIES]
        values = [value for _, value in piece]
        segments.append(_Segment(tuple(key for key, _ in piece), dump_parsed(values), values))
    return segments


def _pack_stamp() -> str:
    return f"parse pack {PACK_FORMAT} {parser_fingerprint()}"


def _load_pack(file: Path) -> list[_Segment]:
    data = unseal(read_regular(file), _pack_stamp())
    if data is None:
        if file.exists():
            note(file, "damaged, of another version, or not a regular file")
        return []
    try:
        payload = _PlainUnpickler(io.BytesIO(data)).load()
    except Exception as error:  # noqa: BLE001 - a damaged or foreign pack is simply not used
        note(file, str(error))
        return []
    if not isinstance(payload, dict) or payload.get("format") != PACK_FORMAT or not isinstance(payload.get("segments"), list):
        return []
    segments = []
    for entry in payload["segments"]:
        if (
            isinstance(entry, tuple)
            and len(entry) == 2
            and isinstance(entry[0], tuple)
            and all(type(key) is str for key in entry[0])
            and isinstance(entry[1], bytes)
        ):
            segments.append(_Segment(entry[0], entry[1]))
    return segments
