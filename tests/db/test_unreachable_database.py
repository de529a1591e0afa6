"""A database that cannot be reached is reported as Unavailable, never as a crash."""

from __future__ import annotations

import pytest
from psycopg_pool import AsyncConnectionPool
from supabase import AsyncClientOptions, acreate_client

from sheetbrain.store.errors import Unavailable
from sheetbrain.store.gateway import Gateway
from sheetbrain.store.postgres import PostgresTransport
from sheetbrain.store.postgrest import SupabaseTransport

CLOSED_PORT_URL = "postgresql://postgres@127.0.0.1:9/postgres?connect_timeout=1"


@pytest.mark.slow
async def test_the_psycopg_transport_reports_a_closed_port_as_unavailable() -> None:
    pool = AsyncConnectionPool(CLOSED_PORT_URL, min_size=0, max_size=1, timeout=1, open=False)
    await pool.open(wait=False)
    gateway = Gateway(PostgresTransport(pool))
    try:
        with pytest.raises(Unavailable):
            await gateway.rpc("applied_migrations", {}, list[str])
    finally:
        await gateway.close()


async def test_the_supabase_transport_reports_a_closed_port_as_unavailable() -> None:
    client = await acreate_client(
        "http://127.0.0.1:9",
        "sb_secret_unused",
        AsyncClientOptions(postgrest_client_retry=False, postgrest_client_timeout=1),
    )
    gateway = Gateway(SupabaseTransport(client))
    try:
        with pytest.raises(Unavailable):
            await gateway.rpc("applied_migrations", {}, list[str])
    finally:
        await gateway.close()
