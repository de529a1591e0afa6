"""Liveness, readiness and the problem details every error carries."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from sheetbrain.app import create_app
from sheetbrain.settings import Settings
from sheetbrain.store.gateway import Gateway
from support.clients import LOOPBACK
from support.unreachable import unreachable_gateway

pytestmark = pytest.mark.db


async def test_health_answers_ok(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/health")

    assert response.status_code == 200
    body = response.json()
    assert (set(body), body["status"], body["version"]) == (
        {"status", "version", "timestamp"},
        "ok",
        "0.1.0",
    )


async def test_the_addon_health_path_answers_like_health(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/api/health")

    body = response.json()
    assert (set(body), body["status"], body["version"]) == (
        {"status", "version", "timestamp"},
        "ok",
        "0.1.0",
    )


async def test_ready_reports_every_migration_applied(client: AsyncTestClient[Litestar]) -> None:
    migrations = sorted(Path("supabase/migrations").glob("*.sql"))

    response = await client.get("/ready")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "database": "ok",
        "migrations": {"applied": len(migrations), "pending": []},
        "configuration": {"problems": []},
    }


async def test_ready_lists_a_migration_the_database_lacks(
    gateway: Gateway, local_settings: Settings, tmp_path: Path
) -> None:
    supabase_dir = tmp_path / "supabase"
    (supabase_dir / "migrations").mkdir(parents=True)
    for migration in Path("supabase/migrations").glob("*.sql"):
        (supabase_dir / "migrations" / migration.name).write_text("")
    (supabase_dir / "migrations" / "29990101000000_future.sql").write_text("select 1;")
    settings = local_settings.model_copy(update={"supabase_dir": supabase_dir})

    async with AsyncTestClient(
        app=create_app(settings, gateway=gateway), base_url=LOOPBACK
    ) as client:
        response = await client.get("/ready")

    assert response.status_code == 503
    assert response.json()["migrations"]["pending"] == ["29990101000000"]


@pytest.mark.slow
async def test_ready_turns_red_with_retry_after_when_the_database_is_unreachable(
    local_settings: Settings,
) -> None:
    gateway = await unreachable_gateway()

    async with AsyncTestClient(
        app=create_app(local_settings, gateway=gateway), base_url=LOOPBACK
    ) as client:
        response = await client.get("/ready")
    await gateway.close()

    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["database"] == "unreachable"


async def test_ready_names_what_a_production_configuration_lacks(
    database_url: str, gateway: Gateway
) -> None:
    complete = Settings(
        mode="production",
        host="0.0.0.0",
        database_url=database_url,
        clerk_issuer="https://clerk.example.com",
        clerk_authorized_parties=["https://app.example.com"],
        _env_file=None,  # type: ignore[call-arg]
    )
    # Built by copying, so the start-up validation never ran on it.
    lacking = complete.model_copy(update={"clerk_authorized_parties": []})

    async with AsyncTestClient(app=create_app(lacking, gateway=gateway)) as client:
        response = await client.get("/ready")

    problem = (
        "CLERK_AUTHORIZED_PARTIES must list the origins allowed to present Clerk session "
        "tokens (their azp claim) when Clerk is configured"
    )
    assert response.status_code == 503
    assert response.json()["configuration"] == {"problems": [problem]}
    assert response.json()["detail"] == f"The service is misconfigured: {problem}."


async def test_an_unknown_route_is_a_404_problem(client: AsyncTestClient[Litestar]) -> None:
    response = await client.post("/api/not-built-yet", json={})

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "urn:sheetbrain:problem:not-found",
        "title": "Not Found",
        "status": 404,
        "detail": "Not Found",
        "instance": "/api/not-built-yet",
        "code": "not-found",
        "error": "Not Found",
    }


async def test_every_response_carries_a_request_id(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/health", headers={"x-request-id": "abc-123"})

    assert response.headers["x-request-id"] == "abc-123"


async def test_an_unsafe_request_id_is_replaced(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/health", headers={"x-request-id": "bad id\nwith newline"})

    assert len(response.headers["x-request-id"]) == 32
