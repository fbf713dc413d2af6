"""Who is acting, and in which request: passed explicitly to every service call."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from policies.calendar import local_date
from vetting.models.base import utcnow


@dataclass(frozen=True, slots=True)
class Actor:
    """The server-side principal; scope always comes from here, never from the request."""

    id: str | None
    role: str
    username: str = ""
    province: str | None = None
    unit: str | None = None
    restricted: bool = False  # must change password or enrol MFA before anything else
    #: Where the request came from (the client's network address), when it came over HTTP
    #: and the audit log should say so: always for anonymous callers, and for a sign-in.
    address: str | None = None


#: The registry itself and its operators' commands (migrations, the CLI): no request at all.
SYSTEM = Actor(id=None, role="system", username="system")
ANONYMOUS_ROLE = "anonymous"


def anonymous(address: str | None) -> Actor:
    """Whoever calls a public endpoint without a token (a login attempt, a refresh): told apart
    from `SYSTEM` in the audit log, and by the address they called from."""
    return Actor(id=None, role=ANONYMOUS_ROLE, username=ANONYMOUS_ROLE, address=address)


@dataclass(frozen=True, slots=True)
class Context:
    actor: Actor
    request_id: str | None = None
    now: datetime = field(default_factory=utcnow)

    @property
    def today(self) -> date:
        """The day it is in Vietnam: every calendar rule uses Vietnam's calendar."""
        return local_date(self.now)
