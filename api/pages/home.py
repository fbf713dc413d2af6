"""The home page: a short public page when signed out; signed in, the role's day at a glance,
each count from the same scoped service the API lists with, linking to the list it counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get
from litestar.response import Redirect, Template

from api.i18n import language_of
from api.i18n.catalogue import render
from api.i18n.codes import N_, ROLE_NAMES
from api.pages.errors import SETUP_PATH
from api.pages.rendering import current, page
from api.state import ActingContext, Services, Transaction
from policies.access import ADMIN, DISPATCHER, INSPECTOR, POLICE, POLICE_LEAD, POST_HR, ROLES
from vetting.accounts.users import account_counts
from vetting.reports.summary import current_period
from vetting.requests.service import list_requests
from vetting.routes.assignments import blocked_count
from vetting.workers.listing import WorkerFilter, clearance_state_counts, list_workers

#: The clearance states in the order HR reads them, with their words.
CLEARANCE_LABELS = {
    "active": N_("Cleared (active)"), "pending": N_("Vetting in progress"),
    "none": N_("Not yet vetted"), "expired": N_("Clearance expired"),
    "suspended": N_("Clearance suspended"), "revoked": N_("Clearance revoked"),
    "not_cleared": N_("Did not meet the standard"),
}
ALERT_STATES = frozenset({"expired", "suspended", "revoked", "not_cleared"})


@dataclass(frozen=True, slots=True)
class Card:
    """One count on the home page and the list it opens."""

    count: int | None
    label: str
    href: str
    alert: bool = False


@dataclass(frozen=True, slots=True)
class Section:
    heading: str
    cards: list[Card]
    text: str | None = None


async def _requests(db: Transaction, ctx: ActingContext, **filters: Any) -> int:
    _, total = await list_requests(db, ctx, state=filters.get("state"),
                                   overdue=filters.get("overdue"), worker_id=None, limit=1,
                                   offset=0, approvable=filters.get("approvable", False))
    return total


async def _hr(db: Transaction, ctx: ActingContext, services: Services, t: Any) -> list[Section]:
    counts = await clearance_state_counts(db, ctx)
    window = services.settings.policy.reverification_window_days
    _, expiring = await list_workers(db, ctx, services.keys.data,
                                     WorkerFilter(expiring_within_days=window, employed=True),
                                     limit=1, offset=0)
    needs_info = await _requests(db, ctx, state="needs_info")
    return [
        Section(t(N_("Needs your attention")), [
            Card(needs_info, t(N_("Requests returned for more information")),
                 "/requests?state=needs_info", alert=needs_info > 0),
            Card(expiring, t(N_("Clearances expiring within {days} days"), days=window),
                 f"/workers?expiring_within_days={window}", alert=expiring > 0),
        ]),
        Section(t(N_("Workers by clearance state")), [
            Card(counts[state], t(label), f"/workers?clearance_state={state}&employed=true",
                 alert=state in ALERT_STATES and counts[state] > 0)
            for state, label in CLEARANCE_LABELS.items()]),
    ]


async def _police(db: Transaction, ctx: ActingContext, services: Services, t: Any) -> list[Section]:
    submitted = await _requests(db, ctx, state="submitted")
    in_review = await _requests(db, ctx, state="in_review")
    overdue = await _requests(db, ctx, overdue=True)
    sections = [Section(t(N_("Your unit's inbox")), [
        Card(submitted, t(N_("New requests to claim")), "/requests?state=submitted"),
        Card(in_review, t(N_("Requests in review")), "/requests?state=in_review"),
        Card(overdue, t(N_("Overdue requests")), "/requests?overdue=true", alert=overdue > 0),
    ])]
    if ctx.actor.role == POLICE_LEAD:
        # the queue the card opens: a lead's own proposals are another lead's to approve
        waiting = await _requests(db, ctx, state="awaiting_approval", approvable=True)
        sections.insert(0, Section(t(N_("Decisions")), [
            Card(waiting, t(N_("Proposals awaiting approval")),
                 "/requests?state=awaiting_approval", alert=waiting > 0)]))
    return sections


async def _dispatcher(db: Transaction, ctx: ActingContext, services: Services,
                      t: Any) -> list[Section]:
    blocked = await blocked_count(db, ctx, services.settings.policy,
                                  signatures=services.keys.attestations,
                                  cache=services.eligibility)
    return [Section(t(N_("KT1 routes")), [
        Card(blocked, t(N_("Assignments blocked now")), "/routes", alert=blocked > 0)])]


async def _inspector(db: Transaction, ctx: ActingContext, services: Services,
                     t: Any) -> list[Section]:
    period = current_period(ctx.today)
    overdue = await _requests(db, ctx, overdue=True)
    return [Section(t(N_("The current period: {period}"), period=period), [
        Card(None, t(N_("Period report")), f"/reports?period={period}"),
        Card(overdue, t(N_("Overdue vetting requests in your province")),
             "/requests?overdue=true", alert=overdue > 0),
        Card(None, t(N_("Audit log and checkpoint")), "/audit"),
    ], text=t(N_("Reports count from midnight to midnight, Vietnam time.")))]


async def _admin(db: Transaction, ctx: ActingContext, services: Services, t: Any) -> list[Section]:
    counts = await account_counts(db)
    return [
        Section(t(N_("Accounts")), [
            Card(counts.must_change_password, t(N_("Accounts still on a one-time password")),
                 "/accounts"),
            Card(counts.disabled, t(N_("Disabled accounts")), "/accounts"),
        ]),
        Section(t(N_("Accounts by role")), [
            Card(counts.by_role.get(role, 0), t(ROLE_NAMES[role]), f"/accounts?role={role}")
            for role in ROLES]),
    ]


BY_ROLE = {POST_HR: _hr, **dict.fromkeys(POLICE, _police), DISPATCHER: _dispatcher,
           INSPECTOR: _inspector, ADMIN: _admin}


class HomePages(Controller):
    include_in_schema = False

    @get("/", opt={"public": True, "read_only": True})
    async def home(self, request: Request[Any, Any, Any], db: Transaction, ctx: ActingContext,
                   services: Services) -> Template | Redirect:
        state = current(request)
        if state is None or state.actor is None:
            return page("home/public.html")
        if state.actor.restricted:
            return Redirect(SETUP_PATH, status_code=303)
        language = language_of(request.scope)

        def t(msgid: str, **params: Any) -> str:
            return render(language, msgid, params or None)

        sections = await BY_ROLE[ctx.actor.role](db, ctx, services, t)
        return page("home/role.html", sections=sections)
