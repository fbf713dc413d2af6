"""Correcting a registered worker: HR of the unit fixes what was typed wrong or has changed
(names, addresses, stages, ...), version-checked, re-sealed and audited like registration.

The national ID is not correctable: the blind index, the attestations' salted binding and the
audit trail all rest on it, so a wrong number means a new registration. The post unit is not a
correction either: it decides who may see the worker at all.

A stage added here is not cleared by an earlier decision: eligibility counts only the stages
an attestation signs, so the new stage needs a new vetting request.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from policies.folding import fold
from vetting.audit.entries import append
from vetting.errors import Conflict, InvalidInput, require_version
from vetting.models import Worker
from vetting.personal_data import DataProtection
from vetting.principal import Context
from vetting.workers.service import (
    SEALED,
    Dossier,
    canonical_stages,
    check_age,
    check_national_id,
    check_province,
    get_worker,
    open_dossier,
    seal_fields,
)

#: What a correction may change: every registration field but the two below.
CORRECTABLE = ("employee_no", "full_name", "date_of_birth", "sex", "hometown",
               "permanent_address", "permanent_province", "current_address", "stages")
#: Registration fields that never change, and the code that says why.
FIXED = {"national_id": "NATIONAL_ID_NOT_CORRECTABLE", "post_unit": "POST_UNIT_NOT_CORRECTABLE"}
ACTION = "workers.update"


def _refuse_fixed_and_removed(changes: Mapping[str, Any]) -> None:
    """Merge-patch semantics: a member set to null removes it; every field is required."""
    for name in changes:
        if name not in CORRECTABLE and name not in FIXED:
            raise ValueError(f"not a registration field: {name}")
        if name in FIXED:
            raise InvalidInput(f"{name} cannot be changed after registration", field=name,
                               code=FIXED[name])
    for name, value in changes.items():
        if value is None:
            raise InvalidInput("a required field cannot be removed", field=name,
                               code="FIELD_REQUIRED")
    if not changes:
        raise InvalidInput("nothing to change", field="body", code="EMPTY_CHANGE")


def _current(worker: Worker, dossier: Dossier) -> dict[str, Any]:
    return {"employee_no": worker.employee_no, "full_name": worker.full_name,
            "date_of_birth": date.fromisoformat(dossier.date_of_birth), "sex": worker.sex,
            "hometown": dossier.hometown, "permanent_address": dossier.permanent_address,
            "permanent_province": worker.permanent_province,
            "current_address": dossier.current_address, "stages": worker.stages}


async def _check(session: AsyncSession, ctx: Context, protection: DataProtection,
                 worker: Worker, changed: dict[str, Any], merged: dict[str, Any]) -> None:
    """The rules of registration, for what changes: a birth date or sex must still agree with
    the CCCD number on file (refused on the field that was changed)."""
    if "permanent_province" in changed:
        check_province(changed["permanent_province"])
    if "date_of_birth" in changed:
        check_age(changed["date_of_birth"], ctx)
    if "date_of_birth" in changed or "sex" in changed:
        national_id = protection.unseal(worker.national_id_enc, table="worker",
                                        column="national_id", row_id=worker.id)
        check_national_id(national_id, date_of_birth=merged["date_of_birth"],
                          sex=merged["sex"],
                          field="date_of_birth" if "date_of_birth" in changed else "sex")
    if "stages" in changed and worker.left_on is not None:
        raise Conflict("the worker has left the post", code="EMPLOYMENT_ENDED")
    if "employee_no" in changed and await session.scalar(select(Worker.id).where(
            Worker.post_unit_code == worker.post_unit_code,
            Worker.employee_no == changed["employee_no"], Worker.id != worker.id)):
        raise Conflict("this employee number is already used in the unit",
                       code="DUPLICATE_EMPLOYEE_NO")


def _apply(worker: Worker, protection: DataProtection, changed: dict[str, Any]) -> None:
    sealed = {name: value.isoformat() if isinstance(value, date) else value
              for name, value in changed.items() if name in SEALED}
    seal_fields(worker, protection, sealed)
    for name, value in changed.items():
        if name not in SEALED:
            setattr(worker, name, value)
    if "full_name" in changed:
        worker.full_name_folded = fold(changed["full_name"])


async def correct_worker(session: AsyncSession, ctx: Context, protection: DataProtection,
                         worker_id: str, changes: Mapping[str, Any], *,
                         expected_version: int) -> Dossier:
    """Apply the members of a merge patch (names of `CORRECTABLE` or `FIXED`, values already
    typed) to the worker at `expected_version`. Only values that differ count; none differing
    changes nothing (no new version, no audit entry). One audit entry names the fields that
    changed, never their values."""
    _refuse_fixed_and_removed(changes)
    worker = await get_worker(session, ctx, worker_id, action=ACTION, for_update=True)
    require_version(worker.version, expected_version, what="worker")
    before = open_dossier(worker, protection, full_id=False)
    current = _current(worker, before)
    wanted = dict(changes)
    if "stages" in wanted:
        wanted["stages"] = canonical_stages(list(wanted["stages"]))
    changed = {name: value for name, value in wanted.items() if current[name] != value}
    if not changed:
        return before
    await _check(session, ctx, protection, worker, changed, {**current, **changed})
    _apply(worker, protection, changed)
    await session.flush()
    await append(session, ctx, action="worker.update", object_type="worker",
                 object_id=worker.id, body={"fields": sorted(changed)})
    return open_dossier(worker, protection, full_id=False)
