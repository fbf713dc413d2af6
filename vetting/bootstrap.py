"""Bringing a database to a usable state: schema, reference data, the first admin."""

from __future__ import annotations

from dataclasses import dataclass

from vetting import migrate
from vetting.accounts.users import ensure_first_admin
from vetting.audit.entries import append
from vetting.db import Database
from vetting.principal import SYSTEM, Context
from vetting.reference_data import LoadReport, load_reference_data
from vetting.settings import Settings


@dataclass(frozen=True, slots=True)
class PrepareReport:
    reference: LoadReport
    first_admin_password: str | None


async def prepare(settings: Settings, *, create_admin: bool) -> PrepareReport:
    """Idempotent: a second run changes nothing and creates no second admin."""
    database = Database(settings.database_url)
    try:
        await migrate.upgrade(database.engine)
        ctx = Context(actor=SYSTEM)
        async with database.transaction() as session:
            reference = await load_reference_data(session)
            if reference.changed:
                await append(session, ctx, action="reference.load",
                             body={"changed": reference.changed})
            created = (await ensure_first_admin(session, ctx, settings.policy)
                       if create_admin else None)
        return PrepareReport(reference=reference,
                             first_admin_password=created.one_time_password if created else None)
    finally:
        await database.dispose()
