"""Behind a trusted reverse proxy the client is the one `X-Forwarded-For` names; from anyone
else the header is a claim and is ignored."""

from __future__ import annotations

import ipaddress

import pytest

from api.app import create_app
from api.forwarded import forwarded_client
from tests.conftest import served, settings_for
from vetting.db import Database
from vetting.settings import Settings, SettingsError, TrustedProxies, read_settings

VERIFY = "/api/v1/attestations/verify"
PROXIES = TrustedProxies((ipaddress.ip_network("10.0.0.0/8"),
                          ipaddress.ip_network("127.0.0.1/32")))


@pytest.mark.parametrize(("peer", "header", "client"), [
    ("10.0.0.2", "203.0.113.7", "203.0.113.7"),
    ("10.0.0.2", "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # the left one is a claim
    ("10.0.0.2", "203.0.113.7, 10.0.0.9", "203.0.113.7"),  # through two of our proxies
    ("10.0.0.2", "2001:db8::1", "2001:db8::1"),
    ("10.0.0.2", "not-an-address", "10.0.0.2"),
    ("10.0.0.2", "203.0.113.7, junk", "10.0.0.2"),  # nothing left of junk is believed
    ("192.0.2.50", "203.0.113.7", "192.0.2.50"),  # not a trusted proxy: the header is a claim
], ids=["one", "spoofed-left", "two-proxies", "ipv6", "junk", "junk-right", "untrusted"])
def test_the_client_is_the_rightmost_address_not_a_trusted_proxy(
        peer: str, header: str, client: str) -> None:
    assert forwarded_client(peer, header, PROXIES) == client


def test_a_bad_proxy_list_names_the_variable() -> None:
    with pytest.raises(SettingsError) as raised:
        read_settings({"KT1_TRUSTED_PROXIES": "10.0.0.0/8 proxy.local"})
    assert raised.value.variable == "KT1_TRUSTED_PROXIES"
    assert read_settings({"KT1_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1"}
                         ).trusted_proxies == PROXIES


@pytest.mark.parametrize("trusted", [True, False], ids=["behind-proxy", "direct"])
async def test_the_public_rate_limit_counts_each_forwarded_client(
        settings: Settings, database: Database, trusted: bool) -> None:
    env = {"KT1_VERIFY_CHECKS_PER_MINUTE": "1"}
    if trusted:
        env["KT1_TRUSTED_PROXIES"] = "127.0.0.1"  # where the test transport's requests come from
    limited = settings_for(settings.database_url, settings.keys_dir, **env)
    async with served(create_app(limited, database)) as client:
        def check(address: str) -> object:
            return client.post(VERIFY, json={"jws": "a.b.c"},
                               headers={"X-Forwarded-For": address})
        first = await check("203.0.113.7")
        again = await check("203.0.113.7")
        other = await check("203.0.113.8")
    assert (first.status_code, again.status_code) == (200, 429)
    # behind the proxy another client has its own limit; without it the header is ignored
    assert other.status_code == (200 if trusted else 429)
