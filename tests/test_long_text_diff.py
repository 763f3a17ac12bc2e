"""A long Markdown requirement: `log` and `diff` show the change with a little context, keep
headings, list items and code lines on lines of their own, and count white space when asked."""

from __future__ import annotations

import json

import pytest

from reqtrace.changes.textdiff import ADDED, CHANGED, EXACT, KEPT, text_hunks, units
from reqtrace.changes.worddiff import tokens

PARAGRAPHS = [f"Paragraph {i}: the system shall keep record {i} of every booking, with who made it and when, for audits." for i in range(1, 25)]
STATEMENT = "## Booking records\n\n" + "\n\n".join(PARAGRAPHS) + "\n\n#### Export\n\n```yaml\nexport:\n  format: csv\n  columns: [id, when]\n```\n"
INSERTED = "Paragraph 11b: records are kept for 5 years."


def _yaml(statement: str) -> str:
    body = "".join(f"  {line}\n" if line else "\n" for line in statement.rstrip("\n").split("\n"))
    return f"id: REQ-1\ntitle: Booking records\nstatement: |\n{body}"


def _changed(statement: str) -> str:
    statement = statement.replace(PARAGRAPHS[11], INSERTED + "\n\n" + PARAGRAPHS[11])
    statement = statement.replace("#### Export", "### Export").replace("columns: [id, when]", "columns: [id, when, who]")
    # Re-wrapped, not changed: never shown unless white space counts.
    return statement.replace(PARAGRAPHS[2], PARAGRAPHS[2].replace(" for audits.", "\nfor audits."))


@pytest.fixture
def markdown_repo(make_repo):
    repo = make_repo({"specs/REQ-1.yaml": _yaml(STATEMENT)})
    repo.commit({"specs/REQ-1.yaml": _yaml(_changed(STATEMENT))}, "insert a paragraph")
    return repo


def test_markdown_is_cut_into_the_lines_a_reader_sees():
    found = [unit.text for unit in units("# Title\n\nOne paragraph\nwrapped here.\n\n- item one\n  continued\n- item two\n\n```\n  code  line\n```\n| a | b |")]
    assert found == ["# Title", "One paragraph wrapped here.", "- item one continued", "- item two", "```", "  code  line", "```", "| a | b |"]
    assert [unit.text for unit in units("a\n  b", EXACT)] == ["a", "  b"]


def test_a_run_of_one_mark_is_one_word():
    assert tokens("#### Export ---") == ["####", " ", "Export", " ", "---"]


def test_hunks_hold_the_change_and_one_unit_around_it():
    hunks = text_hunks(STATEMENT, _changed(STATEMENT))
    assert len(hunks) == 3  # the paragraph; the heading; a code line (the fence and a line between)
    first = hunks[0]
    assert [piece.op for piece in first.pieces] == [KEPT, ADDED, KEPT]
    assert first.pieces[1].text == INSERTED and first.pieces[0].text == PARAGRAPHS[10]
    (heading,) = [piece for piece in hunks[1].pieces if piece.op != KEPT]
    (code,) = [piece for piece in hunks[2].pieces if piece.op != KEPT]
    assert heading.op == CHANGED and heading.words == (("-", "####"), ("+", "###"), ("=", " Export"))
    assert code.words == (("=", "  columns: [id, when"), ("+", ", who"), ("=", "]"))
    assert not any(PARAGRAPHS[2] in (piece.text or "") for hunk in hunks for piece in hunk.pieces)


def test_log_shows_the_inserted_paragraph_not_the_whole_statement(markdown_repo, run_cli):
    result = run_cli("log", "REQ-1", cwd=markdown_repo.root, env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert f"+ {INSERTED}" in out
    assert PARAGRAPHS[0] not in out and PARAGRAPHS[5] not in out and PARAGRAPHS[2] not in out
    lines = out.splitlines()
    assert any(line.strip() == "~ [-####-]{+###+} Export" for line in lines), out
    assert any(line.strip() == "```yaml" for line in lines)
    assert any(line.strip() == "~   columns: [id, when{+, who+}]" for line in lines), out  # a code line keeps its indentation
    assert len(out) < len(STATEMENT) / 2


def test_diff_json_keeps_the_full_texts_and_adds_the_hunks(markdown_repo, run_in_process):
    result = run_in_process("diff", "HEAD~1", "HEAD", "--format", "json", cwd=markdown_repo.root)
    (change,) = json.loads(result.stdout)["changes"]
    (field,) = change["fields"]
    assert field["before"] == STATEMENT.strip() and field["after"] == _changed(STATEMENT).strip()
    assert field["words"]
    first = field["hunks"][0]
    assert first["pieces"][1] == {"op": "+", "text": INSERTED}
    assert (first["before_unit"], first["after_unit"]) == (11, 11)

    markdown = run_in_process("diff", "HEAD~1", "HEAD", "--format", "markdown", cwd=markdown_repo.root).stdout
    assert "    - **Paragraph 11b: records are kept for 5 years\\.**" in markdown
    assert "Paragraph 1:" not in markdown and "- ~~\\#\\#\\#\\#~~**\\#\\#\\#** Export" in markdown


def test_white_space_counts_only_when_asked(markdown_repo, run_in_process):
    env = {"COLUMNS": "200", "NO_COLOR": "1"}
    default = run_in_process("diff", "HEAD~1", "HEAD", cwd=markdown_repo.root, env=env).stdout
    exact = run_in_process("diff", "HEAD~1", "HEAD", "--whitespace", "exact", cwd=markdown_repo.root, env=env).stdout
    assert "+ for audits." not in default
    assert "+ for audits." in exact  # the re-wrapped line, as written


def test_a_change_only_in_white_space_is_listed_when_white_space_counts(make_repo, run_in_process):
    repo = make_repo({"specs/REQ-1.yaml": "id: REQ-1\ntitle: t\nstatement: |\n  ```\n  a:\n    b: 1\n  ```\nacceptance: [x]\n"})
    repo.commit({"specs/REQ-1.yaml": "id: REQ-1\ntitle: t2\nstatement: |\n  ```\n  a:\n      b: 1\n  ```\nacceptance: [x]\n"}, "indent")
    plain = json.loads(run_in_process("diff", "HEAD~1", "HEAD", "--format", "json", cwd=repo.root).stdout)
    assert [f["field"] for f in plain["changes"][0]["fields"]] == ["title"]
    exact = json.loads(run_in_process("diff", "HEAD~1", "HEAD", "--format", "json", "--whitespace", "exact", cwd=repo.root).stdout)
    fields = {f["field"]: f for f in exact["changes"][0]["fields"]}
    assert set(fields) == {"title", "statement"}
    pieces = fields["statement"]["hunks"][0]["pieces"]
    assert {"op": "~", "words": [["-", "  "], ["+", "    "], ["=", "b: 1"]]} in pieces


def test_a_short_text_keeps_its_one_marked_line(make_repo, run_in_process):
    repo = make_repo({"specs/REQ-1.yaml": "id: REQ-1\ntitle: t\nstatement: Book 14 days ahead.\n"})
    repo.commit({"specs/REQ-1.yaml": "id: REQ-1\ntitle: t\nstatement: Book 30 days ahead.\n"}, "longer")
    out = run_in_process("diff", "HEAD~1", "HEAD", cwd=repo.root, env={"NO_COLOR": "1"}).stdout
    assert "statement: Book [-14-]{+30+} days ahead." in out
    data = json.loads(run_in_process("diff", "HEAD~1", "HEAD", "--format", "json", cwd=repo.root).stdout)
    assert "hunks" not in data["changes"][0]["fields"][0]
