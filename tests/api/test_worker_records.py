"""Training, commitments, leave, data-key rotation and what the database file holds."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import select

from tests.conftest import People, served, settings_for
from tests.factories import vn_today, worker_body
from vetting.db import Database
from vetting.models import Worker
from vetting.settings import Settings

KT1VET = str(Path(sys.executable).with_name("kt1vet"))
DIGEST = "a" * 64


async def test_training_defaults_to_policy_validity(client: httpx.AsyncClient,
                                                    people: People) -> None:
    hr = await people.make("post_hr", unit="POST-51")
    worker = (await client.post("/api/v1/workers", json=worker_body(), headers=hr.headers)).json()
    response = await client.post(f"/api/v1/workers/{worker['id']}/trainings", headers=hr.headers,
                                 json={"kind": "kt1_security", "completed_on": "2026-01-31"})
    assert response.status_code == 201, response.text
    assert response.json()["valid_until"] == "2028-01-31"
    future = await client.post(f"/api/v1/workers/{worker['id']}/trainings", headers=hr.headers,
                               json={"kind": "kt1_security", "completed_on": (
                                   vn_today() + timedelta(days=30)).isoformat()})
    assert future.status_code == 422 and future.json()["invalid_params"][0]["name"] == \
        "completed_on"
    bad_kind = await client.post(f"/api/v1/workers/{worker['id']}/trainings", headers=hr.headers,
                                 json={"kind": "cooking", "completed_on": "2026-01-01"})
    assert bad_kind.status_code == 400


async def test_commitment_and_leave(client: httpx.AsyncClient, people: People) -> None:
    hr = await people.make("post_hr", unit="POST-51")
    other = await people.make("post_hr", unit="POST-12")
    worker = (await client.post("/api/v1/workers", json=worker_body(), headers=hr.headers)).json()
    url = f"/api/v1/workers/{worker['id']}"
    ok = await client.post(f"{url}/commitments", headers=hr.headers,
                           json={"signed_on": "2026-02-01", "document_sha256": DIGEST})
    assert ok.status_code == 201
    bad = await client.post(f"{url}/commitments", headers=hr.headers,
                            json={"signed_on": "2026-02-01", "document_sha256": "XYZ"})
    assert bad.status_code == 400
    assert bad.json()["invalid_params"][0]["name"] == "document_sha256"
    foreign = await client.post(f"{url}/commitments", headers=other.headers,
                                json={"signed_on": "2026-02-01", "document_sha256": DIGEST})
    assert foreign.status_code == 404
    request = await client.post("/api/v1/vetting-requests", headers=hr.headers,
                                json={"worker_id": worker["id"], "reason": "r"})
    left = await client.post(f"{url}/leave", headers=hr.headers,
                             json={"left_on": "2026-11-01", "reason": "nghỉ hưu"})
    assert left.status_code == 200 and left.json()["employed"] is False
    state = (await client.get(f"/api/v1/vetting-requests/{request.json()['id']}",
                              headers=hr.headers)).json()["state"]
    assert state == "withdrawn"
    again = await client.post(f"{url}/leave", headers=hr.headers,
                              json={"left_on": "2026-11-01", "reason": "x"})
    assert again.status_code == 409
    after = await client.post("/api/v1/vetting-requests", headers=hr.headers,
                              json={"worker_id": worker["id"], "reason": "r"})
    assert after.status_code == 409 and after.json()["code"] == "EMPLOYMENT_ENDED"


async def test_no_plaintext_personal_data_in_the_database(
        client: httpx.AsyncClient, people: People, settings: Settings, backend: str,
        database: Database) -> None:
    hr = await people.make("post_hr", unit="POST-51")
    body = worker_body()
    created = await client.post("/api/v1/workers", json=body, headers=hr.headers)
    assert created.status_code == 201
    if backend == "sqlite":
        path = Path(settings.database_url.split("///", 1)[1])
        # Read through a child process: closing any handle of ours on the database files
        # would drop SQLite's POSIX locks for the whole test process.
        files = [str(p) for p in path.parent.glob(path.name + "*")]
        raw = (await asyncio.to_thread(subprocess.run, ["cat", *files], capture_output=True,
                                       check=True)).stdout
    else:
        async with database.engine.connect() as connection:
            dump = await connection.exec_driver_sql(
                "SELECT string_agg(t::text, '|') FROM (SELECT * FROM worker) t")
            raw = (dump.scalar() or "").encode()
            raw += ((await connection.exec_driver_sql(
                "SELECT string_agg(t::text, '|') FROM (SELECT * FROM audit_entry) t")
            ).scalar() or "").encode()
    assert body["national_id"].encode() not in raw
    assert body["date_of_birth"].encode() not in raw
    assert body["permanent_address"].encode() not in raw


async def test_rotate_data_reencrypts_under_a_new_key(fresh_settings: Settings,
                                                      keys_dir: Path, tmp_path: Path) -> None:
    """Runs on a copy of the key store so the suite's shared keys keep one data key."""
    import shutil

    from api.app import create_app
    from tests.conftest import People as PeopleFactory
    from vetting.keys import RegistryKeys

    keys_dir = Path(shutil.copytree(keys_dir, tmp_path / "keys"))
    database = Database(fresh_settings.database_url)
    try:
        keys = RegistryKeys.open(keys_dir)
        hr = await PeopleFactory(database=database, keys=keys).make("post_hr", unit="POST-51")
        copied = settings_for(fresh_settings.database_url, keys_dir)
        async with served(create_app(copied, database)) as client:
            body = worker_body()
            worker = (await client.post("/api/v1/workers", json=body,
                                        headers=hr.headers)).json()
        async with database.transaction(read_only=True) as session:
            before = await session.scalar(select(Worker.national_id_enc).where(
                Worker.id == worker["id"]))
        env = {**os.environ, "KT1_DATABASE_URL": fresh_settings.database_url,
               "KT1_KEYS_DIR": str(keys_dir)}
        result = await asyncio.to_thread(subprocess.run, [KT1VET, "keys", "rotate-data"],
                                         env=env, capture_output=True, text=True, timeout=120,
                                         check=False)
        assert result.returncode == 0, result.stderr
        assert "fields re-encrypted" in result.stdout
        async with database.transaction(read_only=True) as session:
            after = await session.scalar(select(Worker.national_id_enc).where(
                Worker.id == worker["id"]))
        assert before is not None and after is not None and before != after
        fresh_keys = RegistryKeys.open(keys_dir)
        assert fresh_keys.data.cipher.version_of(after) == fresh_keys.data.cipher.current_version
        assert fresh_keys.data.cipher.version_of(after) > keys.data.cipher.version_of(before)
        assert fresh_keys.data.unseal(after, table="worker", column="national_id",
                                      row_id=worker["id"]) == body["national_id"]
    finally:
        await database.dispose()
