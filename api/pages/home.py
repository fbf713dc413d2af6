"""The home page: a short public page when signed out, the role's own page when signed in."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.response import Redirect, Template

from api.pages.errors import SETUP_PATH
from api.pages.rendering import current, page


class HomePages(Controller):
    include_in_schema = False

    @get("/", opt={"public": True})
    async def home(self, request: Request[Any, Any, Any]) -> Template | Redirect:
        state = current(request)
        if state is None or state.actor is None:
            return page("home/public.html")
        if state.actor.restricted:
            return Redirect(SETUP_PATH, status_code=303)
        return page("home/role.html")
