"""Every table of the registry; importing this package registers them all."""

from vetting.models.accounts import LoginThrottle, PageSession, RefreshToken, UserAccount
from vetting.models.attestations import (
    Attestation,
    Clearance,
    ClearanceEvent,
    SigningKey,
    StatusList,
)
from vetting.models.audit import AuditCheckpoint, AuditEntry, AuditHead, AuditNode
from vetting.models.base import Base
from vetting.models.changes import ChangeLog
from vetting.models.incidents import Incident, IncidentWorker, Notification, OutboxEvent
from vetting.models.reference import LegacyProvince, Province, Unit
from vetting.models.routes import Assignment, Route
from vetting.models.summary import WorkerSummary
from vetting.models.webhooks import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookSecret,
    WebhookSubscription,
)
from vetting.models.workers import (
    Commitment,
    IdempotencyRecord,
    Training,
    VettingEvent,
    VettingRequest,
    Worker,
)

__all__ = [
    "Assignment",
    "Attestation",
    "AuditCheckpoint",
    "AuditEntry",
    "AuditHead",
    "AuditNode",
    "Base",
    "ChangeLog",
    "Clearance",
    "ClearanceEvent",
    "Commitment",
    "IdempotencyRecord",
    "Incident",
    "IncidentWorker",
    "LegacyProvince",
    "LoginThrottle",
    "Notification",
    "OutboxEvent",
    "PageSession",
    "Province",
    "RefreshToken",
    "Route",
    "SigningKey",
    "StatusList",
    "Training",
    "Unit",
    "UserAccount",
    "VettingEvent",
    "VettingRequest",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSecret",
    "WebhookSubscription",
    "Worker",
    "WorkerSummary",
]
