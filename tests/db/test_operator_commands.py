"""`sheetbrain stats ORG` and `sheetbrain db cleanup|archive|retention` on a real database."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import Callable

import psycopg
import pytest
from click.testing import CliRunner, Result
from litestar import Litestar
from litestar.testing import AsyncTestClient
from psycopg.types.json import Jsonb

from sheetbrain.cli import cli
from support.stats_data import (
    SeededOrg,
    add_audit,
    seed_org,
    set_rate_limit_window,
    set_usage,
    this_month,
)

pytestmark = pytest.mark.db

DAY = dt.timedelta(days=1)


Run = Callable[..., Result]


# The operator shares the service's production configuration (an identity source too).
PRODUCTION_ENV = {
    "SHEETBRAIN_MODE": "production",
    "GOOGLE_CLIENT_IDS": "operator-test.apps.googleusercontent.com",
    "SHEETBRAIN_TOKEN_SECRET": "operator-test-token-secret-of-at-least-32-bytes",
}


def operator(database_url: str) -> Run:
    def invoke(*args: str) -> Result:
        env = {**PRODUCTION_ENV, "DATABASE_URL": database_url}
        return CliRunner().invoke(cli, list(args), env=env)

    return invoke


@pytest.fixture
def run(database_url: str) -> Run:
    return operator(database_url)


def ids_in(database_url: str, table: str, org: SeededOrg) -> set[uuid.UUID]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            f"select id from public.{table} where organization_id = %s", (org.organization_id,)
        ).fetchall()
    return {row[0] for row in rows}


def test_archive_moves_exactly_the_audits_older_than_the_cut_off(
    run: Run, database_url: str
) -> None:
    assert run("db", "archive", "--older-than", "90d").exit_code == 0
    org = seed_org(database_url)
    recent, young = (
        add_audit(database_url, org, age=age, formulas=1)
        for age in (dt.timedelta(hours=1), 89 * DAY)
    )
    old, ancient = (
        add_audit(database_url, org, age=age, formulas=1) for age in (91 * DAY, 400 * DAY)
    )

    result = run("db", "archive", "--older-than", "90d")

    assert (result.exit_code, result.output) == (0, "archived 2 audit logs older than 90d\n")
    assert ids_in(database_url, "audit_logs", org) == {recent, young}
    assert ids_in(database_url, "audit_logs_archive", org) == {old, ancient}


def test_archive_understands_hours(run: Run, database_url: str) -> None:
    assert run("db", "archive", "--older-than", "12h").exit_code == 0
    org = seed_org(database_url)
    kept = add_audit(database_url, org, age=dt.timedelta(hours=11), formulas=1)
    moved = add_audit(database_url, org, age=dt.timedelta(hours=13), formulas=1)

    result = run("db", "archive", "--older-than", "12h")

    assert result.output == "archived 1 audit logs older than 12h\n"
    assert ids_in(database_url, "audit_logs", org) == {kept}
    assert ids_in(database_url, "audit_logs_archive", org) == {moved}


def test_retention_deletes_exactly_the_archived_audits_past_the_cut_off(
    run: Run, database_url: str
) -> None:
    assert run("db", "retention", "--delete-archive-after", "365d").exit_code == 0
    org = seed_org(database_url)
    kept = add_audit(database_url, org, age=364 * DAY, formulas=1, archived=True)
    for age in (366 * DAY, 500 * DAY):
        add_audit(database_url, org, age=age, formulas=1, archived=True)

    result = run("db", "retention", "--delete-archive-after", "365d")

    assert result.exit_code == 0
    assert result.output.splitlines()[0] == "deleted 2 archived audit logs older than 365d"
    assert ids_in(database_url, "audit_logs_archive", org) == {kept}


def test_cleanup_deletes_exactly_the_ended_rate_limit_windows(private_database_url: str) -> None:
    # Cleanup is global: other tests' windows end during a run, so use a database of its own.
    database_url = private_database_url
    run = operator(database_url)
    ended_a, ended_b, live = (seed_org(database_url) for _ in range(3))
    set_rate_limit_window(database_url, ended_a, 5, -dt.timedelta(seconds=1))
    set_rate_limit_window(database_url, ended_b, 5, -dt.timedelta(hours=1))
    set_rate_limit_window(database_url, live, 5, dt.timedelta(seconds=30))

    result = run("db", "cleanup")

    assert result.exit_code == 0
    assert result.output.splitlines()[0] == "deleted 2 expired rate-limit buckets"
    assert [bool(ids_in(database_url, "rate_limit_buckets", org)) for org in (ended_a, live)] == [
        False,
        True,
    ]


def test_cleanup_deletes_ended_sign_in_windows_and_refresh_tokens_expired_a_day_ago(
    private_database_url: str,
) -> None:
    database_url = private_database_url
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            """insert into public.sign_in_rate_limits (key, request_count, window_reset_at)
               values ('ip:203.0.113.1', 3, now() - interval '1 second'),
                      ('ip:203.0.113.2', 3, now() + interval '30 seconds')"""
        )
        user = conn.execute(
            "select (public.provision_actor(%s) ->> 'user_id')::uuid",
            (Jsonb({"clerk_user_id": "user_ops", "clerk_org_id": "org_ops"}),),
        ).fetchone()
        assert user is not None
        for label, expired_ago in (("long", "2 days"), ("just", "1 hour")):
            conn.execute(
                """insert into public.refresh_tokens
                     (family_id, token_hash, user_id, clerk_org_id, org_role, expires_at)
                   values (gen_random_uuid(), encode(sha256(%s::bytea), 'hex'), %s,
                           'org_ops', 'org:member', now() - %s::interval)""",
                (label.encode(), user[0], expired_ago),
            )

    result = operator(database_url)("db", "cleanup")

    assert (result.exit_code, result.output.splitlines()[1:]) == (
        0,
        [
            "deleted 1 expired sign-in rate-limit windows",
            "deleted 1 refresh tokens expired over a day ago",
        ],
    )


def test_retention_deletes_old_deliveries_events_and_settled_reservations(
    private_database_url: str,
) -> None:
    database_url = private_database_url
    org = seed_org(database_url)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            """insert into public.webhook_events (svix_id, event_type, occurred_at, received_at)
               values ('msg_old', 'user.updated', now(), now() - interval '31 days'),
                      ('msg_new', 'user.updated', now(), now() - interval '29 days')"""
        )
        conn.execute(
            """insert into public.stripe_events (id, event_type, stripe_created_at, outcome,
                                                 received_at)
               values ('evt_old', 'invoice.paid', now(), 'unmatched', now() - interval '31 days')"""
        )
        conn.execute(
            """insert into public.audit_reservations
                 (organization_id, month_year, status, created_at, settled_at)
               values (%(org)s, '2030-01', 'confirmed', now() - interval '40 days',
                       now() - interval '40 days'),
                      (%(org)s, '2030-01', 'reserved', now() - interval '40 days', null)""",
            {"org": org.organization_id},
        )

    result = operator(database_url)("db", "retention", "--delete-records-after", "30d")

    assert (result.exit_code, result.output.splitlines()[1]) == (
        0,
        "deleted 1 webhook deliveries, 1 Stripe events and 1 settled audit reservations "
        "older than 30d",
    )


def test_retention_refuses_to_purge_records_younger_than_a_week(run: Run) -> None:
    result = run("db", "retention", "--delete-records-after", "3d")

    assert (result.exit_code, result.output) == (1, "error: invalid older_than\n")


async def test_stats_json_prints_what_the_api_answers(
    run: Run, database_url: str, client: AsyncTestClient[Litestar]
) -> None:
    org = seed_org(database_url)
    add_audit(database_url, org, age=dt.timedelta(hours=2), formulas=3)
    set_usage(database_url, org, this_month(), 1)
    set_rate_limit_window(database_url, org, 2, dt.timedelta(seconds=50))
    headers = {"x-user-id": org.admin_user_id, "x-user-org": org.clerk_org_id}

    result = await asyncio.to_thread(run, "stats", org.clerk_org_id, "--json")
    api = {
        "stats": (await client.get("/api/stats", headers=headers)).json(),
        "usage": (await client.get("/api/stats/usage", headers=headers)).json(),
        "rate_limit": (await client.get("/api/stats/rate-limit", headers=headers)).json(),
    }

    assert result.exit_code == 0
    printed = json.loads(result.output)
    assert printed["stats"] == api["stats"]
    assert printed["usage"] == api["usage"]
    assert dt.datetime.fromisoformat(printed["rate_limit"].pop("window_reset_at")) == (
        dt.datetime.fromisoformat(api["rate_limit"].pop("window_reset_at"))
    )
    assert printed["rate_limit"] == api["rate_limit"]


def test_stats_prints_tables_for_an_org_named_by_uuid(run: Run, database_url: str) -> None:
    org = seed_org(database_url, name="Table Org")
    add_audit(database_url, org, age=dt.timedelta(hours=1), formulas=3)

    result = run("stats", str(org.organization_id))

    assert result.exit_code == 0
    assert f"Table Org ({org.clerk_org_id})" in result.output
    assert "│ audits (all time) │" in result.output
    assert f"│ {this_month()} │      0 │" in result.output


def test_stats_of_an_unknown_org_exits_1(run: Run) -> None:
    result = run("stats", "org_does_not_exist")

    assert (result.exit_code, result.output) == (1, "error: no organization 'org_does_not_exist'\n")


def test_an_unreachable_database_exits_1_with_one_line() -> None:
    env = {**PRODUCTION_ENV, "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nothing"}

    result = CliRunner().invoke(cli, ["db", "cleanup"], env=env)

    assert result.exit_code == 1
    assert result.output.startswith("error: cannot reach the database: ")
