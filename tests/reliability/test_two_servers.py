"""Two server processes on one database behave as one server: a write acknowledged by one is
seen by the other's very next answer, though both answer these questions from their read
caches (an account disabled, a clearance suspended, a route closed); sign-in failures,
refresh-token rotation, idempotency keys, notifications and audit appends are one state."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.api.test_eligibility import Desk, codes
from tests.conftest import People, new_database_url, settings_for, unique
from tests.live_server import free_port, start_server, stop_server, wait_ready
from tests.reliability.test_audit_tamper import run_cli
from vetting.db import Database
from vetting.keys import RegistryKeys
from vetting.settings import Settings

Servers = tuple[httpx.AsyncClient, httpx.AsyncClient, People, Settings]
LOGIN, REFRESH = "/api/v1/auth/login", "/api/v1/auth/refresh"


@pytest.fixture(scope="module")
async def servers(backend: str, tmp_path_factory: pytest.TempPathFactory
                  ) -> AsyncIterator[Servers]:
    tmp_path = tmp_path_factory.mktemp(f"two-servers-{backend}")
    database_url = await new_database_url(backend, tmp_path)
    keys_dir = tmp_path / "keys"
    processes, clients = [], []
    try:
        for name in ("a", "b"):  # one after the other: the first migrates and makes the keys
            port = free_port()
            env = {**os.environ, "KT1_DATABASE_URL": database_url,
                   "KT1_KEYS_DIR": str(keys_dir), "KT1_HOST": "127.0.0.1",
                   "KT1_PORT": str(port), "KT1_WEBHOOK_RELAY": "off"}
            log = tmp_path / f"server-{name}.log"
            processes.append(start_server(env, log))
            base_url = f"http://127.0.0.1:{port}"
            await wait_ready(base_url, processes[-1], log)
            clients.append(httpx.AsyncClient(base_url=base_url, timeout=30))
        database = Database(database_url)
        try:
            yield clients[0], clients[1], People(database, RegistryKeys.open(keys_dir,
                                                                             create=False)
                                                 ), settings_for(database_url, keys_dir)
        finally:
            await database.dispose()
    finally:
        for client in clients:
            await client.aclose()
        for process in processes:
            stop_server(process)


async def test_a_write_on_one_server_is_seen_by_the_other_at_once(servers: Servers) -> None:
    first, second, people, _ = servers
    on_first = await Desk.of_province_51(first, people)
    on_second = Desk(second, on_first.p)
    worker_id, route_id = await on_first.cleared_worker(), await on_first.route()
    for _ in range(2):  # the second answer comes from the second server's cache
        assert (await on_second.check(worker_id, route_id))["eligible"] is True

    suspended = await on_first.post("lead", f"/api/v1/workers/{worker_id}/clearance/suspend",
                                    {"reason": "Sự cố đang được xem xét"})
    assert suspended.status_code == 200, suspended.text
    assert codes(await on_second.check(worker_id, route_id)) == ["CLEARANCE_SUSPENDED"]

    route = (await first.get(f"/api/v1/routes/{route_id}",
                             headers=on_first.p["dispatcher"].headers)).json()
    closed = await first.patch(f"/api/v1/routes/{route_id}", headers=on_first.p[
        "dispatcher"].headers, json={"active": False, "version": route["version"]})
    assert closed.status_code == 200, closed.text
    assert "ROUTE_INACTIVE" in codes(await on_second.check(worker_id, route_id))

    admin = await people.make("admin")
    dispatcher = on_first.p["dispatcher"]
    for _ in range(2):
        assert (await second.get("/api/v1/auth/me", headers=dispatcher.headers)
                ).status_code == 200
    account = (await first.get(f"/api/v1/users/{dispatcher.id}", headers=admin.headers)).json()
    disabled = await first.patch(f"/api/v1/users/{dispatcher.id}", headers=admin.headers,
                                 json={"state": "disabled", "version": account["version"]})
    assert disabled.status_code == 200, disabled.text
    refused = await second.get("/api/v1/auth/me", headers=dispatcher.headers)
    assert refused.status_code == 401 and refused.json()["code"] == "INVALID_TOKEN"


async def test_sign_in_failures_on_both_servers_add_up(servers: Servers) -> None:
    first, second, people, _ = servers
    person = await people.make("dispatcher", unit="POST-51")
    wrong = {"username": person.username, "password": "not the password at all"}
    answers = [await server.post(LOGIN, json=wrong) for server in (first, second, first)]
    assert [a.status_code for a in answers] == [401, 401, 401]
    waited = await second.post(LOGIN, json={"username": person.username,
                                            "password": person.password})
    assert waited.status_code == 429, "three failures across both servers make even the " \
                                      "right password wait"
    assert int(waited.headers["retry-after"]) >= 1


async def test_a_refresh_token_rotated_on_one_server_is_spent_on_the_other(
        servers: Servers) -> None:
    first, second, people, _ = servers
    person = await people.make("post_hr", unit="POST-51")
    pair = (await first.post(LOGIN, json={"username": person.username,
                                          "password": person.password})).json()
    rotated = await second.post(REFRESH, json={"refresh_token": pair["refresh_token"]})
    assert rotated.status_code == 200, rotated.text
    reused = await first.post(REFRESH, json={"refresh_token": pair["refresh_token"]})
    assert reused.status_code == 401 and reused.json()["code"] == "INVALID_REFRESH_TOKEN"
    newest = await second.post(REFRESH, json={"refresh_token": rotated.json()["refresh_token"]})
    assert newest.status_code == 401, "reuse anywhere ends the whole family everywhere"


async def test_an_idempotency_key_replays_on_the_other_server(servers: Servers) -> None:
    first, second, people, _ = servers
    dispatcher = await people.make("dispatcher", unit="POST-51")
    headers = {**dispatcher.headers, "Idempotency-Key": unique("route-")}
    body = {"code": unique("R-"), "name": "Tuyến KT1", "province": "51", "stage": "transport",
            "service_classes": ["standard"], "max_secrecy": "A"}
    made = await first.post("/api/v1/routes", json=body, headers=headers)
    replayed = await second.post("/api/v1/routes", json=body, headers=headers)
    assert made.status_code == replayed.status_code == 201
    assert replayed.json()["id"] == made.json()["id"], "one route, answered twice"


async def test_a_request_submitted_on_one_server_is_in_the_inbox_on_the_other(
        servers: Servers) -> None:
    first, second, people, _ = servers
    desk = await Desk.of_province_51(first, people)
    request_id = await desk.request(await desk.worker(), until="submitted")
    inbox = await second.get("/api/v1/notifications", params={"unread": "true", "limit": 200},
                             headers=desk.p["officer"].headers)
    assert inbox.status_code == 200, inbox.text
    assert request_id in [item["object_id"] for item in inbox.json()["items"]
                          if item["kind"] == "request.routed"]


async def test_audit_appends_from_both_servers_at_once_make_one_verifiable_log(
        servers: Servers) -> None:
    first, second, people, settings = servers
    dispatcher = await people.make("dispatcher", unit="POST-51")

    async def make_route(server: httpx.AsyncClient) -> int:
        body = {"code": unique("R-"), "name": "Tuyến KT1", "province": "51",
                "stage": "transport", "service_classes": ["standard"], "max_secrecy": "A"}
        return (await server.post("/api/v1/routes", json=body, headers=dispatcher.headers)
                ).status_code

    statuses = await asyncio.gather(*(make_route(s) for s in (first, second) * 10))
    assert statuses == [201] * 20
    verified = await run_cli(settings)
    assert verified.code == 0, verified.out
