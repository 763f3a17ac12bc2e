"""SSH signatures through OpenSSH's own `ssh-keygen -Y`, the way git signs with SSH keys.

reqtrace does no cryptography itself: it hands the exact statement bytes to
`ssh-keygen -Y sign` and `-Y verify` (namespace `reqtrace`), always as an
argument list, and reads the verdict from the exit status.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reqtrace.errors import InputError, ToolMissing
from reqtrace.io.files import atomic_write

NAMESPACE = "reqtrace"
_TOOL = "ssh-keygen"


def _run(args: list[str], message: bytes) -> subprocess.CompletedProcess[bytes]:
    try:
        proc = subprocess.run([_TOOL, *args], input=message, capture_output=True, check=False)
    except FileNotFoundError:
        raise ToolMissing(
            "ssh-keygen is not installed or not on PATH; it is needed to make and check SSH sign-offs",
            hint="install the OpenSSH client (Debian/Ubuntu: `apt install openssh-client`; macOS and Windows ship it)",
        ) from None
    if proc.returncode != 0 and b"unknown option -- Y" in proc.stderr:
        raise ToolMissing(
            "this ssh-keygen cannot sign data (-Y); OpenSSH 8.2 or newer is needed",
            hint="upgrade the OpenSSH client",
        )
    return proc


def _last_line(data: bytes) -> str:
    lines = [line for line in data.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def sign(key: Path, message: bytes) -> str:
    """The armored SSH signature of `message` by the private key at `key` (or its .pub with an agent)."""
    key = Path(key)
    if not key.is_file():
        raise InputError(f"no key file at {key}", hint="give --key the path of your SSH private key, e.g. ~/.ssh/id_ed25519")
    proc = _run(["-Y", "sign", "-n", NAMESPACE, "-f", str(key)], message)
    signature = proc.stdout.decode("ascii", "replace")
    if proc.returncode != 0 or "BEGIN SSH SIGNATURE" not in signature:
        raise InputError(
            f"ssh-keygen could not sign with {key}: {_last_line(proc.stderr) or 'no signature produced'}",
            hint="a key with a passphrase needs a terminal or an ssh-agent holding it (then pass the .pub file)",
        )
    return signature


@dataclass(frozen=True)
class Verdict:
    ok: bool
    detail: str  # ssh-keygen's own words
    fingerprint: str | None = None


def _with_signature_file(signature: str, run: Callable[[str], subprocess.CompletedProcess[bytes]]) -> subprocess.CompletedProcess[bytes]:
    with tempfile.TemporaryDirectory(prefix="reqtrace-sig-") as folder:
        path = atomic_write(Path(folder) / "statement.sig", signature.encode("ascii", "replace"))
        return run(str(path))


def _fingerprint(text: str) -> str | None:
    for word in text.split():
        if word.startswith("SHA256:"):
            return word
    return None


def check_signature(message: bytes, signature: str) -> Verdict:
    """Is `signature` a valid `reqtrace` signature of `message` by *some* key? (No trust decision.)"""
    proc = _with_signature_file(signature, lambda sig: _run(["-Y", "check-novalidate", "-n", NAMESPACE, "-s", sig], message))
    out = proc.stdout.decode("utf-8", "replace") + proc.stderr.decode("utf-8", "replace")
    return Verdict(proc.returncode == 0, _last_line(proc.stderr) or _last_line(proc.stdout), _fingerprint(out))


def verify(message: bytes, signature: str, *, principal: str, allowed_signers: Path, at: str | None = None) -> Verdict:
    """Is `signature` a valid signature of `message` by a key allowed_signers gives to `principal`?

    `at` (a UTC time, 2026-02-20T10:00:00Z) checks key validity (valid-after /
    valid-before) at the signing time rather than now, as git does with the commit time.
    """
    args = ["-Y", "verify", "-n", NAMESPACE, "-f", str(allowed_signers), "-I", principal]
    if at:
        args += _verify_time(at)
    proc = _with_signature_file(signature, lambda sig: _run([*args, "-s", sig], message))
    out = proc.stdout.decode("utf-8", "replace")
    return Verdict(proc.returncode == 0, _last_line(proc.stderr) or _last_line(proc.stdout), _fingerprint(out))


def _verify_time(at: str) -> list[str]:
    return ["-O", "verify-time=" + "".join(char for char in at if char.isdigit()) + "Z"]


def principals_of(signature: str, allowed_signers: Path, *, at: str | None = None) -> list[str]:
    """The principals allowed_signers gives to the key that made `signature` (at time `at`);
    empty for a key it does not list."""
    args = ["-Y", "find-principals", "-f", str(allowed_signers), *(_verify_time(at) if at else [])]
    proc = _with_signature_file(signature, lambda sig: _run([*args, "-s", sig], b""))
    if proc.returncode != 0:
        return []
    return [line.strip() for line in proc.stdout.decode("utf-8", "replace").splitlines() if line.strip()]
