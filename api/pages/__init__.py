"""The web pages: a second face of the registry beside the API, over the same services.

How a page module plugs in
--------------------------
1. Guard. Write a Litestar `Controller` in `api/pages/<area>.py` (workers, requests,
   routes, reports, audit, accounts, verify) and add it to `PAGE_CONTROLLERS` below. It is
   mounted on the pages router, so the page guard (`api.pages.session.PageSessionMiddleware`)
   runs before every handler: it resumes the session from its cookie (never a bearer
   token), applies the handler's access rule with the API's own `authorize`, checks the
   CSRF token of every POST, and sets the principal. Declare the rule exactly as an API
   handler does: `opt={"action": "<an action of policies.access.ACCESS>"}` (add
   `"read_only": True` on GETs), or `opt={"public": True}` (then add the route to
   PUBLIC_ROUTES in tests/security/test_route_rules.py). Signed out: a redirect to
   /login?next=...; a role the table refuses: the 403 page; set-up pending: the set-up page.
2. Services. Take the API's dependencies (api.state),
   `db: Transaction, ctx: ActingContext, services: Services`:
   `ctx` is the same `Context` the controllers get. Call the same `vetting` service with it;
   no SQL, scope check or rule of the page's own (tests/pages/test_page_layering.py fails on
   any import of sqlalchemy or vetting.models under api/pages; add a small service function
   in vetting when a page needs a count). Another province's object raises `NotFound` in
   the service and the router answers the 404 page; `Forbidden` the 403 page; anything
   unexpected the 500 page, which says nothing of its cause.
3. Templates. Render with `api.pages.rendering.page("<area>/<name>.html", **context)`
   (`status=` for errors); templates live in `api/templates/<area>/`, start with
   `{% extends "layout.html" %}` and `{% import "macros/forms.html" as f with context %}`,
   and fill the blocks `title` and `content`. Macros: `f.form_for(action)` (a call block
   with the CSRF token), `f.input`, `f.textarea`, `f.select`, `f.date_input`, `f.radios`,
   `f.checkbox`, `f.checkboxes`, `f.error_summary()`, `f.button`, `f.link`, `f.tag`,
   `f.data_table`, `f.pagination(total, limit, offset)`, `f.summary_list(rows)` ("check
   your answers"), `f.banner`. Globals: `_("English msgid", **params)` for page wording,
   `t("CODE")` for a catalogue code, `field_label(name)`, `role_name(role)`,
   `page_state()` (`.actor`, `.language`, `.unread`, `.resumed`). Filters: `|vn_date`
   (dd/mm/yyyy) and `|vn_datetime`, in Vietnam time. The layout's own variables are named
   `layout_*`. Vietnamese for every new msgid goes at the end of
   api/i18n/locales/vi/LC_MESSAGES/messages.po (tests/unit/api/test_page_messages.py).
   Inline SVG (QR codes: `api.pages.qr.qr_svg`) is fine; inline styles and scripts are not
   (the Content-Security-Policy is `default-src 'self'`).
4. Forms. `form = await Form.read(request)`; `data = form.parse(TheApiInputStruct,
   **given)` reads the fields into the API's own msgspec struct (blank optional fields
   absent, lists from repeated fields, a `date_input` from its three parts; `given` for
   values the page sets itself); then call the service. On `except REFUSALS as exc:` answer
   `page(..., status=422, form=form, errors=await refusal(db, request, exc))`: the
   transaction is rolled back (nothing written) and the error summary links each wrong field
   with the API's own message. On success `see_other(path)` (POST, redirect, GET);
   `path?notice=<code>` shows a banner from `api.pages.notices.NOTICES`. Do not use
   `refusal` where a failure must be kept (a failed login's counter and audit entry).
5. Tests. tests/pages/visitor.py: `Visitor.of(app)` is a cookie-keeping client through the
   ASGI app (`sign_in(person)`, `submit(path, data)` with the page's CSRF token), for fast
   checks on both backends. tests/pages/conftest.py: `live` (a real `kt1vet serve` per
   backend), `live_people.make(role, ...)`, `signed_in(role)` -> (page, person),
   `new_page(width=...)`, `axe_check(page)`, `shoot(page, name)` (1280 and 360 px, fails
   on overflow); every page opened fails its test when a request leaves the origin.
   tests/pages/test_page_rules.py checks every page route against the access table.
"""

from __future__ import annotations

from litestar import Router
from litestar.middleware.base import DefineMiddleware

from api.auth.access import PAGE_OPT
from api.pages.account import AccountPages
from api.pages.accounts import AccountsPages
from api.pages.attestations import AttestationPages
from api.pages.audit import AuditPages
from api.pages.clearances import ClearancePages
from api.pages.errors import PAGE_EXCEPTION_HANDLERS
from api.pages.home import HomePages
from api.pages.imports import ImportPages
from api.pages.incidents import IncidentPages
from api.pages.notifications import NotificationPages
from api.pages.reports import ReportPages
from api.pages.requests import RequestPages
from api.pages.routes import RoutePages
from api.pages.session import PageSessionMiddleware
from api.pages.verify import VerifyPages
from api.pages.worker_batches import WorkerBatchPages
from api.pages.worker_events import WorkerEventPages
from api.pages.workers import WorkerPages

#: Every page controller, in one list (add yours here).
PAGE_CONTROLLERS: list[type] = [HomePages, AccountPages, NotificationPages, RoutePages,
                                 VerifyPages, AuditPages, AccountsPages, ReportPages,
                                 RequestPages, ClearancePages, IncidentPages, AttestationPages,
                                 WorkerBatchPages, WorkerPages, WorkerEventPages,
                                 ImportPages]


def page_router() -> Router:
    """All pages on one router: their guard, their error pages, outside the OpenAPI document."""
    return Router(path="/", route_handlers=PAGE_CONTROLLERS, opt={PAGE_OPT: True},
                  middleware=[DefineMiddleware(PageSessionMiddleware)],
                  exception_handlers=PAGE_EXCEPTION_HANDLERS, include_in_schema=False)
