"""Sign-offs: someone's recorded yes to exactly one baseline's content, and its revocation.

Each sign-off is a new file under `baselines/NAME/signoffs/`; nothing that
exists is ever changed. An SSH sign-off signs the canonical statement (see
`statement_text`) with `ssh-keygen -Y sign -n reqtrace`; a recorded sign-off
(paper, email) keeps the evidence file under `records/` and its sha256.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reqtrace.baselines.baseline import (
    MEANINGS,
    ROLES,
    SIGNOFFS,
    Baseline,
    Revocation,
    SignOff,
    load_baseline,
    parse_signoff_file,
    signer_email,
    utc_now,
)
from reqtrace.baselines.signed_statement import resolve_signers, statement_text
from reqtrace.baselines.verify import verify_manifest
from reqtrace.core.config import CONFIG_FILE, SpecRepo, parse_config
from reqtrace.core.model import sequence_number
from reqtrace.errors import GateFailed, InputError, UsageError
from reqtrace.io import gitio, sshsig
from reqtrace.io.files import atomic_write, inside
from reqtrace.io.yamlio import dump_yaml, load_yaml

SIGNOFF_FORMAT = "reqtrace-signoff-1"
REVOCATION_FORMAT = "reqtrace-revocation-1"
MAX_EVIDENCE_BYTES = 100 * 1024 * 1024
_SIGNER = re.compile(r"^[^<>]+ <[^<>@\s]+@[^<>\s]+>$")


def _single_line(label: str, value: str) -> str:
    value = value.strip()
    if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in value):
        raise UsageError(f"{label} must be one line of text, without line breaks or control characters")
    return value


def check_signer(signer: str) -> str:
    signer = _single_line("--signer", signer)
    if not _SIGNER.match(signer):
        raise UsageError(
            f"--signer must be 'Name <email>' (got {signer!r})",
            hint='e.g. --signer "Li Wei <li.wei@brightpath.example>"; the email is the principal in allowed_signers',
        )
    return signer


def _slug(text: str, limit: int = 24) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:limit].strip("-") or "x"


def signoff_file_name(time: str, meaning: str, email: str, statement: str) -> str:
    """`<UTC time>-<meaning>-<who>-<hash>.yaml`: sortable, unique, safe as a file name,
    and distinct on two branches signed at once (no counter to collide on merge)."""
    stamp = time.replace("-", "").replace(":", "")
    digest = hashlib.sha256(statement.encode("utf-8")).hexdigest()[:10]
    return f"{stamp}-{meaning}-{_slug(email.split('@')[0])}-{digest}.yaml"


@dataclass(frozen=True)
class Signed:
    signoff: SignOff
    path: Path
    written: list[Path]
    committed: str | None
    warnings: list[str]


def _check_manifest_before_signing(repo: SpecRepo, baseline: Baseline) -> None:
    # Deep: a signature vouches for the manifest's digests as well as its files' blob ids, so
    # both are checked against the commit before anyone signs.
    problems = verify_manifest(repo, baseline, deep=True)
    if problems:
        listed = "; ".join(p.message for p in problems[:3])
        raise GateFailed(
            f"baseline '{baseline.name}' does not match its commit, so it cannot be signed: {listed}",
            hint=f"run `reqtrace baseline verify {baseline.name}` for every problem",
        )


def _commit(repo: SpecRepo, paths: list[Path], message: str) -> str:
    assert repo.git_top is not None
    relative = [repo.git_path(path.relative_to(repo.root).as_posix()) for path in paths]
    return gitio.commit_paths(repo.git_top, relative, message)


def sign_baseline(
    repo: SpecRepo,
    name: str,
    *,
    signer: str,
    meaning: str,
    role: str | None = None,
    comment: str | None = None,
    key: Path | None = None,
    evidence: Path | None = None,
    recorded_by: str | None = None,
    signers: Path | None = None,
    commit: bool = True,
) -> Signed:
    """Add one sign-off to baseline NAME: with an SSH `key`, or recorded with `evidence`."""
    signer = check_signer(signer)
    if meaning not in MEANINGS:
        raise UsageError(f"--meaning must be one of {', '.join(MEANINGS)} (got '{meaning}')")
    if role is not None and role not in ROLES:
        raise UsageError(f"--role must be one of {', '.join(ROLES)} (got '{role}')")
    if (key is None) == (evidence is None):
        raise UsageError("sign with exactly one method: --key PATH (an SSH signature) or --recorded --evidence PATH")
    comment = _single_line("--comment", comment) or None if comment else None
    if recorded_by is not None:
        recorded_by = check_signer(recorded_by)
    baseline = load_baseline(repo, name)
    if repo.git_top is None and commit:
        raise InputError(f"{repo.root} is not in a git repository", hint="sign-offs belong to a baseline, which lives in git")
    _check_manifest_before_signing(repo, baseline)
    time = utc_now()
    folder = inside(repo.root, f"{Path(baseline.path).parent.as_posix()}/{SIGNOFFS}")
    written: list[Path] = []
    warnings: list[str] = []
    data: dict[str, Any] = {
        "format": SIGNOFF_FORMAT,
        "baseline": baseline.name,
        "algorithm": baseline.algorithm,
        "root_digest": baseline.root_digest,
        **({"files_digest": baseline.files_digest} if baseline.files_digest else {}),
        "signer": signer,
        "meaning": meaning,
    }
    if role:
        data["role"] = role
    data["time"] = time
    if comment:
        data["comment"] = comment
    if key is not None:
        statement = statement_text(baseline=baseline.name, algorithm=baseline.algorithm, root_digest=baseline.root_digest, signer=signer, meaning=meaning, time=time, method="ssh", role=role, comment=comment, files_digest=baseline.files_digest)
        signature = sshsig.sign(key, statement.encode("utf-8"))
        verdict = sshsig.check_signature(statement.encode("utf-8"), signature)
        if not verdict.ok:  # pragma: no cover - ssh-keygen just made it
            raise InputError(f"ssh-keygen made a signature it cannot check: {verdict.detail}")
        data.update({"method": "ssh", "statement": statement, "signature": signature})
        if verdict.fingerprint:
            data["key_fingerprint"] = verdict.fingerprint
        warnings += _trust_warnings(repo, signer, statement, signature, time, signers, key)
    else:
        assert evidence is not None
        stored, sha256, document, evidence_files = store_evidence(repo, evidence, title=f"Sign-off evidence: {signer} {meaning} baseline {baseline.name}", date=time[:10])
        who = recorded_by or (gitio.identity(repo.git_top) if repo.git_top else None)
        if not who:
            raise UsageError("say who recorded this sign-off: --recorded-by 'Name <email>'")
        statement = statement_text(baseline=baseline.name, algorithm=baseline.algorithm, root_digest=baseline.root_digest, signer=signer, meaning=meaning, time=time, method="recorded", role=role, comment=comment, evidence_sha256=sha256, files_digest=baseline.files_digest)
        data.update({"method": "recorded", "statement": statement, "evidence": {"path": stored, "sha256": sha256, **({"document": document} if document else {})}, "recorded_by": who})
        written += evidence_files
    path = folder / signoff_file_name(time, meaning, signer_email(signer), statement)
    header = "reqtrace sign-off, written by `reqtrace baseline sign`. Never edit it: add a revocation instead\n(`reqtrace baseline revoke`). `reqtrace baseline verify` checks it."
    try:
        atomic_write(path, dump_yaml(data, header=header), exclusive=True)
    except FileExistsError:
        raise InputError(f"{path.relative_to(repo.root).as_posix()} already exists: the same sign-off was already recorded") from None
    written.insert(0, path)
    relative = path.relative_to(repo.root).as_posix()
    signoff, _ = parse_signoff_file(relative, path.read_bytes())
    assert isinstance(signoff, SignOff)
    committed = None
    if commit:
        committed = _commit(repo, written, f"Sign-off {baseline.name}: {meaning} by {signer}" + (f" ({role})" if role else "") + f"\n\nroot digest: {baseline.root_digest}\nmethod: {signoff.method}\n")
    return Signed(signoff, path, written, committed, warnings)


def _trust_warnings(repo: SpecRepo, signer: str, statement: str, signature: str, time: str, signers: Path | None, key: Path) -> list[str]:
    """Why this new signature would not verify yet (the key is not trusted), with the line to add."""
    allowed = resolve_signers(repo, signers)
    email = signer_email(signer)
    if allowed.is_file():
        verdict = sshsig.verify(statement.encode("utf-8"), signature, principal=email, allowed_signers=allowed, at=time)
        if verdict.ok:
            return []
    public = _public_key_text(key)
    line = f"{email} namespaces=\"reqtrace\" {public}" if public else f"{email} namespaces=\"reqtrace\" <the public key>"
    where = allowed if allowed.is_file() else f"{allowed} (which does not exist yet)"
    return [
        f"{where} does not give this key to {email}: `reqtrace baseline verify` will report signer-unknown "
        f"until someone who may vouch for {email} adds the line:\n  {line}"
    ]


def _public_key_text(key: Path) -> str | None:
    candidates = [key] if key.suffix == ".pub" else [key.with_name(key.name + ".pub")]
    for candidate in candidates:
        try:
            words = candidate.read_text("utf-8").split()
        except (OSError, UnicodeDecodeError):
            continue
        if len(words) >= 2:
            return f"{words[0]} {words[1]}"
    return None


# --------------------------------------------------------------- evidence


def _safe_file_name(name: str) -> str:
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-._")[:80] or "evidence"
    suffix = re.sub(r"[^A-Za-z0-9]+", "", suffix)[:10]
    return f"{stem}.{suffix}" if suffix else stem


def _next_document_id(documents: Path) -> str:
    highest = 0
    if documents.is_dir():
        for sidecar in documents.rglob("*.yaml"):
            try:
                loaded = load_yaml(sidecar.read_text("utf-8"))
            except Exception:  # noqa: BLE001, S112 - a broken sidecar is check's business, not ours
                continue
            match = re.fullmatch(r"DOC-(\d+)", str(loaded.get("id", ""))) if isinstance(loaded, dict) else None
            if match:
                highest = max(highest, sequence_number(match.group(1)))
    return f"DOC-{highest + 1}"


def _sidecar_id(sidecar: Path) -> str | None:
    try:
        loaded = load_yaml(sidecar.read_text("utf-8"))
    except Exception:  # noqa: BLE001
        return None
    value = loaded.get("id") if isinstance(loaded, dict) else None
    return value if isinstance(value, str) else None


def store_evidence(repo: SpecRepo, evidence: Path, *, title: str, date: str) -> tuple[str, str, str | None, list[Path]]:
    """Keep the evidence file under records/documents/ (copied unless it is already under records/),
    with a document sidecar `<file>.yaml` (id DOC-n, title, date, sha256) unless it has one.

    Returns (path relative to the spec root, sha256, document id, files written).
    """
    source = Path(evidence)
    if not source.is_file():
        raise InputError(f"--evidence {evidence}: no such file", hint="give the scan, PDF or .eml that shows the sign-off")
    size = source.stat().st_size
    if size > MAX_EVIDENCE_BYTES:
        raise InputError(f"--evidence {evidence} is {size:,} bytes; evidence is kept in git, up to {MAX_EVIDENCE_BYTES:,} bytes", hint="store a smaller scan (e.g. a PDF at 200 dpi)")
    data = source.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    config, _ = parse_config((repo.root / CONFIG_FILE).read_bytes())
    records = inside(repo.root, config.records_dir)
    documents = inside(repo.root, config.documents_dir)
    written: list[Path] = []
    resolved = source.resolve()
    if records in resolved.parents and not source.is_symlink():
        target = resolved  # already on record: keep it where it is
    else:
        target = documents / _safe_file_name(source.name)
        if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() != sha256:
            stem, dot, suffix = target.name.rpartition(".")
            target = target.with_name(f"{stem}-{sha256[:8]}.{suffix}" if dot else f"{target.name}-{sha256[:8]}")
        if not target.exists():
            atomic_write(target, data, exclusive=True)
            written.append(target)
    sidecar = target.with_name(target.name + ".yaml")
    document = _sidecar_id(sidecar) if sidecar.exists() else None
    # Only a document gets a new sidecar: a file elsewhere under records/ (an ingested
    # email) already has its own kind of sidecar, or none that we may invent.
    if not sidecar.exists() and documents in target.parents:
        document = _next_document_id(documents)
        atomic_write(
            sidecar,
            dump_yaml({"id": document, "title": title, "date": date, "sha256": sha256}, header=f"document sidecar of {target.name}, written by `reqtrace baseline sign --recorded`"),
            exclusive=True,
        )
        written.append(sidecar)
    return target.relative_to(repo.root).as_posix(), sha256, document, written


# ------------------------------------------------------------- revocation


@dataclass(frozen=True)
class Revoked:
    revocation: Revocation
    path: Path
    committed: str | None


def revoke_signoff(repo: SpecRepo, name: str, signoff_id: str, *, reason: str, by: str | None = None, commit: bool = True) -> Revoked:
    """Withdraw one sign-off by adding a revocation file; the sign-off stays on record."""
    reason = _single_line("--reason", reason)
    if not reason:
        raise UsageError("--reason must say why the sign-off is withdrawn")
    baseline = load_baseline(repo, name)
    target = next((s for s in baseline.signoffs if s.id == signoff_id), None)
    if target is None:
        known = ", ".join(s.id for s in baseline.signoffs) or "none"
        raise InputError(f"baseline '{name}' has no sign-off '{signoff_id}' (sign-offs: {known})", hint=f"`reqtrace baseline show {name}` lists them")
    earlier = baseline.revocation_of(signoff_id)
    if earlier is not None:
        raise InputError(f"sign-off '{signoff_id}' was already revoked on {earlier.time} by {earlier.by}")
    who = check_signer(by) if by else (gitio.identity(repo.git_top) if repo.git_top else None)
    if not who:
        raise UsageError("say who revokes it: --by 'Name <email>'")
    time = utc_now()
    data = {"format": REVOCATION_FORMAT, "baseline": baseline.name, "revokes": signoff_id, "reason": reason, "by": who, "time": time}
    digest = hashlib.sha256(repr(sorted(data.items())).encode("utf-8")).hexdigest()[:10]
    folder = inside(repo.root, f"{Path(baseline.path).parent.as_posix()}/{SIGNOFFS}")
    path = folder / f"{time.replace('-', '').replace(':', '')}-revocation-{digest}.yaml"
    atomic_write(path, dump_yaml(data, header="reqtrace revocation, written by `reqtrace baseline revoke`: withdraws one sign-off, which stays on record."), exclusive=True)
    relative = path.relative_to(repo.root).as_posix()
    revocation, _ = parse_signoff_file(relative, path.read_bytes())
    assert isinstance(revocation, Revocation)
    committed = None
    if commit:
        if repo.git_top is None:
            raise InputError(f"{repo.root} is not in a git repository")
        committed = _commit(repo, [path], f"Revoke sign-off {signoff_id} of baseline {baseline.name}\n\nreason: {reason}\n")
    return Revoked(revocation, path, committed)

