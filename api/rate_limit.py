"""Rate limits for the public operations a stranger may call without an account.

Anyone holding a printed or saved attestation may check it; a client address gets
`KT1_VERIFY_CHECKS_PER_MINUTE` checks a minute (per server process), then 429 with
`Retry-After`, answered as problem+json by the one error mapper.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.middleware.rate_limit import RateLimitConfig

from vetting.settings import Settings

#: Route handler opt key: the handler is counted against the client address's limit.
RATE_LIMITED = "rate_limited"


async def _is_limited(request: Request[Any, Any, Any]) -> bool:
    """Asked of every request: a plain function would be run on a worker thread each time
    (Litestar's `ensure_async_callable`), a hand-off costing more than the question."""
    return bool(request.route_handler.opt.get(RATE_LIMITED))


def public_rate_limit(settings: Settings) -> RateLimitConfig:
    return RateLimitConfig(rate_limit=("minute", settings.verify_checks_per_minute),
                           check_throttle_handler=_is_limited, store="public_rate_limit")
