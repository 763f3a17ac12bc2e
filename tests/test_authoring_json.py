"""`init` and `new` answer `--format json` like every other command: what was created."""

import json

import yaml

from reqtrace.core.model import SCHEMA_VERSION


def test_init_says_what_it_created_as_json(tmp_path, run_cli):
    root = tmp_path / "project"
    result = run_cli("init", str(root), "--project", "Booking", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema_version"] == SCHEMA_VERSION and data["ok"] is True and data["root"] == str(root.resolve())
    assert data["written"][:2] == ["reqtrace.yaml", "specs/"] and "records/requests/" in data["written"]
    assert data["git_initialised"] is True
    assert yaml.safe_load((root / "reqtrace.yaml").read_text(encoding="utf-8"))["project"] == "Booking"
    assert result.stderr == ""  # nothing for people when a machine asked


def test_init_refusal_is_a_json_error(tmp_path, run_in_process):
    root = tmp_path / "project"
    assert run_in_process("init", str(root)).exit_code == 0
    again = run_in_process("init", str(root), "--format", "json")
    assert again.exit_code == 3
    error = json.loads(again.stdout)
    assert error["ok"] is False and "never overwrites" in error["error"]["message"]


def test_new_says_which_item_it_created_as_json(tmp_path, run_in_process):
    root = tmp_path / "project"
    run_in_process("init", str(root))
    first = json.loads(run_in_process("new", "requirement", "--title", "Book online", "--format", "json", cwd=root).stdout)
    second = run_in_process("new", "requirement", "--title", "Cancel", "--folder", "booking", "-f", "json", cwd=root)
    assert second.exit_code == 0, second.stderr
    assert first == {"schema_version": SCHEMA_VERSION, "ok": True, "kind": "requirement", "id": "REQ-1", "title": "Book online",
                     "path": "specs/REQ-1.yaml", "file": str((root / "specs/REQ-1.yaml").resolve())}
    data = json.loads(second.stdout)
    assert (data["id"], data["path"]) == ("REQ-2", "specs/booking/REQ-2.yaml")
    assert (root / data["path"]).is_file()
    request = json.loads(run_in_process("new", "request", "--title", "x", "--format", "json", cwd=root).stdout)
    assert (request["kind"], request["id"], request["path"]) == ("request", "RQ-1", "records/requests/RQ-1.yaml")
    refused = run_in_process("new", "requirement", "--title", " ", "--format", "json", cwd=root)
    assert refused.exit_code == 2 and json.loads(refused.stdout)["error"]["code"] == "usage"
