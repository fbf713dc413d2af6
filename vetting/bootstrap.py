"""Bringing a database to a usable state (schema, reference data, keys, the first admin), and
opening an existing one for the commands that only work on what is there."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from crypto.keystore import KeyStoreError
from vetting import migrate
from vetting.accounts.users import ensure_first_admin
from vetting.audit.entries import append
from vetting.db import Database
from vetting.keys import RegistryKeys
from vetting.principal import SYSTEM, Context
from vetting.reference_data import LoadReport, load_reference_data
from vetting.settings import Settings, SettingsError, create_storage

#: How long a reading command waits for the database before saying it is unreachable.
CONNECT_TIMEOUT_S = 10
_SET_UP = "run `kt1vet db upgrade` to set a registry up"


@dataclass(frozen=True, slots=True)
class PrepareReport:
    reference: LoadReport
    first_admin_password: str | None


async def prepare(settings: Settings, *, create_admin: bool) -> PrepareReport:
    """Idempotent: a second run changes nothing and creates no second admin or key."""
    create_storage(settings)
    RegistryKeys.open(settings.keys_dir)  # the master key and the registry's own keys
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


async def _check_schema(database: Database, where: str) -> None:
    try:
        revision = await asyncio.wait_for(migrate.current_revision(database.engine),
                                          CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, SQLAlchemyError) as exc:
        # the driver's own words (never the URL's password): "database … does not exist"
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        raise SettingsError("KT1_DATABASE_URL", f"cannot reach the database {where} ("
                            f"{reason[0] if reason else type(exc).__name__})") from None
    head = migrate.head_revision()
    if revision != head:
        raise SettingsError("KT1_DATABASE_URL", f"the database {where} is not at the latest "
                            f"migration (at {revision or 'none'}, head {head}); {_SET_UP}")


def _existing_database(settings: Settings) -> str:
    """Where the database is, for messages; a SQLite file must exist (connecting creates it)."""
    url = make_url(settings.database_url)
    if not settings.is_sqlite:
        return url.render_as_string(hide_password=True)
    path = Path(url.database or "").absolute()
    if not path.is_file():
        raise SettingsError("KT1_DATABASE_URL", f"no registry database at {path}; {_SET_UP}, "
                                                "or point it at the database")
    return str(path)


@asynccontextmanager
async def open_existing(settings: Settings) -> AsyncIterator[tuple[Database, RegistryKeys]]:
    """The registry's database and keys, for commands that read or change what exists.

    Creates nothing: a missing SQLite file, an unreachable or unmigrated database, or a keys
    folder without the master key is a SettingsError naming the variable to fix (run from
    another folder, the default relative paths would otherwise start an empty registry).
    """
    where = _existing_database(settings)
    database = Database(settings.database_url)
    try:
        await _check_schema(database, where)
        try:
            keys = RegistryKeys.open(settings.keys_dir.absolute(), create=False)
        except KeyStoreError as exc:
            raise SettingsError("KT1_KEYS_DIR", f"{exc}; point it at the registry's keys "
                                                "folder") from None
        yield database, keys
    finally:
        await database.dispose()
