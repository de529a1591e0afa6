"""A database nothing listens for: the loopback's port 9, where connections are refused."""

from __future__ import annotations

from typing import Any

from psycopg_pool import AsyncConnectionPool

from sheetbrain.store.gateway import Gateway
from sheetbrain.store.postgres import PostgresTransport

CLOSED_PORT_URL = "postgresql://postgres@127.0.0.1:9/postgres?connect_timeout=1"


async def unreachable_gateway() -> Gateway:
    """A gateway whose pool opens without waiting and then never gets a connection.

    The caller closes it."""
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        CLOSED_PORT_URL, min_size=0, max_size=1, timeout=1, open=False
    )
    await pool.open(wait=False)
    return Gateway(PostgresTransport(pool))
