"""The service in local mode with add-on sign-in configured, and add-on sessions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
import respx
from litestar import Litestar
from litestar.testing import AsyncTestClient

from contract.addon import load_request, replay
from sheetbrain.app import create_app
from sheetbrain.settings import Settings
from sheetbrain.store.gateway import Gateway
from support.clients import LOOPBACK
from support.google_id_tokens import GoogleAccounts
from support.ids import unique_id
from support.production import addon_production_settings, with_addon_sign_in

GOOGLE = GoogleAccounts(kid="contract-google-key")


@dataclass(frozen=True)
class AddonSession:
    """A signed-in add-on: the user, their organization and the bearer token it sends."""

    user_id: str
    org_id: str
    email: str
    access_token: str
    refresh_token: str


@pytest.fixture
def addon_settings(local_settings: Settings) -> Settings:
    return with_addon_sign_in(local_settings)


@pytest.fixture
def production_settings(database_url: str) -> Settings:
    """Production mode with the add-on's Google sign-in as its identity source."""
    return addon_production_settings(database_url=database_url)


@pytest.fixture
def google_jwks() -> Iterator[respx.Route]:
    with respx.mock(assert_all_called=False) as router:
        yield GOOGLE.serve_jwks(router)


@pytest.fixture
async def service(
    addon_settings: Settings, gateway: Gateway, google_jwks: respx.Route
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(
        app=create_app(addon_settings, gateway=gateway), base_url=LOOPBACK
    ) as client:
        yield client


@pytest.fixture
async def session(service: AsyncTestClient[Litestar]) -> AddonSession:
    """Signed in the way the deployed add-on does it: debug-login (local mode)."""
    user_id, org_id = unique_id("user"), unique_id("org")
    email = f"{user_id}@example.com"
    login = load_request("debug_login", userId=user_id, email=email, orgId=org_id)
    response = await replay(service, login, token=None)
    assert response.status_code == 200
    body = response.json()
    return AddonSession(user_id, org_id, email, body["accessToken"], body["refreshToken"])
