"""Requirements as a table: CSV (UTF-8 with BOM, so that Excel reads Chinese right) or .xlsx.

One row per requirement, one column per field; lists are joined with "; ", which
`import table` splits again, so import -> export -> import gives the same files.
A text that a spreadsheet would run as a formula (it starts with = + - @, a tab
or a carriage return) is written as text: behind a quote in CSV (Excel shows it
without the quote; the importer takes it off), as a typed string cell in .xlsx.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from reqtrace.core.model import Requirement, natural_key
from reqtrace.errors import UsageError
from reqtrace.importers.table import FIELDS, FORMULA_START

LIST_SEPARATOR = "; "
XLSX_MAX_WIDTH = 80  # characters; wider columns are cut by the view, not the data
XLSX_MAX_CELL = 32_767  # Excel's limit for one cell


@dataclass(frozen=True)
class TableExport:
    header: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


def requirement_data(requirement: Requirement) -> dict[str, Any]:
    """The fields of one requirement, document structure (section, order) included where the model carries it."""
    data = requirement.fields()
    for name in ("section", "order"):
        value = getattr(requirement, name, None)
        if value is not None:
            data[name] = value
    return data


def _order_key(data: dict[str, Any]) -> tuple[Any, ...]:
    order = data.get("order")
    number = order if isinstance(order, int | float) and not isinstance(order, bool) else None
    # Row order is `order` (what `import table` writes from the rows), so a table comes back in its own order.
    return (number is None, number or 0, natural_key(str(data["id"])))


def table_export(requirements: Iterable[Requirement], fields: list[str] | None = None) -> TableExport:
    """The rows of the export: `fields` in the order given, else every field some requirement
    carries (reqtrace's fields in their documented order, then x- fields by name)."""
    datas = sorted((requirement_data(r) for r in requirements), key=_order_key)
    present: set[str] = set()
    for data in datas:
        present.update(data)
    if fields is None:
        header = [name for name in FIELDS if name in present] + sorted(name for name in present if name not in FIELDS)
    else:
        unknown = [name for name in fields if name not in present and name not in FIELDS]
        if unknown:
            raise UsageError(f"--fields: no requirement has {', '.join(unknown)}",
                             hint=f"fields present: {', '.join([n for n in FIELDS if n in present] + sorted(n for n in present if n not in FIELDS))}")
        header = list(dict.fromkeys(fields))
    rows = tuple(tuple(cell_value(data.get(name)) for name in header) for data in datas)
    return TableExport(tuple(header), rows)


def cell_value(value: Any) -> Any:
    """A field value as one cell: lists joined, mappings as JSON, text and numbers as they are."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(str(cell_value(item)) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str):
        return value.rstrip("\n")  # a YAML block's final newline is no part of what a reader sees in a cell
    return value


def _runs_as_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return "'" + text if _runs_as_formula(text) else text


def write_csv(export: TableExport, handle: IO[bytes]) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_csv_text(name) for name in export.header])
    for row in export.rows:
        writer.writerow([_csv_text(value) for value in row])
    handle.write(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))


def write_xlsx(export: TableExport, handle: IO[bytes], *, sheet_title: str = "Requirements") -> None:
    # Imported here, not at the top: openpyxl costs ~150 ms to import, and only the xlsx export needs it.
    from openpyxl import Workbook  # noqa: PLC0415
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # noqa: PLC0415
    from openpyxl.styles import Alignment, Font  # noqa: PLC0415
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    sheet.freeze_panes = "A2"
    for index, name in enumerate(export.header):
        longest = max([len(name)] + [_width(row[index]) for row in export.rows[:1000]])
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(XLSX_MAX_WIDTH, max(8, longest + 2))
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")

    def cell(value: Any, **style: Any) -> WriteOnlyCell:
        if isinstance(value, str):
            # Control characters cannot be stored in a workbook (the XML forbids them).
            value = ILLEGAL_CHARACTERS_RE.sub("", value)[:XLSX_MAX_CELL]
        written = WriteOnlyCell(sheet, value=value)
        if _runs_as_formula(value):
            written.data_type = "s"  # text, never a formula: the value is the requirement's own words
        for name, setting in style.items():
            setattr(written, name, setting)
        return written

    sheet.append([cell(name, font=bold) for name in export.header])
    for row in export.rows:
        sheet.append([cell(value, alignment=wrap) if isinstance(value, str) and "\n" in value else cell(value) for value in row])
    workbook.save(handle)


def _width(value: Any) -> int:
    if value is None:
        return 0
    lines = str(value).splitlines() or [""]
    # A Chinese character takes two columns' width.
    return max(sum(2 if ord(ch) > 0x2E80 else 1 for ch in line) for line in lines)
