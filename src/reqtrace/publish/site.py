"""`reqtrace publish`: the whole spec as static HTML that opens offline.

One page per document (the default: a reader opens the document they need,
and a page of 10,000 requirements is slow to open) or `--single-page`, plus an
index page with the documents as a tree and a search box. Every page is
self-contained: inline CSS, one inline script allowed by its hash in the
Content-Security-Policy, no request to anything outside. The facts come from
the modules that own them: the outline (documents and sections), the evidence
graph and `trace_item` (records that touched a requirement), the baselines
module (which baseline holds it, who signed) and `diff_revisions` (changed
since the accepted baseline or not).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from reqtrace import __version__
from reqtrace.baselines.baseline import (
    AcceptedUnknown,
    Baseline,
    folder_of,
    resolve_read_at,
    scan_baselines,
)
from reqtrace.changes.diff import ADDED, MODIFIED, MOVED, diff_revisions
from reqtrace.core.model import Requirement, Snapshot, natural_key
from reqtrace.core.parse_cache import PackedParseCache, ParseCache
from reqtrace.core.snapshot import WORKTREE, load_snapshot
from reqtrace.core.structure import Document, Section, TextNode, outline
from reqtrace.errors import InputError, OutputError
from reqtrace.graph.graph import baseline_date, build_graph, load_graph_baselines
from reqtrace.graph.trace import trace_item
from reqtrace.io.archive import short_hash, slug
from reqtrace.io.files import atomic_write
from reqtrace.pack.report import CSP, anchor, environment
from reqtrace.publish.prose import kept_html, markdown_blocks, prose_html

INDEX = "index.html"
MARKER = ".reqtrace-publish.json"  # names the files of the last publish: a folder holding it may be published into again
MARKER_FORMAT = "reqtrace-publish-1"
_OUR_PAGE = re.compile(r"^[a-z0-9-]{1,80}\.html$")
SEARCH_TEXT_CHARS = 400  # of a statement, in the search index: enough to find a phrase, small for 10,000 requirements
SHOWN_FIELDS = ("priority", "status", "owner", "tags")


@dataclass
class Published:
    out: Path
    files: list[str]
    documents: int
    requirements: int
    commit: str | None
    where: str
    single_page: bool
    removed: list[str] = field(default_factory=list)  # pages of the previous publish no longer written
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"output": str(self.out), "files": self.files, "removed": self.removed, "document_count": self.documents, "requirement_count": self.requirements,
                "commit": self.commit, "where": self.where, "single_page": self.single_page, "notes": self.notes}


# ------------------------------------------------------------------ the output folder


def check_out_dir(out: Path, *, force: bool) -> list[str]:
    """Refuse a DIR that publishing could damage; return the files the previous publish wrote there.

    DIR may be absent (its parent must exist: -o never creates folders silently), empty,
    or a previous publish (it holds MARKER). Any other folder is refused unless `force`.
    """
    shown = str(out)
    if os.path.islink(out):
        raise InputError(f"-o {shown} is a symbolic link; refusing to write through it", hint="name a real folder")
    if os.path.lexists(out) and not out.is_dir():
        raise InputError(f"-o {shown} is not a folder", hint="name a folder for the pages, e.g. -o site/")
    if not out.exists():
        parent = out.parent if str(out.parent) else Path(".")
        if not parent.is_dir():
            raise InputError(f"-o {shown}: the folder {parent} does not exist", hint="create it first; publish makes only the last folder")
        return []
    entries = os.listdir(out)
    if not entries:
        return []
    if MARKER in entries:
        with contextlib.suppress(OSError, ValueError, UnicodeDecodeError):
            data = json.loads((out / MARKER).read_text(encoding="utf-8"))
            if isinstance(data, dict) and data.get("format") == MARKER_FORMAT and isinstance(data.get("files"), list):
                return [name for name in data["files"] if isinstance(name, str) and _OUR_PAGE.match(name)]
        if force:
            return []
        raise InputError(f"-o {shown} holds a {MARKER} that is not reqtrace's", hint="publish into an empty or new folder, or add --force")
    if not force:
        raise InputError(
            f"-o {shown} is not empty and is not a previous publish ({len(entries)} entries, e.g. {sorted(entries)[0]!r})",
            hint="publish into an empty or new folder, or add --force to write the pages there (files of the same name are replaced)",
        )
    return []


def page_name(document: Document) -> str:
    """A document's page: a slug of its id and a hash of its folder (unique, where two documents
    may share an id), never the raw id."""
    return f"{slug(document.id, 40) or 'document'}-{short_hash(document.folder or document.id)[:10]}.html"


# ------------------------------------------------------------------ what a requirement shows


def _people_name(snapshot: Snapshot, text: str) -> str:
    return snapshot.config.people.name_of(text) or text


def _baseline_views(snapshot: Snapshot, baselines: list[Baseline]) -> list[dict[str, Any]]:
    return [
        {
            "name": baseline.name,
            "date": (baseline_date(baseline) or "")[:10],
            "signed": [f"{s.meaning} by {_people_name(snapshot, s.signer)}" + (f" ({s.role})" if s.role else "") for s in baseline.active_signoffs],
            "ids": frozenset(baseline.requirement_ids),
        }
        for baseline in baselines
    ]


def _accepted_state(repo: Any, commit: str | None, cache: ParseCache) -> tuple[dict[str, Any] | None, dict[str, Any], str | None]:
    """(the accepted baseline, {id: change}, a note when it cannot be told)."""
    try:
        accepted = scan_baselines(repo, commit).accepted()
    except AcceptedUnknown as error:
        return None, {}, error.message
    if accepted is None:
        return None, {}, None
    name = folder_of(accepted) or accepted.name
    if repo.git_top is None or not accepted.commit:
        return {"name": name, "ids": frozenset(e.id for e in accepted.requirements)}, {}, f"the accepted baseline {name} has no commit to compare with"
    result = diff_revisions(repo, accepted.commit, commit or WORKTREE, from_shown=name, cache=cache)
    return {"name": name, "ids": frozenset(e.id for e in accepted.requirements)}, {c.id: c for c in result.changes}, None


def _state_view(rid: str, accepted: dict[str, Any] | None, changes: dict[str, Any]) -> dict[str, Any]:
    if accepted is None:
        return {"kind": "none", "text": "no accepted baseline", "approved_by": []}
    name = accepted["name"]
    change = changes.get(rid)
    if change is None or change.change == MOVED:
        if rid in accepted["ids"]:
            return {"kind": "accepted", "text": f"unchanged since {name}", "approved_by": []}
        return {"kind": "none", "text": f"not in the accepted baseline {name}", "approved_by": []}
    approved_by = list(change.approved_by)
    verb = {ADDED: "added", MODIFIED: "changed"}.get(change.change, change.change)
    text = f"{verb} since {name}" + (", approved" if approved_by else ", not approved by any request")
    return {"kind": "approved" if approved_by else "unapproved", "text": text, "approved_by": approved_by}


HISTORY_KINDS = frozenset({"request", "meeting", "email", "document"})


# ------------------------------------------------------------------ the site model


class _Site:
    """Everything the pages show, computed once; `href` knows on which page each id lives."""

    def __init__(self, repo: Any, snapshot: Snapshot, where: str, single_page: bool, cache: ParseCache) -> None:
        self.snapshot = snapshot
        self.single_page = single_page
        self.where = where
        self.notes: list[str] = []
        infos = load_graph_baselines(repo, snapshot)
        self.graph = build_graph(snapshot, infos)
        self.infos = infos
        self.baselines = _baseline_views(snapshot, infos)
        self.accepted, self.changes, note = _accepted_state(repo, snapshot.commit, cache)
        if note:
            self.notes.append(note)
        self.documents = self._documents(outline(snapshot))
        self.page_of: dict[str, str] = {}
        for doc in self.documents:
            page = INDEX if single_page else page_name(doc)
            for rid in _requirement_ids(doc):
                self.page_of.setdefault(rid, page)
        self.children: dict[str, list[str]] = {}
        for req in sorted(snapshot.requirements.values(), key=lambda r: natural_key(r.id)):  # each list in id order
            for parent in req.parents:
                self.children.setdefault(parent, []).append(req.id)

    def _documents(self, documents: tuple[Document, ...]) -> list[Document]:
        """The outline, plus one last document for requirements it leaves out (none should be)."""
        placed = {rid for doc in documents for rid in _requirement_ids(doc)}
        left = sorted((rid for rid in self.snapshot.requirements if rid not in placed), key=natural_key)
        docs = list(documents)
        if left:
            docs.append(Document(id="(unplaced)", title="Requirements in no document", parent=None, folder="", path="", sections=(), items=tuple(left), extra=()))
        return docs

    def href(self, rid: str, from_page: str) -> str:
        page = self.page_of.get(rid)
        if page is None:
            return ""
        return ("" if page == from_page else page) + "#" + anchor(rid)

    def links(self, ids: Any, from_page: str) -> list[tuple[str, str]]:
        return [(rid, self.href(rid, from_page)) for rid in ids]

    def record_title(self, item_id: str) -> str:
        item = self.snapshot.item(item_id)
        return str(getattr(item, "title", "") or "") if item is not None else ""

    def requirement(self, req: Requirement, page: str) -> dict[str, Any]:
        story = trace_item(self.graph, req.id, commit=self.snapshot.commit, baselines=self.infos, people=self.snapshot.config.people, reach=False)
        history = [
            {"date": (e.date or "")[:10], "id": e.id, "kind": e.kind, "relation": e.relation, "summary": e.summary}
            for e in story.timeline
            if e.kind in HISTORY_KINDS
        ]
        fields = [(name, ", ".join(value) if isinstance(value, tuple) else str(value)) for name in SHOWN_FIELDS if (value := getattr(req, name)) not in (None, ())]
        fields += [(key, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)) for key, value in req.extra]
        return {
            "id": req.id,
            "anchor": anchor(req.id),
            "title": req.title,
            "statement": markdown_blocks(req.statement),
            "acceptance": list(req.acceptance),
            "rationale": markdown_blocks(req.rationale) if req.rationale else (),
            "fields": fields,
            "path": req.path,
            "parents": self.links(req.parents, page),
            "children": self.links(self.children.get(req.id, ()), page),
            "sources": [(sid, self.record_title(sid)) for sid in req.sources],
            "baselines": [{"name": b["name"], "signed": b["signed"]} for b in self.baselines if req.id in b["ids"]],
            "state": _state_view(req.id, self.accepted, self.changes),
            "history": history,
        }

    def document_body(self, doc: Document, page: str, number: str) -> list[dict[str, Any]]:
        return self._items(doc.items, page) + [self._section(section, page, f"{number}{index}", doc.folder or doc.id) for index, section in enumerate(doc.sections, 1)]

    def _items(self, items: tuple[str | TextNode, ...], page: str) -> list[dict[str, Any]]:
        shown: list[dict[str, Any]] = []
        for item in items:
            if isinstance(item, str):
                req = self.snapshot.requirements.get(item)
                if req is not None:
                    shown.append({"kind": "req", "req": self.requirement(req, page)})
            else:
                shown.append({"kind": "text", "blocks": markdown_blocks(item.text)})
        return shown

    def _section(self, section: Section, page: str, number: str, doc_key: str) -> dict[str, Any]:
        return {
            "kind": "section",
            "number": number,
            "title": section.title,
            "anchor": anchor(f"{doc_key}\x00{section.id}"),
            "depth": min(number.count(".") + 2, 6),
            "content": self._items(section.items, page)
            + [self._section(sub, page, f"{number}.{index}", doc_key) for index, sub in enumerate(section.sections, 1)],
        }

    def tree(self) -> list[dict[str, Any]]:
        """The documents in outline order with their depth under their parent document."""
        known = {doc.id for doc in self.documents}
        kids: dict[str | None, list[Document]] = {}
        for doc in self.documents:
            kids.setdefault(doc.parent if doc.parent in known and doc.parent != doc.id else None, []).append(doc)
        rows: list[dict[str, Any]] = []
        seen: set[int] = set()

        def walk(parent: str | None, depth: int) -> None:
            for doc in kids.get(parent, []):
                if id(doc) in seen:
                    continue
                seen.add(id(doc))
                rows.append({"doc": doc, "depth": depth})
                walk(doc.id, depth + 1)

        walk(None, 0)
        rows += [{"doc": doc, "depth": 0} for doc in self.documents if id(doc) not in seen]  # a parent cycle
        for number, row in enumerate(rows, 1):
            doc = row["doc"]
            row.update(
                id=doc.id, title=doc.title, number=str(number), parent=doc.parent or "",
                page=INDEX if self.single_page else page_name(doc), anchor=anchor("document\x00" + (doc.folder or doc.id)),
                count=sum(1 for rid in _requirement_ids(doc) if rid in self.snapshot.requirements),
            )
        return rows

    def search_index(self) -> list[list[str]]:
        rows = []
        for rid in sorted(self.snapshot.requirements, key=natural_key):
            req = self.snapshot.requirements[rid]
            page = self.page_of.get(rid, INDEX)
            rows.append([rid, req.title, " ".join(req.statement.split())[:SEARCH_TEXT_CHARS], f"{page}#{anchor(rid)}"])
        return rows


def _requirement_ids(doc: Document | Section) -> Iterator[str]:
    for item in doc.items:
        if isinstance(item, str):
            yield item
    for section in doc.sections:
        yield from _requirement_ids(section)


# ------------------------------------------------------------------ rendering and writing


def _script() -> tuple[Markup, str]:
    """The search script (reqtrace's own constant code, not repository text) and its CSP hash."""
    text = environment().get_template("publish/search.js.j2").render()
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return Markup(text), f"{CSP}; script-src 'sha256-{digest}'"  # noqa: S704 - our own script, no user text in it


def publish_spec(repo: Any, out: Path, *, rev: str | None = None, baseline: str | None = None, single_page: bool = False, force: bool = False) -> Published:
    """Write the spec at `rev` (or as frozen in `baseline`) as HTML pages into `out`."""
    out = Path(out)
    previous = check_out_dir(out, force=force)
    commit, where, _ = resolve_read_at(repo, rev, baseline)
    with PackedParseCache.for_git(repo.git_top) as cache:
        snapshot = load_snapshot(repo, commit, cache=cache)
        if not snapshot.requirements:
            folder = snapshot.config.requirements_dir
            raise InputError(f"no requirements to publish in {folder}/ at {where}", hint="check `paths.requirements` in reqtrace.yaml, or the revision")
        site = _Site(repo, snapshot, where, single_page, cache)
    tree = site.tree()
    script, csp = _script()
    env = environment()
    common = {
        "csp": csp, "script": script, "project": snapshot.config.project, "customer": snapshot.config.customer or "", "where": where,
        "commit": commit or "", "version": __version__, "tree": tree, "accepted": site.accepted["name"] if site.accepted else "",
        "baselines": [{k: v for k, v in b.items() if k != "ids"} for b in site.baselines], "notes": site.notes,
        "requirements": len(snapshot.requirements), "prose": prose_html, "kept": kept_html,
    }
    pages: dict[str, str] = {}
    search = site.search_index()
    if single_page:
        bodies = [{**row, "body": site.document_body(row["doc"], INDEX, row["number"] + ".")} for row in tree]
        pages[INDEX] = env.get_template("publish/index.html.j2").render(**common, documents=bodies, search=search, single_page=True)
    else:
        pages[INDEX] = env.get_template("publish/index.html.j2").render(**common, documents=[], search=search, single_page=False)
        template = env.get_template("publish/document.html.j2")
        for row in tree:
            page = row["page"]
            pages[page] = template.render(**common, document=row, body=site.document_body(row["doc"], page, ""))
    written: list[str] = []
    removed: list[str] = []
    try:
        out.mkdir(exist_ok=True)
        # The index last: its links never point at a page not yet written.
        for name, html in sorted(pages.items(), key=lambda page: page[0] == INDEX):
            atomic_write(out / name, html)
            written.append(name)
        for name in previous:
            target = out / name
            if name not in pages and target.is_file() and not target.is_symlink():
                target.unlink()
                removed.append(name)
        atomic_write(out / MARKER, json.dumps({"format": MARKER_FORMAT, "files": sorted(written)}, indent=1) + "\n")
    except OSError as error:  # a full disk, a folder where a page goes, no permission
        named = f" {error.filename}" if error.filename else ""
        raise OutputError(f"cannot write the pages into {out}:{named} {error.strerror or error}",
                          hint=f"{len(written)} of {len(pages)} pages were written; free the place and publish again") from error
    return Published(out=out, files=sorted(written), documents=len(tree), requirements=len(snapshot.requirements), commit=commit,
                     where=where, single_page=single_page, removed=removed, notes=site.notes)

