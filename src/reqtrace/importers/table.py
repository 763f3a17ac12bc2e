"""Tables (`.csv`, `.xlsx`): one requirement per row, each column mapped to a field.

Reading is streamed: a CSV is decoded once and parsed row by row, a workbook
is read with openpyxl in read-only mode, so a file far past the row cap is
refused after reading the cap, not after loading a million rows. A column the
mapping does not name becomes an `x-` field; a `section` column gives each
requirement a `section` and the document a `_document.yaml` listing them; the
row order becomes `order` unless an `order` column gives it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from xml.parsers import expat

from reqtrace.errors import UsageError
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
from reqtrace.io.yamlio import YamlProblem, decode_text, load_yaml

DEFAULT_MAX_ROWS = 200_000
MAX_TABLE_BYTES = 256 * 1024 * 1024
MAX_XLSX_UNPACKED = 2 * 1024 * 1024 * 1024  # a zip bomb declares more than this
PREVIEW_ROWS = 5
MAX_COLUMNS = 1024
MAX_FILLED_CELLS = 5_000_000

LIST_FIELDS = ("acceptance", "parents", "sources", "tags")
TEXT_FIELDS = ("id", "title", "statement", "rationale", "owner", "priority", "status", "section", "order")
FIELDS = ("id", "title", "statement", "rationale", "acceptance", "priority", "status", "parents",
          "sources", "tags", "owner", "section", "order")
CHOICES = {"priority": ("must", "should", "could", "wont"), "status": ("draft", "proposed", "approved", "deprecated")}
SKIP = "-"  # --map "Notes=-": leave the column out

# Header names (lower-case, without spaces, '_' or '-') that name a field, in English and Chinese.
_GUESSES: dict[str, str] = {}
for _field, _names in {
    "id": "id uid key reqid requirementid 编号 需求编号 需求id 标识 标识符",
    "title": "title name summary heading 标题 名称 需求名称 需求标题",
    "statement": "statement description text requirement details 描述 内容 需求描述 需求内容 说明 详细描述",
    "rationale": "rationale reason justification 理由 原因 依据",
    "acceptance": "acceptance acceptancecriteria criteria 验收标准 验收条件 验收准则",
    "priority": "priority 优先级",
    "status": "status state 状态",
    "parents": "parent parents parentid parentids parentuid parentuids links 父需求 上级需求 父级 父节点",
    "sources": "sources source 来源",
    "tags": "tags tag labels label 标签",
    "owner": "owner assignee 负责人 责任人",
    "section": "section chapter 章节 节 所属章节",
    "order": "order sequence 顺序 排序",
}.items():
    for _name in _names.split():
        _GUESSES[_name] = _field

# A cell that a spreadsheet would run as a formula is exported behind a quote (exporters.table);
# the quote is taken off again here.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class TableOptions:
    mapping: dict[str, str] = field(default_factory=dict)  # column header -> field, x-NAME or "-"
    sheet: str | None = None
    encoding: str | None = None
    max_rows: int = DEFAULT_MAX_ROWS


@dataclass
class Table:
    """A table as read: its header, and its rows with their row numbers (the header is row 1)."""

    name: str  # the file name, for messages
    header: list[str]
    rows: Iterator[tuple[int, list[Any]]]
    notes: list[str] = field(default_factory=list)  # said while reading: encoding, formulas, merged cells
    problems: list[str] = field(default_factory=list)  # found while reading; refused at the end


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: the name a spreadsheet shows for the column."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _key(header: str) -> str:
    return re.sub(r"[\s_\-:：()（）]+", "", header).lower()


def custom_name(header: str, index: int) -> str:
    """The x- field an unmapped column becomes: its header, lower-case, spaces as '-'."""
    text = header.strip()
    if re.fullmatch(r"x-[\w.-]+", text):
        return text  # a custom field's own name (an export's header): kept as it is, case included
    if text.lower().startswith("x-"):
        text = text[2:]
    cleaned = re.sub(r"[^\w.-]+", "-", text.lower()).strip("-_.")[:60]
    return f"x-{cleaned or 'column-' + column_letter(index).lower()}"


# ---------------------------------------------------------------- reading


def read_table(path: Path, options: TableOptions) -> Table:
    """The file's header and a stream of its rows; a SourceError when it is no table."""
    name = path.name
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise SourceError(name, None, f"cannot be read: {exc.strerror or exc}") from None
    if size > MAX_TABLE_BYTES:
        raise SourceError(name, None, f"is {size:,} bytes; tables are read up to {MAX_TABLE_BYTES:,} bytes",
                          hint="split the table into several files")
    suffix = path.suffix.lower()
    if suffix == ".xls" or magic == b"\xd0\xcf\x11\xe0":
        raise SourceError(name, None, "is an old Excel .xls workbook, which reqtrace does not read",
                          hint="save it as .xlsx (Excel Workbook) or .csv UTF-8, then import that")
    if suffix in (".xlsx", ".xlsm") or magic.startswith(b"PK"):
        if options.encoding:
            raise UsageError("--encoding applies to CSV files; an .xlsx workbook holds its own text encoding")
        return _read_xlsx(path, name, options.sheet, options.max_rows)
    if options.sheet:
        raise UsageError("--sheet applies to .xlsx workbooks; a CSV file has one table")
    return _read_csv(path.read_bytes(), name, options.encoding)


def _decode(data: bytes, name: str, encoding: str | None) -> tuple[str, str]:
    if encoding:
        try:
            return data.decode(encoding), encoding
        except LookupError:
            raise UsageError(f"--encoding {encoding}: no such encoding (try utf-8 or gb18030)") from None
        except UnicodeDecodeError as exc:
            row = data[: exc.start].count(b"\n") + 1
            raise SourceError(name, row, f"not {encoding} text (byte 0x{data[exc.start]:02x})",
                              hint="name the file's real encoding with --encoding (utf-8, gb18030, big5 ...)") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        # GB18030 holds GBK and GB2312: what Excel writes for "CSV" on a Chinese Windows.
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        raise SourceError(name, row, "is neither UTF-8 nor GBK/GB18030 text",
                          hint="name its encoding with --encoding, or save it as CSV UTF-8") from None


def _binary(text: str) -> bool:
    sample = text[:65536]
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\r\n" or "\x7f" <= ch <= "\x9f")
    return "\x00" in sample or controls > max(8, len(sample) // 100)


def _read_csv(data: bytes, name: str, encoding: str | None) -> Table:
    if encoding is None and data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"  # Excel's "Unicode Text": UTF-16 with a BOM, tab-separated
    if b"\x00" in data[:65536] and not (encoding or "").lower().replace("_", "-").startswith("utf-16"):
        raise SourceError(name, None, "is a binary file, not a CSV table", hint="export the table as CSV or .xlsx")
    text, used = _decode(data, name, encoding)
    if _binary(text):
        raise SourceError(name, None, "is a binary file, not a CSV table", hint="export the table as CSV or .xlsx")
    first_line = text.split("\n", 1)[0]
    # The header line decides: the separator it holds most of (a header rarely quotes a separator).
    delimiter = max(",;\t|", key=lambda sep: (first_line.count(sep), sep == ","))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise SourceError(name, 1, f"cannot be read as CSV: {exc}") from None
    if not header or not any(cell.strip() for cell in header):
        raise SourceError(name, 1, "has no header row", hint="the first row names the columns (e.g. ID, Title, Statement)")
    table = Table(name, header, iter(()))
    if used != "utf-8":
        table.notes.append(f"{name} was read as {used} text")
    if delimiter != ",":
        table.notes.append(f"columns separated by {'a tab' if delimiter == chr(9) else repr(delimiter)}")

    def rows() -> Iterator[tuple[int, list[Any]]]:
        number = 1
        try:
            for row in reader:
                number += 1
                yield number, row
        except csv.Error as exc:
            raise SourceError(f"{name}:{number + 1}", None, f"cannot be read as CSV: {exc}") from None

    table.rows = rows()
    return table


def _read_xlsx(path: Path, name: str, sheet: str | None, max_rows: int) -> Table:
    try:
        with zipfile.ZipFile(path) as archive:
            members = {info.filename: info for info in archive.infolist()}
            if sum(info.file_size for info in members.values()) > MAX_XLSX_UNPACKED:
                raise SourceError(name, None, "unpacks to more than 2 GiB: not read (a zip bomb?)")
            if "xl/workbook.xml" not in members:
                raise SourceError(name, None, "is a zip archive but not an Excel workbook (no xl/workbook.xml)",
                                  hint="import a .xlsx saved by Excel or LibreOffice, or a .csv")
    except zipfile.BadZipFile:
        raise SourceError(name, None, "is not an .xlsx workbook (not a zip archive)",
                          hint="import a .xlsx saved by Excel or LibreOffice, or a .csv") from None
    # Imported here, not at the top: openpyxl costs ~150 ms to import, and only this reads it.
    import openpyxl  # noqa: PLC0415

    try:
        # data_only: a formula cell gives the value the file saved with it; the scan below finds
        # the formulas that have none.
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise SourceError(name, None, f"cannot be read as an .xlsx workbook: {exc}",
                          hint="open it in Excel or LibreOffice and save it again") from None
    names = workbook.sheetnames
    chosen = sheet if sheet is not None else names[0]
    if chosen not in names:
        workbook.close()
        raise SourceError(name, None, f"has no sheet named '{chosen}' (sheets: {', '.join(names)})",
                          hint="name one of them with --sheet")
    where = f"{name}" if sheet is None and len(names) == 1 else f"{name} [{chosen}]"
    table = Table(where, [], iter(()))
    try:
        facts = _scan_sheet(path, workbook[chosen], where, max_rows)
    except SourceError:
        workbook.close()
        raise
    if len(names) > 1 and sheet is None:
        table.notes.append(f"read sheet '{chosen}', the first of {len(names)} (--sheet picks another)")
    if facts.formulas:
        table.notes.append(f"{facts.formulas} cells held formulas: their calculated values (as last saved) were imported")
    table.problems.extend(f"{where}:{row}:{column}: the formula ={text[:60]} has no calculated value saved in the file"
                          for row, column, text in facts.unsaved)
    fill = _merge_filler(facts.merged, table)
    # min_row=1: rows are numbered as the spreadsheet numbers them, blank rows included.
    stream = enumerate(workbook[chosen].iter_rows(min_row=1, values_only=True), 1)

    def cells() -> Iterator[tuple[int, list[Any]]]:
        for number, row in stream:
            yield number, fill(number, list(row))
        workbook.close()

    rows = cells()
    for _number, row in rows:
        if any(cell not in (None, "") for cell in row):  # the header: the first row that is not blank
            table.header = ["" if cell is None else str(cell) for cell in row]
            break
    else:
        raise SourceError(where, None, "has no header row", hint="the first row names the columns (e.g. ID, Title, Statement)")
    table.rows = rows
    return table


@dataclass
class _SheetFacts:
    merged: list[tuple[int, int, int, int, str]] = field(default_factory=list)
    formulas: int = 0
    unsaved: list[tuple[int, str, str]] = field(default_factory=list)  # formulas without a saved value: row, column, text


_CELL = re.compile(r"^([A-Z]+)([0-9]+)$")


def _cell_position(ref: str) -> tuple[int, int]:
    match = _CELL.match(ref.replace("$", ""))
    if not match:
        return 0, 0
    column = 0
    for letter in match.group(1):
        column = column * 26 + ord(letter) - 64
    return int(match.group(2)), column - 1


def _scan_sheet(path: Path, worksheet: Any, where: str, max_rows: int) -> _SheetFacts:
    """What openpyxl's read-only mode does not say, from one streamed pass over the sheet's XML:
    its merged ranges (they sit after the rows), the formulas without a saved value, and
    whether it has more rows with values than `max_rows` (then reading stops there)."""
    facts = _SheetFacts()
    member = getattr(worksheet, "_worksheet_path", None) or getattr(worksheet, "_path", None)
    if not member:
        return facts
    cell: dict[str, Any] = {"ref": "", "type": "", "formula": None, "value": False}
    row = {"number": 0, "filled": False}
    rows_with_values = [0]
    inside: list[str] = []

    def start(tag: str, attributes: dict[str, str]) -> None:
        name = tag.rpartition(":")[2]
        inside.append(name)
        if name == "row":
            row["number"] = int(attributes["r"]) if attributes.get("r", "").isdigit() else row["number"] + 1
            row["filled"] = False
        elif name == "c":
            cell.update(ref=attributes.get("r", ""), type=attributes.get("t", ""), formula=None, value=False)
        elif name == "f":
            cell["formula"] = ""
        elif name in ("v", "is"):
            cell["value"] = True
        elif name == "mergeCell" and ":" in attributes.get("ref", ""):
            ref = attributes["ref"]
            first, last = ref.split(":", 1)
            (row1, col1), (row2, col2) = _cell_position(first), _cell_position(last)
            facts.merged.append((row1, col1, row2, col2, ref))

    def text(data: str) -> None:
        if inside and inside[-1] == "f" and len(cell["formula"] or "") < 200:
            cell["formula"] = (cell["formula"] or "") + data
        elif inside and inside[-1] == "v" and not data.strip():
            pass
        elif inside and inside[-1] == "v":
            cell["value"] = "text"

    def end(tag: str) -> None:
        name = inside.pop() if inside else ""
        if name == "c":
            if cell["formula"] is not None:
                facts.formulas += 1
                # A saved value is text in <v>; an empty <v> is one only for a formula typed as
                # text (t="str", a formula that gave ""): openpyxl writes <v/> when it has none.
                if not (cell["value"] == "text" or (cell["value"] and cell["type"] == "str")):
                    _row, column = _cell_position(cell["ref"]) if cell["ref"] else (row["number"], 0)
                    facts.unsaved.append((row["number"], column_letter(column), cell["formula"] or "(a shared formula)"))
            elif cell["value"]:
                row["filled"] = True
        elif name == "row" and row["filled"]:
            rows_with_values[0] += 1
            if rows_with_values[0] > max_rows + 1:  # + the header row
                raise SourceError(where, None, f"has more than {max_rows:,} rows; stopped reading at row {row['number']:,}",
                                  hint="raise the cap with --max-rows N if the table really holds that many requirements")

    def refuse_entities(*_args: Any) -> None:
        raise SourceError(where, None, "declares XML entities, which a workbook never needs; not read")

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.EntityDeclHandler = refuse_entities  # no entity expansion, no external entities
    try:
        with zipfile.ZipFile(path) as archive, archive.open(member.lstrip("/")) as xml:
            parser.ParseFile(xml)
    except (expat.ExpatError, KeyError, zipfile.BadZipFile) as exc:
        raise SourceError(where, None, f"the sheet cannot be read: {exc}") from None
    return facts


def _merge_filler(ranges: list[tuple[int, int, int, int, str]], table: Table) -> Any:
    """The value of a merged range belongs to its top-left cell; it is filled into every
    cell of the range (a merged 'Section' cell spanning five rows gives all five the section)."""
    if not ranges:
        return lambda _number, row: row
    top_left: dict[tuple[int, int], Any] = {}
    table.notes.append(f"{len(ranges)} merged cell ranges ({', '.join(r[4] for r in sorted(ranges)[:5])}{' …' if len(ranges) > 5 else ''}): "
                       "the top-left cell's value was filled into every cell of each")

    waiting = deque(sorted(ranges))  # by first row
    active: list[tuple[int, int, int, int, str]] = []
    filled = [0]

    def fill(number: int, row: list[Any]) -> list[Any]:
        while waiting and waiting[0][0] <= number:
            active.append(waiting.popleft())
        active[:] = [r for r in active if r[2] >= number]
        for row1, col1, _row2, col2, _ref in active:
            if number == row1:
                top_left[(row1, col1)] = row[col1] if col1 < len(row) else None
            value = top_left.get((row1, col1))
            if value is None or value == "":
                continue  # a merge for looks: nothing to fill
            # A range may claim every column of the sheet; no table has more than MAX_COLUMNS.
            last = min(col2, MAX_COLUMNS - 1)
            filled[0] += last - col1 + 1
            if filled[0] > MAX_FILLED_CELLS:
                raise SourceError(f"{table.name}:{number}", None, f"merged ranges cover more than {MAX_FILLED_CELLS:,} cells; not read",
                                  hint="unmerge the cells (keep the value in each) and save again")
            while len(row) <= last:
                row.append(None)
            for column in range(col1, last + 1):
                if (number, column) != (row1, col1):
                    row[column] = value
        return row

    return fill


# ---------------------------------------------------------------- mapping


def load_map_file(path: Path) -> dict[str, str]:
    """A mapping file: YAML `Column header: field` lines (optionally under `columns:`)."""
    try:
        data = load_yaml(decode_text(path.read_bytes()))
    except OSError as exc:
        raise SourceError(path.name, None, f"cannot be read: {exc.strerror or exc}") from None
    except YamlProblem as problem:
        raise SourceError(path.name, problem.line, problem.message) from None
    if isinstance(data, dict) and set(data) == {"columns"}:
        data = data["columns"]
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise SourceError(path.name, 1, "a mapping file holds `Column header: field` lines (e.g. `编号: id`)")
    return {str(k): v for k, v in data.items()}


def parse_map_options(values: list[str]) -> dict[str, str]:
    mapping = {}
    for value in values:
        column, sep, target = value.rpartition("=")
        if not sep or not column.strip() or not target.strip():
            raise UsageError(f"--map {value!r}: write COLUMN=FIELD, e.g. --map \"编号=id\"")
        mapping[column.strip()] = target.strip()
    return mapping


def _check_target(column: str, target: str) -> str:
    target = target.strip()
    if target in FIELDS or target == SKIP:
        return target
    if target.startswith("x-") and len(target) > 2:
        return target
    raise UsageError(f"column '{column}' is mapped to '{target}', which is no field",
                     hint=f"map to one of {', '.join(FIELDS)}, an x-NAME custom field, or - to leave it out")


def column_fields(header: list[str], given: dict[str, str], name: str) -> list[str | None]:
    """The field each column becomes (None: left out), from the given mapping, else the header."""
    keys = {_key(h): h for h in header if h.strip()}
    for column in given:
        if column not in header and _key(column) not in keys:
            raise UsageError(f"--map names a column '{column}' that {name} does not have",
                             hint=f"its columns: {', '.join(h for h in header if h.strip())}")
    by_key = {_key(column): _check_target(column, target) for column, target in given.items()}
    fields: list[str | None] = []
    for index, column in enumerate(header):
        target = given.get(column)
        if target is not None:
            target = _check_target(column, target)
        else:
            target = by_key.get(_key(column)) if column.strip() else None
        if target is None:
            target = _GUESSES.get(_key(column)) if column.strip() else None
            if target is None or target in fields or target in by_key.values():
                target = custom_name(column, index)
        fields.append(None if target == SKIP else target)
    seen: dict[str, int] = {}
    for index, target in enumerate(fields):
        if target is None:
            continue
        if target in seen:
            first = seen[target]
            raise SourceError(f"{name}:1:{column_letter(index)}", None,
                              f"columns {column_letter(first)} ('{header[first]}') and {column_letter(index)} ('{header[index]}') both map to {target}",
                              hint=f"map one of them elsewhere, e.g. --map \"{header[index]}=-\" to leave it out")
        seen[target] = index
    if "id" not in seen:
        raise SourceError(f"{name}:1", None, f"no column gives the requirement id (columns: {', '.join(h for h in header if h.strip())})",
                          hint="name it: --map \"COLUMN=id\"")
    return fields


# ---------------------------------------------------------------- rows to requirements


_LIST_SPLIT = {
    "parents": re.compile(r"[,;，；、\s]+"),
    "sources": re.compile(r"[,;，；、\s]+"),
    "tags": re.compile(r"[,;，；、]+"),
    "acceptance": re.compile(r"[;；]|\r?\n"),
}


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a needless '.0', the export's formula quote taken off."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value) if not isinstance(value, str) else value
    if text.startswith("'") and text[1:2] and text[1] in FORMULA_START:
        text = text[1:]
    # Control characters are nobody's requirement text, and a terminal would obey them when shown.
    return _CONTROL.sub("", text.replace("\r\n", "\n"))


def _custom_value(value: Any) -> Any:
    if isinstance(value, str):
        return cell_text(value).strip()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return plain(value)


def _order_value(text: str, where: str) -> int | float:
    try:
        number = float(text)
    except ValueError:
        raise SourceError(where, None, f"order '{text[:40]}' is not a number") from None
    return int(number) if number.is_integer() else number


def section_id(title: str) -> str:
    """A section id from what a cell says: the text when it fits (letters, digits, - _ .), else a stable short hash."""
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", title):
        return title
    return "s-" + hashlib.sha256(title.encode("utf-8")).hexdigest()[:8]


def read_requirements(table: Table, fields: list[str | None], id_ok: IdTest, max_rows: int, *, folder: str = "",
                      document: str = "document", document_title: str = "") -> Imported:
    """Every row of the table as a requirement; a SourceError naming file:row:column for a row that cannot be one.

    In stages: the rows that hold data, the id each row gets, each row as a requirement,
    then the summary of what was mapped and what was not."""
    result = Imported("table")
    columns = _Columns(table, fields)
    rows = _data_rows(table, max_rows)
    new_ids = _new_ids(rows, columns, id_ok, result)
    beyond = [number for number, row in rows if any(cell not in (None, "") for cell in row[len(fields):])]
    if beyond:
        result.not_mapped.append(f"{len(beyond)} rows (first: row {beyond[0]}) have values right of the last column "
                                 f"with a header ({column_letter(len(fields) - 1)}); left out: give that column a header to keep them")
    found = _Found()
    for position, (number, row) in enumerate(rows, 1):
        requirement = _row_requirement(number, row, columns, new_ids, id_ok, folder, found)
        if "order" not in columns.index_of:
            requirement.fields["order"] = position
        for key in requirement.custom:
            result.keep(key)
        result.requirements.append(requirement)
    _summarise(result, columns, found)
    if found.sections:
        result.documents[folder] = {
            "document": document,
            "title": document_title or document,
            "sections": [{"id": sid, "title": title} for sid, title in found.sections.items()],
        }
    return result


class _Columns:
    """Which column holds which field, and where a cell is (`file:row:column`) for messages."""

    def __init__(self, table: Table, fields: list[str | None]) -> None:
        self.table = table
        self.fields = fields
        self.index_of = {target: index for index, target in enumerate(fields) if target}

    def cell(self, row: list[Any], target: str) -> Any:
        index = self.index_of.get(target)
        return row[index] if index is not None and index < len(row) else None

    def where(self, number: int, target: str) -> str:
        return f"{self.table.name}:{number}:{column_letter(self.index_of[target])}"


@dataclass
class _Found:
    """What reading the rows noticed, for the summary."""

    sections: dict[str, str] = field(default_factory=dict)  # id -> title, in order of first appearance
    unknown_parents: dict[str, int] = field(default_factory=dict)
    odd_choices: dict[str, int] = field(default_factory=dict)


def _data_rows(table: Table, max_rows: int) -> list[tuple[int, list[Any]]]:
    """The rows that hold something, with their row numbers; refused past `max_rows` or with formulas."""
    rows: list[tuple[int, list[Any]]] = []
    for number, row in table.rows:
        if not any(cell not in (None, "") and str(cell).strip() for cell in row):
            continue  # blank rows (spreadsheets end with many)
        rows.append((number, row))
        if len(rows) > max_rows:
            raise SourceError(table.name, None, f"has more than {max_rows:,} rows; stopped reading at row {number:,}",
                              hint="raise the cap with --max-rows N if the table really holds that many requirements")
    if table.problems:
        more = f" (and {len(table.problems) - 1} more)" if len(table.problems) > 1 else ""
        raise SourceError(table.problems[0], None, f"is refused{more}: reqtrace does not calculate formulas",
                          hint="open the workbook in Excel or LibreOffice and save it, so that the values are stored, then import again")
    if not rows:
        raise SourceError(table.name, None, "has a header but no rows", hint="nothing to import")
    return rows


def _new_ids(rows: list[tuple[int, list[Any]]], columns: _Columns, id_ok: IdTest, result: Imported) -> dict[str, str]:
    """The table's id -> the requirement id it becomes; every id present, unique, and still unique once made valid."""
    id_column = columns.index_of["id"]
    source_ids: dict[str, int] = {}
    new_ids: dict[str, str] = {}
    taken_by: dict[str, str] = {}  # new id -> the source id that became it
    for number, row in rows:
        source_id = cell_text(columns.cell(row, "id")).strip()
        where = columns.where(number, "id")
        if not source_id:
            raise SourceError(where, None, f"empty id (column '{columns.table.header[id_column]}')",
                              hint="give every row an id, or delete the row")
        if source_id in source_ids:
            raise SourceError(where, None, f"the id {source_id} is also on row {source_ids[source_id]}",
                              hint="ids must be unique: renumber one of the rows")
        source_ids[source_id] = number
        new_id = reqtrace_id(source_id, id_ok)
        if new_id is None:
            raise SourceError(where, None, f"the id {source_id[:60]} cannot become a requirement id matching the repo's id_pattern",
                              hint="set id_pattern in reqtrace.yaml to accept it, or change the id in the table")
        if new_id in taken_by:
            other = taken_by[new_id]
            raise SourceError(where, None, f"the ids {other} (row {source_ids[other]}) and {source_id} both become {new_id}",
                              hint="change one of them, or widen id_pattern so both are kept as they are")
        new_ids[source_id] = new_id
        taken_by[new_id] = source_id
        if new_id != source_id:
            result.renamed[source_id] = new_id
    return new_ids


def _row_requirement(number: int, row: list[Any], columns: _Columns, new_ids: dict[str, str], id_ok: IdTest,
                     folder: str, found: _Found) -> ImportedRequirement:
    """One row as a requirement: id, title and statement, then each mapped column."""
    source_id = cell_text(columns.cell(row, "id")).strip()
    rid = new_ids[source_id]
    statement = cell_text(columns.cell(row, "statement")).strip()
    title = " ".join(cell_text(columns.cell(row, "title")).split())
    if not title and not statement:
        raise SourceError(columns.where(number, "id"), None, f"{source_id} has neither a title nor a statement",
                          hint="fill in at least one of them")
    requirement = ImportedRequirement(id=rid, title=title or first_line(statement), statement=statement or title,
                                      source=f"{columns.table.name}:{number}", folder=folder)
    if rid != source_id:
        requirement.custom["x-source-id"] = source_id
    for target in columns.fields:
        if target is None or target in ("id", "title", "statement"):
            continue
        value = columns.cell(row, target)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        _set_field(requirement, target, value, partial(columns.where, number, target), new_ids, id_ok, found)
    return requirement


def _set_field(requirement: ImportedRequirement, target: str, value: Any, where: Callable[[], str],
               new_ids: dict[str, str], id_ok: IdTest, found: _Found) -> None:
    """One cell's value into the field its column maps to (`where` names the cell, for messages)."""
    if target.startswith("x-"):
        requirement.custom[target] = _custom_value(value)
    elif target in LIST_FIELDS:
        text = cell_text(value)
        items = [part.strip() for part in _LIST_SPLIT[target].split(text) if part.strip()]
        if target == "parents":
            items = [_parent(item, new_ids, id_ok, where(), found.unknown_parents) for item in items]
        if items and target in ("parents", "tags"):
            setattr(requirement, target, items)
        elif items:
            requirement.fields[target] = items
    elif target == "rationale":
        requirement.rationale = cell_text(value).strip()
    elif target in CHOICES:
        text = cell_text(value).strip()
        if text.lower() in CHOICES[target]:
            requirement.fields[target] = text.lower()
        else:
            requirement.custom[f"x-{target}"] = text
            found.odd_choices[target] = found.odd_choices.get(target, 0) + 1
    elif target == "order":
        requirement.fields["order"] = _order_value(cell_text(value).strip(), where())
    elif target == "section":
        title_text = " ".join(cell_text(value).split())
        sid = section_id(title_text)
        if found.sections.setdefault(sid, title_text) != title_text:
            raise SourceError(where(), None, f"the sections '{found.sections[sid]}' and '{title_text}' get the same id {sid}")
        requirement.fields["section"] = sid
    else:
        requirement.fields[target] = cell_text(value).strip()


def _summarise(result: Imported, columns: _Columns, found: _Found) -> None:
    """What each column became, and what was left out or kept as written."""
    table = columns.table
    for index, target in enumerate(columns.fields):
        column = table.header[index] if index < len(table.header) else ""
        label = f"{column_letter(index)} '{column}'" if column.strip() else column_letter(index)
        if target is None:
            if column.strip():
                result.not_mapped.append(f"column {label}: left out (mapped to -)")
            continue
        if not target.startswith("x-"):
            result.mapped[label] = target
    if "order" not in columns.index_of:
        result.mapped["(row order)"] = "order"
    if result.renamed:
        result.notes.append("ids that did not match id_pattern became PREFIX-NUMBER; the table's id is kept in x-source-id")
    for target, count in found.odd_choices.items():
        result.not_mapped.append(f"{target}: {count} value{'s' if count != 1 else ''} not one of {'/'.join(CHOICES[target])}; kept as x-{target}")
    if found.unknown_parents:
        shown = ", ".join(sorted(found.unknown_parents)[:5])
        result.not_mapped.append(f"parents not among the rows, kept as written ({shown}{' …' if len(found.unknown_parents) > 5 else ''}); "
                                 "`reqtrace check` reports those the repo does not have")
    result.notes.extend(table.notes)


def _parent(item: str, new_ids: dict[str, str], id_ok: IdTest, where: str, unknown: dict[str, int]) -> str:
    if item in new_ids:
        return new_ids[item]
    if id_ok(item):
        unknown[item] = unknown.get(item, 0) + 1
        return item
    raise SourceError(where, None, f"the parent {item[:60]} is neither a row of the table nor an id matching id_pattern",
                      hint="separate several parents with commas, semicolons or spaces")


def document_name(path: Path) -> tuple[str, str]:
    """The document id (letters, digits, - _ .) and title a table file gives."""
    return slug(path.stem), path.stem


def keep_document(imported: Imported, previous: bytes | None) -> None:
    """A table imported again over its own folder keeps the document it had: its id, title,
    parent and x- attributes, and the titles of sections it already knew (the export writes
    section ids, not titles)."""
    document = imported.documents.get("")
    if document is None or previous is None:
        return
    try:
        old = load_yaml(decode_text(previous))
    except YamlProblem:
        return  # a broken _document.yaml is replaced; `check` would have reported it
    if not isinstance(old, dict):
        return
    for key, value in old.items():
        if key != "sections" and (key in ("document", "title", "parent") or str(key).startswith("x-")):
            document[key] = plain(value)
    known = {s.get("id"): s.get("title") for s in old.get("sections") or [] if isinstance(s, dict)}
    for section in document["sections"]:
        if isinstance(known.get(section["id"]), str) and section["title"] == section["id"]:
            section["title"] = known[section["id"]]
