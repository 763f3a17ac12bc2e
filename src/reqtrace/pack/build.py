"""Evidence packs: what was agreed, who signed it, and everything since — as one zip.

`gather_pack` reads the spec repo (the baseline's commit and the `--to`
revision) into `PackContents`; `build_pack` lays the contents out as members
with safe names, renders index.html (pack/report.py), and writes a deterministic zip
atomically. `pack verify` (pack/verify.py) checks such a zip with no git at hand.

The parts other modules own — baselines and sign-offs, the field-level diff,
the evidence graph, triage — each come in through ONE adapter function below
(`gather_baseline`, `gather_changes`, `gather_graph`, `gather_triage`; records
through `email_view` and `document_view` of pack/contents.py, which holds the
types and member names this module and pack/report.py share).
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import json.encoder as json_encoder
import os
import shlex
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

from reqtrace import __version__
from reqtrace.baselines.baseline import forget_read_manifests
from reqtrace.core import cachestore
from reqtrace.core.config import SpecRepo
from reqtrace.core.digest import ALGORITHM, root_digest
from reqtrace.core.model import SCHEMA_VERSION, Snapshot, item_fields, natural_key
from reqtrace.core.parse_cache import PackedParseCache
from reqtrace.core.snapshot import (
    WORKTREE,
    Reader,
    known_requirement_parses,
    load_snapshot,
    read_items,
    resolve_revision,
)
from reqtrace.core.worktree_state import SHOWN_FILES, file_list, uncommitted_files, worktree_config
from reqtrace.errors import InputError, RevisionError, UncommittedChanges, UsageError
from reqtrace.graph.status_chart import status_chart
from reqtrace.io import gitio
from reqtrace.io.archive import (
    DeflatedFrames,
    DeterministicZip,
    file_sha256,
    write_deflated_frame,
)
from reqtrace.io.clock import moment_key, source_date_epoch
from reqtrace.io.files import output_path, output_writer
from reqtrace.io.fork_map import fork_into
from reqtrace.io.progress import phase
from reqtrace.pack import kept_documents
from reqtrace.pack.contents import (
    ALLOWED_SIGNERS,
    BASE_JSON,
    DIFF_JSON,
    DOCUMENTS_JSON,
    EMAILS_JSON,
    FILES_JSON,
    GRAPH_JSON,
    INDEX,
    MANIFEST_COPY,
    MEETINGS_JSON,
    PACK_FORMAT,
    PACK_JSON,
    REQUESTS_JSON,
    SIGNOFFS_JSON,
    TIMELINE_JSON,
    TO_JSON,
    Digests,
    Event,
    GraphEdge,
    GraphNode,
    Layout,
    MadeAsWalked,
    Originals,
    PackContents,
    PackedBaseline,
    PackedSignOff,
    TraceGraph,
    date_key,
    document_view,
    email_view,
    plain,
)
from reqtrace.pack.kept_members import laid_out_files
from reqtrace.pack.report import render_pack_page
from reqtrace.records.testevidence import (
    UNTESTED,
    Evidence,
    evidence_for,
    read_test_runs,
    tests_folder,
)


@dataclass
class PackResult:
    path: Path
    size: int
    sha256: str
    members: int
    pack: dict[str, Any]
    manifest_sha256: str  # sha256 of MANIFEST.sha256: one value that fixes every file of the pack
    html_path: Path | None = None
    warnings: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ small helpers


def _folder_keeper(path: str, files: Originals) -> bool:
    """An empty `.gitkeep` (as `reqtrace init` writes): it keeps a folder in git and records nothing."""
    return path.rpartition("/")[2] in (".gitkeep", ".keep") and not (files.get(path) or b"").strip()


def _same_file(one: Originals, other: Originals, path: str) -> bool:
    """Whether `path` has the same bytes in both: by blob id when both were listed at a commit."""
    first, second = one.oid(path), other.oid(path)
    if first is not None and second is not None:
        return first == second
    return one.get(path) == other.get(path)


def _build_time(repo: SpecRepo, commits: Iterable[str | None]) -> tuple[dt.datetime, str]:
    """The one timestamp of the pack: SOURCE_DATE_EPOCH, else the newest commit's date."""
    epoch = source_date_epoch()
    if epoch is not None:
        return epoch, "SOURCE_DATE_EPOCH"
    dates = []
    for commit in commits:
        if commit and repo.git_top is not None:
            stamp = gitio.commit_info(repo.git_top, commit)["commit_date"]
            dates.append((dt.datetime.fromisoformat(stamp), commit))
    if not dates:
        raise InputError("cannot date the pack: no commit to take the date from", hint="commit, or set SOURCE_DATE_EPOCH")
    moment, commit = max(dates)
    return moment.astimezone(dt.UTC), f"commit date of {commit[:12]}"


# ------------------------------------------------------------------- adapters


_STATUS = {"valid": "valid", "recorded": "recorded", "revoked": "revoked", "unverified": "unverified"}


def gather_baseline(repo: SpecRepo, name: str, to_files: Originals, base: Snapshot, to_commit: str | None, digest: Digests) -> PackedBaseline:
    """The baseline NAME: its commit, manifest, digests and sign-offs, verified (issue 3).

    ADAPTER over reqtrace.baselines.baseline. The baseline's files are read at --to, or in
    the working tree when --to predates them; `baseline verify`'s own checks run
    (manifest against its commit, tag, every signature and evidence), and their
    findings become the pack's warnings. NAME may also be a plain revision: then
    nothing is signed, and the pack says so.
    """
    from reqtrace.baselines.baseline import check_baseline_name, folder_of, scan_baselines
    from reqtrace.baselines.signed_statement import resolve_signers
    from reqtrace.baselines.verify import read_evidence, verify_baseline
    from reqtrace.errors import UsageError

    commit = resolve_revision(repo, name)
    try:
        check_baseline_name(name)
    except UsageError:
        return _revision_baseline(name, commit, base, digest, f"'{name}' is a plain revision, not a signed baseline")
    found, files_commit = None, None
    for where in dict.fromkeys([to_commit, None]):  # --to first, then the working tree
        found = next((b for b in scan_baselines(repo, where).baselines if folder_of(b) == name), None)
        if found is not None:
            files_commit = where
            break
    if found is None:
        return _revision_baseline(name, commit, base, digest, f"no {base.config.baselines_dir}/{name}/manifest.yaml: '{name}' is a plain revision, not a signed baseline")

    def read(path: str) -> bytes | None:
        return to_files.get(path) if files_commit == to_commit and path in to_files else Reader(repo, files_commit).read_path_stored(path)

    to_files.under(base.config.baselines_dir)  # the baseline's files, read in one batch

    info = PackedBaseline(baseline=found, commit=commit, manifest=read(found.path))
    if found.commit != commit:
        info.problems.append(f"{found.path} freezes commit {found.commit[:12]}, but '{name}' resolves to {commit[:12]}")
    # The manifest is checked against the digests kept for its commit (frozen_entries), the
    # same ones take_kept gave `base`; when none are kept, against `base` itself (digested
    # once, by its memo), not against a second reading of that commit.
    kept = digest.kept_at(commit)
    cache = {found.commit: base.requirements} if found.commit == commit and not kept else None
    checked = verify_baseline(repo, found, commit=files_commit, tolerate_missing_tool=True, cache=cache)
    info.problems.extend(f"{p.path}: {p.message}" if p.path else p.message for p in checked.problems)
    allowed = resolve_signers(repo, None)
    info.allowed_signers = allowed.read_bytes() if allowed.is_file() else None
    for check in checked.signoffs:
        signoff = check.signoff
        info.signoffs.append(
            PackedSignOff(
                signoff=signoff,
                raw=read(signoff.path) or b"",
                # Only from inside the repo: a sign-off's evidence path is input (read_evidence says why).
                evidence=read_evidence(repo, files_commit, signoff.evidence.path).data if signoff.evidence else None,
                revoked=f"{check.revocation.reason} ({check.revocation.by}, {check.revocation.time})" if check.revocation else None,
                status=_STATUS.get(check.status, "invalid"),
                detail=check.detail,
            )
        )
    for revocation in found.revocations:
        info.revocations[revocation.path] = read(revocation.path) or b""
    info.delivery_date = found.delivery_date
    if info.delivery_date is None:
        # A contract baseline is not itself delivered: the project's delivery is the accepted baseline's.
        scanning = scan_baselines(repo, files_commit)
        scanned = scanning.baselines
        # A baseline file missing: the accepted baseline is unknown, and so is the delivery date.
        accepted = scanning.accepted_if_known()
        if scanning.findings:
            scanned = []
            info.problems.extend(f"{f.path}: {f.message}" for f in scanning.findings)
        dated = [b for b in ([accepted] if accepted else []) + sorted(scanned, key=lambda b: b.created) if b.delivery_date]
        if dated:
            info.delivery_date, info.delivery_from = dated[0].delivery_date, folder_of(dated[0])
    return info


def _revision_baseline(name: str, commit: str, base: Snapshot, digest: Digests, problem: str) -> PackedBaseline:
    """A plain revision taken as the baseline: it froze the requirements at `commit` (their
    digests, as `base` holds them), no manifest, and no one signed it."""
    from reqtrace.baselines.baseline import BaselineEntry, revision_baseline

    digests = digest.of(base)
    entries = tuple(BaselineEntry(rid, value, base.requirements[rid].path) for rid, value in digests.items())
    frozen = replace(revision_baseline(name, commit), algorithm=ALGORITHM, root_digest=root_digest(digests.items()), requirements=entries)
    return PackedBaseline(baseline=frozen, commit=commit, problems=[problem])


def gather_changes(repo: SpecRepo, baseline_name: str, base_commit: str, to: Snapshot, cache: Any = None) -> dict[str, Any]:
    """The changes from the baseline to --to, exactly as `reqtrace diff --format json` gives them (issue 4).

    ADAPTER over reqtrace.changes.diff: requirements matched by id, field-level changes,
    and the approved requests that cover each change.
    """
    from reqtrace.changes.diff import diff_json, diff_revisions

    return diff_json(diff_revisions(repo, base_commit, to.commit or WORKTREE, from_shown=baseline_name, cache=cache))



# reqtrace.graph.graph points `parent`, `source` and `thread` from the later item to the earlier one; the
# drawing reads left to right, from where a thing came from to what it became.
_DRAWN_BACKWARDS = {"parent", "source", "thread"}


def gather_graph(to: Snapshot, baseline: PackedBaseline) -> TraceGraph:
    """The evidence graph at --to (issue 5). ADAPTER over reqtrace.graph.graph's edges (no networkx needed)."""
    from dataclasses import replace

    from reqtrace.baselines.baseline import BaselineEntry, revision_baseline
    from reqtrace.graph import graph

    nodes: dict[str, GraphNode] = {}
    for req in to.requirements.values():
        nodes[req.id] = GraphNode(req.id, "requirement", req.title)
    for rq in to.requests.values():
        nodes[rq.id] = GraphNode(rq.id, "request", rq.title, rq.received)
    for mtg in to.meetings.values():
        nodes[mtg.id] = GraphNode(mtg.id, "meeting", mtg.title, mtg.date)
    for mail in to.emails.values():
        view = email_view(mail)
        nodes[mail.id] = GraphNode(mail.id, "email", view["subject"], view["date"])
    for doc in to.documents.values():
        view = document_view(doc)
        nodes[doc.id] = GraphNode(doc.id, "document", view["title"], view["date"])
    held = replace(revision_baseline(baseline.name, baseline.commit), created=baseline.created or "",
                   requirements=tuple(BaselineEntry(req_id, digest, "") for req_id, digest in sorted(baseline.digests.items())))
    nodes[graph.node_of(held)] = GraphNode(graph.node_of(held), "baseline", baseline.name, baseline.created)
    unique: dict[tuple[str, str, str], GraphEdge] = {}
    for source, target, kind, attrs in graph.graph_edges(to, [held]):
        if source not in nodes or target not in nodes or source == target:
            continue  # a dangling link: `reqtrace check` reports it
        if kind in _DRAWN_BACKWARDS:
            source, target = target, source
        unique.setdefault((source, target, kind), GraphEdge(source, target, kind, attrs.get("decision") if kind == "decides" else None))
    return TraceGraph(nodes, [unique[key] for key in sorted(unique)])


MAX_COMPUTED_TRIAGE = 200  # more undecided post-delivery requests than this: `reqtrace triage --all --write` first


def gather_triage(to: Snapshot, base: Snapshot, baseline: PackedBaseline, repo: SpecRepo) -> dict[str, dict[str, Any]]:
    """Each request's triage (issue 6). ADAPTER over reqtrace.triage.

    A recommendation recorded in the request (`triage --write`) is shown as is.
    A request received after the delivery date with neither a triage block nor
    a decision (a pending one is none yet, as `triage --all` reads it) is classified now against this pack's baseline, and marked as
    computed: a recommendation, not a decision — what `reqtrace triage RQ-ID
    --baseline NAME` answers at the pack's revision (triage.repo.triage_in_repo, the
    command's own path: the decided requests at --to as precedent, the mix of its requests).
    """
    result: dict[str, dict[str, Any]] = {}
    pending = []
    for rq in sorted(to.requests.values(), key=lambda r: natural_key(r.id)):
        if rq.triage is not None:
            result[rq.id] = {
                "classification": rq.triage.classification,
                "confidence": rq.triage.confidence,
                "reasons": list(rq.triage.reasons),
                "matches": list(rq.triage.matches),
                "baseline": rq.triage.baseline,
                "origin": "recorded in the request",
            }
        elif (rq.decision is None or rq.decision.status == "pending") and baseline.delivery_date and date_key(rq.received) > baseline.delivery_date:
            pending.append(rq)
    if not pending or not base.requirements:
        return result
    from reqtrace.triage.repo import (
        answers_depend_id,
        code_key,
        index_in_order,
        mix_line,
        request_input,
        triage_in_repo,
    )

    # In the order `reqtrace triage` indexes them (snapshot.requirements_at, the same reading of
    # the same commit): the index is then the command's, and matches of equal score rank alike.
    in_order = list(base.requirements.values())
    # A request's recommendation depends on its text, the baseline's requirements, and the repo's
    # decided requests and mix of requests (answers_depend_id): kept by all of them
    # (core/cachestore.py), a pack built again classifies only new or edited requests, none
    # after a decision is edited or a request added, and reads no index when all are kept (at
    # 100,000 requirements the index is 800 MB in memory).
    index_id = f"{index_records_id(in_order)}\x00{code_key()}\x00{answers_depend_id(repo, to)}"
    git_top = repo.git_top
    found: dict[str, list[Any]] = {}
    unkept = []
    for rq in pending[:MAX_COMPUTED_TRIAGE]:
        item = request_input(rq)
        content = json.dumps([index_id, rq.id, item.text, list(item.refs), item.claimed], ensure_ascii=False, default=str)
        kept = cachestore.load(git_top, TRIAGE_KIND, content, _triage_from_plain)
        if kept is not None:
            found[rq.id] = kept
        else:
            unkept.append((item, content))
    if unkept:
        index = index_in_order(repo, baseline.commit, in_order)
        run, _ = triage_in_repo(repo, [item for item, _ in unkept], replace(baseline.baseline, commit=baseline.commit), index, to)
        mix = run.mix.as_dict() if run.mix is not None else None
        for (item, content), (_, classified) in zip(unkept, run.results, strict=True):
            entry = [classified.classification, round(classified.confidence, 2), list(classified.reasons), [m.id for m in classified.matches],
                     [precedent.as_dict() for precedent in classified.precedents], mix, mix_line(run.mix) if run.mix is not None and run.mix.applied else None]
            cachestore.store(git_top, TRIAGE_KIND, content, entry)
            found[item.label] = entry
    for rq in pending[:MAX_COMPUTED_TRIAGE]:
        classification, confidence, reasons, matches, precedents, priors, mix_said = found[rq.id]
        result[rq.id] = {
            "classification": classification,
            "confidence": confidence,
            "reasons": reasons,
            "matches": matches,
            "precedents": precedents,
            "priors": priors,
            "mix": mix_said,
            "baseline": baseline.name,
            "origin": f"computed against {baseline.name} when the pack was built (a recommendation, not a decision)",
        }
    return result


TRIAGE_KIND = "pack-triage"
_RECORDS_PER_BATCH = 1024


def index_records_id(requirements: Sequence[Any]) -> str:
    """`triage.repo.index_content_id` of `BaselineIndex.build(requirements)`, without building
    or reading that index: the same JSON of what the index keeps of each requirement, hashed
    a batch of records at a time. An index read from the store is used only when its records
    equal these (triage.repo.index_in_order), so it has this id too."""
    from reqtrace.triage.index import INDEX_FORMAT
    from reqtrace.triage.index import _record as index_record

    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    digest = hashlib.sha256(f"[{encode(INDEX_FORMAT)},[".encode())
    for start in range(0, len(requirements), _RECORDS_PER_BATCH):
        batch = encode([index_record(r) for r in requirements[start:start + _RECORDS_PER_BATCH]])[1:-1]  # the items, ','-joined
        digest.update(("," if start else "").encode() + batch.encode("utf-8", "surrogatepass"))
    digest.update(b"]]")
    return digest.hexdigest()


def _triage_from_plain(plain: Any) -> list[Any] | None:
    """A kept recommendation, when it has the shape gather_triage stores; None otherwise (computed again)."""
    if not (isinstance(plain, list) and len(plain) == 7):
        return None
    classification, confidence, reasons, matches, precedents, priors, mix_said = plain
    if not (isinstance(classification, str) and type(confidence) in (int, float) and isinstance(reasons, list) and isinstance(matches, list)
            and all(isinstance(text, str) for text in (*reasons, *matches))
            and isinstance(precedents, list) and all(isinstance(cited, dict) for cited in precedents)
            and (priors is None or isinstance(priors, dict)) and (mix_said is None or isinstance(mix_said, str))):
        return None
    return plain


# ------------------------------------------------------------------- gathering


def build_timeline(contents_to: Snapshot, baseline: PackedBaseline, base_commit_date: str | None) -> list[Event]:
    events: list[Event] = []
    for rq in contents_to.requests.values():
        events.append(Event(rq.received, rq.id, "request", "received", rq.title))
        if rq.decision and rq.decision.on:
            where = f" in {rq.decision.in_}" if rq.decision.in_ else ""
            by = f" by {rq.decision.by}" if rq.decision.by else ""
            events.append(Event(rq.decision.on, rq.id, "decision", rq.decision.status, f"{rq.decision.status}{by}{where}: {rq.title}"))
    for mtg in contents_to.meetings.values():
        events.append(Event(mtg.date, mtg.id, "meeting", "held", mtg.title))
    for mail in contents_to.emails.values():
        view = email_view(mail)
        events.append(Event(view["date"], mail.id, "email", "sent", view["subject"]))
    for doc in contents_to.documents.values():
        view = document_view(doc)
        events.append(Event(view["date"], doc.id, "document", "dated", view["title"]))
    if baseline.created or base_commit_date:
        events.append(Event(baseline.created or base_commit_date or "", baseline.name, "baseline", "created", f"baseline {baseline.name} of commit {baseline.commit[:12]}"))
    for signoff in (packed.signoff for packed in baseline.signoffs):
        events.append(Event(signoff.time, baseline.name, "sign-off", signoff.meaning, f"{signoff.signer} — {signoff.meaning} ({signoff.method})"))
    # By the moment each names (a date alone is the end of its day), then by id; a request's
    # decision after its receipt when both fell on the same day.
    return sorted((e for e in events if e.date), key=lambda e: (moment_key(e.date), natural_key(e.id), e.kind == "decision", e.kind))


def base_requirements(repo: SpecRepo, commit: str, to: Snapshot, blobs: dict[str, bytes] | None = None) -> tuple[Snapshot, Originals]:
    """The requirements at the baseline's commit, and their files (Originals).

    Read by the rules of every reading (snapshot.read_items); a file with the same bytes
    at --to is not parsed again: its requirements are the very objects of the --to
    snapshot (so they are digested once), and its bytes, when read, are those read at
    --to (`blobs`).
    """
    base = read_items(repo, commit, ("requirement",), cache=known_requirement_parses(to))
    files = Originals(repo, commit, [base.config.requirements_dir], blobs)
    files.sources = {path: source for path, source in files.sources.items() if path in base.files}
    return base, files


def gather_pack(repo: SpecRepo, baseline_name: str, to_rev: str | None = None, *, cache: Any = None) -> PackContents:
    """Read everything a pack shows. Nothing is written but parse-cache entries: the diff's
    own (only the files that changed), and the whole snapshot's when a ParseCache is given.
    A `cache` given is closed (written, if this build parsed files it lacked) and let go
    once the --to snapshot and the diff are read: nothing after reads it, and a parse pack
    holds 120 MB at 100,000 requirements while the rest is gathered."""
    to_ref = to_rev or "HEAD"
    try:
        base_commit = resolve_revision(repo, baseline_name)
    except RevisionError as unknown:
        # A pack is built from a baseline: say which baselines there are, not just
        # that the name is no revision (load_baseline raises that message).
        from reqtrace.baselines.baseline import load_baseline

        try:
            load_baseline(repo, baseline_name, None if to_ref == WORKTREE else to_ref)
        except UsageError:  # not even a baseline's name (`-x`): the revision error says why
            raise unknown from None
        raise
    with cache if cache is not None else nullcontext():
        to = load_snapshot(repo, WORKTREE if to_ref == WORKTREE else to_ref, cache=cache)
        diff = gather_changes(repo, baseline_name, base_commit, to, cache)
    del cache
    config = to.config
    blobs: dict[str, bytes] = {}
    to_files = Originals(repo, to.commit, sorted({config.requirements_dir, config.records_dir, config.baselines_dir}), blobs)
    base, base_files = base_requirements(repo, base_commit, to, blobs)
    digest = Digests()
    for snapshot in (base, to):
        digest.take_kept(repo, snapshot)
    digest.keep_all(repo, base)
    baseline = gather_baseline(repo, baseline_name, to_files, base, to.commit, digest)
    # The story reads every baseline's manifest (remembered by baselines/baseline.py); the pack
    # keeps only its own baseline's: the others are let go before the graph is built (at
    # 100,000 requirements, 200,000 entries, while the graph's records make the build's peak).
    story = gather_story(repo, to)
    forget_read_manifests()
    built_at, built_from = _build_time(repo, [to.commit or gitio.head_commit(repo.git_top) if repo.git_top else None, base_commit])
    base_date = gitio.commit_info(repo.git_top, base_commit)["commit_date"] if repo.git_top is not None else None
    return PackContents(
        repo=repo,
        baseline=baseline,
        base=base,
        to=to,
        to_ref=to_ref,
        diff=diff,
        changes=sorted(diff["changes"], key=lambda c: (c["approved"], natural_key(c["id"]))),
        triage=gather_triage(to, base, baseline, repo),
        graph=gather_graph(to, baseline),
        timeline=build_timeline(to, baseline, base_date),
        base_files=base_files,
        to_files=to_files,
        built_at=built_at,
        built_from=built_from,
        digest=digest,
        **story,
        tests=gather_tests(to, to_files, baseline),
    )


def gather_story(repo: SpecRepo, to: Snapshot) -> dict[str, Any]:
    """The pack's first page as `reqtrace status` tells it: `story`, what changed since the
    customer first signed and what was accepted without approval; `chart`, the picture over
    time. A baseline file that cannot be read leaves the story out: the pack lists the
    baseline's problems, and its other pages do not depend on this."""
    from reqtrace.baselines.baseline import scan_baselines
    from reqtrace.graph.status import signed_story, story_summary

    scanned = scan_baselines(repo, to.commit)
    chart = status_chart(repo, to, scanned.baselines)
    try:
        accepted = scanned.accepted()
    except InputError:
        return {"story": (None, None), "chart": chart}
    return {"story": story_summary(signed_story(repo, scanned.baselines, accepted, to.commit)), "chart": chart}


def gather_tests(to: Snapshot, to_files: Originals, baseline: PackedBaseline) -> dict[str, dict[str, Any]]:
    """Each baseline requirement's test evidence (records/testevidence.py), from the test records at
    --to, for the content the baseline signed; the records themselves travel as originals."""
    runs, _ = read_test_runs(to_files.under(tests_folder(to.config.records_dir)).items())
    paths = {run.id: run.path for run in runs}
    # Most requirements have no test evidence: they share one dict (read, never changed, by the
    # page), not one each (30 MB at 100,000 requirements).
    nothing = Evidence(UNTESTED)
    untested = {**nothing.as_dict(), "path": None}
    return {
        rid: untested if found == nothing else {**found.as_dict(), "path": paths.get(found.run or "")}
        for rid, found in evidence_for(runs, baseline.digests).items()
    }


# --------------------------------------------------------------------- layout


_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(", ", ": "))
# JSONEncoder.encode makes a new C encoder on every call: 80,000 calls per pack at 10,000
# requirements. This is the one it makes, made once (no circular-reference check: the
# pack's data are trees it builds itself). The same text, tested against _ENCODER.
_MAKE_C_ENCODER = getattr(json_encoder, "c_make_encoder", None)  # None without the C speedups
_C_ENCODE = (
    _MAKE_C_ENCODER(None, _ENCODER.default, json_encoder.encode_basestring, None, ": ", ", ", True, False, True)
    if _MAKE_C_ENCODER is not None
    else None
)


def _compact(value: Any) -> str:
    if _C_ENCODE is None:
        return _ENCODER.encode(value)
    return "".join(_C_ENCODE(value, 0))


_PIECES_PER_CHUNK = 2048


def _json_chunks(data: dict[str, Any]) -> Iterator[bytes]:
    """JSON with one top-level key, and one list item, per line: readable, greppable, and
    written by the C encoder (indent= would fall back to the pure-Python one, 10x slower).
    As UTF-8 pieces for the archive to deflate as they come: at 100,000 requirements a
    requirements document is 70 MB, never held whole."""
    pieces = ["{\n"]
    for number, key in enumerate(sorted(data)):
        value = data[key]
        separator = ",\n" if number else ""
        if isinstance(value, MadeAsWalked) and not value:
            value = []
        if isinstance(value, list | MadeAsWalked) and value:
            pieces.append(f"{separator}{_compact(key)}: [\n  ")
            for index, item in enumerate(value):
                if index:
                    pieces.append(",\n  ")
                pieces.append(item if isinstance(item, _Encoded) else _compact(item))
                if len(pieces) >= _PIECES_PER_CHUNK:
                    yield "".join(pieces).encode("utf-8")
                    pieces.clear()
            pieces.append("\n]")
        else:
            pieces.append(f"{separator}{_compact(key)}: {_compact(value)}")
    pieces.append("\n}\n")
    yield "".join(pieces).encode("utf-8")


def _files_chunks(origins: dict[str, dict[str, str | None]]) -> Iterator[bytes]:
    """data/files.json, `_json_chunks({"schema_version": …, "files": dict(sorted(origins.items()))})`
    written a few thousand members at a time: at 100,000 requirements the map of 160,000 members
    is 25 MB of text, which as one string (and its bytes, and a sorted copy) was 80 MB at once."""
    yield b'{\n"files": {'
    names = sorted(origins)
    for start in range(0, len(names), _PIECES_PER_CHUNK):
        entries = ", ".join([f"{_compact(name)}: {_compact(origins[name])}" for name in names[start : start + _PIECES_PER_CHUNK]])
        yield ((", " if start else "") + entries).encode("utf-8")
    yield f'}},\n"schema_version": {_compact(SCHEMA_VERSION)}\n}}\n'.encode()


class _Encoded(str):
    """A list item of a JSON document already encoded as `_compact` encodes it."""


def requirements_document(snapshot: Snapshot, yaml_members: dict[str, str], ref: str | None, digest: Digests) -> dict[str, Any]:
    """The requirements of one side of the pack, each row encoded as the document is written,
    on each side: the rows of one side kept for the other (most requirements are unchanged)
    were the most the documents' child held, 70 MB at 100,000 requirements."""
    digests = digest.of(snapshot)
    ordered = sorted(snapshot.requirements.items(), key=lambda kv: natural_key(kv[0]))

    def rows() -> Iterator[dict[str, Any]]:
        for rid, req in ordered:
            yield {"id": rid, "path": req.path, "yaml": yaml_members.get(req.path), "digest": digests[rid], "fields": req.fields()}

    requirements = MadeAsWalked(len(ordered), rows)
    return {
        "schema_version": SCHEMA_VERSION,
        "ref": ref,
        "commit": snapshot.commit,
        "algorithm": ALGORITHM,
        "root_digest": root_digest(digests.items()),
        "requirements": requirements,
    }


def _record_document(items: dict[str, Any], members: dict[str, str], view: Any = None) -> dict[str, Any]:
    rows = []
    for item_id in sorted(items, key=natural_key):
        item = items[item_id]
        row = view(item) if view else {"id": item_id, "path": item.path, "fields": item_fields(item)}
        row["file"] = members.get(item.path)
        rows.append(row)
    return {"schema_version": SCHEMA_VERSION, "items": rows}


def _request_row(triage: dict[str, dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
    """A request's row in requests.json: its fields, and the recommendation computed when the pack
    was built (gather_triage) with the keys `reqtrace triage -f json` gives it — a recorded
    triage block is among the fields already."""
    from reqtrace.triage import DIVERGING

    def row(request: Any) -> dict[str, Any]:
        shown = {"id": request.id, "path": request.path, "fields": item_fields(request)}
        entry = triage.get(request.id)
        if entry is not None and "priors" in entry:  # computed: recorded ones carry no priors
            shown["computed_triage"] = {
                "baseline": entry["baseline"], "classification": entry["classification"], "diverges": entry["classification"] in DIVERGING,
                "confidence": entry["confidence"], "reasons": entry["reasons"], "matches": entry["matches"],
                "precedents": entry["precedents"], "priors": entry["priors"],
            }
        return shown

    return row


def signoff_index(baseline: PackedBaseline, members: dict[str, dict[str, str | None]], revocations: list[str]) -> dict[str, Any]:
    """What `pack verify` needs to check each sign-off, with the members holding its parts."""
    return {
        "schema_version": SCHEMA_VERSION,
        "baseline": baseline.name,
        "root_digest": baseline.baseline.root_digest,
        "allowed_signers": ALLOWED_SIGNERS if baseline.allowed_signers is not None else None,
        "revocations": revocations,
        "signoffs": [
            {
                "file": members[s.signoff.path]["file"],
                "path": s.signoff.path,
                "signer": s.signoff.signer,
                "principal": s.principal,
                "meaning": s.signoff.meaning,
                "role": s.signoff.role,
                "time": s.signoff.time,
                "method": s.signoff.method,
                "statement": members[s.signoff.path].get("statement"),
                "signature": members[s.signoff.path].get("signature"),
                "evidence": members[s.signoff.path].get("evidence"),
                "evidence_path": s.evidence_path,
                "evidence_sha256": s.evidence_sha256,
                "revoked": s.revoked,
                "status_at_build": s.status,
                "detail_at_build": s.detail,
            }
            for s in baseline.signoffs
        ],
    }


@dataclass
class _JsonDocuments:
    """The pack's data documents (requirements on both sides, records, diff, graph, timeline):
    given the member names of the originals, they depend on nothing laid out after them."""

    contents: PackContents
    base_yaml: dict[str, str]
    to_yaml: dict[str, str]
    record_members: dict[str, str]
    # The requirements documents added already (kept from an earlier build: pack/kept_documents.py).
    added: frozenset[str] = frozenset()

    def __iter__(self) -> Iterator[tuple[str, Iterator[bytes]]]:
        """(member name, its pieces), each made as it is asked for."""
        contents = self.contents
        base, to = contents.base, contents.to
        if BASE_JSON not in self.added:
            yield BASE_JSON, _json_chunks(requirements_document(base, self.base_yaml, contents.baseline.name, contents.digest))
        if TO_JSON not in self.added:
            yield TO_JSON, _json_chunks(requirements_document(to, self.to_yaml, _to_shown_as(contents), contents.digest))
        records = self.record_members
        yield REQUESTS_JSON, _json_chunks(_record_document(to.requests, records, _request_row(contents.triage)))
        yield MEETINGS_JSON, _json_chunks(_record_document(to.meetings, records))
        yield EMAILS_JSON, _json_chunks(_record_document(to.emails, records, email_view))
        yield DOCUMENTS_JSON, _json_chunks(_record_document(to.documents, records, document_view))
        yield DIFF_JSON, _json_chunks({"schema_version": SCHEMA_VERSION, **contents.diff})
        graph = contents.graph
        nodes = [plain(n) for n in sorted(graph.nodes.values(), key=lambda n: natural_key(n.id))]
        yield GRAPH_JSON, _json_chunks({"schema_version": SCHEMA_VERSION, "nodes": nodes, "edges": [plain(e) for e in graph.edges]})
        yield TIMELINE_JSON, _json_chunks({"schema_version": SCHEMA_VERSION, "events": [plain(e) for e in contents.timeline]})

    @property
    def names(self) -> tuple[str, ...]:
        every = (BASE_JSON, TO_JSON, REQUESTS_JSON, MEETINGS_JSON, EMAILS_JSON, DOCUMENTS_JSON, DIFF_JSON, GRAPH_JSON, TIMELINE_JSON)
        return tuple(name for name in every if name not in self.added)

    @property
    def size(self) -> int:
        """How many things the documents hold: forking is worth it only for many."""
        base, to = self.contents.base, self.contents.to
        requirements = (0 if BASE_JSON in self.added else len(base.requirements)) + (0 if TO_JSON in self.added else len(to.requirements))
        return requirements + len(to.requests) + len(to.meetings) + len(to.emails)


def _to_shown_as(contents: PackContents) -> str | None:
    """The `ref` of data/to/requirements.json: the --to revision as given, none for the working tree."""
    return contents.to_ref if contents.to.commit is not None else None


def _kept_requirements_documents(contents: PackContents, layout: Layout, base_yaml: dict[str, str], to_yaml: dict[str, str]) -> tuple[frozenset[str], dict[str, str]]:
    """Each side's requirements document kept from an earlier build of its commit, added to
    the archive (pack/kept_documents.py); returns the names added, and the content id of each
    document still to be made (to keep it once it is made)."""
    git_top = contents.repo.git_top
    if git_top is None:
        return frozenset(), {}
    base, to, prefix = contents.base, contents.to, contents.repo.prefix
    ids = {
        BASE_JSON: kept_documents.document_id(BASE_JSON, base.commit, contents.baseline.name, prefix, base_yaml),
        TO_JSON: kept_documents.document_id(TO_JSON, to.commit, _to_shown_as(contents), prefix, to_yaml),
    }
    added, to_keep = set(), {}
    for name, content_id in ids.items():
        if content_id is None:
            continue
        member = kept_documents.load(git_top, content_id, name)
        if member is None:
            to_keep[name] = content_id
        else:
            layout.archive.add_deflated(member)
            added.add(name)
    return frozenset(added), to_keep


def _documents_added(layout: Layout, documents: _JsonDocuments, to_keep: dict[str, str] | None = None) -> Callable[..., None]:
    """Start making `documents` in a forked child, deflated there (fork_map.fork_into); the
    function returned adds them to the layout's archive. Where no child could make them (forking
    not worth it or not safe, or the child failed), they are made and streamed here instead:
    the same members, byte for byte (tests/test_pack_json_beside.py).

    The child writes its members to a temporary file, which is read back one member at a
    time: at 100,000 requirements they are 60 MB deflated, and held whole (twice, as the
    pipe's pieces and joined) they made the build's peak.

    `to_keep`: the content id of each document to keep once it is in the archive
    (pack/kept_documents.py), however it was made."""

    def make(out: BinaryIO) -> None:
        for name, chunks in documents:
            write_deflated_frame(out, name, chunks)

    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by finish()
    made = fork_into(make, spool, items=documents.size)

    def finish(add: bool = True) -> None:
        with spool:
            child_made = made()
            if not add:
                return
            members: DeflatedFrames | None = None
            if child_made:
                try:
                    members = DeflatedFrames(spool)
                except ValueError:
                    members = None
            if members is not None and members.names != documents.names:
                members = None
            if members is None:
                for name, chunks in documents:
                    layout.add_stream(name, chunks)
            else:
                for member in members:
                    layout.archive.add_deflated(member)
            for name, content_id in (to_keep or {}).items():
                kept_documents.store(documents.contents.repo.git_top, content_id, layout.archive.deflated(name))

    return finish


def lay_out(contents: PackContents, archive: DeterministicZip) -> tuple[Layout, dict[str, Any]]:
    """Every member except index.html; returns the layout and pack.json's content.

    The data documents (`_JsonDocuments`) may still be on their way from a forked child:
    `layout.finish()` adds them (before the archive is written)."""
    layout = Layout(archive)
    base, to, baseline = contents.base, contents.to, contents.baseline
    git_top = contents.repo.git_top
    base_files, to_files = contents.base_files, contents.to_files
    # The originals' members, kept by blob id a folder at a time (pack/kept_members.py): most are
    # neither read nor deflated again.
    base_paths = [path for path in base_files.paths() if path in base.files]
    base_laid = laid_out_files(git_top, "data/baseline/yaml", [(path, base_files.oid(path)) for path in base_paths], base_files.read)
    base_yaml = {path: layout.add_deflated(base_laid[path].member, path, base.commit) for path in base_paths}
    # Each side's deflated bytes are in the archive's file once added: not held while the next
    # is laid out (with the kept entries they point into, 150 MB at 100,000 requirements).
    del base_laid
    spec_prefix = to.config.requirements_dir + "/"
    # A spec file unchanged since the baseline is stored once: data/to/ points at the baseline's copy.
    to_paths = [path for path in to_files.paths() if path.startswith(spec_prefix) and path in to.files]
    changed = [path for path in to_paths if path not in base_yaml or not _same_file(base_files, to_files, path)]
    to_laid = laid_out_files(git_top, "data/to/yaml", [(path, to_files.oid(path)) for path in changed], to_files.read)
    to_yaml = {path: layout.add_deflated(to_laid[path].member, path, to.commit) if path in to_laid else base_yaml[path] for path in to_paths}
    del to_laid
    records_prefix = to.config.records_dir + "/"
    record_paths = [path for path in to_files.paths() if path.startswith(records_prefix) and not _folder_keeper(path, to_files)]
    record_laid = laid_out_files(git_top, "data/records/files", [(path, to_files.oid(path)) for path in record_paths], to_files.read, attachments=True)
    record_members = {path: layout.add_deflated(record_laid[path].member, path, to.commit) for path in record_paths}
    for path in record_paths:
        if record_laid[path].attachments:
            layout.add_deflated_attachments(path, record_laid[path].attachments, to.commit)
    del record_laid
    # The originals are in the archive now, and nothing later shows their bytes or asks for
    # them: let go before the documents' child is forked (it would start with them too).
    base_files.forget()
    to_files.forget()
    # A side's requirements document kept from an earlier build of its commit is added as kept.
    added, to_keep = _kept_requirements_documents(contents, layout, base_yaml, to_yaml)
    documents = _JsonDocuments(contents, base_yaml, to_yaml, record_members, added)
    # The data documents are encoded and deflated by a forked child while this process lays out
    # the rest and renders index.html (the two longest steps, on two cores); `finish` adds them.
    layout.finish = _documents_added(layout, documents, to_keep)

    signoff_members: dict[str, dict[str, str | None]] = {}
    if baseline.manifest is not None:
        layout.add(MANIFEST_COPY, baseline.manifest)
    if baseline.allowed_signers is not None:
        layout.add(ALLOWED_SIGNERS, baseline.allowed_signers)
    for packed in baseline.signoffs:
        signoff = packed.signoff
        parts: dict[str, str | None] = {"file": layout.add_file("data/baseline/signoffs", signoff.path, packed.raw, to.commit)}
        # The statement exactly as signed, and the armored signature: pack verify checks them again.
        parts["statement"] = layout.add_file("data/baseline/statements", signoff.path + ".statement", signoff.statement.encode("utf-8"), None)
        if signoff.signature:
            parts["signature"] = layout.add_file("data/baseline/signatures", signoff.path + ".sig", signoff.signature.encode("utf-8"), None)
        if packed.evidence is not None and packed.evidence_path:
            existing = record_members.get(packed.evidence_path)
            parts["evidence"] = existing or layout.add_file("data/baseline/evidence", packed.evidence_path, packed.evidence, to.commit)
        signoff_members[signoff.path] = parts
    revocation_members = [layout.add_file("data/baseline/signoffs", path, data, to.commit) for path, data in sorted(baseline.revocations.items())]
    layout.add_stream(SIGNOFFS_JSON, _json_chunks(signoff_index(baseline, signoff_members, revocation_members)))

    pack = {
        "schema_version": SCHEMA_VERSION,
        "format": PACK_FORMAT,
        "tool": {"name": "reqtrace", "version": __version__},
        "project": to.config.project,
        "customer": to.config.customer,
        "baseline": {
            "name": baseline.name,
            "commit": baseline.commit,
            "algorithm": baseline.baseline.algorithm,
            "root_digest": baseline.baseline.root_digest,
            "requirement_count": len(baseline.digests),
            "delivery_date": baseline.delivery_date,
            "delivery_from": baseline.delivery_from or (baseline.name if baseline.delivery_date else None),
            "manifest": MANIFEST_COPY if baseline.manifest is not None else None,
        },
        "to": {"ref": contents.to_ref if to.commit is not None else None, "commit": to.commit},
        "built": {"time": contents.built_at.strftime("%Y-%m-%dT%H:%M:%SZ"), "from": contents.built_from},
        "counts": {
            "requirements_at_baseline": len(base.requirements),
            "requirements_at_to": len(to.requirements),
            "changes": len(contents.changes),
            "unapproved_changes": sum(1 for c in contents.changes if not c["approved"]),
            "requests": len(to.requests),
            "meetings": len(to.meetings),
            "emails": len(to.emails),
            "documents": len(to.documents),
            "signoffs": len(baseline.signoffs),
        },
        "members": {"index": INDEX, "files": FILES_JSON, "signoffs": SIGNOFFS_JSON, "baseline_requirements": BASE_JSON, "to_requirements": TO_JSON, "diff": DIFF_JSON},
    }
    layout.add(PACK_JSON, (json.dumps(pack, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8"))
    layout.add_stream(FILES_JSON, _files_chunks(layout.origins))
    return layout, pack


# ---------------------------------------------------------------------- build


def refuse_uncommitted(repo: SpecRepo, baseline_name: str) -> None:
    """A pack built by default (up to HEAD) must not silently leave out what was just
    written: a decision, a triage, a new record. Refuse while such files are uncommitted;
    `--to HEAD` (committed only) and `--to WORKTREE` (with them) say which is meant."""
    config = worktree_config(repo)
    if config is None:
        return  # load_snapshot says what is wrong with it
    changed = uncommitted_files(repo, config)
    if not changed:
        return
    files = "1 file" if len(changed) == 1 else f"{len(changed)} files"
    verb = "is" if len(changed) == 1 else "are"
    named = changed if len(changed) <= SHOWN_FILES else [config.requirements_dir, config.records_dir]
    raise UncommittedChanges(
        f"{files} of the spec repo {verb} not committed, so a pack up to HEAD would leave {'it' if len(changed) == 1 else 'them'} out: {file_list(changed)}",
        hint=f"commit them (git add -- {' '.join(shlex.quote(path) for path in named)} && git commit), then build again; "
        "or say which you mean: `--to WORKTREE` packs the files as they are now, `--to HEAD` the last commit without them",
    )


@contextmanager
def _without_collections(*, collect: bool = True) -> Iterator[None]:
    """No cyclic garbage collection in the block, then one (unless `collect` is False), and
    what survives it is frozen (left out of later collections) until the build ends (`_thawed`).

    Gathering builds hundreds of thousands of objects that live to the end of the build
    and form few cycles, and laying out and rendering add as many; each full collection
    walks all of them again: at 10,000 requirements a dozen such walks cost 1.3 s of CPU,
    as much as deflating the whole pack. The collection after each block frees the cycles
    made in it (the page model is one: Jinja2's context and its macros refer to each
    other), so memory is what it was with the collector on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collect:
            gc.collect()
        gc.freeze()
        if enabled:
            gc.enable()


def _copied(chunks: Iterable[bytes], copy: BinaryIO | None) -> Iterator[bytes]:
    """`chunks`, each also written to `copy` when there is one."""
    for chunk in chunks:
        if copy is not None:
            copy.write(chunk)
        yield chunk


@contextmanager
def _thawed() -> Iterator[None]:
    """Whatever `_without_collections` froze is collectable again afterwards (a
    process that builds many packs, such as a test run, must not keep every one's objects)."""
    try:
        yield
    finally:
        gc.unfreeze()


def build_pack(
    repo: SpecRepo,
    baseline_name: str,
    output: Path,
    *,
    to_rev: str | None = None,
    html_dir: Path | None = None,
) -> PackResult:
    """Build the evidence pack at `output`: all of it, or nothing."""
    # Checked before the (long) build, and again when written.
    output = output_path(output, what="zip file", example="pack.zip")
    if html_dir is not None:
        html_dir = Path(html_dir)
        if os.path.lexists(html_dir) and not html_dir.is_dir():
            raise InputError(f"--html-dir {html_dir} is a file, not a folder")
        # The folder itself may be made (it is what the option names); its parent must exist.
        output_path(html_dir / INDEX if html_dir.is_dir() else html_dir, option="--html-dir")
    if to_rev is None:
        refuse_uncommitted(repo, baseline_name)
    # The whole snapshot through the packed parse cache `check` and `status` share (one file,
    # not an entry per file): after either of them, no file is parsed again.
    with phase(f"building the evidence pack of {baseline_name}"), _thawed():
        # Gathering makes next to no cycles: the collection after it found none to free at
        # 10,000 requirements and walked 300,000 objects for 0.11 s of CPU. What it made is
        # frozen uncollected; a cycle it left is collectable again when the build ends.
        # The parse pack is let go as soon as the snapshot and the diff are read (gather_pack).
        with _without_collections(collect=False):
            contents = gather_pack(repo, baseline_name, to_rev, cache=PackedParseCache.for_git(repo.git_top))
        # Members are deflated into a temporary file as they are added (io/archive.py): the
        # pack is never held whole in memory.
        archive = DeterministicZip(contents.built_at)
        # index.html is deflated as it is rendered; --html-dir gets a copy of the same pieces.
        html_copy = tempfile.TemporaryFile() if html_dir is not None else None  # noqa: SIM115 - closed below
        try:
            with _without_collections():
                layout, pack = lay_out(contents, archive)
                try:
                    archive.add_stream(INDEX, _copied(render_pack_page(contents, layout), html_copy))
                except BaseException:
                    layout.finish(add=False)  # the data documents' child is waited for, never left behind
                    raise
                layout.finish()
            with output_writer(output) as handle:
                archive.write(handle)
            html_path = None
            try:
                size, digest = file_sha256(output)
                if html_dir is not None:
                    html_dir.mkdir(exist_ok=True)
            except OSError as exc:
                raise InputError(f"cannot write the pack: {exc.strerror or exc} ({exc.filename or output})") from None
            if html_dir is not None and html_copy is not None:
                html_path = html_dir / INDEX
                html_copy.seek(0)
                with output_writer(html_path, option="--html-dir") as handle:
                    shutil.copyfileobj(html_copy, handle)
        finally:
            archive.close()
            if html_copy is not None:
                html_copy.close()
    result = PackResult(output, size, digest, len(archive.names) + 1, pack, archive.manifest_digest or "", html_path)
    result.warnings.extend(contents.baseline.problems)
    unapproved = pack["counts"]["unapproved_changes"]
    if unapproved:
        result.warnings.append(f"{unapproved} change(s) since {baseline_name} are not covered by an approved request")
    return result
