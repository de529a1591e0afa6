"""The long-lived clients the API's handlers share: built once per app, closed at shutdown.

`open_clients` is the one place such a client is built. `create_app` opens it in the
application's lifespan, so each client is made on the event loop that serves requests
and is closed when the app shuts down; handlers receive them through the dependencies
in `api/deps.py`. Tests and benchmarks swap one through the same door:
`create_app(settings, clients=replacing(reviewer=double))`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

from sheetbrain.auth import build_authenticator
from sheetbrain.auth.authenticator import Authenticator
from sheetbrain.auth.clerk import clerk_keys
from sheetbrain.auth.google import GoogleIdTokens
from sheetbrain.auth.jwks import JwksCache
from sheetbrain.billing.stripe_gateway import StripeGateway
from sheetbrain.policies.worker import DocumentReader
from sheetbrain.review import Reviewer, build_reviewer
from sheetbrain.settings import Settings
from sheetbrain.store.connect import open_gateway
from sheetbrain.store.gateway import Gateway


@dataclass(frozen=True, kw_only=True)
class Clients:
    gateway: Gateway
    # Every verifier the settings configure; Clerk's holds Clerk's key cache.
    authenticator: Authenticator
    # The add-on's sign-in; holds Google's key cache.
    google: GoogleIdTokens
    # The Anthropic client and the AI concurrency limit: one per app, so the limit holds
    # for every review the process runs.
    reviewer: Reviewer
    # None without STRIPE_SECRET_KEY.
    stripe: StripeGateway | None
    # Its cap on concurrent reader processes likewise holds per process.
    document_reader: DocumentReader


@asynccontextmanager
async def open_clients(
    settings: Settings, *, conninfo: str | None = None, gateway: Gateway | None = None
) -> AsyncIterator[Clients]:
    """Every client the settings configure; each one built here is closed on exit. A
    `gateway` passed in is used as it is and left open (its owner closes it)."""
    async with AsyncExitStack() as opened:
        if gateway is None:
            gateway = await open_gateway(settings, conninfo)
            opened.push_async_callback(gateway.close)
        clerk = clerk_keys(settings)
        if isinstance(clerk, JwksCache):
            opened.push_async_callback(clerk.close)
        google = GoogleIdTokens.from_settings(settings)
        opened.push_async_callback(google.keys.close)
        reviewer = build_reviewer(settings)
        opened.push_async_callback(reviewer.close)
        stripe = StripeGateway.from_settings(settings)
        if stripe is not None:
            opened.push_async_callback(stripe.close)
        yield Clients(
            gateway=gateway,
            authenticator=build_authenticator(settings, clerk),
            google=google,
            reviewer=reviewer,
            stripe=stripe,
            document_reader=DocumentReader(settings.extraction_timeout_seconds),
        )


def replacing(**changes: Any) -> Callable[[Clients], Clients]:
    """For `create_app(clients=...)`: the clients the app built, with `changes` in their
    place. The app still closes what it built; whoever made a replacement closes it."""
    return lambda built: replace(built, **changes)
