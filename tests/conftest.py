"""Shared fixtures: one real, freshly migrated Postgres database per test session.

`SHEETBRAIN_TEST_DATABASE_URL` names a database already migrated by the Supabase CLI
(what `scripts/test` does); without it, a uniquely named copy of the session's migrated
template is created on the local server and dropped at the end. The template is
migrated once, by the service's own migrator, and copied for every database a test
needs (`create database ... template`), which takes a fraction of a migration.
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
def new_database(template: str | None = None) -> Iterator[str]:
    """A new, uniquely named database (a copy of `template` when given); dropped after."""
    name = f"sheetbrain_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    copied = f' template "{template}"' if template else ""
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'create database "{name}"{copied}')
    try:
        yield _with_database(ADMIN_URL, name)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(scope="session")
def migrated_template() -> Iterator[str]:
    """The name of a database with every migration and the seed, which nothing connects
    to once migrated (Postgres copies a template only while it has no connections)."""
    with new_database() as url:
        apply_migrations(url, SUPABASE_DIR)
        yield url.rpartition("/")[2]


@pytest.fixture(scope="session")
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    given = os.environ.get("SHEETBRAIN_TEST_DATABASE_URL")
    if given:
        yield given
        return
    with new_database(request.getfixturevalue("migrated_template")) as url:
        yield url


@pytest.fixture
def reader(database_url: str) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
    """Reads what the app committed (autocommit: every query sees the latest rows)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def private_database_url(migrated_template: str) -> Iterator[str]:
    """For tests whose assertions cover the whole database (global cleanups)."""
    with new_database(migrated_template) as url:
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
