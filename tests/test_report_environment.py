"""The report's Jinja2 environment looks `x.name` up in a dict as Jinja2 itself does."""

from __future__ import annotations

import pytest
from jinja2 import Environment, StrictUndefined, UndefinedError

from reqtrace.pack.report import environment

SOURCE = "{{ d.title }}|{{ d.count }}|{{ d['title'] }}|{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}|{{ d.get('title') }}|{{ s.upper() }}"


@pytest.mark.parametrize("data", [
    {"title": "<b>需求</b>", "count": 2},
    {"title": "x", "count": 0, "items": "a key named like a dict method", "get": "another"},
])
def test_names_resolve_as_in_plain_jinja2(data):
    ours = environment().from_string(SOURCE).render(d=data, s="abc")
    plain = Environment(autoescape=True, undefined=StrictUndefined).from_string(SOURCE).render(d=data, s="abc")
    assert ours == plain
    assert "&lt;b&gt;" in ours or data["title"] == "x"


def test_a_missing_key_is_still_an_error():
    with pytest.raises(UndefinedError):
        environment().from_string("{{ d.absent }}").render(d={"title": "x"})
