"""`reqtrace renumber OLD NEW`: give an item a new id, and every reference to it.

The id is rewritten where it is defined and in every field that holds ids
(ID_FIELDS, which a test compares with the JSON Schemas) of every requirement
and record. Each change is made in place, at the line and column the YAML
parser gives for that value, so the rest of every file — comments, key order,
quoting, line endings — stays byte for byte; each new text is parsed again and
must read as the old one with only those ids changed. Nothing is written until
every file is ready; then each is replaced atomically, and a failure part-way
puts back the files already written.

Baselines are never touched: a signed baseline keeps the old id, as it was
signed. A renumbered requirement gets `x-renamed-from: OLD`, which `log NEW`
follows back into OLD's history.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reqtrace.baselines.baseline import baselines_of
from reqtrace.core.config import SpecRepo
from reqtrace.core.id_pattern import MAX_ID_LENGTH, id_matcher
from reqtrace.core.snapshot import kind_of, load_snapshot
from reqtrace.errors import InputError, UsageError
from reqtrace.io.files import atomic_write, inside
from reqtrace.io.yamlio import UTF8_BOM, decode_text, load_round_trip, load_yaml, split_front_matter
from reqtrace.records.authoring import known_ids
from reqtrace.records.id_choice import ID_TEXT

RENAMED_FROM = "x-renamed-from"

# Every field that holds the id of another item, by kind of file ("*": each list item).
ID_FIELDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "requirement": (("parents", "*"), ("sources", "*")),
    "request": (("refs", "*"), ("sources", "*"), ("affects", "*"), ("triage", "matches", "*"), ("decision", "in")),
    "meeting": (("refs", "*"), ("decisions", "*", "refs", "*"), ("decisions", "*", "approves", "*"), ("decisions", "*", "rejects", "*")),
    "email": (("refs", "*"), ("thread", "*")),
    "document": (("refs", "*"),),
}


@dataclass
class Renumbered:
    old: str
    new: str
    kind: str
    path: str  # where the item was defined
    new_path: str  # where it is now (renamed when the file was named after the id)
    changed: dict[str, int] = field(default_factory=dict)  # path -> ids rewritten there
    left: list[str] = field(default_factory=list)  # files that still mention OLD (text, or an ambiguous duplicate)
    baselines: list[str] = field(default_factory=list)  # baselines that hold OLD, untouched

    def as_dict(self) -> dict[str, Any]:
        return {
            "old": self.old, "new": self.new, "kind": self.kind, "path": self.path, "new_path": self.new_path,
            "changed": [{"path": path, "ids": count} for path, count in sorted(self.changed.items())],
            "left": sorted(self.left), "baselines": self.baselines,
        }


def _word(item_id: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w.:-])" + re.escape(item_id) + r"(?![\w:-]|\.\w)")


def _values_at(node: Any, path: tuple[str, ...]) -> list[tuple[Any, Any]]:
    """(container, key or index) of each value `path` names in a round-trip document."""
    if not path:
        return []
    head, rest = path[0], path[1:]
    if head == "*":
        keys: list[Any] = list(range(len(node))) if isinstance(node, list) else []
    else:
        keys = [head] if isinstance(node, dict) and head in node else []
    found = []
    for key in keys:
        if rest:
            found.extend(_values_at(node[key], rest))
        else:
            found.append((node, key))
    return found


def _position(container: Any, key: Any) -> tuple[int, int]:
    positions = container.lc  # ruamel.yaml's line and column of each item or value
    return positions.item(key) if isinstance(container, list) else positions.value(key)  # type: ignore[no-any-return]


def _entries(document: Any, kind: str) -> list[Any]:
    """The mappings of one file that each define an item (a requirements: list holds several)."""
    if kind == "requirement" and isinstance(document, dict) and "id" not in document and isinstance(document.get("requirements"), list):
        return [entry for entry in document["requirements"] if isinstance(entry, dict)]
    return [document] if isinstance(document, dict) else []


@dataclass
class _Edit:
    line: int  # 0-based, in the whole file
    column: int
    insert_after: str | None = None  # a whole line to add after `line` instead of a replacement


def _plan(text: str, kind: str, old: str, *, define: bool, refer: bool) -> tuple[list[_Edit], int]:
    """Where OLD stands in this file's id fields (and its `id`, when `define`)."""
    offset = 0
    yaml_text = text
    if kind == "meeting":
        yaml_text, _first, _body = split_front_matter(text)
        offset = 1
    document = load_round_trip(yaml_text)
    edits: list[_Edit] = []
    defined = 0
    for entry in _entries(document, kind):
        targets: list[tuple[Any, Any]] = []
        if define and entry.get("id") == old:
            targets.append((entry, "id"))
            defined += 1
            if kind == "requirement":
                edits.append(_renamed_from_edit(entry, offset))
        if refer:
            for path in ID_FIELDS[kind]:
                targets.extend(t for t in _values_at(entry, path) if t[0][t[1]] == old)
        for container, key in targets:
            line, column = _position(container, key)
            edits.append(_Edit(line + offset, column))
    return edits, defined


def _renamed_from_edit(entry: Any, offset: int) -> _Edit:
    if RENAMED_FROM in entry:
        line, column = entry.lc.key(RENAMED_FROM)
        return _Edit(line + offset, column, insert_after="")  # '' marks: extend the existing line
    line, column = entry.lc.key("id")
    return _Edit(line + offset, column, insert_after=RENAMED_FROM)


def _apply(text: str, edits: list[_Edit], old: str, new: str, path: str) -> str:
    # Lines as the YAML parser counts them (str.splitlines would also split at U+2028 and
    # other separators inside a value, and every position after it would be off).
    lines = re.split(r"(?<=\n)", text)
    # Right to left, bottom to top: an edit never moves the positions of those still to do.
    for edit in sorted(edits, key=lambda e: (e.line, e.insert_after is None, e.column), reverse=True):
        current = lines[edit.line]
        ending = current[len(current.rstrip("\r\n")) :]
        if edit.insert_after == RENAMED_FROM:
            if not ending:  # the id was the file's last line, with no line end
                lines[edit.line] = current + "\n"
            lines.insert(edit.line + 1, f"{' ' * edit.column}{RENAMED_FROM}: {old}{ending}")
            continue
        if edit.insert_after == "":
            match = re.match(r"^(\s*x-renamed-from:\s*)(?:\[([^\]#]*)\]|([A-Za-z0-9][A-Za-z0-9_.:-]*))\s*(#.*)?$", current.rstrip("\r\n"))
            if match is None:
                raise InputError(f"{path}:{edit.line + 1}: {RENAMED_FROM} must be an id or a list on one line ([A, B]) for renumber to extend it", hint="write it on one line, then run renumber again")
            earlier = [p.strip() for p in (match.group(2) or match.group(3) or "").split(",") if p.strip()]
            comment = f" {match.group(4)}" if match.group(4) else ""
            lines[edit.line] = f"{match.group(1)}[{', '.join([*earlier, old])}]{comment}{ending}"
            continue
        before, rest = current[: edit.column], current[edit.column :]
        quote = rest[:1] if rest[:1] in ("'", '"') else ""
        token = f"{quote}{old}{quote}"
        if not rest.startswith(token) or (not quote and re.match(r"[\w.:-]", rest[len(token) : len(token) + 1] or " ")):
            raise InputError(f"{path}:{edit.line + 1}: cannot find '{old}' where the YAML parser puts it", hint="rename it by hand")
        lines[edit.line] = before + f"{quote}{new}{quote}" + rest[len(token) :]
    return "".join(lines)


def _expected(data: Any, kind: str, old: str, new: str, define: bool, refer: bool) -> Any:
    """The plain data the edited file must load as: OLD replaced where renumber replaces it."""
    for entry in _entries(data, kind):
        if define and entry.get("id") == old:
            entry["id"] = new
            if kind == "requirement":
                earlier = entry.get(RENAMED_FROM)
                entry[RENAMED_FROM] = [*(earlier if isinstance(earlier, list) else [earlier]), old] if earlier is not None else old
        if refer:
            for path in ID_FIELDS[kind]:
                for container, key in _values_at(entry, path):
                    if container[key] == old:
                        container[key] = new
    return data


def _plain(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    return data


def _load_plain(text: str, kind: str) -> Any:
    return _plain(load_yaml(split_front_matter(text)[0] if kind == "meeting" else text))


def renumber(repo: SpecRepo, old: str, new: str, *, definition: str | None = None) -> Renumbered:
    """Renumber OLD to NEW in the working tree (see the module's docstring); what was done."""
    snapshot = load_snapshot(repo)
    config = snapshot.config
    known = known_ids(repo, snapshot)
    if old == new:
        raise UsageError("OLD and NEW are the same id")
    if old not in snapshot.all_ids():
        raise InputError(f"'{old}' is not the id of any requirement or record in the working tree", hint="check the id with `reqtrace list`; ids are matched exactly")
    item = snapshot.item(old)
    assert item is not None  # all_ids() holds it
    kind = item.kind
    if not ID_TEXT.match(new) or len(new) > MAX_ID_LENGTH:
        raise UsageError(f"'{new}' cannot be an id: use letters, digits, '-', '_' and '.', starting with a letter or digit")
    if kind == "requirement" and not id_matcher(config.id_pattern)(new):
        raise UsageError(f"'{new}' does not match the id pattern {config.id_pattern!r} of reqtrace.yaml")
    where = known.where(new)
    if where is not None:
        raise InputError(f"'{new}' already exists {where}; renumber never gives two items one id", hint="choose another NEW")

    # Files that may hold OLD: those whose text names it (the others cannot).
    word = _word(old)
    texts: dict[str, str] = {}
    boms: dict[str, bool] = {}
    for path in sorted(snapshot.files):
        file_kind = kind_of(path, config)
        if file_kind is None or file_kind.name == "spec-document":  # a document names sections, never an item
            continue
        data = inside(repo.root, path).read_bytes()  # the file as it is, line endings included
        boms[path] = data.startswith(UTF8_BOM)
        text = decode_text(data)
        if word.search(text):
            texts[path] = text
    definitions = []
    for path, text in texts.items():
        file_kind = kind_of(path, config)
        assert file_kind is not None
        if file_kind.name == kind:
            try:
                _, count = _plan(text, kind, old, define=True, refer=False)
            except Exception as exc:  # ruamel raises many kinds; whichever, the file is not usable
                raise InputError(f"{path} cannot be read for renumbering: {str(exc).splitlines()[0]}", hint="fix it (reqtrace check), then run renumber again") from None
            definitions.extend([path] * count)
    if definition is not None:
        definition = definition.replace("\\", "/").removeprefix("./")
        if definition not in definitions:
            raise UsageError(f"--file {definition} does not define '{old}'" + (f"; it is defined in {', '.join(sorted(set(definitions)))}" if definitions else ""))
        if definitions.count(definition) > 1:
            raise UsageError(f"{definition} defines '{old}' {definitions.count(definition)} times; give one of them another id by hand")
    elif len(definitions) > 1:
        raise UsageError(
            f"'{old}' is defined {len(definitions)} times ({', '.join(definitions)}); say which one to renumber with --file PATH",
            hint="references elsewhere may mean either copy: renumber rewrites only that file, and lists the others",
        )
    elif not definitions:
        raise InputError(f"cannot find where '{old}' is defined: no {kind} file names it in an `id:` field", hint="rename it by hand")
    else:
        definition = definitions[0]
    duplicated = len(definitions) > 1

    result = Renumbered(old, new, kind, definition, definition)
    new_texts: dict[str, str] = {}
    for path, text in texts.items():
        file_kind = kind_of(path, config)
        assert file_kind is not None
        define = path == definition
        # A duplicated id: references elsewhere may mean either copy; only its own file is sure.
        refer = define or not duplicated
        try:
            edits, _ = _plan(text, file_kind.name, old, define=define and file_kind.name == kind, refer=refer)
        except Exception as exc:  # as above
            raise InputError(f"{path} cannot be read for renumbering: {str(exc).splitlines()[0]}", hint="fix it (reqtrace check), then run renumber again") from None
        replaced = sum(1 for e in edits if e.insert_after is None)
        if replaced:
            edited = _apply(text, edits, old, new, path)
            expected = _expected(_load_plain(text, file_kind.name), file_kind.name, old, new, define and file_kind.name == kind, refer)
            if _load_plain(edited, file_kind.name) != expected:
                raise InputError(f"{path}: renumbering would change more than the ids", hint="rename it by hand")
            new_texts[path] = ("\ufeff" if boms[path] else "") + edited
            result.changed[path] = replaced
            text = edited
        # The new `x-renamed-from: OLD` is a mention renumber means to leave.
        if word.search("".join(line for line in text.splitlines(keepends=True) if not line.lstrip().startswith(RENAMED_FROM + ":"))):
            result.left.append(path)

    stem, suffix = _split_name(definition)
    if stem == old and definitions.count(definition) == 1 and _item_count(texts[definition], kind) == 1:
        result.new_path = definition[: len(definition) - len(stem) - len(suffix)] + new + suffix
        if os.path.lexists(repo.root / result.new_path):
            raise InputError(f"{result.new_path} already exists; renumber never overwrites a file", hint="move it away, or choose another NEW")
    if snapshot.has_baseline_files():
        result.baselines = sorted(b.name for b in baselines_of(snapshot).baselines if any(e.id == old for e in b.requirements))
    _write(repo, new_texts, definition, result.new_path)
    return result


def _split_name(path: str) -> tuple[str, str]:
    name = path.rsplit("/", 1)[-1]
    for suffix in (".yaml", ".yml", ".md"):
        if name.endswith(suffix):
            return name[: -len(suffix)], suffix
    return name, ""


def _item_count(text: str, kind: str) -> int:
    """How many items the file defines (read from the file: the loader keeps only the
    first copy of a duplicated id, so the snapshot may not hold this file's)."""
    return len(_entries(_load_plain(text, kind), kind))


def _write(repo: SpecRepo, new_texts: dict[str, str], definition: str, new_path: str) -> None:
    """Write every edited file, or none: a failure part-way puts back what was written."""
    written: list[tuple[Path, bytes | None]] = []
    try:
        for path, text in sorted(new_texts.items()):
            target = inside(repo.root, new_path if path == definition else path)
            previous = target.read_bytes() if target.exists() else None
            atomic_write(target, text.encode("utf-8"), exclusive=previous is None)
            written.append((target, previous))
        if new_path != definition:
            (repo.root / definition).unlink()
    except OSError as exc:
        for target, previous in reversed(written):
            try:
                if previous is None:
                    target.unlink()
                else:
                    atomic_write(target, previous)
            except OSError:
                pass
        raise InputError(f"cannot write {exc.filename or 'a file'}: {exc.strerror or exc}; nothing was renumbered") from None
