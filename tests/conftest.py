"""Shared fixtures: the suite runs on SQLite and on PostgreSQL in one pytest run.

Every database-backed test is parametrised by `backend`. Each backend migrates one
template database for the session; every test module gets a copy of it of its own
(`settings`, `database`, `app`, `client`, `people`), so no module sees another's rows,
and a test that must own the whole database (tamper, crash) asks for `fresh_settings`,
a copy for that test alone. A copy costs a file copy on SQLite and `CREATE DATABASE ...
TEMPLATE` on PostgreSQL, far less than migrating.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.engine import make_url

import crypto.passwords
from api.app import create_app
from crypto import totp
from vetting.accounts.tokens import issue_access_token
from vetting.bootstrap import prepare
from vetting.db import Database
from vetting.keys import RegistryKeys
from vetting.models import UserAccount
from vetting.models.base import new_id
from vetting.settings import Settings, read_settings

POSTGRES_URL = os.environ.get("KT1_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL and POSTGRES_URL != "none" else [])
if "postgresql" not in BACKENDS:
    warnings.warn("KT1_TEST_POSTGRES_URL is not set: PostgreSQL tests are NOT running "
                  "(use `make test`)", stacklevel=1)

_counter = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}{new_id()[:6]}"


@pytest.fixture(autouse=True)
def _fast_password_hashing(request: pytest.FixtureRequest) -> Iterator[None]:
    """Full-cost argon2 everywhere but in the unit tests that check its parameters."""
    if "tests/unit" in str(request.path):
        yield
        return
    original = crypto.passwords._hasher
    crypto.passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    try:
        yield
    finally:
        crypto.passwords._hasher = original


async def _postgres_admin(*statements: str) -> None:
    base = make_url(POSTGRES_URL)
    admin = Database(base.set(database="postgres").render_as_string(hide_password=False),
                     isolation_level="AUTOCOMMIT")
    try:
        async with admin.engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await admin.dispose()


def _postgres_url(name: str) -> str:
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def _postgres_name() -> str:
    """A database name the suite's runner drops afterwards (it starts with the base name)."""
    return f"{make_url(POSTGRES_URL).database}_{unique('t')}"


async def new_database_url(backend: str, directory: Path) -> str:
    """An empty database of the backend (not yet migrated)."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{directory / (unique('kt1-') + '.db')}"
    name = _postgres_name()
    await _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                          f'CREATE DATABASE "{name}"')
    return _postgres_url(name)


def _copy_closed_sqlite(source: Path, target: Path) -> None:
    assert not Path(f"{source}-wal").exists(), "the template is still open"
    shutil.copyfile(source, target)


async def copy_database(url: str, directory: Path) -> str:
    """A copy of the (closed) database at `url`: a new file, or a new PostgreSQL database
    made from it as a template."""
    source = make_url(url)
    if source.get_backend_name() == "sqlite":
        target = directory / (unique("kt1-") + ".db")
        _copy_closed_sqlite(Path(str(source.database)), target)
        return source.set(database=str(target)).render_as_string(hide_password=False)
    name = _postgres_name()
    await _postgres_admin(f'CREATE DATABASE "{name}" TEMPLATE "{source.database}"')
    return _postgres_url(name)


async def drop_database(url: str) -> None:
    """Drops a database `copy_database` or `new_database_url` made (a file is left to the
    temporary folder)."""
    target = make_url(url)
    if target.get_backend_name() != "sqlite":
        await _postgres_admin(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')


#: Tests serve webhook receivers on loopback; the relay runs only where a test starts it.
TEST_WEBHOOK_ENV = {"KT1_WEBHOOK_ALLOWED_HOSTS": "127.0.0.0/8", "KT1_WEBHOOK_RELAY": "off"}


def settings_for(url: str, keys_dir: Path, **env: str) -> Settings:
    """Settings for a test database; the public rate limit is lifted unless a test sets it,
    since the whole suite calls from one client address."""
    return read_settings({"KT1_DATABASE_URL": url, "KT1_KEYS_DIR": str(keys_dir),
                          "KT1_VERIFY_CHECKS_PER_MINUTE": "1000000", **TEST_WEBHOOK_ENV,
                          **env})


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("keys")


@pytest.fixture(scope="session")
def per_backend() -> dict[tuple[str, str], Any]:
    """What a test process makes once per backend and keeps for the session, whichever
    backend the tests in between used: (what, backend) -> it. (A session fixture
    parametrised by `backend` would be made again at each switch of backend, and with one
    module per process at a time, the processes switch at every module.)"""
    return {}


@pytest.fixture(scope="module")
async def template_settings(backend: str, keys_dir: Path, per_backend: dict[tuple[str, str], Any],
                            tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The backend's migrated database with its reference data, never opened again: the
    template every module's and every `fresh_settings` database is copied from."""
    if ("template", backend) not in per_backend:
        url = await new_database_url(backend, tmp_path_factory.mktemp("template"))
        made = settings_for(url, keys_dir)
        await prepare(made, create_admin=False)
        per_backend["template", backend] = made
    result: Settings = per_backend["template", backend]
    return result


@asynccontextmanager
async def database_copy(template: Settings, directory: Path) -> AsyncIterator[Settings]:
    url = await copy_database(template.database_url, directory)
    try:
        yield settings_for(url, template.keys_dir)
    finally:
        await drop_database(url)


@pytest.fixture(scope="module")
async def settings(template_settings: Settings, tmp_path_factory: pytest.TempPathFactory
                   ) -> AsyncIterator[Settings]:
    """The module's own migrated database."""
    async with database_copy(template_settings, tmp_path_factory.mktemp("db")) as result:
        yield result


@pytest.fixture
async def fresh_settings(template_settings: Settings, tmp_path: Path
                         ) -> AsyncIterator[Settings]:
    """A migrated database that this one test owns."""
    async with database_copy(template_settings, tmp_path) as result:
        yield result


@pytest.fixture(scope="module")
async def database(settings: Settings) -> AsyncIterator[Database]:
    db = Database(settings.database_url)
    yield db
    await db.dispose()


@pytest.fixture(scope="session")
def keys(keys_dir: Path) -> RegistryKeys:
    return RegistryKeys.open(keys_dir)


@pytest.fixture(scope="module")
async def app(settings: Settings, database: Database) -> AsyncIterator[Any]:
    application = create_app(settings, database)
    async with running_lifespan(application):
        yield application


@asynccontextmanager
async def running_lifespan(application: Litestar) -> AsyncIterator[None]:
    """The app's own start-up and shut-down hooks, as under a server.

    They hold an anyio task group, which must be entered and left by one task; a fixture's
    set-up and tear-down run in different tasks, so one task of its own holds them."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with application.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(hold())
    await asyncio.wait({task, asyncio.create_task(started.wait())},
                       return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()  # start-up failed: raise its error here
    try:
        yield
    finally:
        stop.set()
        await task


@asynccontextmanager
async def served(application: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `application` with its lifespan running: for tests with their own app."""
    async with running_lifespan(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://kt1.test") as c:
            yield c


@pytest.fixture(scope="module")
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kt1.test") as c:
        yield c


@dataclass
class Person:
    """A signed-in test user: `headers` carry a valid access token."""

    id: str
    username: str
    password: str
    role: str
    province: str | None
    unit: str | None
    totp_secret: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class People:
    database: Database
    keys: RegistryKeys

    async def make(self, role: str, *, unit: str | None = None, province: str | None = None,
                   password: str | None = None, mfa: bool | None = None) -> Person:
        """Create an account straight in the database and sign it in (no argon2, no TOTP)."""
        password = password or f"correct horse {new_id()}"
        username = unique(role.replace("_", "")[:8] + "-")
        if unit is not None and province is None:
            province = unit.split("-", 1)[1]
        wants_mfa = role in ("admin", "police_lead") if mfa is None else mfa
        secret = totp.new_secret() if wants_mfa else None
        async with self.database.transaction() as session:
            user = UserAccount(
                id=new_id(), username=username, role=role, province_code=province,
                unit_code=unit, password_hash=crypto.passwords.hash_password(password),
                must_change_password=False, totp_confirmed=secret is not None,
            )
            if secret is not None:
                user.totp_secret = self.keys.store.wrap(secret, label=f"totp:{user.id}")
            session.add(user)
            await session.flush()
            token = issue_access_token(user, self.keys, user.created_at)
        return Person(id=user.id, username=username, password=password, role=role,
                      province=province, unit=unit, totp_secret=secret,
                      headers={"Authorization": f"Bearer {token}"})


@pytest.fixture(scope="module")
def people(database: Database, keys: RegistryKeys) -> People:
    return People(database=database, keys=keys)
