"""Incidents, each user's notifications, the inspector's period report, and retention."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from api.i18n import language_of, notification
from api.problems import documented
from api.schemas import CREATED_AT, Limit, Offset, Page, Strict, created
from api.state import ActingContext, Services, Transaction
from policies.vocabulary import INCIDENT_KINDS, IncidentKind
from vetting.incidents import service as incidents
from vetting.notifications.outbox import inbox, mark_read
from vetting.reports.summary import COUNTERS, Report, build, period_bounds

Kind = IncidentKind
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class IncidentIn(Strict):
    kind: Kind
    occurred_at: datetime
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
    worker_ids: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=100)]
    route_id: Id | None = None


class ConcludeIn(Strict):
    worker_id: Id
    decision: Literal["reinstate", "revoke"]
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class InvolvedOut(msgspec.Struct, kw_only=True):
    worker_id: str
    suspended: bool
    resolution: str | None


class IncidentOut(msgspec.Struct, kw_only=True):
    id: str
    kind: str
    occurred_at: datetime
    post_unit: str
    province: str
    route_id: str | None
    state: str
    description: str | None = None
    workers: list[InvolvedOut] | None = None


class NotificationOut(msgspec.Struct, kw_only=True):
    id: str
    kind: str
    message: str
    object_type: str
    object_id: str
    created_at: datetime
    read_at: datetime | None


def _incident(view: incidents.IncidentView) -> IncidentOut:
    i = view.incident
    return IncidentOut(id=i.id, kind=i.kind, occurred_at=i.occurred_at, post_unit=i.post_unit_code,
                       province=i.province_code, route_id=i.route_id, state=i.state,
                       description=view.description,
                       workers=[InvolvedOut(worker_id=w.worker_id,
                                            suspended=w.clearance_id is not None,
                                            resolution=w.resolution) for w in view.workers])


class IncidentController(Controller):
    path = "/api/v1/incidents"
    tags = ["incidents"]  # noqa: RUF012

    @post("/", opt={"action": "incidents.report"}, responses=documented(400, 401, 403, 422),
          response_headers=[CREATED_AT])
    async def report(self, data: JSONBody[IncidentIn], db: Transaction, ctx: ActingContext,
                     services: Services
                     ) -> Response[IncidentOut]:
        new = await incidents.report(
            db, ctx, services.settings.policy, services.keys.data, kind=data.kind,
            occurred_at=data.occurred_at, description=data.description,
            worker_ids=data.worker_ids, route_id=data.route_id)
        return created(_incident(await incidents.get(db, ctx, services.keys.data, new.id)),
                       f"{self.path}/{new.id}")

    @get("/", opt={"action": "incidents.read", "read_only": True},
         responses=documented(400, 401, 403))
    async def list(self, db: Transaction, ctx: ActingContext,
                   state_filter: Annotated[Literal["open", "concluded"] | None,
                                           QueryParameter(name="state")] = None,
                   limit: Limit = 50, offset: Offset = 0) -> Page[IncidentOut]:
        rows, total = await incidents.list_incidents(db, ctx, state=state_filter, limit=limit,
                                                     offset=offset)
        return Page(items=[IncidentOut(id=i.id, kind=i.kind, occurred_at=i.occurred_at,
                                       post_unit=i.post_unit_code, province=i.province_code,
                                       route_id=i.route_id, state=i.state) for i in rows],
                    total=total)

    @get("/{incident_id:str}", opt={"action": "incidents.read", "read_only": True},
         responses=documented(401, 403, 404))
    async def read(self, incident_id: FromPath[str], db: Transaction, ctx: ActingContext,
                   services: Services
                   ) -> IncidentOut:
        return _incident(await incidents.get(db, ctx, services.keys.data, incident_id))

    @post("/{incident_id:str}/conclude", opt={"action": "incidents.conclude"}, status_code=200,
          responses=documented(400, 401, 403, 404, 409))
    async def conclude(self, incident_id: FromPath[str], data: JSONBody[ConcludeIn],
                       db: Transaction,
                       ctx: ActingContext, services: Services) -> IncidentOut:
        await incidents.conclude(db, ctx, incident_id, worker_id=data.worker_id,
                                 decision=data.decision, reason=data.reason)
        return _incident(await incidents.get(db, ctx, services.keys.data, incident_id))


class NotificationController(Controller):
    path = "/api/v1/notifications"
    tags = ["notifications"]  # noqa: RUF012

    @get("/", opt={"action": "notifications.read", "read_only": True},
         responses=documented(400, 401))
    async def list(self, request: Request[Any, Any, Any], db: Transaction, ctx: ActingContext,
                   unread: FromQuery[bool | None] = None, limit: Limit = 50,
                   offset: Offset = 0) -> Page[NotificationOut]:
        rows, total = await inbox(db, ctx, unread=unread, limit=limit, offset=offset)
        lang = language_of(request.scope)
        return Page(items=[NotificationOut(
            id=d.notification.id, kind=d.event.kind,
            message=notification(lang, d.event.kind),
            object_type=d.event.object_type, object_id=d.event.object_id,
            created_at=d.notification.created_at, read_at=d.notification.read_at)
            for d in rows], total=total)

    @post("/{notification_id:str}/read", opt={"action": "notifications.read"}, status_code=200,
          responses=documented(401, 404))
    async def read(self, notification_id: FromPath[str], db: Transaction,
                   ctx: ActingContext) -> dict[str, Any]:
        found = await mark_read(db, ctx, notification_id)
        return {"id": found.id, "read_at": found.read_at}


#: Vietnamese column headers of the CSV report (the report goes to Vietnamese officials).
CSV_HEADERS = {
    "province": "Tỉnh", "post_unit": "Đơn vị bưu điện",
    "workers_direct": "Số người lao động tham gia trực tiếp KT1",
    "nominated": "Số người được đề nghị thẩm tra", "submitted": "Đề nghị đã gửi",
    "cleared": "Đạt tiêu chuẩn", "not_cleared": "Không đạt", "withdrawn": "Đã rút",
    "open": "Đang xử lý", "overdue": "Quá hạn", "median_response_days":
    "Thời gian trả lời trung vị (ngày)", "suspensions": "Tạm đình chỉ",
    "revocations": "Thu hồi", "incidents_loss": "Sự cố: thất lạc",
    "incidents_damage": "Sự cố: hư hỏng", "incidents_delay": "Sự cố: chậm phát",
    "incidents_suspected_leak": "Sự cố: nghi lộ bí mật", "incidents_other": "Sự cố: khác",
}


def _rows(report: Report) -> list[dict[str, Any]]:
    return [{"province": r.province, "post_unit": r.post_unit, **r.counts,
             "median_response_days": r.median_response_days,
             **{f"incidents_{k}": r.incidents[k] for k in INCIDENT_KINDS}} for r in report.rows]


def report_csv(report: Report) -> bytes:
    """The report as CSV, UTF-8 with a BOM so that Excel reads the Vietnamese right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADERS.values())
    for row in _rows(report):
        writer.writerow(["" if row[k] is None else row[k] for k in CSV_HEADERS])
    writer.writerow([])
    writer.writerow(["Kỳ báo cáo", report.start.isoformat(), report.end.isoformat()])
    writer.writerow(["Điểm kiểm tra nhật ký (kích thước, gốc)", report.checkpoint.size,
                     report.checkpoint.root.hex()])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


class ReportController(Controller):
    path = "/api/v1/reports"
    tags = ["reports"]  # noqa: RUF012

    @get("/summary", opt={"action": "reports.read"}, responses=documented(400, 401, 403, 422))
    async def summary(
        self, db: Transaction, ctx: ActingContext, services: Services,
        province: Annotated[str | None, QueryParameter(pattern=r"^[0-9]{2}$")] = None,
        start: Annotated[date | None, QueryParameter(name="from")] = None,
        end: Annotated[date | None, QueryParameter(name="to")] = None,
        period: Annotated[str | None, QueryParameter(max_length=10)] = None,
        output: Annotated[Literal["json", "csv"], QueryParameter(name="format")] = "json",
    ) -> Response[Any]:
        first, last = period_bounds(period, start, end)
        report = await build(db, ctx, services.keys, services.settings.policy,
                             province=province, start=first, end=last)
        if output == "csv":
            name = f"kt1-report-{report.province or 'all'}-{first}-{last}.csv"
            # Litestar appends `; charset=utf-8` to every text/* type itself.
            return Response(report_csv(report), media_type="text/csv",
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})
        totals = {k: sum(r.counts[k] for r in report.rows) for k in COUNTERS}
        return Response({
            "province": report.province, "from": first, "to": last,
            "policy_version": report.policy_version, "rows": _rows(report), "totals": totals,
            "checkpoint": {"size": report.checkpoint.size, "root": report.checkpoint.root.hex(),
                           "timestamp": report.checkpoint.timestamp,
                           "key_id": report.checkpoint.key_id,
                           "signature": report.checkpoint.signature}})

