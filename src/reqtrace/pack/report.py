"""The evidence pack's index.html: one self-contained page, rendered with Jinja2.

Everything from the repository or a mail is text: one Environment with
autoescape on and StrictUndefined, no `|safe`, no `Markup` on such text. The
page loads nothing (inline CSS and SVG, a Content-Security-Policy that forbids
the rest), and the only links are in-page anchors and vetted mailto/http(s).
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from itertools import islice
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from reqtrace import __version__
from reqtrace.changes.worddiff import word_diff
from reqtrace.core.model import natural_key
from reqtrace.io.archive import short_hash, slug
from reqtrace.io.clock import shown_moment
from reqtrace.pack.contents import (
    Layout,
    MadeAsWalked,
    PackContents,
    date_key,
    document_view,
    email_view,
    plain,
)
from reqtrace.pack.svg import MAX_GRAPH_NODES, layout_graph

if TYPE_CHECKING:
    from reqtrace.core.people import People

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
LIST_FIELDS = ("acceptance", "parents", "sources", "tags")


@cache
def anchor(item_id: object) -> str:
    """An element id for an item: readable, unique, and never raw user text."""
    text = str(item_id)
    return f"i-{slug(text, 30) or 'x'}-{short_hash(text)[:8]}"


def safe_href(url: object) -> str | None:
    """`url` when it is an http, https or mailto link; None for anything else (javascript:, data:, …)."""
    text = str(url).strip()
    if any(ord(ch) < 0x21 for ch in text):
        return None
    parts = urlsplit(text)
    if parts.scheme in ("http", "https") and parts.netloc:
        return text
    if parts.scheme == "mailto" and _EMAIL.match(parts.path):
        return text
    return None


def mail_address(text: str) -> str | None:
    match = re.search(r"<([^<>\s]+@[^<>\s]+)>", text) or re.search(r"([^<>\s]+@[^<>\s]+)", text)
    if match and _EMAIL.match(match.group(1)):
        return match.group(1)
    return None


# What a browser must not break across lines: an email address or an id such as REQ-22 or
# MTG-2026-08-20 (Chromium breaks after any hyphen), a key fingerprint, a commit id or digest.
_UNBREAKABLE = re.compile(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|SHA256:[A-Za-z0-9+/]{43}|\b[0-9a-f]{12,64}\b"
    r"|\b(?=[A-Za-z0-9_]*-[A-Za-z0-9_.-]*\d)[A-Za-z0-9_]+(?:-[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)+"
)


# Each alternative of _UNBREAKABLE needs one of these: an '@', 'SHA256:', twelve hex digits
# in a row, or a '-' (an id). Most statements have none of them, and this test is a tenth of
# the cost of running _UNBREAKABLE over them (it tries its look-ahead at every word).
_HEX_RUN = re.compile(r"[0-9a-f]{12}")


def whole_words(text: object) -> list[tuple[bool, str]]:
    """`text` as (keep whole, part) pairs, for the template to put each address, fingerprint or
    hash in a no-wrap span; the parts are plain text, escaped like any other value."""
    text = "" if text is None else str(text)
    if "@" not in text and "-" not in text and "SHA256:" not in text and _HEX_RUN.search(text) is None:
        return [(False, text)]
    parts: list[tuple[bool, str]] = []
    at = 0
    for match in _UNBREAKABLE.finditer(text):
        if match.start() > at:
            parts.append((False, text[at:match.start()]))
        parts.append((True, match.group()))
        at = match.end()
    if at < len(text) or not parts:
        parts.append((False, text[at:]))
    return parts


# The page's hottest pieces as filters, not template loops: a list of links (the matrix has four
# per requirement) and a text with whole words (each statement and criterion). Each writes the
# markup its template loop wrote, and every text it takes from the repository goes through
# _escaped, which writes what markupsafe.escape writes: the Markup returned holds nothing unescaped.
# A Jinja2 loop with `loop.first` costs a loop context and a dozen calls per item; this, one.
_NO_LINK = Markup('<span class="muted">—</span>')


def _escaped(value: object) -> str:
    """markupsafe.escape's text (& < > ' " as it writes them), without making a Markup per value."""
    text = value if type(value) is str else str(value)
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text or ">" in text:
        text = text.replace("<", "&lt;").replace(">", "&gt;")
    if "'" in text or '"' in text:
        text = text.replace("'", "&#39;").replace('"', "&#34;")
    return text


def _link_markup(item_id: object, href: object) -> str:
    if href:
        return f'<a href="{_escaped(href)}">{_escaped(item_id)}</a>'
    return f'<span class="mono">{_escaped(item_id)}</span>'


def link_html(link: Link) -> Markup:
    """One link: to the item's card when the pack holds it, else the id as plain text."""
    return Markup(_link_markup(*link))  # noqa: S704 - built from escaped parts only


def _links_text(links: Iterable[Link]) -> str:
    joined = ", ".join([_link_markup(item_id, href) for item_id, href in links])
    return joined or _NO_LINK


def links_html(links: Iterable[Link]) -> Markup:
    """Links separated by ', '; a dash when there are none."""
    return Markup(_links_text(links))  # noqa: S704 - built from escaped parts only


def _kept_text(text: object) -> str:
    parts = whole_words(text)
    if len(parts) == 1 and not parts[0][0]:
        return _escaped(parts[0][1])
    return "".join([f'<span class="nowrap">{_escaped(part)}</span>' if whole else _escaped(part) for whole, part in parts])


def kept_html(text: object) -> Markup:
    """`text` escaped, with each address, fingerprint or hash (whole_words) in a no-wrap span."""
    return Markup(_kept_text(text))  # noqa: S704 - escaped parts only


# Inside requirement_card and matrix_row, which make one Markup of the whole card or row, the
# pieces are plain text already escaped (_links_text, _kept_text): a Markup per piece, 100,000
# of them at 10,000 requirements, would only be turned back into text.


_TEST_BADGES = {"verified": '<span class="badge ok">verified</span> ', "failing": '<span class="badge bad">test failing</span> '}


def _requirement_card(r: dict[str, Any]) -> str:
    """One requirement of the baseline as index.html shows it (a view of _requirement_view with
    its tests): the markup the template wrote for it, every value escaped (_escaped). The
    largest section of the page, 9,600 cards at 10,000 requirements, in one call each."""
    e = _escaped
    tests = r["tests"]
    parts = [f'<article class="card" id="{e(anchor(r["id"]))}">\n<h3>{e(r["id"])} · {e(r["title"])}</h3>\n<p class="meta">',
             _TEST_BADGES.get(tests["state"], '<span class="badge warn">untested</span> ')]
    if r["priority"]:
        parts.append(f'<span class="badge">{e(r["priority"])}</span> ')
    if r["status"]:
        parts.append(f'<span class="badge">{e(r["status"])}</span> ')
    if r["owner"]:
        parts.append(f"owner {e(r['owner'])} · ")
    parts.append(f'<span class="mono">{e(r["path"])}</span></p>\n<p class="text">{_kept_text(r["statement"])}</p>\n')
    if r["acceptance"]:
        parts.append('<b>Acceptance criteria</b>\n<ol class="acceptance">\n')
        parts.extend(f'<li class="text">{_kept_text(criterion)}</li>\n' for criterion in r["acceptance"])
        parts.append("</ol>\n")
    if r["rationale"]:
        parts.append(f'<p class="meta">Rationale: <span class="text">{_kept_text(r["rationale"])}</span></p>')
    parts.append('<p class="meta">\n')
    if r["parents"]:
        parts.append(f"Parents: {_links_text(r['parents'])} · ")
    if r["sources"]:
        parts.append(f"Sources: {_links_text(r['sources'])} · ")
    if r["tags"]:
        parts.append(f"Tags: {e(', '.join(map(str, r['tags'])))} · ")
    parts.extend(f"{e(key)}: {e(value)} · " for key, value in r["extra"])
    parts.append(f'digest <code>{e(r["digest"])}</code></p>\n')
    if tests["run"]:
        run = f'<a href="{e(tests["href"])}">{e(tests["run"])}</a>' if tests["href"] else e(tests["run"])
        parts.append(f'<p class="meta">Tests on this signed text: {e(tests["state"])} in {run} ({e(tests["ran"])}, commit '
                     f'<code>{e((tests["commit"] or "")[:12])}</code>): <span class="mono">{e(", ".join(map(str, tests["tests"])))}</span></p>')
    parts.append("</article>")
    return "".join(parts)

def requirement_card(r: dict[str, Any]) -> Markup:
    """_requirement_card as Markup: every value in it went through _escaped or an escaping writer."""
    return Markup(_requirement_card(r))  # noqa: S704 - escaped parts only



def _matrix_row(m: dict[str, Any]) -> str:
    """One row of the traceability matrix (a row of _traceability_matrix): the markup the
    template wrote for it, every value escaped (_escaped)."""
    e = _escaped
    return (
        f'<tr><td><a href="{e(m["href"])}">{e(m["id"])}</a><br><span class="muted">{e(m["title"])}</span></td>\n'
        f'<td>{_IN_BASELINE[bool(m["in_baseline"])]}</td>\n<td>{_AT_TO[bool(m["at_to"])]}</td>\n'
        f'<td>{_links_text(m["sources"])}</td><td>{_links_text(m["requests"])}</td><td>{_links_text(m["meetings"])}</td><td>{_links_text(m["emails"])}</td></tr>'
    )

def matrix_row(m: dict[str, Any]) -> Markup:
    """_matrix_row as Markup: every value in it went through _escaped or an escaping writer."""
    return Markup(_matrix_row(m))  # noqa: S704 - escaped parts only



def _timeline_row(e: dict[str, Any]) -> str:
    """One row of the timeline (an event with its shown date and link): the markup the template
    wrote for it, every value escaped (_escaped). Thousands per page: one call each."""
    v = _escaped
    item = f'<a href="{v(e["href"])}">{v(e["id"])}</a>' if e["href"] else v(e["id"])
    return (
        f'<tr><td class="nowrap"><time datetime="{v(e["date"])}">{v(e["shown"])}</time></td><td>{item}</td>'
        f'<td>{v(e["kind"])} {v(e["relation"])}</td><td>{_kept_text(e["summary"])}</td></tr>'
    )

def timeline_row(e: dict[str, Any]) -> Markup:
    """_timeline_row as Markup: every value in it went through _escaped or an escaping writer."""
    return Markup(_timeline_row(e))  # noqa: S704 - escaped parts only



_DECISION_BADGES = {"approved": '<span class="badge ok">approved</span>', "rejected": '<span class="badge bad">rejected</span>'}


def _decision_badge(decision: dict[str, Any] | None) -> str:
    """The template's macro decision_badge, as escaped text."""
    if decision is None:
        return '<span class="badge warn">no decision</span>'
    status = decision["status"]
    return _DECISION_BADGES.get(status) or f'<span class="badge warn">{_escaped(status)}</span>'


def _decision_text(decision: dict[str, Any] | None) -> str:
    """The template's macro decision_text, as escaped text."""
    if decision is None:
        return ""
    e = _escaped
    parts = []
    if decision["as"]:
        parts.append(f"as <b>{e(decision['as'])}</b>; ")
    if decision["by"]:
        parts.append(f"by {_kept_text(decision['by'])}")
    if decision["on"]:
        parts.append(f" on {e(decision['on'])}")
    if decision["in"]:
        parts.append(f" in {_link_markup(*decision['in'])}")
    if decision["note"]:
        parts.append(f" — {e(decision['note'])}")
    return "".join(parts)


def _request_card(r: dict[str, Any]) -> str:
    """One request (a view of _request_views) as index.html shows it: the markup the template
    wrote for it, every value escaped (_escaped). A card per request, 25,000 at 100,000
    requirements: one call each instead of a template loop with two macro calls."""
    e = _escaped
    parts = [f'<article class="card" id="{e(anchor(r["id"]))}">\n<h3>{e(r["id"])} · {e(r["title"])}</h3>\n<p class="meta">received {e(r["received"])}']
    if r["from"]:
        parts.append(f' from {e(r["person"])} <span class="muted">(as “{_kept_text(r["from"])}”)</span>' if r["person"] else f" from {_kept_text(r['from'])}")
    if r["channel"]:
        parts.append(f" by {e(r['channel'])}")
    if r["after_delivery"]:
        parts.append(' · <span class="badge warn">after delivery</span>')
    if r["claimed"]:
        parts.append(f" · claimed as “{e(r['claimed'])}”")
    parts.append("</p>\n")
    if r["text"]:
        parts.append(f'<p class="text">{_kept_text(r["text"])}</p>')
    parts.append('<p class="meta">')
    if r["affects"]:
        parts.append(f'<span class="item">Affects: {_links_text(r["affects"])}</span>')
    if r["refs"]:
        parts.append(f'<span class="item">Refers to: {_links_text(r["refs"])}</span>')
    if r["sources"]:
        parts.append(f'<span class="item">Sources: {_links_text(r["sources"])}</span>')
    parts.append('</p>\n<table>\n<tbody>\n<tr><th style="width:16%">Triage</th><td>')
    triage = r["triage"]
    if triage:
        parts.append(f"<b>{e(triage['classification'])}</b>")
        if triage["confidence"] is not None:
            parts.append(f" (confidence {e('%.2f' % triage['confidence'])})")  # noqa: UP031 - the % of Jinja2's format filter, as the template wrote it
        parts.append(f' <span class="muted">{e(triage["origin"])}</span>\n')
        if triage["reasons"]:
            parts.append("<ul>" + "".join([f'<li class="text">{_kept_text(reason)}</li>' for reason in triage["reasons"]]) + "</ul>")
        if triage.get("mix"):  # computed with the repo's mix of requests: the line `reqtrace triage` prints
            parts.append(f'<p class="muted">{e(triage["mix"])}</p>')
    else:
        parts.append('<span class="muted">not triaged</span>')
    decision = r["decision"]
    parts.append(f"</td></tr>\n<tr><th>Decision</th><td>{_decision_badge(decision)} {_decision_text(decision)}</td></tr>\n</tbody>\n</table>\n</article>")
    return "".join(parts)

def request_card(r: dict[str, Any]) -> Markup:
    """_request_card as Markup: every value in it went through _escaped or an escaping writer."""
    return Markup(_request_card(r))  # noqa: S704 - escaped parts only



def _meeting_card(m: dict[str, Any]) -> str:
    """One meeting (a view of _meeting_views) as index.html shows it: the markup the template
    wrote for it, every value escaped (_escaped)."""
    e = _escaped
    parts = [f'<article class="card" id="{e(anchor(m["id"]))}">\n<h3>{e(m["id"])} · {e(m["title"])}</h3>\n<p class="meta">{e(m["date"])}']
    if m["attendees"]:
        parts.append(f" · {e(', '.join(map(str, m['attendees'])))}")
    if m["file"]:
        parts.append(f' · <span class="mono">{e(m["file"])}</span>')
    parts.append("</p>\n")
    if m["decisions"]:
        parts.append("<b>Decisions</b>\n<ol>\n")
        for d in m["decisions"]:
            parts.append(f'<li><span class="text">{_kept_text(d["text"])}</span>')
            if d["approves"]:
                parts.append(f' <span class="badge ok">approves</span> {_links_text(d["approves"])}')
            if d["rejects"]:
                parts.append(f' <span class="badge bad">rejects</span> {_links_text(d["rejects"])}')
            if d["refs"]:
                parts.append(f' <span class="muted">re</span> {_links_text(d["refs"])}')
            parts.append("</li>\n")
        parts.append("</ol>\n")
    if m["body"]:
        parts.append(f'<div class="minutes">{_kept_text(m["body"])}</div>')
    parts.append("</article>")
    return "".join(parts)

def meeting_card(m: dict[str, Any]) -> Markup:
    """_meeting_card as Markup: every value in it went through _escaped or an escaping writer."""
    return Markup(_meeting_card(m))  # noqa: S704 - escaped parts only



def _email_row(m: dict[str, Any]) -> str:
    """One e-mail's row (a view of _email_views): the markup the template wrote for it, every
    value escaped (_escaped); a path may wrap after a slash (the template's macro path)."""
    e = _escaped
    sender = _kept_text(m["from"])
    attachments = "".join([f'<br><span class="muted">attachment “{e(a["name"])}” → <span class="mono">{e(a["member"])}</span></span>' for a in m["extracted"]])
    return (
        f'<tr id="{e(anchor(m["id"]))}"><td>{e(m["date"])}</td><td>'
        + (f'<a href="{e(m["mailto"])}">{sender}</a>' if m["mailto"] else sender)
        + f'</td><td>{e(m["subject"])}<br><span class="muted mono">{e(m["id"])}</span>{attachments}</td><td>{_links_text(m["refs"])}</td>'
        f'<td><span class="mono">{"/<wbr>".join([e(part) for part in str(m["file"]).split("/")])}</span></td></tr>'
    )

def email_row(m: dict[str, Any]) -> Markup:
    """_email_row as Markup: every value in it went through _escaped or an escaping writer."""
    return Markup(_email_row(m))  # noqa: S704 - escaped parts only



# The sections of thousands of items are written a batch at a time: one filter call per batch
# (rows_html) writes each item's markup with the writer named and joins them. Jinja2's loop
# context, its escape() of each filter's Markup and a yield per piece cost as much per item as
# a card's own markup (a million pieces at 100,000 requirements).
ROWS_PER_BATCH = 256


def in_batches(items: Iterable[Any]) -> Iterator[list[Any]]:
    """`items` as lists of ROWS_PER_BATCH (the last shorter); none when there are no items."""
    them = iter(items)
    while batch := list(islice(them, ROWS_PER_BATCH)):
        yield batch


def rows_html(batch: Iterable[Any], writer: str) -> Markup:
    """Each item of `batch` written by the writer named (_ROW_WRITERS), one per line: what the
    template wrote with a loop of `{{ item|writer }}` lines, less the last line's newline."""
    write = _ROW_WRITERS[writer]
    return Markup("\n".join([write(item) for item in batch]))  # noqa: S704 - each writer escapes every value


_IN_BASELINE = {True: '<span class="check">✓</span>', False: '<span class="muted">—</span>'}
_AT_TO = {True: '<span class="check">✓</span>', False: '<span class="cross">removed</span>'}


_ROW_WRITERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "requirement_card": _requirement_card, "matrix_row": _matrix_row, "timeline_row": _timeline_row,
    "request_card": _request_card, "meeting_card": _meeting_card, "email_row": _email_row,
}


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(Environment):
    """Jinja2's Environment, with `x.name` on a page model's dict looked up as a key first.

    Jinja2 tries the attribute first: on a dict that raises and catches an
    AttributeError, half a million times for a pack's page. The answer is the same
    — a name that is not an attribute of dict can only be a key — and a name that
    is (`items`, `get`) is left to Jinja2 as before.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


@cache
def environment() -> Environment:
    """The one Jinja2 environment of reqtrace's HTML."""
    env = _Environment(
        loader=PackageLoader("reqtrace", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["anchor"] = anchor
    env.filters["safe_href"] = safe_href
    env.filters["whole_words"] = whole_words
    env.filters["link_html"] = link_html
    env.filters["links_html"] = links_html
    env.filters["kept_html"] = kept_html
    env.filters["requirement_card"] = requirement_card
    env.filters["matrix_row"] = matrix_row
    env.filters["timeline_row"] = timeline_row
    env.filters["request_card"] = request_card
    env.filters["meeting_card"] = meeting_card
    env.filters["email_row"] = email_row
    env.filters["in_batches"] = in_batches
    env.filters["rows_html"] = rows_html
    return env


# ----------------------------------------------------------------- diff views


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "; ".join(_as_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_as_text(v)}" for k, v in value.items())
    return str(value)


_OPS = {"=": "same", "-": "del", "+": "ins"}


def field_view(change: dict[str, Any]) -> dict[str, Any]:
    """How one changed field is shown: the diff's word segments, its list items removed and
    added, or the value before and after."""
    name, before, after = change["field"], change.get("before"), change.get("after")
    if "added" in change or "removed" in change or (name in LIST_FIELDS and isinstance(before, list | None) and isinstance(after, list | None)):
        old, new = [str(v) for v in before or []], [str(v) for v in after or []]
        removed = [str(v) for v in change.get("removed", [v for v in old if v not in new])]
        added = [str(v) for v in change.get("added", [v for v in new if v not in old])]
        return {"field": name, "kind": "list", "removed": removed, "added": added, "kept": [v for v in new if v in old], "reordered": bool(change.get("reordered"))}
    if before is None or after is None:
        return {"field": name, "kind": "value", "before": _as_text(before), "after": _as_text(after)}
    words = change.get("words") or [list(segment) for segment in word_diff(_as_text(before), _as_text(after))]
    return {"field": name, "kind": "text", "segments": [(_OPS.get(op, "same"), text) for op, text in words]}


# ---------------------------------------------------------------- page model


Link = tuple[str, str]  # (id, "#anchor"), or (id, "") when the id names nothing in the pack
MAX_FILE_ROWS = 2000  # beyond this the page points to data/files.json


def _decision_view(request: Any, link: Any) -> dict[str, Any] | None:
    decision = request.decision
    if decision is None:
        return None
    return {"as": decision.as_ or "", "status": decision.status, "by": decision.by or "", "on": decision.on or "", "in": link(decision.in_) if decision.in_ else None, "note": decision.note or ""}


def _requirement_view(req: Any, digest: str, links: Any) -> dict[str, Any]:
    return {
        "id": req.id,
        "title": req.title,
        "statement": req.statement,
        "acceptance": list(req.acceptance),
        "priority": req.priority or "",
        "status": req.status or "",
        "parents": links(req.parents),
        "sources": links(req.sources),
        "tags": list(req.tags),
        "owner": req.owner or "",
        "rationale": req.rationale or "",
        "extra": [(k, str(v)) for k, v in req.extra],
        "path": req.path,
        "digest": digest,
    }


def _person_if_other(people: People, written: str | None) -> str:
    """The person's one name (reqtrace.yaml's `people:`) when it is not what was written."""
    person = people.identify(written)
    return person.name if person and person.name != " ".join((written or "").split()) else ""


class _Links:
    """How the page links an id: to its card when the pack holds the item, else as plain text."""

    def __init__(self, contents: PackContents, requests: dict[str, Any]) -> None:
        to = contents.to
        self.known = set(to.all_ids()) | set(contents.base.requirements)
        self.known.add(contents.baseline.name)
        self.requests = requests

    def link(self, item_id: str) -> Link:
        return (item_id, "#" + anchor(item_id)) if item_id in self.known else (item_id, "")

    def links(self, ids: Any) -> list[Link]:
        return [self.link(item_id) for item_id in ids]

    def request(self, rid: str) -> dict[str, Any]:
        rq = self.requests.get(rid)
        return {"link": self.link(rid), "title": rq.title if rq else "", "decision": _decision_view(rq, self.link) if rq else None}


def _members_at_to(contents: PackContents, layout: Layout) -> dict[str, str]:
    """The member holding each original file at --to (or made by the build), by its path."""
    commit = contents.to.commit
    return {
        path: member
        for member, origin in layout.origins.items()
        if (path := origin["path"]) is not None and "attachment" not in origin and (origin.get("commit") == commit or origin.get("commit") is None)
    }


def _change_views(contents: PackContents, links: _Links) -> list[dict[str, Any]]:
    """Each change since the baseline, with the requests that approve it and the others about it."""
    base, to = contents.base, contents.to
    affecting: dict[str, list[str]] = {}
    for rq in links.requests.values():
        for rid in rq.affects:
            affecting.setdefault(rid, []).append(rq.id)
    changes = []
    for change in contents.changes:
        req = to.requirements.get(change["id"]) or base.requirements.get(change["id"])
        covered = set(change["approved_by"])
        changes.append(
            {
                "id": change["id"],
                "link": links.link(change["id"]),
                "change": change["change"],
                "title": req.title if req else "",
                "path": change["path"],
                "approved": change["approved"],
                "approved_by": [links.request(rid) for rid in change["approved_by"]],
                "other_requests": [links.request(rid) for rid in affecting.get(change["id"], []) if rid not in covered],
                "fields": [field_view(f) for f in change["fields"]],
                "anchor_here": change["id"] not in base.requirements,  # added: no card above to link to
            }
        )
    return changes


def _request_views(contents: PackContents, links: _Links, member_of: dict[str, str]) -> MadeAsWalked:
    """Each request's card view (made as the page is written: 25,000 at 100,000 requirements)."""
    people, delivery = contents.to.config.people, contents.baseline.delivery_date
    return MadeAsWalked(len(links.requests), lambda: (
        {
            "id": rq.id,
            "received": rq.received,
            "from": rq.from_ or "",
            "person": _person_if_other(people, rq.from_),
            "channel": rq.channel or "",
            "title": rq.title,
            "text": rq.text,
            "claimed": rq.claimed or "",
            "affects": links.links(rq.affects),
            "refs": links.links(rq.refs),
            "sources": links.links(rq.sources),
            "triage": contents.triage.get(rq.id),
            "decision": _decision_view(rq, links.link),
            "after_delivery": _after_delivery(rq, delivery),
            "file": member_of.get(rq.path, ""),
        }
        for rq in links.requests.values()
    ))


def _after_delivery(request: Any, delivery: str | None) -> bool:
    return bool(delivery) and date_key(request.received) > date_key(delivery)  # type: ignore[arg-type]


def _traceability_matrix(contents: PackContents, links: _Links) -> MadeAsWalked:
    """Every requirement at --to (and those removed since the baseline) with the records about it
    (each row made as the page is written)."""
    base, to, graph = contents.base, contents.to, contents.graph
    # Requirement id -> the records on one edge with it, a list per column (emails and documents
    # share one): lists, deduplicated as each row is made — a dict of four sets per requirement
    # was 85 MB at 100,000 requirements.
    requests: dict[str, list[str]] = {}
    meetings: dict[str, list[str]] = {}
    mails: dict[str, list[str]] = {}
    column = {"request": requests, "meeting": meetings, "email": mails, "document": mails}
    kinds = {node.id: node.kind for node in graph.nodes.values()}
    for edge in graph.edges:
        source, target = edge.source, edge.target
        source_kind, target_kind = kinds.get(source), kinds.get(target)
        if target_kind == "requirement" and source_kind in column:
            column[source_kind].setdefault(target, []).append(source)  # type: ignore[index]
        if source_kind == "requirement" and target_kind in column:
            column[target_kind].setdefault(source, []).append(target)  # type: ignore[index]
    ids = sorted(set(to.requirements) | set(base.requirements), key=natural_key)
    none: list[str] = []

    def rows() -> Iterator[dict[str, Any]]:
        for rid in ids:
            req = to.requirements.get(rid) or base.requirements[rid]
            yield {
                "id": rid,
                "href": "#" + anchor(rid),
                "title": req.title,
                "in_baseline": rid in contents.baseline.digests,
                "at_to": rid in to.requirements,
                "sources": links.links(req.sources),
                "requests": links.links(sorted(set(requests.get(rid, none)), key=natural_key)),
                "meetings": links.links(sorted(set(meetings.get(rid, none)), key=natural_key)),
                "emails": links.links(sorted(set(mails.get(rid, none)), key=natural_key)),
            }

    return MadeAsWalked(len(ids), rows)


def _email_views(contents: PackContents, layout: Layout, links: _Links, member_of: dict[str, str]) -> list[dict[str, Any]]:
    emails = []
    for mail in sorted(contents.to.emails.values(), key=lambda m: (date_key(email_view(m)["date"]), natural_key(m.id))):
        view = email_view(mail)
        address = mail_address(view["from"])
        view["mailto"] = safe_href(f"mailto:{address}") if address else None
        view["refs"] = links.links(view["refs"])
        view["file"] = member_of.get(view["message"], "") or member_of.get(view["path"], "")
        view["extracted"] = [{"name": name, "member": member} for name, member in layout.attachments.get(view["message"], [])]
        emails.append(view)
    return emails


def _document_views(contents: PackContents, member_of: dict[str, str]) -> list[dict[str, Any]]:
    documents = []
    for doc in sorted(contents.to.documents.values(), key=lambda d: natural_key(d.id)):
        view = document_view(doc)
        view["member"] = member_of.get(view["file"], "") or member_of.get(view["path"], "")
        documents.append(view)
    return documents


def _meeting_views(contents: PackContents, links: _Links, member_of: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "id": mtg.id,
            "date": mtg.date,
            "title": mtg.title,
            "attendees": list(mtg.attendees),
            "refs": links.links(mtg.refs),
            "decisions": [
                {"text": d.text, "approves": links.links(d.approves), "rejects": links.links(d.rejects), "refs": links.links(d.refs)} for d in mtg.decisions
            ],
            "body": mtg.body.strip(),
            "file": member_of.get(mtg.path, ""),
        }
        for mtg in sorted(contents.to.meetings.values(), key=lambda m: (date_key(m.date), natural_key(m.id)))
    ]


def _signoff_views(contents: PackContents, layout: Layout) -> list[dict[str, Any]]:
    people = contents.to.config.people
    # Only the sign-offs' own paths: the member of every original (160,000 at 100,000
    # requirements) was a map made for a handful of them.
    wanted = {s.signoff.path for s in contents.baseline.signoffs}
    signoff_member = {path: member for member, origin in layout.origins.items() if (path := origin["path"]) in wanted and "attachment" not in origin}
    return [
        {
            "signer": s.signoff.signer,
            "person": _person_if_other(people, s.signoff.signer),
            "role": s.signoff.role or "",
            "meaning": s.signoff.meaning,
            "time": s.signoff.time,
            "method": s.signoff.method,
            "status": s.status,
            "detail": s.detail,
            "revoked": s.revoked or "",
            "comment": s.signoff.comment or "",
            "evidence": s.evidence_path or "",
            "evidence_sha256": s.evidence_sha256 or "",
            "file": signoff_member.get(s.signoff.path, ""),
        }
        for s in contents.baseline.signoffs
    ]


def _baseline_requirement_views(contents: PackContents, links: _Links, member_of: dict[str, str]) -> MadeAsWalked:
    """The baseline's requirements as signed, each with its test evidence (made as the page is written)."""
    base, baseline = contents.base, contents.baseline
    ids = sorted(base.requirements, key=natural_key)

    def views() -> Iterator[dict[str, Any]]:
        for rid in ids:
            view = _requirement_view(base.requirements[rid], baseline.digests.get(rid) or contents.digest(base.requirements[rid]), links.links)
            found = contents.tests.get(rid) or _UNTESTED
            view["tests"] = {**found, "href": member_of.get(found.get("path") or "", "")}
            yield view

    return MadeAsWalked(len(ids), views)


_UNTESTED: dict[str, Any] = {"state": "untested", "run": None, "ran": None, "commit": None, "tests": [], "path": None}


def _file_rows(layout: Layout) -> list[dict[str, str]]:
    """The first MAX_FILE_ROWS members by name, as the page lists them (data/files.json has all:
    160,000 at 100,000 requirements)."""
    origins = layout.origins
    return [
        {"member": m, "path": o["path"] or "", "attachment": o.get("attachment") or "", "commit": (o.get("commit") or "")[:12]}
        for m, o in ((m, origins[m]) for m in heapq.nsmallest(MAX_FILE_ROWS, origins))
    ]


def page_model(contents: PackContents, layout: Layout) -> dict[str, Any]:
    """Everything index.html shows, as plain data for the template: one named stage per section."""
    base, to, baseline = contents.base, contents.to, contents.baseline
    member_of = _members_at_to(contents, layout)
    links = _Links(contents, {rid: to.requests[rid] for rid in sorted(to.requests, key=natural_key)})
    changes = _change_views(contents, links)
    request_views = _request_views(contents, links, member_of)
    meetings = _meeting_views(contents, links, member_of)
    emails = _email_views(contents, layout, links, member_of)
    documents = _document_views(contents, member_of)
    signoffs = _signoff_views(contents, layout)
    base_requirements = _baseline_requirement_views(contents, links, member_of)
    tested = [(contents.tests.get(rid) or _UNTESTED)["state"] for rid in contents.base.requirements]
    matrix = _traceability_matrix(contents, links)
    svg = layout_graph(contents.graph.nodes, contents.graph.edges, focus={c["id"] for c in contents.changes})
    unapproved = sum(1 for c in contents.changes if not c["approved"])
    story_since, story_accepted = contents.story
    return {
        "csp": CSP,
        "project": to.config.project,
        "customer": to.config.customer or "",
        "baseline": {
            "name": baseline.name,
            "commit": baseline.commit,
            "root_digest": baseline.baseline.root_digest,
            "algorithm": baseline.baseline.algorithm,
            "created": baseline.created or "",
            "created_by": baseline.baseline.created_by or "",
            "delivery_date": baseline.delivery_date or "",
            "delivery_from": baseline.delivery_from or "",
            "problems": list(baseline.problems),
        },
        "to": {"ref": contents.to_ref, "commit": to.commit or "working tree (uncommitted)"},
        "built": contents.built_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "built_from": contents.built_from,
        "version": __version__,
        "counts": {
            "baseline_requirements": len(base.requirements),
            "to_requirements": len(to.requirements),
            "changes": len(changes),
            "unapproved": unapproved,
            "requests": len(request_views),
            "requests_after_delivery": sum(1 for rq in links.requests.values() if _after_delivery(rq, baseline.delivery_date)),
            "meetings": len(meetings),
            "emails": len(emails),
            "documents": len(documents),
            "signoffs": len(signoffs),
            "verified": tested.count("verified"),
            "failing": tested.count("failing"),
            "untested": tested.count("untested"),
        },
        "since_first_signed": story_since and {**story_since, "unapproved_links": links.links(story_since["unapproved_ids"])},
        "accepted_without_approval": story_accepted and {**story_accepted, "links": links.links(story_accepted["ids"])},
        "chart": contents.chart,
        "signoffs": signoffs,
        "requirements": base_requirements,
        "changes": changes,
        "requests": request_views,
        "matrix": matrix,
        # Made as the page is written: an event per dated record, 100,000 and more.
        "timeline": MadeAsWalked(len(contents.timeline), lambda: ({**plain(e), "shown": shown_moment(e.date), "href": links.link(e.id)[1]} for e in contents.timeline)),
        "meetings": meetings,
        "emails": emails,
        "documents": documents,
        "graph": svg,
        "graph_cap": MAX_GRAPH_NODES,
        "files": _file_rows(layout),
        "file_count": len(layout.origins),
        "files_shown": MAX_FILE_ROWS,
    }


def render_status_chart(status: dict[str, Any], chart: dict[str, Any] | None) -> str:
    """`status --chart`: an offline page with the story's figures and the chart (status_chart)."""
    where = f"commit {status['rev'][:12]}" if status.get("rev") else "the working tree"
    return environment().get_template("status/chart.html.j2").render(
        csp=CSP, version=__version__, project=status["project"], customer=status.get("customer") or "", where=where,
        since_first_signed=status.get("since_first_signed"), accepted_without_approval=status.get("accepted_without_approval"), chart=chart,
    )


def render_pack_html(contents: PackContents, layout: Layout) -> str:
    return environment().get_template("pack/index.html.j2").render(**page_model(contents, layout))


_PIECES_PER_BATCH = 4096
_CHARACTERS_PER_BATCH = 1 << 18


def render_pack_page(contents: PackContents, layout: Layout) -> Iterator[bytes]:
    """index.html as UTF-8 pieces: the same bytes as `render_pack_html`, encoded as the
    template yields them, for the archive to deflate as they come (archive.add_stream).
    At 100,000 requirements the page is 190 MB of UTF-8, twice that or more as one
    Python string, and ten million pieces before a join: it is never held whole.
    A batch is cut at _PIECES_PER_BATCH pieces or _CHARACTERS_PER_BATCH characters,
    whichever comes first: a piece may be '', or a batch of hundreds of cards (rows_html)."""
    pieces = environment().get_template("pack/index.html.j2").generate(**page_model(contents, layout))
    batch: list[str] = []
    size = 0
    for piece in pieces:
        batch.append(piece)
        size += len(piece)
        if len(batch) >= _PIECES_PER_BATCH or size >= _CHARACTERS_PER_BATCH:
            yield "".join(batch).encode("utf-8")
            batch.clear()
            size = 0
    if batch:
        yield "".join(batch).encode("utf-8")
