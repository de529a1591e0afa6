"""Clerk session tokens over HTTP: production mode trusts a verified token and nothing else."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import respx
from litestar import Litestar, get
from litestar.di import NamedDependency
from litestar.testing import AsyncTestClient

from sheetbrain.app import create_app
from sheetbrain.identity import Identity
from sheetbrain.settings import Settings
from sheetbrain.store.gateway import Gateway
from support.clerk_tokens import AUTHORIZED_PARTY, ISSUER, JWKS_URL, ClerkInstance
from support.clients import LOOPBACK
from support.google_id_tokens import CLIENT_ID, TOKEN_SECRET
from support.ids import unique_id

pytestmark = pytest.mark.db

CLERK = ClerkInstance()


@get("/test/whoami", sync_to_thread=False)
def whoami(identity: NamedDependency[Identity]) -> dict[str, Any]:
    """A probe: answers with the identity the app's `identity` dependency resolved."""
    return {
        "user_id": identity.user_id,
        "org_id": identity.org_id,
        "org_role": identity.org_role,
        "personal": identity.personal,
        "source": identity.source,
    }


def production_settings(database_url: str, **clerk: Any) -> Settings:
    return Settings(
        mode="production",
        host="0.0.0.0",
        database_url=database_url,
        log_format="json",
        _env_file=None,  # type: ignore[call-arg]
        **clerk,
    )


@asynccontextmanager
async def client_for(
    settings: Settings, gateway: Gateway
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = create_app(settings, gateway=gateway)
    app.register(whoami)
    async with AsyncTestClient(app=app, base_url=LOOPBACK) as test_client:
        yield test_client


@pytest.fixture
async def production(
    database_url: str, gateway: Gateway
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    settings = production_settings(
        database_url,
        clerk_jwt_key=CLERK.public_pem(),
        clerk_issuer=ISSUER,
        clerk_authorized_parties=[AUTHORIZED_PARTY],
    )
    async with client_for(settings, gateway) as test_client:
        yield test_client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_unauthorized(response: Any, detail: str) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == 'Bearer realm="sheetbrain"'
    body = response.json()
    assert (body["code"], body["status"], body["detail"]) == ("unauthorized", 401, detail)


async def test_a_v2_session_token_identifies_the_caller_in_their_organisation(
    production: AsyncTestClient[Litestar],
) -> None:
    user, org = unique_id("user"), unique_id("org")
    token = CLERK.token(CLERK.claims(user, o={"id": org, "rol": "admin", "slg": "acme"}))

    response = await production.get("/test/whoami", headers=bearer(token))

    assert response.status_code == 200
    assert response.json() == {
        "user_id": user,
        "org_id": org,
        "org_role": "org:admin",
        "personal": False,
        "source": "clerk",
    }


async def test_a_v1_session_token_identifies_the_caller_in_their_organisation(
    production: AsyncTestClient[Litestar],
) -> None:
    user, org = unique_id("user"), unique_id("org")
    token = CLERK.token(CLERK.claims(user, v=None, org_id=org, org_role="org:member"))

    response = await production.get("/test/whoami", headers=bearer(token))

    assert response.json() == {
        "user_id": user,
        "org_id": org,
        "org_role": "org:member",
        "personal": False,
        "source": "clerk",
    }


async def test_a_session_without_an_organisation_works_in_the_personal_workspace(
    production: AsyncTestClient[Litestar],
) -> None:
    user = unique_id("user")

    response = await production.get("/test/whoami", headers=bearer(CLERK.token(CLERK.claims(user))))

    assert response.json() == {
        "user_id": user,
        "org_id": user,
        "org_role": "org:admin",
        "personal": True,
        "source": "clerk",
    }


def _expired() -> str:
    return CLERK.token(CLERK.claims("user_x", exp=int(time.time()) - 30))


def _not_yet_valid() -> str:
    return CLERK.token(CLERK.claims("user_x", nbf=int(time.time()) + 30))


def _wrong_azp() -> str:
    return CLERK.token(CLERK.claims("user_x", azp="https://evil.test"))


def _unsigned() -> str:
    return CLERK.unsigned_token("user_x")


def _hs256_with_public_key() -> str:
    return CLERK.hs256_token_keyed_with_the_public_key("user_x")


def _tampered() -> str:
    return CLERK.tampered_token("user_x", sub="user_admin")


@pytest.mark.parametrize(
    ("make_token", "detail"),
    [
        (_expired, "The session token has expired."),
        (_not_yet_valid, "The session token is not valid yet."),
        (_wrong_azp, "The session token was issued for another application."),
        (_unsigned, "The session token must be signed with RS256."),
        (_hs256_with_public_key, "The session token must be signed with RS256."),
        (_tampered, "The session token is invalid."),
    ],
    ids=["expired", "not-yet-valid", "wrong-azp", "alg-none", "hs256-alg-confusion", "tampered"],
)
async def test_a_bad_session_token_is_401_problem(
    production: AsyncTestClient[Litestar], make_token: Callable[[], str], detail: str
) -> None:
    response = await production.get("/test/whoami", headers=bearer(make_token()))

    assert_unauthorized(response, detail)


async def test_a_token_from_another_issuer_is_401_problem(
    production: AsyncTestClient[Litestar],
) -> None:
    token = CLERK.token(CLERK.claims("user_x", iss="https://clerk.other.test"))

    response = await production.get("/test/whoami", headers=bearer(token))

    assert_unauthorized(response, "The bearer token was not issued by a trusted issuer.")


async def test_a_request_without_a_token_is_401_problem(
    production: AsyncTestClient[Litestar],
) -> None:
    response = await production.get("/test/whoami")

    assert_unauthorized(response, "Send Authorization: Bearer <token>.")


async def test_identity_headers_are_ignored_in_production(
    production: AsyncTestClient[Litestar],
) -> None:
    response = await production.get(
        "/test/whoami", headers={"x-user-id": "user_spoofed", "x-user-org": "org_victim"}
    )

    assert_unauthorized(response, "Send Authorization: Bearer <token>.")


async def test_a_token_signed_with_an_unknown_key_id_is_401_after_refreshing_the_jwks(
    database_url: str, gateway: Gateway
) -> None:
    settings = production_settings(
        database_url,
        clerk_jwks_url=JWKS_URL,
        clerk_issuer=ISSUER,
        clerk_authorized_parties=[AUTHORIZED_PARTY],
    )
    token = CLERK.token(CLERK.claims("user_x"), kid="ins_rotated_away")

    with respx.mock(assert_all_called=True) as router:
        router.get(JWKS_URL).respond(json={"keys": [CLERK.jwk()]})
        async with client_for(settings, gateway) as client:
            response = await client.get("/test/whoami", headers=bearer(token))

    assert_unauthorized(response, "The session token was signed with an unknown key.")


async def test_without_clerk_configured_a_clerk_token_is_401_in_production(
    database_url: str, gateway: Gateway
) -> None:
    token = CLERK.token(CLERK.claims("user_x"))
    addon_sign_in_only = production_settings(
        database_url, google_client_ids=[CLIENT_ID], token_secret=TOKEN_SECRET
    )

    async with client_for(addon_sign_in_only, gateway) as client:
        response = await client.get("/test/whoami", headers=bearer(token))

    assert_unauthorized(response, "The bearer token was not issued by a trusted issuer.")
