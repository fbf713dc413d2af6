"""A cookie-keeping visitor of the pages through the ASGI app (no browser): fast checks of
sessions, CSRF and access rules on both backends. The browser tests use Playwright instead."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
from litestar import Litestar

from crypto import totp
from tests.conftest import Person

_CSRF = re.compile(r'name="_csrf_token" value="([^"]*)"')
BASE = "http://kt1.test"
#: Where a test account of each role is placed (province 51).
PLACEMENT: dict[str, dict[str, str]] = {
    "admin": {}, "post_hr": {"unit": "POST-51"}, "dispatcher": {"unit": "POST-51"},
    "police_officer": {"unit": "POLICE-51"}, "police_lead": {"unit": "POLICE-51"},
    "inspector": {"province": "51"}}


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


@dataclass
class Visitor:
    client: httpx.AsyncClient
    last: httpx.Response | None = None

    @classmethod
    def of(cls, app: Litestar) -> Visitor:
        return cls(httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE))

    async def close(self) -> None:
        await self.client.aclose()

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        self.last = await self.client.get(path, **kwargs)
        return self.last

    async def submit(self, path: str, data: dict[str, Any], *, form_page: str | None = None,
                     token: str | None = None) -> httpx.Response:
        """Post `data` as a browser would after opening `form_page` (default: `path`)."""
        if token is None:
            page = await self.client.get(form_page or path)
            token = csrf_of(page.text)
        self.last = await self.client.post(path, data={**data, "_csrf_token": token})
        return self.last

    async def sign_in(self, person: Person, *, otp: str | None = None) -> httpx.Response:
        if otp is None and person.totp_secret is not None:
            import time
            otp = totp.code_at(person.totp_secret, time.time())
        response = await self.submit("/login", {"username": person.username,
                                                "password": person.password,
                                                "otp": otp or ""})
        return response

    def cookie(self, name: str) -> str | None:
        return self.client.cookies.get(name)
