"""Stable identifiers that appear inside signed attestations."""

from __future__ import annotations


def unit_urn(unit_code: str) -> str:
    return f"urn:kt1:unit:{unit_code}"


def worker_urn(worker_id: str) -> str:
    return f"urn:kt1:worker:{worker_id}"
