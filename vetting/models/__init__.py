"""Every table of the registry; importing this package registers them all."""

from vetting.models.accounts import RefreshToken, UserAccount
from vetting.models.audit import AuditCheckpoint, AuditEntry, AuditHead, AuditNode
from vetting.models.base import Base
from vetting.models.reference import LegacyProvince, Province, Unit
from vetting.models.workers import (
    Commitment,
    IdempotencyRecord,
    Training,
    VettingEvent,
    VettingRequest,
    Worker,
)

__all__ = [
    "AuditCheckpoint",
    "AuditEntry",
    "AuditHead",
    "AuditNode",
    "Base",
    "Commitment",
    "IdempotencyRecord",
    "LegacyProvince",
    "Province",
    "RefreshToken",
    "Training",
    "Unit",
    "UserAccount",
    "VettingEvent",
    "VettingRequest",
    "Worker",
]
