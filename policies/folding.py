"""Accent-insensitive text: one folding for name search and for password word checks, so
"Nguyễn Văn An", "nguyen van an" and "NGUYEN  VAN AN" compare equal."""

from __future__ import annotations

import unicodedata

__all__ = ["fold", "fold_compact"]


def fold(text: str) -> str:
    """Lowercase, Vietnamese diacritics removed (đ -> d), runs of whitespace one space."""
    decomposed = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(c for c in decomposed.lower() if not unicodedata.combining(c))
    return " ".join(stripped.split())


def fold_compact(text: str) -> str:
    """`fold` keeping letters and digits only, so "Lai Châu", "lai-chau" and "LAICHAU" match."""
    return "".join(c for c in fold(text) if c.isalnum())
