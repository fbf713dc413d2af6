"""The vetting request state machine: the only transitions that exist."""

from __future__ import annotations

from policies.access import POLICE, POLICE_LEAD, POST_HR
from policies.vocabulary import DECIDED_STATES, OPEN_STATES

OPEN = OPEN_STATES
DECIDED = DECIDED_STATES

#: action → (states it may start from, the state it leads to, roles that may take it)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str, tuple[str, ...]]] = {
    "claim": (("submitted",), "in_review", POLICE),
    "return": (("in_review",), "needs_info", POLICE),
    "resubmit": (("needs_info",), "submitted", (POST_HR,)),
    "transfer": (("submitted", "in_review"), "submitted", POLICE),
    "propose": (("in_review",), "awaiting_approval", POLICE),
    "approve": (("awaiting_approval",), "decided", (POLICE_LEAD,)),
    "withdraw": (OPEN, "withdrawn", (POST_HR,)),
}


def may_take(action: str, role: str) -> bool:
    """Whether `role` may take `action` at all (in any state)."""
    return role in TRANSITIONS[action][2]


def next_state(action: str, current: str, *, outcome: str | None = None) -> str | None:
    """The state after `action` from `current`, or None when the move is not in the table."""
    sources, target, _roles = TRANSITIONS[action]
    if current not in sources:
        return None
    if target == "decided":
        return "cleared" if outcome == "meets_standard" else "not_cleared"
    return target


def may_approve(*, approver_id: str, proposer_id: str | None, approver_role: str) -> bool:
    """Two-person rule: a police lead who did not propose the outcome."""
    return approver_role == POLICE_LEAD and proposer_id is not None and approver_id != proposer_id
