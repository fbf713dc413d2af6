"""The audit API for inspectors: signed checkpoints, proofs and the filterable listing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from crypto import checkpoints, merkle
from tests.factories import worker_body
from vetting.audit import proofs
from vetting.audit.entries import append, entry_bytes
from vetting.db import Database
from vetting.keys import RegistryKeys
from vetting.models import AuditCheckpoint, AuditEntry
from vetting.models.base import new_id, utcnow
from vetting.principal import SYSTEM, Actor, Context

CHECKPOINT = "/api/v1/audit/checkpoint"
INCLUSION = "/api/v1/audit/proofs/inclusion"
CONSISTENCY = "/api/v1/audit/proofs/consistency"
ENTRIES = "/api/v1/audit/entries"
CHECKPOINT_FIELDS = {"origin", "size", "root", "timestamp", "key_id", "signature"}

People = Any  # tests/conftest.py People / Person: fixtures, not importable
Person = Any


def unique(prefix: str) -> str:
    return f"{prefix}{new_id()[:12]}"


async def add_entries(database: Database, count: int, *, action: str = "test.x",
                      ctx: Context | None = None, object_id: str | None = None,
                      body: dict[str, Any] | None = None) -> list[int]:
    """Append `count` entries directly, each in its own transaction; their seqs."""
    seqs = []
    for _ in range(count):
        async with database.transaction() as s:
            entry = await append(s, ctx or Context(actor=SYSTEM), action=action,
                                 object_type="t", object_id=object_id or new_id(), body=body)
        seqs.append(entry.seq)  # numbered as its transaction commits
    return seqs


async def get_ok(client: httpx.AsyncClient, person: Person, url: str,
                 **params: Any) -> dict[str, Any]:
    response = await client.get(url, params=params, headers=person.headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def audit_key(client: httpx.AsyncClient, kid: str) -> dict[str, str]:
    response = await client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    found = [k for k in response.json()["keys"] if k.get("kid") == kid]
    assert len(found) == 1, f"key {kid} is not published exactly once"
    assert found[0]["kty"] == "OKP" and found[0]["crv"] == "Ed25519"
    assert "d" not in found[0], "the published key must not carry private material"
    return found[0]


def as_checkpoint(data: dict[str, Any]) -> checkpoints.Checkpoint:
    return checkpoints.Checkpoint(origin=data["origin"], size=data["size"],
                                  root=bytes.fromhex(data["root"]), timestamp=data["timestamp"])


@pytest.fixture
async def admin(people: People) -> Person:
    return await people.make("admin")


@pytest.fixture
async def inspector(people: People) -> Person:
    return await people.make("inspector", province="51")


# --------------------------------------------------------------------- checkpoint


@pytest.mark.parametrize("role", ["admin", "inspector"])
async def test_checkpoint_is_signed_by_the_published_audit_key(
        role: str, client: httpx.AsyncClient, people: People, database: Database) -> None:
    await add_entries(database, 3)
    person = await people.make(role, province="51" if role == "inspector" else None)
    data = await get_ok(client, person, CHECKPOINT)
    assert set(data) >= CHECKPOINT_FIELDS
    assert data["size"] >= 3
    assert len(bytes.fromhex(data["root"])) == merkle.HASH_SIZE
    assert data["timestamp"].endswith("Z")
    cp = as_checkpoint(data)
    assert data["signed_text"] == cp.text().decode()
    jwk = await audit_key(client, data["key_id"])
    assert checkpoints.verify_checkpoint(cp, data["signature"], jwk)
    # the signature covers every field: change any one and it no longer verifies
    forged = [
        checkpoints.Checkpoint(cp.origin, cp.size + 1, cp.root, cp.timestamp),
        checkpoints.Checkpoint(cp.origin, cp.size, bytes(32), cp.timestamp),
        checkpoints.Checkpoint(cp.origin + "x", cp.size, cp.root, cp.timestamp),
        checkpoints.Checkpoint(cp.origin, cp.size, cp.root, "2000-01-01T00:00:00Z"),
    ]
    for other in forged:
        assert not checkpoints.verify_checkpoint(other, data["signature"], jwk)


async def test_checkpoint_root_is_the_root_of_the_stored_entries(
        client: httpx.AsyncClient, admin: Person, database: Database) -> None:
    await add_entries(database, 2)
    data = await get_ok(client, admin, CHECKPOINT)
    async with database.transaction(read_only=True) as s:
        rows = (await s.scalars(select(AuditEntry).where(AuditEntry.seq < data["size"])
                                .order_by(AuditEntry.seq))).all()
    assert [r.seq for r in rows] == list(range(data["size"]))
    leaves = [merkle.leaf_hash(entry_bytes(r)) for r in rows]
    assert merkle.root_from_leaves(leaves).hex() == data["root"]


async def test_one_size_has_one_root_and_one_signature(
        client: httpx.AsyncClient, admin: Person, inspector: Person, database: Database,
        keys: RegistryKeys) -> None:
    await add_entries(database, 1)
    # a checkpoint issued a while ago at the current size: later requests must reuse it
    earlier = Context(actor=SYSTEM, now=utcnow() - timedelta(minutes=7))
    async with database.transaction() as s:
        issued = await proofs.checkpoint(s, earlier, keys)
    first = await get_ok(client, admin, CHECKPOINT)
    second = await get_ok(client, inspector, CHECKPOINT)
    assert first["size"] == issued.size
    assert first["timestamp"] == issued.timestamp == earlier.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert first["signature"] == issued.signature
    assert first["root"] == issued.root.hex()
    assert second == first  # same root, same signature, same timestamp
    async with database.transaction(read_only=True) as s:
        stored = (await s.scalars(select(AuditCheckpoint).where(
            AuditCheckpoint.size == first["size"]))).all()
    assert len(stored) == 1
    await add_entries(database, 1)
    third = await get_ok(client, admin, CHECKPOINT)
    assert third["size"] == first["size"] + 1
    assert third["root"] != first["root"]
    assert third["timestamp"] != first["timestamp"]


@pytest.mark.parametrize(("role", "unit"), [("post_hr", "POST-51"),
                                            ("police_officer", "POLICE-51"),
                                            ("dispatcher", "POST-51")])
async def test_other_roles_may_not_read_the_audit_log(
        role: str, unit: str, client: httpx.AsyncClient, people: People,
        database: Database) -> None:
    person = await people.make(role, unit=unit)
    for url, params in ((CHECKPOINT, {}), (ENTRIES, {}), (INCLUSION, {"index": 0}),
                        (CONSISTENCY, {"first": 0})):
        response = await client.get(url, params=params, headers=person.headers)
        assert response.status_code == 403, (url, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "FORBIDDEN"
    # every refusal is itself on the record
    async with database.transaction(read_only=True) as s:
        denied = (await s.scalars(select(AuditEntry).where(
            AuditEntry.actor_id == person.id, AuditEntry.action == "access.denied"))).all()
    assert len(denied) == 4
    assert {e.outcome for e in denied} == {"denied"}
    assert {e.actor_role for e in denied} == {role}


@pytest.mark.parametrize(("url", "params"), [(CHECKPOINT, {}), (ENTRIES, {}),
                                             (INCLUSION, {"index": 0}),
                                             (CONSISTENCY, {"first": 0})])
async def test_audit_log_needs_a_token(url: str, params: dict[str, Any],
                                       client: httpx.AsyncClient) -> None:
    response = await client.get(url, params=params)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    bad = await client.get(url, params=params, headers={"Authorization": "Bearer not.a.token"})
    assert bad.status_code == 401


# ------------------------------------------------------------------------- proofs


async def test_inclusion_proofs_verify_against_the_checkpoint_root(
        client: httpx.AsyncClient, inspector: Person, database: Database) -> None:
    await add_entries(database, 9)
    cp = await get_ok(client, inspector, CHECKPOINT)
    size = cp["size"]
    assert size >= 9
    indexes = sorted({0, 1, size // 3, size // 2, size - 2, size - 1})
    async with database.transaction(read_only=True) as s:
        rows = {r.seq: r for r in (await s.scalars(
            select(AuditEntry).where(AuditEntry.seq.in_(indexes)))).all()}
    await add_entries(database, 3)  # proofs at an older size stay valid as the log grows
    for index in indexes:
        p = await get_ok(client, inspector, INCLUSION, index=index, size=size)
        assert (p["index"], p["size"]) == (index, size)
        assert p["root"] == cp["root"]
        leaf = bytes.fromhex(p["leaf_hash"])
        assert leaf == merkle.leaf_hash(entry_bytes(rows[index]))
        proof = [bytes.fromhex(h) for h in p["proof"]]
        root = bytes.fromhex(cp["root"])
        assert merkle.verify_inclusion(leaf, index, size, proof, root)
        # the proof is for this leaf at this place only
        assert not merkle.verify_inclusion(merkle.leaf_hash(b"forged"), index, size, proof, root)
        if size > 1:
            assert not merkle.verify_inclusion(leaf, (index + 1) % size, size, proof, root)


async def test_inclusion_without_size_uses_the_current_log(
        client: httpx.AsyncClient, admin: Person, database: Database) -> None:
    await add_entries(database, 2)
    cp = await get_ok(client, admin, CHECKPOINT)
    p = await get_ok(client, admin, INCLUSION, index=cp["size"] - 1)
    assert p["size"] == cp["size"]
    assert p["root"] == cp["root"]
    assert merkle.verify_inclusion(bytes.fromhex(p["leaf_hash"]), p["index"], p["size"],
                                   [bytes.fromhex(h) for h in p["proof"]],
                                   bytes.fromhex(cp["root"]))


async def test_consistency_proof_links_two_checkpoints(
        client: httpx.AsyncClient, inspector: Person, database: Database) -> None:
    await add_entries(database, 3)
    old = await get_ok(client, inspector, CHECKPOINT)
    await add_entries(database, 7)
    new = await get_ok(client, inspector, CHECKPOINT)
    assert new["size"] == old["size"] + 7
    p = await get_ok(client, inspector, CONSISTENCY, first=old["size"], second=new["size"])
    assert (p["first"], p["second"]) == (old["size"], new["size"])
    assert p["first_root"] == old["root"]
    assert p["second_root"] == new["root"]
    proof = [bytes.fromhex(h) for h in p["proof"]]
    old_root, new_root = bytes.fromhex(old["root"]), bytes.fromhex(new["root"])
    assert merkle.verify_consistency(old["size"], new["size"], old_root, new_root, proof)
    assert not merkle.verify_consistency(old["size"], new["size"], bytes(32), new_root, proof)
    # without `second` the proof runs to the current log
    latest = await get_ok(client, inspector, CONSISTENCY, first=old["size"])
    assert latest["second"] >= new["size"]
    # a proof from every earlier size up to the new checkpoint verifies too
    for first in (0, 1, 2, old["size"] // 2, old["size"] - 1, old["size"], new["size"]):
        q = await get_ok(client, inspector, CONSISTENCY, first=first, second=new["size"])
        assert q["second_root"] == new["root"]
        if first == 0:
            assert (q["first_root"], q["proof"]) == (merkle.EMPTY_ROOT.hex(), [])
        assert merkle.verify_consistency(first, new["size"], bytes.fromhex(q["first_root"]),
                                         new_root, [bytes.fromhex(h) for h in q["proof"]])


@pytest.mark.parametrize(("url", "field", "params"), [
    (INCLUSION, "index", lambda n: {"index": n}),
    (INCLUSION, "index", lambda n: {"index": n + 5}),
    (INCLUSION, "index", lambda n: {"index": 3, "size": 3}),
    (INCLUSION, "index", lambda n: {"index": 0, "size": 0}),
    (INCLUSION, "size", lambda n: {"index": 0, "size": n + 1}),
    (CONSISTENCY, "first", lambda n: {"first": n + 1}),
    (CONSISTENCY, "first", lambda n: {"first": 5, "second": 4}),
    (CONSISTENCY, "second", lambda n: {"first": 0, "second": n + 1}),
])
async def test_out_of_range_proof_requests_name_the_field(
        url: str, field: str, params: Any, client: httpx.AsyncClient, admin: Person,
        database: Database) -> None:
    await add_entries(database, 5)
    size = (await get_ok(client, admin, CHECKPOINT))["size"]
    response = await client.get(url, params=params(size), headers=admin.headers)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["invalid_params"][0]["name"] == field


@pytest.mark.parametrize(("url", "params", "field"), [
    (INCLUSION, {"index": -1}, "index"),
    (INCLUSION, {"index": 0, "size": -1}, "size"),
    (CONSISTENCY, {"first": -1}, "first"),
    (CONSISTENCY, {"first": 0, "second": -3}, "second"),
    (INCLUSION, {"index": "one"}, "index"),
])
async def test_negative_or_malformed_numbers_are_400(
        url: str, params: dict[str, Any], field: str, client: httpx.AsyncClient,
        admin: Person) -> None:
    response = await client.get(url, params=params, headers=admin.headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["invalid_params"][0]["name"] == field


# ------------------------------------------------------------------------ entries


async def list_all(client: httpx.AsyncClient, person: Person,
                   **params: Any) -> list[dict[str, Any]]:
    data = await get_ok(client, person, ENTRIES, limit=200, **params)
    assert data["total"] == len(data["items"]), "more than one page: narrow the filter"
    items: list[dict[str, Any]] = data["items"]
    return items


async def test_entries_filter_by_action_actor_and_object(
        client: httpx.AsyncClient, admin: Person, database: Database) -> None:
    inspector = admin  # system entries on objects of no province: national, admin only
    action, other_action = unique("test.act."), unique("test.act.")
    actor = Actor(id=new_id(), role="admin", username="someone")
    target = new_id()
    by_system = await add_entries(database, 3, action=action)
    by_actor = await add_entries(database, 2, action=action, ctx=Context(actor=actor))
    on_target = await add_entries(database, 2, action=other_action, object_id=target)
    on_target += await add_entries(database, 1, action=action, object_id=target,
                                   ctx=Context(actor=actor))

    items = await list_all(client, inspector, action=action)
    assert [e["seq"] for e in items] == sorted(by_system + by_actor + on_target[-1:],
                                               reverse=True)
    assert {e["action"] for e in items} == {action}

    items = await list_all(client, inspector, actor=actor.id)
    assert sorted(e["seq"] for e in items) == sorted(by_actor + on_target[-1:])
    assert {(e["actor_id"], e["actor_role"]) for e in items} == {(actor.id, "admin")}

    items = await list_all(client, inspector, object_id=target)
    assert sorted(e["seq"] for e in items) == sorted(on_target)
    assert {e["object_id"] for e in items} == {target}

    items = await list_all(client, inspector, action=action, actor=actor.id, object_id=target)
    assert [e["seq"] for e in items] == on_target[-1:]

    items = await list_all(client, inspector, action=action, object_type="t")
    assert len(items) == 6
    assert await list_all(client, inspector, action=action, object_type="nothing") == []
    assert await list_all(client, inspector, action=unique("test.none.")) == []


async def test_entries_carry_every_field_and_their_leaf_hash(
        client: httpx.AsyncClient, admin: Person, database: Database) -> None:
    action = unique("test.fields.")
    ctx = Context(actor=Actor(id=new_id(), role="inspector"), request_id=new_id())
    [seq] = await add_entries(database, 1, action=action, ctx=ctx, object_id="obj-1",
                              body={"k": "v", "n": 1})
    [item] = await list_all(client, admin, action=action)
    assert item["seq"] == seq
    assert item["actor_id"] == ctx.actor.id
    assert item["actor_role"] == "inspector"
    assert item["object_type"] == "t" and item["object_id"] == "obj-1"
    assert item["outcome"] == "success"
    assert item["request_id"] == ctx.request_id
    assert item["body"] == '{"k":"v","n":1}'
    assert datetime.fromisoformat(item["time"].replace("Z", "+00:00")) == ctx.now
    p = await get_ok(client, admin, INCLUSION, index=seq)
    assert p["leaf_hash"] == item["leaf_hash"]


async def test_entries_filter_by_time_range(
        client: httpx.AsyncClient, admin: Person, database: Database) -> None:
    inspector = admin  # system entries: national, admin only
    action = unique("test.time.")
    base = datetime(2031, 5, 17, 8, 0, 0, tzinfo=UTC)
    days = {}
    for day in (0, 3, 1, 4, 2):  # appended out of time order: the filter is on time, not seq
        [seq] = await add_entries(database, 1, action=action,
                                  ctx=Context(actor=SYSTEM, now=base + timedelta(days=day)))
        days[seq] = day

    def seqs_between(lo: float, hi: float) -> list[int]:
        return sorted((s for s, d in days.items() if lo <= d < hi), reverse=True)

    def at(day: float) -> str:
        return (base + timedelta(days=day)).isoformat().replace("+00:00", "Z")

    items = await list_all(client, inspector, action=action, **{"from": at(1.5), "to": at(3.5)})
    assert [e["seq"] for e in items] == seqs_between(1.5, 3.5)
    assert len(items) == 2
    items = await list_all(client, inspector, action=action, **{"from": at(2.5)})
    assert [e["seq"] for e in items] == seqs_between(2.5, 99)
    items = await list_all(client, inspector, action=action, to=at(0.5))
    assert [e["seq"] for e in items] == seqs_between(-1, 0.5)
    assert len(items) == 1
    # the same instant written in another time zone selects the same entries
    hanoi = timezone(timedelta(hours=7))
    since = (base + timedelta(days=1.5)).astimezone(hanoi).isoformat()
    until = (base + timedelta(days=3.5)).astimezone(hanoi).isoformat()
    items = await list_all(client, inspector, action=action, **{"from": since, "to": until})
    assert [e["seq"] for e in items] == seqs_between(1.5, 3.5)
    assert await list_all(client, inspector, action=action,
                          **{"from": at(3.5), "to": at(1.5)}) == []


async def test_entries_are_paged_newest_first_with_a_total(
        client: httpx.AsyncClient, admin: Person, database: Database) -> None:
    action = unique("test.page.")
    seqs = await add_entries(database, 7, action=action)
    seen: list[int] = []
    for offset in (0, 3, 6):
        page = await get_ok(client, admin, ENTRIES, action=action, limit=3, offset=offset)
        assert page["total"] == 7
        assert len(page["items"]) == min(3, 7 - offset)
        seen += [e["seq"] for e in page["items"]]
    assert seen == sorted(seqs, reverse=True)
    past_end = await get_ok(client, admin, ENTRIES, action=action, limit=3, offset=7)
    assert past_end == {"items": [], "total": 7}
    one = await get_ok(client, admin, ENTRIES, action=action, limit=1)
    assert [e["seq"] for e in one["items"]] == [max(seqs)] and one["total"] == 7
    everything = await get_ok(client, admin, ENTRIES, limit=200)
    assert len(everything["items"]) == min(200, everything["total"])
    assert everything["total"] >= 7


async def test_an_inspector_lists_only_their_provinces_entries(
        client: httpx.AsyncClient, people: People, admin: Person, database: Database) -> None:
    """By the actor's account or the object's province; checkpoints stay national."""
    inspector51 = await people.make("inspector", province="51")
    inspector12 = await people.make("inspector", province="12")
    hr12 = await people.make("post_hr", unit="POST-12")
    hr51 = await people.make("post_hr", unit="POST-51")
    created = await client.post("/api/v1/workers", json=worker_body("POST-12"),
                                headers=hr12.headers)
    assert created.status_code == 201, created.text
    worker12 = created.json()["id"]
    action = unique("test.scope.")

    async def entry(actor: Person | None, object_type: str, object_id: str) -> int:
        who = SYSTEM if actor is None else Actor(id=actor.id, role=actor.role)
        async with database.transaction() as s:
            entry = await append(s, Context(actor=who), action=action,
                                 object_type=object_type, object_id=object_id)
        return entry.seq  # numbered as its transaction commits

    by_hr12 = await entry(hr12, "t", new_id())                 # actor of 12
    on_worker12 = await entry(admin, "worker", worker12)       # object of 12, national actor
    on_account12 = await entry(None, "user", hr12.id)          # an account of 12
    by_hr51 = await entry(hr51, "t", new_id())                 # actor of 51
    national = await entry(None, "t", new_id())                # neither: admin only

    def seqs(items: list[dict[str, Any]]) -> set[int]:
        return {e["seq"] for e in items}

    twelve = {by_hr12, on_worker12, on_account12}
    assert seqs(await list_all(client, inspector12, action=action)) == twelve
    assert seqs(await list_all(client, inspector51, action=action)) == {by_hr51}
    # filters cannot widen the scope: naming 12's actor or object finds nothing for 51
    assert await list_all(client, inspector51, actor=hr12.id) == []
    assert await list_all(client, inspector51, object_id=worker12) == []
    assert seqs(await list_all(client, inspector12, actor=hr12.id)) >= {by_hr12}
    assert seqs(await list_all(client, admin, action=action)) == twelve | {by_hr51, national}
    # checkpoints and proofs are hashes only: national for every inspector
    for reader in (inspector51, inspector12):
        assert (await get_ok(client, reader, CHECKPOINT))["size"] > national
        assert (await get_ok(client, reader, INCLUSION, index=by_hr12))["index"] == by_hr12


@pytest.mark.parametrize(("params", "field"), [
    ({"limit": 0}, "limit"), ({"limit": 201}, "limit"), ({"limit": -1}, "limit"),
    ({"offset": -1}, "offset"), ({"limit": "ten"}, "limit"),
])
async def test_bad_paging_or_filter_values_are_400(
        params: dict[str, Any], field: str, client: httpx.AsyncClient, admin: Person) -> None:
    response = await client.get(ENTRIES, params=params, headers=admin.headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()["invalid_params"][0]
    assert (problem["name"], problem["in"]) == (field, "query")


async def test_a_missing_required_parameter_is_named(
        client: httpx.AsyncClient, admin: Person) -> None:
    response = await client.get(INCLUSION, headers=admin.headers)
    assert response.status_code == 400, response.text
    problem = response.json()["invalid_params"][0]
    assert problem["name"] == "index"
    assert problem["in"] == "query"


@pytest.mark.parametrize("name", ["from", "to"])
async def test_a_bad_time_filter_is_named_as_the_client_spells_it(
        name: str, client: httpx.AsyncClient, admin: Person) -> None:
    response = await client.get(ENTRIES, params={name: "yesterday"}, headers=admin.headers)
    assert response.status_code == 400, response.text
    assert response.json()["invalid_params"][0]["name"] == name


@pytest.mark.parametrize("name", ["from", "to"])
async def test_a_time_filter_without_offset_is_not_a_server_error(
        name: str, client: httpx.AsyncClient, admin: Person) -> None:
    """A naive time must be refused (400, naming the field) or read as UTC; never a 500."""
    response = await client.get(ENTRIES, params={name: "2030-01-01T00:00:00"},
                                headers=admin.headers)
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert response.json()["invalid_params"][0]["name"] == name


async def test_limit_200_is_allowed(client: httpx.AsyncClient, admin: Person) -> None:
    response = await client.get(ENTRIES, params={"limit": 200}, headers=admin.headers)
    assert response.status_code == 200


async def test_entries_carry_no_password_or_token(
        client: httpx.AsyncClient, admin: Person, inspector: Person) -> None:
    password = f"Quiet-lantern-{new_id()}"
    username = unique("auditpw-").lower()
    response = await client.post("/api/v1/users", headers=admin.headers, json={
        "username": username, "role": "inspector", "province": "51", "password": password})
    assert response.status_code in (200, 201), response.text
    user_id = response.json()["id"]
    created = await list_all(client, inspector, object_id=user_id)
    assert [e["action"] for e in created] == ["user.create"]
    assert created[0]["actor_id"] == admin.id
    # a one-time password is never written either
    reset = await client.patch(f"/api/v1/users/{user_id}", headers=admin.headers,
                               json={"reset_password": True})
    assert reset.status_code == 200, reset.text
    one_time = reset.json()["one_time_password"]
    assert one_time

    secrets = [password, one_time, admin.headers["Authorization"].split()[1],
               inspector.headers["Authorization"].split()[1], "$argon2"]
    total, offset, dumped = None, 0, []
    while total is None or offset < total:
        page = await get_ok(client, inspector, ENTRIES, limit=200, offset=offset)
        total = page["total"]
        dumped += [str(item) for item in page["items"]]
        offset += 200
    assert any(user_id in text for text in dumped)
    for text in dumped:
        for secret in secrets:
            assert secret not in text
