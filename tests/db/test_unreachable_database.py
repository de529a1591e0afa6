"""A database that cannot be reached is reported as Unavailable, never as a crash."""

from __future__ import annotations

import pytest
from supabase import AsyncClientOptions, acreate_client

from sheetbrain.store.errors import Unavailable
from sheetbrain.store.gateway import Gateway
from sheetbrain.store.postgrest import SupabaseTransport
from support.unreachable import unreachable_gateway


@pytest.mark.slow
async def test_the_psycopg_transport_reports_a_closed_port_as_unavailable() -> None:
    gateway = await unreachable_gateway()
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
