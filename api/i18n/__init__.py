"""Messages for people: one catalogue, Vietnamese by default, English on request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.i18n.catalogue import DEFAULT, LANGUAGES, Language, negotiate, render
from api.i18n.codes import (
    AUDIT_ACTIONS,
    CLEARANCE_CAUSES,
    FIELDS,
    MESSAGES,
    NOTIFICATIONS,
    RULES,
)

__all__ = ["DEFAULT", "LANGUAGES", "Language", "action_label", "cause", "field_label",
           "language_of", "message",
           "negotiate",
           "notification", "rule"]


def field_label(language: str, name: str) -> str:
    msgid = FIELDS.get(name)
    return render(language, msgid) if msgid else name


def _with_field(language: str, params: Mapping[str, Any]) -> dict[str, Any]:
    values = dict(params)
    if "field" in values:
        values["field"] = field_label(language, str(values["field"]))
    return values


def message(language: str, code: str, params: Mapping[str, Any] | None = None, *,
            fallback: str | None = None) -> str:
    """The text of a problem or reason `code`; `fallback` when the catalogue lacks it."""
    msgid = MESSAGES.get(code)
    if msgid is None:
        return fallback if fallback is not None else code
    return render(language, msgid, _with_field(language, params or {}))


def rule(language: str, name: str, field: str, **params: Any) -> str:
    return render(language, RULES[name], _with_field(language, {"field": field, **params}))


def notification(language: str, kind: str) -> str:
    msgid = NOTIFICATIONS.get(kind)
    return render(language, msgid) if msgid else kind


def action_label(language: str, action: str) -> str:
    """What an audited action is called (the code itself for one without a label)."""
    msgid = AUDIT_ACTIONS.get(action)
    return render(language, msgid) if msgid else action


def cause(language: str, code: str) -> str | None:
    msgid = CLEARANCE_CAUSES.get(code)
    return render(language, msgid) if msgid else None


def language_of(scope: Mapping[str, Any]) -> Language:
    """The language of one request: a page session's choice when set, else Accept-Language.
    (Read from the ASGI scope: building `Headers` would parse every header for this one.)"""
    chosen = scope.get("state", {}).get("language")
    if chosen in LANGUAGES:
        return chosen  # type: ignore[no-any-return]
    for name, value in scope.get("headers", ()):
        if name.lower() == b"accept-language":
            return negotiate(value)
    return DEFAULT
