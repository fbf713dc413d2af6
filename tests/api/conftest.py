"""Fixtures shared by the API tests."""

from __future__ import annotations

import httpx
import pytest

from tests.api.test_eligibility import Desk
from tests.conftest import People


@pytest.fixture
async def desk(client: httpx.AsyncClient, people: People) -> Desk:
    return Desk(client, {
        "hr": await people.make("post_hr", unit="POST-51"),
        "officer": await people.make("police_officer", unit="POLICE-51"),
        "lead": await people.make("police_lead", unit="POLICE-51"),
        "dispatcher": await people.make("dispatcher", unit="POST-51"),
        "other_dispatcher": await people.make("dispatcher", unit="POST-12"),
    })
