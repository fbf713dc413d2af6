"""The core plugin: routes, dependencies, errors, OpenAPI, security and the CLI."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from click import Group
from litestar import Litestar, Request, Response
from litestar.config.app import AppConfig
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.middleware.base import DefineMiddleware
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.plugins import CLIPluginProtocol, InitPluginProtocol
from litestar.static_files import create_static_files_router

from api.allow import options_answer
from api.auth.middleware import BearerSecurity
from api.body_guard import BodyGuardMiddleware
from api.controllers.attestations import (
    AttestationController,
    ClearanceController,
    StatusListController,
)
from api.controllers.audit import AuditController
from api.controllers.auth import AuthController
from api.controllers.imports import ImportController
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
from api.controllers.webhooks import WebhookController
from api.controllers.workers import WorkerController
from api.forwarded import forwarded_client_middleware
from api.idempotency import IdempotencyMiddleware, catch_answer
from api.json_request import JSONRequest
from api.pages import page_router
from api.pages.errors import pages_for_unrouted
from api.pages.rendering import STATIC, template_config
from api.problems import EXCEPTION_HANDLERS
from api.query_guard import refuse_loose_query
from api.rate_limit import public_rate_limit
from api.request_id import RequestIdMiddleware
from api.state import AppServices, provide_context, provide_services, provide_session
from vetting.db import Database
from vetting.keys import RegistryKeys
from vetting.settings import Settings
from vetting.webhooks.relay import Relay

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
                  NotificationController, ReportController, WebhookController,
                  ImportController]


async def before_handler(request: Request[Any, Any, Any]) -> Response[None] | None:
    """Before every handler, before its parameters are parsed: OPTIONS is answered from the
    whole route, and loosely written numbers and times in the query are refused."""
    answer = options_answer(request)
    if answer is None:
        await refuse_loose_query(request)
    return answer


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
            "services": Provide(provide_services, sync_to_thread=False),
        })
        app_config.exception_handlers.update(EXCEPTION_HANDLERS)
        app_config.exception_handlers[HTTPException] = pages_for_unrouted(
            EXCEPTION_HANDLERS[HTTPException])
        app_config.request_class = JSONRequest
        app_config.before_request = before_handler
        app_config.after_request = catch_answer
        app_config.openapi_config = OpenAPIConfig(
            title="KT1 vetting registry", version="1.0.0", path="/schema",
            description="Vetting of Post workers for KT1 (state-secret) mail.",
            render_plugins=[schema_viewer()],
        )
        app_config.lifespan.append(self._lifespan)
        app_config.debug = False
        app_config = BearerSecurity().on_app_init(app_config)
        # Outermost first: request id, the body gate (before authentication: a hostile body
        # is refused before anything parses it), authentication (added above), idempotency.
        app_config.middleware.insert(0, DefineMiddleware(RequestIdMiddleware))
        app_config.middleware.insert(1, public_rate_limit(self.settings).middleware)
        app_config.middleware.insert(2, DefineMiddleware(BodyGuardMiddleware))
        app_config.middleware.append(DefineMiddleware(IdempotencyMiddleware))
        if self.settings.trusted_proxies:  # outermost: everything after sees the client
            app_config.middleware.insert(0, forwarded_client_middleware(
                self.settings.trusted_proxies))
        return app_config

    @asynccontextmanager
    async def _lifespan(self, app: Litestar) -> AsyncIterator[None]:
        database = self.database or Database(self.settings.database_url)
        keys = RegistryKeys.open(self.settings.keys_dir)
        app.state.services = AppServices(settings=self.settings, db=database, keys=keys)
        try:
            async with self._webhook_relay(database, keys):
                if self.database is None:  # a server process, not an app a test made
                    # What is loaded by now (modules, the app, its routes) lives as long as
                    # the process: keep the cyclic collector's full passes off it, so they
                    # walk only what requests create (measured: a full pass over a started
                    # server and a warm read cache took 36-58 ms, after this 0-11 ms).
                    gc.freeze()
                yield
        finally:
            if self.database is None:
                await database.dispose()
            logging.getLogger("kt1.api").debug("registry closed")

    @asynccontextmanager
    async def _webhook_relay(self, database: Database, keys: RegistryKeys
                             ) -> AsyncIterator[None]:
        """The webhook relay as a background task of each server process, unless
        KT1_WEBHOOK_RELAY=off (then `kt1vet relay` runs it on its own). Several processes
        share the work safely: each claim is atomic and leased."""
        if not self.settings.webhooks.relay:
            yield
            return
        stop = asyncio.Event()
        async with Relay(database, keys.data, self.settings.webhooks) as relay:
            task = asyncio.create_task(relay.run(stop), name="kt1-webhook-relay")
            try:
                yield
            finally:
                stop.set()  # an attempt under way finishes (bounded by the timeout)
                with contextlib.suppress(TimeoutError):  # wait_for cancels it then
                    await asyncio.wait_for(task, self.settings.webhooks.timeout_s + 5)
