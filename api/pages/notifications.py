"""The caller's notifications: newest first, unread marked, each opening what it is about."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from api.i18n import language_of, notification
from api.pages.rendering import page, see_other
from api.schemas import Offset
from api.state import ActingContext, Transaction
from vetting.notifications.outbox import inbox, mark_read

PAGE_SIZE = 25
#: Where a notification about each kind of object leads (the pages of that area).
OBJECT_PATHS = {"vetting_request": "/requests/{}", "worker": "/workers/{}",
                "incident": "/incidents/{}", "assignment": "/routes"}


def object_path(object_type: str, object_id: str) -> str | None:
    pattern = OBJECT_PATHS.get(object_type)
    return pattern.format(object_id) if pattern else None


class NotificationPages(Controller):
    path = "/notifications"
    include_in_schema = False

    @get("/", opt={"action": "notifications.read", "read_only": True})
    async def list(self, request: Request[Any, Any, Any], db: Transaction, ctx: ActingContext,
                   offset: Offset = 0,
                   unread: Annotated[bool | None, QueryParameter()] = None) -> Template:
        rows, total = await inbox(db, ctx, unread=unread, limit=PAGE_SIZE, offset=offset)
        language = language_of(request.scope)
        items = [{"id": d.notification.id, "text": notification(language, d.event.kind),
                  "at": d.notification.created_at, "unread": d.notification.read_at is None,
                  "href": object_path(d.event.object_type, d.event.object_id)} for d in rows]
        return page("notifications/list.html", items=items, total=total, limit=PAGE_SIZE,
                    offset=offset, unread_only=unread is True)

    @post("/{notification_id:str}/read", opt={"action": "notifications.read"})
    async def read(self, notification_id: FromPath[str], db: Transaction,
                   ctx: ActingContext) -> Redirect:
        await mark_read(db, ctx, notification_id)
        return see_other("/notifications?notice=notifications_read")
