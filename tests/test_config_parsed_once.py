"""reqtrace.yaml is read several times by one command (a `check`: its own load, the baselines'
work, its kept report's key, the snapshot); the same bytes are parsed once, and every answer is
the one the plain parse gives."""

from __future__ import annotations

import pytest

from reqtrace.core import config as config_module
from reqtrace.core.config import parse_config

CONFIGS = [
    b"project: P\ncustomer: C\n",
    b"project: P\npaths:\n  requirements: specs\n  records: specs/records\n",  # overlapping folders: an error
    b"project: P\nid_pattern: '(['\nunknown: 1\n",  # a bad pattern and an unknown field
    b"project: P\npeople:\n  - name: Li Wei\n    aliases: [Wei]\n  - name: Wei Li\n    aliases: [Wei]\n",  # an ambiguous alias
    b"- not a mapping\n",
    b"project: [unclosed\n",
]


@pytest.mark.parametrize("data", CONFIGS)
def test_a_config_parsed_again_is_the_plain_parse(data: bytes) -> None:
    config_module._parsed_config.cache_clear()
    plain = config_module._parse_config(data)
    first = parse_config(data)
    assert first == plain
    first[1].append("a caller's own list")  # type: ignore[arg-type]
    again = parse_config(bytes(bytearray(data)))  # equal bytes, another object
    assert again == plain and again[0] is first[0]  # kept, not parsed again
    assert parse_config(bytearray(data)) == plain  # a buffer is parsed as it is
