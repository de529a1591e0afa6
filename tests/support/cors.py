"""A browser's CORS preflight, as asked before a cross-origin POST with a bearer token."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from sheetbrain.app import create_app
from sheetbrain.settings import Settings
from sheetbrain.store.gateway import Gateway


async def preflight(settings: Settings, gateway: Gateway, origin: str) -> dict[str, str]:
    """The response headers the app answers the preflight of `POST /api/audit` with."""
    async with AsyncTestClient(app=create_app(settings, gateway=gateway)) as client:
        response = await client.options(
            "/api/audit",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
    return dict(response.headers)
