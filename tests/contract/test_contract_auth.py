"""Sign-in as the add-ons do it, and the hole they relied on staying closed."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from contract.addon import APPS_SCRIPT_USER_AGENT, assert_error_body, load_request, replay
from contract.conftest import GOOGLE, AddonSession
from sheetbrain.app import create_app
from sheetbrain.settings import Settings
from sheetbrain.store import tokens as token_store
from sheetbrain.store.gateway import Gateway
from support.google_id_tokens import OTHER_CLIENT_ID
from support.ids import unique_id

pytestmark = pytest.mark.db

JSON_HEADERS = {"Content-Type": "application/json", "User-Agent": APPS_SCRIPT_USER_AGENT}


async def synced_user_email(gateway: Gateway) -> str:
    """A user Clerk's webhooks synced into a team organization; answers their email."""
    user = unique_id("user")
    await token_store.provision_identity(
        gateway,
        clerk_user_id=user,
        clerk_org_id=unique_id("org"),
        org_role="org:member",
        email=f"{user}@example.com",
        personal=False,
    )
    return f"{user}@example.com"


async def exchange(client: AsyncTestClient[Litestar], id_token: str) -> Any:
    return await client.post("/api/auth/token", json={"idToken": id_token}, headers=JSON_HEADERS)


async def test_debug_login_answers_the_access_token_the_deployed_addon_reads(
    session: AddonSession,
) -> None:
    assert isinstance(session.access_token, str)
    assert session.access_token.count(".") == 2


@pytest.mark.parametrize(
    ("user_id", "org_id"),
    [
        ("{email}", "{org} Finance & Ops"),
        ("{user}", "{org} Société Générale (FR) #1"),
    ],
    ids=["email-as-user-id", "organisation-name-as-org-id"],
)
async def test_debug_login_accepts_the_ids_the_standalone_addon_really_sends(
    service: AsyncTestClient[Litestar],
    db: psycopg.Connection[tuple[Any, ...]],
    user_id: str,
    org_id: str,
) -> None:
    user = unique_id("user")
    email = f"{user}+sheets@example.com"
    names = {"email": email, "user": user, "org": unique_id("org")}
    user_id, org_id = user_id.format(**names), org_id.format(**names)
    login = load_request("debug_login", userId=user_id, email=email, orgId=org_id)

    response = await replay(service, login, token=None)
    me = await service.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {response.json()['accessToken']}"}
    )

    assert response.status_code == 200
    assert (me.json()["user"]["id"], me.json()["user"]["email"]) == (user_id, email)
    assert me.json()["organization"]["id"] == org_id
    stored = db.execute(
        "select u.clerk_user_id, o.clerk_org_id from public.organization_memberships m"
        " join public.users u on u.id = m.user_id"
        " join public.organizations o on o.id = m.organization_id"
        " where u.clerk_user_id = %s",
        (user_id,),
    ).fetchall()
    assert stored == [(user_id, org_id)]


@pytest.mark.parametrize(
    "org_id",
    ["org\nwith a line break", "org\u0000nul", "   ", "o" * 257],
    ids=["line-break", "nul", "blank", "too-long"],
)
async def test_debug_login_refuses_an_org_id_with_control_characters_blank_or_too_long(
    service: AsyncTestClient[Litestar], org_id: str
) -> None:
    login = load_request("debug_login", userId=unique_id("user"), email="x@example.com")
    body = {**login.body, "orgId": org_id}

    response = await replay(
        service, type(login)(login.method, login.path, login.headers, body), None
    )

    assert_error_body(response, 400)
    assert "accessToken" not in response.json()


async def test_the_original_refresh_call_answers_success_and_new_tokens(
    service: AsyncTestClient[Litestar], session: AddonSession
) -> None:
    response = await service.post(
        "/api/auth/token", json={"refreshToken": session.refresh_token}, headers=JSON_HEADERS
    )

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert isinstance(body["accessToken"], str)
    assert isinstance(body["refreshToken"], str)


async def test_me_answers_the_user_with_its_organization(
    service: AsyncTestClient[Litestar], session: AddonSession
) -> None:
    response = await service.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {session.access_token}"}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["user"]["id"], body["user"]["email"]) == (session.user_id, session.email)
    assert (body["organization"]["id"], body["organization"]["role"]) == (
        session.org_id,
        "editor",
    )


async def test_a_google_id_token_is_exchanged_for_tokens_the_addon_sends(
    service: AsyncTestClient[Litestar], gateway: Gateway
) -> None:
    email = await synced_user_email(gateway)

    response = await exchange(service, GOOGLE.id_token(email))
    me = await service.get(
        "/api/auth/me", headers={"Authorization": f"Bearer {response.json()['accessToken']}"}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["success"], body["tokenType"], body["expiresIn"]) == (True, "Bearer", 900)
    assert isinstance(body["refreshToken"], str)
    assert me.json()["user"]["email"] == email


@pytest.mark.parametrize(
    "overrides",
    [{"exp": 1_700_000_000, "iat": 1_699_996_400}, {"aud": OTHER_CLIENT_ID}],
    ids=["expired", "wrong-audience"],
)
async def test_an_id_token_that_is_not_for_us_gets_no_token(
    service: AsyncTestClient[Litestar], gateway: Gateway, overrides: dict[str, Any]
) -> None:
    email = await synced_user_email(gateway)

    response = await exchange(service, GOOGLE.id_token(email, **overrides))

    assert_error_body(response, 401)
    assert "accessToken" not in response.json()


async def test_a_forged_id_token_gets_no_token(
    service: AsyncTestClient[Litestar], gateway: Gateway
) -> None:
    email = await synced_user_email(gateway)
    forged = type(GOOGLE)(kid=GOOGLE.kid).id_token(email)

    response = await exchange(service, forged)

    assert_error_body(response, 401)


async def test_an_id_token_for_an_unknown_email_gets_403(
    service: AsyncTestClient[Litestar],
) -> None:
    response = await exchange(service, GOOGLE.id_token(f"{unique_id('nobody')}@example.com"))

    assert_error_body(response, 403)


async def test_a_replayed_refresh_token_ends_the_sign_in(
    service: AsyncTestClient[Litestar], session: AddonSession
) -> None:
    first = await service.post(
        "/api/auth/token", json={"refreshToken": session.refresh_token}, headers=JSON_HEADERS
    )
    replayed = await service.post(
        "/api/auth/token", json={"refreshToken": session.refresh_token}, headers=JSON_HEADERS
    )
    newest = await service.post(
        "/api/auth/token",
        json={"refreshToken": first.json()["refreshToken"]},
        headers=JSON_HEADERS,
    )

    assert first.status_code == 200
    assert_error_body(replayed, 401)
    assert_error_body(newest, 401)


async def test_debug_login_is_refused_outside_local_mode(
    production_settings: Settings, gateway: Gateway
) -> None:
    settings = production_settings
    login = load_request("debug_login", userId="user_x", email="x@example.com", orgId="org_x")

    async with AsyncTestClient(app=create_app(settings, gateway=gateway)) as client:
        response = await replay(client, login, token=None)

    assert_error_body(response, 404)
    assert "accessToken" not in response.json()
