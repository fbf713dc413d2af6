"""The registry's closed vocabularies, each defined once: the API's types, the models'
check constraints, the policy validation and the state machine all read them here."""

from __future__ import annotations

from typing import Literal, get_args

Stage = Literal["acceptance", "processing", "transport", "delivery"]
Role = Literal["admin", "post_hr", "police_officer", "police_lead", "dispatcher", "inspector"]
IncidentKind = Literal["loss", "damage", "delay", "suspected_leak", "other"]
OpenState = Literal["submitted", "in_review", "needs_info", "awaiting_approval"]
DecidedState = Literal["cleared", "not_cleared"]
RequestState = Literal[OpenState, DecidedState, "withdrawn"]

#: In the order the work flows (stages) or the order they are listed in (the rest).
STAGES: tuple[str, ...] = get_args(Stage)
ROLES: tuple[str, ...] = get_args(Role)
INCIDENT_KINDS: tuple[str, ...] = get_args(IncidentKind)
OPEN_STATES: tuple[str, ...] = get_args(OpenState)
DECIDED_STATES: tuple[str, ...] = get_args(DecidedState)
REQUEST_STATES: tuple[str, ...] = (*OPEN_STATES, *DECIDED_STATES, "withdrawn")


def sql_in(column: str, values: tuple[str, ...]) -> str:
    """The body of a CHECK constraint allowing exactly `values` in `column`."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"
