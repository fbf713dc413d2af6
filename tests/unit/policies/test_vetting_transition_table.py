"""The request state machine against a table written by hand, not derived from the code:
role × state × action → the next state, `forbidden` (the role may never) or `invalid` (not
from this state). A mutant that lets the police claim from `needs_info` fails here."""

from __future__ import annotations

import pytest

from policies.vetting_states import may_take, next_state

STATES = ("submitted", "in_review", "needs_info", "awaiting_approval", "cleared",
          "not_cleared", "withdrawn")
ROLES = ("admin", "post_hr", "police_officer", "police_lead", "dispatcher", "inspector")

#: (action, from state) -> next state; every pair not listed is `invalid`.
MOVES = {
    ("claim", "submitted"): "in_review",
    ("return", "in_review"): "needs_info",
    ("resubmit", "needs_info"): "submitted",
    ("transfer", "submitted"): "submitted",
    ("transfer", "in_review"): "submitted",
    ("propose", "in_review"): "awaiting_approval",
    ("approve", "awaiting_approval"): "cleared",  # with a meets_standard proposal
    ("withdraw", "submitted"): "withdrawn",
    ("withdraw", "in_review"): "withdrawn",
    ("withdraw", "needs_info"): "withdrawn",
    ("withdraw", "awaiting_approval"): "withdrawn",
}
#: action -> the only roles that may take it.
TAKERS = {
    "claim": {"police_officer", "police_lead"},
    "return": {"police_officer", "police_lead"},
    "resubmit": {"post_hr"},
    "transfer": {"police_officer", "police_lead"},
    "propose": {"police_officer", "police_lead"},
    "approve": {"police_lead"},
    "withdraw": {"post_hr"},
}


def expected(action: str, role: str, state: str) -> str:
    if role not in TAKERS[action]:
        return "forbidden"
    return MOVES.get((action, state), "invalid")


def actual(action: str, role: str, state: str) -> str:
    if not may_take(action, role):
        return "forbidden"
    return next_state(action, state, outcome="meets_standard") or "invalid"


@pytest.mark.parametrize("action", sorted(TAKERS))
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state", STATES)
def test_the_machine_matches_the_hand_written_table(action: str, role: str,
                                                    state: str) -> None:
    assert actual(action, role, state) == expected(action, role, state)


def test_an_approval_follows_the_proposed_outcome() -> None:
    assert next_state("approve", "awaiting_approval", outcome="does_not_meet") == "not_cleared"
    assert next_state("approve", "awaiting_approval", outcome="meets_standard") == "cleared"


def test_decided_and_withdrawn_requests_are_final() -> None:
    for state in ("cleared", "not_cleared", "withdrawn"):
        assert all(next_state(a, state) is None for a in TAKERS)
