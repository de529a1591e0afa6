"""Browsers may call the API only from the origins the settings list."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from sheetbrain.app import create_app
from sheetbrain.settings import Settings
from sheetbrain.store.gateway import Gateway
from support.clients import LOOPBACK

ADDON_ORIGIN = "https://script.google.com"


async def preflight(settings: Settings, gateway: Gateway, origin: str) -> dict[str, str]:
    async with AsyncTestClient(
        app=create_app(settings, gateway=gateway), base_url=LOOPBACK
    ) as client:
        response = await client.options(
            "/api/audit",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        )
    return dict(response.headers)


async def test_a_listed_origin_is_allowed(local_settings: Settings, gateway: Gateway) -> None:
    settings = local_settings.model_copy(update={"cors_origins": [ADDON_ORIGIN]})

    headers = await preflight(settings, gateway, ADDON_ORIGIN)

    assert headers["access-control-allow-origin"] == ADDON_ORIGIN


async def test_another_origin_gets_no_cors_grant(
    local_settings: Settings, gateway: Gateway
) -> None:
    settings = local_settings.model_copy(update={"cors_origins": [ADDON_ORIGIN]})

    headers = await preflight(settings, gateway, "https://evil.example")

    assert "access-control-allow-origin" not in headers


async def test_without_configured_origins_no_cors_headers_are_sent(
    local_settings: Settings, gateway: Gateway
) -> None:
    headers = await preflight(local_settings, gateway, ADDON_ORIGIN)

    assert "access-control-allow-origin" not in headers
