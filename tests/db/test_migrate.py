"""Local mode's migrator applies what `supabase db push --include-seed` applies, once."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from sheetbrain.settings import REPO_ROOT, Settings
from sheetbrain.store.connect import migrate_database, prepare_database
from sheetbrain.store.migrate import apply_migrations, discover_migrations, pending_versions

pytestmark = [pytest.mark.db, pytest.mark.slow]

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


def count(conninfo: str, table: str) -> int:
    with psycopg.connect(conninfo) as conn:
        row = conn.execute(f"select count(*) from public.{table}").fetchone()
    assert row is not None
    return int(row[0])


def settings_for(conninfo: str, **values: object) -> Settings:
    return Settings(database_url=conninfo, _env_file=None, **values)  # type: ignore[arg-type]


def test_the_seed_creates_plans_and_templates_but_no_account(empty_database: str) -> None:
    apply_migrations(empty_database, SUPABASE_DIR)

    tables = ("plans", "policy_templates", "organizations", "users")
    assert [count(empty_database, table) for table in tables] == [3, 7, 0, 0]


def test_local_mode_start_up_creates_the_demo_admin_once(empty_database: str) -> None:
    prepare_database(settings_for(empty_database))
    prepare_database(settings_for(empty_database))

    with psycopg.connect(empty_database) as conn:
        rows = conn.execute(
            "select o.name, u.email, u.name, m.role from public.organization_memberships m"
            " join public.organizations o on o.id = m.organization_id"
            " join public.users u on u.id = m.user_id"
            " where o.clerk_org_id = 'org_demo' and u.clerk_user_id = 'user_demo'"
        ).fetchall()
    assert rows == [("Demo Organization", "demo@example.com", "Demo User", "org:admin")]


def test_db_migrate_creates_no_demo_account(empty_database: str) -> None:
    migrate_database(settings_for(empty_database))

    assert count(empty_database, "organizations") == 0


def test_a_production_start_creates_no_demo_account(empty_database: str) -> None:
    apply_migrations(empty_database, SUPABASE_DIR)
    production = settings_for(
        empty_database,
        mode="production",
        host="0.0.0.0",
        google_client_ids=["client.apps.googleusercontent.com"],
        token_secret="a-production-token-secret-of-32-bytes-or-more",
    )

    prepare_database(production)

    assert count(empty_database, "organizations") == 0


def test_pending_versions_lists_files_not_yet_applied() -> None:
    versions = [m.version for m in discover_migrations(SUPABASE_DIR)]

    assert pending_versions(versions[:-1], SUPABASE_DIR) == versions[-1:]


def test_where_pg_cron_cannot_run_the_schedule_migration_changes_nothing_and_says_why(
    empty_database: str,
) -> None:
    apply_migrations(empty_database, SUPABASE_DIR)
    migration = next(SUPABASE_DIR.glob("migrations/*_pg_cron_enabled_as_documented.sql"))
    notices: list[str] = []

    with psycopg.connect(empty_database, autocommit=True) as conn:
        conn.add_notice_handler(lambda notice: notices.append(notice.message_primary or ""))
        installed = conn.execute(
            "select exists (select 1 from pg_available_extensions where name = 'pg_cron')"
        ).fetchone()
        conn.execute(migration.read_text())
        cron_schemas = conn.execute(
            "select count(*) from pg_namespace where nspname = 'cron'"
        ).fetchone()

    # Not installed here (CI), or installed but not preloaded: either way, a no-op.
    expected = (
        "pg_cron cannot be enabled here ("
        if installed == (True,)
        else "pg_cron is not available: retention jobs not scheduled"
    )
    assert len(notices) == 1
    assert notices[0].startswith(expected)
    assert cron_schemas == (0,)
