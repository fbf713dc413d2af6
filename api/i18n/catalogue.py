"""The one message catalogue (gettext, Babel's .po format) for API problems, pages and the CLI.

English is the source language (the msgids); Vietnamese, the default, comes from
`locales/vi/LC_MESSAGES/messages.po`, read once and compiled in memory, so no build step is
needed to run from a fresh checkout.
"""

from __future__ import annotations

import functools
import gettext
import io
import string
from collections.abc import Mapping
from importlib import resources
from typing import Any, Literal

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

Language = Literal["vi", "en"]
LANGUAGES: tuple[Language, ...] = ("vi", "en")
DEFAULT: Language = "vi"
DOMAIN = "messages"


def po_path(language: str) -> Any:
    return resources.files("api.i18n").joinpath("locales", language, "LC_MESSAGES",
                                                f"{DOMAIN}.po")


@functools.cache
def translations(language: str) -> gettext.NullTranslations:
    """Vietnamese from its catalogue; English is the msgid itself."""
    if language != "vi":
        return gettext.NullTranslations()
    with po_path(language).open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


class _Params(dict[str, Any]):
    """Missing placeholders stay visible instead of failing a whole error answer."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(language: str, msgid: str, params: Mapping[str, Any] | None = None) -> str:
    text = translations(language).gettext(msgid)
    if not params:
        return text
    return string.Formatter().vformat(text, (), _Params(params))


def negotiate(header: str | bytes | None) -> Language:
    """The language an `Accept-Language` header prefers among ours (RFC 9110 §12.5.4);
    Vietnamese when it names neither."""
    if not header:
        return DEFAULT
    if isinstance(header, bytes):
        header = header.decode("latin-1")
    best: tuple[float, int, Language] | None = None
    for position, item in enumerate(header.split(",")):
        tag, _, rest = item.strip().partition(";")
        primary = tag.strip().lower().split("-", 1)[0]
        if primary not in LANGUAGES:
            continue
        quality = 1.0
        for parameter in rest.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        candidate = (-quality, position, primary)  # type: ignore[assignment]
        if best is None or candidate < best:
            best = candidate  # type: ignore[assignment]
    return best[2] if best else DEFAULT
