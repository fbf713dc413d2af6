"""`--database postgresql`: the bench on a PostgreSQL database made for the run and dropped
after it (with every database the run derived from it: the scale copy, the list), as
`make test` does. The server is the local one unless KT1_BENCH_POSTGRES_URL names another."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from vetting.db import Database

DEFAULT_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


@contextmanager
def throwaway_postgres(directory: Path) -> Iterator[str]:
    """The URL of a database that does not exist yet (the seed creates it); afterwards it
    and its derived databases are dropped and their seed markers removed."""
    server = make_url(os.environ.get("KT1_BENCH_POSTGRES_URL", DEFAULT_SERVER))
    name = f"kt1_bench_run{os.getpid()}"
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        dropped = asyncio.run(_drop_all(server.set(database="postgres").render_as_string(
            hide_password=False), name))
        for marker in directory.glob(f"{name}*.seed.json"):
            marker.unlink()
        print(f"dropped {', '.join(dropped) or 'nothing'}", flush=True)


async def _drop_all(admin_url: str, prefix: str) -> list[str]:
    admin = Database(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.engine.connect() as connection:
            names = list((await connection.execute(text(
                "SELECT datname FROM pg_database WHERE datname = :name OR datname LIKE :like"),
                {"name": prefix, "like": prefix + "\\_%"})).scalars())
            for name in names:
                await connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            return names
    finally:
        await admin.dispose()
