"""Numbers and times in the query string as they are written, checked before Litestar converts
them: its lax rules read `limit=1e3` as 1000 and `at=0.5` or `at=-1` as Unix times.

Whole numbers are plain decimal digits; instants are RFC 3339 with an offset. The check
follows each handler's own signature, so every endpoint that takes an `int` or a `datetime`
from the query is covered, including ones added later.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from typing import Any

from litestar import Request
from litestar.enums import ParamType
from litestar.exceptions import ValidationException
from litestar.handlers import BaseRouteHandler
from litestar.params import ParameterKwarg
from litestar.typing import FieldDefinition

from api.schemas import RFC3339

_INTEGER = re.compile(r"^-?[0-9]{1,18}$")
#: The rule each checked type follows, by the rule's name in api.i18n.codes.RULES.
_FORMATS: dict[type, tuple[str, re.Pattern[str]]] = {
    int: ("integer", _INTEGER), datetime: ("datetime", RFC3339)}


def _plain_type(field: FieldDefinition) -> Any:
    if field.is_optional:
        kinds = [t.annotation for t in field.inner_types if t.annotation is not type(None)]
        return kinds[0] if len(kinds) == 1 else None
    return field.annotation


def _query_name(field: FieldDefinition) -> str | None:
    """The name the client writes in the query, or None for a path, header or cookie value."""
    kwarg = field.kwarg_definition
    if isinstance(kwarg, ParameterKwarg):
        return kwarg.name or field.name if kwarg.param_type is ParamType.QUERY else None
    return field.name


Checked = tuple[tuple[str, str, re.Pattern[str]], ...]


@cache
def _checked(handler: BaseRouteHandler, path_names: frozenset[str]) -> Checked:
    """Worked out once per handler (and set of path parameters): a signature never changes."""
    found = []
    for field in handler.parsed_fn_signature.parameters.values():
        rule = _FORMATS.get(_plain_type(field))
        name = _query_name(field)
        if rule is not None and name is not None and field.name not in path_names:
            found.append((name, *rule))
    return tuple(found)


def checked_parameters(request: Request[Any, Any, Any]) -> Checked:
    """(query name, rule, pattern) for each number or time the handler takes from the query."""
    return _checked(request.route_handler, frozenset(request.path_params))


async def refuse_loose_query(request: Request[Any, Any, Any]) -> None:
    """`before_request` hook of the app: runs before any parameter is parsed."""
    if not request.scope.get("query_string"):
        return
    checked = checked_parameters(request)
    if not checked:
        return
    query = request.query_params
    broken = [{"key": name, "message": f"rule:{rule}:{name}", "source": "query"}
              for name, rule, pattern in checked
              for value in query.getall(name, []) if not pattern.match(value)]
    if broken:
        raise ValidationException(detail="invalid query parameter", extra=broken)
