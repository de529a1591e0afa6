"""Shared fixtures: one real, freshly migrated Postgres database per test session.

`SHEETBRAIN_TEST_DATABASE_URL` names a database already migrated by the Supabase CLI
(what `scripts/test` does); without it, a uniquely named database is created on the
local server, migrated by the service's own migrator, and dropped at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
import structlog
from litestar import Litestar
from litestar.testing import AsyncTestClient
from psycopg_pool import AsyncConnectionPool

from sheetbrain.app import create_app
from sheetbrain.settings import REPO_ROOT, Settings
from sheetbrain.store.gateway import Gateway
from sheetbrain.store.migrate import apply_migrations
from sheetbrain.store.postgres import PostgresTransport
from support.clients import LOOPBACK

ADMIN_URL = os.environ.get(
    "SHEETBRAIN_TEST_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SUPABASE_DIR = REPO_ROOT / "supabase"


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(autouse=True)
def _fresh_logging_config() -> Iterator[None]:
    """create_app() configures structlog globally (level, renderer); undo it per test."""
    yield
    structlog.reset_defaults()


@contextmanager
def migrated_database() -> Iterator[str]:
    """A new, uniquely named database with every migration and the seed; dropped after."""
    name = f"sheetbrain_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
    url = _with_database(ADMIN_URL, name)
    try:
        apply_migrations(url, SUPABASE_DIR)
        yield url
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    given = os.environ.get("SHEETBRAIN_TEST_DATABASE_URL")
    if given:
        yield given
        return
    with migrated_database() as url:
        yield url


@pytest.fixture
def reader(database_url: str) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
    """Reads what the app committed (autocommit: every query sees the latest rows)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def private_database_url() -> Iterator[str]:
    """For tests whose assertions cover the whole database (global cleanups)."""
    with migrated_database() as url:
        yield url


@pytest.fixture(scope="session")
async def pool(
    database_url: str,
) -> AsyncIterator[AsyncConnectionPool[psycopg.AsyncConnection[tuple[object, ...]]]]:
    async with AsyncConnectionPool(
        database_url,
        min_size=1,
        max_size=8,
        kwargs={"autocommit": True, "prepare_threshold": None},
        open=False,
    ) as opened:
        # The API under test runs on its own loop: have a connection ready before it asks.
        await opened.wait()
        yield opened


@pytest.fixture(scope="session")
def gateway(pool: AsyncConnectionPool[psycopg.AsyncConnection[tuple[object, ...]]]) -> Gateway:
    return Gateway(PostgresTransport(pool))


@pytest.fixture
def db(database_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """A superuser connection inside a transaction that is rolled back after the test."""
    with psycopg.connect(database_url) as conn:
        try:
            yield conn
        finally:
            conn.rollback()


@pytest.fixture
def local_settings(tmp_path: Path) -> Settings:
    return Settings(
        mode="local",
        data_dir=tmp_path,
        supabase_dir=SUPABASE_DIR,
        log_format="json",
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
async def client(
    local_settings: Settings, gateway: Gateway
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """The API in local mode, sharing the session's gateway to the test database."""
    app = create_app(local_settings, gateway=gateway)
    async with AsyncTestClient(app=app, base_url=LOOPBACK) as test_client:
        yield test_client
