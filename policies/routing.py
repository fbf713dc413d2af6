"""Which provincial police unit receives a vetting request (a policy choice, not law)."""

from __future__ import annotations


def police_province(rule: str, *, workplace_province: str, residence_province: str) -> str:
    """`workplace`: the police of the employing post unit's province (the seeds' reading);
    `residence`: the police where the worker permanently lives (common practice)."""
    if rule == "workplace":
        return workplace_province
    if rule == "residence":
        return residence_province
    raise ValueError(f"unknown routing rule {rule!r}")


def police_unit_for(province: str) -> str:
    return f"POLICE-{province}"
