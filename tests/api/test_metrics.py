"""GET /metrics: Prometheus text, open in local mode, a bearer token when configured."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from prometheus_client import REGISTRY
from pydantic import SecretStr

from sheetbrain.app import create_app
from sheetbrain.metrics import AI_CALLS, AUDITS
from sheetbrain.settings import Settings
from sheetbrain.store.gateway import Gateway
from support.clients import LOOPBACK
from support.ids import unique_id

pytestmark = pytest.mark.db

TOKEN = "metrics-token-for-tests-0123456789"


async def serve(settings: Settings, gateway: Gateway) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(
        app=create_app(settings, gateway=gateway), base_url=LOOPBACK
    ) as client:
        yield client


@pytest.fixture
async def guarded(
    local_settings: Settings, gateway: Gateway
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    settings = local_settings.model_copy(update={"metrics_token": SecretStr(TOKEN)})
    async for client in serve(settings, gateway):
        yield client


@pytest.fixture
async def production(
    local_settings: Settings, gateway: Gateway, database_url: str
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    settings = local_settings.model_copy(
        update={"mode": "production", "database_url": SecretStr(database_url)}
    )
    async for client in serve(settings, gateway):
        yield client


async def test_metrics_are_prometheus_text(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert "# TYPE sheetbrain_audits_total counter" in response.text


async def test_requests_are_counted_by_route_template_and_status(
    client: AsyncTestClient[Litestar],
) -> None:
    labels = {"method": "GET", "path": "/api/stats", "status_code": "200", "app_name": "sheetbrain"}
    before = REGISTRY.get_sample_value("sheetbrain_requests_total", labels) or 0.0
    headers = {"x-user-id": unique_id("user"), "x-user-org": unique_id("org")}

    await client.get("/api/stats", headers=headers)
    await client.get("/api/stats", headers=headers)
    text = (await client.get("/metrics")).text

    assert REGISTRY.get_sample_value("sheetbrain_requests_total", labels) == before + 2
    assert "sheetbrain_request_duration_seconds_bucket{" in text


async def test_database_calls_are_timed_per_function(client: AsyncTestClient[Litestar]) -> None:
    labels = {"function": "org_rate_limit"}
    before = REGISTRY.get_sample_value("sheetbrain_db_rpc_seconds_count", labels) or 0.0
    headers = {"x-user-id": unique_id("user"), "x-user-org": unique_id("org")}

    await client.get("/api/stats/rate-limit", headers=headers)

    assert REGISTRY.get_sample_value("sheetbrain_db_rpc_seconds_count", labels) == before + 1


async def test_feature_counters_appear_once_incremented(client: AsyncTestClient[Litestar]) -> None:
    AUDITS.inc()
    AI_CALLS.labels(status="ok").inc()

    text = (await client.get("/metrics")).text

    assert 'sheetbrain_ai_calls_total{status="ok"}' in text
    assert "sheetbrain_audits_total " in text


async def test_with_a_token_the_scraper_must_send_it(guarded: AsyncTestClient[Litestar]) -> None:
    response = await guarded.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})

    assert response.status_code == 200


async def test_with_a_token_a_scrape_without_it_is_unauthorized(
    guarded: AsyncTestClient[Litestar],
) -> None:
    response = await guarded.get("/metrics")

    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == 'Bearer realm="sheetbrain-metrics"'


async def test_with_a_token_a_wrong_one_is_unauthorized(
    guarded: AsyncTestClient[Litestar],
) -> None:
    response = await guarded.get("/metrics", headers={"Authorization": "Bearer wrong"})

    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert TOKEN not in response.text


async def test_in_production_without_a_token_metrics_do_not_exist(
    production: AsyncTestClient[Litestar],
) -> None:
    response = await production.get("/metrics")

    assert response.status_code == 404
    assert response.json()["code"] == "not-found"
