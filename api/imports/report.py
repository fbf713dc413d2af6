"""An import's problems in words: each at its row and column (the letter Excel shows, and the
header as the file spells it), with the rule it breaks and the rule in the caller's language."""

from __future__ import annotations

import msgspec

from api.i18n import field_label, message
from api.i18n.codes import RULES
from api.i18n.validation import Broken
from api.imports.columns import Parsed
from api.problems import invalid_param
from vetting.imports.rows import RowProblem

#: At most this many problems are listed (all are counted): a file with one wrong column
#: already has as many problems as rows.
MAX_LISTED = 10_000


class ImportProblem(msgspec.Struct, kw_only=True):
    row: int
    column: str | None
    header: str | None
    field: str
    rule: str
    reason: str


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index + 1))


def describe(language: str, parsed: Parsed, problem: RowProblem) -> ImportProblem:
    index = problem.column if problem.column is not None else parsed.positions.get(problem.field)
    header = parsed.headers[index] if index is not None and index < len(parsed.headers) else \
        field_label(language, problem.field)
    if problem.code in RULES:
        limit = problem.params.get("limit")
        reason = invalid_param(language, Broken(problem.field, problem.code,
                                                None if limit is None else str(limit)),
                               "file")["reason"]
    else:
        reason = message(language, problem.code, {"field": problem.field, **problem.params})
    return ImportProblem(row=problem.row, column=None if index is None else _letter(index),
                         header=header or None, field=problem.field, rule=problem.code,
                         reason=reason)


def listed(language: str, parsed: Parsed, problems: list[RowProblem]) -> list[ImportProblem]:
    return [describe(language, parsed, p) for p in problems[:MAX_LISTED]]
