"""The blank templates HR downloads: the header row in the caller's language (Vietnamese by
default) and, in the workbook, text-formatted code columns (a CCCD keeps its leading 0), date
columns shown DD/MM/YYYY, a drop-down for one-word columns and an instructions sheet."""

from __future__ import annotations

import io

from api.i18n import field_label
from api.i18n.catalogue import render
from api.i18n.codes import SPREADSHEET, VALUES
from api.imports.columns import Column, Layout
from vetting.imports.sheets import MAX_ROWS

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Columns whose cells are codes, not numbers: formatted as text so Excel keeps them as typed.
_TEXT_KINDS = frozenset({"code", "national_id", "province", "unit", "digest"})


def _text(language: str, key: str, **params: str) -> str:
    return render(language, SPREADSHEET[key], params)


def hint(language: str, column: Column) -> str:
    values = ", ".join(render(language, VALUES[w]) for w in column.words)
    return _text(language, f"hint.{column.kind}", values=values)


def headers(language: str, layout: Layout) -> list[str]:
    return [field_label(language, c.field) for c in layout.columns]


def csv_template(language: str, layout: Layout) -> bytes:
    """A header row, `;`-separated as Excel expects in a Vietnamese locale, with a BOM so
    Excel reads it as UTF-8."""
    return ("\ufeff" + ";".join(headers(language, layout)) + "\r\n").encode("utf-8")


def xlsx_template(language: str, layout: Layout) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = _text(language, f"sheet.{layout.name}")[:31]
    sheet.append(headers(language, layout))
    sheet.freeze_panes = "A2"
    for index, column in enumerate(layout.columns, start=1):
        letter = get_column_letter(index)
        sheet.cell(row=1, column=index).font = Font(bold=True)
        dimension = sheet.column_dimensions[letter]
        dimension.width = max(14, len(field_label(language, column.field)) + 4)
        if column.kind in _TEXT_KINDS:
            dimension.number_format = "@"
        elif column.kind == "date":
            dimension.number_format = "DD/MM/YYYY"
        if column.kind == "word":
            choices = ",".join(render(language, VALUES[w]) for w in column.words)
            rule = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
            rule.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
            sheet.add_data_validation(rule)
    guide = book.create_sheet(_text(language, "sheet.instructions")[:31])
    guide.append([_text(language, "heading.column"), _text(language, "heading.required"),
                  _text(language, "heading.how")])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for column in layout.columns:
        guide.append([field_label(language, column.field),
                      _text(language, "required.yes" if column.required else "required.no"),
                      hint(language, column)])
    for letter, width in (("A", 32), ("B", 12), ("C", 80)):
        guide.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
