"""QR codes drawn on the server as inline SVG (segno): nothing to fetch, nothing to run."""

from __future__ import annotations

import html

import segno
from markupsafe import Markup


def qr_svg(text: str, label: str, *, scale: int = 4, error: str = "m") -> Markup:
    """An accessible, scalable SVG of `text` as a QR code; `label` names it for screen readers.
    `error`: the error correction level (a long text on paper may take "l")."""
    code = segno.make(text, error=error)
    svg = code.svg_inline(scale=scale, omitsize=True, svgclass="qr", lineclass=None,
                          dark="#0b0c0c", light="#ffffff")
    named = svg.replace("<svg ", f'<svg role="img" aria-label="{html.escape(label)}" ', 1)
    return Markup(named)  # noqa: S704 - segno's own markup, the label escaped
