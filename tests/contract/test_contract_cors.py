"""The Lit sidebar calls the API with the browser's `fetch` from the page the Apps Script
HTML service serves, on https://n-<id>-0lu-script.googleusercontent.com: production
allows those origins without configuration, and no others."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from sheetbrain.app import create_app
from sheetbrain.settings import Settings
from sheetbrain.store.gateway import Gateway
from support.cors import preflight

pytestmark = pytest.mark.db

SIDEBAR_ORIGIN = (
    "https://n-3f6kqmxbl5hv2b4gq7ztxnquzgozcx2c3rakxoi-0lu-script.googleusercontent.com"
)


async def test_production_grants_the_addon_sidebars_origin_without_configuration(
    production_settings: Settings, gateway: Gateway
) -> None:
    headers = await preflight(production_settings, gateway, SIDEBAR_ORIGIN)

    assert headers["access-control-allow-origin"] == SIDEBAR_ORIGIN
    assert "POST" in headers["access-control-allow-methods"]


async def test_the_sidebars_response_carries_the_grant_the_browser_checks(
    production_settings: Settings, gateway: Gateway
) -> None:
    async with AsyncTestClient(app=create_app(production_settings, gateway=gateway)) as client:
        response = await client.get("/api/health", headers={"Origin": SIDEBAR_ORIGIN})

    assert response.headers["access-control-allow-origin"] == SIDEBAR_ORIGIN


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "https://googleusercontent.com.evil.example",
        "http://n-abc-0lu-script.googleusercontent.com",
        "https://a.b.googleusercontent.com",
    ],
    ids=["other-site", "lookalike-suffix", "plain-http", "nested-subdomain"],
)
async def test_production_grants_no_other_origin(
    production_settings: Settings, gateway: Gateway, origin: str
) -> None:
    headers = await preflight(production_settings, gateway, origin)

    assert "access-control-allow-origin" not in headers


async def test_a_configured_pattern_replaces_the_default(
    production_settings: Settings, gateway: Gateway
) -> None:
    settings = production_settings.model_copy(
        update={"cors_origin_regex": r"https://sheets\.example\.com"}
    )

    granted = await preflight(settings, gateway, "https://sheets.example.com")
    refused = await preflight(settings, gateway, SIDEBAR_ORIGIN)

    assert granted["access-control-allow-origin"] == "https://sheets.example.com"
    assert "access-control-allow-origin" not in refused


async def test_local_mode_grants_no_origin_by_default(
    local_settings: Settings, gateway: Gateway
) -> None:
    headers = await preflight(local_settings, gateway, SIDEBAR_ORIGIN)

    assert "access-control-allow-origin" not in headers
