"""Builds the gateway the settings ask for: psycopg (local/direct) or supabase-py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool
from supabase import AsyncClientOptions, acreate_client

from sheetbrain.identity import DEMO_IDENTITY
from sheetbrain.settings import Settings
from sheetbrain.store.actor import actor
from sheetbrain.store.embedded import start_embedded_postgres
from sheetbrain.store.errors import Unavailable
from sheetbrain.store.gateway import Gateway
from sheetbrain.store.migrate import apply_migrations
from sheetbrain.store.postgres import PostgresTransport
from sheetbrain.store.postgrest import SupabaseTransport

CONNECT_TIMEOUT_SECONDS = 5


def prepare_database(settings: Settings) -> str | None:
    """Find (or start) the database and, in local mode, migrate it and make sure the
    demo account exists.

    Returns the psycopg connection string, or None when the service talks to PostgREST.
    Raises Unavailable with a one-line reason when the database cannot be reached.
    """
    if settings.transport == "supabase":
        return None
    if settings.mode != "local":
        return _reachable(_conninfo(settings))
    conninfo = migrate_database(settings)
    with _translated_connection_errors():
        create_demo_account(conninfo)
    return conninfo


def migrate_database(settings: Settings) -> str:
    """Apply the platform shim, pending migrations and the seed (what `supabase db push
    --include-seed` applies); returns the connection string."""
    conninfo = _reachable(_conninfo(settings))
    with _translated_connection_errors():
        apply_migrations(conninfo, settings.supabase_dir)
    return conninfo


def create_demo_account(conninfo: str) -> None:
    """Local mode's demo organization and its admin (what `/admin` shows by default).
    The seed creates no account, so a hosted project never gets one."""
    with psycopg.connect(conninfo, connect_timeout=CONNECT_TIMEOUT_SECONDS) as conn:
        # A local identity is an operator's statement, not a token's claim: the
        # database takes its role (the demo user is the admin).
        conn.execute("select public.provision_actor(%s)", (Jsonb(actor(DEMO_IDENTITY)),))


def _conninfo(settings: Settings) -> str:
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    return start_embedded_postgres(settings.data_dir)


def _reachable(conninfo: str) -> str:
    with (
        _translated_connection_errors(),
        psycopg.connect(conninfo, connect_timeout=CONNECT_TIMEOUT_SECONDS) as conn,
    ):
        conn.execute("select 1")
    return conninfo


@contextmanager
def _translated_connection_errors() -> Iterator[None]:
    try:
        yield
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise Unavailable(message=f"cannot reach the database: {reason}") from exc


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
    if settings.supabase_url is None or settings.supabase_secret_key is None:
        raise ValueError("the supabase transport needs SUPABASE_URL and SUPABASE_SECRET_KEY")
    client = await acreate_client(
        settings.supabase_url,
        settings.supabase_secret_key.get_secret_value(),
        AsyncClientOptions(postgrest_client_retry=False, auto_refresh_token=False),
    )
    return Gateway(SupabaseTransport(client))
