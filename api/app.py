"""The application factory."""

from __future__ import annotations

from litestar import Litestar

from api.contract import complete
from api.plugin import CorePlugin
from api.schemas import MAX_BODY_BYTES
from vetting.db import Database
from vetting.settings import Settings, get_settings


def create_app(settings: Settings | None = None, database: Database | None = None) -> Litestar:
    """A ready app; tests pass their own settings and database."""
    # request_max_body_size must be given here: Litestar ignores it when a plugin sets it.
    app = Litestar(plugins=[CorePlugin(settings or get_settings(), database)],
                   request_max_body_size=MAX_BODY_BYTES)
    complete(app)
    return app
