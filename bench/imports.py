"""The import scenario of `make bench`: 10,000 workers from one HR spreadsheet, through the
real server (`kt1vet serve`), as CSV and as .xlsx, each checked by a dry run and then imported.

Every run starts from an empty registry of its own (SQLite `var/bench/kt1-bench-imports.db`,
or on PostgreSQL `<KT1_DATABASE_URL's database>_imports`, dropped and made afresh), so the
figure is the same on the first run and the hundredth. Target: an import of 10,000 rows in
at most 30 s on SQLite.

    .venv/bin/python -m bench.imports [--rows 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import secrets
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

import crypto.passwords
from bench import server
from bench.seed import NAMES, database_name, settings_for, sqlite_path
from bench.table import Figure, combined
from crypto import totp
from vetting.accounts.tokens import issue_access_token
from vetting.bootstrap import prepare
from vetting.db import Database
from vetting.keys import RegistryKeys
from vetting.models import UserAccount
from vetting.models.base import new_id, utcnow

TARGET_S = 30.0
DEFAULT_ROWS = 10_000
UNIT, PROVINCE, LEGACY = "POST-51", "51", "051"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = ["Mã nhân viên", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Quê quán",
           "Nơi thường trú", "Tỉnh thường trú", "Nơi ở hiện tại", "Đơn vị bưu điện", "Công đoạn"]


def log(message: str) -> None:
    print(message, flush=True)


@dataclass
class ImportFigures:
    rows: int
    database: str
    load_average: tuple[float, float, float]
    bytes: dict[str, int] = field(default_factory=dict)
    dry_run_s: dict[str, float] = field(default_factory=dict)
    import_s: dict[str, float] = field(default_factory=dict)


def rows(count: int, first: int) -> list[list[object]]:
    """`count` valid workers as HR types them (serials from `first`: unique CCCD numbers)."""
    out: list[list[object]] = []
    for i in range(first, first + count):
        born = date(1970 + i % 30, 1 + i % 12, 1 + i % 28)
        female = i % 2 == 1
        national_id = f"{LEGACY}{1 if female else 0}{born.year % 100:02d}{i:06d}"
        out.append([f"IM{i:07d}", NAMES[i % len(NAMES)], born.strftime("%d/%m/%Y"),
                    "Nữ" if female else "Nam", national_id, f"Xã {i % 97}, Quảng Ngãi",
                    f"{i % 300} Lê Lợi, Quảng Ngãi", PROVINCE, f"{i % 300} Lê Lợi, Quảng Ngãi",
                    UNIT, "Nhận gửi, Vận chuyển"])
    return out


def as_csv(table: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(HEADERS)
    writer.writerows(table)
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def as_xlsx(table: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Người lao động")
    sheet.append(HEADERS)
    for row in table:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def _fresh(url: str) -> None:
    path = sqlite_path(url)
    if path is not None:
        _remove_sqlite(path)
        return
    parsed = make_url(url)
    admin = Database(parsed.set(database="postgres").render_as_string(hide_password=False),
                     isolation_level="AUTOCOMMIT")
    try:
        async with admin.engine.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" '
                                          "WITH (FORCE)"))
            await connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        await admin.dispose()


#: The staff a scenario may ask for: role -> (username, unit).
STAFF = {"post_hr": ("bench-import-hr", UNIT), "police_officer": ("bench-officer", "POLICE-51"),
         "police_lead": ("bench-lead", "POLICE-51")}


async def registry_with(url: str, keys_dir: Path, roles: tuple[str, ...]) -> dict[str, str]:
    """An empty, migrated registry with one account of each of `roles` in province 51; role ->
    bearer token."""
    await _fresh(url)
    settings = settings_for(url, keys_dir)
    await prepare(settings, create_admin=False)
    database = Database(url)
    keys = RegistryKeys.open(keys_dir)
    try:
        async with database.transaction() as session:
            users = [UserAccount(id=new_id(), username=STAFF[role][0], role=role,
                                 province_code=PROVINCE, unit_code=STAFF[role][1],
                                 must_change_password=False, totp_confirmed=False,
                                 password_hash=crypto.passwords.hash_password(
                                     secrets.token_urlsafe(24))) for role in roles]
            for user in users:  # the roles that must have a second factor get one enrolled
                if user.role in settings.policy.mfa_required_roles:
                    user.totp_secret = keys.store.wrap(totp.new_secret(),
                                                       label=f"totp:{user.id}")
                    user.totp_confirmed = True
            session.add_all(users)
            await session.flush()
        return {user.role: issue_access_token(user, keys, utcnow()) for user in users}
    finally:
        await database.dispose()


async def registry_with_hr(url: str, keys_dir: Path) -> str:
    """An empty, migrated registry with one HR officer of POST-51; their bearer token."""
    return (await registry_with(url, keys_dir, ("post_hr",)))["post_hr"]


def _post(client: httpx.Client, token: str, content: bytes, media_type: str, *,
          dry_run: bool, rows: int) -> float:
    began = time.perf_counter()
    response = client.post(f"/api/v1/imports/workers?dry_run={str(dry_run).lower()}",
                           content=content, headers={"Authorization": f"Bearer {token}",
                                                     "Content-Type": media_type})
    elapsed = time.perf_counter() - began
    expected = 200 if dry_run else 201
    body = response.json() if response.headers.get("content-type", "").find("json") >= 0 \
        else {}
    if response.status_code != expected or body.get("rows") != rows or (
            not dry_run and body.get("created") != rows):
        raise RuntimeError(f"import answered {response.status_code}: {response.text[:800]}")
    return elapsed


def url_for(base: str | None, directory: Path, purpose: str = "imports") -> str:
    """The database of one scenario (`purpose`), named after the bench's main one."""
    if not base:
        return f"sqlite+aiosqlite:///{directory / f'kt1-bench-{purpose}.db'}"
    parsed = make_url(base)
    if "bench" not in str(parsed.database):
        raise SystemExit(f"KT1_DATABASE_URL names {parsed.database!r}: the bench only uses a "
                         "database whose name contains 'bench'")
    if parsed.drivername.startswith("sqlite"):
        path = Path(str(parsed.database))
        return f"sqlite+aiosqlite:///{path.with_name(f'{path.stem}-{purpose}.db')}"
    return parsed.set(database=f"{parsed.database}_{purpose}").render_as_string(
        hide_password=False)


def run(count: int, directory: Path, base: str | None = None) -> ImportFigures:
    """Both formats through one server: a dry run, then the import, each of `count` rows,
    on a database named after `base` (the bench's main database; None: SQLite)."""
    url = url_for(base, directory)
    keys_dir = directory / "keys"
    figures = ImportFigures(rows=count, database=database_name(url),
                            load_average=os.getloadavg())
    log(f"\nimports: {count:,} workers per file into an empty registry ({figures.database})")
    token = asyncio.run(registry_with_hr(url, keys_dir))
    files = {"csv": (as_csv(rows(count, 0)), "text/csv"),
             "xlsx": (as_xlsx(rows(count, count)), XLSX)}
    running = server.start(url, keys_dir, directory / f"server-{figures.database}.log")
    try:
        with httpx.Client(base_url=running.base_url, timeout=600) as client:
            for kind, (content, media_type) in files.items():
                figures.bytes[kind] = len(content)
                figures.dry_run_s[kind] = _post(client, token, content, media_type,
                                                dry_run=True, rows=count)
                figures.import_s[kind] = _post(client, token, content, media_type,
                                               dry_run=False, rows=count)
                log(f"  {kind} ({len(content) / 1e6:.1f} MB): dry run "
                    f"{figures.dry_run_s[kind]:.1f} s, import {figures.import_s[kind]:.1f} s")
    finally:
        running.stop()
    return figures


def summary(figures: ImportFigures) -> list[Figure]:
    rows = []
    for kind, spent in figures.import_s.items():
        rows += [Figure(f"import of {figures.rows:,} workers, {kind}", f"{spent:.1f} s",
                        f"<= {TARGET_S:.0f} s", spent <= TARGET_S),
                 Figure(f"  its dry run, {kind}", f"{figures.dry_run_s[kind]:.1f} s")]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.imports", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--dir", type=Path, default=Path("var/bench"))
    args = parser.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    figures = run(args.rows, args.dir, os.environ.get("KT1_DATABASE_URL"))
    lines = combined({"SQLite" if "postgresql" not in os.environ.get("KT1_DATABASE_URL", "")
                      else "PostgreSQL": summary(figures)})
    log(f"\nKT1 import bench ({datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, load average "
        f"{figures.load_average[0]:.2f})")
    for line in lines:
        log(line)
    out = args.dir / f"imports-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps({**asdict(figures), "table": lines}, indent=2), encoding="utf-8")
    log(f"(figures saved to {out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
