"""Registering workers and reading their dossiers, with personal data sealed at rest."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from policies.access import POLICE
from policies.cccd import check_cccd, mask
from policies.folding import fold
from policies.vocabulary import STAGES
from vetting.audit.entries import append
from vetting.errors import Conflict, InvalidInput
from vetting.models import VettingRequest, Worker
from vetting.models.base import new_id
from vetting.personal_data import DataProtection
from vetting.principal import Context
from vetting.reference_data import legacy_codes, province_codes
from vetting.repositories import WORKERS

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


@dataclass(frozen=True, slots=True)
class Problem:
    """One rule a registration breaks: the field, the code (its words are in the catalogue)
    and the values the message names."""

    field: str
    code: str
    detail: str
    params: dict[str, Any] = dataclass_field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RegistrationRules:
    """The reference data a registration is checked against, so an import of thousands of
    rows checks each one without a query."""

    provinces: frozenset[str]
    legacy_codes: frozenset[str]


def registration_rules() -> RegistrationRules:
    return RegistrationRules(provinces=province_codes(), legacy_codes=legacy_codes())


def registration_problems(ctx: Context, rules: RegistrationRules,
                          data: WorkerInput) -> list[Problem]:
    """Every rule `data` breaks, in the order a single registration reports them (it raises
    the first); an import reports them all. Duplicates are checked apart (they need a query)."""
    problems = []
    if data.post_unit != ctx.actor.unit:
        problems.append(Problem("post_unit", "OUT_OF_SCOPE",
                                "you can register workers of your own post unit only"))
    if data.permanent_province not in rules.provinces:
        problems.append(Problem("permanent_province", "UNKNOWN_PROVINCE",
                                f"province {data.permanent_province} does not exist"))
    problems.extend(_age_problems(data.date_of_birth, ctx.today))
    problems.extend(_cccd_problems(data.national_id, data.date_of_birth, data.sex,
                                   rules.legacy_codes))
    if not data.stages or any(s not in STAGES for s in data.stages):
        problems.append(Problem("stages", "INVALID_STAGES",
                                f"stages must be a non-empty list drawn from {', '.join(STAGES)}"))
    return problems


def _age_problems(born: date, today: date) -> list[Problem]:
    if MIN_AGE <= _years_between(born, today) <= MAX_AGE:
        return []
    return [Problem("date_of_birth", "AGE_OUT_OF_RANGE",
                    f"a worker must be {MIN_AGE} to {MAX_AGE} years old",
                    {"minimum": MIN_AGE, "maximum": MAX_AGE})]


def _cccd_problems(national_id: str, born: date, sex: str, legacy: frozenset[str],
                   field: str = "national_id") -> list[Problem]:
    return [Problem(field, p.code, "the CCCD number breaks a rule")
            for p in check_cccd(national_id, date_of_birth=born, sex=sex, legacy_codes=legacy)]


def _refusal(problems: list[Problem]) -> InvalidInput:
    """A single registration's answer: the first rule broken (a CCCD number lists all its)."""
    first = problems[0]
    extra = dict(first.params)
    if first.code.startswith("CCCD") or first.field == "national_id":
        extra["problems"] = [p.code for p in problems if p.field == first.field]
    return InvalidInput(first.detail, field=first.field, code=first.code, **extra)


# The same rules one at a time, for a correction (`vetting.workers.corrections`).

def check_province(code: str) -> None:
    if code not in province_codes():
        raise InvalidInput(f"province {code} does not exist", field="permanent_province",
                           code="UNKNOWN_PROVINCE")


def check_age(born: date, ctx: Context) -> None:
    if problems := _age_problems(born, ctx.today):
        raise _refusal(problems)


def check_national_id(national_id: str, *, date_of_birth: date, sex: str,
                      field: str = "national_id") -> None:
    """The CCCD number agrees with the rules and with the birth date and sex; `field` names
    what is refused (a correction of the birth date is refused on `date_of_birth`)."""
    if problems := _cccd_problems(national_id, date_of_birth, sex, legacy_codes(), field):
        raise _refusal(problems)


def seal_fields(worker: Worker, protection: DataProtection, values: dict[str, str]) -> None:
    for name, value in values.items():
        setattr(worker, f"{name}_enc",
                protection.seal(value, table="worker", column=name, row_id=worker.id))


def new_worker(protection: DataProtection, data: WorkerInput, *, index: str,
               now: datetime) -> Worker:
    """The row for a checked registration, its personal fields sealed (not yet added)."""
    worker = Worker(id=new_id(), post_unit_code=data.post_unit, employee_no=data.employee_no,
                    full_name=data.full_name, full_name_folded=fold(data.full_name),
                    sex=data.sex, stages=canonical_stages(data.stages),
                    permanent_province=data.permanent_province, national_id_bidx=index,
                    national_id_mask=mask(data.national_id), created_at=now, updated_at=now)
    seal_fields(worker, protection, {
        "national_id": data.national_id, "date_of_birth": data.date_of_birth.isoformat(),
        "hometown": data.hometown, "permanent_address": data.permanent_address,
        "current_address": data.current_address})
    return worker


async def audit_creation(session: AsyncSession, ctx: Context, worker: Worker,
                         **more: str) -> None:
    await append(session, ctx, action="worker.create", object_type="worker", object_id=worker.id,
                 body={"post_unit": worker.post_unit_code, "stages": worker.stages, **more})


# Built once: a registration's statements cost more to build than to run.
#: Both uniqueness rules of a registration in one query (each answered from its index).
_CLASHES = select(
    exists().where(Worker.national_id_bidx == bindparam("index")),
    exists().where(Worker.post_unit_code == bindparam("unit"),
                   Worker.employee_no == bindparam("number")))


async def create_worker(session: AsyncSession, ctx: Context, protection: DataProtection,
                        data: WorkerInput) -> Worker:
    problems = registration_problems(ctx, registration_rules(), data)
    if problems:
        raise _refusal(problems)
    index = protection.national_id_index(data.national_id)
    same_id, same_number = (await session.execute(_CLASHES, {
        "index": index, "unit": data.post_unit, "number": data.employee_no})).one()
    if same_id:
        raise Conflict("a worker with this national ID is already registered",
                       code="DUPLICATE_NATIONAL_ID")
    if same_number:
        raise Conflict("this employee number is already used in the unit",
                       code="DUPLICATE_EMPLOYEE_NO")
    worker = new_worker(protection, data, index=index, now=ctx.now)
    session.add(worker)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent registration won the race
        raise Conflict("a worker with this national ID or employee number exists",
                       code="DUPLICATE_WORKER") from exc
    await audit_creation(session, ctx, worker)
    return worker


async def get_worker(session: AsyncSession, ctx: Context, worker_id: str, *,
                     action: str = "workers.read", for_update: bool = False) -> Worker:
    """The worker if the caller's scope reaches it; otherwise 'not found'."""
    return await WORKERS.get(session, ctx.actor, action, worker_id, lock=for_update)


async def _police_works_on(session: AsyncSession, ctx: Context, worker: Worker) -> bool:
    if ctx.actor.role not in POLICE:
        return False
    return bool(await session.scalar(select(VettingRequest.id).where(
        VettingRequest.worker_id == worker.id,
        VettingRequest.police_unit_code == ctx.actor.unit).limit(1)))


def open_dossier(worker: Worker, protection: DataProtection, *, full_id: bool) -> Dossier:
    """The worker with its sealed fields opened (not audited: callers audit what they do)."""
    opened = {name: protection.unseal(getattr(worker, f"{name}_enc"), table="worker",
                                      column=name, row_id=worker.id) for name in SEALED}
    return Dossier(worker=worker,
                   national_id=opened["national_id"] if full_id else worker.national_id_mask,
                   date_of_birth=opened["date_of_birth"], hometown=opened["hometown"],
                   permanent_address=opened["permanent_address"],
                   current_address=opened["current_address"], full_national_id=full_id)


async def read_dossier(session: AsyncSession, ctx: Context, protection: DataProtection,
                       worker_id: str) -> Dossier:
    """The full dossier (audited): police working the worker's request see the national ID."""
    return await dossier_of(session, ctx, protection, await get_worker(session, ctx, worker_id))


async def dossier_of(session: AsyncSession, ctx: Context, protection: DataProtection,
                     worker: Worker) -> Dossier:
    """`read_dossier` of a worker the caller has in hand (and may read)."""
    full_id = await _police_works_on(session, ctx, worker)
    dossier = open_dossier(worker, protection, full_id=full_id)
    await append(session, ctx, action="worker.dossier_read", object_type="worker",
                 object_id=worker.id, body={"national_id": "full" if full_id else "masked"})
    return dossier
