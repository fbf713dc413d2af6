"""Password checks and argon2id hashing, kept off the event loop."""

from __future__ import annotations

import asyncio

from crypto import passwords
from policies.password_rules import check_password
from policies.policy import Policy
from vetting.errors import InvalidInput


def require_acceptable(password: str, *, username: str, role: str, policy: Policy,
                       context_words: tuple[str, ...] = ()) -> None:
    """Refuse a password that breaks the SP 800-63B rules, naming the first broken rule."""
    problems = check_password(password, username=username, context_words=context_words,
                              mfa=role in policy.mfa_required_roles)
    if problems:
        first = problems[0]
        raise InvalidInput("the password breaks a rule", field="password", code=first.code,
                           **first.params)


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(passwords.hash_password, password)


async def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant work whether or not the account exists (unknown users burn a dummy verify)."""
    if stored_hash is None:
        await asyncio.to_thread(passwords.burn_verify, password)
        return False
    return await asyncio.to_thread(passwords.verify_password, stored_hash, password)
