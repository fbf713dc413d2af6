"""Shared request/response pieces: strict structs and paging limits."""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import UTC, date, datetime
from typing import Annotated, Any, ClassVar, Generic, TypeVar

import msgspec
import msgspec.inspect as mi
from litestar import Response
from litestar.datastructures import ResponseHeader
from litestar.exceptions import ValidationException
from litestar.params import QueryParameter

from policies.calendar import YEARS

T = TypeVar("T")

MAX_PAGE = 200
MAX_BODY_BYTES = 1_048_576
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description="page size")]
Offset = Annotated[int, QueryParameter(ge=0, le=10_000_000, description="items to skip")]


#: Free-text fields, where tabs and line breaks are allowed.
FREE_TEXT = frozenset({"description", "note", "reason", "conclusion"})
#: Fields taken exactly as typed (never trimmed or normalised): secrets and signed tokens.
VERBATIM = frozenset({"password", "current_password", "new_password", "refresh_token", "jws",
                      "otp"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_FREE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _refuse(rule: str, field: str) -> None:
    """Raised from `__post_init__`, msgspec wraps it; api.problems names the field and rule."""
    raise ValueError(f"rule:{rule}:{field}")


def clean_text(value: str, field: str, *, free: bool = False, verbatim: bool = False,
               required: bool = False) -> str:
    """NFC, trimmed, no control characters: one name typed as NFD or NFC is one name, and a
    NUL never reaches a database (PostgreSQL refuses it, SQLite would store it)."""
    if (_CONTROL_FREE if free else _CONTROL).search(value):
        _refuse("control_character", field)
    if verbatim:
        return value
    cleaned = unicodedata.normalize("NFC", value).strip()
    if required and not cleaned:
        _refuse("blank", field)
    return cleaned


def utc_instant(value: datetime, field: str) -> datetime:
    """Instants are stored and echoed in UTC; a time without an offset is ambiguous."""
    if value.tzinfo is None:
        _refuse("datetime", field)
    bounded_day(value.date(), field)
    return value.astimezone(UTC)


def bounded_day(value: date, field: str) -> date:
    """Year 1 and 9999 are typing errors, and beyond what databases and periods handle."""
    if value.year not in YEARS:
        raise ValueError(f"rule:year_out_of_range:{field}")
    return value


def _required(kind: Any) -> bool:
    return bool(getattr(kind, "min_length", None))


def _unwrap(kind: Any) -> Any:
    return kind.type if isinstance(kind, mi.Metadata) else kind


def _plan_for(kind: Any) -> tuple[str, bool] | None:
    """What a field holds: ('str', required), ('strs', _), ('instant', _) or nothing to do."""
    kind = _unwrap(kind)
    if isinstance(kind, mi.UnionType):
        plans = [p for t in kind.types if (p := _plan_for(t)) is not None]
        return plans[0] if plans else None
    if isinstance(kind, mi.StrType):
        return ("str", _required(kind))
    if isinstance(kind, (mi.ListType, mi.SetType, mi.FrozenSetType)):
        item = _unwrap(kind.item_type)
        if isinstance(item, mi.StrType):
            return ("strs", _required(item))
    if isinstance(kind, mi.DateTimeType):
        return ("instant", False)
    if isinstance(kind, mi.DateType):
        return ("day", False)
    return None


@functools.cache
def _plan(cls: type) -> tuple[tuple[str, str, bool], ...]:
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    return tuple((f.name, *plan) for f in info.fields
                 if (plan := _plan_for(f.type)) is not None)


class Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Request bodies: an unknown field is an error, not silently ignored; text is NFC and
    trimmed, blank is refused where a value is required, control characters never pass, and
    instants are turned to UTC. Every request struct derives from this one class."""

    __free_text__: ClassVar[frozenset[str]] = FREE_TEXT

    def __post_init__(self) -> None:
        for name, kind, required in _plan(type(self)):
            value = getattr(self, name)
            if value is None or value is msgspec.UNSET:
                continue
            if kind == "instant":
                setattr(self, name, utc_instant(value, name))
                continue
            if kind == "day":
                bounded_day(value, name)
                continue
            options = {"free": name in self.__free_text__, "verbatim": name in VERBATIM,
                       "required": required}
            if kind == "str":
                setattr(self, name, clean_text(value, name, **options))
            else:
                setattr(self, name, type(value)(clean_text(v, name, **options) for v in value))


#: An instant as RFC 3339 writes it, offset required (`api.query_guard` holds the query to it).
RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$")


def query_instant(name: str, value: datetime | None) -> datetime | None:
    """A time given in the query (its form already checked by `api.query_guard`): a year in
    range, returned in UTC."""
    if value is None:
        return None
    if value.year not in YEARS:
        raise ValidationException(detail=f"invalid input: {name}", extra=[
            {"key": name, "message": f"rule:year_out_of_range:{name}", "source": "query"}])
    return value.astimezone(UTC)


#: The documented `Location` of a 201: where the new record is read.
CREATED_AT = ResponseHeader(name="Location", description="where the new record is read",
                            documentation_only=True)


def created(content: T, location: str) -> Response[T]:
    """A 201 saying where the new record lives (and what an idempotent replay repeats)."""
    return Response(content, status_code=201, headers={"Location": location})


class Page(msgspec.Struct, Generic[T], kw_only=True):
    items: list[T]
    total: int
