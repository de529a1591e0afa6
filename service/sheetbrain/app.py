"""The application factory: wiring only (routes, plugins, middleware, lifespan)."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin

from sheetbrain import __version__
from sheetbrain.api.admin import ADMIN_TEMPLATES, AdminController
from sheetbrain.api.audit import AuditController
from sheetbrain.api.auth import AuthController
from sheetbrain.api.billing import BillingController
from sheetbrain.api.deps import (
    provide_document_reader,
    provide_gateway,
    provide_google_id_tokens,
    provide_identity,
    provide_reviewer,
    provide_settings,
    provide_stripe_gateway,
)
from sheetbrain.api.health import HealthController
from sheetbrain.api.ingest import IngestController
from sheetbrain.api.metrics import PROMETHEUS, MetricsController
from sheetbrain.api.middleware import loopback_host_middleware, request_context_middleware
from sheetbrain.api.policies import PoliciesController
from sheetbrain.api.problems import EXCEPTION_HANDLERS
from sheetbrain.api.requests import AppRequest
from sheetbrain.api.stats import StatsController
from sheetbrain.api.webhooks import ClerkWebhookController
from sheetbrain.clients import Clients, open_clients
from sheetbrain.log import configure_logging
from sheetbrain.settings import Settings
from sheetbrain.store.gateway import Gateway

ROUTE_HANDLERS: list[type] = [
    HealthController,
    BillingController,
    AuditController,
    StatsController,
    AdminController,
    MetricsController,
    ClerkWebhookController,
    AuthController,
    IngestController,
    PoliciesController,
]


def create_app(
    settings: Settings | None = None,
    *,
    conninfo: str | None = None,
    gateway: Gateway | None = None,
    clients: Callable[[Clients], Clients] | None = None,
) -> Litestar:
    """Build the API. Its clients (database gateway, identity verifiers and their key
    caches, Claude, Stripe, the document reader: see clients.py) are built in its lifespan
    and closed at shutdown. Pass `gateway` to share one already open (tests; its owner
    closes it); otherwise the app opens its own from `conninfo` (psycopg) or the settings
    (supabase-py). `clients` is handed the clients the app built and returns those its
    handlers get: how tests swap one (`clients.replacing(reviewer=double)`)."""
    settings = settings or Settings()
    configure_logging(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with open_clients(settings, conninfo=conninfo, gateway=gateway) as built:
            app.state.clients = built if clients is None else clients(built)
            yield

    return Litestar(
        route_handlers=ROUTE_HANDLERS,
        lifespan=[lifespan],
        on_startup=[_tune_garbage_collector],
        on_shutdown=[gc.unfreeze],
        state=State({"settings": settings}),
        dependencies={
            "settings": Provide(provide_settings, sync_to_thread=False),
            "gateway": Provide(provide_gateway, sync_to_thread=False),
            "identity": Provide(provide_identity),
            "reviewer": Provide(provide_reviewer, sync_to_thread=False),
            "stripe_gateway": Provide(provide_stripe_gateway, sync_to_thread=False),
            "google": Provide(provide_google_id_tokens, sync_to_thread=False),
            "document_reader": Provide(provide_document_reader, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        request_class=AppRequest,
        middleware=[
            request_context_middleware,
            *([loopback_host_middleware] if settings.mode == "local" else []),
            PROMETHEUS.middleware,
        ],
        template_config=ADMIN_TEMPLATES,
        cors_config=_cors_config(settings),
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="SheetBrain",
            version=__version__,
            path="/docs",
            render_plugins=[ScalarRenderPlugin()],
        ),
        debug=False,
    )


def _tune_garbage_collector() -> None:
    """A large audit allocates about 450,000 objects; with the default thresholds each one
    set off several full collections, each walking the ~300,000 objects startup built
    (half of a 20,000-formula audit's time). Those live as long as the app: frozen, they
    are skipped; young collections every 50,000 allocations make full ones rare."""
    gc.freeze()
    gc.set_threshold(50_000, 10, 10)


def _cors_config(settings: Settings) -> CORSConfig | None:
    pattern = settings.cors_origin_pattern
    if not settings.cors_origins and pattern is None:
        return None
    return CORSConfig(allow_origins=settings.cors_origins, allow_origin_regex=pattern)
