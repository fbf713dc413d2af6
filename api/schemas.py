"""Shared request/response pieces: strict structs and paging limits."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

import msgspec
from litestar.params import QueryParameter

T = TypeVar("T")

MAX_PAGE = 200
MAX_BODY_BYTES = 1_048_576
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description="page size")]
Offset = Annotated[int, QueryParameter(ge=0, le=10_000_000, description="items to skip")]


class Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Request bodies: an unknown field is an error, not silently ignored."""


class Page(msgspec.Struct, Generic[T], kw_only=True):
    items: list[T]
    total: int
