"""POST /api/auth/token is rate-limited per Google account and per client address, in
Postgres (so across replicas): a flood of sign-ins or refreshes gets 429, not tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import respx
from litestar import Litestar
from litestar.testing import AsyncTestClient

from sheetbrain.app import create_app
from sheetbrain.settings import Settings
from sheetbrain.store.gateway import Gateway
from support.accounts import synced_member
from support.clients import LOOPBACK
from support.google_id_tokens import GoogleAccounts
from support.production import with_addon_sign_in

pytestmark = pytest.mark.db

GOOGLE = GoogleAccounts()


@pytest.fixture
def google_jwks() -> Iterator[None]:
    with respx.mock(assert_all_called=False) as router:
        GOOGLE.serve_jwks(router)
        yield


@pytest.fixture
async def two_per_account(
    local_settings: Settings, gateway: Gateway, google_jwks: None
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = create_app(
        with_addon_sign_in(local_settings, sign_ins_per_minute_per_account=2), gateway=gateway
    )
    async with AsyncTestClient(app=app, base_url=LOOPBACK) as client:
        yield client


async def synced_email(gateway: Gateway) -> str:
    return (await synced_member(gateway))[2]


def exchange(client: AsyncTestClient[Litestar], body: dict[str, str]) -> Any:
    return client.post("/api/auth/token", json=body)


async def test_a_google_account_signing_in_too_often_gets_429_with_retry_after(
    two_per_account: AsyncTestClient[Litestar], gateway: Gateway
) -> None:
    email = await synced_email(gateway)
    for _ in range(2):
        assert (await exchange(two_per_account, {"idToken": GOOGLE.id_token(email)})).is_success

    response = await exchange(two_per_account, {"idToken": GOOGLE.id_token(email)})

    assert (response.status_code, response.json()["code"]) == (429, "rate-limited")
    assert 1 <= int(response.headers["retry-after"]) <= 60


async def test_another_account_still_signs_in_when_one_is_limited(
    two_per_account: AsyncTestClient[Litestar], gateway: Gateway
) -> None:
    busy, other = await synced_email(gateway), await synced_email(gateway)
    for _ in range(3):
        await exchange(two_per_account, {"idToken": GOOGLE.id_token(busy)})

    response = await exchange(two_per_account, {"idToken": GOOGLE.id_token(other)})

    assert response.status_code == 200


async def test_one_address_sending_too_many_refreshes_gets_429(
    local_settings: Settings, private_database_url: str, google_jwks: None
) -> None:
    # The test client always comes from one address: a database of its own keeps other
    # tests' requests out of this address's window.
    settings = with_addon_sign_in(local_settings, sign_ins_per_minute_per_ip=3)
    app = create_app(settings, conninfo=private_database_url)
    async with AsyncTestClient(app=app, base_url=LOOPBACK) as client:
        refused = [
            (await exchange(client, {"refreshToken": f"stolen-{n}"})).status_code for n in range(4)
        ]

    assert refused == [401, 401, 401, 429]
