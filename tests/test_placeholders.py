"""Template text `reqtrace new` writes is a finding until a person replaces it, and is never
baselined: an untouched "Describe what the system shall do…" must not be signed."""

import json

import pytest

from conftest import copy_repo, git, run_reqtrace
from reqtrace.core.placeholders import (
    ACCEPTANCE_TEMPLATE,
    REQUEST_TEXT_TEMPLATE,
    STATEMENT_TEMPLATE,
)


@pytest.fixture(scope="module")
def fresh_template(tmp_path_factory, build_env):
    """A project as a PM starts it: init, one new requirement, one new request, committed
    (three real processes, once per module)."""
    root = tmp_path_factory.mktemp("placeholders") / "project"
    assert run_reqtrace("init", str(root)).exit_code == 0
    assert run_reqtrace("new", "requirement", "--title", "Book online", cwd=root).exit_code == 0
    assert run_reqtrace("new", "request", "--title", "Longer window", cwd=root).exit_code == 0
    return root


@pytest.fixture
def fresh(fresh_template, tmp_path):
    # Each test edits its own copy.
    return copy_repo(fresh_template, tmp_path / "project").root


def _findings(run_cli, root, *args):
    result = run_cli("check", "--format", "json", *args, cwd=root)
    return result, [f for f in json.loads(result.stdout)["findings"] if f["code"] == "placeholder"]


def test_every_template_text_new_writes_is_a_placeholder_finding(fresh, run_cli):
    requirement = (fresh / "specs/REQ-1.yaml").read_text(encoding="utf-8")
    request = (fresh / "records/requests/RQ-1.yaml").read_text(encoding="utf-8")
    assert STATEMENT_TEMPLATE in requirement and ACCEPTANCE_TEMPLATE in requirement
    assert REQUEST_TEXT_TEMPLATE in request and 'from: ""' in request

    result, found = _findings(run_cli, fresh)
    assert result.exit_code == 0  # warnings by default: a draft may sit in the working tree
    assert {(f["path"], f["line"], f["severity"]) for f in found} == {
        ("specs/REQ-1.yaml", 3, "warning"), ("specs/REQ-1.yaml", 5, "warning"),
        ("records/requests/RQ-1.yaml", 3, "warning"), ("records/requests/RQ-1.yaml", 6, "warning"),
    }
    assert any("from is empty" in f["message"] for f in found)

    strict = run_cli("check", "--strict", cwd=fresh)
    assert strict.exit_code == 1
    assert "placeholder" in strict.stdout and "Describe what the system shall do" in strict.stdout


def test_replaced_text_clears_the_findings(fresh, run_in_process):
    (fresh / "specs/REQ-1.yaml").write_text(
        "id: REQ-1\ntitle: Book online\nstatement: Patients book an appointment online.\n"
        "acceptance:\n  - A booking made online appears on the desk within 5 s.\n", encoding="utf-8")
    (fresh / "records/requests/RQ-1.yaml").write_text(
        "id: RQ-1\nreceived: 2026-07-10\nfrom: Chen Jing\nchannel: email\ntitle: Longer window\n"
        "text: Please allow booking 30 days ahead.\n", encoding="utf-8")
    result = run_in_process("check", "--strict", cwd=fresh)
    assert result.exit_code == 0, result.stdout


def test_a_template_sentence_left_beside_real_text_is_still_found(fresh, run_in_process):
    (fresh / "specs/REQ-1.yaml").write_text(
        f"id: REQ-1\ntitle: Book online\nstatement: >\n  Patients book online.\n  {STATEMENT_TEMPLATE}\n", encoding="utf-8")
    _, found = _findings(run_in_process, fresh)
    assert [(f["path"], f["line"]) for f in found if f["path"].startswith("specs/")] == [("specs/REQ-1.yaml", 3)]


def test_baseline_create_refuses_untouched_templates(fresh, run_in_process):
    git(fresh, "add", "-A")
    git(fresh, "commit", "-qm", "draft")
    result = run_in_process("baseline", "create", "v1", cwd=fresh)
    assert result.exit_code == 1
    assert "template text" in result.stderr and "specs/REQ-1.yaml:3" in result.stderr
    assert run_in_process("baseline", "list", "--format", "json", cwd=fresh).stdout.count('"name"') == 0
    assert git(fresh, "tag", "--list") == ""


def test_the_longest_word_shortcut_answers_as_collapsing_every_text():
    """`_holds` collapses a text only when the template's longest word is in it: the same answer
    as collapsing every text, whatever white space the template's words are split by."""
    from reqtrace.core.placeholders import _collapsed, _holds

    for template in (STATEMENT_TEMPLATE, ACCEPTANCE_TEMPLATE, REQUEST_TEXT_TEMPLATE):
        words = template.split()
        texts = [None, "", " ", template, f"  {template}  ", "\n".join(words), "\t \n".join(words), f"Before. {template} After.",
                 template[1:], template[:-1], " ".join(words[1:]), words[0], template.replace(words[0], words[0].lower()),
                 f"{words[0]}{template}", "Something else entirely, with no template in it.",
                 max(words, key=len), template.replace(max(words, key=len), max(words, key=len).upper()), f"A {' '.join(words[:-1])}"]
        for text in texts:
            assert _holds(text, template) == (bool(text) and template in _collapsed(text or "")), (template, text)
