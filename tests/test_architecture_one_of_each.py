"""One of each: the JSON schema_version and the clock are defined once, and every
module goes through them (so SOURCE_DATE_EPOCH fixes every date the same way)."""

from __future__ import annotations

import ast
import functools
import json
from pathlib import Path

from reqtrace.core.model import SCHEMA_VERSION

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "reqtrace"
MODULES = sorted(PACKAGE.rglob("*.py"))

# 2030-01-01T00:00:00Z: far from the day the suite runs, so a date taken from the
# machine's clock instead of SOURCE_DATE_EPOCH shows.
EPOCH = "1893456000"
EPOCH_DAY = "2030-01-01"

# triage_repo.today() still asks datetime itself (the same rule as clock.today());
# the triage modules are being rewritten, and will call clock.today() instead.
CLOCK_READERS_TO_MOVE: set[str] = set()  # modules still reading the time themselves: none


def _name(path: Path) -> str:
    return str(path.relative_to(PACKAGE))


@functools.cache  # parsing the package takes ~0.8 s; each test only walks the trees
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def test_schema_version_is_defined_once() -> None:
    definitions, literals = [], []
    for module in MODULES:
        for node in ast.walk(_tree(module)):
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "SCHEMA_VERSION" for t in node.targets):
                definitions.append(_name(module))
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if isinstance(key, ast.Constant) and key.value == "schema_version" and isinstance(value, ast.Constant):
                        literals.append(f"{_name(module)}:{node.lineno}")
    assert definitions == ["core/model.py"]
    assert literals == [], "write SCHEMA_VERSION (reqtrace.core.model), not a number"


def test_only_the_clock_module_reads_the_time() -> None:
    # date.today(), datetime.now(), datetime.utcnow() and time.time() ignore SOURCE_DATE_EPOCH.
    offenders = []
    for module in MODULES:
        if _name(module) == "io/clock.py" or _name(module) in CLOCK_READERS_TO_MOVE:
            continue
        for node in ast.walk(_tree(module)):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, (ast.Name, ast.Attribute))
                and (node.func.attr, _last_name(node.func.value)) in {("today", "date"), ("now", "datetime"), ("utcnow", "datetime"), ("time", "time")}
            ):
                offenders.append(f"{_name(module)}:{node.lineno}")
    assert offenders == [], "ask reqtrace.io.clock (now, utc_now, today) for the time"


def _last_name(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""


def test_the_json_envelope_and_the_graph_export_carry_the_one_version(make_repo, run_cli) -> None:
    repo = make_repo()
    check = json.loads(run_cli("check", "--format", "json", cwd=repo.root).stdout)
    assert check["schema_version"] == SCHEMA_VERSION
    graph = run_cli("graph", "--format", "json", cwd=repo.root)
    assert json.loads(graph.stdout)["schema_version"] == SCHEMA_VERSION, graph.stderr


def test_source_date_epoch_dates_new_records_and_documents(make_repo, run_cli, tmp_path) -> None:
    repo = make_repo()
    env = {"SOURCE_DATE_EPOCH": EPOCH}
    request = run_cli("new", "request", "--title", "Online payment", cwd=repo.root, env=env)
    assert request.exit_code == 0, request.stderr
    assert f"received: {EPOCH_DAY}" in Path(request.stdout.strip()).read_text("utf-8")
    meeting = run_cli("new", "meeting", "--title", "Review", cwd=repo.root, env=env)
    assert meeting.exit_code == 0, meeting.stderr
    assert f"date: {EPOCH_DAY}" in Path(meeting.stdout.strip()).read_text("utf-8")
    contract = tmp_path / "contract.pdf"
    contract.write_bytes(b"%PDF-1.4 signed contract")
    added = run_cli("ingest", "--document", str(contract), "--title", "Contract", "--format", "json", cwd=repo.root, env=env)
    assert added.exit_code == 0, added.stderr
    sidecar = repo.root / json.loads(added.stdout)["document"]["path"]
    assert f"date: '{EPOCH_DAY}'" in sidecar.read_text("utf-8")
