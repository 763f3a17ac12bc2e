import json


def test_check_of_a_fresh_repo_passes(make_repo, run_cli, tmp_path):
    repo = make_repo({"specs/REQ-1.yaml": "id: REQ-1\ntitle: Book\nstatement: Patients book online.\n"})
    result = run_cli("check", "--format", "json", cwd=repo.root)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["ok"] is True
    assert data["summary"]["requirements"] == 1
