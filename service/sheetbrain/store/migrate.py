"""Local mode's migrator: the Supabase CLI's `db push --include-seed`, done by the service.

Applies the platform shim (a no-op where Supabase's roles and schemas exist), then every
`supabase/migrations/<version>_<name>.sql` not yet recorded, then `seed.sql` when its hash
is new, recording them in `supabase_migrations` exactly where the CLI does, so a later
`npx supabase db push` against the same database agrees with what was applied.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

_MIGRATION_FILE = re.compile(r"^(?P<version>\d+)_(?P<name>.+)\.sql$")
# Any constant works; it only serialises replicas that start at the same moment.
_MIGRATION_LOCK_KEY = 0x5348_4545_5442


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    path: Path


@dataclass(frozen=True)
class MigrationReport:
    applied: list[str]
    seeded: bool


def discover_migrations(supabase_dir: Path) -> list[Migration]:
    """The migration files in version order, as the CLI reads them."""
    found = []
    for path in sorted((supabase_dir / "migrations").glob("*.sql")):
        match = _MIGRATION_FILE.match(path.name)
        if match:
            found.append(Migration(match["version"], match["name"], path))
    return sorted(found, key=lambda migration: migration.version)


def apply_migrations(conninfo: str, supabase_dir: Path) -> MigrationReport:
    """Bring the database at `conninfo` up to date; safe to run from several replicas."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("select pg_advisory_lock(%s)", (_MIGRATION_LOCK_KEY,))
        try:
            conn.execute((supabase_dir / "platform" / "shim.sql").read_text())
            _ensure_history_tables(conn)
            applied = _apply_pending(conn, supabase_dir)
            seeded = _apply_seed(conn, supabase_dir)
        finally:
            conn.execute("select pg_advisory_unlock(%s)", (_MIGRATION_LOCK_KEY,))
    return MigrationReport(applied=applied, seeded=seeded)


def pending_versions(applied: list[str], supabase_dir: Path) -> list[str]:
    """Versions on disk that the database has not recorded."""
    done = set(applied)
    return [m.version for m in discover_migrations(supabase_dir) if m.version not in done]


def _ensure_history_tables(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    conn.execute(
        """
        create schema if not exists supabase_migrations;
        create table if not exists supabase_migrations.schema_migrations (
            version text not null primary key);
        alter table supabase_migrations.schema_migrations
            add column if not exists statements text[],
            add column if not exists name text;
        create table if not exists supabase_migrations.seed_files (
            path text not null primary key, hash text not null);
        """
    )


def _apply_pending(conn: psycopg.Connection[tuple[object, ...]], supabase_dir: Path) -> list[str]:
    rows = conn.execute("select version from supabase_migrations.schema_migrations").fetchall()
    done = {str(row[0]) for row in rows}
    applied = []
    for migration in discover_migrations(supabase_dir):
        if migration.version in done:
            continue
        text = migration.path.read_text()
        with conn.transaction():
            conn.execute(text)
            conn.execute(
                "insert into supabase_migrations.schema_migrations (version, name, statements)"
                " values (%s, %s, %s)",
                (migration.version, migration.name, [text]),
            )
        applied.append(migration.version)
    return applied


def _apply_seed(conn: psycopg.Connection[tuple[object, ...]], supabase_dir: Path) -> bool:
    seed = supabase_dir / "seed.sql"
    if not seed.exists():
        return False
    text = seed.read_text()
    digest = hashlib.sha256(text.encode()).hexdigest()
    recorded_path = "supabase/seed.sql"  # the CLI records the path relative to the project
    row = conn.execute(
        "select hash from supabase_migrations.seed_files where path = %s", (recorded_path,)
    ).fetchone()
    if row is not None and row[0] == digest:
        return False
    with conn.transaction():
        conn.execute(text)
        conn.execute(
            "insert into supabase_migrations.seed_files (path, hash) values (%s, %s)"
            " on conflict (path) do update set hash = excluded.hash",
            (recorded_path, digest),
        )
    return True
