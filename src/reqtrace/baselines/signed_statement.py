"""What a sign-off states, and whose signatures count.

The canonical statement is the text an SSH sign-off signs and a recorded one
keeps; verification rebuilds it from the baseline's own name and digest. Kept
apart from signing (baselines/signoff.py) so that verifying a baseline does not import
the code that writes sign-offs.
"""

from __future__ import annotations

import os
from pathlib import Path

from reqtrace.baselines.baseline import Baseline, SignOff
from reqtrace.core.config import SpecRepo
from reqtrace.errors import InputError

STATEMENT_HEADER = "reqtrace sign-off statement 1"


def statement_text(
    *,
    baseline: str,
    algorithm: str,
    root_digest: str,
    signer: str,
    meaning: str,
    time: str,
    method: str,
    role: str | None = None,
    comment: str | None = None,
    evidence_sha256: str | None = None,
    files_digest: str | None = None,
) -> str:
    """The canonical statement a sign-off makes: UTF-8 lines `key: value`, in this order,
    optional lines left out, ending with a line feed. For SSH these are the bytes signed."""
    lines = [
        STATEMENT_HEADER,
        f"baseline: {baseline}",
        f"algorithm: {algorithm}",
        f"root-digest: {root_digest}",
    ]
    if files_digest:
        lines.append(f"files-digest: {files_digest}")
    lines += [
        f"signer: {signer}",
        f"meaning: {meaning}",
    ]
    if role:
        lines.append(f"role: {role}")
    lines.append(f"time: {time}")
    if comment:
        lines.append(f"comment: {comment}")
    lines.append(f"method: {method}")
    if evidence_sha256:
        lines.append(f"evidence-sha256: {evidence_sha256}")
    return "\n".join(lines) + "\n"


def expected_statement(baseline: Baseline, signoff: SignOff) -> str:
    """The statement `signoff` must carry to be a sign-off of `baseline`: built from the
    baseline's own name and root digest, never from what the sign-off file claims."""
    return statement_for(signoff, baseline=baseline.name, algorithm=baseline.algorithm, root_digest=baseline.root_digest,
                         files_digest=baseline.files_digest)


_AS_SIGNED = "as signed"


def statement_for(signoff: SignOff, *, baseline: str, algorithm: str, root_digest: str, files_digest: str | None = _AS_SIGNED) -> str:
    """The statement a sign-off with these fields makes about the named content. Without
    `files_digest` (a verifier without git, which cannot tell blob ids: `pack verify`), the
    files digest is the one the sign-off names: signed, but not checked against the files."""
    return statement_text(
        baseline=baseline,
        algorithm=algorithm,
        root_digest=root_digest,
        signer=signoff.signer,
        meaning=signoff.meaning,
        time=signoff.time,
        method=signoff.method,
        role=signoff.role,
        comment=signoff.comment,
        evidence_sha256=signoff.evidence.sha256 if signoff.evidence else None,
        files_digest=signoff.files_digest if files_digest is _AS_SIGNED else files_digest,
    )


def default_signers_file(repo: SpecRepo) -> Path:
    return repo.root / ".reqtrace" / "allowed_signers"


def resolve_signers(repo: SpecRepo, signers: Path | None) -> Path:
    """The allowed-signers file: --signers, else $REQTRACE_ALLOWED_SIGNERS, else .reqtrace/allowed_signers."""
    if signers is not None:
        if not Path(signers).is_file():
            raise InputError(f"--signers {signers}: no such file", hint="give the allowed-signers file (ssh-keygen's format, one 'email key' per line)")
        return Path(signers)
    from_env = os.environ.get("REQTRACE_ALLOWED_SIGNERS")
    if from_env:
        if not Path(from_env).is_file():
            raise InputError(f"REQTRACE_ALLOWED_SIGNERS={from_env}: no such file")
        return Path(from_env)
    return default_signers_file(repo)
