"""Where a webhook may be sent: the URL's rules and the addresses its host resolves to.

A subscription could otherwise make the registry call into its own network (a database
port, a cloud metadata service): private, loopback, link-local, shared and reserved
addresses are refused unless the operator lists the host or its network in
KT1_WEBHOOK_ALLOWED_HOSTS. The check runs when a subscription is made or enabled and again
before every attempt, on the DNS answer of that moment; the attempt then connects to the
address that was checked, so a name cannot resolve one way for the check and another for
the connection.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from vetting.errors import InvalidInput
from vetting.settings import WebhookSettings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: host, port -> the addresses it resolves to (a test may pass its own)
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
FIELD = "url"


class TargetRefused(InvalidInput):
    """The URL, or the address its host has now, may not be called."""


@dataclass(frozen=True, slots=True)
class Target:
    scheme: str
    host: str  # lowercase, IPv6 without brackets
    port: int
    path: str  # path and query, as given

    @property
    def host_header(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return shown if self.port == default else f"{shown}:{self.port}"

    def url_for(self, address: str) -> str:
        """The URL that connects to `address` (the checked one) instead of the name."""
        shown = f"[{address}]" if ":" in address else address
        return f"{self.scheme}://{shown}:{self.port}{self.path}"


def parse(url: str) -> Target:
    """An absolute http(s) URL without credentials or fragment."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused(str(exc), field=FIELD, code="WEBHOOK_URL_INVALID") from exc
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host or parts.username is not None \
            or parts.password is not None or parts.fragment or "%" in host:
        raise TargetRefused("not an http(s) URL without user, password or fragment",
                            field=FIELD, code="WEBHOOK_URL_INVALID")
    return Target(scheme=parts.scheme, host=host,
                  port=port or (443 if parts.scheme == "https" else 80),
                  path=(parts.path or "/") + (f"?{parts.query}" if parts.query else ""))


def _address(text: str) -> IPAddress:
    ip: IPAddress = ipaddress.ip_address(text)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _in_listed_network(address: str, settings: WebhookSettings) -> bool:
    ip = _address(address)
    return any(ip in network for network in settings.allowed.networks)


def address_allowed(address: str, settings: WebhookSettings) -> bool:
    """A public unicast address, or one inside a network the operator listed."""
    ip = _address(address)
    return _in_listed_network(address, settings) or (ip.is_global and not ip.is_multicast)


async def system_resolver(host: str, port: int) -> Sequence[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def resolve(target: Target, settings: WebhookSettings,
                  resolver: Resolver = system_resolver) -> list[str]:
    """The addresses to connect to, all of them checked; refused if any is not allowed (a
    name that answers both a public and a private address is not trusted), and plain http
    unless the host, or the network of every address, is listed."""
    try:
        ipaddress.ip_address(target.host)
        addresses: Sequence[str] = [target.host]
    except ValueError:
        try:
            addresses = await resolver(target.host, target.port)
        except (OSError, UnicodeError) as exc:
            raise TargetRefused("the host name does not resolve", field=FIELD,
                                code="WEBHOOK_HOST_UNRESOLVED") from exc
    if not addresses:
        raise TargetRefused("the host name does not resolve", field=FIELD,
                            code="WEBHOOK_HOST_UNRESOLVED")
    named = target.host in settings.allowed.hosts
    if not named and not all(address_allowed(a, settings) for a in addresses):
        raise TargetRefused("a private, loopback or reserved address", field=FIELD,
                            code="WEBHOOK_ADDRESS_REFUSED")
    # the payload is signed, not encrypted: plain http only where the operator said so
    if target.scheme == "http" and not named and not all(
            _in_listed_network(a, settings) for a in addresses):
        raise TargetRefused("plain http only to a listed host", field=FIELD,
                            code="WEBHOOK_HTTPS_REQUIRED")
    return list(addresses)


async def check(url: str, settings: WebhookSettings,
                resolver: Resolver = system_resolver) -> Target:
    """Refuse a URL that may not be called now (at subscription and at enabling)."""
    target = parse(url)
    try:
        await asyncio.wait_for(resolve(target, settings, resolver), settings.timeout_s)
    except TimeoutError as exc:
        raise TargetRefused("the host name does not resolve", field=FIELD,
                            code="WEBHOOK_HOST_UNRESOLVED") from exc
    return target
