"""Local mode's migrator applies what `supabase db push --include-seed` applies, once."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from sheetbrain.settings import REPO_ROOT
from sheetbrain.store.migrate import apply_migrations, discover_migrations, pending_versions

pytestmark = pytest.mark.db

SUPABASE_DIR = REPO_ROOT / "supabase"

ADMIN_URL = os.environ.get(
    "SHEETBRAIN_TEST_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture
def empty_database() -> Iterator[str]:
    name = f"sheetbrain_migrate_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
    try:
        yield ADMIN_URL.rpartition("/")[0] + f"/{name}"
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'drop database if exists "{name}" with (force)')


def test_a_fresh_database_gets_every_migration_recorded_like_the_cli(
    empty_database: str,
) -> None:
    report = apply_migrations(empty_database, SUPABASE_DIR)

    expected = [(m.version, m.name) for m in discover_migrations(SUPABASE_DIR)]
    with psycopg.connect(empty_database) as conn:
        recorded = conn.execute(
            "select version, name from supabase_migrations.schema_migrations order by version"
        ).fetchall()
        seed_paths = conn.execute("select path from supabase_migrations.seed_files").fetchall()
    assert report.applied == [version for version, _ in expected]
    assert report.seeded is True
    assert recorded == expected
    assert seed_paths == [("supabase/seed.sql",)]


def test_a_second_run_applies_nothing(empty_database: str) -> None:
    apply_migrations(empty_database, SUPABASE_DIR)
    second = apply_migrations(empty_database, SUPABASE_DIR)

    assert (second.applied, second.seeded) == ([], False)


def test_the_seed_loads_the_demo_organisation_once(empty_database: str) -> None:
    apply_migrations(empty_database, SUPABASE_DIR)
    apply_migrations(empty_database, SUPABASE_DIR)

    with psycopg.connect(empty_database) as conn:
        rows = conn.execute(
            "select count(*) from public.organizations where clerk_org_id = 'org_demo'"
        ).fetchone()
    assert rows == (1,)


def test_pending_versions_lists_files_not_yet_applied() -> None:
    versions = [m.version for m in discover_migrations(SUPABASE_DIR)]

    assert pending_versions(versions[:-1], SUPABASE_DIR) == versions[-1:]
