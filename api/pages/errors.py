"""Errors on pages: the same domain errors as the API, answered as pages people can read.

Signed out: to the login page, then back. Set-up pending: to the set-up page. Another
province's object: the 404 page (it is "not found", exactly as the API says). An unexpected
error: a 500 page that says nothing of its cause; the cause goes to the log.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.response import Redirect

from api.i18n import language_of, message
from api.pages.rendering import login_url, page
from api.problems import domain_status, domain_text
from vetting.errors import DomainError, Forbidden, NotFound, Unauthenticated

logger = logging.getLogger("kt1.pages")
SETUP_PATH = "/account/setup"

#: Paths that are never pages: their errors stay problem+json.
API_PREFIXES = ("/api/", "/schema", "/.well-known/", "/health", "/ready")


def error_page(request: Request[Any, Any, Any], status: int, code: str,
               detail: str | None = None) -> Response[Any]:
    """The error page for `status`, its text from the catalogue's `code`."""
    text = detail or message(language_of(request.scope), code)
    template = {403: "errors/403.html", 404: "errors/404.html",
                500: "errors/500.html"}.get(status, "errors/error.html")
    return page(template, status=status, code=code, detail=text, status_code=status)


def _unauthenticated(request: Request[Any, Any, Any], exc: Unauthenticated) -> Response[Any]:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(login_url(target if request.method == "GET" else "/"), status_code=303)


def _forbidden(request: Request[Any, Any, Any], exc: Forbidden) -> Response[Any]:
    if exc.code == "ACCOUNT_SETUP_REQUIRED":
        return Redirect(SETUP_PATH, status_code=303)
    return error_page(request, 403, exc.code)


def _domain(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    if isinstance(exc, NotFound):
        return error_page(request, 404, "NOT_FOUND")
    return error_page(request, domain_status(exc), exc.code,
                      domain_text(language_of(request.scope), exc))


def _http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status == 404:
        return error_page(request, 404, "NOT_FOUND")
    if status >= 500:
        return _unexpected(request, exc)
    code = {400: "BAD_REQUEST", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE",
            429: "TOO_MANY_REQUESTS"}.get(status, "BAD_REQUEST")
    return error_page(request, status, code)


def _validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    return error_page(request, 400, "BAD_REQUEST")


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    logger.error("unexpected error on page %s %s", request.method, request.url.path,
                 exc_info=exc)
    return error_page(request, 500, "INTERNAL_ERROR")


#: The pages router's handlers (the API keeps those of `api.problems`).
PAGE_EXCEPTION_HANDLERS: dict[type[Exception], Any] = {
    Unauthenticated: _unauthenticated,
    Forbidden: _forbidden,
    DomainError: _domain,
    ValidationException: _validation,
    HTTPException: _http,
    Exception: _unexpected,
}


def wants_page(request: Request[Any, Any, Any]) -> bool:
    """A person's browser asking for a path outside the API (no route matched it)."""
    return (not request.url.path.startswith(API_PREFIXES)
            and "text/html" in request.headers.get("accept", ""))


def pages_for_unrouted(api_handler: Any) -> Any:
    """The app-wide handler of `HTTPException`: a browser gets the 404/405 page for a path no
    route serves; everyone else the API's problem+json."""
    def handle(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
        if exc.status_code in (404, 405) and wants_page(request):
            return error_page(request, exc.status_code,
                              "NOT_FOUND" if isinstance(exc, NotFoundException) or
                              exc.status_code == 404 else "METHOD_NOT_ALLOWED")
        return api_handler(request, exc)  # type: ignore[no-any-return]
    return handle
