"""Migration 0008 fills `full_name_folded` for the workers written before it: a database at
0007 gets workers the way the registry wrote them then (raw SQL, personal data sealed, no
folded name), is upgraded to head, and the accent-insensitive search finds them."""

from __future__ import annotations

import random
import string
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import bindparam, select, text
from sqlalchemy.engine import Connection

from api.app import create_app
from policies.cccd import mask
from policies.folding import fold
from tests.conftest import People, new_database_url, served, settings_for
from tests.factories import cccd
from vetting.bootstrap import prepare
from vetting.db import Database
from vetting.keys import RegistryKeys
from vetting.migrate import alembic_config, current_revision, head_revision
from vetting.models import Worker
from vetting.models.base import UTCDateTime, new_id

BEFORE = "0007_incidents"
_INSERT = text(
    "INSERT INTO worker (id, post_unit_code, employee_no, full_name, sex, stages, "
    "permanent_province, national_id_bidx, national_id_mask, national_id_enc, "
    "date_of_birth_enc, hometown_enc, permanent_address_enc, current_address_enc, left_on, "
    "leave_reason, created_at, updated_at, version) VALUES (:id, :unit, :employee_no, "
    ":full_name, :sex, 'acceptance,transport', '51', :bidx, :mask, :national_id, :born, "
    ":hometown, :address, :address2, NULL, NULL, :at, :at, 1)"
).bindparams(bindparam("at", type_=UTCDateTime()))


def _upgrade_to(revision: str) -> Callable[[Connection], None]:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return run


async def _old_workers(database: Database, keys: RegistryKeys, names: list[str]) -> list[str]:
    """Workers as written before 0008: every column of 0004, sealed as registration seals."""
    ids = []
    async with database.engine.begin() as connection:
        await connection.execute(text(
            "INSERT INTO province (code, name, kind) VALUES ('51', 'Quảng Ngãi', 'province')"))
        await connection.execute(text(
            "INSERT INTO unit (code, kind, name, province_code) VALUES "
            "('POST-51', 'post', 'Bưu điện tỉnh Quảng Ngãi', '51')"))
        for n, name in enumerate(names):
            worker_id, born = new_id(), datetime(1990, 5, 17, tzinfo=UTC).date()
            national_id = cccd(born=born, sex="male")

            def seal(column: str, value: str, row: str = worker_id) -> bytes:
                return keys.data.seal(value, table="worker", column=column, row_id=row)

            await connection.execute(_INSERT, {
                "id": worker_id, "unit": "POST-51", "employee_no": f"OLD{n}", "full_name": name,
                "sex": "male", "bidx": keys.data.national_id_index(national_id),
                "mask": mask(national_id), "national_id": seal("national_id", national_id),
                "born": seal("date_of_birth", born.isoformat()),
                "hometown": seal("hometown", "Tư Nghĩa"),
                "address": seal("permanent_address", "12 Lê Lợi"),
                "address2": seal("current_address", "12 Lê Lợi"), "at": datetime.now(UTC)})
            ids.append(worker_id)
    return ids


async def test_0008_backfills_the_folded_name_of_earlier_workers(
        backend: str, keys_dir: Path, keys: RegistryKeys, tmp_path: Path) -> None:
    word = "".join(random.choices(string.ascii_lowercase, k=8))
    names = [f"Nguyễn Văn Ân {word}",
             unicodedata.normalize("NFD", f"Đặng Thị Hồng {word}"),  # as typed, decomposed
             f"TRẦN  ĐỨC {word.upper()}"]
    url = await new_database_url(backend, tmp_path)
    database = Database(url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(_upgrade_to(BEFORE))
        assert await current_revision(database.engine) == BEFORE
        ids = await _old_workers(database, keys, names)

        settings = settings_for(url, keys_dir)
        await prepare(settings, create_admin=False)  # what `kt1vet db upgrade` runs
        assert await current_revision(database.engine) == head_revision()
        async with database.transaction(read_only=True) as session:
            folded = dict((await session.execute(select(Worker.id, Worker.full_name_folded)
                                                 .where(Worker.id.in_(ids)))).all())
        assert folded == {i: fold(n) for i, n in zip(ids, names, strict=True)}
        assert folded[ids[0]] == f"nguyen van an {word}"
        assert folded[ids[2]] == f"tran duc {word}"

        hr = await People(database=database, keys=keys).make("post_hr", unit="POST-51")
        async with served(create_app(settings, database)) as client:
            for query, expected in ((f"nguyen van an {word}", [ids[0]]),
                                    (f"dang thi hong {word}", [ids[1]]),
                                    (f"Trần Đức {word}", [ids[2]]),
                                    (word, sorted(ids, key=lambda i: folded[i]))):
                found = await client.get("/api/v1/workers", headers=hr.headers,
                                         params={"q": query})
                assert found.status_code == 200, found.text
                assert [w["id"] for w in found.json()["items"]] == expected, query
            dossier = await client.get(f"/api/v1/workers/{ids[0]}", headers=hr.headers)
            assert dossier.status_code == 200 and dossier.json()["hometown"] == "Tư Nghĩa"
    finally:
        await database.dispose()
