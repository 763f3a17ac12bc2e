"""`reqtrace baseline create|sign|revoke|verify|list|show`."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from reqtrace.cli import app, output
from reqtrace.cli.options import (
    FormatOption,
    RevOption,
    RootOption,
    TextOrJson,
    checked_argument,
    complete_baselines,
)

baseline_app = typer.Typer(
    help="Freeze the agreed requirements as a baseline, sign it off, and prove later that neither changed.",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(baseline_app, name="baseline")

NameArgument = Annotated[str, typer.Argument(metavar="NAME", help="The baseline's name, e.g. contract-v1.0 (letters, digits, '.', '_', '-').", callback=checked_argument, autocompletion=complete_baselines)]
NoCommitOption = Annotated[bool, typer.Option("--no-commit", help="Write the files but do not commit them (commit them yourself).")]
SignersOption = Annotated[
    Optional[Path],  # noqa: UP007
    typer.Option("--signers", help="The allowed-signers file to trust (default: $REQTRACE_ALLOWED_SIGNERS, else .reqtrace/allowed_signers). Keep one outside the repo: whoever can edit the repo can add their own key to the one inside.", show_default=False),
]


class Meaning(str, Enum):
    reviewed = "reviewed"
    approved = "approved"
    delivered = "delivered"
    accepted = "accepted"


class Role(str, Enum):
    customer = "customer"
    vendor = "vendor"


def _repo(root: Path | None):  # type: ignore[no-untyped-def]
    from reqtrace.core.config import find_spec_repo

    return find_spec_repo(root)


def _short(commit: str | None) -> str:
    return commit[:12] if commit else "-"


# ----------------------------------------------------------------- create


@baseline_app.command()
def create(
    name: NameArgument,
    rev: Annotated[Optional[str], typer.Option("--rev", help="The commit to freeze: a branch, tag or commit id (default: HEAD, which must have no uncommitted spec changes).", show_default=False)] = None,  # noqa: UP007
    message: Annotated[Optional[str], typer.Option("--message", "-m", help="What this baseline is, e.g. 'Contract scope as signed on 20 Feb'.")] = None,  # noqa: UP007
    no_commit: NoCommitOption = False,
    root: RootOption = None,
    format: FormatOption = TextOrJson.text,
) -> None:
    """Freeze the requirements at a commit as baseline NAME: tag baseline/NAME and write baselines/NAME/manifest.yaml (committed)."""
    from reqtrace.baselines.baseline import check_baseline_name, create_baseline
    from reqtrace.baselines.verify import vouched_entries

    output.json_requested = format is TextOrJson.json
    check_baseline_name(name)
    repo = _repo(root)
    created = create_baseline(repo, name, rev=rev, message=message, commit=not no_commit, vouched=vouched_entries)
    baseline = created.baseline
    manifest = created.manifest_path.relative_to(repo.root).as_posix()
    if format is TextOrJson.json:
        output.write_json(
            {
                "ok": True,
                "baseline": baseline.name,
                "commit": baseline.commit,
                "tag": baseline.tag,
                "root_digest": baseline.root_digest,
                "requirement_count": len(baseline.requirements),
                "manifest": manifest,
                "committed": created.committed,
            }
        )
        return
    console = output.stdout_console()
    output.say(console, f"[green]✓[/] baseline [bold]{output.esc(baseline.name)}[/]: {len(baseline.requirements)} requirements frozen at commit {_short(baseline.commit)}")
    output.say(console, f"  root digest  {baseline.root_digest}")
    output.say(console, f"  tag          {output.esc(baseline.tag)} (annotated)")
    output.say(console, f"  manifest     {output.esc(manifest)}")
    if created.committed:
        output.say(console, f"  committed    {_short(created.committed)}")
    else:
        output.say(console, f"  [yellow]not committed[/] (--no-commit): commit {output.esc(manifest)} yourself")
    output.say(console, f"next: push the tag with the branch (`git push --follow-tags`), then `reqtrace baseline sign {output.esc(baseline.name)} --signer \"Name <email>\" --meaning approved --key ~/.ssh/id_ed25519`")


# ------------------------------------------------------------------- sign


@baseline_app.command()
def sign(
    name: NameArgument,
    signer: Annotated[str, typer.Option("--signer", help="Who signs: 'Name <email>'. The email is the principal in allowed_signers.")],
    meaning: Annotated[Meaning, typer.Option("--meaning", help="What the signature means.")],
    role: Annotated[Optional[Role], typer.Option("--role", help="The signer's side. A customer sign-off meaning approved/accepted makes the baseline the accepted one.")] = None,  # noqa: UP007
    comment: Annotated[Optional[str], typer.Option("--comment", help="One line of comment, signed with the rest.")] = None,  # noqa: UP007
    key: Annotated[Optional[Path], typer.Option("--key", help="Sign with this SSH private key (or its .pub with the key in ssh-agent).", show_default=False)] = None,  # noqa: UP007
    recorded: Annotated[bool, typer.Option("--recorded", help="Record a sign-off given on paper or by email; needs --evidence.")] = False,
    evidence: Annotated[Optional[Path], typer.Option("--evidence", help="With --recorded: the scan, PDF or .eml showing the sign-off; kept under records/documents/.", show_default=False)] = None,  # noqa: UP007
    recorded_by: Annotated[Optional[str], typer.Option("--recorded-by", help="With --recorded: 'Name <email>' of who records it (default: git's user).", show_default=False)] = None,  # noqa: UP007
    signers: SignersOption = None,
    no_commit: NoCommitOption = False,
    root: RootOption = None,
    format: FormatOption = TextOrJson.text,
) -> None:
    """Sign baseline NAME off: with an SSH key (--key), or record a paper/email sign-off (--recorded --evidence)."""
    from reqtrace.baselines.baseline import check_baseline_name, scan_baselines
    from reqtrace.baselines.signoff import check_signer, sign_baseline
    from reqtrace.errors import UsageError

    output.json_requested = format is TextOrJson.json
    check_baseline_name(name)
    check_signer(signer)
    if key is not None and recorded:
        raise UsageError("choose one method: --key (an SSH signature) or --recorded --evidence (paper or email)")
    if recorded and evidence is None:
        raise UsageError("--recorded needs --evidence PATH: the scan, PDF or email that shows the sign-off")
    if evidence is not None and not recorded:
        raise UsageError("--evidence goes with --recorded")
    if recorded_by is not None and not recorded:
        raise UsageError("--recorded-by goes with --recorded")
    if key is None and not recorded:
        raise UsageError("say how it is signed: --key PATH (an SSH key) or --recorded --evidence PATH")
    repo = _repo(root)
    signed = sign_baseline(
        repo,
        name,
        signer=signer,
        meaning=meaning.value,
        role=role.value if role else None,
        comment=comment,
        key=key,
        evidence=evidence,
        recorded_by=recorded_by,
        signers=signers,
        commit=not no_commit,
    )
    signoff = signed.signoff
    after = scan_baselines(repo)
    accepted = after.accepted_if_known()
    written = [path.relative_to(repo.root).as_posix() for path in signed.written]
    if format is TextOrJson.json:
        output.write_json(
            {
                "ok": True,
                "baseline": name,
                "signoff": signoff.id,
                "path": signoff.path,
                "method": signoff.method,
                "written": written,
                "committed": signed.committed,
                "accepted": accepted.name if accepted else None,
                "warnings": signed.warnings,
            }
        )
        return
    console = output.stdout_console()
    how = f"SSH key {signoff.key_fingerprint or ''}".strip() if signoff.method == "ssh" else f"recorded by {signoff.recorded_by}, evidence {signoff.evidence.path if signoff.evidence else ''}"
    output.say(console, f"[green]✓[/] {output.esc(name)}: [bold]{signoff.meaning}[/] by {output.esc(signoff.signer)}" + (f" ({signoff.role})" if signoff.role else "") + f" at {signoff.time}")
    output.say(console, f"  {output.esc(how)}")
    for path in written:
        output.say(console, f"  wrote        {output.esc(path)}")
    if signed.committed:
        output.say(console, f"  committed    {_short(signed.committed)}")
    else:
        output.say(console, "  [yellow]not committed[/] (--no-commit): commit the files above yourself")
    if accepted is not None and accepted.name == name:
        output.say(console, f"{output.esc(name)} is the accepted baseline" + (f"; delivered {accepted.delivery_date}" if accepted.delivery_date else ""))
    errors = output.stderr_console()
    for warning in signed.warnings:
        output.say(errors, f"[yellow]warning:[/] {output.esc(warning)}")


# ----------------------------------------------------------------- revoke


@baseline_app.command()
def revoke(
    name: NameArgument,
    signoff_id: Annotated[str, typer.Argument(metavar="SIGNOFF", help="The sign-off's id (its file name without .yaml; `reqtrace baseline show NAME` lists them).", callback=checked_argument)],
    reason: Annotated[str, typer.Option("--reason", help="Why the sign-off is withdrawn.")],
    by: Annotated[Optional[str], typer.Option("--by", help="'Name <email>' of who revokes it (default: git's user).", show_default=False)] = None,  # noqa: UP007
    no_commit: NoCommitOption = False,
    root: RootOption = None,
    format: FormatOption = TextOrJson.text,
) -> None:
    """Withdraw a sign-off by adding a revocation file; the sign-off itself stays on record."""
    from reqtrace.baselines.baseline import check_baseline_name
    from reqtrace.baselines.signoff import revoke_signoff

    output.json_requested = format is TextOrJson.json
    check_baseline_name(name)
    repo = _repo(root)
    revoked = revoke_signoff(repo, name, signoff_id, reason=reason, by=by, commit=not no_commit)
    revocation = revoked.revocation
    if format is TextOrJson.json:
        output.write_json({"ok": True, "baseline": name, "revocation": revocation.id, "revokes": revocation.revokes, "path": revocation.path, "committed": revoked.committed})
        return
    console = output.stdout_console()
    output.say(console, f"[green]✓[/] revoked {output.esc(revocation.revokes)} of {output.esc(name)}: {output.esc(revocation.reason)}")
    output.say(console, f"  wrote        {output.esc(revocation.path)}")
    if revoked.committed:
        output.say(console, f"  committed    {_short(revoked.committed)}")


# ------------------------------------------------------- verify/list/show


def _signoff_json(check: Any) -> dict[str, Any]:
    signoff = check.signoff
    revocation = check.revocation
    return {
        "id": signoff.id,
        "path": signoff.path,
        "signer": signoff.signer,
        "email": signoff.email,
        "role": signoff.role,
        "meaning": signoff.meaning,
        "time": signoff.time,
        "method": signoff.method,
        "status": check.status,
        "detail": check.detail,
        "comment": signoff.comment,
        # The key ssh-keygen found the signature made with (null when not checked), never the
        # file's own claim; that is `claimed_key_fingerprint`, and a mismatch is a problem.
        "key_fingerprint": check.fingerprint,
        "claimed_key_fingerprint": signoff.key_fingerprint,
        "evidence": {"path": signoff.evidence.path, "sha256": signoff.evidence.sha256, "document": signoff.evidence.document} if signoff.evidence else None,
        "recorded_by": signoff.recorded_by,
        "revoked": {"id": revocation.id, "by": revocation.by, "time": revocation.time, "reason": revocation.reason} if revocation else None,
    }


def _baseline_json(verification: Any, accepted: Any, *, with_requirements: bool = False) -> dict[str, Any]:
    baseline = verification.baseline
    data: dict[str, Any] = {
        "name": baseline.name,
        "path": baseline.path,
        "commit": baseline.commit,
        "tag": baseline.tag,
        "created": baseline.created,
        "created_by": baseline.created_by,
        "message": baseline.message,
        "algorithm": baseline.algorithm,
        "root_digest": baseline.root_digest,
        "requirement_count": len(baseline.requirements),
        "accepted": accepted is not None and accepted.name == baseline.name and accepted.path == baseline.path,
        "delivery_time": baseline.delivered_at,
        "delivery_date": baseline.delivery_date,
        "ok": verification.ok,
        "findings": [finding.as_dict() for finding in verification.problems],
        "signoffs": [_signoff_json(check) for check in verification.signoffs],
    }
    if with_requirements:
        data["requirements"] = [{"id": e.id, "digest": e.digest, "path": e.path} for e in baseline.requirements]
    return data


def _verify_all(repo: Any, baselines: list[Any], *, signers: Path | None, commit: str | None, tolerant: bool, deep: bool = False) -> list[Any]:
    from reqtrace.baselines.verify import Verification, verify_baseline
    from reqtrace.core.model import ERROR, Finding
    from reqtrace.errors import RevisionError

    cache: dict[str, Any] = {}
    results = []
    for baseline in baselines:
        try:
            results.append(verify_baseline(repo, baseline, signers=signers, commit=commit, tolerate_missing_tool=tolerant, cache=cache, deep=deep))
        except RevisionError as error:
            if not tolerant:
                raise
            # list/show still answer in a shallow clone; verify and check stop with exit 3.
            results.append(Verification(baseline, [Finding("unverifiable", ERROR, str(error), baseline.path, None, baseline.name)]))
    return results


STATUS_STYLE = {"valid": "green", "recorded": "green", "revoked": "yellow", "unverified": "yellow"}


def _render_signoffs(console: Any, verification: Any, indent: str = "  ") -> None:
    if not verification.signoffs:
        console.print(f"{indent}[dim]no sign-offs yet[/]")
        return
    for check in verification.signoffs:
        signoff = check.signoff
        style = STATUS_STYLE.get(check.status, "red")
        mark = "✓" if style == "green" else ("-" if style == "yellow" else "✗")
        role = f" ({signoff.role})" if signoff.role else ""
        # Who and what first, then when and which file: each part on a line of its own
        # fits 80 columns, where the one long line used to run to 160.
        output.say(console, f"{indent}[{style}]{mark} {check.status}[/]  [bold]{signoff.meaning}[/]{role} by {output.esc(signoff.signer)}")
        output.say(console, f"{indent}    [dim]{signoff.time} · {signoff.method} · {output.esc(signoff.id)}[/]")
        if signoff.comment:
            output.say(console, f"{indent}    comment: {output.esc(signoff.comment)}")
        if check.detail:
            output.say(console, f"{indent}    [dim]{output.esc(check.detail)}[/]")


def _render_problems(console: Any, verification: Any) -> None:
    for finding in verification.problems:
        where = f"{finding.path}:{finding.line}" if finding.line else (finding.path or "")
        output.say(console, f"  [red]✗ {finding.code}[/] {output.esc(where)}: {output.esc(finding.message)}")


def _render_baseline(console: Any, verification: Any, accepted: Any) -> None:
    baseline = verification.baseline
    state = "[green]✓ intact[/]" if verification.ok else f"[red]✗ {len(verification.problems)} problem(s)[/]"
    marks = []
    if accepted is not None and accepted.path == baseline.path:
        marks.append("accepted baseline")
    if baseline.delivery_date:
        marks.append(f"delivered {baseline.delivery_date}")
    output.say(console, f"[bold]{output.esc(baseline.name)}[/]  {state}" + (f"  [cyan]{', '.join(marks)}[/]" if marks else ""))
    output.say(console, f"  commit       {baseline.commit} (tag {output.esc(baseline.tag)})")
    output.say(console, f"  created      {baseline.created} by {output.esc(baseline.created_by)}")
    if baseline.message:
        output.say(console, f"  message      {output.esc(baseline.message)}")
    output.say(console, f"  root digest  {baseline.root_digest} ({baseline.algorithm})")
    output.say(console, f"  requirements {len(baseline.requirements)}")
    _render_problems(console, verification)
    _render_signoffs(console, verification)


@baseline_app.command()
def verify(
    name: Annotated[Optional[str], typer.Argument(metavar="[NAME]", help="The baseline to verify (default: every baseline).", show_default=False, callback=checked_argument, autocompletion=complete_baselines)] = None,  # noqa: UP007
    signers: SignersOption = None,
    rev: RevOption = None,
    root: RootOption = None,
    format: FormatOption = TextOrJson.text,
    deep: Annotated[bool, typer.Option("--deep", help="Recompute every requirement's digest at the baseline's commit, even where the manifest's blob ids already prove its files.")] = False,
) -> None:
    """Check the baseline's files against its commit (by git blob id; every digest for an older manifest, or with --deep), the tag, every signature and every evidence hash. Exit 1 naming each broken item."""
    from reqtrace.baselines.baseline import (
        check_baseline_name,
        folder_of,
        load_baseline,
        scan_baselines,
    )

    output.json_requested = format is TextOrJson.json
    if name is not None:
        check_baseline_name(name)
    repo = _repo(root)
    scanned = scan_baselines(repo, rev)
    if name is not None:
        broken_files = [f for f in scanned.findings if f.path and f.path.startswith(f"{scanned.config.baselines_dir}/{name}/")]
        baselines = [b for b in scanned.baselines if folder_of(b) == name]
        if not baselines and not broken_files:
            load_baseline(repo, name, rev)  # raises, saying which baselines exist
    else:
        baselines = scanned.baselines
        broken_files = list(scanned.findings)
    results = _verify_all(repo, baselines, signers=signers, commit=scanned.commit, tolerant=False, deep=deep)
    ok = all(v.ok for v in results) and not broken_files
    output.gate_failed = not ok
    if format is TextOrJson.json:
        output.write_json(
            {
                "ok": ok,
                "signers_file": results[0].signers_file if results else None,
                "findings": [f.as_dict() for f in broken_files],
                "baselines": [{**_baseline_json(v, None), "accepted": None} for v in results],
            }
        )
    else:
        console = output.stdout_console()
        for finding in broken_files:
            output.say(console, f"[red]✗ {finding.code}[/] {output.esc(finding.path)}:{finding.line or 1}: {output.esc(finding.message)}")
        for verification in results:
            baseline = verification.baseline
            if verification.ok:
                counts: dict[str, int] = {}
                for check in verification.signoffs:
                    counts[check.status] = counts.get(check.status, 0) + 1
                summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no sign-offs"
                output.say(console, f"[green]✓[/] [bold]{output.esc(baseline.name)}[/]: {len(baseline.requirements)} requirements match commit {_short(baseline.commit)}, tag {output.esc(baseline.tag)} in place, root {baseline.root_digest[:19]}…; sign-offs: {summary}")
            else:
                output.say(console, f"[red]✗[/] [bold]{output.esc(baseline.name)}[/]: {len(verification.problems)} problem(s)")
                _render_problems(console, verification)
        if not results and not broken_files:
            output.say(console, "no baselines to verify (`reqtrace baseline create NAME` makes one)")
        elif results:
            output.say(console, f"[dim]trusted keys: {output.esc(results[0].signers_file)}[/]")
    if not ok:
        raise typer.Exit(1)


@baseline_app.command("list")
def list_baselines(
    signers: SignersOption = None,
    rev: RevOption = None,
    root: RootOption = None,
    format: FormatOption = TextOrJson.text,
) -> None:
    """List the baselines, oldest first, with their sign-offs and which one is accepted."""
    from reqtrace.baselines.baseline import scan_baselines

    output.json_requested = format is TextOrJson.json
    repo = _repo(root)
    scanned = scan_baselines(repo, rev)
    # A baseline file missing or unreadable: which one is accepted is unknown (the findings say why).
    accepted = scanned.accepted_if_known()
    results = _verify_all(repo, scanned.baselines, signers=signers, commit=scanned.commit, tolerant=True)
    if format is TextOrJson.json:
        output.write_json(
            {
                "rev": scanned.commit,
                "accepted": accepted.name if accepted else None,
                "delivery_date": accepted.delivery_date if accepted else None,
                "findings": [f.as_dict() for f in scanned.findings],
                "baselines": [_baseline_json(v, accepted) for v in results],
            }
        )
        return
    console = output.stdout_console()
    if not results:
        output.say(console, "no baselines yet: `reqtrace baseline create NAME -m \"…\"` freezes the current requirements")
        return
    for verification in results:
        baseline = verification.baseline
        state = "[green]✓ intact[/]" if verification.ok else f"[red]✗ {len(verification.problems)} problem(s)[/]"
        mark = ""
        if accepted is not None and accepted.path == baseline.path:
            mark = "  [cyan]accepted baseline" + (f", delivered {baseline.delivery_date}" if baseline.delivery_date else "") + "[/]"
        output.say(console, f"[bold]{output.esc(baseline.name)}[/]  {state}{mark}")
        output.say(console, f"  {baseline.created} · commit {_short(baseline.commit)} · {len(baseline.requirements)} requirements")
        _render_signoffs(console, verification)
    for finding in scanned.findings:
        output.say(console, f"[red]✗ {finding.code}[/] {output.esc(finding.path)}:{finding.line or 1}: {output.esc(finding.message)}")
    if accepted is None and scanned.findings:
        output.say(console, "[red]which baseline is accepted is unknown until the problems above are fixed[/]")
    elif accepted is None:
        output.say(console, "[dim]no accepted baseline yet: it takes a customer sign-off meaning approved or accepted (--role customer)[/]")


@baseline_app.command()
def show(
    name: NameArgument,
    signers: SignersOption = None,
    rev: RevOption = None,
    root: RootOption = None,
    format: FormatOption = TextOrJson.text,
) -> None:
    """Show one baseline: its commit, root digest, and every sign-off with its verification status."""
    from reqtrace.baselines.baseline import check_baseline_name, load_baseline, scan_baselines

    output.json_requested = format is TextOrJson.json
    check_baseline_name(name)
    repo = _repo(root)
    baseline = load_baseline(repo, name, rev)
    scanned = scan_baselines(repo, rev)
    accepted = scanned.accepted_if_known()
    verification = _verify_all(repo, [baseline], signers=signers, commit=scanned.commit, tolerant=True)[0]
    if format is TextOrJson.json:
        output.write_json({"baseline": _baseline_json(verification, accepted, with_requirements=True)})
        return
    _render_baseline(output.stdout_console(), verification, accepted)
