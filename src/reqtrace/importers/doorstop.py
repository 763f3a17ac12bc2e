"""Doorstop trees: documents (`.doorstop.yml`) and their YAML items, as plain data.

A document is a folder with a `.doorstop.yml` (prefix, parent, digits, sep);
its items are the `.yml` files beneath it (outside any nested document) whose
name starts with the prefix. The item's file name is its UID.
"""

from __future__ import annotations

import posixpath
from typing import Any

from ..yamlio import Mapping, Sequence, YamlDocument, YamlProblem, decode_text, load_yaml
from .model import (
    IdTest,
    Imported,
    ImportedRequirement,
    SourceError,
    first_line,
    plain,
    reqtrace_id,
    slug,
)

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
    for folder, settings in folders.items():
        document = {"kind": "doorstop document", "source": folder or ".", **plain(dict(settings)), "items": []}
        result.documents[slug(str(settings["settings"]["prefix"]))] = document
    for uid, path, data, owner in items:
        requirement = _requirement(uid, path, data, owner, folders, new_ids, result)
        result.requirements.append(requirement)
        result.documents[requirement.folder]["items"].append(
            {"id": requirement.id, "level": str(data.get("level", "")), **({"heading": True} if data.get("normative") is False else {})}
        )
    for document in result.documents.values():
        document["items"].sort(key=lambda item: (_level_key(item["level"]), item["id"]))
    result.mapped.setdefault("text", "statement")
    result.mapped.setdefault("header", "title (else the first line of text, else the UID)")
    result.mapped.setdefault("links", "parents (review stamps kept in x-doorstop-link-stamps)")
    result.mapped.setdefault("level", "x-doorstop-level, and the order in the document index")
    result.notes.append("non-normative items (headings) are kept as requirements with x-doorstop-normative: false")
    result.notes.append("each document's settings and item order are kept in a document-index.json beside its requirements")
    return result


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
    if "level" in data:
        custom["x-doorstop-level"] = str(data["level"])
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
