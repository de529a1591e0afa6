"""The add-on's sign-in over HTTP: Google ID token exchange, refresh rotation, logout, me,
and the debug login that exists in local mode only."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
import respx
from litestar import Litestar
from litestar.testing import AsyncTestClient

from sheetbrain.app import create_app
from sheetbrain.auth.tokens import AUDIENCE, ISSUER
from sheetbrain.settings import Settings
from sheetbrain.store.gateway import Gateway
from support.accounts import synced_member
from support.clerk_tokens import hs256_token, tampered, unsigned_token
from support.clients import LOOPBACK
from support.google_id_tokens import (
    CLIENT_ID,
    JWKS_URL,
    OTHER_CLIENT_ID,
    TOKEN_SECRET,
    GoogleAccounts,
)
from support.ids import unique_id
from support.production import addon_production_settings, with_addon_sign_in

pytestmark = pytest.mark.db

GOOGLE = GoogleAccounts()


@pytest.fixture
def google_jwks() -> Iterator[respx.Route]:
    with respx.mock(assert_all_called=False) as router:
        yield GOOGLE.serve_jwks(router)


@pytest.fixture
async def addon(
    local_settings: Settings, gateway: Gateway, google_jwks: respx.Route
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """Local mode with add-on sign-in configured and Google's keys served."""
    settings = with_addon_sign_in(local_settings)
    async with AsyncTestClient(
        app=create_app(settings, gateway=gateway), base_url=LOOPBACK
    ) as test_client:
        yield test_client


@pytest.fixture
async def production(
    database_url: str, gateway: Gateway, google_jwks: respx.Route
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = create_app(addon_production_settings(database_url=database_url), gateway=gateway)
    async with AsyncTestClient(app=app, base_url=LOOPBACK) as test_client:
        yield test_client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def problem(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert body["error"] == body["detail"]
    return response.status_code, body["code"], body["detail"]


def access_claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(
        token, TOKEN_SECRET, algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER
    )
    return claims


async def sign_in(client: AsyncTestClient[Litestar], email: str) -> dict[str, Any]:
    response = await client.post("/api/auth/token", json={"idToken": GOOGLE.id_token(email)})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


@dataclass(frozen=True)
class SignedIn:
    """A synced member and the tokens their Google sign-in to the add-on gave."""

    user: str
    org: str
    email: str
    tokens: dict[str, Any]


@pytest.fixture
async def signed_in(addon: AsyncTestClient[Litestar], gateway: Gateway) -> SignedIn:
    user, org, email = await synced_member(gateway)
    return SignedIn(user, org, email, await sign_in(addon, email))


# ---------------------------------------------------------------- Google ID token exchange


async def test_a_verified_google_id_token_is_exchanged_for_sheetbrain_tokens(
    addon: AsyncTestClient[Litestar], gateway: Gateway
) -> None:
    _, _, email = await synced_member(gateway)

    response = await addon.post("/api/auth/token", json={"idToken": GOOGLE.id_token(email)})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"success", "accessToken", "refreshToken", "expiresIn", "tokenType"}
    assert (body["success"], body["expiresIn"], body["tokenType"]) == (True, 900, "Bearer")
    assert isinstance(body["refreshToken"], str)
    assert len(body["refreshToken"]) >= 40


async def test_the_access_token_names_the_user_their_organization_and_role(
    addon: AsyncTestClient[Litestar], gateway: Gateway
) -> None:
    user, org, email = await synced_member(gateway)

    claims = access_claims((await sign_in(addon, email))["accessToken"])

    assert {key: claims[key] for key in ("sub", "email", "orgId", "role", "orgRole")} == {
        "sub": user,
        "email": email,
        "orgId": org,
        "role": "editor",
        "orgRole": "org:member",
    }
    assert (claims["iss"], claims["aud"], claims["exp"] - claims["iat"]) == (
        "sheetbrain",
        "sheetbrain-addon",
        900,
    )


async def test_the_email_is_matched_case_insensitively(
    addon: AsyncTestClient[Litestar], gateway: Gateway
) -> None:
    user, _, email = await synced_member(gateway)

    body = await sign_in(addon, email.upper())

    assert access_claims(body["accessToken"])["sub"] == user


async def test_an_admin_signs_in_as_admin(
    addon: AsyncTestClient[Litestar], gateway: Gateway
) -> None:
    _, _, email = await synced_member(gateway, role="org:admin")

    claims = access_claims((await sign_in(addon, email))["accessToken"])

    assert claims["role"] == "admin"


async def test_an_unknown_email_is_refused_with_a_clear_message(
    addon: AsyncTestClient[Litestar],
) -> None:
    email = f"{unique_id('stranger')}@example.com"

    response = await addon.post("/api/auth/token", json={"idToken": GOOGLE.id_token(email)})

    assert problem(response) == (
        403,
        "forbidden",
        f"No SheetBrain account uses {email}. Sign up with this address (or ask your "
        "organization's admin to invite it), then open the add-on again.",
    )


@pytest.mark.parametrize(
    ("overrides", "detail"),
    [
        (
            {"exp": 1_700_000_000, "iat": 1_699_996_400},
            "The Google ID token has expired; get a new one.",
        ),
        ({"aud": OTHER_CLIENT_ID}, "The Google ID token was issued for another application."),
        (
            {"aud": [OTHER_CLIENT_ID, CLIENT_ID], "azp": OTHER_CLIENT_ID},
            "The Google ID token was issued for another application.",
        ),
        (
            {"aud": [OTHER_CLIENT_ID, CLIENT_ID], "azp": None},
            "The Google ID token was issued for another application.",
        ),
        ({"iss": "https://evil.example.com"}, "The ID token was not issued by Google."),
        ({"email_verified": False}, "Google has not verified this account's email address."),
        (
            {"email": None},
            "The Google ID token carries no email; add the 'email' scope to the add-on.",
        ),
    ],
    ids=[
        "expired",
        "wrong-audience",
        "audience-list-presented-by-another-app",
        "audience-list-without-azp",
        "wrong-issuer",
        "unverified-email",
        "no-email",
    ],
)
async def test_an_id_token_google_did_not_issue_to_us_is_refused(
    addon: AsyncTestClient[Litestar], gateway: Gateway, overrides: dict[str, Any], detail: str
) -> None:
    _, _, email = await synced_member(gateway)

    response = await addon.post(
        "/api/auth/token", json={"idToken": GOOGLE.id_token(email, **overrides)}
    )

    assert problem(response) == (401, "unauthorized", detail)


async def test_an_id_token_for_several_audiences_presented_by_our_client_is_accepted(
    addon: AsyncTestClient[Litestar], gateway: Gateway
) -> None:
    _, _, email = await synced_member(gateway)
    token = GOOGLE.id_token(email, aud=[CLIENT_ID, OTHER_CLIENT_ID], azp=CLIENT_ID)

    response = await addon.post("/api/auth/token", json={"idToken": token})

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("forge", "detail"),
    [
        (
            lambda email: GoogleAccounts(kid=GOOGLE.kid).id_token(email),
            "The Google ID token is invalid.",
        ),
        (
            lambda email: tampered(GOOGLE.id_token("attacker@example.com"), email=email),
            "The Google ID token is invalid.",
        ),
        (
            lambda email: unsigned_token(GOOGLE.claims(email)),
            "The Google ID token must be signed with RS256.",
        ),
        (
            lambda email: hs256_token(GOOGLE.claims(email), "any-secret", kid=GOOGLE.kid),
            "The Google ID token must be signed with RS256.",
        ),
        (
            lambda email: GOOGLE.id_token(email, kid="not-a-google-key"),
            "The Google ID token was signed with an unknown key.",
        ),
        (lambda email: "not-a-jwt", "The Google ID token is not a well-formed JWT."),
    ],
    ids=[
        "signed-by-another-key",
        "email-changed-after-signing",
        "alg-none",
        "alg-hs256",
        "unknown-key-id",
        "not-a-jwt",
    ],
)
async def test_a_forged_id_token_is_refused(
    addon: AsyncTestClient[Litestar],
    gateway: Gateway,
    forge: Callable[[str], str],
    detail: str,
) -> None:
    _, _, email = await synced_member(gateway)

    response = await addon.post("/api/auth/token", json={"idToken": forge(email)})

    assert problem(response) == (401, "unauthorized", detail)


async def test_google_keys_are_fetched_once_for_many_sign_ins(
    addon: AsyncTestClient[Litestar], gateway: Gateway, google_jwks: respx.Route
) -> None:
    _, _, email = await synced_member(gateway)

    for _ in range(3):
        await sign_in(addon, email)

    assert google_jwks.call_count == 1


async def post_token(settings: Settings, gateway: Gateway, body: dict[str, str]) -> httpx.Response:
    """POST /api/auth/token to an app made from these settings."""
    async with AsyncTestClient(
        app=create_app(settings, gateway=gateway), base_url=LOOPBACK
    ) as client:
        return await client.post("/api/auth/token", json=body)


async def test_unreachable_google_keys_answer_503(
    local_settings: Settings, gateway: Gateway
) -> None:
    settings = with_addon_sign_in(local_settings)
    with respx.mock(assert_all_called=False) as router:
        router.get(JWKS_URL).mock(return_value=httpx.Response(500))
        response = await post_token(
            settings, gateway, {"idToken": GOOGLE.id_token("a@example.com")}
        )

    assert problem(response) == (
        503,
        "service-unavailable",
        "Google's signing keys could not be fetched; try again shortly.",
    )
    assert response.headers["retry-after"] == "5"


async def test_sign_in_without_configured_client_ids_answers_503(
    local_settings: Settings, gateway: Gateway
) -> None:
    settings = with_addon_sign_in(local_settings, google_client_ids=[])

    response = await post_token(settings, gateway, {"idToken": GOOGLE.id_token("a@example.com")})

    assert problem(response) == (
        503,
        "not-configured",
        "Google sign-in is not configured: set GOOGLE_CLIENT_IDS on the server.",
    )


async def test_production_without_a_token_secret_cannot_sign_in(
    database_url: str, gateway: Gateway
) -> None:
    clerk_only = {
        "token_secret": None,
        "google_client_ids": [],
        "clerk_issuer": "https://clerk.sheetbrain.test",
        "clerk_authorized_parties": ["https://app.sheetbrain.test"],
    }
    settings = addon_production_settings(database_url=database_url, **clerk_only)

    response = await post_token(settings, gateway, {"refreshToken": "any"})

    assert problem(response) == (
        503,
        "not-configured",
        "Add-on sign-in is not configured: set SHEETBRAIN_TOKEN_SECRET on the server.",
    )


async def test_local_mode_signs_in_without_a_configured_token_secret(
    client: AsyncTestClient[Litestar],
) -> None:
    user = unique_id("user")
    login = await client.post("/api/auth/debug-login", json={"userId": user})

    response = await client.get("/api/auth/me", headers=bearer(login.json()["accessToken"]))

    assert response.status_code == 200
    assert response.json()["user"]["id"] == user


@pytest.mark.parametrize(
    "body",
    [{}, {"idToken": "a", "refreshToken": "b"}, {"idToken": ""}, {"idToken": 42}],
    ids=["neither", "both", "empty", "not-a-string"],
)
async def test_a_token_request_needs_exactly_one_token(
    addon: AsyncTestClient[Litestar], body: dict[str, Any]
) -> None:
    response = await addon.post("/api/auth/token", json=body)

    status, code, _ = problem(response)
    assert (status, code) == (400, "bad-request")


# ---------------------------------------------------------------- refresh tokens


async def test_a_refresh_token_is_exchanged_for_new_tokens(
    addon: AsyncTestClient[Litestar], signed_in: SignedIn
) -> None:
    first = signed_in.tokens

    response = await addon.post("/api/auth/token", json={"refreshToken": first["refreshToken"]})

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["refreshToken"] != first["refreshToken"]
    claims = access_claims(body["accessToken"])
    assert (claims["sub"], claims["orgId"], claims["sid"]) == (
        signed_in.user,
        signed_in.org,
        access_claims(first["accessToken"])["sid"],
    )


async def test_reusing_a_rotated_refresh_token_revokes_the_whole_sign_in(
    addon: AsyncTestClient[Litestar], signed_in: SignedIn
) -> None:
    first = signed_in.tokens
    second = (
        await addon.post("/api/auth/token", json={"refreshToken": first["refreshToken"]})
    ).json()

    reuse = await addon.post("/api/auth/token", json={"refreshToken": first["refreshToken"]})
    after = await addon.post("/api/auth/token", json={"refreshToken": second["refreshToken"]})

    assert problem(reuse) == (
        401,
        "unauthorized",
        "This refresh token was already used, so every token of this sign-in has been "
        "revoked. Sign in again.",
    )
    assert problem(after) == (
        401,
        "unauthorized",
        "This sign-in has ended (signed out, or no longer a member). Sign in again.",
    )


async def test_an_unknown_refresh_token_is_refused(addon: AsyncTestClient[Litestar]) -> None:
    response = await addon.post("/api/auth/token", json={"refreshToken": "made-up"})

    assert problem(response) == (
        401,
        "unauthorized",
        "The refresh token is not valid. Sign in again.",
    )


# ---------------------------------------------------------------- logout and me


@pytest.mark.parametrize(
    "credential",
    [
        lambda tokens: {"json": {"refreshToken": tokens["refreshToken"]}},
        lambda tokens: {"headers": bearer(tokens["accessToken"])},
    ],
    ids=["with-the-refresh-token", "with-the-access-token"],
)
async def test_logout_ends_the_sign_in(
    addon: AsyncTestClient[Litestar],
    signed_in: SignedIn,
    credential: Callable[[dict[str, Any]], dict[str, Any]],
) -> None:
    tokens = signed_in.tokens

    response = await addon.post("/api/auth/logout", **credential(tokens))
    refresh = await addon.post("/api/auth/token", json={"refreshToken": tokens["refreshToken"]})

    assert (response.status_code, response.json()) == (200, {"success": True, "revoked": 1})
    assert problem(refresh)[:2] == (401, "unauthorized")


async def test_logout_without_a_token_is_refused(addon: AsyncTestClient[Litestar]) -> None:
    response = await addon.post("/api/auth/logout")

    assert problem(response) == (
        401,
        "unauthorized",
        "Send the refreshToken to revoke, or a SheetBrain access token.",
    )


async def test_me_answers_the_user_with_organization_and_role(
    addon: AsyncTestClient[Litestar], signed_in: SignedIn
) -> None:
    response = await addon.get("/api/auth/me", headers=bearer(signed_in.tokens["accessToken"]))

    assert response.status_code == 200
    assert response.json() == {
        "user": {"id": signed_in.user, "email": signed_in.email, "name": None},
        "organization": {
            "id": signed_in.org,
            "name": None,
            "role": "editor",
            "orgRole": "org:member",
            "personal": False,
        },
    }


async def test_me_answers_a_caller_named_by_local_headers(
    client: AsyncTestClient[Litestar],
) -> None:
    user = unique_id("user")

    response = await client.get("/api/auth/me", headers={"x-user-id": user})

    assert response.status_code == 200
    assert response.json() == {
        "user": {"id": user, "email": None, "name": None},
        "organization": {
            "id": user,
            "name": None,
            "role": "admin",
            "orgRole": "org:admin",
            "personal": True,
        },
    }


async def test_me_without_credentials_is_refused(addon: AsyncTestClient[Litestar]) -> None:
    response = await addon.get("/api/auth/me")

    assert problem(response) == (401, "unauthorized", "Send Authorization: Bearer <token>.")


async def test_a_tampered_access_token_is_refused(
    addon: AsyncTestClient[Litestar], signed_in: SignedIn
) -> None:
    token = tampered(signed_in.tokens["accessToken"], role="admin")

    response = await addon.get("/api/auth/me", headers=bearer(token))

    assert problem(response) == (401, "unauthorized", "The access token is invalid.")


# ---------------------------------------------------------------- production mode


async def test_production_accepts_sheetbrain_access_tokens(
    production: AsyncTestClient[Litestar], gateway: Gateway
) -> None:
    user, _, email = await synced_member(gateway)
    tokens = await sign_in(production, email)

    response = await production.get("/api/auth/me", headers=bearer(tokens["accessToken"]))

    assert response.status_code == 200
    assert response.json()["user"]["id"] == user


async def test_debug_login_does_not_exist_outside_local_mode(
    production: AsyncTestClient[Litestar],
) -> None:
    response = await production.post(
        "/api/auth/debug-login",
        json={"userId": "user_1", "email": "a@example.com", "orgId": "org_1", "role": "admin"},
    )

    assert problem(response) == (404, "not-found", "No route /api/auth/debug-login.")


async def test_debug_login_outside_local_mode_answers_404_before_reading_the_body(
    production: AsyncTestClient[Litestar],
) -> None:
    response = await production.post("/api/auth/debug-login", content=b"not json")

    assert problem(response)[:2] == (404, "not-found")


# ---------------------------------------------------------------- local debug login


async def test_debug_login_signs_in_the_named_user_in_local_mode(
    addon: AsyncTestClient[Litestar],
) -> None:
    user, org = unique_id("user"), unique_id("org")

    response = await addon.post(
        "/api/auth/debug-login",
        json={"userId": user, "email": f"{user}@example.com", "orgId": org, "role": "viewer"},
    )

    assert response.status_code == 200
    claims = access_claims(response.json()["accessToken"])
    assert (claims["sub"], claims["orgId"], claims["role"], claims["orgRole"]) == (
        user,
        org,
        "viewer",
        "org:viewer",
    )


async def test_a_debug_login_refresh_token_refreshes(addon: AsyncTestClient[Litestar]) -> None:
    user = unique_id("user")
    login = (await addon.post("/api/auth/debug-login", json={"userId": user})).json()

    response = await addon.post("/api/auth/token", json={"refreshToken": login["refreshToken"]})

    assert response.status_code == 200
    claims = access_claims(response.json()["accessToken"])
    assert (claims["sub"], claims["orgId"], claims["role"]) == (user, user, "admin")


async def test_debug_login_refuses_an_id_with_control_characters(
    addon: AsyncTestClient[Litestar],
) -> None:
    response = await addon.post("/api/auth/debug-login", json={"userId": "user\r\n1"})

    assert problem(response)[:2] == (400, "bad-request")


async def test_debug_login_refuses_an_unknown_role(addon: AsyncTestClient[Litestar]) -> None:
    response = await addon.post(
        "/api/auth/debug-login", json={"userId": unique_id("user"), "role": "owner"}
    )

    assert problem(response)[:2] == (400, "bad-request")
