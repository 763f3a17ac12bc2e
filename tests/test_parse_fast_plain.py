"""The parse's quick ways against its plain ones, on a varied corpus: every YAML and
Markdown file of examples/, tests/data and specs/, the benchmark repos' shapes
(bench/repo_shape.py) and odd files.

The quick ways: a line `key: plain scalar` read once for the process
(`yamlio._READ_LINES`), a usual requirement built without a call per field
(`parse._usual_requirement`), its digest's canonical JSON written in one pass
(`digest._canonical_json`), a meeting's text decoded and split once. With the first two
switched off every file takes the general way; the items (with their lines), the
findings (with theirs) and the digests must be the same either way — digests are signed
in baselines, so one changed byte would break every signed manifest.
"""

from __future__ import annotations

import functools
import random
import sys
from pathlib import Path
from typing import Any

import pytest

from reqtrace.core import digest, parse
from reqtrace.core.model import Config, Requirement
from reqtrace.core.parse import (
    parse_email,
    parse_meeting,
    parse_request,
    parse_requirements,
    parse_spec_document,
)
from reqtrace.io import yamlio
from reqtrace.io.yamlio import Mapping, Sequence, decode_text, split_front_matter

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import repo_shape  # noqa: E402 - bench/ is no package: put on the path above

CONFIG = Config(project="t")

ODD_REQUIREMENTS = [
    # placement fields, x- fields of every shape, an unknown field
    "id: REQ-1\ntitle: T\nstatement: S\nx-b: [1, two]\nx-a:\n  k: v\nx-c: 2026-01-05\nbogus: 1\nsection: SEC-1\norder: 2.5\n",
    # typed values in text and list fields, a single value for a list, an empty field
    "id: REQ-3\ntitle: yes\nstatement: ~\npriority: must\nstatus: approved\nparents: REQ-1\ntags: [a, no]\nowner:\n",
    "id: REQ-4\ntitle: T\nstatement: S\nacceptance:\n  - a\n  - k: v\nparents: [REQ-1, 3]\nx-n: 1.5\nx-t: no\n",
    "id: REQ-5\ntitle: '  '\nstatement: |\n  患者 可以\n  在线 预约 online\nrationale: ''\nx-list: [a, b]\nx-map: {a: 1}\n",
    "requirements:\n  - id: REQ-6\n    title: T\n    statement: S\n  - title: no id\n  - id: bad id\n    title: 5\n",
    "id: REQ-7\ntitle: T\ntitle: U\n",  # a duplicate key: libyaml's finding and line
    "id: REQ-8\ntitle: [a]\nstatement: {a: b}\nowner: 3\ntags: {}\n",
]


@functools.cache
def _corpus() -> list[tuple[Any, str, bytes]]:
    files: list[tuple[Any, str, bytes]] = []
    for folder in ("examples", "tests/data", "specs"):
        for path in sorted((REPO / folder).rglob("*")):
            name = path.relative_to(REPO).as_posix()
            if path.name == "_document.yaml":
                parser: Any = parse_spec_document
            elif "/records/requests/" in name and path.suffix == ".yaml":
                parser = parse_request
            elif "/records/emails/" in name and path.suffix == ".yaml":
                parser = parse_email
            elif "/records/meetings/" in name and path.suffix == ".md":
                parser = parse_meeting
            elif path.suffix in (".yaml", ".yml") and "/records/" not in name:
                parser = parse_requirements
            else:
                continue
            files.append((parser, name, path.read_bytes()))
    rng = random.Random(18)  # noqa: S311 - a fixed seed: the same files every run
    counts = repo_shape.Counts(2000, True)
    for number in range(1, 200):
        files.append((parse_requirements, repo_shape.requirement_path(number), repo_shape.requirement_text(number, rng, number % 3, counts)))
    for number in range(1, 40):
        files.append((parse_request, f"records/requests/RQ-{number}.yaml", repo_shape.request_text(number, rng, 2000)))
        files.append((parse_meeting, f"records/meetings/MTG-{number}.md", repo_shape.meeting_text(number, rng, counts, 2000)))
        sidecar = repo_shape.email_files(number, rng, counts, 2000)[1]
        files.append((parse_email, *sidecar))
    files += [(parse_requirements, f"specs/odd-{n}.yaml", text.encode()) for n, text in enumerate(ODD_REQUIREMENTS)]
    return files


def _outcome(parser: Any, path: str, data: bytes) -> tuple[Any, ...]:
    parsed = parser(path, data, CONFIG)
    items = [(item, repr(item), getattr(item, "lines", None)) for item in parsed.items]
    digests = [digest.requirement_digest(item) for item in parsed.items if type(item) is Requirement]
    return items, parsed.findings, digests


def test_the_quick_ways_give_what_the_plain_ways_give(monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = _corpus()
    usual = 0
    general = parse._requirement

    def counted(entry: Any, item_id: str, path: str, line: int) -> Requirement | None:
        nonlocal usual
        usual += 1
        return general(entry, item_id, path, line)

    quick = [_outcome(parser, path, data) for parser, path, data in corpus]
    monkeypatch.setattr(parse, "_usual_requirement", counted)
    monkeypatch.setattr(digest, "_canonical_json", lambda _requirement: None)
    plain = [_outcome(parser, path, data) for parser, path, data in corpus]
    for (_parser, path, _data), got, expected in zip(corpus, quick, plain, strict=True):
        assert got == expected, path
    # Not vacuous: the corpus holds every kind, with findings, and most requirements take the quick way.
    assert len(corpus) > 1500 and sum(bool(findings) for _items, findings, _digests in quick) > 10
    requirements = sum(len(digests) for _items, _findings, digests in quick)
    assert requirements > 1000 and usual == requirements  # every requirement asked the quick way first
    monkeypatch.undo()
    taken = [
        parse._usual_requirement(entry, "X", "p", 1) is not None
        for parser, path, data in corpus
        if parser is parse_requirements
        for entry in [parse.read_yaml_file(path, data, parse.Parsed())]
        if isinstance(entry, dict) and "id" in entry
    ]
    assert sum(taken) > 0.8 * len(taken)
    bench_shape = [item for parser, path, data in corpus if path.startswith("specs/") and parser is parse_requirements for item in parser(path, data, CONFIG).items]
    assert bench_shape and all(digest._canonical_json(item) is not None for item in bench_shape)


def test_a_meeting_s_body_is_the_text_after_its_front_matter() -> None:
    for parser, path, data in _corpus():
        if parser is parse_meeting:
            for item in parser(path, data, CONFIG).items:
                assert item.body == split_front_matter(decode_text(data))[2], path


def _shape(value: Any) -> Any:
    """A loaded YAML value with everything the plain reader gives: types, lines, raw texts."""
    if isinstance(value, Mapping):
        return ("map", value.line, tuple(value.lines.items()), tuple(value.raw.items()), tuple((key, _shape(item)) for key, item in value.items()))
    if isinstance(value, Sequence):
        return ("seq", value.line, tuple(value.lines), tuple(value.raw.items()), tuple(_shape(item) for item in value))
    return (type(value), value)


def test_lines_read_before_read_as_they_did(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = []
    for parser, _path, data in _corpus():
        text = decode_text(data)
        texts.append(split_front_matter(text)[0] if parser is parse_meeting else text)
    monkeypatch.setattr(yamlio, "_READ_LINES", {})
    monkeypatch.setattr(yamlio, "_READ_LINE_LIMIT", 0)
    plain = [_shape(yamlio._load_plain(text, 0)) for text in texts]
    monkeypatch.setattr(yamlio, "_READ_LINE_LIMIT", 20_000)
    first = [_shape(yamlio._load_plain(text, 0)) for text in texts]  # filling the lines read
    again = [_shape(yamlio._load_plain(text, 0)) for text in texts]  # most short lines from them
    assert len(yamlio._READ_LINES) > 100
    assert first == plain and again == plain
