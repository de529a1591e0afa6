"""The statistics store through both transports (psycopg and supabase-py/PostgREST)."""

from __future__ import annotations

import datetime as dt

import pytest

from sheetbrain.store import stats as store
from sheetbrain.store.errors import InvalidInput
from sheetbrain.store.gateway import Gateway
from support.stats_data import add_audit, seed_org, set_usage, this_month

pytestmark = pytest.mark.db


async def test_a_member_reads_their_orgs_stats_with_their_claims(
    any_gateway: Gateway, database_url: str
) -> None:
    org = seed_org(database_url)
    add_audit(database_url, org, age=dt.timedelta(hours=1), formulas=4)
    claims = {"sub": org.member_user_id, "org_id": org.clerk_org_id, "org_role": "org:member"}

    stats = await store.org_stats(any_gateway, claims=claims)

    assert (stats.organization_id, stats.total_users, stats.total_audits) == (
        org.organization_id,
        2,
        1,
    )


async def test_a_member_naming_another_org_reads_zeros(
    any_gateway: Gateway, database_url: str
) -> None:
    org, other = seed_org(database_url), seed_org(database_url)
    add_audit(database_url, other, age=dt.timedelta(hours=1), formulas=4)
    claims = {"sub": org.admin_user_id, "org_id": org.clerk_org_id, "org_role": "org:admin"}

    stats = await store.org_stats(any_gateway, claims=claims, org=other.clerk_org_id)

    assert (stats.organization_id, stats.total_audits) == (None, 0)


async def test_the_dashboard_bundle_arrives_in_one_call(
    any_gateway: Gateway, database_url: str
) -> None:
    org = seed_org(database_url)
    add_audit(database_url, org, age=dt.timedelta(hours=1), formulas=4, by_severity={"error": 2})
    set_usage(database_url, org, this_month(), 1)
    claims = {"sub": org.admin_user_id, "org_id": org.clerk_org_id, "org_role": "org:admin"}

    dashboard = await store.dashboard(any_gateway, 3, 5, claims=claims)

    assert [month.audits for month in dashboard.usage] == [0, 0, 1]
    assert [(total.dimension, total.key, total.hits) for total in dashboard.finding_totals] == [
        ("severity", "error", 2)
    ]
    assert [audit.formula_count for audit in dashboard.recent_audits] == [4]


async def test_out_of_range_months_are_invalid_input(any_gateway: Gateway) -> None:
    with pytest.raises(InvalidInput, match="invalid months"):
        await store.usage_by_month(any_gateway, 37, org="org_anything")
