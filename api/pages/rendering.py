"""Templates for the pages: the Jinja engine, its globals (texts, dates, the signed-in user)
and the few response helpers every page handler uses.

Texts come from the one catalogue (`api.i18n`): `_("msgid")` for page wording, `t("CODE")`
for a problem or reason code, `field_label("name")` for a field; all in the request's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from jinja2 import StrictUndefined, pass_context
from litestar import Request
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.template.config import TemplateConfig

from api.i18n import field_label, language_of, message
from api.i18n.catalogue import render
from api.i18n.codes import ROLE_NAMES
from api.pages.navigation import is_current, nav_for
from api.pages.notices import notice_text
from policies.calendar import VIETNAM, local_date

PACKAGE = Path(__file__).resolve().parent.parent
TEMPLATES = PACKAGE / "templates"
STATIC = PACKAGE / "static"


def _language(context: Mapping[str, Any]) -> str:
    request = context.get("request")
    return language_of(request.scope) if request is not None else "vi"


@pass_context
def gettext(context: Mapping[str, Any], msgid: str, **params: Any) -> str:
    """`_("Sign in")` in a template: the msgid in the request's language, placeholders filled."""
    return render(_language(context), msgid, params or None)


@pass_context
def code_text(context: Mapping[str, Any], code: str, **params: Any) -> str:
    """`t("FORBIDDEN")`: the catalogue's text for a problem or reason code."""
    return message(_language(context), code, params)


@pass_context
def field_name(context: Mapping[str, Any], name: str) -> str:
    return field_label(_language(context), name)


def vn_date(value: date | datetime | str | None) -> str:
    """A calendar day as Vietnamese readers write it, dd/mm/yyyy (an instant: its day in
    Vietnam; an ISO date as a sealed field holds it)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    day = local_date(value) if isinstance(value, datetime) else value
    return day.strftime("%d/%m/%Y")


def vn_datetime(value: datetime | None) -> str:
    """An instant in Vietnam time: dd/mm/yyyy HH:MM."""
    if value is None:
        return ""
    return value.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")


def current(request: Request[Any, Any, Any]) -> Any:
    """What the page middleware learnt about this request (`api.pages.session.PageState`)."""
    return request.scope.get("state", {}).get("page")


@pass_context
def page_state(context: Mapping[str, Any]) -> Any:
    request = context.get("request")
    return current(request) if request is not None else None


@pass_context
def language(context: Mapping[str, Any]) -> str:
    return _language(context)


@pass_context
def menu(context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The main menu for the signed-in role, with the current entry marked."""
    request = context.get("request")
    state = current(request) if request is not None else None
    if state is None or request is None:
        return []
    path = request.url.path
    return [{"path": item.path, "label": render(state.language, item.label),
             "current": is_current(item, path)} for item in nav_for(state.actor)]


@pass_context
def role_name(context: Mapping[str, Any], role: str) -> str:
    msgid = ROLE_NAMES.get(role)
    return render(_language(context), msgid) if msgid else role


@pass_context
def notice(context: Mapping[str, Any]) -> str | None:
    """The banner text of `?notice=<code>` (after a form worked), or None."""
    request = context.get("request")
    msgid = notice_text(request.query_params.get("notice")) if request is not None else None
    return render(_language(context), msgid) if msgid else None


@dataclass(frozen=True, slots=True)
class Pager:
    total: int
    first: int
    last: int
    previous_url: str | None
    next_url: str | None


@pass_context
def pager(context: Mapping[str, Any], total: int, limit: int, offset: int) -> Pager:
    """Links to the previous and next pages of a list, keeping the other query parameters."""
    request = context["request"]
    kept = [(k, v) for k, v in parse_qsl(request.url.query or "", keep_blank_values=True)
            if k != "offset"]

    def url(to: int) -> str:
        query = urlencode([*kept, *([("offset", str(to))] if to else [])])
        return request.url.path + (f"?{query}" if query else "")

    first = offset + 1 if total else 0
    return Pager(total=total, first=min(first, total), last=min(offset + limit, total),
                 previous_url=url(max(offset - limit, 0)) if offset > 0 else None,
                 next_url=url(offset + limit) if offset + limit < total else None)


def _configure(engine: JinjaTemplateEngine) -> None:
    environment = engine.engine
    environment.undefined = StrictUndefined  # a misspelt variable is an error, not blank text
    environment.trim_blocks = environment.lstrip_blocks = True
    environment.globals.update({"_": gettext, "t": code_text, "field_label": field_name,
                                "page_state": page_state, "language": language,
                                "menu": menu, "pager": pager, "role_name": role_name,
                                "notice": notice})
    environment.filters.update({"vn_date": vn_date, "vn_datetime": vn_datetime})


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    return TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine,
                          engine_callback=_configure)


#: Context every template may rely on, so `StrictUndefined` only catches real mistakes.
DEFAULTS: dict[str, Any] = {"form": None, "errors": None, "title": None}


def page(template: str, *, status: int = 200, headers: dict[str, str] | None = None,
         **context: Any) -> Template:
    """A rendered page: `template` under api/templates, with `context` (see `DEFAULTS`)."""
    return Template(template_name=template, context={**DEFAULTS, **context},
                    status_code=status, media_type="text/html", headers=headers)


def local_path(target: str | None, default: str = "/") -> str:
    """`target` when it is a path on this site (for `?next=`), else `default`: never an
    open redirect to another origin."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return default
    return target


def see_other(path: str) -> Redirect:
    """The answer to a form post that worked: POST, then redirect, then GET (303)."""
    return Redirect(path=path, status_code=303)


def login_url(next_path: str) -> str:
    return "/login?next=" + quote(local_path(next_path), safe="/")
