"""Local mode answers only loopback Host values, so DNS rebinding cannot reach it."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from sheetbrain.app import create_app
from sheetbrain.settings import Settings
from sheetbrain.store.gateway import Gateway
from support.clients import LOOPBACK
from support.ids import unique_id
from support.production import addon_production_settings

pytestmark = pytest.mark.db


async def get_as(app_settings: Settings, gateway: Gateway, host: str, path: str) -> Any:
    """GET `path` with this Host header, as a browser would send it."""
    app = create_app(app_settings, gateway=gateway)
    async with AsyncTestClient(app=app, base_url=LOOPBACK) as client:
        who = {"x-user-id": unique_id("user"), "x-user-org": unique_id("org")}
        return await client.get(path, headers={**who, "Host": host})


@pytest.mark.parametrize("path", ["/api/billing", "/admin", "/health"])
async def test_a_page_rebound_to_loopback_is_refused_in_local_mode(
    local_settings: Settings, gateway: Gateway, path: str
) -> None:
    response = await get_as(local_settings, gateway, "rebind.attacker.example:8000", path)

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "host-not-allowed"


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost", "LOCALHOST:8000", "[::1]:8000"])
async def test_loopback_hosts_are_answered_in_local_mode(
    local_settings: Settings, gateway: Gateway, host: str
) -> None:
    response = await get_as(local_settings, gateway, host, "/api/billing")

    assert response.status_code == 200


async def test_production_answers_its_public_host(database_url: str, gateway: Gateway) -> None:
    settings = addon_production_settings(database_url=database_url)

    response = await get_as(settings, gateway, "sheetbrain.example.com", "/health")

    assert response.status_code == 200
