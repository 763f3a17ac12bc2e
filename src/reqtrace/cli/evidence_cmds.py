"""`reqtrace ingest-tests`: test reports become records of the commit they ran on."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reqtrace.cli import app, output
from reqtrace.cli.options import FormatOption, RootOption, TextOrJson


@app.command("ingest-tests")
def ingest_tests(
    reports: Annotated[list[Path], typer.Argument(metavar="REPORT...", help="JUnit XML test reports (pytest --junitxml, or any runner's JUnit output).", show_default=False)],
    commit: Annotated[str, typer.Option("--commit", help="The commit the tests ran on: a commit id, branch or tag.")] = "HEAD",
    root: RootOption = None,
    format: FormatOption = TextOrJson.text,
) -> None:
    """Keep test results as records: per requirement, passed or failed, on which content.

    A test names the requirements it verifies in a `requirements` property
    (pytest: `record_property("requirements", "REQ-1,REQ-2")`) or in its name
    (`test_REQ_7_cancel`). `status`, `trace`, `check` and the evidence pack then
    show each requirement as verified, failing or untested.
    """
    from reqtrace.core.config import find_spec_repo
    from reqtrace.records.testevidence_repo import ingest_test_reports

    output.json_requested = format is TextOrJson.json
    repo = find_spec_repo(root)
    done = ingest_test_reports(repo, reports, rev=commit)
    if format is TextOrJson.json:
        output.write_json({"results": [
            {"source": d.source, "status": d.status, "id": d.id, "path": d.path, "test_count": d.tests, "unlinked_count": d.unlinked, "unknown": d.unknown, "requirements": d.requirements}
            for d in done
        ]})
        return
    console = output.stdout_console()
    esc = output.esc
    for d in done:
        verdicts = list(d.requirements.values())
        counts = ", ".join(f"{verdicts.count(v)} {v}" for v in ("passed", "failed", "skipped") if verdicts.count(v))
        console.print(f"[green]{d.status}[/] {esc(d.path)}: {d.tests} test(s); {output.counted(len(d.requirements), 'requirement')} named ({counts or 'none'})")
        if d.unlinked:
            console.print(f"  [dim]{d.unlinked} test(s) name no requirement[/]")
        if d.unknown:
            console.print(f"  [yellow]warning[/]: named but no such requirement: {esc(', '.join(d.unknown[:20]))}")
