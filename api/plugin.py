"""The core plugin: routes, dependencies, errors, OpenAPI, security and the CLI."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from click import Group
from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.middleware.base import DefineMiddleware
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.plugins import CLIPluginProtocol, InitPluginProtocol
from litestar.static_files import create_static_files_router

from api.auth.middleware import BearerSecurity
from api.controllers.attestations import (
    AttestationController,
    ClearanceController,
    StatusListController,
)
from api.controllers.audit import AuditController
from api.controllers.auth import AuthController
from api.controllers.incidents import (
    IncidentController,
    NotificationController,
    ReportController,
)
from api.controllers.routes import (
    AssignmentController,
    EligibilityController,
    RouteController,
)
from api.controllers.system import SystemController
from api.controllers.users import UserController
from api.controllers.vetting_requests import VettingRequestController
from api.controllers.workers import WorkerController
from api.idempotency import IdempotencyMiddleware
from api.pages import page_router
from api.pages.errors import pages_for_unrouted
from api.pages.rendering import STATIC, template_config
from api.problems import EXCEPTION_HANDLERS
from api.rate_limit import public_rate_limit
from api.request_id import RequestIdMiddleware
from api.state import Registry, provide_context, provide_registry, provide_session
from vetting.db import Database
from vetting.keys import RegistryKeys
from vetting.settings import Settings

#: The API documentation's viewer, served from the app (api/static/vendor): /schema works on a
#: network that reaches nothing else.
SCHEMA_UI_ASSETS = "/static/vendor/swagger-ui"
SCHEMA_UI_VERSION = "5.35.0"


def schema_viewer() -> SwaggerRenderPlugin:
    return SwaggerRenderPlugin(
        version=SCHEMA_UI_VERSION, js_url=f"{SCHEMA_UI_ASSETS}/swagger-ui-bundle.js",
        css_url=f"{SCHEMA_UI_ASSETS}/swagger-ui.css",
        standalone_preset_js_url=f"{SCHEMA_UI_ASSETS}/swagger-ui-standalone-preset.js",
        favicon='<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">')


ROUTE_HANDLERS = [SystemController, AuthController, UserController, AuditController,
                  WorkerController, VettingRequestController, ClearanceController,
                  AttestationController, StatusListController, RouteController,
                  EligibilityController, AssignmentController, IncidentController,
                  NotificationController, ReportController]


class CorePlugin(InitPluginProtocol, CLIPluginProtocol):
    def __init__(self, settings: Settings, database: Database | None = None) -> None:
        self.settings = settings
        self.database = database

    def on_cli_init(self, cli: Group) -> None:
        from api.cli import register_commands

        register_commands(cli)

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers.extend(ROUTE_HANDLERS)
        app_config.route_handlers.append(page_router())
        app_config.route_handlers.append(create_static_files_router(
            path="/static", directories=[STATIC], opt={"public": True},
            include_in_schema=False, name="static"))
        app_config.template_config = template_config()
        app_config.dependencies.update({
            "db": Provide(provide_session),
            "ctx": Provide(provide_context, sync_to_thread=False),
            "registry": Provide(provide_registry, sync_to_thread=False),
        })
        app_config.exception_handlers.update(EXCEPTION_HANDLERS)
        app_config.exception_handlers[HTTPException] = pages_for_unrouted(
            EXCEPTION_HANDLERS[HTTPException])
        app_config.openapi_config = OpenAPIConfig(
            title="KT1 vetting registry", version="1.0.0", path="/schema",
            description="Vetting of Post workers for KT1 (state-secret) mail.",
            render_plugins=[schema_viewer()],
        )
        app_config.lifespan.append(self._lifespan)
        app_config.debug = False
        app_config = BearerSecurity().on_app_init(app_config)
        # Outermost first: request id, then authentication (added above), then idempotency.
        app_config.middleware.insert(0, DefineMiddleware(RequestIdMiddleware))
        app_config.middleware.insert(1, public_rate_limit(self.settings).middleware)
        app_config.middleware.append(DefineMiddleware(IdempotencyMiddleware))
        return app_config

    @asynccontextmanager
    async def _lifespan(self, app: Litestar) -> AsyncIterator[None]:
        database = self.database or Database(self.settings.database_url)
        keys = RegistryKeys.open(self.settings.keys_dir)
        app.state.registry = Registry(settings=self.settings, db=database, keys=keys)
        try:
            yield
        finally:
            if self.database is None:
                await database.dispose()
            logging.getLogger("kt1.api").debug("registry closed")
