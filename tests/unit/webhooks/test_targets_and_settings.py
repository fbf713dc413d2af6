"""Which webhook targets may be called, and how the operator configures the relay."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from vetting.settings import SettingsError, WebhookSettings, read_settings
from vetting.webhooks.targets import TargetRefused, address_allowed, parse, resolve


def webhook_settings(tmp_path: Path, **env: str) -> WebhookSettings:
    return read_settings({"KT1_KEYS_DIR": str(tmp_path / "keys"), **env}).webhooks


@pytest.mark.parametrize(("address", "allowed"), [
    ("93.184.216.34", True), ("2606:4700::1111", True),
    ("127.0.0.1", False), ("10.2.3.4", False), ("172.31.255.1", False), ("192.168.0.1", False),
    ("169.254.169.254", False), ("100.64.1.1", False), ("0.0.0.0", False),  # noqa: S104
    ("255.255.255.255", False), ("224.0.0.251", False), ("198.18.0.1", False),
    ("::1", False), ("fe80::1", False), ("fc00::1", False), ("::", False),
    ("::ffff:127.0.0.1", False), ("::ffff:93.184.216.34", True), ("ff02::1", False),
])
def test_only_public_unicast_addresses_by_default(address: str, allowed: bool) -> None:
    assert address_allowed(address, WebhookSettings()) is allowed


def test_listed_networks_are_allowed(tmp_path: Path) -> None:
    settings = webhook_settings(tmp_path, KT1_WEBHOOK_ALLOWED_HOSTS="10.8.0.0/16, ::1")
    assert address_allowed("10.8.200.1", settings) and address_allowed("::1", settings)
    assert address_allowed("::ffff:10.8.0.9", settings)
    assert not address_allowed("10.9.0.1", settings)
    assert settings.allowed.networks == (ipaddress.ip_network("10.8.0.0/16"),
                                         ipaddress.ip_network("::1"))


async def test_a_listed_name_may_resolve_anywhere_another_may_not(tmp_path: Path) -> None:
    settings = webhook_settings(tmp_path, KT1_WEBHOOK_ALLOWED_HOSTS="hooks.lan")

    async def private(host: str, port: int) -> list[str]:
        return ["192.168.5.5"]

    assert await resolve(parse("http://HOOKS.lan:8080/x"), settings, private) == [
        "192.168.5.5"]
    with pytest.raises(TargetRefused) as refused:
        await resolve(parse("https://other.lan/x"), settings, private)
    assert refused.value.code == "WEBHOOK_ADDRESS_REFUSED"


async def test_an_unresolvable_name_is_refused() -> None:
    async def nothing(host: str, port: int) -> list[str]:
        raise OSError("no such host")

    with pytest.raises(TargetRefused) as refused:
        await resolve(parse("https://nowhere.example/"), WebhookSettings(), nothing)
    assert refused.value.code == "WEBHOOK_HOST_UNRESOLVED"


def test_urls_are_taken_apart_for_pinned_connections() -> None:
    target = parse("https://Hooks.Example.org:8443/kt1/in?x=1")
    assert (target.host, target.port, target.path) == ("hooks.example.org", 8443, "/kt1/in?x=1")
    assert target.host_header == "hooks.example.org:8443"
    assert target.url_for("93.184.216.34") == "https://93.184.216.34:8443/kt1/in?x=1"
    v6 = parse("https://[2606:4700::1111]/")
    assert v6.host_header == "[2606:4700::1111]" and v6.url_for("2606:4700::1111") == \
        "https://[2606:4700::1111]:443/"


def test_defaults(tmp_path: Path) -> None:
    settings = webhook_settings(tmp_path)
    assert settings.relay and settings.allowed.hosts == frozenset()
    assert (settings.timeout_s, settings.lease_s, settings.retry_window_s) == (10, 60, 86400)
    assert not webhook_settings(tmp_path, KT1_WEBHOOK_RELAY="OFF").relay


@pytest.mark.parametrize(("variable", "value"), [
    ("KT1_WEBHOOK_RELAY", "sometimes"),
    ("KT1_WEBHOOK_ALLOWED_HOSTS", "bad_host!"),
    ("KT1_WEBHOOK_ALLOWED_HOSTS", "10.0.0.0/33"),
    ("KT1_WEBHOOK_TIMEOUT_S", "0"),
    ("KT1_WEBHOOK_TIMEOUT_S", "nan"),
    ("KT1_WEBHOOK_TIMEOUT_S", "ten"),
    ("KT1_WEBHOOK_LEASE_S", "5"),  # not above the 10 s timeout
    ("KT1_WEBHOOK_POLL_S", "-1"),
    ("KT1_WEBHOOK_RETRY_WINDOW_S", "999999999"),
    ("KT1_WEBHOOK_MAX_ATTEMPTS", "0"),
    ("KT1_WEBHOOK_MAX_ATTEMPTS", "many"),
])
def test_a_bad_value_names_its_variable(tmp_path: Path, variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as refused:
        webhook_settings(tmp_path, **{variable: value})
    assert refused.value.variable == variable
