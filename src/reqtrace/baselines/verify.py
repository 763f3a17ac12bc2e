"""Proving a baseline still holds: manifest against its commit, tag against the manifest,
every sign-off against the baseline's content and the allowed signers.

Each broken item is a Finding (`baseline-tampered`, `signature-invalid`,
`signer-unknown`, `dangling-ref`) so that `reqtrace check` reports exactly
what `reqtrace baseline verify` reports. A baseline tag or commit missing from
a shallow clone is not a finding but an input error (exit 3) with the fix.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reqtrace.baselines.baseline import (
    MANIFEST,
    SIGNOFFS,
    TAG_PREFIX,
    AcceptedUnknown,
    Baseline,
    BaselineEntry,
    BaselineSet,
    Revocation,
    SignOff,
    baselines_of,
    digest_entries,
    evidence_path_problem,
    files_digest,
    folder_of,
    frozen_entries,
    kept_frozen_entries,
    missing_history,
    parse_signoff_file,
)
from reqtrace.baselines.signed_statement import expected_statement, resolve_signers
from reqtrace.core import cachestore
from reqtrace.core.config import Config, SpecRepo, parse_config
from reqtrace.core.digest import root_digest
from reqtrace.core.model import ERROR, Finding, Requirement, Snapshot
from reqtrace.core.snapshot import Reader, kind_finder
from reqtrace.errors import GitError, InputError, ToolMissing
from reqtrace.io import gitio, sshsig
from reqtrace.io.yamlio import MAX_FILE_BYTES

TAMPERED = "baseline-tampered"
INVALID = "signature-invalid"
UNKNOWN = "signer-unknown"

# Sign-off statuses, as `baseline show` and `verify` report them.
VALID = "valid"  # an SSH signature by a key allowed_signers gives to the signer
RECORDED = "recorded"  # a recorded sign-off whose evidence is intact
REVOKED = "revoked"
UNVERIFIED = "unverified"  # ssh-keygen missing: shown by `show`/`list`; `verify` and `check` stop with exit 3


@dataclass(frozen=True)
class SignOffCheck:
    signoff: SignOff
    status: str
    detail: str
    revocation: Revocation | None = None
    # The fingerprint of the key ssh-keygen found the signature made with; None when it was
    # not checked. The sign-off file's own `key_fingerprint` is a claim, compared with this.
    fingerprint: str | None = None


@dataclass
class Verification:
    baseline: Baseline
    problems: list[Finding] = field(default_factory=list)
    signoffs: list[SignOffCheck] = field(default_factory=list)
    signers_file: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def _tampered(baseline: Baseline, message: str, line_of: str | int = "name") -> Finding:
    line = line_of if isinstance(line_of, int) else baseline.line_of(line_of)
    return Finding(TAMPERED, ERROR, message, baseline.path, line or None, baseline.name)


def verify_manifest(repo: SpecRepo, baseline: Baseline, *, cache: dict[str, dict[str, Requirement]] | None = None, deep: bool = False) -> list[Finding]:
    """Does the manifest still describe its commit, and does the tag still point there?

    A format 2 manifest (with blob ids) is compared with the commit's files by their blob ids,
    one `ls-tree`, nothing parsed; its digests are compared too when this machine keeps the
    digests of that commit. `deep` (or a format 1 manifest, or a blob id that differs)
    recomputes every requirement's digest at the commit as well.
    """
    problems: list[Finding] = []
    folder = folder_of(baseline)
    if baseline.name != folder:
        problems.append(_tampered(baseline, f"the manifest names baseline '{baseline.name}' but lives in the folder '{folder}': it was copied or renamed"))
    if baseline.tag != TAG_PREFIX + folder:
        problems.append(_tampered(baseline, f"the manifest names tag '{baseline.tag}', but baseline '{folder}' is tagged '{TAG_PREFIX}{folder}'", "tag"))
    counts = Counter(entry.id for entry in baseline.requirements)
    for item_id, count in sorted(counts.items()):
        if count > 1:
            problems.append(_tampered(baseline, f"the manifest lists {item_id} {count} times", "requirements"))
    try:
        listed_root = root_digest((e.id, e.digest) for e in baseline.requirements)
    except ValueError as exc:
        listed_root = None
        problems.append(_tampered(baseline, f"the manifest's requirement list is unusable: {exc}", "requirements"))
    if listed_root is not None and listed_root != baseline.root_digest:
        problems.append(_tampered(baseline, f"the manifest's root digest {baseline.root_digest} is not the digest of its own requirement list ({listed_root}): the manifest was edited", "root_digest"))
    if baseline.files_digest is not None:
        listed_files = files_digest(baseline.object_format or "sha1", baseline.requirements)
        if listed_files != baseline.files_digest:
            problems.append(_tampered(baseline, f"the manifest's files digest {baseline.files_digest} is not the digest of its own requirement list's blob ids ({listed_files}): the manifest was edited", "files_digest"))
    if repo.git_top is None:
        problems.append(_tampered(baseline, f"{repo.root} is not in a git repository, so the baseline's commit and tag cannot be checked"))
        return problems
    top = repo.git_top
    tag_name = TAG_PREFIX + folder
    tag, commit_found = gitio.tag_and_commit(top, tag_name, baseline.commit)
    if tag is None:
        if gitio.is_shallow(top):
            raise missing_history(repo, f"tag {tag_name}")
        problems.append(_tampered(baseline, f"tag {tag_name} is missing: it was deleted, or never pushed or fetched (`git fetch origin tag {tag_name}`; whoever created it: `git push origin {tag_name}`)", "tag"))
    else:
        if not tag.annotated:
            problems.append(_tampered(baseline, f"tag {tag_name} is now a lightweight tag, not the annotated tag reqtrace made: it was re-created", "tag"))
        elif tag.object != baseline.tag_object:
            problems.append(_tampered(baseline, f"tag {tag_name} was re-created: it is tag object {tag.object[:12]}, the manifest recorded {baseline.tag_object[:12]}", "tag"))
        if tag.commit != baseline.commit:
            problems.append(_tampered(baseline, f"tag {tag_name} points at commit {tag.commit[:12]}, but the manifest says the baseline is commit {baseline.commit[:12]}: the tag was moved or the manifest edited", "commit"))
        if tag.annotated and f"root-digest: {baseline.root_digest}" not in tag.message.splitlines():
            recorded = next((line.split(": ", 1)[1] for line in tag.message.splitlines() if line.startswith("root-digest: ")), "none")
            problems.append(_tampered(baseline, f"tag {tag_name} records root digest {recorded}, the manifest says {baseline.root_digest}", "root_digest"))
    if not commit_found:
        if gitio.is_shallow(top):
            raise missing_history(repo, f"commit {baseline.commit[:12]} of baseline '{folder}'")
        problems.append(_tampered(baseline, f"commit {baseline.commit[:12]} named by the manifest does not exist in this repository", "commit"))
        return problems
    # A manifest at odds with itself (its root or files digest) was edited: its blob ids say
    # nothing, and every digest is compared, so that the changed requirement is named.
    by_blob = baseline.files_digest is not None and not problems
    blob_problems = _blob_problems(repo, baseline) if by_blob else {}  # by path
    kept: list[BaselineEntry] | None = None
    if cache is not None and baseline.commit in cache:
        entries = digest_entries(cache[baseline.commit])
    else:
        if by_blob and not blob_problems and not deep:
            # The files are the ones frozen and signed. Their digests are compared only
            # when kept here already (free); `--deep` recomputes them.
            kept = kept_frozen_entries(repo, baseline.commit)
            if kept is None:
                return problems
        try:
            entries = kept if kept is not None else frozen_entries(repo, baseline.commit)
        except InputError as error:
            problems.append(_tampered(baseline, f"the requirements at commit {baseline.commit[:12]} cannot be read: {error.message}", "commit"))
            return problems
    problems.extend(_digest_problems(baseline, entries, blob_problems))
    return problems


def _digest_problems(baseline: Baseline, entries: list[BaselineEntry], blob_problems: dict[str, Finding]) -> list[Finding]:
    """The manifest's entries against the digests at its commit; then each file whose blob id
    differs though every digest of it matches (bytes changed, meaning not)."""
    problems: list[Finding] = []
    flagged: set[str] = set()  # paths a digest finding names
    actual = {entry.id: entry for entry in entries}
    listed = {entry.id: entry for entry in baseline.requirements}
    short = baseline.commit[:12]
    for item_id in sorted(set(actual) | set(listed), key=lambda i: i.encode("utf-8")):
        now, then = actual.get(item_id), listed.get(item_id)
        if then is None:
            assert now is not None
            problems.append(_tampered(baseline, f"{item_id} ({now.path}) exists at commit {short} but is missing from the manifest", "requirements"))
            flagged.add(now.path)
        elif now is None:
            problems.append(Finding(TAMPERED, ERROR, f"the manifest lists {item_id}, which does not exist at commit {short}", baseline.path, then.line or None, item_id))
            flagged.add(then.path)
        elif now.digest != then.digest:
            problems.append(Finding(TAMPERED, ERROR, f"{item_id}: the manifest's digest {then.digest[:19]}… is not the digest of {now.path} at commit {short} ({now.digest[:19]}…): the requirement or the manifest was changed after the baseline was made", baseline.path, then.line or None, item_id))
            flagged.add(now.path)
        elif now.path != then.path:
            problems.append(Finding(TAMPERED, ERROR, f"{item_id}: the manifest says {then.path}, but at commit {short} it is in {now.path}", baseline.path, then.line or None, item_id))
            flagged.update((now.path, then.path))
    problems.extend(finding for path, finding in sorted(blob_problems.items()) if path not in flagged)
    return problems


_SYMLINK = "a symbolic link"  # what a requirement file that is a link stands for among blob ids


def _blob_problems(repo: SpecRepo, baseline: Baseline) -> dict[str, Finding]:
    """Each requirement file whose blob id at the baseline's commit is not the one the manifest
    froze, or that the manifest does not name, by path: one `ls-tree`, no parse. The files are
    the ones the digests read (`requirements_at`): the requirement files under the commit's
    own requirements folder."""
    short = baseline.commit[:12]
    reader = Reader(repo, baseline.commit)
    try:
        config, _ = parse_config(reader.read_config())
        if _tree_as_frozen(repo, baseline, config):
            return {}
        sources = reader.list_files([config.requirements_dir], sizes=False)
    except (InputError, GitError, UnicodeDecodeError) as error:
        message = error.message if isinstance(error, InputError | GitError) else str(error)
        return {"": _tampered(baseline, f"the files at commit {short} cannot be listed: {message}", "commit")}
    actual: dict[str, str] = {}
    kind_of = kind_finder(config)
    for source in sources:
        kind = kind_of(source.path)
        if kind is not None and kind.name == "requirement":
            actual[source.path] = _SYMLINK if source.symlink_target is not None else (source.oid or "")
    if not reader.bad_names and actual == {entry.path: entry.blob for entry in baseline.requirements}:
        if all(actual[entry.path] == entry.blob for entry in baseline.requirements):  # a file holding several
            return {}
    listed: dict[str, tuple[BaselineEntry, set[str | None]]] = {}
    for entry in baseline.requirements:
        listed.setdefault(entry.path, (entry, set()))[1].add(entry.blob)
    problems: dict[str, Finding] = {}
    for path in reader.bad_names:
        problems[path] = _tampered(baseline, f"a file at commit {short} has a name that is not UTF-8 ({path!r}): it cannot be compared with the manifest", "requirements")
    for path in sorted(set(actual) | set(listed), key=lambda p: p.encode("utf-8", "surrogateescape")):
        now = actual.get(path)
        if path not in listed:
            problems[path] = _tampered(baseline, f"{path} is a requirement file at commit {short} that the manifest does not name", "requirements")
            continue
        entry, blobs = listed[path]
        frozen = ", ".join(sorted(blob[:12] if blob else "none" for blob in blobs))
        if now is None:
            problems[path] = Finding(TAMPERED, ERROR, f"the manifest names {path} (blob {frozen}), which is not a requirement file at commit {short}", baseline.path, entry.line or None, entry.id)
        elif blobs != {now}:
            found = _SYMLINK if now == _SYMLINK else f"blob {now[:12]}"
            problems[path] = Finding(TAMPERED, ERROR, f"{path} at commit {short} is {found}, but the manifest froze blob {frozen}: the file at the baseline's commit is not the one signed (a rewritten history), or the manifest was edited", baseline.path, entry.line or None, entry.id)
    return problems


def _tree_as_frozen(repo: SpecRepo, baseline: Baseline, config: Config) -> bool:
    """Whether the requirements folder at the baseline's commit holds exactly the files the
    manifest froze, each a requirement file with the blob id it names: then `_blob_problems`
    finds nothing. Told by one object id, not a listing: git's id of that folder, worked out
    from the manifest's rows (`gitio.tree_id`), is the commit's folder's. False whenever it
    cannot tell that way (another file in the folder, a link, an executable file, a sha256
    repository...): the folder is then listed and compared file by file."""
    if baseline.object_format != "sha1" or repo.git_top is None or not baseline.requirements:
        return False
    folder = config.requirements_dir + "/"
    kind_of = kind_finder(config)
    files: dict[str, str] = {}
    for entry in baseline.requirements:
        if entry.blob is None or not entry.path.startswith(folder) or files.setdefault(entry.path[len(folder) :], entry.blob) != entry.blob:
            return False  # a path listed twice with two blob ids: the listing names it
        kind = kind_of(entry.path)
        if kind is None or kind.name != "requirement":
            return False
    frozen = gitio.tree_id(files)
    try:
        return frozen is not None and gitio.object_id(repo.git_top, f"{baseline.commit}:{repo.git_path(config.requirements_dir)}") == frozen
    except GitError:
        return False


@dataclass(frozen=True)
class EvidenceRead:
    data: bytes | None  # None: refused or missing
    refused: str | None = None  # why the path is not allowed, when it is not


def read_evidence(repo: SpecRepo, commit: str | None, path: str) -> EvidenceRead:
    """A recorded sign-off's evidence file, read only from inside the spec repo.

    The path must pass `evidence_path_problem` (relative, no '..', nothing under .git/);
    in the working tree no symbolic link may lie on the way (the resolved file must be
    the file the path names), at a commit it is read from git's tree, where a link is an
    entry of its own. Nothing outside the repo is opened, so nothing derived from such
    a file (not even a hash prefix) can be shown.
    """
    problem = evidence_path_problem(path)
    if problem is not None:
        return EvidenceRead(None, problem)
    if commit is None:
        root = repo.root.resolve()
        named = root.joinpath(*path.split("/"))
        try:
            resolved = named.resolve()
        except (OSError, RuntimeError):
            return EvidenceRead(None, "it cannot be resolved (a loop of symbolic links?)")
        if resolved != named:
            return EvidenceRead(None, "a symbolic link lies on its way; evidence must be a regular file inside the spec repo")
        return EvidenceRead(Reader(repo, None).read_path_stored(path))
    return EvidenceRead(Reader(repo, commit).read_path_stored(path))


def signers_label(repo: SpecRepo, allowed: Path) -> str:
    """The allowed-signers file as people should read it: relative when inside the spec repo."""
    try:
        return Path(allowed).resolve().relative_to(repo.root.resolve()).as_posix()
    except ValueError:
        return str(allowed)


def _signoff_problem(signoff: SignOff, code: str, message: str) -> Finding:
    return Finding(code, ERROR, message, signoff.path, signoff.line, signoff.id)


def check_signoff(repo: SpecRepo, baseline: Baseline, signoff: SignOff, *, allowed: Path, commit: str | None, tolerate_missing_tool: bool = False) -> tuple[SignOffCheck, list[Finding]]:
    revocation = baseline.revocation_of(signoff.id)
    problems: list[Finding] = []
    if signoff.baseline != baseline.name:
        problems.append(_signoff_problem(signoff, INVALID, f"this sign-off is for baseline '{signoff.baseline}', not '{baseline.name}': it was copied here"))
    elif signoff.root_digest != baseline.root_digest or signoff.algorithm != baseline.algorithm:
        problems.append(_signoff_problem(signoff, INVALID, f"this sign-off signs root digest {signoff.root_digest}, but baseline '{baseline.name}' has {baseline.root_digest}: it signs other content"))
    elif signoff.files_digest != baseline.files_digest:
        problems.append(_signoff_problem(signoff, INVALID, f"this sign-off signs files digest {signoff.files_digest or 'none'}, but baseline '{baseline.name}' has {baseline.files_digest or 'none'}: it signs other files"))
    expected = expected_statement(baseline, signoff)
    if not problems and signoff.statement != expected:
        problems.append(_signoff_problem(signoff, INVALID, "the sign-off's fields no longer match the statement it records (signer, meaning, role, time, comment or evidence was edited after signing)"))
    detail = ""
    fingerprint: list[str] = []  # filled by _check_ssh with the key the signature was made with
    if not problems and signoff.method == "ssh":
        try:
            detail = _check_ssh(signoff, expected, allowed, label=signers_label(repo, allowed), revoked=revocation is not None, problems=problems, fingerprint=fingerprint)
        except ToolMissing as missing:
            if not tolerate_missing_tool:
                raise
            return SignOffCheck(signoff, UNVERIFIED, missing.message, revocation), []
    elif not problems and signoff.method == "recorded":
        detail = _check_evidence(repo, signoff, commit, problems)
    if problems:
        status = problems[0].code
        detail = problems[0].message
    elif revocation is not None:
        status = REVOKED
        detail = f"revoked {revocation.time} by {revocation.by}: {revocation.reason}"
    else:
        status = VALID if signoff.method == "ssh" else RECORDED
    return SignOffCheck(signoff, status, detail, revocation, fingerprint[0] if fingerprint else None), problems


def _check_fingerprint(signoff: SignOff, actual: str | None, problems: list[Finding], fingerprint: list[str]) -> None:
    """The key that made the signature is the one to report; a `key_fingerprint` in the file
    that names another key was edited after signing (it is not signed, so only this check catches it)."""
    if actual is None:
        return
    fingerprint.append(actual)
    if signoff.key_fingerprint is not None and signoff.key_fingerprint != actual:
        problems.append(Finding(INVALID, ERROR, f"its key_fingerprint says {signoff.key_fingerprint[:60]}, but the signature was made with key {actual}: the field was edited after signing", signoff.path, signoff.line_of("key_fingerprint"), signoff.id))


def _check_ssh(signoff: SignOff, expected: str, allowed: Path, *, label: str, revoked: bool, problems: list[Finding], fingerprint: list[str]) -> str:
    message = expected.encode("utf-8")
    if not signoff.signature:
        problems.append(_signoff_problem(signoff, INVALID, "an ssh sign-off without a signature"))
        return ""
    if revoked:
        # Withdrawn: the key may since have left allowed_signers; only check it was not altered.
        verdict = sshsig.check_signature(message, signoff.signature)
        if not verdict.ok:
            problems.append(_signoff_problem(signoff, INVALID, f"the signature does not match this baseline's statement (ssh-keygen: {verdict.detail})"))
        else:
            _check_fingerprint(signoff, verdict.fingerprint, problems, fingerprint)
        return verdict.detail
    email = signoff.email
    at = signoff.time
    if allowed.is_file():
        verdict = sshsig.verify(message, signoff.signature, principal=email, allowed_signers=allowed, at=at)
        if verdict.ok:
            _check_fingerprint(signoff, verdict.fingerprint, problems, fingerprint)
            return f"good signature by {email}" + (f" with key {verdict.fingerprint}" if verdict.fingerprint else "")
    structural = sshsig.check_signature(message, signoff.signature)
    if not structural.ok:
        problems.append(_signoff_problem(signoff, INVALID, f"the signature does not match this baseline's statement: the sign-off was altered or made for other content (ssh-keygen: {structural.detail})"))
        return structural.detail
    _check_fingerprint(signoff, structural.fingerprint, problems, fingerprint)
    key = structural.fingerprint or "the signing key"
    if not allowed.is_file():
        problems.append(_signoff_problem(signoff, UNKNOWN, f"no allowed-signers file at {label}, so nobody's key is trusted: cannot tell whether {key} is {email}'s"))
        return ""
    principals = sshsig.principals_of(signoff.signature, allowed, at=at)
    if not principals:
        windows = "valid-after" in allowed.read_text("utf-8", "replace").lower() or "valid-before" in allowed.read_text("utf-8", "replace").lower()
        when = f" (or its line is not valid at the signing time {signoff.time})" if windows else ""
        problems.append(_signoff_problem(signoff, UNKNOWN, f"{key} is not in {label}{when}: nobody vouched that it is {email}'s key"))
    else:
        problems.append(_signoff_problem(signoff, INVALID, f"{label} gives {key} to {', '.join(principals)}, not to {email}: the sign-off names someone else than the key's owner"))
    return ""


def _check_evidence(repo: SpecRepo, signoff: SignOff, commit: str | None, problems: list[Finding]) -> str:
    evidence = signoff.evidence
    if evidence is None:
        problems.append(_signoff_problem(signoff, INVALID, "a recorded sign-off without evidence"))
        return ""
    read = read_evidence(repo, commit, evidence.path)
    if read.refused is not None:
        problems.append(Finding(INVALID, ERROR, f"its evidence path {evidence.path!r} is refused: {read.refused}. Evidence must be a file inside the spec repo, named relative to its root (`reqtrace baseline sign --recorded --evidence` stores it under records/documents/)", signoff.path, evidence.line or signoff.line, signoff.id))
        return ""
    data = read.data
    if data is None:
        problems.append(_signoff_problem(signoff, INVALID, f"its evidence file {evidence.path} is missing"))
        return ""
    actual = hashlib.sha256(data).hexdigest()
    if actual != evidence.sha256:
        problems.append(_signoff_problem(signoff, INVALID, f"its evidence file {evidence.path} changed: sha256 {actual[:16]}…, recorded {evidence.sha256[:16]}…"))
        return ""
    return f"evidence {evidence.path} intact (sha256 {evidence.sha256[:16]}…), recorded by {signoff.recorded_by}"


def _check_revocations(baseline: Baseline) -> list[Finding]:
    problems = []
    ids = {s.id for s in baseline.signoffs}
    for revocation in baseline.revocations:
        if revocation.baseline != baseline.name:
            problems.append(Finding("dangling-ref", ERROR, f"this revocation is for baseline '{revocation.baseline}', not '{baseline.name}': it was copied here and is ignored", revocation.path, revocation.line, revocation.id))
        elif revocation.revokes not in ids:
            problems.append(Finding("dangling-ref", ERROR, f"revokes '{revocation.revokes}', which is not a sign-off of baseline '{baseline.name}'", revocation.path, revocation.line, revocation.id))
    return problems


def verify_baseline(
    repo: SpecRepo,
    baseline: Baseline,
    *,
    signers: Path | None = None,
    commit: str | None = None,
    tolerate_missing_tool: bool = False,
    cache: dict[str, dict[str, Requirement]] | None = None,
    deep: bool = False,
) -> Verification:
    """Everything about one baseline that can be broken, as findings; plus each sign-off's status.

    `commit` is where the baseline files were read (None: the working tree); recorded
    evidence is read from the same place. `deep` recomputes every digest (`verify_manifest`).
    """
    allowed = resolve_signers(repo, signers)
    result = Verification(baseline, signers_file=signers_label(repo, allowed))
    result.problems.extend(verify_manifest(repo, baseline, cache=cache, deep=deep))
    for signoff in baseline.signoffs:
        checked, problems = check_signoff(repo, baseline, signoff, allowed=allowed, commit=commit, tolerate_missing_tool=tolerate_missing_tool)
        result.signoffs.append(checked)
        result.problems.extend(problems)
    result.problems.extend(_check_revocations(baseline))
    return result


def vouched_entries(repo: SpecRepo, baseline: Baseline) -> list[BaselineEntry] | None:
    """The manifest's entries, when they may stand for the digests at its commit (for
    `create_baseline`'s `vouched`): a format 2 manifest that verifies with no finding and
    has a valid SSH sign-off by a trusted key. Its signers vouched for its digests (`sign`
    recomputes them first) and its blob ids were just found to be the commit's files, as
    plain `verify` takes them; anything less (no signature, a finding, no ssh-keygen): None."""
    if baseline.files_digest is None:
        return None
    if _kept_vouched(repo, baseline.name):
        return list(baseline.requirements)
    try:
        checked = verify_baseline(repo, baseline)
    except (InputError, ToolMissing):
        return None
    if not _vouches(checked):
        return None
    return list(baseline.requirements)


def _vouches(checked: Verification) -> bool:
    """Whether a verified baseline may stand for the digests at its commit: no finding, and a
    valid SSH sign-off by a trusted key."""
    return not checked.problems and any(check.status == VALID and check.signoff.method == "ssh" for check in checked.signoffs)


def _kept_vouched(repo: SpecRepo, name: str) -> bool:
    """Whether the kept verdict of the working tree (a `check` keeps it) names baseline `name`
    among those that verified clean with a trusted SSH sign-off. The verdict is keyed by the
    baseline files' blob ids, the tags, the allowed-signers file and ssh-keygen: the same key
    means the same manifest, sign-offs and trust that `verify_baseline` would see now."""
    try:
        content = verdict_content(repo, None)
        if content is None:
            return False
        kept = cachestore.load(repo.git_top, VERDICT_KIND, content, _verdict_of)
        return kept is not None and name in kept.vouched and _commits_exist(repo, kept.commits, content)
    except (GitError, InputError, OSError):
        return False


# A manifest row (`- id:`, `digest:`, `path:`, `blob:`) is about this many bytes.
_MANIFEST_ROW_BYTES = 130


def manifest_rows(repo: SpecRepo, config: Config) -> int:
    """About how many requirements the working tree's baseline manifests list together
    (from their sizes; 0: none): what verifying them and diffing from them scales with,
    known before anything is read — to tell whether forking a child for it is worth it."""
    total = 0
    try:
        with os.scandir(repo.root / config.baselines_dir) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    with contextlib.suppress(OSError):
                        total += os.lstat(os.path.join(entry.path, MANIFEST)).st_size
    except OSError:
        return 0
    return total // _MANIFEST_ROW_BYTES


def baseline_findings(snapshot: Snapshot) -> list[Finding]:
    """What `reqtrace check` reports about the baselines of the snapshot's spec repo."""
    return baseline_verdict(snapshot).findings


@dataclass(frozen=True)
class BaselineVerdict:
    findings: list[Finding]
    # The accepted baseline as (name, commit); None when there is none, or when it cannot be told.
    accepted: tuple[str, str] | None


_VERDICTS: dict[int, tuple[Snapshot, BaselineVerdict]] = {}  # id -> (the snapshot, kept alive; its verdict)


def baseline_verdict(snapshot: Snapshot) -> BaselineVerdict:
    """The findings about the snapshot's baselines, and its accepted baseline: once per snapshot.

    The verdict is kept (core/cachestore.py) under everything it was computed from
    (`verdict_content`): an unchanged set of baselines costs a few git calls instead
    of reading every manifest, every requirement digest at each baseline's commit and
    running ssh-keygen for every sign-off.
    """
    known = _VERDICTS.get(id(snapshot))
    if known is not None and known[0] is snapshot:
        return known[1]
    verdict = _verdict_for(snapshot)
    _VERDICTS.clear()  # one snapshot at a time: a command checks one
    _VERDICTS[id(snapshot)] = (snapshot, verdict)
    return verdict


def _verdict_for(snapshot: Snapshot) -> BaselineVerdict:
    repo = getattr(snapshot, "repo", None)
    if repo is None:
        return BaselineVerdict([], None)
    return verdict_at(repo, snapshot.commit, lambda: baselines_of(snapshot))


# `verdict_at(content=…)` left out: the content id is worked out there.
_WORK_IT_OUT: Any = object()


def verdict_at(repo: SpecRepo, commit: str | None, scan: Callable[[], BaselineSet], *, content: str | None = _WORK_IT_OUT) -> BaselineVerdict:
    """`baseline_verdict` of the spec repo at `commit` (None: the working tree), its baselines
    scanned by `scan()` when it is not kept: it needs no parsed requirement, so a forked
    child can compute (and keep) it while the command parses (checks/check.py).

    `content`: `verdict_content(repo, commit)` when the caller worked it out before `scan()`
    reads the files (the forked child is given its parent's): what the verdict is kept under
    then names files as they were before they were read, never after."""
    if content is _WORK_IT_OUT:
        content = verdict_content(repo, commit)
    if content is not None:
        kept = cachestore.load(repo.git_top, VERDICT_KIND, content, _verdict_of)
        if kept is not None and _commits_exist(repo, kept.commits, content):
            return BaselineVerdict(kept.findings, kept.accepted)
    scanned = scan()
    findings, vouched = _plain_verdict(repo, scanned, commit)
    try:
        chosen = scanned.accepted()
        accepted = (chosen.name, chosen.commit) if chosen is not None else None
    except AcceptedUnknown:
        accepted = None  # a baseline file is missing: its finding fails the gate
    if content is not None:
        commits = sorted({baseline.commit for baseline in scanned.baselines})
        cachestore.store(repo.git_top, VERDICT_KIND, content,
                         {"findings": cachestore.finding_rows(findings), "commits": commits, "accepted": list(accepted) if accepted else [],
                          "vouched": vouched})
    return BaselineVerdict(findings, accepted)


def plain_baseline_findings(repo: SpecRepo, scanned: BaselineSet, commit: str | None) -> list[Finding]:
    """`baseline_findings` computed from the baseline files, without the kept verdict."""
    return _plain_verdict(repo, scanned, commit)[0]


def _plain_verdict(repo: SpecRepo, scanned: BaselineSet, commit: str | None) -> tuple[list[Finding], list[str]]:
    """`plain_baseline_findings`, and the names of the format 2 baselines `vouched_entries`
    would vouch for (kept with the verdict: `baseline create` after a `check` need not
    verify the closest one again)."""
    findings = list(scanned.findings)
    vouched = []
    cache: dict[str, dict[str, Requirement]] = {}
    for baseline in scanned.baselines:
        checked = verify_baseline(repo, baseline, commit=commit, cache=cache)
        findings.extend(checked.problems)
        if baseline.files_digest is not None and _vouches(checked):
            vouched.append(baseline.name)
    return findings, vouched


VERDICT_KIND = "baseline-verdict"


def verdict_content(repo: SpecRepo, commit: str | None) -> str | None:
    """The content id of what `baseline_findings` depends on at `commit` (None: the working
    tree); None when the verdict must not be kept (outside git, a shallow clone, no commit yet).

    At a commit, the baseline files, their history and the recorded evidence are the commit's;
    in the working tree, the files' blob ids, HEAD (whose history says which baseline files
    were deleted), the files deleted since HEAD and each recorded sign-off's evidence. Always
    live: the baseline tags (name, tag object, commit), the allowed-signers file (its path and
    bytes) and which ssh-keygen would run. A shallow clone is never kept: fetching more history
    changes what the same commit ids say.
    """
    top = repo.git_top
    if top is None:
        return None
    head, shallow = gitio.head_and_shallow(top)
    if shallow or head is None:
        return None
    try:
        allowed = resolve_signers(repo, None)
        trust = hashlib.sha256(allowed.read_bytes()).hexdigest() if allowed.is_file() else "none"
        files = _worktree_baseline_files(repo, head) if commit is None else []
    except (OSError, InputError):
        return None  # computed the plain way, which says what is wrong where it matters
    lines = [
        f"{VERDICT_FORMAT} {repo.root} {repo.prefix!r} {commit or 'WORKTREE'}",
        f"signers {allowed} {trust}",
        f"ssh-keygen {shutil.which('ssh-keygen')}",
        *(f"tag {tag.name} {tag.object} {tag.commit}" for tag in gitio.list_tags(top, TAG_PREFIX)),
    ]
    return "\n".join([*lines, *files])


# The shape of what verdict_content names; a new one when it changes.
VERDICT_FORMAT = "baseline-verdict-2"


def _worktree_baseline_files(repo: SpecRepo, head: str) -> list[str]:
    """The working tree's side of verdict_content: what scan_baselines, missing_witnesses and
    the recorded sign-offs' evidence read there."""
    assert repo.git_top is not None
    reader = Reader(repo, None)
    config_bytes = reader.read_config()
    config, _ = parse_config(config_bytes)
    lines = [f"head {head}", f"config {gitio.blob_id(config_bytes)}"]
    signoffs = []
    for source in reader.list_files([config.baselines_dir]):
        if source.symlink_target is not None:
            lines.append(f"link {source.path!r} {source.symlink_target!r}")
            continue
        data = reader.read_one(source)
        lines.append(f"file {source.path!r} {gitio.blob_id(data)}")
        if f"/{SIGNOFFS}/" in source.path and source.path.endswith(".yaml") and len(data) <= MAX_FILE_BYTES:
            signoffs.append((source.path, data))
    lines.extend(f"unlisted {path!r}" for path in reader.bad_names)
    lines.extend(f"deleted {path!r}" for path in gitio.deleted_in_worktree(repo.git_top, [repo.git_path(config.baselines_dir)]))
    for path, data in signoffs:
        item, _ = parse_signoff_file(path, data)
        if isinstance(item, SignOff) and item.method == "recorded" and item.evidence is not None:
            read = read_evidence(repo, None, item.evidence.path)
            held = hashlib.sha256(read.data).hexdigest() if read.data is not None else "missing"
            lines.append(f"evidence {item.evidence.path!r} {read.refused!r} {held}")
    return lines


@dataclass(frozen=True)
class _Kept:
    findings: list[Finding]
    commits: list[str]
    accepted: tuple[str, str] | None
    vouched: list[str]  # none in a verdict kept before they were


def _verdict_of(plain: Any) -> _Kept | None:
    """What baseline_verdict stored, or None when not of that shape."""
    try:
        findings, commits, accepted = cachestore.findings_of(plain["findings"]), plain["commits"], plain["accepted"]
    except (KeyError, TypeError):
        return None
    if findings is None or not (isinstance(commits, list) and all(isinstance(commit, str) for commit in commits)):
        return None
    if not (isinstance(accepted, list) and len(accepted) in (0, 2) and all(isinstance(part, str) for part in accepted)):
        return None
    vouched = plain.get("vouched", [])
    if not (isinstance(vouched, list) and all(isinstance(name, str) for name in vouched)):
        return None
    return _Kept(findings, commits, (accepted[0], accepted[1]) if accepted else None, vouched)


def _commits_exist(repo: SpecRepo, commits: list[str], content: str) -> bool:
    """Whether the baselines' commits are still in the repository (a rewritten history that was
    garbage-collected loses them); a commit a listed baseline tag points at is there."""
    tagged = {line.rsplit(" ", 1)[1] for line in content.split("\n") if line.startswith("tag ")}
    unknown = [commit for commit in commits if commit not in tagged]
    if not unknown:
        return True
    assert repo.git_top is not None
    return all(oid is not None for _name, oid, _kind, _data in gitio.read_named(repo.git_top, [f"{commit}^{{commit}}" for commit in unknown]))
