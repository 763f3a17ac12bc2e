"""A stand-in for `structure.outline` (document structure), with the same shapes.

Until the document structure lands, every top-level folder under the
requirements folder is one document, its requirements in natural id order.
`publish` reads the outline only through `outline(snapshot)`, so replacing this
module by `structure` changes one import.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from .graph import natural_key
from .model import Snapshot


@dataclass(frozen=True)
class TextNode:
    order: float | None
    text: str


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    sections: tuple[Section, ...]
    items: tuple[str | TextNode, ...]


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    parent: str | None
    folder: str
    path: str
    sections: tuple[Section, ...]
    items: tuple[str | TextNode, ...]
    extra: tuple[tuple[str, object], ...] = ()


def outline(snapshot: Snapshot) -> tuple[Document, ...]:
    root = PurePosixPath(snapshot.config.requirements_dir)
    groups: dict[str, list[str]] = {}
    for req in snapshot.requirements.values():
        parts = PurePosixPath(req.path).relative_to(root).parts
        folder = parts[0] if len(parts) > 1 else root.name
        groups.setdefault(folder, []).append(req.id)
    return tuple(
        Document(id=name, title=name, parent=None, folder=str(root / name) if name != root.name else str(root), path="", sections=(),
                 items=tuple(sorted(ids, key=natural_key)))
        for name, ids in sorted(groups.items(), key=lambda kv: natural_key(kv[0]))
    )
