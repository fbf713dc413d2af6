"""The web pages: a second face of the registry beside the API, over the same services.

How a page module plugs in
--------------------------
1. Write a Litestar `Controller` in `api/pages/<area>.py` (workers, requests, routes, ...)
   and add it to `PAGE_CONTROLLERS` below. It is mounted on the pages router, so the page
   guard (`api.pages.session.PageSessionMiddleware`) runs first: it resumes the session from
   its cookie (never a bearer token), applies the handler's access rule, checks the CSRF
   token of every POST, and sets the principal.
2. Every handler declares its rule exactly as an API handler does: `opt={"action": "..."}`
   with an action of `policies.access.ACCESS` (the role's scope then applies inside the
   service), or `opt={"public": True}`. Signed out: redirect to /login?next=...; role
   refused: the 403 page; account set-up pending: the set-up page.
3. Take the same dependencies as the API: `db: Db, ctx: Ctx, registry: Reg` (api.state),
   call the same `vetting` service, never SQL here (tests/pages/test_page_layering.py fails
   on any import of sqlalchemy or vetting.models). Mark reading handlers
   `opt={..., "read_only": True}`. Another province's object raises `NotFound` in the
   service and the router answers the 404 page.
4. Render with `api.pages.rendering.page("<area>/<name>.html", **context)`; templates live
   in `api/templates/<area>/`, extend "layout.html" and import the macros with
   `{% import "macros/forms.html" as f with context %}` (input, select, date_input, radios,
   checkbox(es), error_summary, data_table, pagination, summary_list, tag, banner, form_for).
   Texts: `_("English msgid")` in templates, `N_()` in Python, Vietnamese at the end of
   api/i18n/locales/vi/LC_MESSAGES/messages.po; dates with `|vn_date`, `|vn_datetime`.
5. Forms: `form = await Form.read(request)`, `form.parse(TheApiInputStruct, **given)`,
   and on `except REFUSALS as exc:` re-render with `errors=await refusal(db, request, exc)`
   and `form=form` (status 422): the error summary then says what the API would say. On
   success answer `see_other(path)` (POST, redirect, GET); `?notice=<code>` shows a banner
   from `api.pages.notices.NOTICES`.
6. Tests: tests/pages/conftest.py starts the real server once per backend; use the
   `signed_in(role)` fixture for a logged-in browser page, `axe_check(page)`,
   `shoot(page, name)`; every page fixture fails a test whose page asks another origin.
"""

from __future__ import annotations

from litestar import Router
from litestar.middleware.base import DefineMiddleware

from api.auth.access import PAGE_OPT
from api.pages.account import AccountPages
from api.pages.attestations import AttestationPages
from api.pages.clearances import ClearancePages
from api.pages.errors import PAGE_EXCEPTION_HANDLERS
from api.pages.home import HomePages
from api.pages.incidents import IncidentPages
from api.pages.requests import RequestPages
from api.pages.session import PageSessionMiddleware

#: Every page controller, in one list (add yours here).
PAGE_CONTROLLERS: list[type] = [HomePages, AccountPages,
                                 RequestPages, ClearancePages, IncidentPages, AttestationPages]


def page_router() -> Router:
    """All pages on one router: their guard, their error pages, outside the OpenAPI document."""
    return Router(path="/", route_handlers=PAGE_CONTROLLERS, opt={PAGE_OPT: True},
                  middleware=[DefineMiddleware(PageSessionMiddleware)],
                  exception_handlers=PAGE_EXCEPTION_HANDLERS, include_in_schema=False)
