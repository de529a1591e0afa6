"""Browsers may call the API only from the origins the settings list."""

from __future__ import annotations

from sheetbrain.settings import Settings
from sheetbrain.store.gateway import Gateway
from support.cors import preflight

ADDON_ORIGIN = "https://script.google.com"


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
