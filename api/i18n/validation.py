"""Parser and constraint messages (msgspec, Litestar) turned into named rules, so a person
reads "CCCD number: must be exactly 12 digits", not a regular expression."""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Pattern-checked fields whose format has a rule of its own.
FORMAT_RULES = {
    "national_id": "national_id_format", "employee_no": "employee_no_format",
    "post_unit": "unit_format", "police_unit": "unit_format", "unit": "unit_format",
    "permanent_province": "province_format", "province": "province_format",
    "document_sha256": "sha256_format",
}
#: The marker request structs raise from `__post_init__`: `rule:<name>:<field>`.
RULE_MARKER = re.compile(r"rule:([a-z_]+):([A-Za-z0-9_.\[\]-]+)")

_LENGTH = re.compile(r"Expected `(str|array|object)` of length (>=|<=) (\d+)")
_BOUND = re.compile(r"Expected `(?:int|float|number)` (>=|<=|>|<) (-?[\d.]+)")
_FIELD_IN_MESSAGE = (re.compile(r"at `\$\.([A-Za-z0-9_]+)"),
                     re.compile(r"(?:unknown|required) field `([^`]+)`"),
                     re.compile(r"required \w+ parameter '([^']+)'"))


@dataclass(frozen=True, slots=True)
class Broken:
    """One value that broke one rule: `limit` is the bound a length or size rule names."""

    field: str
    rule: str
    limit: str | None = None


def field_of(key: str | None, message: str) -> str:
    for pattern in _FIELD_IN_MESSAGE:
        found = pattern.search(message)
        if found:
            return found.group(1)
    return key if key and key != "data" else "body"


def classify(key: str | None, message: str) -> Broken:
    """The rule behind one validation message."""
    marked = RULE_MARKER.search(message)
    if marked:
        return Broken(marked.group(2), marked.group(1))
    field = field_of(key, message)
    if "unknown field" in message:
        return Broken(field, "unknown_field")
    if "missing required field" in message or message.startswith("Missing required"):
        return Broken(field, "required")
    if "matching regex" in message:
        return Broken(field, FORMAT_RULES.get(field.rsplit(".", 1)[-1], "format"))
    length = _LENGTH.search(message)
    if length:
        kind, op, limit = length.groups()
        if kind == "str":
            if op == ">=" and limit == "1":
                return Broken(field, "blank")
            return Broken(field, "too_short" if op == ">=" else "too_long", limit)
        return Broken(field, "too_few" if op == ">=" else "too_many", limit)
    bound = _BOUND.search(message)
    if bound:
        op, limit = bound.groups()
        return Broken(field, "too_small" if op.startswith(">") else "too_large", limit)
    if "encoded datetime" in message:
        return Broken(field, "datetime")
    if "encoded date" in message:
        return Broken(field, "date")
    if "enum value" in message or "Expected `str` in" in message:
        return Broken(field, "not_allowed")
    if message.startswith("Expected `int"):
        return Broken(field, "integer")
    if message.startswith("Expected `bool"):
        return Broken(field, "boolean")
    if "JSON is malformed" in message or "Input data was truncated" in message:
        return Broken("body", "json")
    return Broken(field, "wrong_type" if message.startswith("Expected") else "format")
