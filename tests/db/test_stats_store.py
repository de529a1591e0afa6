"""The statistics store through both transports (psycopg and supabase-py/PostgREST)."""

from __future__ import annotations

import datetime as dt

import pytest

from sheetbrain.identity import Identity
from sheetbrain.store import stats as store
from sheetbrain.store.errors import InvalidInput
from sheetbrain.store.gateway import Gateway
from support.stats_data import SeededOrg, add_audit, seed_org, set_usage, this_month

pytestmark = pytest.mark.db


def caller(org: SeededOrg, user_id: str, role: str) -> Identity:
    return Identity(user_id=user_id, org_id=org.clerk_org_id, org_role=role, source="clerk")


async def test_a_member_reads_their_orgs_stats(any_gateway: Gateway, database_url: str) -> None:
    org = seed_org(database_url)
    add_audit(database_url, org, age=dt.timedelta(hours=1), formulas=4)

    stats = await store.org_stats(any_gateway, caller(org, org.member_user_id, "org:member"))

    assert (stats.organization_id, stats.total_users, stats.total_audits) == (
        org.organization_id,
        2,
        1,
    )


async def test_a_member_reads_only_their_own_orgs_history(
    any_gateway: Gateway, database_url: str
) -> None:
    org, other = seed_org(database_url), seed_org(database_url)
    add_audit(database_url, org, age=dt.timedelta(hours=2), formulas=3)
    add_audit(database_url, other, age=dt.timedelta(hours=1), formulas=4)

    history = await store.audit_history(
        any_gateway, caller(org, org.member_user_id, "org:member"), 10, None
    )

    assert [record.formula_count for record in history] == [3]


async def test_the_dashboard_bundle_arrives_in_one_call(
    any_gateway: Gateway, database_url: str
) -> None:
    org = seed_org(database_url)
    add_audit(database_url, org, age=dt.timedelta(hours=1), formulas=4, by_severity={"error": 2})
    set_usage(database_url, org, this_month(), 1)

    dashboard = await store.dashboard(
        any_gateway, caller(org, org.admin_user_id, "org:admin"), 3, 5
    )

    assert [month.audits for month in dashboard.usage] == [0, 0, 1]
    assert [(total.dimension, total.key, total.hits) for total in dashboard.finding_totals] == [
        ("severity", "error", 2)
    ]
    assert [audit.formula_count for audit in dashboard.recent_audits] == [4]


async def test_an_operator_reads_any_org_by_its_clerk_id(
    any_gateway: Gateway, database_url: str
) -> None:
    org = seed_org(database_url)
    add_audit(database_url, org, age=dt.timedelta(hours=1), formulas=4)
    set_usage(database_url, org, this_month(), 1)

    report = await store.org_report(any_gateway, org.clerk_org_id, 2)

    assert (report.stats.organization_id, report.stats.total_audits) == (org.organization_id, 1)
    assert [month.audits for month in report.usage] == [0, 1]


async def test_out_of_range_months_are_invalid_input(any_gateway: Gateway) -> None:
    with pytest.raises(InvalidInput, match="invalid months"):
        await store.org_report(any_gateway, "org_anything", 37)
