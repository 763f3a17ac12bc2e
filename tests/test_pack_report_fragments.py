"""index.html's hottest pieces are written by filters in Python (pack/report.py), not template
loops: each writes exactly what the template loop wrote (the plain computation, kept here as
Jinja2 text and rendered with the same environment), hostile text included."""

from __future__ import annotations

import pytest
from markupsafe import escape

from reqtrace.pack.report import (
    ROWS_PER_BATCH,
    _escaped,
    email_row,
    environment,
    kept_html,
    link_html,
    links_html,
    matrix_row,
    meeting_card,
    request_card,
    requirement_card,
    timeline_row,
)

HOSTILE = [
    "", "plain words", '<script>alert("x")</script>', "a & b ' c \" d > e", "li.wei@example.com & <b>",
    "REQ-22 and MTG-2026-08-20.", "SHA256:" + "A" * 43, "deadbeefcafe1234", "需求 · 预约 <i>", "[bold]rich[/bold]", "\x00\x1b[2J",
]

LINKS = "{% for id, href in links %}{% if not loop.first %}, {% endif %}{% if href %}<a href=\"{{ href }}\">{{ id }}</a>{% else %}<span class=\"mono\">{{ id }}</span>{% endif %}{% else %}<span class=\"muted\">—</span>{% endfor %}"
LINK = "{% if link[1] %}<a href=\"{{ link[1] }}\">{{ link[0] }}</a>{% else %}<span class=\"mono\">{{ link[0] }}</span>{% endif %}"
KEPT = "{% for whole, part in text|whole_words %}{% if whole %}<span class=\"nowrap\">{{ part }}</span>{% else %}{{ part }}{% endif %}{% endfor %}"
CARD = """<article class="card" id="{{ r.id|anchor }}">
<h3>{{ r.id }} · {{ r.title }}</h3>
<p class="meta">{% if r.tests.state == "verified" %}<span class="badge ok">verified</span> {% elif r.tests.state == "failing" %}<span class="badge bad">test failing</span> {% else %}<span class="badge warn">untested</span> {% endif %}{% if r.priority %}<span class="badge">{{ r.priority }}</span> {% endif %}{% if r.status %}<span class="badge">{{ r.status }}</span> {% endif %}{% if r.owner %}owner {{ r.owner }} · {% endif %}<span class="mono">{{ r.path }}</span></p>
<p class="text">""" + KEPT.replace("text|", "r.statement|") + """</p>
{% if r.acceptance %}
<b>Acceptance criteria</b>
<ol class="acceptance">
{% for criterion in r.acceptance %}<li class="text">""" + KEPT.replace("text|", "criterion|") + """</li>
{% endfor %}
</ol>
{% endif %}
{% if r.rationale %}<p class="meta">Rationale: <span class="text">""" + KEPT.replace("text|", "r.rationale|") + """</span></p>{% endif %}
<p class="meta">
{% if r.parents %}Parents: """ + LINKS.replace(" in links ", " in r.parents ") + """ · {% endif %}
{% if r.sources %}Sources: """ + LINKS.replace(" in links ", " in r.sources ") + """ · {% endif %}
{% if r.tags %}Tags: {{ r.tags|join(", ") }} · {% endif %}
{% for key, value in r.extra %}{{ key }}: {{ value }} · {% endfor %}
digest <code>{{ r.digest }}</code></p>
{% if r.tests.run %}<p class="meta">Tests on this signed text: {{ r.tests.state }} in {% if r.tests.href %}<a href="{{ r.tests.href }}">{{ r.tests.run }}</a>{% else %}{{ r.tests.run }}{% endif %} ({{ r.tests.ran }}, commit <code>{{ (r.tests.commit or "")[:12] }}</code>): <span class="mono">{{ r.tests.tests|join(", ") }}</span></p>{% endif %}
</article>"""


def plain(source: str, **values) -> str:
    return environment().from_string(source).render(**values)


@pytest.mark.parametrize("text", [*HOSTILE, None, 12, 0.5])
def test_escaping_and_kept_words_are_what_jinja2_writes(text):
    if text is not None:
        assert _escaped(text) == str(escape(text))
    assert str(kept_html(text)) == plain(KEPT, text=text)


def test_links_are_what_the_template_loops_wrote():
    links = [(text or "x", f"#i-{n}" if n % 2 else "") for n, text in enumerate(HOSTILE)] + [("REQ-1", '#"><script>')]
    for some in (links, links[:1], links[1:2], []):
        assert str(links_html(some)) == plain(LINKS, links=some)
        for link in some:
            assert str(link_html(link)) == plain(LINK, link=link)


def _view(n: int, text: str) -> dict:
    tests = [
        {"state": "untested", "run": None, "ran": None, "commit": None, "tests": [], "path": None, "href": ""},
        {"state": "verified", "run": f"run {text}", "ran": "2026-03-01", "commit": "0123456789abcdef0", "tests": [text, "t2"], "path": "p", "href": "data/x-1.json"},
        {"state": "failing", "run": "run-2", "ran": text, "commit": None, "tests": [], "path": "p", "href": ""},
    ][n % 3]
    return {
        "id": f"REQ-{n}{text[:3]}", "title": text, "statement": f"{text} statement {text}", "acceptance": [text, "second"][: n % 3],
        "priority": text if n % 2 else "", "status": "approved" if n % 4 else "", "owner": text if n % 5 else "",
        "parents": [(f"REQ-{n}", "#i-1"), (text or "y", "")][: n % 3], "sources": [(text or "z", "")] if n % 2 else [],
        "tags": [text, "b"][: n % 3], "extra": [("x-cost", text)] if n % 3 else [], "rationale": text if n % 2 else "",
        "path": f"specs/{text}.yaml", "digest": "sha256:" + "0" * 64, "tests": tests,
    }


def test_a_requirement_card_is_what_the_template_wrote():
    for n, text in enumerate(HOSTILE * 3):
        view = _view(n, text)
        assert str(requirement_card(view)) == plain(CARD, r=view)
    assert "<script>" not in str(requirement_card(_view(1, HOSTILE[2])))


ROW = """<tr><td><a href="{{ m.href }}">{{ m.id }}</a><br><span class="muted">{{ m.title }}</span></td>
<td>{% if m.in_baseline %}<span class="check">✓</span>{% else %}<span class="muted">—</span>{% endif %}</td>
<td>{% if m.at_to %}<span class="check">✓</span>{% else %}<span class="cross">removed</span>{% endif %}</td>
<td>""" + "</td><td>".join(LINKS.replace(" in links ", f" in m.{name} ") for name in ("sources", "requests", "meetings", "emails")) + "</td></tr>"


def test_a_matrix_row_is_what_the_template_wrote():
    for n, text in enumerate(HOSTILE):
        some = [(text or "x", "#a"), ("RQ-1", "")][: n % 3]
        row = {"id": f"REQ-{text}", "href": f"#i-{text}", "title": text, "in_baseline": n % 2 == 0, "at_to": n % 3 != 0,
               "sources": some, "requests": some[::-1], "meetings": [], "emails": some[:1]}
        assert str(matrix_row(row)) == plain(ROW, m=row)


TIMELINE_ROW = """<tr><td class="nowrap"><time datetime="{{ e.date }}">{{ e.shown }}</time></td><td>{% if e.href %}<a href="{{ e.href }}">{{ e.id }}</a>{% else %}{{ e.id }}{% endif %}</td><td>{{ e.kind }} {{ e.relation }}</td><td>{{ (e.summary)|kept_html }}</td></tr>"""


def test_a_timeline_row_is_what_the_template_wrote():
    for n, text in enumerate(HOSTILE):
        event = {"date": f"2026-01-0{n % 9 + 1}{text[:4]}", "shown": text or "x", "id": f"RQ-{text}", "href": f"#i-{text}" if n % 2 else "",
                 "kind": text, "relation": "received" if n % 3 else text, "summary": f"{text} li.wei@example.com {text}"}
        assert str(timeline_row(event)) == plain(TIMELINE_ROW, e=event)


MACROS = """{% macro decision_badge(decision) -%}
{% if decision is none %}<span class="badge warn">no decision</span>
{%- elif decision.status == "approved" %}<span class="badge ok">approved</span>
{%- elif decision.status == "rejected" %}<span class="badge bad">rejected</span>
{%- else %}<span class="badge warn">{{ decision.status }}</span>{% endif %}
{%- endmacro %}
{% macro decision_text(decision) -%}
{% if decision is not none %}{% if decision.as %}as <b>{{ decision.as }}</b>; {% endif %}{% if decision.by %}by {{ (decision.by)|kept_html }}{% endif %}{% if decision.on %} on {{ decision.on }}{% endif %}{% if decision.in %} in {{ decision.in|link_html }}{% endif %}{% if decision.note %} — {{ decision.note }}{% endif %}{% endif %}
{%- endmacro %}
{% macro path(text) -%}
{% for part in text.split("/") %}{% if not loop.first %}/<wbr>{% endif %}{{ part }}{% endfor %}
{%- endmacro %}
"""
REQUEST_CARD = MACROS + """{% for r in [r] %}
<article class="card" id="{{ r.id|anchor }}">
<h3>{{ r.id }} · {{ r.title }}</h3>
<p class="meta">received {{ r.received }}{% if r.from %} from {% if r.person %}{{ r.person }} <span class="muted">(as “{{ (r.from)|kept_html }}”)</span>{% else %}{{ (r.from)|kept_html }}{% endif %}{% endif %}{% if r.channel %} by {{ r.channel }}{% endif %}{% if r.after_delivery %} · <span class="badge warn">after delivery</span>{% endif %}{% if r.claimed %} · claimed as “{{ r.claimed }}”{% endif %}</p>
{% if r.text %}<p class="text">{{ r.text|kept_html }}</p>{% endif %}
<p class="meta">{% if r.affects %}<span class="item">Affects: {{ r.affects|links_html }}</span>{% endif %}{% if r.refs %}<span class="item">Refers to: {{ r.refs|links_html }}</span>{% endif %}{% if r.sources %}<span class="item">Sources: {{ r.sources|links_html }}</span>{% endif %}</p>
<table>
<tbody>
<tr><th style="width:16%">Triage</th><td>{% if r.triage %}<b>{{ r.triage.classification }}</b>{% if r.triage.confidence is not none %} (confidence {{ "%.2f"|format(r.triage.confidence) }}){% endif %} <span class="muted">{{ r.triage.origin }}</span>
{% if r.triage.reasons %}<ul>{% for reason in r.triage.reasons %}<li class="text">{{ (reason)|kept_html }}</li>{% endfor %}</ul>{% endif %}{% if r.triage.mix %}<p class="muted">{{ r.triage.mix }}</p>{% endif %}
{% else %}<span class="muted">not triaged</span>{% endif %}</td></tr>
<tr><th>Decision</th><td>{{ decision_badge(r.decision) }} {{ decision_text(r.decision) }}</td></tr>
</tbody>
</table>
</article>
{% endfor %}"""
MEETING_CARD = """{% for m in [m] %}
<article class="card" id="{{ m.id|anchor }}">
<h3>{{ m.id }} · {{ m.title }}</h3>
<p class="meta">{{ m.date }}{% if m.attendees %} · {{ m.attendees|join(", ") }}{% endif %}{% if m.file %} · <span class="mono">{{ m.file }}</span>{% endif %}</p>
{% if m.decisions %}
<b>Decisions</b>
<ol>
{% for d in m.decisions %}<li><span class="text">{{ d.text|kept_html }}</span>{% if d.approves %} <span class="badge ok">approves</span> {{ d.approves|links_html }}{% endif %}{% if d.rejects %} <span class="badge bad">rejects</span> {{ d.rejects|links_html }}{% endif %}{% if d.refs %} <span class="muted">re</span> {{ d.refs|links_html }}{% endif %}</li>
{% endfor %}
</ol>
{% endif %}
{% if m.body %}<div class="minutes">{{ m.body|kept_html }}</div>{% endif %}
</article>
{% endfor %}"""
EMAIL_ROW = MACROS + """{% for e in [e] %}
<tr id="{{ e.id|anchor }}"><td>{{ e.date }}</td><td>{% if e.mailto %}<a href="{{ e.mailto }}">{{ (e.from)|kept_html }}</a>{% else %}{{ (e.from)|kept_html }}{% endif %}</td><td>{{ e.subject }}<br><span class="muted mono">{{ e.id }}</span>{% for a in e.extracted %}<br><span class="muted">attachment “{{ a.name }}” → <span class="mono">{{ a.member }}</span></span>{% endfor %}</td><td>{{ e.refs|links_html }}</td><td><span class="mono">{{ path(e.file) }}</span></td></tr>
{% endfor %}"""


def _decision(n: int, text: str) -> dict | None:
    if n % 4 == 0:
        return None
    status = ["approved", "rejected", text or "pending"][n % 3]
    return {"as": text if n % 2 else "", "status": status, "by": f"{text} li.wei@example.com" if n % 3 else "", "on": text, "in": (f"MTG-{text}", "#m" if n % 2 else "") if n % 5 else None, "note": text}


def test_request_and_meeting_cards_and_email_rows_are_what_the_template_wrote():
    """The template's loop body, looped once (a for over [x]), wrote the card and the newline after it."""
    written = []
    for n, text in enumerate(HOSTILE * 3):
        some = [(text or "x", "#a"), ("RQ-1", "")][: n % 3]
        triage = None if n % 3 == 0 else {"classification": text, "confidence": [None, 0.5, 1, 0.125][n % 4], "origin": text,
                                           "reasons": [text, f"{text} SHA256:{'B' * 43}"][: n % 3], "matches": [], "baseline": "b",
                                           "mix": [None, text, "this repo's mix of requests: defect 0.61, change 0.04"][n % 3]}
        request = {"id": f"RQ-{n}{text[:3]}", "title": text, "received": text or "2026-01-02", "from": [text, "", None, "a@example.com"][n % 4],
                   "person": text if n % 2 else "", "channel": text if n % 3 else "", "after_delivery": n % 2 == 0, "claimed": text if n % 5 else "",
                   "text": [text, "", None][n % 3], "affects": some, "refs": some[::-1], "sources": some[:1] if n % 2 else [],
                   "triage": triage, "decision": _decision(n, text), "file": ""}
        assert str(request_card(request)) + "\n" == plain(REQUEST_CARD, r=request)
        meeting = {"id": f"MTG-{n}{text[:2]}", "date": text, "title": text, "attendees": [text, "Bo"][: n % 3], "refs": some, "file": text if n % 2 else "",
                   "decisions": [{"text": f"{text} REQ-1", "approves": some, "rejects": some[:1] if n % 2 else [], "refs": [] if n % 3 else some}][: n % 3] * 2,
                   "body": text}
        assert str(meeting_card(meeting)) + "\n" == plain(MEETING_CARD, m=meeting)
        mail = {"id": f"<{text}@x>", "date": text or None, "from": [text, None, "Li <li.wei@example.com>"][n % 3], "mailto": "mailto:li.wei@example.com" if n % 2 else None,
                "subject": text, "extracted": [{"name": text, "member": f"data/{text}"}][: n % 2], "refs": some, "file": f"data/records/{text}/a/b"}
        assert str(email_row(mail)) + "\n" == plain(EMAIL_ROW, e=mail)
        written += [request_card(request), meeting_card(meeting), email_row(mail)]
    assert "<script" not in "".join(written) and "&lt;script&gt;" in "".join(written)


def test_a_batch_of_rows_is_what_a_loop_of_the_filter_wrote():
    """rows_html over in_batches: the lines the template's loop of `{{ item|writer }}` wrote,
    across batch boundaries and for no items at all (the loop's else)."""
    events = [{"date": "2026-01-02", "shown": f"2 Jan {n}", "id": f"RQ-{n}", "href": "", "kind": "request", "relation": HOSTILE[n % len(HOSTILE)],
               "summary": HOSTILE[n % len(HOSTILE)]} for n in range(ROWS_PER_BATCH * 2 + 3)]
    looped = "{% for e in events %}\n{{ e|timeline_row }}\n{% else %}\nnone\n{% endfor %}\n"
    batched = '{% for batch in events|in_batches %}\n{{ batch|rows_html("timeline_row") }}\n{% else %}\nnone\n{% endfor %}\n'
    for some in (events, events[:1], events[:ROWS_PER_BATCH], []):
        assert plain(batched, events=some) == plain(looped, events=some)
