"""Builds the gateway the settings ask for: psycopg (local/direct) or supabase-py."""

from __future__ import annotations

import psycopg
from psycopg_pool import AsyncConnectionPool
from supabase import AsyncClientOptions, acreate_client

from sheetbrain.settings import Settings
from sheetbrain.store.embedded import start_embedded_postgres
from sheetbrain.store.errors import Unavailable
from sheetbrain.store.gateway import Gateway
from sheetbrain.store.migrate import apply_migrations
from sheetbrain.store.postgres import PostgresTransport
from sheetbrain.store.postgrest import SupabaseTransport

CONNECT_TIMEOUT_SECONDS = 5


def prepare_database(settings: Settings) -> str | None:
    """Find (or start) the database and, in local mode, migrate it.

    Returns the psycopg connection string, or None when the service talks to PostgREST.
    Raises Unavailable with a one-line reason when the database cannot be reached.
    """
    if settings.transport == "supabase":
        return None
    if settings.database_url is not None:
        conninfo = settings.database_url.get_secret_value()
    else:
        conninfo = start_embedded_postgres(settings.data_dir)
    try:
        with psycopg.connect(conninfo, connect_timeout=CONNECT_TIMEOUT_SECONDS) as conn:
            conn.execute("select 1")
        if settings.mode == "local":
            apply_migrations(conninfo, settings.supabase_dir)
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise Unavailable(message=f"cannot reach the database: {reason}") from exc
    return conninfo


async def open_gateway(settings: Settings, conninfo: str | None) -> Gateway:
    """Open the transport's connections; call `Gateway.close()` when done."""
    if conninfo is not None:
        pool: AsyncConnectionPool[psycopg.AsyncConnection[tuple[object, ...]]] = (
            AsyncConnectionPool(
                conninfo,
                min_size=1,
                max_size=settings.database_pool_size,
                timeout=CONNECT_TIMEOUT_SECONDS,
                kwargs={"autocommit": True, "prepare_threshold": None},
                open=False,
            )
        )
        await pool.open(wait=False)
        return Gateway(PostgresTransport(pool))
    if settings.supabase_url is None or settings.supabase_service_role_key is None:
        raise ValueError("the supabase transport needs SUPABASE_URL and its service-role key")
    client = await acreate_client(
        settings.supabase_url,
        settings.supabase_service_role_key.get_secret_value(),
        AsyncClientOptions(postgrest_client_retry=False, auto_refresh_token=False),
    )
    secret = settings.supabase_jwt_secret
    return Gateway(SupabaseTransport(client, secret.get_secret_value() if secret else None))
