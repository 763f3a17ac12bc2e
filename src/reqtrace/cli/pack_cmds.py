"""`reqtrace pack build` and `reqtrace pack verify`: the evidence pack."""

from __future__ import annotations

import atexit
import gc
from pathlib import Path
from typing import Annotated, Optional

import typer

from reqtrace.cli import app, output
from reqtrace.cli.options import (
    FormatOption,
    RootOption,
    TextOrJson,
    checked_argument,
    complete_baselines,
    non_empty_path,
)

pack_app = typer.Typer(
    name="pack",
    help="Evidence packs: one zip with what was agreed, who signed it and everything since; verifiable by anyone.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(pack_app, name="pack")


def _console():  # type: ignore[no-untyped-def]
    # Every line goes through `output.say`: wrapped at spaces, so digests and paths stay whole.
    return output.stdout_console()


@pack_app.command("build")
def build(
    baseline: Annotated[str, typer.Argument(metavar="BASELINE", help="The baseline the pack is about (a baseline name, or any revision).", callback=checked_argument, autocompletion=complete_baselines)],
    output_path: Annotated[Path, typer.Option("--output", "-o", help="The zip to write (replaced atomically).", show_default=False)],
    to: Annotated[Optional[str], typer.Option("--to", help="Show changes and records up to this revision (default: HEAD, refused while spec or record files are uncommitted; WORKTREE takes them as they are).", show_default=False)] = None,  # noqa: UP007, UP045
    html_dir: Annotated[Optional[str], typer.Option("--html-dir", metavar="PATH", help="Also write index.html, unzipped, to this folder.", show_default=False, callback=non_empty_path)] = None,  # noqa: UP007, UP045
    root: RootOption = None,
    format: FormatOption = TextOrJson.text,
) -> None:
    """Build the evidence pack of BASELINE: index.html, data/, MANIFEST.sha256 and pack.json in one zip."""
    from reqtrace.core.config import find_spec_repo
    from reqtrace.pack.build import build_pack

    output.json_requested = format is TextOrJson.json
    repo = find_spec_repo(root)
    result = build_pack(repo, baseline, output_path, to_rev=to, html_dir=Path(html_dir) if html_dir is not None else None)
    # What the build left in cycles (180,000 objects at 10,000 requirements) is garbage now, and
    # the interpreter's last collection at exit would walk it and the rest for 0.2 s. Frozen at
    # exit, it is left to the operating system. At exit only (registered once): a process that
    # goes on, such as a test run, collects it as usual.
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
    pack = result.pack
    if format is TextOrJson.json:
        output.write_json(
            {
                "ok": True,
                "output": str(result.path),
                "size": result.size,
                "sha256": result.sha256,
                "manifest_sha256": result.manifest_sha256,
                "member_count": result.members,
                "html": str(result.html_path) if result.html_path else None,
                "pack": pack,
                "warnings": result.warnings,
            }
        )
        return
    console = _console()
    counts = pack["counts"]
    output.say(console, f"[green]✓[/] wrote {output.esc(result.path)} ({result.size:,} bytes, {result.members} files)")
    output.say(console, f"  sha256     {result.sha256}")
    output.say(console, f"  manifest   sha256 {result.manifest_sha256} (announce it: verify --manifest-sha256 checks it)")
    output.say(console, f"  baseline   {output.esc(pack['baseline']['name'])} @ {pack['baseline']['commit'][:12]}, root digest {pack['baseline']['root_digest']}")
    output.say(console, f"  up to      {output.esc(pack['to']['ref'])} @ {(pack['to']['commit'] or 'working tree')[:12]}")
    output.say(
        console,
        f"  contents   {output.counted(counts['requirements_at_baseline'], 'requirement')}, {output.counted(counts['signoffs'], 'sign-off')}, "
        f"{output.counted(counts['changes'], 'change')} ({counts['unapproved_changes']} unapproved), {output.counted(counts['requests'], 'request')}, "
        f"{output.counted(counts['meetings'], 'meeting')}, {output.counted(counts['emails'], 'email')}, {output.counted(counts['documents'], 'document')}"
    )
    if result.html_path:
        output.say(console, f"  html       {output.esc(result.html_path)}")
    for warning in result.warnings:
        output.say(console, f"[yellow]![/] {output.esc(warning)}")
    # The command stays on a line of its own, whole, to be copied.
    output.say(console, f"[dim]check it with:\n  reqtrace pack verify {output.esc(result.path)} --signers ALLOWED_SIGNERS[/]")


@pack_app.command("verify")
def verify(
    pack_file: Annotated[Path, typer.Argument(metavar="FILE.zip", help="The evidence pack to check.")],
    signers: Annotated[Optional[Path], typer.Option("--signers", help="An allowed-signers file (ssh-keygen format) obtained apart from the pack; default: the pack's own copy.", show_default=False)] = None,  # noqa: UP007, UP045
    manifest_sha256: Annotated[Optional[str], typer.Option("--manifest-sha256", help="The sha256 of MANIFEST.sha256 as `pack build` printed it, received apart from the pack.", show_default=False)] = None,  # noqa: UP007, UP045
    format: FormatOption = TextOrJson.text,
) -> None:
    """Check a pack with no git repository: hashes, nothing added or missing, root digest, signatures. Exit 1 on any failure."""
    from reqtrace.pack.verify import verify_pack

    output.json_requested = format is TextOrJson.json
    report = verify_pack(pack_file, signers, manifest_sha256)
    output.gate_failed = not report.ok
    if format is TextOrJson.json:
        output.write_json(report.as_dict())
    else:
        render_verify_text(report)
    if not report.ok:
        raise typer.Exit(1)


def render_verify_text(report) -> None:  # type: ignore[no-untyped-def]
    console = _console()
    baseline = report.pack.get("baseline") or {}
    output.say(console, f"[bold]{output.esc(report.path)}[/]: baseline {output.esc(baseline.get('name', '?'))}, {report.members} members")
    output.say(console, f"  hashes        {report.hashed} file(s) match MANIFEST.sha256 (its own sha256: {report.manifest_sha256})")
    output.say(console, f"  requirements  {report.requirements} digested again → root digest {report.root_digest}")
    source = report.signers.get("source")
    if source:
        output.say(console, f"  signers       {output.esc(report.signers['path'])} ({'outside the pack' if source == '--signers' else 'the copy inside the pack'})", hang=14)
        output.say(console, f"                [dim]{output.esc(report.signers['why'])}[/]", hang=0)
    for signoff in report.signoffs:
        mark = {"valid": "[green]✓[/]", "recorded": "[green]✓[/]", "revoked": "[yellow]-[/]"}.get(signoff["status"], "[red]✗[/]")
        output.say(console, f"  sign-off {mark} {output.esc(signoff['status'])}: {output.esc(signoff['meaning'])} by {output.esc(signoff['signer'])} ({output.esc(signoff['method'])}, {output.esc(signoff['time'])})")
    for note in report.notes:
        output.say(console, f"[yellow]![/] {output.esc(note)}")
    for problem in report.problems:
        output.say(console, f"[red]✗[/] [bold]{output.esc(problem.entry)}[/]: {output.esc(problem.message)} [dim]({problem.check})[/]")
    if report.ok:
        output.say(console, "[green]✓ the pack is intact[/]")
    else:
        output.say(console, f"[red]✗ {len(report.problems)} problem(s): the pack is not what was built[/]")
