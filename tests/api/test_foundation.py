"""Settings, migrations, the CLI and the compose file."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select

from tests.conftest import new_database_url, served, settings_for
from vetting.bootstrap import prepare
from vetting.db import Database
from vetting.models import Base, Province, Unit, UserAccount
from vetting.settings import ENV_VARS, SettingsError, read_settings

ROOT = Path(__file__).resolve().parents[2]
KT1VET = str(Path(sys.executable).with_name("kt1vet"))


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"KT1_DATABASE_URL": "mysql://x/y"}, "KT1_DATABASE_URL"),
        ({"KT1_DATABASE_URL": "not a url"}, "KT1_DATABASE_URL"),
        ({"KT1_PORT": "http"}, "KT1_PORT"),
        ({"KT1_PORT": "70000"}, "KT1_PORT"),
        # below a file, not a folder: no one could create them
        ({"KT1_KEYS_DIR": "/dev/null/kt1-keys"}, "KT1_KEYS_DIR"),
        ({"KT1_DATABASE_URL": "sqlite+aiosqlite:////dev/null/var/kt1.db"}, "KT1_DATABASE_URL"),
        ({"KT1_POLICY_FILE": "/nonexistent/policy.toml"}, "KT1_POLICY_FILE"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], variable: str,
                                        tmp_path: Path) -> None:
    base = {"KT1_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db",
            "KT1_KEYS_DIR": str(tmp_path / "keys")}
    with pytest.raises(SettingsError) as caught:
        read_settings({**base, **env})
    assert caught.value.variable == variable
    assert str(caught.value).startswith(variable)


def test_policy_file_with_unknown_key_or_bad_type_is_refused(tmp_path: Path) -> None:
    base = {"KT1_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db",
            "KT1_KEYS_DIR": str(tmp_path / "keys")}
    policy = tmp_path / "policy.toml"
    policy.write_text('routing_rulez = "workplace"\n')
    with pytest.raises(SettingsError, match="routing_rulez"):
        read_settings({**base, "KT1_POLICY_FILE": str(policy)})
    policy.write_text('police_response_days = "thirty"\n')
    with pytest.raises(SettingsError, match="police_response_days"):
        read_settings({**base, "KT1_POLICY_FILE": str(policy)})
    policy.write_text('police_response_days = 15\nmfa_required_roles = ["admin"]\n')
    settings = read_settings({**base, "KT1_POLICY_FILE": str(policy)})
    assert settings.policy.police_response_days == 15
    assert settings.policy.version != read_settings(base).policy.version


def test_cli_reports_a_bad_variable_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "KT1_DATABASE_URL": "oracle://nope", "KT1_KEYS_DIR": str(tmp_path)}
    result = subprocess.run([KT1VET, "db", "upgrade"], env=env, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "KT1_DATABASE_URL" in lines[0]
    assert "Traceback" not in result.stderr


async def test_models_and_migrations_agree(settings: object, database: Database) -> None:
    def diff(connection: object) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with database.engine.connect() as connection:
        assert await connection.run_sync(diff) == []


async def test_reference_data_is_loaded(database: Database) -> None:
    async with database.transaction(read_only=True) as session:
        assert await session.scalar(select(func.count()).select_from(Province)) == 34
        units = (await session.scalars(select(Unit))).all()
    codes = {u.code for u in units}
    assert len(units) == 68
    assert {"POST-51", "POLICE-51", "POST-12", "POLICE-12"} <= codes


async def test_prepare_is_idempotent_and_creates_one_admin(backend: str, keys_dir: Path,
                                                          tmp_path: Path) -> None:
    settings = settings_for(await new_database_url(backend, tmp_path), keys_dir)
    first = await prepare(settings, create_admin=True)
    second = await prepare(settings, create_admin=True)
    assert first.first_admin_password and len(first.first_admin_password) >= 15
    assert second.first_admin_password is None
    assert second.reference.changed == 0
    database = Database(settings.database_url)
    try:
        async with database.transaction(read_only=True) as session:
            admins = (await session.scalars(select(UserAccount))).all()
        assert [(a.username, a.role, a.must_change_password) for a in admins] == [
            ("admin", "admin", True)]
    finally:
        await database.dispose()


async def test_db_upgrade_on_an_empty_database_then_ready(backend: str, keys_dir: Path,
                                                         tmp_path: Path) -> None:
    url = await new_database_url(backend, tmp_path)
    env = {**os.environ, "KT1_DATABASE_URL": url, "KT1_KEYS_DIR": str(keys_dir)}
    result = await asyncio.to_thread(subprocess.run, [KT1VET, "db", "upgrade"], env=env,
                                     capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert "34 provinces" in result.stdout
    from api.app import create_app

    settings = settings_for(url, keys_dir)
    database = Database(url)
    try:
        async with served(create_app(settings, database)) as client:
            assert (await client.get("/ready")).status_code == 200
    finally:
        await database.dispose()


async def test_ready_is_503_before_migrations(backend: str, keys_dir: Path,
                                             tmp_path: Path) -> None:
    from api.app import create_app

    url = await new_database_url(backend, tmp_path)
    settings = settings_for(url, keys_dir)
    database = Database(url)
    try:
        async with served(create_app(settings, database)) as client:
            response = await client.get("/ready")
        assert response.status_code == 503
        assert response.json()["code"] == "MIGRATIONS_PENDING"
    finally:
        await database.dispose()


def test_compose_sets_only_known_variables_and_waits_for_db() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    app, db, migrate = services["app"], services["db"], services["migrate"]
    for service in (app, migrate):
        variables = {k for k in service["environment"] if k.startswith("KT1_")}
        assert variables <= set(ENV_VARS)
        url = service["environment"]["KT1_DATABASE_URL"]
        assert url.startswith("postgresql+asyncpg://") and "@db:" in url
        assert any(v.split(":")[1] == service["environment"]["KT1_KEYS_DIR"]
                   for v in service["volumes"])
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert migrate["command"][-3:] == ["db", "upgrade", "--create-admin"]
    assert "healthcheck" in db and re.search(r"postgres:16", db["image"])
    assert any(v.split(":")[0] == "pgdata" for v in db["volumes"])
    assert app["command"][-1] == "serve"


def test_compose_runs_two_replicas_behind_nginx_after_one_migration() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    app, proxy = services["app"], services["proxy"]
    assert app["deploy"]["replicas"] == 2
    assert "ports" not in app, "only the proxy is published"
    assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "/ready" in " ".join(app["healthcheck"]["test"])
    assert proxy["image"].startswith("nginx:")
    assert proxy["depends_on"]["app"]["condition"] == "service_healthy"
    assert "/health" in " ".join(proxy["healthcheck"]["test"])
    assert proxy["ports"] == ["127.0.0.1:8000:80"]
    nginx = compose["configs"][proxy["configs"][0]["source"]]["content"]
    assert "server app:8000 resolve;" in nginx and "proxy_pass http://registry;" in nginx
    assert "X-Forwarded-For $$proxy_add_x_forwarded_for" in nginx  # $$: compose's escape
    read_settings({"KT1_TRUSTED_PROXIES": app["environment"]["KT1_TRUSTED_PROXIES"]})


def test_settings_read_every_documented_variable() -> None:
    source = (ROOT / "vetting" / "settings.py").read_text()
    for variable in ENV_VARS:
        assert f'"{variable}"' in source
