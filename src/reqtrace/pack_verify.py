"""`reqtrace pack verify`: is this evidence pack exactly what was built, and does it hold?

Works from the zip alone — no git repository, no network. In order:
1. every member name is safe (no zip-slip, no links, no duplicates);
2. MANIFEST.sha256: every listed file is there with its hash, nothing is there
   that it omits;
3. the requirements in data/ — the JSON and the original YAML — are digested
   again with reqtrace.digest and must give the baseline's root digest (the one
   in pack.json and in the baseline manifest);
4. every SSH sign-off's signature is checked with `ssh-keygen -Y verify` over
   the pack's own copy of the signed statement, and the statement must name
   that root digest; every recorded sign-off's evidence must match its sha256.

Step 2 alone catches accidents; someone who edits a file can also edit the
manifest. Steps 3 and 4 catch that: changing what was signed changes the root
digest, and the signatures are over the root digest. They are only as strong
as the allowed-signers file: one passed with --signers, obtained apart from the
pack, is; the pack's own copy came with whatever an attacker changed.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .archive import MANIFEST, member_problem, parse_manifest, sha256_hex
from .digest import ALGORITHM, requirement_digest, root_digest
from .errors import InputError
from .model import Config, Requirement
from .pack import ALLOWED_SIGNERS, BASE_JSON, MANIFEST_COPY, PACK_FORMAT, PACK_JSON, SIGNOFFS_JSON
from .parse import parse_requirements
from .yamlio import YamlProblem, decode_text, load_yaml

MAX_PACK_BYTES = 4 * 1024**3  # uncompressed; more is not a pack reqtrace built
OUTSIDE_SIGNERS = "--signers"
PACK_SIGNERS = "pack"


@dataclass(frozen=True)
class Problem:
    check: str  # member | missing | extra | modified | manifest | digest | signature | evidence | pack
    entry: str  # the exact member, or member + item
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"check": self.check, "entry": self.entry, "message": self.message}


@dataclass
class VerifyReport:
    path: Path
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    pack: dict[str, Any] = field(default_factory=dict)
    members: int = 0
    hashed: int = 0
    requirements: int = 0
    root_digest: str | None = None
    manifest_sha256: str | None = None
    signers: dict[str, str | None] = field(default_factory=lambda: {"source": None, "path": None, "why": ""})
    signoffs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, check: str, entry: str, message: str) -> None:
        self.problems.append(Problem(check, entry, message))

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "pack": str(self.path),
            "baseline": self.pack.get("baseline"),
            "to": self.pack.get("to"),
            "checked": {"members": self.members, "hashes": self.hashed, "requirements": self.requirements},
            "root_digest": self.root_digest,
            "manifest_sha256": self.manifest_sha256,
            "signers": self.signers,
            "signoffs": self.signoffs,
            "problems": [p.as_dict() for p in self.problems],
            "notes": self.notes,
        }


def _read_members(report: VerifyReport, archive: zipfile.ZipFile) -> dict[str, bytes]:
    """The bytes of every member that is safe to look at; problems for the others."""
    contents: dict[str, bytes] = {}
    seen: dict[str, str] = {}
    total = 0
    for info in archive.infolist():
        name = info.filename
        report.members += 1
        problem = member_problem(name)
        if problem is not None:
            report.fail("member", name, f"unsafe member name: {problem}")
            continue
        folded = name.casefold()
        if folded in seen:
            report.fail("member", name, f"appears twice in the zip (or differs only in case from {seen[folded]!r})")
            continue
        seen[folded] = name
        kind = stat.S_IFMT(info.external_attr >> 16)
        if info.is_dir() or kind in (stat.S_IFLNK, stat.S_IFDIR) or (kind and kind != stat.S_IFREG):
            report.fail("member", name, "is not a regular file (a link or folder entry); a pack holds only files")
            continue
        total += info.file_size
        if total > MAX_PACK_BYTES:
            report.fail("member", name, f"the pack unpacks to more than {MAX_PACK_BYTES:,} bytes; not read further")
            break
        try:
            with archive.open(info) as handle:
                data = handle.read(info.file_size + 1)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
            report.fail("modified", name, f"cannot be read from the zip: {exc}")
            continue
        if len(data) != info.file_size:
            report.fail("modified", name, "its size differs from the size the zip records")
            continue
        contents[name] = data
    return contents


def _check_manifest(report: VerifyReport, contents: dict[str, bytes]) -> None:
    if MANIFEST not in contents:
        report.fail("missing", MANIFEST, "the pack has no MANIFEST.sha256; nothing in it can be checked")
        return
    report.manifest_sha256 = sha256_hex(contents[MANIFEST])
    try:
        text = contents[MANIFEST].decode("utf-8")
    except UnicodeDecodeError:
        report.fail("manifest", MANIFEST, "is not UTF-8 text")
        return
    listed, problems = parse_manifest(text)
    for _line, message in problems:
        report.fail("manifest", MANIFEST, message)
    for name in sorted(listed):
        if member_problem(name) is not None:
            report.fail("manifest", f"{MANIFEST}: {name}", "lists an unsafe member name")
        elif name not in contents:
            report.fail("missing", name, "is listed in MANIFEST.sha256 but missing from the zip")
        elif sha256_hex(contents[name]) != listed[name]:
            report.fail("modified", name, "its sha256 differs from MANIFEST.sha256: the file was changed")
        else:
            report.hashed += 1
    for name in sorted(contents):
        if name != MANIFEST and name not in listed:
            report.fail("extra", name, "is in the zip but not in MANIFEST.sha256: it was added after the pack was built")


def _json_member(report: VerifyReport, contents: dict[str, bytes], name: str) -> dict[str, Any] | None:
    if name not in contents:
        if not any(p.entry == name for p in report.problems):
            report.fail("missing", name, "is missing from the pack")
        return None
    try:
        data = json.loads(contents[name].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        report.fail("pack", name, f"is not valid JSON: {exc}")
        return None
    if not isinstance(data, dict):
        report.fail("pack", name, "is not a JSON object")
        return None
    return data


def requirement_from_fields(fields: dict[str, Any], path: str) -> Requirement:
    """A requirement rebuilt from its `fields()` data, for digesting."""

    def texts(key: str) -> tuple[str, ...]:
        value = fields.get(key)
        if value in (None, "", []):
            return ()
        return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)

    return Requirement(
        id=str(fields.get("id", "")),
        title=str(fields.get("title", "")),
        statement=str(fields.get("statement", "")),
        path=path,
        acceptance=texts("acceptance"),
        priority=fields.get("priority"),
        status=fields.get("status"),
        parents=texts("parents"),
        sources=texts("sources"),
        tags=texts("tags"),
        owner=fields.get("owner"),
        rationale=fields.get("rationale"),
        extra=tuple(sorted((k, v) for k, v in fields.items() if k.startswith("x-"))),
    )


def _manifest_digests(report: VerifyReport, contents: dict[str, bytes]) -> tuple[str | None, dict[str, str]]:
    """The root digest and per-requirement digests the baseline manifest states. ADAPTER (issue 3's format)."""
    if MANIFEST_COPY not in contents:
        return None, {}
    try:
        data = load_yaml(decode_text(contents[MANIFEST_COPY]))
    except YamlProblem as problem:
        report.fail("pack", MANIFEST_COPY, f"line {problem.line}: {problem.message}")
        return None, {}
    if not isinstance(data, dict):
        report.fail("pack", MANIFEST_COPY, "is not a baseline manifest (not a mapping)")
        return None, {}
    listed = data.get("requirements")
    digests: dict[str, str] = {}
    if isinstance(listed, dict):
        digests = {str(k): str(v.get("digest") if isinstance(v, dict) else v) for k, v in listed.items()}
    elif isinstance(listed, list):
        digests = {str(e.get("id")): str(e.get("digest")) for e in listed if isinstance(e, dict)}
    root = data.get("root_digest")
    return (str(root) if root else None), digests


# What the worker processes read: set before they are forked, so nothing is pickled on the way in.
_YAML_WORK: tuple[dict[str, bytes], dict[str, dict[str, Any]], dict[str, str]] | None = None
PARALLEL_YAML_FROM = 2000  # below this many files a second process costs more than it saves


def _disagreeing(jobs: list[tuple[str, list[str]]]) -> list[tuple[str, str]]:
    """(member, id) for each requirement whose original YAML does not give the requirement in the JSON."""
    assert _YAML_WORK is not None
    contents, fields_of, digests = _YAML_WORK
    config = Config(project="pack")
    wrong = []
    for member, ids in jobs:
        found = {req.id: req for req in parse_requirements(member, contents[member], config).items}
        for rid in ids:
            original = found.get(rid)
            # Equal fields give equal digests; digest only what differs (formatting may still agree).
            if original is not None and original.fields() == fields_of.get(rid):
                continue
            if original is None or requirement_digest(original) != digests.get(rid):
                wrong.append((member, rid))
    return wrong


def _yaml_disagreements(jobs: list[tuple[str, list[str]]], contents: dict[str, bytes], fields_of: dict[str, dict[str, Any]], digests: dict[str, str]) -> list[tuple[str, str]]:
    """Parse the original YAML files — the slowest step of verify — in two processes when
    there are many and the machine has the cores (forked: Linux only)."""
    global _YAML_WORK
    _YAML_WORK = (contents, fields_of, digests)
    try:
        if len(jobs) < PARALLEL_YAML_FROM or (os.cpu_count() or 1) < 2 or sys.platform != "linux":
            return _disagreeing(jobs)
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        halves = [jobs[0::2], jobs[1::2]]
        try:
            with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("fork")) as pool:
                return sorted(found for part in pool.map(_disagreeing, halves) for found in part)
        except (OSError, RuntimeError):  # no fork here (a sandbox, a process limit): one process it is
            return _disagreeing(jobs)
    finally:
        _YAML_WORK = None


def _check_requirements(report: VerifyReport, contents: dict[str, bytes]) -> str | None:
    """Digest the baseline's requirements again; returns the recomputed root digest."""
    document = _json_member(report, contents, BASE_JSON)
    if document is None:
        return None
    digests: dict[str, str] = {}
    fields_of: dict[str, dict[str, Any]] = {}
    yaml_of: dict[str, list[str]] = {}
    for entry in document.get("requirements") or []:
        rid = str(entry.get("id"))
        try:
            requirement = requirement_from_fields(entry.get("fields") or {}, str(entry.get("path", "")))
        except (TypeError, AttributeError):
            report.fail("digest", f"{BASE_JSON}: {rid}", "the requirement's fields are malformed")
            continue
        digest = requirement_digest(requirement)
        if requirement.id != rid:
            report.fail("digest", f"{BASE_JSON}: {rid}", f"the entry's fields carry id {requirement.id!r}")
        if entry.get("digest") != digest:
            report.fail("digest", f"{BASE_JSON}: {rid}", f"recomputed digest {digest} differs from the digest listed beside it")
        digests[rid] = digest
        fields_of[rid] = entry.get("fields") or {}
        if entry.get("yaml"):
            yaml_of.setdefault(str(entry["yaml"]), []).append(rid)
    report.requirements = len(digests)
    recomputed = root_digest(digests.items())
    report.root_digest = recomputed

    # The original YAML must say the same as the JSON beside it.
    present = []
    for member, ids in sorted(yaml_of.items()):
        if member in contents:
            present.append((member, ids))
        elif not any(p.entry == member for p in report.problems):
            report.fail("missing", member, "the original YAML of a baseline requirement is missing")
    for member, rid in _yaml_disagreements(present, contents, fields_of, digests):
        report.fail("digest", f"{member}: {rid}", f"the original YAML does not give the digest of {rid} in {BASE_JSON}")

    claimed = report.pack.get("baseline", {}).get("root_digest") if isinstance(report.pack.get("baseline"), dict) else None
    if claimed != recomputed:
        report.fail("digest", f"{BASE_JSON}", f"the requirements give root digest {recomputed}, but pack.json states {claimed}: the requirements were changed")
    manifest_root, manifest_digests = _manifest_digests(report, contents)
    if manifest_root is not None:
        for rid in sorted(set(manifest_digests) | set(digests)):
            if manifest_digests.get(rid) != digests.get(rid):
                what = "is missing from the pack's requirements" if rid not in digests else ("is not in the baseline manifest" if rid not in manifest_digests else "differs from the digest in the baseline manifest")
                report.fail("digest", f"{BASE_JSON}: {rid}", f"{rid} {what}")
        if manifest_root != recomputed:
            report.fail("digest", MANIFEST_COPY, f"the baseline manifest states root digest {manifest_root}; the requirements in the pack give {recomputed}")
    return recomputed


def _choose_signers(report: VerifyReport, contents: dict[str, bytes], signers: Path | None, folder: Path) -> Path | None:
    if signers is not None:
        if not signers.is_file():
            raise InputError(f"--signers {signers}: no such file")
        report.signers = {
            "source": OUTSIDE_SIGNERS,
            "path": str(signers),
            "why": "an allowed-signers file obtained apart from the pack: someone who altered the pack could not have changed it",
        }
        return signers
    if ALLOWED_SIGNERS in contents:
        copy = folder / "allowed_signers"
        copy.write_bytes(contents[ALLOWED_SIGNERS])
        report.signers = {
            "source": PACK_SIGNERS,
            "path": ALLOWED_SIGNERS,
            "why": "the pack's own copy: it proves the signatures match the keys the pack names, but whoever could alter the pack could also replace those keys — pass --signers FILE with a copy obtained separately for real assurance",
        }
        return copy
    report.signers = {"source": None, "path": None, "why": "no allowed-signers file: the pack has none and --signers was not given"}
    return None


def _signoff_file(report: VerifyReport, contents: dict[str, bytes], entry: dict[str, Any]) -> Any:
    """The sign-off as committed — the source of truth — checked against the parts extracted beside it."""
    from .baseline import SignOff, parse_signoff_file

    name = str(entry.get("file") or "")
    if not name or name not in contents:
        if not any(p.entry == name for p in report.problems):
            report.fail("missing", name or SIGNOFFS_JSON, "the sign-off file is missing from the pack")
        return None
    signoff, findings = parse_signoff_file(str(entry.get("path") or name), contents[name])
    if not isinstance(signoff, SignOff):
        first = findings[0].message if findings else "not a sign-off"
        report.fail("signature", name, f"is not a readable sign-off: {first}")
        return None
    for field_name, member in (("statement", entry.get("statement")), ("signature", entry.get("signature"))):
        value = getattr(signoff, field_name)
        if value is not None and member and member in contents and value.encode("utf-8") != contents[member]:
            report.fail("signature", str(member), f"differs from the {field_name} in the sign-off file {name}")
    return signoff


def _check_one_signoff(report: VerifyReport, contents: dict[str, bytes], entry: dict[str, Any], root: str | None, baseline: str, algorithm: str, signers_file: Path | None, revoked: dict[str, str], result: dict[str, Any]) -> bool:
    """Check one sign-off the way `baseline verify` does; True when a valid SSH signature binds it to `root`."""
    from . import sshsig
    from .signoff import statement_for

    label = str(entry.get("file") or SIGNOFFS_JSON)
    signoff = _signoff_file(report, contents, entry)
    if signoff is None:
        result.update(status="invalid", detail="sign-off file missing or unreadable")
        return False
    result.update(signer=signoff.signer, meaning=signoff.meaning, time=signoff.time, method=signoff.method)
    if signoff.id in revoked:
        result.update(status="revoked", detail=revoked[signoff.id])
        return False
    if signoff.baseline != baseline or (root is not None and signoff.root_digest != root):
        report.fail("signature", label, f"signs baseline '{signoff.baseline}' with root digest {signoff.root_digest}, but the pack's requirements are baseline '{baseline}' with root digest {root}: it signs other content")
        result.update(status="invalid", detail="signs other content")
        return False
    # The statement is rebuilt from the pack's own baseline and recomputed root digest, never taken on trust.
    expected = statement_for(signoff, baseline=baseline, algorithm=algorithm, root_digest=root or signoff.root_digest)
    if signoff.statement != expected:
        report.fail("signature", label, "the statement it records does not match its own fields and this baseline: it was edited after signing")
        result.update(status="invalid", detail="statement does not match")
        return False
    if signoff.method == "ssh":
        if not signoff.signature:
            report.fail("signature", label, "an SSH sign-off without a signature")
            result.update(status="invalid", detail="no signature")
            return False
        if signers_file is None:
            report.fail("signature", label, "cannot check the signature: no allowed-signers file (pass --signers FILE)")
            result.update(status="unchecked", detail="no allowed-signers file")
            return False
        verdict = sshsig.verify(expected.encode("utf-8"), signoff.signature, principal=signoff.email, allowed_signers=signers_file, at=signoff.time)
        if not verdict.ok:
            member = entry.get("signature") or label
            report.fail("signature", str(member), f"signature by {signoff.email} does not verify against {report.signers['path']}: {verdict.detail}")
            result.update(status="invalid", detail=verdict.detail)
            return False
        result.update(status="valid", detail=f"good signature by {signoff.email}" + (f" with key {verdict.fingerprint}" if verdict.fingerprint else ""))
        return True
    if signoff.method == "recorded":
        evidence_name = entry.get("evidence")
        evidence = contents.get(str(evidence_name)) if evidence_name else None
        expected_sha = signoff.evidence.sha256 if signoff.evidence else ""
        if evidence is None:
            report.fail("evidence", str(evidence_name or label), "the evidence of a recorded sign-off is missing from the pack")
            result.update(status="invalid", detail="evidence missing")
        elif sha256_hex(evidence) != expected_sha:
            report.fail("evidence", str(evidence_name), f"its sha256 is {sha256_hex(evidence)}, but the sign-off {label} recorded {expected_sha}")
            result.update(status="invalid", detail="evidence changed")
        else:
            result.update(status="recorded", detail=f"evidence matches its recorded sha256, recorded by {signoff.recorded_by} (a recorded sign-off is not a cryptographic signature)")
        return False
    report.fail("signature", label, f"unknown sign-off method {signoff.method!r}")
    result.update(status="invalid", detail="unknown method")
    return False


def _revocations(report: VerifyReport, contents: dict[str, bytes], members: list[Any], baseline: str) -> dict[str, str]:
    """{sign-off id: why} from the revocation files in the pack."""
    from .baseline import Revocation, parse_signoff_file

    revoked: dict[str, str] = {}
    for member in members:
        if str(member) not in contents:
            report.fail("missing", str(member), "a revocation file is missing from the pack")
            continue
        item, _ = parse_signoff_file(str(member), contents[str(member)])
        if isinstance(item, Revocation) and item.baseline == baseline:
            revoked.setdefault(item.revokes, f"revoked {item.time} by {item.by}: {item.reason}")
    return revoked


def _check_signoffs(report: VerifyReport, contents: dict[str, bytes], root: str | None, signers: Path | None) -> None:
    index = _json_member(report, contents, SIGNOFFS_JSON)
    if index is None:
        return
    baseline_data = report.pack.get("baseline") if isinstance(report.pack.get("baseline"), dict) else {}
    baseline = str(baseline_data.get("name") or index.get("baseline") or "")
    algorithm = str(baseline_data.get("algorithm") or ALGORITHM)
    entries = [e for e in index.get("signoffs") or [] if isinstance(e, dict)]
    revoked = _revocations(report, contents, list(index.get("revocations") or []), baseline)
    binding = 0
    with tempfile.TemporaryDirectory(prefix="reqtrace-signers-") as folder:
        needs_keys = any(e.get("method") == "ssh" for e in entries)
        signers_file = _choose_signers(report, contents, signers, Path(folder)) if needs_keys or signers else None
        for entry in entries:
            result = {"file": entry.get("file"), "signer": entry.get("signer"), "meaning": entry.get("meaning"), "time": entry.get("time"), "method": entry.get("method"), "status": "", "detail": ""}
            report.signoffs.append(result)
            binding += _check_one_signoff(report, contents, entry, root, baseline, algorithm, signers_file, revoked, result)
    if signers is not None and binding == 0:
        report.fail("signature", SIGNOFFS_JSON, f"no sign-off in the pack is signed by a key in {signers}")
    if not binding:
        report.notes.append("no SSH signature binds this pack's content: only the manifest hashes and the digests could be checked, and an edit that rewrote them all would go unnoticed")


def verify_pack(path: Path, signers: Path | None = None, expect_manifest: str | None = None) -> VerifyReport:
    """Check the pack at `path`; the report lists each failing entry.

    `expect_manifest`: the sha256 of MANIFEST.sha256 as the builder announced it
    (printed by `pack build`): with it, no file of the pack can change unnoticed.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    report = VerifyReport(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        report.fail("pack", str(path), f"not a readable zip archive: {exc}")
        return report
    with archive:
        contents = _read_members(report, archive)
    _check_manifest(report, contents)
    if expect_manifest is not None and report.manifest_sha256 not in (None, expect_manifest.lower().removeprefix("sha256:")):
        report.fail("manifest", MANIFEST, f"its sha256 is {report.manifest_sha256}, not the {expect_manifest} given with --manifest-sha256: the pack is not the one announced")
    pack = _json_member(report, contents, PACK_JSON)
    if pack is not None:
        report.pack = pack
        if pack.get("format") != PACK_FORMAT:
            report.fail("pack", PACK_JSON, f"format is {pack.get('format')!r}, this reqtrace reads {PACK_FORMAT!r}")
    root = _check_requirements(report, contents)
    _check_signoffs(report, contents, root, signers)
    return report
