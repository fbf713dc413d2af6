"""The main menu: each entry shows to the roles the access table lets do its action, so the
menu never offers a page the role would be refused."""

from __future__ import annotations

from dataclasses import dataclass

from api.i18n.codes import N_
from policies.access import scope_for
from vetting.principal import Actor


@dataclass(frozen=True, slots=True)
class NavItem:
    path: str
    label: str  # an English msgid, shown in the request's language
    action: str


#: The contract's working pages by role (contract.md, "Web pages"), in menu order. Each area's
#: pages live in their own module under api/pages and folder under api/templates.
NAV: tuple[NavItem, ...] = (
    NavItem("/", N_("Home"), "auth.session"),
    NavItem("/workers", N_("Workers"), "workers.read"),
    NavItem("/requests", N_("Vetting requests"), "requests.read"),
    NavItem("/clearances", N_("Clearances"), "clearance.manage"),
    NavItem("/incidents", N_("Incidents"), "incidents.read"),
    NavItem("/routes", N_("KT1 routes"), "routes.read"),
    NavItem("/reports", N_("Reports"), "reports.read"),
    NavItem("/audit", N_("Audit log"), "audit.read"),
    NavItem("/accounts", N_("Accounts"), "users.read"),
)


def nav_for(actor: Actor | None) -> list[NavItem]:
    if actor is None or actor.restricted:
        return []
    return [item for item in NAV if scope_for(actor.role, item.action) is not None]


def is_current(item: NavItem, path: str) -> bool:
    return path == "/" if item.path == "/" else path == item.path or path.startswith(
        item.path + "/")
