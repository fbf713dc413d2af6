"""The scoped base statement every read of an aggregate starts from.

A role's scope (its unit, its province, the requests routed to its police unit) is a
condition inside the query, never a check after it, so an object outside the scope is
indistinguishable from one that does not exist: `get` answers 'not found' for both. This is
Polar's `get_readable_statement` shape: one statement per (actor, action), refined by the
caller's filters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, false, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from policies.access import Scope, scope_for
from vetting.errors import NotFound
from vetting.principal import Actor

M = TypeVar("M")


def granted(actor: Actor, action: str) -> ColumnElement[bool] | None:
    """No rows without a grant of `action`, all rows with a national one; None when the grant
    is limited to a unit or a province (the aggregate says which rows that is)."""
    scope = scope_for(actor.role, action)
    if scope is None:
        return false()
    if scope is Scope.ALL:
        return true()
    return None


class ScopedRepository(Generic[M]):
    """One aggregate's rows as an actor's scope for an action reaches them."""

    model: ClassVar[type[Any]]
    key: ClassVar[str] = "id"  # the primary key's attribute, which `get` looks up
    missing: ClassVar[str]  # the 'not found' message

    def condition(self, actor: Actor, action: str) -> ColumnElement[bool]:
        """The rows `actor` may reach under `action`."""
        whole = granted(actor, action)
        return self.limited(actor, action) if whole is None else whole

    def limited(self, actor: Actor, action: str) -> ColumnElement[bool]:
        """The part of the aggregate a unit- or province-scoped role reaches."""
        return false()

    def statement(self, actor: Actor, action: str) -> Select[tuple[M]]:
        return select(self.model).where(self.condition(actor, action))

    async def get(self, session: AsyncSession, actor: Actor, action: str, key: str | int, *,
                  lock: bool = False) -> M:
        """The row, or NotFound when it is missing or outside the scope. `lock` takes a row
        lock (FOR NO KEY UPDATE: inserts of rows that refer to it, which take a KEY SHARE lock,
        are not held up) and reads the row as it is now, not as this session last saw it."""
        query = self.statement(actor, action).where(getattr(self.model, self.key) == key)
        if lock:
            query = query.with_for_update(key_share=True).execution_options(
                populate_existing=True)
        found = await session.scalar(query)
        if found is None:
            raise NotFound(self.missing)
        return found  # type: ignore[no-any-return]

    async def list(self, session: AsyncSession, actor: Actor, action: str,
                   *where: ColumnElement[bool], order_by: Sequence[Any] = (), limit: int,
                   offset: int = 0) -> tuple[list[M], int]:
        """One page of the rows in scope that match `where`, and how many match in all."""
        query = self.statement(actor, action).where(*where)
        total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = await session.scalars(query.order_by(*order_by).limit(limit).offset(offset))
        return list(rows.all()), int(total)
