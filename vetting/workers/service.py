"""Registering workers and reading their dossiers, with personal data sealed at rest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from policies.access import POLICE
from policies.cccd import check_cccd, mask
from policies.folding import fold
from policies.vocabulary import STAGES
from vetting.audit.entries import append
from vetting.errors import Conflict, InvalidInput, NotFound
from vetting.models import LegacyProvince, Province, VettingRequest, Worker
from vetting.models.base import new_id
from vetting.personal_data import DataProtection
from vetting.principal import Context
from vetting.scoping import worker_condition

SEALED = ("national_id", "date_of_birth", "hometown", "permanent_address", "current_address")
MIN_AGE, MAX_AGE = 18, 75


@dataclass(frozen=True, slots=True)
class WorkerInput:
    employee_no: str
    full_name: str
    date_of_birth: date
    sex: str
    national_id: str
    hometown: str
    permanent_address: str
    permanent_province: str
    current_address: str
    post_unit: str
    stages: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Dossier:
    """A worker with the sealed fields opened; `national_id` is masked unless allowed."""

    worker: Worker
    national_id: str
    date_of_birth: str
    hometown: str
    permanent_address: str
    current_address: str
    full_national_id: bool


def canonical_stages(stages: tuple[str, ...] | list[str]) -> str:
    unknown = [s for s in stages if s not in STAGES]
    if unknown or not stages:
        raise InvalidInput(f"stages must be a non-empty list drawn from {', '.join(STAGES)}",
                           field="stages", code="INVALID_STAGES")
    return ",".join(s for s in STAGES if s in stages)


def _years_between(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


async def _check_input(session: AsyncSession, ctx: Context, data: WorkerInput) -> str:
    if data.post_unit != ctx.actor.unit:
        raise InvalidInput("you can register workers of your own post unit only",
                           field="post_unit", code="OUT_OF_SCOPE")
    if await session.get(Province, data.permanent_province) is None:
        raise InvalidInput(f"province {data.permanent_province} does not exist",
                           field="permanent_province", code="UNKNOWN_PROVINCE")
    age = _years_between(data.date_of_birth, ctx.today)
    if not MIN_AGE <= age <= MAX_AGE:
        raise InvalidInput(f"a worker must be {MIN_AGE} to {MAX_AGE} years old",
                           field="date_of_birth", code="AGE_OUT_OF_RANGE", minimum=MIN_AGE,
                           maximum=MAX_AGE)
    legacy = set((await session.scalars(select(LegacyProvince.code))).all())
    problems = check_cccd(data.national_id, date_of_birth=data.date_of_birth, sex=data.sex,
                          legacy_codes=legacy)
    if problems:
        first = problems[0]
        raise InvalidInput("the CCCD number breaks a rule", field="national_id",
                           code=first.code, problems=[p.code for p in problems])
    return canonical_stages(data.stages)


def seal_fields(worker: Worker, protection: DataProtection, values: dict[str, str]) -> None:
    for name, value in values.items():
        setattr(worker, f"{name}_enc",
                protection.seal(value, table="worker", column=name, row_id=worker.id))


async def create_worker(session: AsyncSession, ctx: Context, protection: DataProtection,
                        data: WorkerInput) -> Worker:
    stages = await _check_input(session, ctx, data)
    index = protection.national_id_index(data.national_id)
    if await session.scalar(select(Worker.id).where(Worker.national_id_bidx == index)):
        raise Conflict("a worker with this national ID is already registered",
                       code="DUPLICATE_NATIONAL_ID")
    if await session.scalar(select(Worker.id).where(Worker.post_unit_code == data.post_unit,
                                                    Worker.employee_no == data.employee_no)):
        raise Conflict("this employee number is already used in the unit",
                       code="DUPLICATE_EMPLOYEE_NO")
    worker = Worker(id=new_id(), post_unit_code=data.post_unit, employee_no=data.employee_no,
                    full_name=data.full_name, full_name_folded=fold(data.full_name),
                    sex=data.sex, stages=stages,
                    permanent_province=data.permanent_province, national_id_bidx=index,
                    national_id_mask=mask(data.national_id))
    seal_fields(worker, protection, {
        "national_id": data.national_id, "date_of_birth": data.date_of_birth.isoformat(),
        "hometown": data.hometown, "permanent_address": data.permanent_address,
        "current_address": data.current_address})
    session.add(worker)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent registration won the race
        raise Conflict("a worker with this national ID or employee number exists",
                       code="DUPLICATE_WORKER") from exc
    await append(session, ctx, action="worker.create", object_type="worker", object_id=worker.id,
                 body={"post_unit": worker.post_unit_code, "stages": stages})
    return worker


async def get_worker(session: AsyncSession, ctx: Context, worker_id: str, *,
                     action: str = "workers.read", for_update: bool = False) -> Worker:
    """The worker if the caller's scope reaches it; otherwise 'not found'."""
    query = select(Worker).where(Worker.id == worker_id, worker_condition(ctx.actor, action))
    worker = await session.scalar(query.with_for_update() if for_update else query)
    if worker is None:
        raise NotFound("no such worker")
    return worker


async def _police_works_on(session: AsyncSession, ctx: Context, worker: Worker) -> bool:
    if ctx.actor.role not in POLICE:
        return False
    return bool(await session.scalar(select(VettingRequest.id).where(
        VettingRequest.worker_id == worker.id,
        VettingRequest.police_unit_code == ctx.actor.unit).limit(1)))


async def read_dossier(session: AsyncSession, ctx: Context, protection: DataProtection,
                       worker_id: str) -> Dossier:
    """The full dossier (audited): police working the worker's request see the national ID."""
    worker = await get_worker(session, ctx, worker_id)
    full_id = await _police_works_on(session, ctx, worker)
    opened = {name: protection.unseal(getattr(worker, f"{name}_enc"), table="worker",
                                      column=name, row_id=worker.id) for name in SEALED}
    await append(session, ctx, action="worker.dossier_read", object_type="worker",
                 object_id=worker.id, body={"national_id": "full" if full_id else "masked"})
    return Dossier(worker=worker,
                   national_id=opened["national_id"] if full_id else worker.national_id_mask,
                   date_of_birth=opened["date_of_birth"], hometown=opened["hometown"],
                   permanent_address=opened["permanent_address"],
                   current_address=opened["current_address"], full_national_id=full_id)
