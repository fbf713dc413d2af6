"""Accounts: administered nationally, by admins alone."""

from __future__ import annotations

from vetting.models import UserAccount
from vetting.repositories.base import ScopedRepository


class AccountRepository(ScopedRepository[UserAccount]):
    model = UserAccount
    missing = "no such user"


ACCOUNTS = AccountRepository()
