"""Request-scoped dependencies shared by every controller.

Each client comes from the `Clients` the app built in its lifespan (clients.py), so
every request of a process shares one of each; none is built here.
"""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Request
from litestar.datastructures import State

from sheetbrain.auth.google import GoogleIdTokens
from sheetbrain.billing.stripe_gateway import StripeGateway
from sheetbrain.clients import Clients
from sheetbrain.identity import Identity
from sheetbrain.policies.worker import DocumentReader
from sheetbrain.review import Reviewer
from sheetbrain.settings import Settings
from sheetbrain.store.gateway import Gateway


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


def _clients(state: State) -> Clients:
    clients: Clients = state.clients
    return clients


def provide_gateway(state: State) -> Gateway:
    return _clients(state).gateway


async def provide_identity(request: Request[Any, Any, Any], state: State) -> Identity:
    """The verified caller, or 401; binds the org to this request's log lines."""
    identity = await _clients(state).authenticator.identify(request.headers)
    structlog.contextvars.bind_contextvars(org_id=identity.org_id)
    return identity


def provide_reviewer(state: State) -> Reviewer:
    return _clients(state).reviewer


def provide_stripe_gateway(state: State) -> StripeGateway | None:
    return _clients(state).stripe


def provide_google_id_tokens(state: State) -> GoogleIdTokens:
    return _clients(state).google


def provide_document_reader(state: State) -> DocumentReader:
    return _clients(state).document_reader
