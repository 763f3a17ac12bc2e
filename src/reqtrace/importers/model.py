"""What every importer produces: requirements as plain data, and what happened to each field."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reqtrace.errors import InputError


class SourceError(InputError):
    """The source cannot be imported: malformed, a link to nothing, a grammar not understood (exit 3)."""

    code = "import-source"

    def __init__(self, path: str, line: int | None, message: str, *, hint: str | None = None) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}", hint=hint)
        self.path = path
        self.line = line


_FURTHER_FIELDS = ("acceptance", "priority", "status", "sources", "owner", "section", "order", "mid")


@dataclass
class ImportedRequirement:
    """One requirement as it will be written: reqtrace fields first, then the source's own as `x-` fields."""

    id: str
    title: str
    statement: str
    source: str  # the source file, relative to the imported folder
    folder: str  # the sub-folder of the import folder it is written to (one per source document)
    rationale: str | None = None
    tags: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)
    # Further reqtrace fields a source may give (acceptance, priority, status, sources, owner,
    # and the document structure's section, order, mid: docs/format.md), written after parents in this order.
    fields: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, Any] = field(default_factory=dict)  # keys start with x-

    def place(self, section: str | None, order: int | float | None) -> None:
        """Put it in its document: a section id of the `_document.yaml` and its order there."""
        if section is not None:
            self.fields["section"] = section
        if order is not None:
            self.fields["order"] = order

    def as_yaml_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "title": self.title, "statement": self.statement}
        if self.rationale:
            data["rationale"] = self.rationale
        if self.tags:
            data["tags"] = list(self.tags)
        if self.parents:
            data["parents"] = list(self.parents)
        for name in _FURTHER_FIELDS:
            if name in self.fields:
                data[name] = self.fields[name]
        data.update(sorted(self.custom.items()))
        return data


@dataclass
class Imported:
    """An importer's whole answer: the requirements, one index per source document, and the report."""

    source_kind: str
    requirements: list[ImportedRequirement] = field(default_factory=list)
    # folder -> its `_document.yaml` (document, title, parent, texts, sections, x- fields):
    # the source document's structure, which reqtrace reads (core/structure.py).
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)
    mapped: dict[str, str] = field(default_factory=dict)  # source field -> what it became
    kept: dict[str, int] = field(default_factory=dict)  # x- field -> how many requirements carry it
    renamed: dict[str, str] = field(default_factory=dict)  # source id -> reqtrace id, where they differ
    not_mapped: list[str] = field(default_factory=list)  # what the import could not carry, said plainly
    notes: list[str] = field(default_factory=list)
    def keep(self, key: str) -> None:
        self.kept[key] = self.kept.get(key, 0) + 1

    def report(self) -> dict[str, Any]:
        return {
            "format": self.source_kind,
            "requirement_count": len(self.requirements),
            "documents": sorted(self.documents),
            "mapped": dict(sorted(self.mapped.items())),
            "kept_as_custom": dict(sorted(self.kept.items())),
            "renamed_ids": dict(sorted(self.renamed.items())),
            "not_mapped": self.not_mapped,
            "notes": self.notes,
        }


IdTest = Callable[[str], bool]

_NUMBERED = re.compile(r"^(.*?)[-_.:]?([0-9]+)$")


def reqtrace_id(source_id: str, id_ok: IdTest) -> str | None:
    """The source id itself when the repo's id_pattern accepts it, else PREFIX-NUMBER
    (letters and digits of the prefix, upper-cased; the number as written), else None."""
    if id_ok(source_id):
        return source_id
    match = _NUMBERED.match(source_id)
    if match:
        prefix = re.sub(r"[^A-Za-z0-9]", "", match.group(1)).upper()
        candidate = f"{prefix}-{match.group(2)}"
        if prefix and id_ok(candidate):
            return candidate
    return None


def generated_id(prefix: str, key: str, taken: set[str], id_ok: IdTest) -> str | None:
    """A stable id for a requirement the source gave none: PREFIX-NNNNNN, the number from a
    hash of `key` (which the caller chooses to survive edits), moved on while taken."""
    clean = re.sub(r"[^A-Za-z0-9]", "", prefix).upper() or "REQ"
    number = int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:12], 16) % 900_000 + 100_000
    for step in range(1000):
        candidate = f"{clean}-{number + step}"
        if candidate not in taken:
            return candidate if id_ok(candidate) else None
    return None


def plain(value: Any) -> Any:
    """A value that YAML and JSON both keep as it is: dates and numbers become text."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if value is None or isinstance(value, bool | str | int):
        return value
    return str(value)


def slug(text: str) -> str:
    """A folder name from a source name: letters, digits, '-' and '_'; never empty, never hidden."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-_")[:60]
    return cleaned or "document"


def first_line(text: str, limit: int = 80) -> str:
    for line in text.splitlines():
        line = line.strip().strip("*#_ ").strip()
        if line:
            return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
    return ""


def section_id(text: str, taken: set[str]) -> str:
    """A section id from a source name (letters, digits, '-', '_', '.'), unique among `taken`."""
    base = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-_.")[:60] or "section"
    if not base[0].isalnum():
        base = "s" + base
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    taken.add(candidate)
    return candidate
