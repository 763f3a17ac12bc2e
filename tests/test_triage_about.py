"""What a request is about (triage/index.py): the headline weighs more than the body, a word said
again and again more than one said once, a requirement is found by its rationale and by its
children's titles, each at half weight, and among close matches the one whose title the request
says comes first."""

import pytest

from reqtrace.core.model import Requirement
from reqtrace.triage import BaselineIndex, weigh
from reqtrace.triage import index as index_module
from reqtrace.triage.index import has_headline
from reqtrace.triage.prepare import prepare

REQUIREMENTS = [
    Requirement(id="R-1", title="Queue limit", statement="The event queue holds up to 100 events.", path="a.yaml"),
    Requirement(id="R-2", title="Log rotation", statement="The log file rotates once a day and the old log file is kept.", path="b.yaml"),
    Requirement(id="R-3", title="Telemetry", statement="The unit reports its readings.", path="c.yaml",
                rationale="Operators watch the battery voltage on the ground station."),
    Requirement(id="R-4", title="Command handling", statement="Commands are checked before they run.", path="d.yaml"),
    Requirement(id="R-5", title="Checksum of uploaded commands", statement="Each upload carries a CRC.", path="e.yaml", parents=("R-4",)),
]


@pytest.fixture(scope="module")
def index():
    return BaselineIndex.build(REQUIREMENTS)


def first_match(text, index):
    return weigh(text, index).matches[0].id


def test_the_headline_says_what_an_issue_is_about(index, monkeypatch):
    issue = "Event queue overflows\n\nIt happened while the log file rotated."
    assert has_headline(prepare(issue))
    assert first_match(issue, index) == "R-1"
    # The same words in a mail without a title line: the body's words about the log decide.
    assert not has_headline(prepare("The event queue overflows. It happened while the log file rotated."))
    monkeypatch.setattr(index_module, "HEADLINE_WEIGHT", 0.0)
    assert first_match(issue, index) == "R-2"


def test_a_requirement_is_found_by_its_rationale_and_its_childrens_titles():
    with_context = BaselineIndex.build(REQUIREMENTS)
    assert first_match("The battery voltage is wrong on the ground station.", with_context) == "R-3"
    assert first_match("Uploaded commands with a bad checksum are run.", with_context) in ("R-5", "R-4")
    parent_words = with_context.search({"w:checksum": 1.0}, limit=5)
    assert {with_context.ids[p] for p, _score, _words in parent_words} == {"R-4", "R-5"}
    # The child itself stays first: its own title weighs twice, its parent's borrowed words half.
    assert with_context.ids[parent_words[0][0]] == "R-5"


def test_without_context_weights_neither_is_found(monkeypatch):
    monkeypatch.setattr(index_module, "CONTEXT_WEIGHT", 0.0)
    bare = BaselineIndex.build(REQUIREMENTS)
    assert not bare.search({"w:voltag": 1.0, "w:battery": 1.0})
    assert {bare.ids[p] for p, _score, _words in bare.search({"w:checksum": 1.0})} == {"R-5"}


def test_a_match_found_by_the_rationale_quotes_a_signed_sentence_of_the_requirement(index):
    result = weigh("The battery voltage is wrong on the ground station.", index)
    assert result.matches[0].id == "R-3"
    signed = [sentence for sentence, _terms in index.sentences(index.by_id["R-3"])]
    assert signed == ["Telemetry", "The unit reports its readings."]  # the rationale is context, never quoted as signed


def test_a_word_the_request_says_again_and_again_weighs_more(index, monkeypatch):
    story = ("The log file was not rotated, and since then the queue is stuck, the queue is full, "
             "the queue drops what comes in and the queue never drains.")
    assert first_match(story, index) == "R-1"
    # Each word once: the log file's three words outweigh the queue told four times.
    monkeypatch.setattr(index_module, "REPEAT_WEIGHT", 0.0)
    assert first_match(story, index) == "R-2"


ARCHIVE = [
    Requirement(id="R-6", title="Report export", statement="The operator can export the daily report.", path="f.yaml"),
    Requirement(id="R-7", title="Archive", path="g.yaml",
                statement="Each day the unit writes the report of the day, the log of the day and the readings of the day "
                          "to one archive file, and keeps the file for a year."),
    *REQUIREMENTS,
]
EXPORT_ISSUE = "When I export the report, the readings of the day and the log are missing from the file."


def test_the_requirement_whose_title_the_request_says_comes_first(monkeypatch):
    archive = BaselineIndex.build(ARCHIVE)
    assert first_match(EXPORT_ISSUE, archive) == "R-6"
    title_of_export = archive.by_id["R-6"]
    assert archive.title_coverage(title_of_export, {"w:report": 1.0, "w:export": 1.0}) == 1.0
    assert 0.0 < archive.title_coverage(title_of_export, {"w:report": 1.0}) < 1.0  # "export" is the rarer word
    # By BM25 alone the long requirement that holds more of the request's words is first.
    monkeypatch.setattr(index_module, "TITLE_COVERAGE_GAIN", 0.0)
    assert first_match(EXPORT_ISSUE, archive) == "R-7"


def test_an_index_read_back_ranks_as_the_one_built():
    built = BaselineIndex.build(ARCHIVE)
    read = BaselineIndex.from_bytes(built.to_bytes())
    for text in (EXPORT_ISSUE, "Event queue overflows\n\nIt happened while the log file rotated.",
                 "Uploaded commands with a bad checksum are run."):
        assert [(m.id, m.score) for m in weigh(text, read).matches] == [(m.id, m.score) for m in weigh(text, built).matches]
    # The title's words come from the sentences kept in the index only when they are the title's;
    # kept sentences that say otherwise are a hint ignored, and the title is read again.
    read._concept_sets[built.by_id["R-6"]] = (("Something else", (("w:archive", 1.0),)),)  # noqa: SLF001
    assert read.title_coverage(built.by_id["R-6"], {"w:report": 1.0}) == built.title_coverage(built.by_id["R-6"], {"w:report": 1.0}) > 0
