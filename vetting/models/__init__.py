"""Every table of the registry; importing this package registers them all."""

from vetting.models.accounts import RefreshToken, UserAccount
from vetting.models.audit import AuditCheckpoint, AuditEntry, AuditHead, AuditNode
from vetting.models.base import Base
from vetting.models.reference import LegacyProvince, Province, Unit

__all__ = [
    "AuditCheckpoint",
    "AuditEntry",
    "AuditHead",
    "AuditNode",
    "Base",
    "LegacyProvince",
    "Province",
    "RefreshToken",
    "Unit",
    "UserAccount",
]
