"""What the registry's closed vocabularies are called on the pages (request states, stages,
outcomes, clearance states, incident kinds): English msgids, shown in the page's language
with `_()`, and the tag colour of each state."""

from __future__ import annotations

from dataclasses import dataclass, field

from api.i18n.codes import N_


@dataclass(frozen=True, slots=True)
class Wording:
    request_state: dict[str, str] = field(default_factory=lambda: {
        "submitted": N_("Submitted"),
        "in_review": N_("In review"),
        "needs_info": N_("Returned for information"),
        "awaiting_approval": N_("Awaiting approval"),
        "cleared": N_("Cleared"),
        "not_cleared": N_("Not cleared"),
        "withdrawn": N_("Withdrawn"),
    })
    request_tag: dict[str, str] = field(default_factory=lambda: {
        "submitted": "blue", "in_review": "yellow", "needs_info": "orange",
        "awaiting_approval": "yellow", "cleared": "green", "not_cleared": "red",
        "withdrawn": "grey",
    })
    #: What each step of a request's history did.
    request_action: dict[str, str] = field(default_factory=lambda: {
        "submit": N_("Submitted by HR"),
        "claim": N_("Claimed by an officer"),
        "return": N_("Returned to HR for information"),
        "resubmit": N_("Resubmitted by HR"),
        "transfer": N_("Transferred to another police unit"),
        "propose": N_("Outcome proposed"),
        "approve": N_("Approved and signed"),
        "withdraw": N_("Withdrawn by HR"),
    })
    outcome: dict[str, str] = field(default_factory=lambda: {
        "meets_standard": N_("Meets the political standard"),
        "does_not_meet": N_("Does not meet the political standard"),
    })
    stage: dict[str, str] = field(default_factory=lambda: {
        "acceptance": N_("Acceptance"),
        "processing": N_("Processing"),
        "transport": N_("Transport"),
        "delivery": N_("Delivery"),
    })
    clearance_state: dict[str, str] = field(default_factory=lambda: {
        "none": N_("Not vetted"),
        "pending": N_("Vetting in progress"),
        "active": N_("Active"),
        "expired": N_("Expired"),
        "suspended": N_("Suspended"),
        "revoked": N_("Revoked"),
        "not_cleared": N_("Not cleared"),
    })
    clearance_tag: dict[str, str] = field(default_factory=lambda: {
        "none": "grey", "pending": "blue", "active": "green", "expired": "grey",
        "suspended": "orange", "revoked": "red", "not_cleared": "red",
    })
    incident_kind: dict[str, str] = field(default_factory=lambda: {
        "loss": N_("Loss"),
        "damage": N_("Damage"),
        "delay": N_("Delay"),
        "suspected_leak": N_("Suspected leak of secrets"),
        "other": N_("Other"),
    })
    incident_state: dict[str, str] = field(default_factory=lambda: {
        "open": N_("Open"),
        "concluded": N_("Concluded"),
    })
    resolution: dict[str, str] = field(default_factory=lambda: {
        "reinstated": N_("Reinstated"),
        "revoked": N_("Revoked"),
    })
    sex: dict[str, str] = field(default_factory=lambda: {
        "male": N_("Male"),
        "female": N_("Female"),
    })


WORDS = Wording()
