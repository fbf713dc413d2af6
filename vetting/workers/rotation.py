"""Re-encrypting every sealed column under the newest data key (`kt1vet keys rotate-data`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vetting.audit.entries import append
from vetting.models import VettingRequest, WebhookSecret, Worker
from vetting.personal_data import DataProtection
from vetting.principal import Context

SEALED_COLUMNS: dict[type, tuple[str, ...]] = {
    Worker: ("national_id", "date_of_birth", "hometown", "permanent_address", "current_address"),
    VettingRequest: ("info_request", "police_note"),
    WebhookSecret: ("secret",),
}


async def reencrypt_all(session: AsyncSession, ctx: Context, protection: DataProtection) -> int:
    """Rewrite every ciphertext not under the current version; returns the fields rewritten."""
    current = protection.cipher.current_version
    rewritten = 0
    for model, columns in SEALED_COLUMNS.items():
        table = model.__tablename__  # type: ignore[attr-defined]
        rows = await session.stream_scalars(select(model).execution_options(yield_per=500))
        async for row in rows:
            for column in columns:
                blob = getattr(row, f"{column}_enc")
                if blob is None or protection.cipher.version_of(blob) == current:
                    continue
                plain = protection.unseal(blob, table=table, column=column, row_id=row.id)
                setattr(row, f"{column}_enc",
                        protection.seal(plain, table=table, column=column, row_id=row.id))
                rewritten += 1
    await session.flush()
    await append(session, ctx, action="keys.rotate_data", body={"version": current,
                                                                "fields": rewritten})
    return rewritten
