"""Bringing requirements in from other tools.

One module per source (`doorstop`, `strictdoc`, `reqif`) turns the source's files into
plain data (`model.Imported`); `writer` puts that data into a spec repo, all or
nothing, either as files in the working tree or — with `--history` — as one
replayed commit per source commit.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from reqtrace.core.config import SpecRepo
from reqtrace.core.snapshot import load_snapshot
from reqtrace.errors import InputError, UsageError
from reqtrace.importers.doorstop import read_doorstop
from reqtrace.importers.model import Imported, SourceError, slug
from reqtrace.importers.reqif import read_reqif
from reqtrace.importers.strictdoc import read_strictdoc
from reqtrace.importers.table import (
    PREVIEW_ROWS,
    TableOptions,
    column_fields,
    column_letter,
    document_name,
    keep_document,
    read_requirements,
    read_table,
)
from reqtrace.importers.writer import (
    DOCUMENT_FILE,
    import_target,
    read_folder,
    render_tree,
    replay_history,
    write_tree,
)

# source kind -> (the file names it reads, the reader)
SOURCES: dict[str, tuple[tuple[str, ...], Callable[..., Imported]]] = {
    "doorstop": ((".yml", ".yaml"), read_doorstop),
    "strictdoc": ((".sdoc", ".sgra"), read_strictdoc),
    "reqif": ((".reqif", ".reqifz"), read_reqif),
}


def ids_elsewhere(repo: SpecRepo, import_folder: str) -> dict[str, str]:
    """Requirement id -> file, for the spec repo's requirements outside the import folder
    (an import that gave one of these ids to another requirement would make two)."""
    snapshot = load_snapshot(repo)
    return {rid: r.path for rid, r in snapshot.requirements.items() if not r.path.startswith(import_folder)}


def refuse_clashes(imported: Imported, taken: dict[str, str]) -> None:
    """An InputError when the import gives a requirement an id the repo already has elsewhere."""
    clashes = sorted(r.id for r in imported.requirements if r.id in taken)
    if clashes:
        first = clashes[0]
        # Not a SourceError: the source is fine, and --skip-unreadable must not skip past this.
        source_file = next(r.source for r in imported.requirements if r.id == first)
        raise InputError(f"{source_file}: {first} is already a requirement of the spec repo ({taken[first]})"
                         + (f", and {len(clashes) - 1} more ids too" if len(clashes) > 1 else ""),
                         hint="import into a repo whose id_pattern keeps the source ids apart, or rename the existing ones")


def run_import(kind: str, repo: SpecRepo, source: Path, *, into: str | None = None, history: bool = False,
               replace: bool = False, skip_unreadable: bool = False, progress: Callable[[str], None] = lambda _line: None) -> dict[str, Any]:
    """Import `source` into `repo`; a JSON-ready summary. Nothing is written unless all of it is."""
    suffixes, reader = SOURCES[kind]
    source = Path(source)
    target = import_target(repo, into or slug(source.resolve().stem if source.is_file() else source.resolve().name))

    def read(files: dict[str, bytes]) -> Imported:
        imported = reader({name: data for name, data in files.items() if name.endswith(suffixes)}, target.id_ok)
        refuse_clashes(imported, taken)
        return imported

    taken = ids_elsewhere(repo, target.requirements_dir + "/" + target.into + "/")
    outcome: dict[str, Any] = {"source": str(source), "folder": str(target.folder)}
    if history:
        if replace:
            raise UsageError("--replace and --history cannot be combined: a history import starts from an empty folder")
        if source.is_file():
            raise UsageError("--history needs the source folder, not one file")
        replay = replay_history(target, source, read, progress, skip_unreadable=skip_unreadable)
        if replay.last is None:
            raise SourceError(str(source), None, "git has no commit that touched this folder", hint="commit it first, or leave out --history")
        outcome["report"] = replay.last.report()
        outcome["history"] = {
            "source_commits": len(replay.commits) + len(replay.skipped) + len(replay.unreadable),
            "commits": len(replay.commits),
            "unchanged_source_commits": len(replay.skipped),
            "head": replay.head,
            "unreadable_source_commits": replay.unreadable,
            "replayed": [
                {"source_commit": c.source_commit, "author": c.author, "date": c.date, "subject": c.subject,
                 "requirement_count": c.requirements, "files_changed": c.changed_files}
                for c in replay.commits
            ],
        }
        return outcome
    imported = read(read_folder(source, suffixes))
    outcome["report"] = imported.report()
    outcome["files"] = write_tree(target, render_tree(imported), replace=replace)
    return outcome


def run_table_import(repo: SpecRepo, source: Path, options: TableOptions, *, into: str | None = None,
                     replace: bool = False, dry_run: bool = False) -> dict[str, Any]:
    """Import a .csv/.xlsx table into `repo` (or, with `dry_run`, only say what would be written)."""
    source = Path(source)
    if not source.is_file():
        raise InputError(f"{source} is not a file", hint="name the .csv or .xlsx file to import")
    folder_name, title = document_name(source)
    target = import_target(repo, into or folder_name)
    table = read_table(source, options)
    fields = column_fields(table.header, options.mapping, table.name)
    imported = read_requirements(table, fields, target.id_ok, options.max_rows, document=slug(target.into.rsplit("/", 1)[-1]),
                                 document_title=title)
    previous = target.folder / DOCUMENT_FILE
    keep_document(imported, previous.read_bytes() if previous.is_file() and not previous.is_symlink() else None)
    refuse_clashes(imported, ids_elsewhere(repo, target.requirements_dir + "/" + target.into + "/"))
    outcome: dict[str, Any] = {"source": str(source), "folder": str(target.folder), "report": imported.report()}
    outcome["columns"] = [
        {"column": column_letter(index), "header": header, "field": fields[index]}
        for index, header in enumerate(table.header)
    ]
    if dry_run:
        tree = render_tree(imported)
        outcome["dry_run"] = True
        outcome["preview"] = [
            {"file": f"{r.id}.yaml", "row": r.source.rsplit(":", 1)[-1], "content": tree[f"{r.id}.yaml"].decode("utf-8")}
            for r in imported.requirements[:PREVIEW_ROWS]
        ]
        return outcome
    outcome["files"] = write_tree(target, render_tree(imported), replace=replace)
    return outcome
