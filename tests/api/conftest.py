"""Fixtures shared by the API tests."""

from __future__ import annotations

import httpx
import pytest

from tests.api.test_eligibility import Desk
from tests.conftest import People


@pytest.fixture
async def desk(client: httpx.AsyncClient, people: People) -> Desk:
    return await Desk.of_province_51(client, people)
