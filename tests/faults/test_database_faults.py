"""When the database goes away the API answers 503, and recovers by itself."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient

from sheetbrain.app import create_app
from sheetbrain.settings import Settings
from support.clients import LOOPBACK
from support.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.db, pytest.mark.slow]

APPLICATION_NAME = "sheetbrain_fault_test"


def through(proxy: TcpProxy, database_url: str) -> str:
    parts = urlsplit(database_url)
    netloc = f"{parts.username or 'postgres'}@127.0.0.1:{proxy.port}"
    return urlunsplit(parts._replace(netloc=netloc, query="connect_timeout=1"))


def terminate_service_connections(database_url: str) -> int:
    with psycopg.connect(database_url, autocommit=True) as admin:
        rows = admin.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity where application_name = %s",
            (APPLICATION_NAME,),
        ).fetchall()
    return len(rows)


async def ready_within(client: AsyncTestClient[Litestar], seconds: float) -> Response:
    """The first 200 from /ready, or the last answer when the deadline passes."""
    deadline = time.monotonic() + seconds
    while True:
        response = await client.get("/ready")
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.2)


@pytest.fixture
def proxy(database_url: str) -> Iterator[TcpProxy]:
    parts = urlsplit(database_url)
    tcp_proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    tcp_proxy.restore()
    yield tcp_proxy
    tcp_proxy.cut()


async def test_a_database_outage_gives_503_and_recovery_needs_no_restart(
    proxy: TcpProxy, database_url: str, local_settings: Settings
) -> None:
    app = create_app(local_settings, conninfo=through(proxy, database_url))

    async with AsyncTestClient(app=app, base_url=LOOPBACK) as client:
        before = await client.get("/ready")
        proxy.cut()
        during = await client.get("/ready")
        proxy.restore()
        after = await ready_within(client, seconds=15)

    assert before.status_code == 200
    assert (during.status_code, during.headers.get("retry-after")) == (503, "5")
    assert during.headers["content-type"] == "application/problem+json"
    assert during.json()["database"] == "unreachable"
    assert after.status_code == 200


async def test_connections_killed_while_idle_are_replaced_transparently(
    database_url: str, local_settings: Settings
) -> None:
    app = create_app(local_settings, conninfo=f"{database_url}?application_name={APPLICATION_NAME}")

    async with AsyncTestClient(app=app, base_url=LOOPBACK) as client:
        before = await client.get("/ready")
        killed = terminate_service_connections(database_url)
        after = await client.get("/ready")

    assert killed >= 1
    assert (before.status_code, after.status_code) == (200, 200)
