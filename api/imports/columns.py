"""The columns of each import and how one row becomes the request struct of the matching
one-at-a-time endpoint, so a row meets exactly the rules a JSON body meets.

A header is recognised by the field's code or its label in either language (the message
catalogue's `FIELDS`), accents, case and spacing aside. A cell is read as HR types it:
dates as DD/MM/YYYY or YYYY-MM-DD (or an Excel date), sex, stages and training kinds as the
code or its word in either language (`VALUES`), a CCCD number or province code that Excel
stored as a number gets back the leading zeros it dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import msgspec

from api.controllers.workers import CommitmentIn, EmployeeNo, TrainingIn, WorkerIn
from api.i18n.catalogue import LANGUAGES, render
from api.i18n.codes import FIELDS, VALUES
from api.i18n.validation import Broken, classify
from api.schemas import Strict
from policies.folding import fold, fold_compact
from policies.vocabulary import STAGES
from vetting.imports.rows import RowProblem
from vetting.imports.sheets import Cell, Format, read_sheet
from vetting.workers.records import TRAINING_KINDS

#: Columns a Vietnamese HR sheet often has that carry nothing to import (the row number).
IGNORED_HEADERS = frozenset({"stt"})
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_LIST = re.compile(r"[,;\n/]+")


class TrainingRowIn(TrainingIn, kw_only=True):
    """A training row: the body of `POST /workers/{id}/trainings` and whose it is."""

    employee_no: EmployeeNo


class CommitmentRowIn(CommitmentIn, kw_only=True):
    employee_no: EmployeeNo


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its field, how its cells are read (`kind`), whether the file must have it,
    and for words the codes a cell may name."""

    field: str
    kind: str
    required: bool = True
    words: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Layout:
    name: str
    columns: tuple[Column, ...]
    struct: type[Strict]


WORKERS = Layout("workers", (
    Column("employee_no", "code"), Column("full_name", "text"),
    Column("date_of_birth", "date"), Column("sex", "word", words=("male", "female")),
    Column("national_id", "national_id"), Column("hometown", "text"),
    Column("permanent_address", "text"), Column("permanent_province", "province"),
    Column("current_address", "text"),
    Column("post_unit", "unit", required=False),  # without it: the importer's unit
    Column("stages", "words", words=STAGES),
), WorkerIn)
TRAININGS = Layout("trainings", (
    Column("employee_no", "code"), Column("kind", "word", words=TRAINING_KINDS),
    Column("completed_on", "date"), Column("valid_until", "date", required=False),
), TrainingRowIn)
COMMITMENTS = Layout("commitments", (
    Column("employee_no", "code"), Column("signed_on", "date"),
    Column("document_sha256", "digest"),
), CommitmentRowIn)
LAYOUTS = {layout.name: layout for layout in (WORKERS, TRAININGS, COMMITMENTS)}


def _names(field: str) -> set[str]:
    """How a header may name `field`: its code, or its label in any of our languages."""
    return {fold_compact(field)} | {fold_compact(render(lang, FIELDS[field]))
                                    for lang in LANGUAGES}


def _word_table(codes: tuple[str, ...]) -> dict[str, str]:
    return {spelling: code for code in codes for spelling in (
        fold(code), fold(code.replace("_", " ")),
        *(fold(render(lang, VALUES[code])) for lang in LANGUAGES))}


@dataclass(frozen=True, slots=True)
class Parsed:
    """A file read against a layout: rows that made their struct, problems, and where each
    field's column is (0-based) so a problem can be shown at its cell."""

    headers: list[str]
    positions: dict[str, int]
    rows: list[tuple[int, Any]]
    problems: list[RowProblem]
    total: int


def _text(cell: Cell) -> Any:
    if isinstance(cell, bool):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    if isinstance(cell, datetime):
        return cell.isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell) if isinstance(cell, int) else cell


def _zero_padded(cell: Cell, width: int) -> Any:
    """Excel keeps 051090000001 typed in a number column as 51090000001: put the zeros back."""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    if isinstance(cell, int) and not isinstance(cell, bool) and 0 <= cell < 10 ** width:
        return f"{cell:0{width}d}"
    return _text(cell)


def _day(cell: Cell) -> Any:
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == datetime.min.time() else cell
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, str):
        found = _DMY.match(cell.strip())
        if found:
            day, month, year = map(int, found.groups())
            try:
                return date(year, month, day).isoformat()
            except ValueError:
                return cell
        return cell.strip()
    return cell  # a bare number is not a date: the struct says so


class Reader:
    """Turns the cells of one layout's rows into struct fields (tables built once)."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.words = {c.field: _word_table(c.words) for c in layout.columns if c.words}

    def value(self, column: Column, cell: Cell) -> Any:
        kind = column.kind
        if kind == "national_id":
            return _zero_padded(cell, 12)
        if kind == "province":
            return _zero_padded(cell, 2)
        if kind == "date":
            return _day(cell)
        if kind == "digest" and isinstance(cell, str):
            return cell.strip().lower()
        if kind in ("word", "words") and isinstance(cell, str):
            table = self.words[column.field]
            if kind == "word":
                return table.get(fold(cell), cell)
            return [table.get(fold(w), w.strip()) for w in _LIST.split(cell) if w.strip()]
        return _text(cell)

    def headers(self, headers: list[str]) -> tuple[dict[str, int], list[RowProblem]]:
        """Which column holds each field; unknown, repeated and missing columns are problems
        of row 1 (the header row), and with any of them no row is read."""
        names = {name: c.field for c in self.layout.columns for name in _names(c.field)}
        positions: dict[str, int] = {}
        problems: list[RowProblem] = []
        for index, header in enumerate(headers):
            key = fold_compact(header)
            if not key:
                continue
            if key in IGNORED_HEADERS:  # held, so its cells are not values without a column
                positions[f"ignored:{index}"] = index
                continue
            field = names.get(key)
            if field is None:
                problems.append(RowProblem(1, header, "UNKNOWN_COLUMN", column=index))
            elif field in positions:
                problems.append(RowProblem(1, field, "DUPLICATE_COLUMN", column=index))
            else:
                positions[field] = index
        problems.extend(RowProblem(1, c.field, "MISSING_COLUMN") for c in self.layout.columns
                        if c.required and c.field not in positions)
        return positions, problems

    def row(self, number: int, cells: list[Cell], positions: Mapping[str, int],
            defaults: Mapping[str, Any]) -> tuple[Any, list[RowProblem]]:
        values: dict[str, Any] = dict(defaults)
        for column in self.layout.columns:
            index = positions.get(column.field)
            if index is not None and index < len(cells) and cells[index] is not None:
                values[column.field] = self.value(column, cells[index])
        taken = set(positions.values())
        strays = [RowProblem(number, "", "VALUE_WITHOUT_COLUMN", column=i)
                  for i, cell in enumerate(cells) if cell is not None and i not in taken]
        made, broken = judge(self.layout.struct, values)
        return made, strays + [RowProblem(number, b.field, _sheet_rule(b.rule),
                                          {"limit": b.limit} if b.limit else {})
                               for b in broken]


def _sheet_rule(rule: str) -> str:
    """A spreadsheet date may also be written DD/MM/YYYY: its rule says so."""
    return "sheet_date" if rule == "date" else rule


def judge(struct: type[Strict], values: dict[str, Any]) -> tuple[Any, list[Broken]]:
    """The struct, or every field that breaks its rule: the whole row is converted first (one
    call, the common case), and only a refused row field by field, so every bad cell is named
    rather than the first."""
    try:
        return msgspec.convert(values, struct), []
    except msgspec.ValidationError as whole:
        broken = []
        for info in msgspec.structs.fields(struct):
            if info.name not in values:
                if info.required:
                    broken.append(Broken(info.name, "required"))
                continue
            try:
                msgspec.convert(values[info.name], info.type)
            except msgspec.ValidationError as error:
                found = classify(info.name, str(error))
                broken.append(Broken(info.name, found.rule, found.limit))
        return None, broken or [classify(None, str(whole))]


def parse(layout: Layout, content: bytes, kind: Format, defaults: Mapping[str, Any]) -> Parsed:
    """Read and judge a whole file (CPU only: run it off the event loop)."""
    sheet = read_sheet(content, kind)
    reader = Reader(layout)
    positions, problems = reader.headers(sheet.headers)
    if problems:
        return Parsed(sheet.headers, positions, [], problems, len(sheet.rows))
    rows = []
    for number, cells in sheet.rows:
        made, found = reader.row(number, cells, positions, defaults)
        problems.extend(found)
        if made is not None and not found:
            rows.append((number, made))
    return Parsed(sheet.headers, positions, rows, problems, len(sheet.rows))
