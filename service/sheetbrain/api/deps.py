"""Request-scoped dependencies shared by every controller."""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Request
from litestar.datastructures import State

from sheetbrain.auth.authenticator import Authenticator
from sheetbrain.identity import Identity
from sheetbrain.policies.worker import DocumentReader
from sheetbrain.settings import Settings
from sheetbrain.store.gateway import Gateway


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


def provide_gateway(state: State) -> Gateway:
    gateway: Gateway = state.gateway
    return gateway


async def provide_identity(request: Request[Any, Any, Any], state: State) -> Identity:
    """The verified caller, or 401; binds the org to this request's log lines."""
    authenticator: Authenticator = state.authenticator
    identity = await authenticator.identify(request.headers)
    structlog.contextvars.bind_contextvars(org_id=identity.org_id)
    return identity


def provide_document_reader(state: State) -> DocumentReader:
    """One reader per app, so its cap on concurrent child processes holds per process."""
    reader: DocumentReader | None = state.get("document_reader")
    if reader is None:
        settings: Settings = state.settings
        reader = state.document_reader = DocumentReader(settings.extraction_timeout_seconds)
    return reader
