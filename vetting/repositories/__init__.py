"""One repository per aggregate, each with its scope built into the statement it starts from
(`base.ScopedRepository`): reads of workers, requests, clearances, routes, incidents,
accounts and audit entries go through these, so the scope rule of each lives in one place."""

from vetting.repositories.accounts import ACCOUNTS
from vetting.repositories.audit_entries import AUDIT_ENTRIES
from vetting.repositories.clearances import CLEARANCES
from vetting.repositories.incidents import INCIDENTS
from vetting.repositories.requests import REQUESTS
from vetting.repositories.routes import ROUTES
from vetting.repositories.workers import WORKERS

__all__ = ["ACCOUNTS", "AUDIT_ENTRIES", "CLEARANCES", "INCIDENTS", "REQUESTS", "ROUTES",
           "WORKERS"]
