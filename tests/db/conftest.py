"""Fixtures for calling SQL functions through both gateway transports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import respx
from supabase import AsyncClientOptions, acreate_client

from sheetbrain.store.gateway import Gateway
from sheetbrain.store.postgrest import SupabaseTransport
from support.fake_postgrest import SERVICE_KEY, FakePostgrest

SUPABASE_URL = "http://supabase.test"


@pytest.fixture
async def fake_postgrest(database_url: str) -> AsyncIterator[FakePostgrest]:
    fake = FakePostgrest(database_url)
    with respx.mock(assert_all_called=False) as router:
        fake.install(router, SUPABASE_URL)
        yield fake


@pytest.fixture
async def supabase_gateway(fake_postgrest: FakePostgrest) -> AsyncIterator[Gateway]:
    client = await acreate_client(
        SUPABASE_URL,
        SERVICE_KEY,
        AsyncClientOptions(postgrest_client_retry=False, auto_refresh_token=False),
    )
    gateway = Gateway(SupabaseTransport(client))
    yield gateway
    await gateway.close()


@pytest.fixture(params=["psycopg", "supabase-py"])
def any_gateway(request: pytest.FixtureRequest) -> Any:
    """Each test using this runs once per transport, against the same database."""
    if request.param == "psycopg":
        return request.getfixturevalue("gateway")
    return request.getfixturevalue("supabase_gateway")
