"""The clients the app builds in its lifespan (clients.py): every request shares them, and
shutting the app down closes each one it built."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar import get
from litestar.di import NamedDependency
from litestar.params import SkipValidation
from litestar.testing import AsyncTestClient

from sheetbrain.app import create_app
from sheetbrain.auth.clerk import ClerkVerifier
from sheetbrain.auth.google import GoogleIdTokens
from sheetbrain.auth.jwks import JwksCache
from sheetbrain.billing.stripe_gateway import StripeGateway
from sheetbrain.clients import Clients
from sheetbrain.policies.worker import DocumentReader
from sheetbrain.review import ClaudeReviewer, Reviewer
from sheetbrain.settings import Settings
from sheetbrain.store.gateway import Gateway
from sheetbrain.store.postgres import PostgresTransport
from support.clerk_tokens import ISSUER
from support.clients import LOOPBACK

pytestmark = pytest.mark.db


@get("/test/clients", sync_to_thread=False)
def clients_probe(
    gateway: NamedDependency[Gateway],
    google: NamedDependency[GoogleIdTokens],
    reviewer: NamedDependency[SkipValidation[Reviewer]],
    stripe_gateway: NamedDependency[StripeGateway | None],
    document_reader: NamedDependency[DocumentReader],
) -> dict[str, int]:
    """A probe: which objects the handlers' dependencies resolved to."""
    used = [gateway, google, reviewer, stripe_gateway, document_reader]
    return {type(client).__name__: id(client) for client in used}


@pytest.fixture
def every_client_settings(tmp_path: Path) -> Settings:
    """Local mode with Claude, Stripe and Clerk's JWKS configured (Google's is always)."""
    return Settings(
        mode="local",
        data_dir=tmp_path,
        anthropic_api_key="sk-ant-test-not-a-real-key",
        stripe_secret_key="sk_test_not_a_real_key",
        clerk_issuer=ISSUER,
        clerk_authorized_parties=["https://addon.sheetbrain.test"],
        _env_file=None,  # type: ignore[call-arg]
    )


class Remember:
    """For `create_app(clients=...)`: keeps the clients the app built, changes nothing."""

    def __init__(self) -> None:
        self.built: list[Clients] = []

    def __call__(self, built: Clients) -> Clients:
        self.built.append(built)
        return built


def closed(clients: Clients) -> dict[str, bool]:
    """Whether each connection-holding client the app built is closed."""
    transport = clients.gateway.transport
    [clerk] = [v for v in clients.authenticator.verifiers if isinstance(v, ClerkVerifier)]
    assert isinstance(transport, PostgresTransport)
    assert isinstance(clerk.keys, JwksCache)
    assert isinstance(clients.reviewer, ClaudeReviewer)
    assert clients.stripe is not None
    return {
        "database pool": transport.pool.closed,
        "clerk keys": clerk.keys.is_closed,
        "google keys": clients.google.keys.is_closed,
        "anthropic": clients.reviewer.client.is_closed(),
        # stripe's HTTPXClient keeps its httpx client here; it has no public accessor.
        "stripe": clients.stripe.http._client_async.is_closed,
    }


async def test_shutting_the_app_down_closes_every_client_it_built(
    every_client_settings: Settings, database_url: str
) -> None:
    remember = Remember()
    app = create_app(every_client_settings, conninfo=database_url, clients=remember)

    async with AsyncTestClient(app=app, base_url=LOOPBACK) as client:
        assert (await client.get("/health")).status_code == 200
        while_serving = closed(remember.built[0])

    assert set(while_serving.values()) == {False}
    assert closed(remember.built[0]) == dict.fromkeys(while_serving, True)


async def test_every_request_gets_the_clients_built_at_start(
    every_client_settings: Settings, gateway: Gateway
) -> None:
    remember = Remember()
    app = create_app(every_client_settings, gateway=gateway, clients=remember)
    app.register(clients_probe)

    async with AsyncTestClient(app=app, base_url=LOOPBACK) as client:
        first = (await client.get("/test/clients")).json()
        second = (await client.get("/test/clients")).json()
    [built] = remember.built

    assert (
        first
        == second
        == {
            "Gateway": id(built.gateway),
            "GoogleIdTokens": id(built.google),
            "ClaudeReviewer": id(built.reviewer),
            "StripeGateway": id(built.stripe),
            "DocumentReader": id(built.document_reader),
        }
    )


async def test_a_gateway_passed_in_is_left_open_for_its_owner(
    local_settings: Settings, gateway: Gateway
) -> None:
    async with AsyncTestClient(app=create_app(local_settings, gateway=gateway), base_url=LOOPBACK):
        pass

    transport = gateway.transport
    assert isinstance(transport, PostgresTransport)
    assert transport.pool.closed is False
