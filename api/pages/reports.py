"""The inspector's period report: a period picker (first or second half-year, the year, or
any dates), the table per post unit with totals, a bar chart drawn as SVG, and the CSV the
API gives. Periods are Vietnam calendar days; the report is built by the API's service."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.params import QueryParameter
from litestar.response import Template

from api.controllers.incidents import report_csv
from api.i18n import language_of
from api.i18n.catalogue import render
from api.i18n.codes import N_
from api.pages.charts import Series, grouped_bars
from api.pages.forms import REFUSALS, Form, FormErrors, form_errors
from api.pages.rendering import page
from api.state import ActingContext, Services, Transaction
from policies.vocabulary import INCIDENT_KINDS
from vetting.errors import InvalidInput
from vetting.reports.summary import COUNTERS, Report, build, period_bounds

KINDS = ("H1", "H2", "Y", "custom")
Province = Annotated[str | None, QueryParameter(pattern=r"^[0-9]{2}$")]
#: The columns the page shows (the CSV has them all).
SHOWN = ("workers_direct", "nominated", "cleared", "not_cleared", "open", "overdue",
         "suspensions", "revocations")
CHART = (("cleared", N_("Cleared"), "#00703c"), ("not_cleared", N_("Not cleared"), "#d4351c"),
         ("open", N_("In progress"), "#1d70b8"))
CHART_TITLE = N_("Requests by post unit")


def _period(form: Form, today: date) -> tuple[date, date]:
    """The period the picker asks for; by default the current half-year."""
    kind = form.value("period_kind") or ("H1" if today.month <= 6 else "H2")
    if kind not in KINDS:
        raise InvalidInput("choose a period", field="period_kind", code="INVALID_PERIOD")
    if kind == "custom":
        start, end = (form.parse_date(name) for name in ("from", "to"))
        return period_bounds(None, start, end)
    year = form.value("year") or str(today.year)
    if not (year.isascii() and year.isdigit() and len(year) == 4):
        raise InvalidInput("write the year with four digits", field="year",
                           code="YEAR_OUT_OF_RANGE", low=2000, high=2100)
    try:
        return period_bounds(f"{kind}-{year}", None, None)
    except InvalidInput as exc:  # the API's `period` is this page's year field
        extra = {k: v for k, v in exc.extra.items() if k != "field"}
        raise InvalidInput(exc.detail, field="year", code=exc.code, **extra) from exc


def _incidents(row: Any) -> int:
    return sum(row.incidents[k] for k in INCIDENT_KINDS)


class ReportPages(Controller):
    include_in_schema = False

    @get("/reports", opt={"action": "reports.read"})
    async def reports(self, request: Request[Any, Any, Any], db: Transaction, ctx: ActingContext,
                      services: Services, province: Province = None) -> Template:
        form = Form.of_query(request)
        language = language_of(request.scope)
        form.values.setdefault("period_kind", ["H1" if ctx.today.month <= 6 else "H2"])
        form.values.setdefault("year", [str(ctx.today.year)])
        try:
            start, end = _period(form, ctx.today)
            report = await build(db, ctx, services.keys, services.settings.policy,
                                 province=province, start=start, end=end)
        except REFUSALS as exc:
            errors: FormErrors = form_errors(language, exc)
            return page("reports/report.html", form=form, errors=errors, report=None,
                        status=422, kinds=KINDS, query=request.url.query or "")
        totals = {k: sum(r.counts[k] for r in report.rows) for k in COUNTERS}
        chart = grouped_bars(
            render(language, CHART_TITLE),
            [(r.post_unit, r.counts) for r in report.rows if any(
                r.counts[k] for k, _, _ in CHART)],
            [Series(k, render(language, label), colour) for k, label, colour in CHART])
        return page("reports/report.html", form=form, report=report, totals=totals,
                    incidents_total=sum(_incidents(r) for r in report.rows), shown=SHOWN,
                    incidents=_incidents, chart=chart, kinds=KINDS,
                    query=request.url.query or "")

    @get("/reports/download", opt={"action": "reports.read"})
    async def download(self, request: Request[Any, Any, Any], db: Transaction, ctx: ActingContext,
                       services: Services, province: Province = None) -> Response[bytes]:
        """The API's CSV of the same period (UTF-8 with BOM, as Excel opens it)."""
        form = Form.of_query(request)
        start, end = _period(form, ctx.today)
        report: Report = await build(db, ctx, services.keys, services.settings.policy,
                                     province=province, start=start, end=end)
        name = f"kt1-report-{report.province or 'all'}-{start}-{end}.csv"
        return Response(report_csv(report), media_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
