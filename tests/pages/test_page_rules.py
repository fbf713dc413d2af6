"""The pages' authorisation matrix, drawn from the same access table as the API's
(policies.access): every page route declares a rule; signed out, a protected page sends the
visitor to the login page; a role the table refuses gets the 403 page (audited, like the
API's refusal); an account still being set up is sent to the set-up page. Each page's own
scope (another province's object is the 404 page) is tested with the page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar import Litestar
from litestar.handlers.http_handlers import HTTPRouteHandler

from api.auth.access import PAGE_OPT, route_rule
from policies.access import ACCESS, RESTRICTED_ACTIONS, ROLES, scope_for
from tests.conftest import People
from tests.pages.visitor import PLACEMENT, Visitor


def page_routes(app: Litestar) -> Iterator[tuple[str, str, HTTPRouteHandler]]:
    for route in app.routes:
        for handler in route.route_handlers:
            if not isinstance(handler, HTTPRouteHandler) or not handler.opt.get(PAGE_OPT):
                continue
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                yield method, route.path, handler


def test_every_page_names_a_known_rule(app: Litestar) -> None:
    wrong = [f"{m} {p}" for m, p, h in page_routes(app)
             if route_rule(h) != "public" and route_rule(h) not in ACCESS]
    assert not wrong, wrong
    assert {p for _, p, _ in page_routes(app)} >= {"/", "/login", "/account"}


async def test_signed_out_visitors_are_sent_to_the_login_page(app: Litestar) -> None:
    visitor = Visitor.of(app)
    for method, path, handler in page_routes(app):
        if route_rule(handler) == "public" or "{" in path:
            continue
        if method == "GET":
            response = await visitor.get(path)
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/login?next="), path
    await visitor.close()


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_reaches_exactly_the_pages_its_actions_allow(
        app: Litestar, people: People, role: str) -> None:
    person = await people.make(role, **PLACEMENT[role])
    browser = Visitor.of(app)
    assert (await browser.sign_in(person)).status_code == 303
    wrong: list[str] = []
    for method, path, handler in page_routes(app):
        rule = route_rule(handler)
        if method != "GET" or "{" in path or rule == "public" or path == "/account/setup":
            continue
        response = await browser.get(path)
        allowed = rule is not None and scope_for(role, rule) is not None
        if allowed and response.status_code not in (200, 303):
            wrong.append(f"{path}: {response.status_code} (allowed)")
        if allowed and response.status_code == 303 and response.headers["location"].startswith(
                "/login"):
            wrong.append(f"{path}: sent to login")
        if not allowed and response.status_code != 403:
            wrong.append(f"{path}: {response.status_code} (refused)")
    await browser.close()
    assert not wrong, wrong


async def test_an_account_being_set_up_reaches_only_the_set_up_pages(
        app: Litestar, people: People, database: object) -> None:
    person = await people.make("admin", mfa=False)  # admin needs MFA: restricted until enrolled
    browser = Visitor.of(app)
    await browser.sign_in(person)
    for method, path, handler in page_routes(app):
        rule = route_rule(handler)
        if method != "GET" or "{" in path or rule == "public":
            continue
        response = await browser.get(path)
        if rule in RESTRICTED_ACTIONS:
            assert response.status_code in (200, 303), path
            if response.status_code == 303:
                assert response.headers["location"].startswith("/account"), path
        elif scope_for(person.role, rule or "") is None:
            assert response.status_code == 403, path  # refused for the role, as in the API
        else:
            assert response.status_code == 303, path
            assert response.headers["location"] == "/account/setup", path
    await browser.close()
