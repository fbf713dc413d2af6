"""Vietnam time at the API: instants echoed in UTC (`Z`) whatever offset was sent, and report
periods cut at midnight in Vietnam (23:30 on 30 June belongs to H1, 00:30 on 1 July to H2)."""

from __future__ import annotations

import httpx

from tests.conftest import People
from tests.factories import worker_body

SUMMARY = "/api/v1/reports/summary"


async def test_instants_are_echoed_in_utc_and_periods_cut_at_vietnamese_midnight(
        client: httpx.AsyncClient, people: People) -> None:
    hr = await people.make("post_hr", unit="POST-12")
    admin = await people.make("admin")
    worker = await client.post("/api/v1/workers", headers=hr.headers,
                               json=worker_body("POST-12", legacy_code="012"))
    assert worker.status_code == 201, worker.text
    late, early = [], []
    for moment, bucket in (("2021-06-30T23:30:00+07:00", late),
                           ("2021-07-01T00:30:00+07:00", early)):
        created = await client.post("/api/v1/incidents", headers=hr.headers, json={
            "kind": "delay", "occurred_at": moment, "description": "Chậm phát",
            "worker_ids": [worker.json()["id"]]})
        assert created.status_code == 201, created.text
        bucket.append(created.json())
    assert late[0]["occurred_at"] == "2021-06-30T16:30:00Z"
    assert early[0]["occurred_at"] == "2021-06-30T17:30:00Z"  # the same UTC day, not H1
    listed = await client.get(f"/api/v1/incidents/{late[0]['id']}", headers=hr.headers)
    assert listed.json()["occurred_at"] == "2021-06-30T16:30:00Z"

    def delays(report: httpx.Response) -> int:
        assert report.status_code == 200, report.text
        [row] = [r for r in report.json()["rows"] if r["post_unit"] == "POST-12"]
        return int(row["incidents_delay"])

    h1 = await client.get(SUMMARY, headers=admin.headers, params={"period": "H1-2021"})
    h2 = await client.get(SUMMARY, headers=admin.headers, params={"period": "H2-2021"})
    last_day = await client.get(SUMMARY, headers=admin.headers,
                                params={"from": "2021-06-30", "to": "2021-06-30"})
    assert (delays(h1), delays(h2), delays(last_day)) == (1, 1, 1)
