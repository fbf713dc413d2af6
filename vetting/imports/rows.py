"""What an import reports and returns: problems by row and field, and what it wrote."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from vetting.audit.entries import append
from vetting.models.base import new_id
from vetting.principal import Context

T = TypeVar("T")
#: Rows handled between two yields to the event loop while an import builds its rows.
YIELD_EVERY = 500


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One rule one row breaks: `row` as the spreadsheet numbers it, the field, the rule's
    code (its words are in the message catalogue) and the values the words name."""

    row: int
    field: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)
    column: int | None = None  # 0-based, where `field` names no column of the file


@dataclass(slots=True)
class Outcome(Generic[T]):
    """An import's result: with any problem nothing was written (`written` is empty)."""

    rows: int
    problems: list[RowProblem]
    written: list[tuple[int, T]] = field(default_factory=list)
    import_id: str | None = None


def first_rows(problems: list[RowProblem], keyed: Iterable[tuple[int, object, str]]) -> None:
    """A value repeated inside the file: each repeat is a problem naming the row of the first."""
    seen: dict[object, int] = {}
    for row, key, field_name in keyed:
        if key in seen:
            problems.append(RowProblem(row, field_name, "DUPLICATE_IN_FILE",
                                       {"first_row": seen[key]}))
        else:
            seen[key] = row


async def breathe(count: int) -> None:
    """Let other requests run now and then while thousands of rows are built (CPU work)."""
    if count % YIELD_EVERY == YIELD_EVERY - 1:
        await asyncio.sleep(0)


async def audit_import(session: Any, ctx: Context, *, kind: str, rows: int,
                       sha256: str) -> str:
    """The one entry for the import itself (each row's action gets its own entry)."""
    import_id = new_id()
    await append(session, ctx, action=f"import.{kind}", object_type="import",
                 object_id=import_id, body={"kind": kind, "rows": rows, "sha256": sha256,
                                            "unit": ctx.actor.unit})
    return import_id


def chunks(values: list[T], size: int = 500) -> Iterable[list[T]]:
    """`IN (...)` lists short enough for every backend's parameter limit."""
    for start in range(0, len(values), size):
        yield values[start:start + size]
