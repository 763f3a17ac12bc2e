"""Every command's `--format json` answer matches its JSON Schema (`reqtrace schema output
COMMAND`, src/reqtrace/schemas/output/), run on one copy of the demo; and every command with
a `--format` option has a schema, so that a new command cannot skip the vocabulary."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import click
import jsonschema
import pytest
import typer.main

from conftest import _isolate_git, copy_demo
from hostile.kit import Outcome
from hostile.kit import run as run_through_main
from reqtrace.cli import _register, app
from reqtrace.core.model import SCHEMA_VERSION
from reqtrace.core.schema import load_output_schema, output_commands

DATA = Path(__file__).resolve().parent / "data"
JUNIT = '<?xml version="1.0"?>\n<testsuite name="s" tests="1"><testcase classname="t" name="test_REQ_3_booking"/></testsuite>\n'
DOORSTOP_SETTINGS = 'settings:\n  digits: 3\n  prefix: DS\n  sep: "-"\n'
DOORSTOP_ITEM = 'active: true\nnormative: true\nlevel: 1.0\nheader: ""\ntext: |\n  The system shall start.\nlinks: []\n'
SDOC = "[DOCUMENT]\nTITLE: Small\n\n[REQUIREMENT]\nUID: SD-1\nTITLE: One\nSTATEMENT: It works.\n"

# Each step: the command (as `schema output` names it), its arguments, the exit code it must
# give. In this order: the reading commands on the demo as built, then those that write.
Step = tuple[str, list[str], int]


def _steps(root: Path, work: Path, answers: dict[str, list[Outcome]]) -> list[Step | Callable[[], Step]]:
    key = root / ".git" / "reqtrace-demo-keys" / "vendor"
    pack = work / "pack.zip"

    def revoke() -> Step:
        signed = json.loads(answers["baseline sign"][0].stdout)["signoff"]
        return ("baseline revoke", ["baseline", "revoke", "next-v1", signed, "--reason", "signed by mistake"], 0)

    return [
        ("check", ["check"], 0),
        ("list", ["list"], 0),
        ("show", ["show", "REQ-3"], 0),
        ("show", ["show", "NOPE-1"], 3),  # a failure answers in JSON too
        ("log", ["log", "REQ-14"], 0),
        ("trace", ["trace", "REQ-3"], 0),
        ("impact", ["impact", "REQ-3"], 0),
        ("status", ["status"], 0),
        ("triage", ["triage", "--all"], 0),
        ("diff", ["diff", "contract-v1.0"], 0),
        ("diff", ["diff", "contract-v1.0", "--fail-on", "unapproved"], 1),
        ("graph", ["graph"], 0),
        ("baseline list", ["baseline", "list"], 0),
        ("baseline show", ["baseline", "show", "contract-v1.0"], 0),
        ("baseline verify", ["baseline", "verify", "contract-v1.0"], 0),
        ("schema", ["schema", "requirement"], 0),
        ("schema", ["schema", "output"], 0),
        ("schema", ["schema", "output", "baseline", "list"], 0),
        ("schema", ["schema", "output", "nope"], 2),
        ("schema", ["schema", "--editor"], 0),
        ("pack build", ["pack", "build", "delivery-v1.0", "-o", str(pack)], 0),
        ("pack verify", ["pack", "verify", str(pack)], 0),
        ("export csv", ["export", "csv", "-o", str(work / "out.csv")], 0),
        ("export xlsx", ["export", "xlsx", "-o", str(work / "out.xlsx")], 0),
        ("export reqif", ["export", "reqif", "-o", str(work / "out.reqif")], 0),
        ("publish", ["publish", "-o", str(work / "site")], 0),
        ("baseline create", ["baseline", "create", "next-v1", "-m", "the next scope"], 0),
        ("baseline sign", ["baseline", "sign", "next-v1", "--signer", "Li Wei <li.wei@brightpath.example>", "--meaning", "approved", "--role", "vendor", "--key", str(key)], 0),
        revoke,
        ("decide", ["decide", "RQ-13", "--as", "out-of-scope", "--status", "rejected", "--by", "Li Wei"], 0),
        ("review", ["review", "--all"], 0),
        ("new", ["new", "requirement", "--title", "A new thing"], 0),
        ("renumber", ["renumber", "REQ-9", "REQ-900"], 0),
        ("ingest", ["ingest", str(DATA / "eml" / "webklex_gbk_charset.eml")], 0),
        ("ingest", ["ingest", "--document", str(work / "out.csv"), "--title", "The table"], 0),
        ("ingest-tests", ["ingest-tests", str(work / "junit.xml")], 0),
        ("import doorstop", ["import", "doorstop", str(work / "doorstop" / "reqs"), "--into", "ds"], 0),
        ("import strictdoc", ["import", "strictdoc", str(work / "strictdoc"), "--into", "sd"], 0),
        ("import table", ["import", "table", str(work / "table.csv"), "--into", "tb"], 0),
        ("import reqif", ["import", "reqif", str(DATA / "reqif" / "rmf_TC1200_reference.reqif"), "--into", "rq"], 0),
        ("init", ["init", str(work / "fresh")], 0),
    ]


@pytest.fixture(scope="module")
def answers(demo_build, tmp_path_factory) -> dict[str, list[Outcome]]:
    """Every step's answer, by command: one copy of the demo, every command in this process."""
    work = tmp_path_factory.mktemp("json-answers")
    (work / "junit.xml").write_text(JUNIT)
    (work / "doorstop" / "reqs").mkdir(parents=True)
    (work / "doorstop" / "reqs" / ".doorstop.yml").write_text(DOORSTOP_SETTINGS)
    (work / "doorstop" / "reqs" / "DS-001.yml").write_text(DOORSTOP_ITEM)
    (work / "strictdoc").mkdir()
    (work / "strictdoc" / "doc.sdoc").write_text(SDOC)
    (work / "table.csv").write_text("id,title,statement\nTB-1,Table one,It is read.\n")
    root = copy_demo(demo_build, work / "demo")
    found: dict[str, list[Outcome]] = {}
    with pytest.MonkeyPatch.context() as patch:
        _isolate_git(patch, tmp_path_factory.mktemp("json-home"))
        for step in _steps(root, work, found):
            command, args, code = step() if callable(step) else step
            outcome = run_through_main([*args, "--format", "json"], root)
            assert outcome.escaped is None, outcome.describe()
            assert outcome.code == code, f"{' '.join(args)}: exit {outcome.code}\n{outcome.stderr}"
            found.setdefault(command, []).append(outcome)
    return found


def _commands_with_format() -> set[str]:
    """Every command (its words) that takes `--format` with `json` among the choices."""
    _register()

    def walk(command: click.Command, words: list[str]) -> list[str]:
        if isinstance(command, click.Group):
            return [name for sub, child in sorted(command.commands.items()) for name in walk(child, [*words, sub])]
        formats = [p for p in command.params if "--format" in getattr(p, "opts", [])]
        return [" ".join(words)] if formats and "json" in getattr(formats[0].type, "choices", ()) else []

    return set(walk(typer.main.get_command(app), []))


def test_every_command_with_a_format_option_has_an_output_schema_and_a_step_here(demo_build, tmp_path) -> None:
    commands = _commands_with_format()
    assert len(commands) >= 30
    assert commands == set(output_commands()), "a command answers JSON without a schema in src/reqtrace/schemas/output/ (or a schema outlived its command)"
    assert commands == {step[0] for step in _steps(tmp_path, tmp_path, {}) if not callable(step)} | {"baseline revoke"}


@pytest.mark.parametrize("command", sorted(output_commands()))
def test_the_answer_matches_the_schema(answers, command) -> None:
    schema = load_output_schema(command)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    assert answers.get(command), f"no step runs {command}"
    for outcome in answers[command]:
        data = json.loads(outcome.stdout)
        if validator.is_valid(data):
            error = None
        else:  # say what is wrong against the branch meant (anyOf alone says "not valid under any")
            branch = schema["$defs"]["failure" if "error" in data else "answer"]
            error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator({**branch, "$defs": schema["$defs"]}).iter_errors(data))
        assert error is None, f"reqtrace {' '.join(outcome.args)}: {error.message} at {'/'.join(map(str, error.absolute_path))}"
        if "$schema" not in data:  # `schema KIND` prints the schema itself
            assert data["schema_version"] == SCHEMA_VERSION
            assert data["ok"] is (outcome.code == 0), f"reqtrace {' '.join(outcome.args)}: ok is {data['ok']}, exit {outcome.code}"


def test_a_renamed_key_fails_its_schema(answers) -> None:
    """The schemas are closed at the top: an old name coming back is caught, not ignored."""
    data = json.loads(answers["triage"][0].stdout)
    data["delivered"] = data.pop("delivery_date")
    validator = jsonschema.Draft202012Validator(load_output_schema("triage"))
    assert not validator.is_valid(data)


def test_schema_output_lists_the_commands_and_refuses_an_unknown_one(answers) -> None:
    listed = json.loads(answers["schema"][1].stdout)
    assert listed["ok"] is True and "baseline list" in listed["commands"] and "ingest-tests" in listed["commands"]
    shown = json.loads(answers["schema"][2].stdout)
    assert shown["title"] == "reqtrace baseline list --format json" and shown["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    refused = answers["schema"][3]
    assert "no output schema for 'nope'; commands: baseline create, baseline list" in json.loads(refused.stdout)["error"]["message"]
    assert json.loads(answers["schema"][0].stdout)["$id"] == "requirement.json"  # the file kinds as before
