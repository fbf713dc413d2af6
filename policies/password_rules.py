"""Password acceptance rules after NIST SP 800-63B-4 (section 3.1.1.2).

Length and a blocklist, not composition rules: "P@ssw0rd!" patterns make passwords
harder to remember without making them harder to guess. Pure functions; the packaged
blocklist is read once.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from policies.folding import fold_compact

__all__ = [
    "MAX_LENGTH",
    "MIN_LENGTH_MFA",
    "MIN_LENGTH_SINGLE_FACTOR",
    "PasswordProblem",
    "check_password",
]

MIN_LENGTH_SINGLE_FACTOR = 15
MIN_LENGTH_MFA = 8
MAX_LENGTH = 128
_MIN_CONTEXT_WORD = 3
_BLOCKLIST = "common_passwords.txt"
# Words an attacker targeting this service tries first.
_SERVICE_WORDS = ("kt1", "buudien", "buu dien", "congan", "vnpost")


@dataclass(frozen=True)
class PasswordProblem:
    """One reason a password is refused: a code and the numbers its message names (the words
    live in the message catalogue, in Vietnamese and English)."""

    code: str
    params: Mapping[str, int] = field(default_factory=dict)


@functools.cache
def _blocklist() -> frozenset[str]:
    try:
        text = resources.files("policies").joinpath(_BLOCKLIST).read_text(encoding="utf-8")
    except NotADirectoryError:
        # A stale editable install makes this package a namespace package, which
        # Python 3.11's importlib.resources cannot read; the file sits next to us.
        text = Path(__file__).with_name(_BLOCKLIST).read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())



def check_password(
    password: str,
    *,
    username: str,
    context_words: Sequence[str] = (),
    mfa: bool,
) -> list[PasswordProblem]:
    """Return every rule ``password`` breaks (empty list = acceptable).

    ``mfa`` lowers the minimum length to 8 because the password is then not the only
    factor. ``context_words`` are service-specific words to refuse, e.g. a province name.
    """
    normalised = unicodedata.normalize("NFKC", password)  # what passwords.py hashes
    problems: list[PasswordProblem] = []

    minimum = MIN_LENGTH_MFA if mfa else MIN_LENGTH_SINGLE_FACTOR
    if len(normalised) < minimum:
        problems.append(PasswordProblem("PASSWORD_TOO_SHORT", {"minimum": minimum}))
    elif len(normalised) > MAX_LENGTH:
        problems.append(PasswordProblem("PASSWORD_TOO_LONG", {"maximum": MAX_LENGTH}))

    blocked = _blocklist()
    lowered = normalised.lower()
    if lowered in blocked or fold_compact(lowered) in blocked:
        problems.append(PasswordProblem("PASSWORD_COMMON"))

    folded = fold_compact(normalised)
    words = {fold_compact(w) for w in (username, *_SERVICE_WORDS, *context_words)}
    if any(len(w) >= _MIN_CONTEXT_WORD and w in folded for w in words):
        problems.append(PasswordProblem("PASSWORD_CONTEXT"))

    if len(set(normalised)) == 1:
        problems.append(PasswordProblem("PASSWORD_REPETITIVE"))
    return problems
