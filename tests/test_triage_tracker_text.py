"""How triage reads an issue tracker's text: a pasted example is not a pasted failure.

Cheap: prepare() on strings, and one small baseline for the reasons (no git, no model fit).
"""

import pytest

from reqtrace.core.model import Requirement
from reqtrace.triage import BaselineIndex, classify_request
from reqtrace.triage.prepare import prepare

_CODE = "Support multiple references in one line\n\nThe snippet below has two tags in one line.\n```cpp\n// lobby::req1, lobby::req2\nint main() { return 0; }\n```\n"
_CONFIG = "Configure runtimes to be enabled\n\n```yaml\nruntimes:\n  - podman\n  - containerd\n```\n"
_COMMAND = "Read arguments from a file\n\n```\n> tool-report --version\ntool-report 1.4\n```\n"
_WANTED_OUTPUT = 'Upstream references\n\nThe output could look like this:\n```json\n"data": [\n  {"tag": "req 649259", "refs": []}\n]\n```\n'


@pytest.mark.parametrize("text", [_CODE, _CONFIG, _COMMAND, _WANTED_OUTPUT])
def test_a_fenced_example_is_neither_evidence_of_failure_nor_the_customers_words(text):
    prepared = prepare(text)
    assert prepared.machine == ()
    assert prepared.examples
    assert not any(line in prepared.own for line in prepared.examples)


@pytest.mark.parametrize("block", [
    "Traceback (most recent call last):\n  File \"run.py\", line 3, in <module>\nKeyError: 'id'",
    "Exception in thread \"main\" java.lang.IllegalStateException: bad tag\n    at org.example.Importer.read(Importer.java:12)",
    "$ tool trace spec.md\nERROR: cannot read spec.md",
    "GET /api/v1 -> 404",
    "[2026-08-18T08:54:55Z WARN agent] connection refused",
])
def test_a_fenced_block_that_tells_a_failure_stays_evidence_of_failure(block):
    prepared = prepare(f"The import breaks\n\n```\n{block}\n```\n")
    assert prepared.machine and prepared.examples == ()
    assert prepared.machine[0] == block.split("\n")[0].strip()


def test_a_block_left_open_is_read_to_the_end():
    assert prepare("Crash\n```\nsegmentation fault (core dumped)\n").machine == ("segmentation fault (core dumped)",)
    assert prepare("Example\n```\nlevels: [a, b]\n").examples == ("levels: [a, b]",)


@pytest.fixture(scope="module")
def tracer():
    return BaselineIndex.build([
        Requirement(id="T-1", title="Tag import", status="approved", path="t1.yaml",
                    statement="The tool imports one requirement tag per line of a source file."),
        Requirement(id="T-2", title="HTML report", status="approved", path="t2.yaml",
                    statement="The tool writes the trace as one HTML report."),
    ])


def test_the_reasons_do_not_call_an_example_evidence_that_something_failed(tracer):
    result = classify_request(_CODE, index=tracer)
    assert not any(r.startswith("pastes an error or log") for r in result.reasons)


def test_headings_every_write_up_uses_are_neither_words_nor_a_template_kind():
    text = ("Exit codes mixed up\n\n# Description\nThe exit code is 0 after an error.\n\n## Current behavior\nIt exits 0.\n\n"
            "**Additional context**\nSeen in CI.\n\n## Summary\nWrong code.\n")
    prepared = prepare(text)
    assert "description" not in prepared.own and "additional" not in prepared.own and "summary" not in prepared.own
    assert "behavior" not in prepared.own
    assert "## Current behavior" in prepared.quoted
    assert "the exit code is 0 after an error" in prepared.own
    # "Additional context" closes bug reports as often as feature requests: it tells neither.
    assert not prepared.feature_template and not prepared.bug_template


def test_a_feature_template_still_says_what_it_is():
    prepared = prepare("Markdown export\n\n**Is your feature request related to a problem? Please describe.**\nWe need it.\n\n"
                       "**Additional context**\nNone.\n")
    assert prepared.feature_template


def test_a_sentence_that_starts_with_a_heading_word_is_still_the_customers():
    assert "the description of the report is empty" in prepare("The description of the report is empty.").own
