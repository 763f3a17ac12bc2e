"""Field names every YAML reader agrees on: what reqtrace writes reads the same in PyYAML's
safe_load (YAML 1.1, as many CI tools read it), and the old `on:` is reported and renamed."""

import json
from pathlib import Path

import yaml

from reqtrace.core.schema import kinds, load_schema

OLD_SPELLING = """\
# Dr. Chen's email — keep this comment
id: RQ-7
received: 2026-06-03
title: Longer booking window
affects: [REQ-1]
triage: {classification: change, on: 2026-06-04}
decision:
  as: change
  status: approved
  by: Li Wei
  on: 2026-06-10   # the review meeting
"""


def _property_names(schema: object) -> set[str]:
    names: set[str] = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict):
                names.update(name for name, sub in value.items() if "old name of" not in str(sub.get("description", "")))
            names.update(_property_names(value))
    elif isinstance(schema, list):
        for item in schema:
            names.update(_property_names(item))
    return names


def _keys(value: object) -> list[object]:
    if isinstance(value, dict):
        return [*value, *(key for item in value.values() for key in _keys(item))]
    if isinstance(value, list):
        return [key for item in value for key in _keys(item)]
    return []


def test_every_field_name_the_schemas_define_is_text_to_a_yaml_1_1_reader():
    for kind in kinds():
        for name in _property_names(load_schema(kind)):
            assert list(yaml.safe_load(f"{name}: x")) == [name], f"{kind}: field '{name}' is not text to PyYAML"


def test_files_reqtrace_writes_read_the_same_in_pyyaml(make_repo, run_cli):
    repo = make_repo({
        "specs/REQ-1.yaml": "id: REQ-1\ntitle: Booking window\nstatement: Patients book up to 14 days ahead.\n",
        "records/requests/RQ-1.yaml": "id: RQ-1\nreceived: 2026-06-03\ntitle: 30 days\ntext: Please allow 30 days ahead.\nrefs: [REQ-1]\n",
    })
    repo.git("tag", "baseline/v1")
    assert run_cli("triage", "RQ-1", "--baseline", "v1", "--write", cwd=repo.root).exit_code == 0
    decided = run_cli("decide", "RQ-1", "--as", "change", "--status", "approved", "--by", "Li Wei", "--on", "2026-06-10", cwd=repo.root)
    assert decided.exit_code == 0, decided.stderr
    data = yaml.safe_load((repo.root / "records/requests/RQ-1.yaml").read_text(encoding="utf-8"))
    assert all(isinstance(key, str) for key in _keys(data)), _keys(data)
    assert str(data["decision"]["when"]) == "2026-06-10" and "when" in data["triage"]
    checked = run_cli("check", "--strict", cwd=repo.root)
    assert checked.exit_code == 0, checked.stdout


def test_check_reports_the_old_on_and_fix_renames_only_that_key(make_repo, run_in_process):
    repo = make_repo({
        "specs/REQ-1.yaml": "id: REQ-1\ntitle: Booking window\nstatement: Patients book up to 14 days ahead.\n",
        "records/requests/RQ-7.yaml": OLD_SPELLING,
    })
    path = repo.root / "records/requests/RQ-7.yaml"
    assert True in yaml.safe_load(OLD_SPELLING)["decision"]  # the trap: PyYAML reads the key as true

    # Still read: the decision keeps its date.
    shown = json.loads(run_in_process("show", "RQ-7", "--format", "json", cwd=repo.root).stdout)
    assert shown["fields"]["decision"]["when"] == "2026-06-10"

    report = json.loads(run_in_process("check", "--format", "json", cwd=repo.root).stdout)
    old = [f for f in report["findings"] if f["code"] == "old-field-name"]
    assert [(f["line"], f["severity"]) for f in old] == [(6, "warning"), (11, "warning")]
    assert "check --fix" in old[1]["message"] and "'when'" in old[1]["message"]
    assert run_in_process("check", "--strict", cwd=repo.root).exit_code == 1

    fixed = run_in_process("check", "--fix", "--strict", cwd=repo.root)
    assert fixed.exit_code == 0, fixed.stdout + fixed.stderr
    assert "renamed old field names in records/requests/RQ-7.yaml" in fixed.stderr
    assert path.read_text(encoding="utf-8") == OLD_SPELLING.replace("on: 2026", "when: 2026")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert str(data["decision"]["when"]) == "2026-06-10" and str(data["triage"]["when"]) == "2026-06-04"
    again = run_in_process("check", "--fix", cwd=repo.root)
    assert again.exit_code == 0 and "renamed" not in again.stderr


def test_fix_leaves_a_block_that_has_both_names_to_the_user(make_repo, run_in_process):
    both = "id: RQ-7\nreceived: 2026-06-03\ntitle: x\ndecision:\n  status: approved\n  \"on\": 2026-06-09\n  when: 2026-06-10\n"
    repo = make_repo({"specs/REQ-1.yaml": "id: REQ-1\ntitle: t\nstatement: s\n", "records/requests/RQ-7.yaml": both})
    result = run_in_process("check", "--fix", cwd=repo.root)
    assert "has both 'on' and 'when'" in result.stdout and "delete the 'on' line" in result.stdout
    assert (repo.root / "records/requests/RQ-7.yaml").read_text(encoding="utf-8") == both
    shown = json.loads(run_in_process("show", "RQ-7", "--format", "json", cwd=repo.root).stdout)
    assert shown["fields"]["decision"]["when"] == "2026-06-10"


def test_fix_refuses_a_revision(make_repo, run_in_process):
    repo = make_repo({"specs/REQ-1.yaml": "id: REQ-1\ntitle: t\nstatement: s\n"})
    result = run_in_process("check", "--fix", "--rev", "HEAD", cwd=repo.root)
    assert result.exit_code == 2 and "--fix edits the working tree" in result.stderr


def test_an_unquoted_drift_off_means_off(make_repo, run_in_process):
    repo = make_repo({"specs/REQ-1.yaml": "id: REQ-1\ntitle: t\nstatement: s\n"})
    (repo.root / "reqtrace.yaml").write_text("project: P\ndrift: off\n", encoding="utf-8")
    assert yaml.safe_load("drift: off") == {"drift": False}
    result = run_in_process("check", "--strict", cwd=repo.root)
    assert result.exit_code == 0, result.stdout


def test_the_example_project_uses_the_new_name():
    example = Path(__file__).parent.parent / "examples" / "clinic" / "records" / "requests"
    for path in example.glob("*.yaml"):
        assert all(isinstance(key, str) for key in _keys(yaml.safe_load(path.read_text(encoding="utf-8")))), path
