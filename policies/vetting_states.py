"""The vetting request state machine: the only transitions that exist."""

from __future__ import annotations

from typing import NamedTuple

from policies.access import POLICE, POLICE_LEAD, POST_HR
from policies.vocabulary import DECIDED_STATES, OPEN_STATES

OPEN = OPEN_STATES
DECIDED = DECIDED_STATES

class Transition(NamedTuple):
    sources: tuple[str, ...]  # the states it may start from
    target: str               # the state it leads to ("decided": by the proposed outcome)
    roles: tuple[str, ...]    # the roles that may take it
    access: str               # the access-policy action whose scope guards it


TRANSITIONS: dict[str, Transition] = {
    "claim": Transition(("submitted",), "in_review", POLICE, "requests.review"),
    "return": Transition(("in_review",), "needs_info", POLICE, "requests.review"),
    "resubmit": Transition(("needs_info",), "submitted", (POST_HR,), "requests.submit"),
    "transfer": Transition(("submitted", "in_review"), "submitted", POLICE, "requests.review"),
    "propose": Transition(("in_review",), "awaiting_approval", POLICE, "requests.review"),
    "approve": Transition(("awaiting_approval",), "decided", (POLICE_LEAD,),
                          "requests.approve"),
    "withdraw": Transition(OPEN, "withdrawn", (POST_HR,), "requests.submit"),
}


def may_take(action: str, role: str) -> bool:
    """Whether `role` may take `action` at all (in any state)."""
    return role in TRANSITIONS[action].roles


def next_state(action: str, current: str, *, outcome: str | None = None) -> str | None:
    """The state after `action` from `current`, or None when the move is not in the table."""
    sources, target = TRANSITIONS[action].sources, TRANSITIONS[action].target
    if current not in sources:
        return None
    if target == "decided":
        return "cleared" if outcome == "meets_standard" else "not_cleared"
    return target


def may_approve(*, approver_id: str, proposer_id: str | None, approver_role: str) -> bool:
    """Two-person rule: a police lead who did not propose the outcome."""
    return approver_role == POLICE_LEAD and proposer_id is not None and approver_id != proposer_id
