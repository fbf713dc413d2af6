"""`OPTIONS` answers with every method its path routes.

Litestar builds a path's OPTIONS handler when the path's first handler is registered and keeps
it when later handlers join the path (a controller registers its handlers one by one), so its
`Allow` named only the methods known at that moment: `/api/v1/routes` said `OPTIONS, POST`
though GET works. The answer is made here from the route as it finally stands.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.routes import HTTPRoute
from litestar.status_codes import HTTP_204_NO_CONTENT


def allowed_methods(request: Request[Any, Any, Any]) -> list[str]:
    """The methods the app routes on the request's path (its template, parameters unfilled)."""
    template = request.scope.get("path_template")
    methods: set[str] = set()
    for route in request.app.routes:
        if isinstance(route, HTTPRoute) and route.path_format == template:
            methods |= set(route.methods)
    return sorted(methods)


def options_answer(request: Request[Any, Any, Any]) -> Response[None] | None:
    """The answer to an OPTIONS request (a `before_request` hook: None lets others through)."""
    if request.method != "OPTIONS":
        return None
    return Response(None, status_code=HTTP_204_NO_CONTENT,
                    headers={"Allow": ", ".join(allowed_methods(request))})
