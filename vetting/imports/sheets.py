"""Reading the rows of an uploaded spreadsheet: CSV (UTF-8 with or without a BOM, `,` or `;`
between values, as Excel writes it in a Vietnamese locale) or an Excel workbook (.xlsx, its
first sheet). Cells come back as the file holds them; judging them is the caller's work."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from vetting.errors import InvalidInput

MAX_ROWS = 10_000
#: An .xlsx is a zip: refuse one that would unpack to more than this (a zip bomb).
MAX_UNPACKED_BYTES = 128 * 1024 * 1024
XLSX_MAGIC = b"PK\x03\x04"

Cell = str | int | float | bool | date | datetime | None
Format = Literal["csv", "xlsx"]


@dataclass(frozen=True, slots=True)
class Sheet:
    """The header row, and each non-blank row below it with its number as a spreadsheet
    program shows it (the header is row 1)."""

    headers: list[str]
    rows: list[tuple[int, list[Cell]]]


def _unreadable(code: str = "IMPORT_UNREADABLE", **extra: object) -> InvalidInput:
    return InvalidInput("the file cannot be read as a CSV (UTF-8) or .xlsx spreadsheet",
                        field="file", code=code, **extra)


def _blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _collect(lines: Iterable[Sequence[Cell]]) -> Sheet:
    """Header and rows from any iterator of rows; blank rows skipped, numbering kept."""
    rows: list[tuple[int, list[Cell]]] = []
    headers: list[str] | None = None
    for number, raw in enumerate(lines, start=1):
        cells: list[Cell] = [None if _blank(c) else c for c in raw]
        while cells and cells[-1] is None:
            cells.pop()
        if headers is None:
            if not cells:
                continue  # blank lines above the header
            headers = ["" if c is None else str(c).strip() for c in cells]
            continue
        if cells:
            if len(rows) == MAX_ROWS:
                raise _unreadable("IMPORT_TOO_MANY_ROWS", limit=MAX_ROWS)
            rows.append((number, cells))
    if headers is None or not rows:
        raise _unreadable("IMPORT_EMPTY")
    return Sheet(headers=headers, rows=rows)


def _csv(content: bytes) -> Sheet:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _unreadable("IMPORT_NOT_UTF8") from exc
    first = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    try:
        return _collect(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise _unreadable() from exc


def _xlsx(content: bytes) -> Sheet:
    from openpyxl import load_workbook  # a second or so to import: only when a workbook comes

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(item.file_size for item in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise _unreadable() from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise _unreadable()
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file; all mean one thing
        raise _unreadable() from exc
    try:
        return _collect(book.worksheets[0].iter_rows(values_only=True))
    except InvalidInput:
        raise
    except Exception as exc:
        raise _unreadable() from exc
    finally:
        book.close()


def sniff(content: bytes) -> Format:
    """What an upload holds when its part's declared type cannot be trusted (browsers send
    `application/octet-stream` or a vendor type): a zip is a workbook, anything else CSV."""
    return "xlsx" if content.startswith(XLSX_MAGIC) else "csv"


def read_sheet(content: bytes, kind: Format) -> Sheet:
    """The rows of a CSV or .xlsx file; a file that cannot be read is refused naming `file`."""
    return _xlsx(content) if kind == "xlsx" else _csv(content)
