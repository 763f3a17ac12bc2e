from reqtrace.changes.worddiff import similarity, tokens, word_diff
from reqtrace.core.model import Config
from reqtrace.core.parse import parse_meeting, parse_request, parse_requirements
from reqtrace.core.parse_cache import ParseCache, cache_key


def test_chinese_is_split_by_character_and_latin_by_word():
    assert tokens("患者可以提前14天预约 online, 1.5 hours") == ["患", "者", "可", "以", "提", "前", "14", "天", "预", "约", " ", "online", ",", " ", "1.5", " ", "hours"]


def test_word_diff_marks_only_what_changed():
    assert word_diff("Book 14 days ahead.", "Book 30 days ahead.") == [("=", "Book "), ("-", "14"), ("+", "30"), ("=", " days ahead.")]
    assert word_diff("", "new") == [("+", "new")]
    assert word_diff("same", "same") == [("=", "same")]


def test_very_long_texts_are_shown_replaced_whole():
    before, after = "a " * 5000, "b " * 5000
    assert word_diff(before, after) == [("-", before), ("+", after)]


def test_similarity():
    assert similarity("The system sends an SMS reminder", "The system sends an SMS reminder.") > 0.9
    assert similarity("Export CSV", "Patients cancel online") < 0.5


def test_parse_cache_round_trips_every_item_kind(tmp_path):
    config = Config(project="x")
    cache = ParseCache(tmp_path / "cache")
    samples = [
        ("requirement", parse_requirements("specs/a.yaml", b"id: REQ-1\ntitle: T\nstatement: S\nacceptance: [a]\nx-meta: {k: [1, 2], d: 2026-01-01}\nunknwn: 1\n", config)),
        ("request", parse_request("records/requests/RQ-1.yaml", b"id: RQ-1\nreceived: 2026-01-01\ntitle: T\ntriage: {classification: change, confidence: 0.5}\ndecision: {status: approved, on: 2026-01-02}\n", config)),
        ("meeting", parse_meeting("records/meetings/m.md", b"---\nid: MTG-1\ndate: 2026-01-01\ntitle: Kick-off\ndecisions:\n  - text: ok\n    approves: [RQ-1]\n---\n# Notes\n", config)),
    ]
    for kind, parsed in samples:
        key = cache_key(kind, "p", "0" * 40, config.id_pattern)
        cache.put(key, parsed)
        cache.flush()  # entries are written in the background
        again = cache.get(key)
        assert again is not None
        assert again.items == parsed.items and again.findings == parsed.findings
        assert [type(item) for item in again.items] == [type(item) for item in parsed.items]
