"""What the load asks about: random (worker, route) pairs of one province each, and a signed-in
dispatcher per province (a token issued directly with the bench keys, as the tests do, so no
argon2 login sits in front of the measurement)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from bench.seed import PROVINCES, WORKER_STAGES, crews
from vetting.accounts.tokens import issue_access_token
from vetting.db import Database
from vetting.keys import RegistryKeys
from vetting.models import Route, UserAccount, Worker
from vetting.models.base import utcnow
from vetting.reference_data import post_unit_code


@dataclass(frozen=True, slots=True)
class Check:
    worker_id: str
    route_id: str
    province: str


@dataclass(frozen=True, slots=True)
class Sample:
    tokens: dict[str, str]  # province → dispatcher's bearer token
    checks: list[Check]  # for the single-check load
    batch_province: str
    batch_route: str
    batch_sets: list[list[str]]  # disjoint sets of worker ids of batch_province


async def draw(url: str, keys_dir: Path, *, checks: int, batch_sets: int, batch_size: int,
               seed: int = 20261123) -> Sample:
    """Random rows straight from the database: the same shape whatever its size."""
    rng = random.Random(seed)
    keys = RegistryKeys.open(keys_dir)
    database = Database(url)
    try:
        async with database.transaction(read_only=True) as session:
            crew = await crews(session)
            ids = {c.dispatcher.id for c in crew.values()}
            users = (await session.scalars(select(UserAccount).where(
                UserAccount.id.in_(ids)))).all()
            now = utcnow()
            tokens = {u.province_code or "": issue_access_token(u, keys, now) for u in users}
            routes: dict[str, list[str]] = {p: [] for p in PROVINCES}
            for route_id, province in (await session.execute(select(
                    Route.id, Route.province_code).where(
                    Route.code.like("BENCH-%"), Route.stage.in_(WORKER_STAGES))
                    .order_by(Route.province_code, Route.code))).all():
                routes[province].append(route_id)
            unit_to_province = {post_unit_code(p): p for p in PROVINCES}
            rows = (await session.execute(select(Worker.id, Worker.post_unit_code).order_by(
                func.random()).limit(checks))).all()
            picked = [Check(w, rng.choice(routes[unit_to_province[u]]), unit_to_province[u])
                      for w, u in rows]
            province = next(iter(PROVINCES))
            pool = list((await session.scalars(select(Worker.id).where(
                Worker.post_unit_code == post_unit_code(province)).order_by(func.random())
                .limit(batch_sets * batch_size + len(picked)))).all())
    finally:
        await database.dispose()
    seen = {c.worker_id for c in picked}
    unseen = [w for w in pool if w not in seen]  # their first batch call is a cold one
    if len(unseen) >= batch_size:
        pool = unseen
    return Sample(tokens=tokens, checks=picked, batch_province=province,
                  batch_route=routes[province][0],
                  batch_sets=[chunk for k in range(batch_sets)
                              if (chunk := pool[k * batch_size:(k + 1) * batch_size])])
