"""A production start on a 2026 Supabase project: an `sb_secret_` key and no JWT secret.

The service opens its own supabase-py gateway from the settings, exactly as in
production, and reaches the database through the PostgREST stand-in, which (like such a
project) accepts only the secret key and refuses any JWT it cannot verify.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import jwt
import pytest
import respx
from litestar import Litestar
from litestar.testing import AsyncTestClient
from postgrest import APIError
from pydantic import SecretStr
from supabase import AsyncClientOptions, acreate_client

from sheetbrain.app import create_app
from sheetbrain.store.gateway import Gateway
from support.accounts import sync
from support.fake_postgrest import SERVICE_KEY, FakePostgrest
from support.google_id_tokens import GoogleAccounts
from support.ids import unique_id
from support.production import addon_production_settings

pytestmark = pytest.mark.db

SUPABASE_URL = "http://project-ref.supabase.test"
GOOGLE = GoogleAccounts(kid="supabase-2026-google-key")
MEMBER_READS = [
    "/api/auth/me",
    "/api/policies",
    "/api/stats",
    "/api/stats/usage",
    "/api/stats/rate-limit",
    "/api/audits",
    "/admin",
]


@dataclass
class Project:
    client: AsyncTestClient[Litestar]
    postgrest: FakePostgrest


@asynccontextmanager
async def started(secret_key: str, database_url: str) -> AsyncIterator[Project]:
    postgrest = FakePostgrest(database_url)
    with respx.mock(assert_all_called=False) as router:
        postgrest.install(router, SUPABASE_URL)
        GOOGLE.serve_jwks(router)
        # No gateway passed in: the app opens supabase-py from the settings, as in production.
        settings = addon_production_settings(
            supabase_url=SUPABASE_URL, supabase_secret_key=SecretStr(secret_key)
        )
        app = create_app(settings)
        async with AsyncTestClient(app=app) as client:
            yield Project(client, postgrest)


@pytest.fixture
async def project(database_url: str) -> AsyncIterator[Project]:
    async with started(SERVICE_KEY, database_url) as started_project:
        yield started_project


async def signed_in_admin(project: Project, gateway: Gateway) -> dict[str, str]:
    """An org admin synced from Clerk, signed in through the add-on's Google exchange."""
    user = unique_id("user")
    await sync(gateway, user, unique_id("org"), "org:admin", f"{user}@example.com")
    response = await project.client.post(
        "/api/auth/token", json={"idToken": GOOGLE.id_token(f"{user}@example.com")}
    )
    assert response.status_code == 200
    return {"Authorization": f"Bearer {response.json()['accessToken']}"}


@pytest.mark.parametrize("path", MEMBER_READS)
async def test_member_reads_are_served_with_a_secret_key_and_no_jwt_secret(
    project: Project, gateway: Gateway, path: str
) -> None:
    headers = await signed_in_admin(project, gateway)

    response = await project.client.get(path, headers=headers)

    assert response.status_code == 200


async def test_every_database_call_carries_the_verified_caller_as_actor(
    project: Project, gateway: Gateway
) -> None:
    headers = await signed_in_admin(project, gateway)
    project.postgrest.calls.clear()

    await project.client.get("/api/stats", headers=headers)

    [(function, args)] = project.postgrest.calls
    assert function == "org_stats"
    assert set(args) == {"actor"}
    assert args["actor"]["org_role"] == "org:admin"


async def test_the_project_refuses_a_member_token_signed_with_a_legacy_jwt_secret(
    project: Project,
) -> None:
    client = await acreate_client(
        SUPABASE_URL,
        SERVICE_KEY,
        AsyncClientOptions(postgrest_client_retry=False, auto_refresh_token=False),
    )
    now = int(time.time())
    legacy_member_token = jwt.encode(
        {
            "sub": "user_x",
            "org_id": "org_x",
            "role": "authenticated",
            "aud": "authenticated",
            "iat": now,
            "exp": now + 60,
        },
        "the-legacy-jwt-secret-that-2026-projects-do-not-have",
        algorithm="HS256",
    )
    postgrest = client.postgrest.schema("public")
    postgrest.auth(legacy_member_token)

    with pytest.raises(APIError) as refused:
        await postgrest.rpc("get_org_stats", {"org_id": None}).execute()
    await client.postgrest.aclose()

    assert refused.value.code == "PGRST301"
    assert project.postgrest.calls == []


async def test_ready_reports_a_refused_secret_key_as_misconfiguration(database_url: str) -> None:
    async with started("sb_secret_revoked-or-mistyped", database_url) as project:
        response = await project.client.get("/ready")

    assert response.status_code == 503
    body = response.json()
    assert (body["database"], body["detail"]) == (
        "misconfigured",
        "The database API refused this service's key: check SUPABASE_SECRET_KEY.",
    )


async def test_a_refused_secret_key_answers_503_to_callers_too(database_url: str) -> None:
    async with started("sb_secret_revoked-or-mistyped", database_url) as project:
        response = await project.client.post(
            "/api/auth/token", json={"refreshToken": "any-refresh-token"}
        )

    assert (response.status_code, response.json()["code"]) == (503, "service-unavailable")
