"""The period report (half-yearly / yearly) on a database this module owns, seeded with a
scenario whose figures are known in advance: every figure is checked exactly, in JSON and
in the CSV the Department of Science and Technology receives."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from tests.api.test_attestations import isolated_registry
from tests.api.test_eligibility import Desk
from tests.conftest import Person, new_database_url, settings_for
from tests.factories import vn_today
from vetting.bootstrap import prepare
from vetting.db import Database
from vetting.models import Clearance, Unit, VettingRequest
from vetting.settings import Settings

SUMMARY = "/api/v1/reports/summary"
COUNTERS = ("workers_direct", "nominated", "submitted", "cleared", "not_cleared", "withdrawn",
            "open", "overdue", "suspensions", "revocations")
KINDS = ("loss", "damage", "delay", "suspected_leak", "other")
#: the CSV columns: (JSON field, Vietnamese header)
COLUMNS = (
    ("province", "Tỉnh"), ("post_unit", "Đơn vị bưu điện"),
    ("workers_direct", "Số người lao động tham gia trực tiếp KT1"),
    ("nominated", "Số người được đề nghị thẩm tra"), ("submitted", "Đề nghị đã gửi"),
    ("cleared", "Đạt tiêu chuẩn"), ("not_cleared", "Không đạt"), ("withdrawn", "Đã rút"),
    ("open", "Đang xử lý"), ("overdue", "Quá hạn"),
    ("median_response_days", "Thời gian trả lời trung vị (ngày)"),
    ("suspensions", "Tạm đình chỉ"), ("revocations", "Thu hồi"),
    ("incidents_loss", "Sự cố: thất lạc"), ("incidents_damage", "Sự cố: hư hỏng"),
    ("incidents_delay", "Sự cố: chậm phát"), ("incidents_suspected_leak", "Sự cố: nghi lộ bí mật"),
    ("incidents_other", "Sự cố: khác"),
)


class Office(Desk):
    """The Desk of the eligibility tests, for the post unit and police of any province."""

    def __init__(self, client: httpx.AsyncClient, people: dict[str, Person],
                 province: str) -> None:
        super().__init__(client, people)
        self.province = province

    async def worker(self, *, trained: bool = True, committed: bool = True,
                     **body: Any) -> str:
        return await super().worker(trained=trained, committed=committed,
                                    post_unit=f"POST-{self.province}",
                                    legacy_code=f"0{self.province}", **body)

    async def incident(self, kind: str, worker_ids: list[str]) -> None:
        response = await self.post("hr", "/api/v1/incidents", {
            "kind": kind, "occurred_at": (datetime.now(UTC) - timedelta(minutes=10)).isoformat(),
            "description": f"Sự cố {kind}", "worker_ids": worker_ids})
        assert response.status_code == 201, response.text


def blank_row(unit: str) -> dict[str, Any]:
    return {"province": unit.split("-", 1)[1], "post_unit": unit,
            **dict.fromkeys(COUNTERS, 0), "median_response_days": None,
            **{f"incidents_{k}": 0 for k in KINDS}}


@dataclass
class Scenario:
    client: httpx.AsyncClient
    database: Database
    people: dict[str, Person]
    expected: dict[str, dict[str, Any]]  # post unit -> its row
    post_units: list[str]                # every post unit, in report order
    today: date

    async def summary(self, who: str, **params: str) -> httpx.Response:
        return await self.client.get(SUMMARY, headers=self.people[who].headers, params=params)

    async def report(self, who: str, **params: str) -> dict[str, Any]:
        response = await self.summary(who, **params)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def window(self) -> dict[str, str]:
        """An explicit window around everything the scenario did."""
        return {"from": (self.today - timedelta(days=30)).isoformat(),
                "to": self.today.isoformat()}

    def rows(self, province: str | None = None) -> list[dict[str, Any]]:
        return [self.expected.get(u, blank_row(u)) for u in self.post_units
                if province is None or u.split("-", 1)[1] == province]


def totals(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {k: sum(r[k] for r in rows) for k in COUNTERS}


async def _backdate(database: Database, request_id: str, days: int) -> None:
    async with database.transaction() as session:
        request = await session.get(VettingRequest, request_id)
        assert request is not None and request.decided_at is not None
        request.submitted_at = request.decided_at - timedelta(days=days)


@pytest.fixture(scope="module")
async def scenario(backend: str, keys_dir: Path,
                   tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Scenario]:
    url = await new_database_url(backend, tmp_path_factory.mktemp("reports"))
    settings = settings_for(url, keys_dir)
    await prepare(settings, create_admin=False)
    async with isolated_registry(settings) as registry:
        make = registry.people.make
        people = {"admin": await make("admin"), "inspector": await make("inspector",
                                                                         province="51"),
                  "inspector12": await make("inspector", province="12"),
                  "hr": await make("post_hr", unit="POST-51"),
                  "dispatcher": await make("dispatcher", unit="POST-51"),
                  "officer": await make("police_officer", unit="POLICE-51")}
        quang_ngai = Office(registry.client, {
            "hr": people["hr"], "officer": people["officer"], "dispatcher": people["dispatcher"],
            "lead": await make("police_lead", unit="POLICE-51")}, "51")
        lai_chau = Office(registry.client, {
            "hr": await make("post_hr", unit="POST-12"),
            "officer": await make("police_officer", unit="POLICE-12"),
            "lead": await make("police_lead", unit="POLICE-12")}, "12")
        today = vn_today()

        # POST-51: three cleared and eligible, one not cleared, one withdrawn (then nominated
        # again, still open), one open and overdue, one suspended, one revoked
        # (one cleared for acceptance only: the report counts every stage)
        eligible = [await quang_ngai.worker(stages=stages) for stages in (
            ["acceptance", "transport"], ["transport"], ["acceptance"])]
        decided = [await quang_ngai.request(w) for w in eligible]
        refused = await quang_ngai.worker(trained=False)
        decided.append(await quang_ngai.request(refused, outcome="does_not_meet"))
        again = await quang_ngai.worker()
        withdrawn = await quang_ngai.request(again, until="submitted")
        assert (await quang_ngai.post("hr", f"/api/v1/vetting-requests/{withdrawn}/withdraw")
                ).status_code == 200
        await quang_ngai.request(again, until="submitted")
        late = await quang_ngai.request(await quang_ngai.worker(), until="submitted")
        async with registry.database.transaction() as session:
            await session.execute(update(VettingRequest).where(VettingRequest.id == late)
                                  .values(due_on=today - timedelta(days=5)))
        suspended, revoked = await quang_ngai.cleared_worker(), await quang_ngai.cleared_worker()
        assert (await quang_ngai.post("lead", f"/api/v1/workers/{suspended}/clearance/suspend",
                                      {"reason": "xác minh"})).status_code == 200
        assert (await quang_ngai.post("lead", f"/api/v1/workers/{revoked}/clearance/revoke",
                                      {"reason": "kết luận"})).status_code == 200
        await quang_ngai.incident("loss", [refused])  # no clearance: nothing to suspend
        await quang_ngai.incident("loss", [refused, again])
        await quang_ngai.incident("delay", [eligible[0]])  # a delay suspends nothing
        # responses of 2, 4, 6 and 8 days (and two of 0): the median is 3 days, as long as
        # the backdated submissions stay inside the current half-year
        room = (today - date(today.year, 1 if today.month <= 6 else 7, 1)).days
        days = (2, 4, 6, 8) if room >= 8 else (0, 0, 0, 0)
        for request_id, back in zip(decided, days, strict=True):
            await _backdate(registry.database, request_id, back)

        # POST-12: two cleared (one then suspended by a suspected leak), one open
        cleared12 = [await lai_chau.cleared_worker() for _ in range(2)]
        waiting = await lai_chau.request(await lai_chau.worker(), until="submitted")
        assert waiting
        await lai_chau.incident("suspected_leak", [cleared12[1]])
        await lai_chau.incident("damage", [cleared12[0]])  # not a suspending kind

        expected = {
            "POST-51": {**blank_row("POST-51"), "workers_direct": 3, "nominated": 8,
                        "submitted": 9, "cleared": 5, "not_cleared": 1, "withdrawn": 1,
                        "open": 2, "overdue": 1, "suspensions": 1, "revocations": 1,
                        "median_response_days": 3.0 if room >= 8 else 0,
                        "incidents_loss": 2, "incidents_delay": 1},
            "POST-12": {**blank_row("POST-12"), "workers_direct": 1, "nominated": 3,
                        "submitted": 3, "cleared": 2, "open": 1, "suspensions": 1,
                        "median_response_days": 0, "incidents_suspected_leak": 1,
                        "incidents_damage": 1},
        }
        async with registry.database.transaction(read_only=True) as session:
            units = (await session.execute(select(Unit.code, Unit.province_code).where(
                Unit.kind == "post").order_by(Unit.province_code, Unit.code))).all()
            assert await session.scalar(select(func.count()).select_from(Unit).where(
                Unit.kind == "post")) == 34
        yield Scenario(client=registry.client, database=registry.database, people=people,
                       expected=expected, post_units=[code for code, _ in units], today=today)


def current_half(today: date) -> tuple[str, date, date]:
    if today.month <= 6:
        return f"H1-{today.year}", date(today.year, 1, 1), date(today.year, 6, 30)
    return f"H2-{today.year}", date(today.year, 7, 1), date(today.year, 12, 31)


# --------------------------------------------------------------------------- figures


async def test_admin_report_for_every_province(scenario: Scenario) -> None:
    window = scenario.window()
    report = await scenario.report("admin", **window)
    assert report["province"] is None
    assert (report["from"], report["to"]) == (window["from"], window["to"])
    assert report["policy_version"].startswith("p-")
    assert len(report["rows"]) == 34
    assert report["rows"] == scenario.rows()
    assert report["totals"] == totals(scenario.rows()) == {
        "workers_direct": 4, "nominated": 11, "submitted": 12, "cleared": 7,
        "not_cleared": 1, "withdrawn": 1, "open": 3, "overdue": 1, "suspensions": 2,
        "revocations": 1}


async def test_admin_report_for_one_province(scenario: Scenario) -> None:
    report = await scenario.report("admin", province="51", **scenario.window())
    assert report["province"] == "51"
    assert report["rows"] == [scenario.expected["POST-51"]]
    assert report["totals"] == totals([scenario.expected["POST-51"]])
    lai_chau = await scenario.report("admin", province="12", **scenario.window())
    assert lai_chau["rows"] == [scenario.expected["POST-12"]]
    quiet = await scenario.report("admin", province="01", **scenario.window())
    assert quiet["rows"] == [blank_row("POST-01")]
    unknown = await scenario.summary("admin", province="99", **scenario.window())
    assert unknown.status_code == 422
    assert unknown.json()["invalid_params"][0]["name"] == "province"
    assert (await scenario.summary("admin", province="5", **scenario.window())
            ).status_code == 400


async def test_inspectors_report_on_their_own_province_only(scenario: Scenario) -> None:
    forced = await scenario.report("inspector", **scenario.window())
    assert forced["province"] == "51"
    assert forced["rows"] == [scenario.expected["POST-51"]]
    assert forced["totals"] == totals([scenario.expected["POST-51"]])
    named = await scenario.report("inspector", province="51", **scenario.window())
    assert named["rows"] == forced["rows"]
    elsewhere = await scenario.summary("inspector", province="12", **scenario.window())
    assert elsewhere.status_code == 422
    assert elsewhere.json()["invalid_params"][0]["name"] == "province"
    theirs = await scenario.report("inspector12", **scenario.window())
    assert theirs["province"] == "12" and theirs["rows"] == [scenario.expected["POST-12"]]
    for who in ("hr", "dispatcher", "officer"):
        denied = await scenario.summary(who, **scenario.window())
        assert denied.status_code == 403, who
    assert (await scenario.client.get(SUMMARY, params=scenario.window())).status_code == 401


# --------------------------------------------------------------------------- periods


async def test_period_presets_and_explicit_dates(scenario: Scenario) -> None:
    for period, first, last in (("H1-2026", "2026-01-01", "2026-06-30"),
                                ("H2-2026", "2026-07-01", "2026-12-31"),
                                ("Y-2026", "2026-01-01", "2026-12-31")):
        report = await scenario.report("admin", period=period)
        assert (report["from"], report["to"]) == (first, last), period
    # the current half-year holds the whole scenario
    period, first, last = current_half(scenario.today)
    now = await scenario.report("admin", period=period)
    assert (now["from"], now["to"]) == (first.isoformat(), last.isoformat())
    assert now["rows"] == scenario.rows()
    explicit = await scenario.report("admin", **{"from": first.isoformat(),
                                                 "to": last.isoformat()})
    assert explicit["rows"] == now["rows"] and explicit["totals"] == now["totals"]
    # a window that ended before any of it: nothing at all
    before = await scenario.report("admin", **{"from": "2025-01-01", "to": "2025-12-31"})
    assert before["rows"] == [blank_row(u) for u in scenario.post_units]
    assert set(before["totals"].values()) == {0}
    single_day = await scenario.report("admin", province="51", **{
        "from": scenario.today.isoformat(), "to": scenario.today.isoformat()})
    row = single_day["rows"][0]
    assert (row["workers_direct"], row["open"], row["suspensions"]) == (3, 2, 1)


@pytest.mark.parametrize(("params", "status", "name"), [
    ({"period": "H3-2026"}, 422, "period"),
    ({"period": "2026"}, 422, "period"),
    ({"period": "H2-26"}, 422, "period"),
    ({"from": "2026-07-01", "to": "2026-06-30"}, 422, "to"),
    ({"from": "2026-07-01"}, 422, "from"),
    ({}, 422, "from"),
    ({"from": "2026-13-01", "to": "2026-12-31"}, 400, "from"),
    ({"period": "Y-2026", "format": "xlsx"}, 400, "format"),
])
async def test_bad_periods_are_refused(scenario: Scenario, params: dict[str, str],
                                       status: int, name: str) -> None:
    response = await scenario.summary("admin", **params)
    assert response.status_code == status, response.text
    problem = response.json()["invalid_params"][0]
    assert (problem["name"], problem["in"]) == (name, "query")  # never "body" for a query


# --------------------------------------------------------------------------- integrity


async def test_the_report_names_a_matching_audit_checkpoint(scenario: Scenario) -> None:
    report = await scenario.report("inspector", **scenario.window())
    named = report["checkpoint"]
    assert named["size"] > 0 and len(named["root"]) == 64
    head = await scenario.client.get("/api/v1/audit/checkpoint",
                                     headers=scenario.people["inspector"].headers)
    assert head.status_code == 200, head.text
    current = head.json()
    # reading a report writes nothing: the head now is the checkpoint the report names
    assert {k: current[k] for k in named} == named
    # and once the log grows, that checkpoint is a prefix of the newer head
    failed = await scenario.client.post("/api/v1/auth/login",
                                        json={"username": "nobody-here",
                                              "password": "not a password"})
    assert failed.status_code == 401  # audited: the log grows
    head = await scenario.client.get("/api/v1/audit/checkpoint",
                                     headers=scenario.people["admin"].headers)
    current = head.json()
    assert current["size"] > named["size"]
    proof = await scenario.client.get("/api/v1/audit/proofs/consistency", params={
        "first": named["size"], "second": current["size"]},
        headers=scenario.people["inspector"].headers)
    assert proof.status_code == 200, proof.text
    assert proof.json()["first_root"] == named["root"]
    assert proof.json()["second_root"] == current["root"]


async def test_csv_has_a_bom_vietnamese_headers_and_the_same_figures(
        scenario: Scenario) -> None:
    window = scenario.window()
    as_json = await scenario.report("admin", **window)
    response = await scenario.summary("admin", format="csv", **window)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "charset=utf-8" in response.headers["content-type"]
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment") and \
        f'kt1-report-all-{window["from"]}-{window["to"]}.csv' in disposition
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))
    assert lines[0] == [header for _, header in COLUMNS]
    blank = lines.index([])
    rows = [dict(zip([name for name, _ in COLUMNS], line, strict=True))
            for line in lines[1:blank]]
    assert rows == [{k: "" if v is None else str(v) for k, v in row.items()}
                    for row in as_json["rows"]]
    assert set(as_json["rows"][0]) == {name for name, _ in COLUMNS}  # the same columns
    period_line, checkpoint_line = lines[blank + 1], lines[blank + 2]
    assert period_line == ["Kỳ báo cáo", window["from"], window["to"]]
    assert checkpoint_line[0] == "Điểm kiểm tra nhật ký (kích thước, gốc)"
    assert checkpoint_line[1:] == [str(as_json["checkpoint"]["size"]),
                                   as_json["checkpoint"]["root"]]

    inspector = await scenario.summary("inspector", format="csv", **window)
    assert inspector.status_code == 200
    assert f'kt1-report-51-{window["from"]}-{window["to"]}.csv' in \
        inspector.headers["content-disposition"]
    only = list(csv.reader(io.StringIO(inspector.content.decode("utf-8-sig"), newline="")))
    assert only[1][:4] == ["51", "POST-51", "3", "8"] and only[2] == []


# --------------------------------------------------------------------------- renewals


async def test_a_renewed_clearance_is_not_counted_as_a_revocation(
        fresh_settings: Settings) -> None:
    """Re-verification before expiry supersedes the old clearance (it is revoked silently so
    one attestation is in force); the report must not count that as a revocation."""
    async with isolated_registry(fresh_settings) as registry:
        make = registry.people.make
        office = Office(registry.client, {
            "hr": await make("post_hr", unit="POST-51"),
            "officer": await make("police_officer", unit="POLICE-51"),
            "lead": await make("police_lead", unit="POLICE-51")}, "51")
        admin = await make("admin")
        worker_id = await office.cleared_worker()
        async with registry.database.transaction() as session:
            await session.execute(update(Clearance).where(Clearance.worker_id == worker_id)
                                  .values(valid_until=datetime.now(UTC) + timedelta(days=30)))
        await office.request(worker_id)  # renewed inside the re-verification window
        clearance = await registry.client.get(f"/api/v1/workers/{worker_id}/clearance",
                                              headers=office.p["hr"].headers)
        assert clearance.json()["state"] == "active"
        today = vn_today()
        response = await registry.client.get(SUMMARY, headers=admin.headers, params={
            "province": "51", "from": (today - timedelta(days=1)).isoformat(),
            "to": today.isoformat()})
        assert response.status_code == 200, response.text
        row = response.json()["rows"][0]
        assert (row["workers_direct"], row["nominated"], row["submitted"], row["cleared"]
                ) == (1, 1, 2, 2)
        assert (row["suspensions"], row["revocations"]) == (0, 0)
