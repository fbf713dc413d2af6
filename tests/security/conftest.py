"""Fixtures shared by the security tests."""

from __future__ import annotations

from datetime import timedelta

import pytest

from vetting.accounts import throttle


@pytest.fixture
def long_delays(monkeypatch: pytest.MonkeyPatch) -> timedelta:
    """A first delay of 30 s, so an attempt made right after a third failure is surely
    inside it (the real first delay, 1 s, could pass on a busy machine)."""
    first = timedelta(seconds=30)
    monkeypatch.setattr(throttle, "THROTTLE_BASE", first)
    return first
