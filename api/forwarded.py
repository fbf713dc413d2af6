"""The client's address behind a reverse proxy (KT1_TRUSTED_PROXIES).

Behind nginx every request comes from the proxy, so the audit log, the public rate limit
and the login records would all see one address. When the peer is a trusted proxy, the
client is the right-most `X-Forwarded-For` entry that is not itself a trusted proxy (what
nginx's `real_ip_recursive` does); entries further left are the client's own claims and are
ignored. From anyone else the header is ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from litestar.types import ASGIApp, Receive, Scope, Send

from vetting.settings import TrustedProxies

FORWARDED_FOR = b"x-forwarded-for"


def forwarded_client(peer: str, header: str, proxies: TrustedProxies) -> str:
    """The client's address, given the peer's and its `X-Forwarded-For` value."""
    if peer not in proxies:
        return peer
    client = peer
    for entry in reversed(header.split(",")):
        candidate = entry.strip().strip("[]")
        try:
            ipaddress.ip_address(candidate)
        except ValueError:
            break  # not an address: nothing left of it can be believed either
        client = candidate
        if candidate not in proxies:
            break
    return client


def forwarded_client_middleware(proxies: TrustedProxies) -> Callable[[ASGIApp], ASGIApp]:
    """A middleware factory rewriting `scope["client"]` for requests through `proxies`."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def rewrite(scope: Scope, receive: Receive, send: Send) -> None:
            client = scope.get("client")
            if client and scope["type"] in ("http", "websocket"):
                values = [v.decode("latin-1") for k, v in scope["headers"]
                          if k.lower() == FORWARDED_FOR]
                if values:
                    address = forwarded_client(str(client[0]), ",".join(values), proxies)
                    scope["client"] = (address, 0 if address != client[0] else client[1])
            await app(scope, receive, send)
        return rewrite

    return middleware
