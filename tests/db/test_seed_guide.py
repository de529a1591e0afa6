"""Every SQL statement of the original migration guide runs verbatim on our schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from support.ids import unique_id

pytestmark = pytest.mark.db

GUIDE_SQL = Path(__file__).with_name("seed_guide.sql")
GUIDE_TABLES = {
    "audit_logs",
    "audit_usage",
    "ingestion_logs",
    "organizations",
    "policies",
    "rate_limit_buckets",
    "subscriptions",
    "users",
}


def guide_statements() -> list[str]:
    text = "\n".join(
        line for line in GUIDE_SQL.read_text().splitlines() if not line.startswith("--")
    )
    return [statement.strip() for statement in text.split(";") if statement.strip()]


@pytest.fixture
def guide_org(db: psycopg.Connection[Any]) -> str:
    """An organisation with one audit log 100 days old and one from today."""
    row = db.execute(
        "select (public.provision_actor(jsonb_build_object('clerk_user_id', %s::text,"
        " 'clerk_org_id', %s::text, 'org_role', 'org:admin')) ->> 'organization_id')",
        (unique_id("user"), unique_id("org")),
    ).fetchone()
    assert row is not None
    org_id = str(row[0])
    db.execute(
        "insert into public.audit_logs (organization_id, formula_count, created_at)"
        " values (%s, 3, now() - interval '100 days'), (%s, 5, now())",
        (org_id, org_id),
    )
    db.execute("select public.increment_rate_limit(%s)", (org_id,))
    return org_id


def run(db: psycopg.Connection[Any], statement: str) -> list[tuple[Any, ...]]:
    cursor = db.execute(statement)  # type: ignore[arg-type] - the guide's text, verbatim
    return cursor.fetchall() if cursor.description else []


def test_the_guide_file_holds_all_its_statements() -> None:
    assert len(guide_statements()) == 15


def test_every_guide_statement_runs(db: psycopg.Connection[Any], guide_org: str) -> None:
    for statement in guide_statements():
        run(db, statement.replace("org-uuid-here", guide_org))


def test_verify_tables_lists_the_guides_eight_tables(db: psycopg.Connection[Any]) -> None:
    rows = run(db, guide_statements()[0])

    assert {row[0] for row in rows} >= GUIDE_TABLES


def test_check_statistics_answers_for_the_org(db: psycopg.Connection[Any], guide_org: str) -> None:
    statement = next(s for s in guide_statements() if "get_org_stats" in s)

    rows = run(db, statement.replace("org-uuid-here", guide_org))

    assert rows == [(1, 7, 2, 0, "free", "active")]


def test_the_archive_pair_moves_exactly_the_old_audit_log(
    db: psycopg.Connection[Any], guide_org: str
) -> None:
    insert, delete = guide_statements()[-2:]

    run(db, insert)
    run(db, delete)

    archived = db.execute(
        "select formula_count from public.audit_logs_archive where organization_id = %s",
        (guide_org,),
    ).fetchall()
    remaining = db.execute(
        "select formula_count from public.audit_logs where organization_id = %s", (guide_org,)
    ).fetchall()
    assert (archived, remaining) == ([(3,)], [(5,)])
