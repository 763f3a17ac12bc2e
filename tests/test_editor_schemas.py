"""Editor support: the schemas mapped in .vscode/settings.json describe every file `check` reads.

A standard validator (jsonschema, with the schemas resolving each other by
their relative `$id`s, as a YAML language server resolves them) accepts every
spec and record file of the demo and of reqtrace's own specs/, and rejects
files that `check` rejects.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from conftest import ROOT, copy_demo, requirement_yaml
from reqtrace.core.config import parse_config
from reqtrace.core.parse import plain
from reqtrace.core.schema import kinds, load_schema
from reqtrace.io.yamlio import decode_text, load_yaml, split_front_matter
from reqtrace.records.editor import EDITOR_SCHEMAS, SCHEMA_FOLDER, schema_globs

PACKAGE_SCHEMAS = ROOT / "src" / "reqtrace" / "schemas"


def validators(folder: Path) -> dict[str, Draft202012Validator]:
    """schema file name -> a validator; each schema is found at its file's URI, and the
    relative `$ref`s between them resolve against it."""
    contents = {path.name: json.loads(path.read_text(encoding="utf-8")) for path in folder.glob("*.json")}
    base = folder.resolve().as_uri() + "/"
    registry = Registry().with_resources(
        (base + name, Resource.from_contents(schema, default_specification=DRAFT202012)) for name, schema in contents.items()
    )
    return {name: Draft202012Validator({"$ref": base + name}, registry=registry) for name in contents}


def yaml_data(path: Path) -> object:
    text = decode_text(path.read_bytes())
    if path.suffix == ".md":
        text, offset, _ = split_front_matter(text)
        return plain(load_yaml(text, line_offset=offset))
    return plain(load_yaml(text))


def mapped_files(root: Path, mapping: dict[str, list[str]]) -> dict[Path, str]:
    """Every file a glob of the mapping matches -> its schema file name."""
    found: dict[Path, str] = {}
    for schema, patterns in mapping.items():
        for pattern in patterns:
            for path in root.glob(pattern):
                if path.is_file():
                    found[path] = Path(schema).name
    return found


def errors_of(validator: Draft202012Validator, data: object) -> list[str]:
    return [error.message for error in validator.iter_errors(data)]


@pytest.fixture(scope="module")
def demo_with_editor_support(demo_build, tmp_path_factory):
    target = copy_demo(demo_build, tmp_path_factory.mktemp("demo") / "example")
    env = {**os.environ, "COLUMNS": "200"}
    setup = subprocess.run([sys.executable, "-m", "reqtrace", "schema", "--editor"], capture_output=True, text=True, cwd=target, env=env)
    assert setup.returncode == 0, setup.stderr
    return target


def spec_and_record_files(root: Path, config_text: bytes) -> list[Path]:
    """Every YAML file `check` reads: requirements, records, baselines, reqtrace.yaml."""
    config, _ = parse_config(config_text)
    files = [root / "reqtrace.yaml"]
    for folder in (config.requirements_dir, config.records_dir, config.baselines_dir):
        files += [p for p in (root / folder).rglob("*") if p.suffix in (".yaml", ".yml") and not any(part.startswith(".") for part in p.relative_to(root).parts)]
    return sorted(files)


def test_every_demo_file_is_mapped_and_valid(demo_with_editor_support) -> None:
    root = demo_with_editor_support
    settings = json.loads((root / ".vscode/settings.json").read_text())
    mapping = settings["yaml.schemas"]
    files = mapped_files(root, mapping)
    assert set(spec_and_record_files(root, (root / "reqtrace.yaml").read_bytes())) <= set(files), "a file check reads is mapped to no schema"
    checked = validators(root / SCHEMA_FOLDER)
    kinds_seen = set()
    for path, schema in sorted(files.items()):
        assert errors_of(checked[schema], yaml_data(path)) == [], path
        kinds_seen.add(schema)
    # The demo holds every shape: one-requirement files, `requirements:` lists, requests,
    # emails, documents, manifests, sign-offs.
    assert kinds_seen == {"config.json", "requirement-file.json", "request.json", "email.json", "document.json", "manifest.json", "signoff-file.json"}
    assert any("requirements" in (yaml_data(p) or {}) for p, s in files.items() if s == "requirement-file.json")
    # Meeting minutes are Markdown (no language server reads their front matter): the schema still fits them.
    meetings = sorted((root / "records/meetings").glob("*.md"))
    assert meetings
    for path in meetings:
        assert errors_of(checked["meeting.json"], yaml_data(path)) == [], path


def test_every_file_of_reqtraces_own_specs_is_valid() -> None:
    mapping = schema_globs(parse_config((ROOT / "reqtrace.yaml").read_bytes())[0])
    files = mapped_files(ROOT, mapping)
    requirement_files = [p for p, s in files.items() if s == "requirement-file.json"]
    assert len(requirement_files) > 50
    checked = validators(PACKAGE_SCHEMAS)
    for path, schema in sorted(files.items()):
        assert errors_of(checked[schema], yaml_data(path)) == [], path


REJECTED = {
    "missing statement": requirement_yaml("REQ-1").replace('statement: "The system shall do REQ-1."\n', ""),
    "unknown priority": requirement_yaml("REQ-1", priority="urgent"),
    "a misspelt field": requirement_yaml("REQ-1", acceptence=["x"]),
    "parents not a list": requirement_yaml("REQ-1") + "parents: {REQ-2: yes}\n",
    "a bad review stamp": requirement_yaml("REQ-1", parents=["REQ-2"]) + "reviewed:\n  REQ-2: sha1:abc\n",
    "an entry of a list without title": "requirements:\n  - id: REQ-1\n    statement: s\n",
    "a list at the top": "- id: REQ-1\n  title: t\n  statement: s\n",
    "an unquoted NO as title": "id: REQ-1\ntitle: NO\nstatement: s\n",
}


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_a_requirement_file_check_rejects_is_rejected_by_the_schema(name: str, make_repo, run_cli) -> None:
    text = REJECTED[name]
    repo = make_repo({"specs/REQ-1.yaml": text, "specs/REQ-2.yaml": requirement_yaml("REQ-2")}, git_init=False)
    result = run_cli("check", "--strict", "--format", "json", cwd=repo.root)
    assert result.exit_code == 1
    assert [f["code"] for f in json.loads(result.stdout)["findings"] if f["path"] == "specs/REQ-1.yaml"] != []
    checked = validators(PACKAGE_SCHEMAS)["requirement-file.json"]
    assert errors_of(checked, plain(load_yaml(text))) != []


def test_init_maps_the_schemas_and_keeps_other_settings(run_in_process, tmp_path: Path) -> None:
    folder = tmp_path / "project"
    (folder / ".vscode").mkdir(parents=True)
    (folder / ".vscode/settings.json").write_text(json.dumps({"editor.tabSize": 2, "yaml.schemas": {"https://example.test/other.json": ["other/*.yaml"]}}))
    result = run_in_process("init", str(folder), cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "created " + str(folder / ".vscode/settings.json") in result.stderr
    settings = json.loads((folder / ".vscode/settings.json").read_text())
    assert settings["editor.tabSize"] == 2
    assert settings["yaml.schemas"]["https://example.test/other.json"] == ["other/*.yaml"]
    assert settings["yaml.schemas"]["./.reqtrace/schemas/requirement-file.json"] == ["specs/**/*.yaml", "specs/**/*.yml", "!specs/**/_document.yaml"]
    assert settings["yaml.schemas"]["./.reqtrace/schemas/spec-document.json"] == ["specs/**/_document.yaml"]
    for kind in EDITOR_SCHEMAS:
        assert json.loads((folder / SCHEMA_FOLDER / f"{kind}.json").read_text()) == load_schema(kind)
    # A new requirement written by `new` validates in the editor as it does in check.
    assert run_in_process("new", "requirement", "--title", "Book online", cwd=folder).exit_code == 0
    (written,) = (folder / "specs").rglob("*.yaml")
    assert errors_of(validators(folder / SCHEMA_FOLDER)["requirement-file.json"], yaml_data(written)) == []
    assert run_in_process("check", cwd=folder).exit_code == 0


def test_editor_setup_follows_configured_folders_and_refuses_jsonc(make_repo, run_in_process) -> None:
    repo = make_repo({"reqtrace.yaml": "project: P\npaths:\n  requirements: reqs\n", "reqs/REQ-1.yaml": requirement_yaml("REQ-1")}, git_init=False)
    result = run_in_process("schema", "--editor", "--format", "json", cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["yaml.schemas"]["./.reqtrace/schemas/requirement-file.json"] == ["reqs/**/*.yaml", "reqs/**/*.yml", "!reqs/**/_document.yaml"]
    again = run_in_process("schema", "--editor", cwd=repo.root)
    assert again.exit_code == 0 and "editor schemas up to date" in again.stdout
    jsonc = '{\n  // my settings\n  "editor.tabSize": 2,\n}\n'
    (repo.root / ".vscode/settings.json").write_text(jsonc)
    refused = run_in_process("schema", "--editor", cwd=repo.root)
    assert refused.exit_code == 3
    assert ".vscode/settings.json is not plain JSON" in refused.stderr and "hint:" in refused.stderr
    assert (repo.root / ".vscode/settings.json").read_text() == jsonc


@pytest.mark.parametrize("kind", kinds())
def test_schema_ids_are_relative_file_names_that_resolve(kind: str) -> None:
    schema = load_schema(kind)
    assert schema["$id"] == f"{kind}.json"
    assert (PACKAGE_SCHEMAS / schema["$id"]).is_file()
