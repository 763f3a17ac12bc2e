"""Doorstop trees: documents (`.doorstop.yml`) and their YAML items, as plain data.

A document is a folder with a `.doorstop.yml` (prefix, parent, digits, sep);
its items are the `.yml` files beneath it (outside any nested document) whose
name starts with the prefix. The item's file name is its UID.
"""

from __future__ import annotations

import posixpath
from typing import Any

from reqtrace.importers.model import (
    IdTest,
    Imported,
    ImportedRequirement,
    SourceError,
    first_line,
    plain,
    reqtrace_id,
    slug,
)
from reqtrace.io.yamlio import Mapping, Sequence, YamlDocument, YamlProblem, decode_text, load_yaml

SETTINGS_FILE = ".doorstop.yml"
# Item fields Doorstop itself defines, with the value that means "nothing to say":
# such a value is not copied into an x- field (every item of a tree carries them).
_DEFAULTS: dict[str, Any] = {
    "active": True, "derived": False, "normative": True, "ref": "", "references": None, "reviewed": None,
}


def _load(path: str, data: bytes) -> YamlDocument:
    try:
        return load_yaml(decode_text(data))
    except YamlProblem as problem:
        raise SourceError(path, problem.line, problem.message, hint="fix the file in the Doorstop tree, then import again") from None


def _document_folders(files: dict[str, bytes]) -> dict[str, Mapping]:
    folders = {}
    for path in sorted(files):
        if posixpath.basename(path) == SETTINGS_FILE:
            settings = _load(path, files[path])
            if not isinstance(settings, dict) or not isinstance(settings.get("settings"), dict) or not settings["settings"].get("prefix"):
                raise SourceError(path, getattr(settings, "line", None) or None, "a Doorstop document needs `settings:` with a `prefix:`")
            folders[posixpath.dirname(path)] = settings
    return folders


def _owner(path: str, folders: dict[str, Mapping]) -> str | None:
    folder = posixpath.dirname(path)
    while True:
        if folder in folders:
            return folder
        if not folder:
            return None
        folder = posixpath.dirname(folder)


def read_doorstop(files: dict[str, bytes], id_ok: IdTest) -> Imported:
    """Every item of every document in `files` (path relative to the tree -> bytes)."""
    result = Imported("doorstop")
    folders = _document_folders(files)
    if not folders:
        raise SourceError(".", None, f"no {SETTINGS_FILE} here: not a Doorstop tree",
                          hint="name the folder that holds the top document's .doorstop.yml (e.g. reqs)")
    items: list[tuple[str, str, Mapping, str]] = []  # (uid, path, data, document folder)
    for path in sorted(files):
        name = posixpath.basename(path)
        owner = _owner(path, folders)
        if name.startswith(".") or owner is None:
            continue
        prefix = str(folders[owner]["settings"]["prefix"])
        if not name.endswith(".yml") or not name.startswith(prefix):
            if name.endswith((".yml", ".yaml", ".md")):
                result.not_mapped.append(f"{path}: not an item of document {prefix} (its name does not start with the prefix); left out")
            continue
        data = _load(path, files[path])
        if not isinstance(data, dict):
            raise SourceError(path, getattr(data, "line", None) or 1, "a Doorstop item must be a YAML mapping")
        items.append((name[: -len(".yml")], path, data, owner))
    new_ids: dict[str, str] = {}
    for uid, path, _data, _owner_folder in items:
        new_id = reqtrace_id(uid, id_ok)
        if new_id is None:
            raise SourceError(path, None, f"the UID {uid} cannot become a requirement id matching the repo's id_pattern",
                              hint="set id_pattern in reqtrace.yaml to accept it (e.g. '^[A-Z]+-?[0-9]+$')")
        if new_id in new_ids.values():
            other = next(k for k, v in new_ids.items() if v == new_id)
            raise SourceError(path, None, f"the UIDs {other} and {uid} both become {new_id}",
                              hint="rename one of them in Doorstop, or widen id_pattern so both are kept as they are")
        new_ids[uid] = new_id
        if new_id != uid:
            result.renamed[uid] = new_id
    if result.renamed:
        result.mapped["UID"] = "id, as PREFIX-NUMBER where the UID does not match id_pattern (the UID kept in x-doorstop-uid)"
    linked = {str(target) for _uid, _path, data, _owner in items for target in _link_targets(data)}
    kinds = {uid: _kind_of(data, uid in linked or bool(_link_targets(data))) for uid, _path, data, _owner in items}
    for settings in folders.values():
        result.documents[slug(str(settings["settings"]["prefix"]))] = _document(settings)
    by_folder: dict[str, list[tuple[str, str, Mapping, str]]] = {}
    for item in items:
        by_folder.setdefault(slug(str(folders[item[3]]["settings"]["prefix"])), []).append(item)
    for folder, members in by_folder.items():
        placement = _structure(result.documents[folder], members, kinds, new_ids)
        for uid, path, data, owner in members:
            if kinds[uid] != REQUIREMENT:
                continue
            requirement = _requirement(uid, path, data, owner, folders, new_ids, result)
            requirement.place(*placement[uid])
            result.requirements.append(requirement)
    headings = sum(1 for kind in kinds.values() if kind == HEADING)
    texts = sum(1 for kind in kinds.values() if kind == TEXT)
    result.mapped.setdefault("text", "statement")
    result.mapped.setdefault("header", "title (else the first line of text, else the UID)")
    result.mapped.setdefault("links", "parents (review stamps kept in x-doorstop-link-stamps)")
    result.mapped.setdefault("level", "the section (the heading above it) and the order in it")
    result.mapped.setdefault("document (.doorstop.yml)", "_document.yaml: prefix → document, parent → parent, settings → x-doorstop-settings")
    result.notes.append(f"{headings} heading item(s) (non-normative, level x.0) became sections and {texts} non-normative item(s) text in them, in each document's _document.yaml")
    kept = [uid for uid, _path, data, _owner in items if kinds[uid] == REQUIREMENT and data.get("normative") is False]
    if kept:
        result.notes.append(f"heading or non-normative item(s) with links stay requirements (x-doorstop-normative: false), so their links hold: {', '.join(new_ids[u] for u in kept)}")
    return result


REQUIREMENT, HEADING, TEXT = "requirement", "heading", "text"


def _link_targets(data: Mapping) -> list[str]:
    links = data.get("links") or []
    if not isinstance(links, list):
        return []
    return [str(next(iter(link))) if isinstance(link, dict) and link else str(link) for link in links if isinstance(link, dict | str)]


def _is_heading_level(level: str) -> bool:
    parts = level.split(".")
    return len(parts) > 1 and parts[-1] == "0"


def _kind_of(data: Mapping, has_links: bool) -> str:
    """A non-normative heading (level x.0) is a section and another non-normative item text, unless a link
    names it or it names one: then it stays a requirement, so that the link holds."""
    if has_links or data.get("normative") is not False:
        return REQUIREMENT
    return HEADING if _is_heading_level(str(data.get("level", ""))) else TEXT


def _document(settings: Mapping) -> dict[str, Any]:
    """A `_document.yaml` for a Doorstop document: its prefix is its id and title."""
    own = settings["settings"]
    prefix = slug(str(own["prefix"]))
    attributes = settings.get("attributes")
    doc = attributes.get("defaults", {}).get("doc", {}) if isinstance(attributes, dict) and isinstance(attributes.get("defaults"), dict) else {}
    title = doc.get("title") if isinstance(doc, dict) and isinstance(doc.get("title"), str) and doc["title"].strip() else str(own["prefix"])
    document: dict[str, Any] = {"document": prefix, "title": title}
    if own.get("parent"):
        document["parent"] = slug(str(own["parent"]))
    document["x-doorstop-settings"] = plain(dict(own))
    for key, value in settings.items():
        if key != "settings":
            document[f"x-doorstop-{slug(str(key)).lower()}"] = plain(value)
    return document



def _text_of(data: dict[str, Any], name: str) -> str:
    """A text attribute of an item; '' when it is absent or not text."""
    value = data.get(name)
    return value if isinstance(value, str) else ""

def _order(rest: tuple[int, ...]) -> int | float:
    """A level's part below its section as one number: 3 stays 3; 3.1.2 becomes 3.001002."""
    if len(rest) == 1:
        return rest[0]
    return round(rest[0] + sum(part / 1000 ** index for index, part in enumerate(rest[1:], 1)), 9)


def _structure(document: dict[str, Any], members: list[tuple[str, str, Mapping, str]], kinds: dict[str, str],
               new_ids: dict[str, str]) -> dict[str, tuple[str | None, int | float | None]]:
    """Sections from the headings, text from the non-normative items, written into `document`;
    returns each requirement's (section, order)."""
    levels = {uid: _level_key(str(data.get("level", ""))) for uid, _path, data, _owner in members}
    headings = sorted((uid for uid, *_ in members if kinds[uid] == HEADING), key=lambda uid: (levels[uid], uid))

    def enclosing(uid: str) -> str | None:
        own = levels[uid]
        best = None
        for heading in headings:
            level = levels[heading]
            if heading != uid and len(level) < len(own) and own[: len(level)] == level and (best is None or len(level) > len(levels[best])):
                best = heading
        return best

    sections: dict[str, dict[str, Any]] = {}
    top: list[dict[str, Any]] = []
    top_texts: list[dict[str, Any]] = []
    data_of = {uid: data for uid, _path, data, _owner in members}
    for uid in headings:
        data = data_of[uid]
        header = _text_of(data, "header").strip()
        text = _text_of(data, "text").rstrip()
        section: dict[str, Any] = {"id": new_ids[uid], "title": header or first_line(text) or uid}
        if text and (header or len(text.strip().splitlines()) > 1):
            section["texts"] = [{"order": 0, "text": text}]
        section["x-doorstop-uid"] = uid
        section["x-doorstop-level"] = str(data.get("level", ""))
        sections[uid] = section
        parent = enclosing(uid)
        (sections[parent].setdefault("sections", []) if parent else top).append(section)
    placement: dict[str, tuple[str | None, int | float | None]] = {}
    for uid, _path, data, _owner in sorted(members, key=lambda member: (levels[member[0]], member[0])):
        if kinds[uid] == HEADING:
            continue
        parent = enclosing(uid)
        order = _order(levels[uid][len(levels[parent]) :] if parent else levels[uid])
        if kinds[uid] == TEXT:
            text = _text_of(data, "text").rstrip()
            header = _text_of(data, "header").strip()
            node = {"order": order, "text": text or header or uid}
            (sections[parent].setdefault("texts", []) if parent else top_texts).append(node)
        else:
            placement[uid] = (new_ids[parent] if parent else None, order)
    if top_texts:
        document["texts"] = top_texts
    if top:
        document["sections"] = top
    return placement


def _level_key(level: str) -> tuple[int, ...]:
    parts = []
    for part in level.split("."):
        parts.append(int(part) if part.isdigit() else 0)
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _requirement(uid: str, path: str, data: Mapping, owner: str, folders: dict[str, Mapping],
                 new_ids: dict[str, str], result: Imported) -> ImportedRequirement:
    text = data.get("text")
    header = data.get("header")
    text = text.rstrip() if isinstance(text, str) else ""
    header = header.strip() if isinstance(header, str) else ""
    new_id = new_ids[uid]
    title = header or first_line(text) or uid
    requirement = ImportedRequirement(
        id=new_id, title=title, statement=text or header or uid, source=path,
        folder=slug(str(folders[owner]["settings"]["prefix"])),
    )
    custom = requirement.custom
    custom["x-doorstop-document"] = str(folders[owner]["settings"]["prefix"])
    if new_id != uid:
        custom["x-doorstop-uid"] = uid
    if not text:
        custom["x-doorstop-no-text"] = True
    parents, stamps = _links(path, data, new_ids)
    requirement.parents = parents
    if stamps:
        custom["x-doorstop-link-stamps"] = stamps
    for key, value in data.items():
        if key in ("text", "header", "level", "links"):
            continue
        if key in _DEFAULTS:
            if value == _DEFAULTS[key] or (key == "references" and value == []):
                continue
            custom[f"x-doorstop-{key}"] = plain(value)
        else:
            custom[key if key.startswith("x-") else f"x-{slug(str(key)).lower()}"] = plain(value)
    for key in custom:
        result.keep(key)
    return requirement


def _links(path: str, data: Mapping, new_ids: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    links = data.get("links") or []
    if not isinstance(links, list):
        raise SourceError(path, data.lines.get("links"), "`links` must be a list of UIDs")
    parents: list[str] = []
    stamps: dict[str, str] = {}
    for index, link in enumerate(links):
        line = links.lines[index] if isinstance(links, Sequence) else data.lines.get("links")
        if isinstance(link, dict) and len(link) == 1:
            (target, stamp), = link.items()
        elif isinstance(link, str):
            target, stamp = link, None
        else:
            raise SourceError(path, line, "a link must be a UID, or `UID: stamp`")
        target = str(target)
        if target not in new_ids:
            raise SourceError(path, line, f"links to {target}, which is not an item of this tree",
                              hint=f"remove the link, or import the tree that holds {target} (the folder above every document)")
        parents.append(new_ids[target])
        if stamp is not None:
            stamps[new_ids[target]] = str(stamp)
    return parents, stamps
