"""Requirements read at several commits in one process (a cold `check` reads every
baseline's commit): a file the parse pack lacks is parsed once per run, not once
per commit, and every answer is the one the plain reading gives — also for a
commit where the file changed again.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from conftest import requirement_yaml
from reqtrace.core import parse, snapshot
from reqtrace.core.config import find_spec_repo
from reqtrace.core.snapshot import read_items, requirements_at


@pytest.fixture(autouse=True)
def fresh_process_state():
    snapshot._parse_pack.cache_clear()
    yield
    snapshot._parse_pack.cache_clear()


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often each YAML text was parsed."""
    counted: Counter[str] = Counter()
    load = parse.load_yaml

    def counting(text: str, **options: Any) -> Any:
        counted[text] += 1
        return load(text, **options)

    monkeypatch.setattr(parse, "load_yaml", counting)
    return counted


def test_a_file_shared_by_two_commits_is_parsed_once_and_read_as_the_plain_reading_reads_it(make_repo, parses):
    files = {f"specs/REQ-{n}.yaml": requirement_yaml(f"REQ-{n}", f"Title {n}") for n in range(1, 5)}
    fixture = make_repo(files)
    edited = requirement_yaml("REQ-1", "Title 1, as agreed")
    second = fixture.commit({"specs/REQ-1.yaml": edited})
    third = fixture.commit({"specs/REQ-2.yaml": requirement_yaml("REQ-2", "Title 2, later")})
    fourth = fixture.commit({"specs/REQ-1.yaml": requirement_yaml("REQ-1", "Title 1, changed again"), "specs/REQ-3.yaml": None})
    repo = find_spec_repo(fixture.root)

    read = {commit: requirements_at(repo, commit) for commit in (second, third, fourth)}

    assert parses[edited] == 1  # REQ-1 as at the second and the third commit: one parse
    assert max(count for text, count in parses.items() if text.startswith("id:")) == 1  # (reqtrace.yaml: once per commit)
    for commit, (_config, requirements, findings) in read.items():
        plain = read_items(repo, commit, ("requirement",))  # no cache at all
        assert requirements == plain.requirements
        assert findings == plain.findings
    assert read[third][1]["REQ-1"].title == "Title 1, as agreed"
    assert read[fourth][1]["REQ-1"].title == "Title 1, changed again" and "REQ-3" not in read[fourth][1]
