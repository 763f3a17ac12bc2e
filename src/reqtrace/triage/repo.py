"""Triage against a spec repo: which baseline, which requests, and the index cache.

The classifier (`triage.py`) is pure; this module feeds it. It reads the
baseline's requirements at the baseline's commit, indexes them once (the index
is cached under the git directory, keyed by commit: a baseline never changes),
and collects the requests to triage — by id from the working tree, from
request files, from an `.eml` file, or from raw text.

The caches here (the index, and the recorded baselines with their sign-offs)
are hints, never evidence (the rules of io/cachefile.py): opened only as regular
files, each sealed with a sha256 over its payload and what it is keyed by, and
rebuilt when it does not verify. What triage quotes as signed — each match's
title, statement and criteria — is checked against git at the baseline's
commit before it is shown (`run_checked`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from reqtrace.baselines.baseline import (
    Baseline,
    plain_signed_baseline,
    revision_baseline,
    signed_baseline_of,
)
from reqtrace.core import cachestore
from reqtrace.core.config import SpecRepo, parse_config
from reqtrace.core.model import ERROR, Request, Requirement, Snapshot
from reqtrace.core.model import natural_key as _natural
from reqtrace.core.parse import parse_request
from reqtrace.core.snapshot import (
    Reader,
    read_items,
    read_named_items,
    requirements_at,
    resolve_revision,
)
from reqtrace.errors import InputError, UsageError
from reqtrace.io import gitio
from reqtrace.io.cachefile import note, read_regular, seal, unseal
from reqtrace.io.clock import timestamp
from reqtrace.io.files import atomic_write
from reqtrace.io.yamlio import MAX_FILE_BYTES
from reqtrace.triage import BaselineIndex, TriageResult, classify_request, decide, weigh
from reqtrace.triage.classify import Weighed
from reqtrace.triage.model import CLASSES, probabilities, shipped_model
from reqtrace.triage.precedent import (
    DECIDED_CLASSES,
    FITTED,
    PrecedentIndex,
    apply_precedent,
    decided,
    decision_date,
)
from reqtrace.triage.priors import Mix, estimate_mix
from reqtrace.triage.words import keep_caches_in

MAX_TEXT_BYTES = 1024 * 1024  # a request's text is read up to 1 MB; the classifier reads its start


def choose_baseline(repo: SpecRepo, name: str | None) -> Baseline:
    """The baseline to triage against: `name`, else the accepted baseline.

    This is the one place that decides which baseline triage uses (its
    requirements are read later, from the index cache when possible). A name
    is a recorded baseline (`baselines/NAME/`, with its sign-offs and delivery
    date) or, failing that, any revision — a tag or commit — without sign-offs.
    With no name and no accepted baseline it raises the error that says which
    baselines exist and how to sign one.
    """
    if name is None:
        chosen = _recorded_baselines(repo).get(None)
        if chosen is None:
            from reqtrace.baselines.baseline import scan_baselines

            scan_baselines(repo).accepted()  # says which baseline file is missing, if that is why
            raise no_accepted_baseline(repo)
        return chosen
    chosen = _recorded_baselines(repo).get(name)
    return chosen if chosen is not None else revision_baseline(name, resolve_revision(repo, name))


# The shape of the baselines kept by _recorded_baselines; another number, another file.
_RECORDED_FORMAT = 2


def _recorded_baselines(repo: SpecRepo) -> dict[str | None, Baseline]:
    """The recorded baselines by folder name (and the accepted one under None), as triage
    names and needs them: without the manifest's requirement list (triage reads the
    requirements at the baseline's commit, through its index).

    Reading the manifests costs about 0.5 s at 10,000 requirements, more than a
    whole triage; what triage needs (name, commit, sign-offs) is cached beside
    the index, keyed by the size and time of every file under baselines/.
    """
    import hashlib
    import json

    from reqtrace.baselines.baseline import folder_of, scan_baselines, witness_findings

    reader = Reader(repo, None)
    config, _ = parse_config(reader.read_config())
    stamps = []
    listed = reader.list_files([config.baselines_dir])
    for source in listed:
        try:
            # ctime and inode too: an edit that keeps the size and sets the old mtime back still shows.
            info = (repo.root / source.path).lstat()
            stamps.append(f"{source.path}\0{source.size}\0{info.st_mtime_ns}\0{info.st_ctime_ns}\0{info.st_ino}")
        except OSError:
            stamps.append(source.path)
    # A baseline or sign-off deleted leaves files that once meant an older accepted baseline.
    stamps.extend(f.message for f in witness_findings(repo, None, config.baselines_dir, [source.path for source in listed]))
    folder = _cache_folder(repo)
    key = hashlib.sha256("\n".join(stamps).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    path = folder / f"baselines-{key}.json" if folder else None
    stamp = f"triage baselines {_RECORDED_FORMAT} {key}"
    raw = unseal(read_regular(path), stamp) if path is not None else None
    if raw is not None:
        try:
            cached = json.loads(raw)
            return {entry["key"]: signed_baseline_of(entry["baseline"]) for entry in cached}
        except (ValueError, KeyError, TypeError) as error:
            note(path, str(error))  # type: ignore[arg-type]
    scanned = scan_baselines(repo)
    found: dict[str | None, Baseline] = {
        folder_of(baseline): replace(baseline, name=folder_of(baseline), requirements=()) for baseline in scanned.baselines
    }
    # With a baseline file missing or unreadable the accepted one is unknown (the missing one may
    # be it): no entry under None, nothing cached, and choose_baseline says what is missing.
    accepted = scanned.accepted_if_known()
    if accepted is not None:
        found[None] = found[folder_of(accepted)]
    if path is not None and not scanned.findings:
        entries = [{"key": k, "baseline": plain_signed_baseline(b)} for k, b in found.items()]
        try:
            atomic_write(path, seal(stamp, json.dumps(entries, ensure_ascii=False).encode("utf-8", "surrogateescape")), durable=False)
        except OSError:
            pass
    return found


def no_accepted_baseline(repo: SpecRepo) -> InputError:
    recorded = [name for name in _recorded_baselines(repo) if name is not None]
    names = list(dict.fromkeys([*recorded, *baseline_tags(repo)]))
    if names:
        which = f"name one with --baseline NAME (baselines in this repo: {', '.join(names[:8])})"
    else:
        which = "this repo has no baseline yet"
    return InputError(
        "no accepted baseline: triage compares each request with the requirements the customer accepted, "
        f"and no baseline has a customer sign-off of meaning approved or accepted; {which}",
        hint="sign one as the customer: `reqtrace baseline sign NAME --signer \"Name <email>\" --meaning accepted "
        "--role customer --recorded --evidence FILE` (after `reqtrace baseline create NAME` if there is none), "
        "or pass --baseline with a baseline name, tag or commit",
    )


def baseline_tags(repo: SpecRepo) -> list[str]:
    if repo.git_top is None:
        return []
    return [tag.name for tag in gitio.list_tags(repo.git_top, "baseline/")]


def _baseline_requirements(repo: SpecRepo, commit: str) -> list[Requirement]:
    """Every requirement at a commit, as the baseline froze them (snapshot.requirements_at)."""
    return list(requirements_at(repo, commit)[1].values())


# ---------------------------------------------------------------- the index cache


def _cache_folder(repo: SpecRepo) -> Path | None:
    if repo.git_top is None:
        return None
    top = cachestore.cache_root(repo.git_top)  # None with REQTRACE_NO_CACHE: nothing kept
    return top / INDEX_KIND if top is not None else None


def baseline_index(repo: SpecRepo, name: str | None) -> tuple[Baseline, BaselineIndex]:
    """The baseline and its index, from the cache when this commit was indexed before.

    The index is kept by the one store of computed results (core/cachestore.py, kind
    `triage-index`: `.git/reqtrace/triage-index/STAMP-HASH.idx`, sealed marshal): safe to
    delete, written atomically (safe under concurrent runs) and ignored when it does
    not match its seal, is of another format or shape, or is not a regular file.
    """
    baseline = choose_baseline(repo, name)
    folder = _cache_folder(repo)
    keep_caches_in(folder.parent if folder is not None else None)  # the segmenter's caches, beside the index
    return baseline, _index_of(repo, baseline.commit)


INDEX_KIND = "triage-index"  # a baseline's index, in the order triage reads it
PACK_INDEX_KIND = "pack-triage-index"  # the same index in the pack's order (the pack's bytes depend on it)


def _index_id(repo: SpecRepo, commit: str) -> str:
    """The content id of the index of `commit`: the commit within the git repository, and what
    makes words into terms (the triage package's code; the store's stamp covers the rest)."""
    return f"{repo.prefix}\x00{commit}\x00{_cache_key(repo, commit)}\x00{code_key()}"


def _index_path(repo: SpecRepo, commit: str) -> tuple[Path, str] | None:
    """The kept index of `commit` (core/cachestore.py) and the stamp its seal is taken with."""
    content_id = _index_id(repo, commit)
    path = cachestore.entry_path(repo.git_top, INDEX_KIND, content_id, ".idx")
    return (path, cachestore.seal_stamp(INDEX_KIND, content_id)) if path is not None else None


def _kept_index(path_shown: str, data: bytes | None, fits: Callable[[BaselineIndex], bool]) -> BaselineIndex | None:
    """The index in `data` when it is one of this format and `fits`; else None (a note under --debug)."""
    if data is None:
        return None
    try:
        index = BaselineIndex.from_bytes(data)
    except Exception as error:  # noqa: BLE001 - whatever is wrong with it, it is rebuilt
        note(path_shown, str(error))
        return None
    if not _whole(index) or not fits(index):
        note(path_shown, "not a triage index of these requirements")
        return None
    return index


def _index_of(repo: SpecRepo, commit: str, *, use_cache: bool = True) -> BaselineIndex:
    content_id = _index_id(repo, commit) if repo.git_top is not None else ""
    if repo.git_top is not None and use_cache:
        kept = _kept_index(f"{INDEX_KIND} of {commit[:12]}", cachestore.load_bytes(repo.git_top, INDEX_KIND, content_id), lambda _index: True)
        if kept is not None:
            return kept
    index = BaselineIndex.build(_baseline_requirements(repo, commit))
    # Not written outside git or on a read-only disk: triage still runs, only slower.
    cachestore.store_bytes(repo.git_top, INDEX_KIND, content_id, index.to_bytes())
    return index


def index_in_order(repo: SpecRepo, commit: str, requirements: Sequence[Requirement]) -> BaselineIndex:
    """`BaselineIndex.build(requirements)` — the requirements of the baseline at `commit`, in
    the caller's order — kept (core/cachestore.py, kind `pack-triage-index`), so that a pack built
    again on the same baseline does not tokenise every requirement again (most of a pack's
    time at 10,000 requirements). The kept index is a hint: it is used only when every
    record in it is the requirement given at its position; anything else is rebuilt."""
    folder = _cache_folder(repo)
    keep_caches_in(folder.parent if folder is not None else None)  # the segmenter's caches, beside the index
    if repo.git_top is None:
        return BaselineIndex.build(requirements)
    content_id = _index_id(repo, commit)

    def same_requirements(index: BaselineIndex) -> bool:
        return len(index) == len(requirements) and all(
            _same_indexed(index.requirement(position), requirement) for position, requirement in enumerate(requirements)
        )

    kept = _kept_index(f"{PACK_INDEX_KIND} of {commit[:12]}", cachestore.load_bytes(repo.git_top, PACK_INDEX_KIND, content_id), same_requirements)
    if kept is not None:
        return kept
    index = BaselineIndex.build(requirements)
    cachestore.store_bytes(repo.git_top, PACK_INDEX_KIND, content_id, index.to_bytes())
    return index


def index_content_id(index: BaselineIndex) -> str:
    """A hash of what an index holds of each requirement, in order: equal ids, equal answers.
    (Here, not in triage/: the shipped weights are fingerprinted over that package's code.)"""
    import hashlib
    import json

    from reqtrace.triage.index import INDEX_FORMAT

    # JSON, not marshal: marshal's bytes depend on which objects are shared in memory, so an
    # index read back from the store hashed differently from the same index just built.
    records = json.dumps([INDEX_FORMAT, index._records], ensure_ascii=False, separators=(",", ":"))  # noqa: SLF001
    return hashlib.sha256(records.encode("utf-8", "surrogatepass")).hexdigest()


def code_key() -> str:
    """A hash of the triage package's code: how words become terms decides the postings."""
    import hashlib

    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    try:
        for path in sorted([*package.glob("*.py"), *package.glob("*.json")]):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    except OSError:
        pass  # installed without sources: the format number in the key must do
    return digest.hexdigest()[:12]


def _whole(index: BaselineIndex) -> bool:
    """The shape of an index read from the cache, cheaply: a file that is not one is
    rebuilt, never a crash later (the classifier indexes these without checking)."""
    records, postings, concepts = index._records, index._postings, index._concept_sets  # noqa: SLF001
    return (
        type(records) is list and type(postings) is dict and type(concepts) is list and len(concepts) == len(records)
        and all(type(record) is tuple and len(record) == 11 and type(record[0]) is str for record in records)
        and all(type(entry) is tuple and len(entry) == 2 and type(entry[0]) is bytes and len(entry[0]) == len(entry[1]) for entry in postings.values())
    )


# What the index keeps of a requirement (triage._requirement_record): what must agree with git.
_INDEXED = ("id", "title", "statement", "path", "line", "acceptance", "priority", "status", "parents", "tags", "owner")


def _same_indexed(one: Requirement, other: Requirement) -> bool:
    return all(tuple(a) == tuple(b) if isinstance(a, tuple | list) and isinstance(b, tuple | list) else a == b
               for a, b in ((getattr(one, name), getattr(other, name)) for name in _INDEXED))


def run_checked(repo: SpecRepo, inputs: Sequence[TriageInput], baseline: Baseline, index: BaselineIndex,
                precedents: PrecedentIndex | None = None, batch: MixBatch | None = None) -> tuple[TriageRun, BaselineIndex]:
    """`run_triage`, with every requirement a result quotes (its matches' signed title,
    statement and criteria) checked against git at the baseline's commit: the index is a
    cache, and what triage quotes as signed must be what was signed. When a quoted
    requirement differs, the index is rebuilt from git and the requests triaged again."""
    kept = kept_mix(repo, baseline.commit, batch) if batch is not None else None
    run = run_triage(inputs, baseline, index, precedents, batch, kept)
    quoted = {match.id for _, result in run.results for match in result.matches}
    if quoted and not _agrees_with_git(repo, baseline.commit, index, quoted):
        index = _index_of(repo, baseline.commit, use_cache=False)
        run = run_triage(inputs, baseline, index, precedents, batch)  # nothing kept read: the index was not what was signed
    return run, index


def _agrees_with_git(repo: SpecRepo, commit: str, index: BaselineIndex, ids: set[str]) -> bool:
    if repo.git_top is None:
        return True  # no cache either
    claimed = {rid: index.get(rid) for rid in sorted(ids)}
    if any(requirement is None for requirement in claimed.values()):
        return False
    paths = sorted({requirement.path for requirement in claimed.values() if requirement is not None})
    # Read from git, never from a cache: this checks what the cached index quotes as signed.
    found = read_named_items(repo, commit, paths).requirements
    return all(requirement is not None and rid in found and _same_indexed(found[rid], requirement) for rid, requirement in claimed.items())


def _cache_key(repo: SpecRepo, commit: str) -> str:
    """What the index depends on besides the commit: the requirements folder and how words are made."""
    import hashlib

    from reqtrace.triage.index import INDEX_FORMAT
    from reqtrace.triage.words import STOPWORDS_EN, STOPWORDS_ZH

    config, _ = parse_config(Reader(repo, commit).read_config())
    vocabulary = repr((sorted(STOPWORDS_EN), sorted(STOPWORDS_ZH), INDEX_FORMAT))
    return hashlib.sha256(f"{config.requirements_dir}\0{vocabulary}".encode()).hexdigest()[:12]


# ---------------------------------------------------------------- requests


def load_records(repo: SpecRepo, kinds: Sequence[str]) -> Snapshot:
    """The working tree's records of the given kinds only (requests, meetings, emails …).

    Triage must answer fast on a big spec repo: it reads the records it needs,
    not every requirement of the working tree.
    """
    return read_items(repo, None, kinds)


@dataclass(frozen=True)
class TriageInput:
    """One thing to triage: a request in the repo, a request file, an email or raw text."""

    label: str  # the request id, or the file or text given
    text: str
    refs: tuple[str, ...] = ()
    request: Request | None = None  # when it is a request of this repo (then --write can store it)
    received: str | None = None
    claimed: str | None = None  # how the customer frames it
    request_id: str | None = None  # the id a request file gives, in the repo or not: it never cites itself


def request_input(request: Request) -> TriageInput:
    text = f"{request.title}\n{request.text}"
    return TriageInput(request.id, text, tuple(dict.fromkeys([*request.refs, *request.affects])), request,
                       request.received, request.claimed, request.id)


def file_input(repo: SpecRepo | None, path: Path, requests: dict[str, Request] | None) -> TriageInput:
    """A request file (YAML) or an email (.eml) given on the command line."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    if path.suffix.lower() == ".eml":
        from reqtrace.records.mailtext import read_email

        try:
            mail = read_email(path.read_bytes())
        except ValueError as exc:
            raise InputError(f"{path}: {exc}") from None
        return TriageInput(str(path), f"{mail.subject}\n{mail.text}", received=mail.date)
    if size > MAX_FILE_BYTES:
        raise InputError(f"{path}: file is {size:,} bytes; request files are read up to {MAX_FILE_BYTES:,} bytes")
    from reqtrace.core.model import Config

    parsed = parse_request(path.name, path.read_bytes(), Config(project="(triage)"))
    errors = [f for f in parsed.findings if f.severity == ERROR]
    if errors or not parsed.items:
        first = errors[0] if errors else None
        where = f"{path}:{first.line}" if first and first.line else str(path)
        raise InputError(f"{where}: not a readable request file: {first.message if first else 'no request in it'}",
                         hint="fix the file (run `reqtrace check`); nothing was triaged or written")
    request = parsed.items[0]
    known = (requests or {}).get(request.id)
    in_repo = known if known is not None and repo is not None and (repo.root / known.path).resolve() == path.resolve() else None
    found = request_input(request)
    return TriageInput(request.id if in_repo else str(path), found.text, found.refs, in_repo, request.received,
                       request.claimed, request.id)


def text_input(text: str) -> TriageInput:
    data = text.encode("utf-8", "surrogatepass")
    if len(data) > MAX_TEXT_BYTES:
        text = data[:MAX_TEXT_BYTES].decode("utf-8", "ignore")
    label = " ".join(text.split())
    return TriageInput(label[:60] + ("…" if len(label) > 60 else "") or "(empty text)", text)


@dataclass
class TriageRun:
    baseline: Baseline
    results: list[tuple[TriageInput, TriageResult]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    mix: Mix | None = None  # the repo's own mix of requests, as estimated (None: not asked for)


@dataclass(frozen=True)
class MixBatch:
    """What tells the repo's own mix of requests (triage/priors.py): the latest `MIX_LATEST`
    undecided requests of the working tree (their text and refs, in id order), and the classes of
    the decided ones."""

    undecided: tuple[tuple[str, tuple[str, ...]], ...]
    decided: tuple[tuple[str, int], ...]


# The mix is read from the latest undecided requests only: each is weighed once (about 7 ms; its row
# is kept after), so a repo with 25,000 undecided requests would pay minutes before its first answer,
# and a few hundred requests tell a mix of four classes as well as thousands (the test of priors.py
# passes or fails on the shift, which a sample this size measures to about ±0.05 a class).
MIX_LATEST = 500


def mix_batch(repo: SpecRepo, records: Snapshot | None = None) -> MixBatch:
    """The repo's request records as the batch whose mix triage adapts to: the same whichever
    requests the command line names, so a request's answer does not depend on what else is asked."""
    if records is None:
        records = load_records(repo, ("request",))
    requests = records.requests
    latest = sorted(undecided(requests), key=lambda r: (str(r.received), _natural(r.id)), reverse=True)[:MIX_LATEST]
    texts = []
    for request in sorted(latest, key=lambda r: _natural(r.id)):
        item = request_input(request)
        texts.append((item.text, item.refs))
    counts = {name: 0 for name in DECIDED_CLASSES}
    for request in decided(requests.values()):
        assert request.decision is not None and request.decision.as_ is not None  # noqa: S101 - decided() keeps these only
        counts[request.decision.as_] += 1
    return MixBatch(tuple(texts), tuple(counts.items()))


def undecided(requests: dict[str, Request]) -> list[Request]:
    """Requests without a decision (a pending decision is no decision yet)."""
    return [r for r in requests.values() if r.decision is None or r.decision.status == "pending"]


def select_inputs(
    repo: SpecRepo,
    *,
    items: Sequence[str],
    text: str | None,
    every: bool,
    since: str | None,
) -> tuple[list[TriageInput], Snapshot | None]:
    """What to triage, from the command line's words."""
    if text is not None and (items or every):
        raise UsageError("give request ids or files, --text, or --all — not several of them")
    if not items and text is None and not every:
        raise UsageError("nothing to triage: give request ids (RQ-7), request or .eml files, --text TEXT, or --all")
    if text is not None:
        return [text_input(text)], None
    records = load_records(repo, ("request",))
    requests = records.requests
    chosen: list[TriageInput] = []
    if every:
        chosen.extend(request_input(r) for r in sorted(undecided(requests), key=lambda r: _natural(r.id)))
    for item in items:
        path = Path(item)
        if item in requests:
            chosen.append(request_input(requests[item]))
        elif path.suffix.lower() in (".yaml", ".yml", ".eml") or path.exists():
            chosen.append(file_input(repo, path, requests))
        else:
            raise missing_request(repo, item, records)
    if since is not None:
        chosen = [c for c in chosen if c.received is None or c.received[:10] > since]
    return chosen, records


def missing_request(repo: SpecRepo, request_id: str, records: Snapshot) -> InputError:
    """The error for a request id that is not there — or is there, in a file that cannot be read."""
    broken = [f for f in records.findings if f.severity == ERROR and f.path]
    own = [f for f in broken if Path(f.path or "").stem == request_id or f.id == request_id]
    if own:
        first = own[0]
        return InputError(f"{first.path}:{first.line or 1}: {first.message}",
                          hint=f"{request_id} cannot be read until this is fixed (`reqtrace check`); nothing was written")
    hint = "`reqtrace list --kind request` lists the requests"
    if broken:
        hint += f"; {len(broken)} record file(s) could not be read — run `reqtrace check`"
    return InputError(f"no request '{request_id}' in {repo.root}", hint=hint + "; nothing was written")




@dataclass(frozen=True)
class KeptMix:
    """Where the mix of a batch is kept (core/cachestore.py, kind `triage-mix`): by the baseline's
    index id (its commit and the triage code, weights included) and the batch's texts, refs and
    decided classes, so that `triage RQ-ID` does not weigh every other undecided request again."""

    git_top: Path
    content_id: str
    # The baseline's index id alone: each undecided text's probabilities against that index, kept
    # across batches, so that a request added, edited or decided weighs only the texts not seen yet
    # (at 2,500 undecided requests, weighing them all is some 17 s of CPU).
    rows_id: str = ""

    def load(self) -> Mix | None:
        return cachestore.load(self.git_top, MIX_KIND, self.content_id, _mix_from)

    def store(self, mix: Mix) -> None:
        cachestore.store(self.git_top, MIX_KIND, self.content_id, {
            "shares": [[name, share] for name, share in mix.shares], "requests": mix.requests,
            "decisions": mix.decisions, "applied": mix.applied, "why": mix.why})

    def load_rows(self) -> dict[str, dict[str, float]]:
        """The kept probabilities by `row_key`; {} when none is kept or it is not of this shape."""
        if not self.rows_id:
            return {}
        return cachestore.load(self.git_top, MIX_ROWS_KIND, self.rows_id, _rows_from) or {}

    def store_rows(self, rows: dict[str, dict[str, float]]) -> None:
        if self.rows_id:
            cachestore.store(self.git_top, MIX_ROWS_KIND, self.rows_id, rows)


MIX_KIND = "triage-mix"
MIX_ROWS_KIND = "triage-mix-rows"


def row_key(text: str, refs: tuple[str, ...]) -> str:
    """What a batch's row is kept by: the text and refs it is weighed from."""
    import hashlib
    import json

    return hashlib.sha256(json.dumps([text, list(refs)], ensure_ascii=False).encode("utf-8", "surrogatepass")).hexdigest()


def _rows_from(value: Any) -> dict[str, dict[str, float]] | None:
    """Kept rows, when each is a probability per class (as `probabilities` gives); None otherwise."""
    if type(value) is not dict:
        return None
    for key, row in value.items():
        if type(key) is not str or type(row) is not dict or list(row) != list(CLASSES):
            return None
        if not all(type(p) is float and 0.0 <= p <= 1.0 for p in row.values()):
            return None
    return value


def kept_mix(repo: SpecRepo, commit: str, batch: MixBatch) -> KeptMix | None:
    """The place of `batch`'s mix against the baseline at `commit`; None outside git."""
    if repo.git_top is None:
        return None
    import hashlib
    import json

    said = json.dumps([batch.undecided, batch.decided], ensure_ascii=False, separators=(",", ":"))
    index_id = _index_id(repo, commit)
    return KeptMix(repo.git_top, f"{index_id}\x00{hashlib.sha256(said.encode('utf-8', 'surrogatepass')).hexdigest()}", index_id)


def _mix_from(value: Any) -> Mix | None:
    """A kept mix, when it has the shape `KeptMix.store` gives; None otherwise (computed again)."""
    try:
        shares = tuple((str(name), float(share)) for name, share in value["shares"])
        fields = (value["requests"], value["decisions"], value["applied"], value["why"])
    except (KeyError, TypeError, ValueError):
        return None
    if [name for name, _ in shares] != list(CLASSES) or not all(0.0 <= share <= 1.0 for _, share in shares):
        return None
    if type(fields[0]) is not int or type(fields[1]) is not int or type(fields[2]) is not bool or type(fields[3]) is not str:
        return None
    return Mix(shares, fields[0], fields[1], fields[2], fields[3])


def run_triage(inputs: Sequence[TriageInput], baseline: Baseline, index: BaselineIndex,
               precedents: PrecedentIndex | None = None, batch: MixBatch | None = None,
               kept: KeptMix | None = None) -> TriageRun:
    """Classify each input; with `batch`, re-weighed by the repo's own mix of requests when it is
    one (priors.py), read from `kept` when it was kept; with `precedents`, the decided requests
    like it are cited and weighed in."""
    run = TriageRun(baseline)
    weighed: dict[tuple[str, tuple[str, ...]], Weighed] = {}  # each text weighed once, in the batch and as an input

    def weighed_of(text: str, refs: tuple[str, ...]) -> Weighed:
        key = (text, refs)
        if key not in weighed:
            weighed[key] = weigh(text, index, refs)
        return weighed[key]

    readable = len(index) > 0
    if batch is not None and readable:
        run.mix = kept.load() if kept is not None else None
        if run.mix is None:
            known = kept.load_rows() if kept is not None else {}
            keyed = [(row_key(text, refs), text, refs) for text, refs in batch.undecided if _has_words(text)]
            rows: dict[str, dict[str, float]] = {}
            for key, text, refs in keyed:
                if key not in rows:
                    rows[key] = known.get(key) or probabilities(weighed_of(text, refs).features)
            # One row per undecided request, in the batch's order (two requests of the same text, two rows).
            run.mix = estimate_mix([rows[key] for key, _text, _refs in keyed], dict(batch.decided))
            if kept is not None:
                kept.store(run.mix)
                kept.store_rows(rows)  # this batch's only: rows of requests gone are let go
    for item in inputs:
        if readable and _has_words(item.text):
            result = decide(weighed_of(item.text, item.refs), index, request=item.label, claimed=item.claimed, mix=run.mix)
        else:  # no text to read, or an empty baseline: the classifier says so itself
            result = classify_request(item.text, index=index, request=item.label, refs=item.refs, claimed=item.claimed)
        if precedents is not None and len(precedents):
            itself = [name for name in (item.request_id, item.label) if name]
            result = apply_precedent(result, precedents.nearest(item.text, exclude=itself, floor=FITTED.floor),
                                     abstain_below=shipped_model()["threshold"])
        run.results.append((item, result))
    return run


def _has_words(text: str) -> bool:
    return any(ch.isalnum() for ch in text.strip())


def triage_in_repo(repo: SpecRepo, inputs: Sequence[TriageInput], baseline: Baseline, index: BaselineIndex, records: Snapshot | None,
                   *, precedent: bool = True, priors: bool = True) -> tuple[TriageRun, BaselineIndex]:
    """What `reqtrace triage` answers for `inputs` against `baseline`: with the decided requests of
    `records` as precedent and the mix of its requests (`mix_batch`), checked against git
    (`run_checked`). The one path of the command and of `pack build` (pack/build.py, with the
    records at the pack's revision), so that the two never answer the same request differently."""
    precedents = precedent_index(repo, records) if precedent and inputs else None
    batch = mix_batch(repo, records) if priors and inputs else None
    return run_checked(repo, inputs, baseline, index, precedents, batch)


def answers_depend_id(repo: SpecRepo, records: Snapshot) -> str:
    """A hash of what a request's answer depends on in `records` besides its own text and the
    baseline: each decided request precedent indexes (its id, the text it reads, and the class,
    status, who, when and where it cites), in the order it indexes them, and the batch the mix
    is estimated from. Equal ids, equal precedents and mix: an edited or new decision, or a
    request added or edited, gives another id (pack/build.py keeps its answers by it)."""
    import hashlib
    import json

    cited = []
    for request in decided(records.requests.values()):
        decision = request.decision
        assert decision is not None  # noqa: S101 - decided() keeps these only
        cited.append([request.id, request_input(request).text, decision.as_, decision.status, decision.by, decision_date(request), decision.in_])
    batch = mix_batch(repo, records)
    said = json.dumps([cited, batch.undecided, batch.decided], ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(said.encode("utf-8", "surrogatepass")).hexdigest()


def mix_line(mix: Mix) -> str:
    """The mix as `reqtrace triage` says it under the baseline (and a pack beside each answer)."""
    shown = f"{mix.described()}; " if mix.applied else ""
    return f"this repo's mix of requests: {shown}{mix.why}"


def precedent_index(repo: SpecRepo, records: Snapshot | None = None) -> PrecedentIndex:
    """The decided requests of the repo's working tree, indexed as precedent for triage."""
    if records is None:
        records = load_records(repo, ("request",))
    folder = _cache_folder(repo)
    keep_caches_in(folder.parent if folder is not None else None)
    return PrecedentIndex.build((request, request_input(request).text) for request in decided(records.requests.values()))


def decision_moment(given: str | None) -> str:
    """What `decide --on` records: now with its offset (clock.timestamp) when not given; a
    date as given; a time as given, with the machine's offset when it names none."""
    if given is None:
        return timestamp()
    text = given.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text).isoformat()
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--on must be a date like 2026-08-20 or a time like 2026-08-20T14:30:00+08:00 (got '{given}')") from None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return timestamp(moment)
