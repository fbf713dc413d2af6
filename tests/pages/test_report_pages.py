"""The inspector's report page: the period picker (half-years, year, other dates), the table
with totals and the SVG chart, the CSV download equal to the API's, the inspector's own
province only, and a wrong period named beside its field."""

from __future__ import annotations

import httpx
import pytest

from tests.api.test_attestations import issue, make_cast
from tests.conftest import People, Person
from tests.pages.conftest import Visit
from tests.pages.visitor import Visitor


@pytest.fixture
async def inspector(people: People) -> Person:
    return await people.make("inspector", province="51")


@pytest.fixture
async def inspector_page(visitors: Visit, inspector: Person) -> Visitor:
    return await visitors(inspector)


async def test_the_current_half_year_by_default_with_chart_and_totals(
        inspector_page: Visitor, client: httpx.AsyncClient, people: People) -> None:
    await issue(client, await make_cast(people))
    shown = await inspector_page.get("/reports")
    assert shown.status_code == 200
    assert "<svg" in shown.text and 'role="img"' in shown.text
    assert "POST-51" in shown.text and "Tổng cộng" in shown.text
    assert "POST-12" not in shown.text  # the inspector's own province only
    assert "6 tháng cuối năm" in shown.text  # December: the second half-year


async def test_the_download_is_the_apis_csv(inspector_page: Visitor, inspector: Person,
                                            client: httpx.AsyncClient) -> None:
    page_csv = await inspector_page.get("/reports/download",
                                        params={"period_kind": "Y", "year": "2026"})
    api_csv = await client.get("/api/v1/reports/summary",
                               params={"period": "Y-2026", "format": "csv"},
                               headers=inspector.headers)
    assert page_csv.status_code == 200 and "attachment" in page_csv.headers[
        "content-disposition"]
    assert page_csv.content.startswith("\ufeff".encode())
    # the same report but for the checkpoint line, which moves with every audited action
    assert page_csv.content.splitlines()[:-1] == api_csv.content.splitlines()[:-1]


async def test_other_dates_and_their_errors(inspector_page: Visitor) -> None:
    shown = await inspector_page.get("/reports", params={
        "period_kind": "custom", "from-day": "1", "from-month": "3", "from-year": "2026",
        "to-day": "31", "to-month": "3", "to-year": "2026"})
    assert shown.status_code == 200 and "Từ 01/03/2026 đến 31/03/2026" in shown.text
    wrong = await inspector_page.get("/reports", params={
        "period_kind": "custom", "from-day": "31", "from-month": "2", "from-year": "2026",
        "to-day": "1", "to-month": "3", "to-year": "2026"})
    assert wrong.status_code == 422 and 'href="#from"' in wrong.text
    backwards = await inspector_page.get("/reports", params={
        "period_kind": "custom", "from-day": "2", "from-month": "3", "from-year": "2026",
        "to-day": "1", "to-month": "3", "to-year": "2026"})
    assert backwards.status_code == 422 and 'href="#to"' in backwards.text
    bad_year = await inspector_page.get("/reports", params={"period_kind": "H1",
                                                            "year": "1999"})
    assert bad_year.status_code == 422 and 'href="#year"' in bad_year.text


async def test_another_province_is_refused_for_an_inspector(inspector_page: Visitor) -> None:
    other = await inspector_page.get("/reports", params={"province": "12"})
    assert other.status_code == 422 and "error-summary" in other.text


async def test_hr_does_not_reach_the_reports(visitors: Visit, people: People) -> None:
    visitor = await visitors(await people.make("post_hr", unit="POST-51"))
    assert (await visitor.get("/reports")).status_code == 403
    assert (await visitor.get("/reports/download")).status_code == 403
