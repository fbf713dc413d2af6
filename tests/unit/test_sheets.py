"""Reading spreadsheets: row numbers as a spreadsheet shows them, BOM and delimiter, limits."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from vetting.errors import InvalidInput
from vetting.imports import sheets


def test_xlsx_rows_keep_their_numbers_across_blank_rows() -> None:
    book = Workbook()
    sheet = book.active
    sheet["A1"], sheet["B1"], sheet["A3"], sheet["B5"] = "Mã", "Tên", "E1", 7
    out = io.BytesIO()
    book.save(out)
    read = sheets.read_sheet(out.getvalue(), "xlsx")
    assert read.headers == ["Mã", "Tên"]
    assert read.rows == [(3, ["E1"]), (5, [None, 7])]


@pytest.mark.parametrize("text", ["\ufeffa;b\r\n1;2,5\r\n", "a,b\n1,\"2,5\"\n",
                                  "a;b\n\n1;2,5\n"])
def test_csv_bom_and_delimiter(text: str) -> None:
    read = sheets.read_sheet(text.encode(), "csv")
    assert read.headers == ["a", "b"]
    assert [cells for _, cells in read.rows] == [["1", "2,5"]]


def test_a_zip_bomb_is_refused_before_it_is_unpacked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sheets, "MAX_UNPACKED_BYTES", 10_000)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (sheets.MAX_UNPACKED_BYTES + 1))
    with pytest.raises(InvalidInput) as refused:
        sheets.read_sheet(out.getvalue(), "xlsx")
    assert refused.value.code == "IMPORT_UNREADABLE" and refused.value.field == "file"


def test_sniffing_an_upload() -> None:
    assert sheets.sniff(b"PK\x03\x04rest") == "xlsx"
    assert sheets.sniff("Mã;Tên".encode()) == "csv"
