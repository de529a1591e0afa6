"""GET /api/stats, /api/stats/usage, /api/stats/rate-limit and /api/audits."""

from __future__ import annotations

import base64
import datetime as dt

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from support.ids import unique_id
from support.stats_data import (
    PastAudit,
    SeededOrg,
    seed_history,
    seed_org,
    set_rate_limit_window,
    this_month,
)

pytestmark = pytest.mark.db

Client = AsyncTestClient[Litestar]


def as_admin(org: SeededOrg) -> dict[str, str]:
    return {"x-user-id": org.admin_user_id, "x-user-org": org.clerk_org_id}


def as_newcomer() -> dict[str, str]:
    return {"x-user-id": unique_id("user"), "x-user-org": unique_id("org")}


def template_count(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("select count(*) from public.policy_templates").fetchone()
    assert row is not None
    return int(row[0])


@pytest.fixture
def history(database_url: str) -> SeededOrg:
    """Three live audits (1 h, 2 h, 3 days old), one archived (100 days), usage this
    month 3 and two months ago 2, a live window at 4 requests."""
    org = seed_org(database_url)
    hour = dt.timedelta(hours=1)
    audits = [
        PastAudit(hour, 10, 2, {"error": 1, "warning": 1}),
        PastAudit(2 * hour, 20, 3, {"warning": 3}),
        PastAudit(dt.timedelta(days=3), 5, 0),
        PastAudit(dt.timedelta(days=100), 7, 1, {"info": 1}, archived=True),
    ]
    org.audit_ids.extend(
        seed_history(
            database_url,
            org,
            audits=audits,
            usage={0: 3, 2: 2},
            window=(4, dt.timedelta(seconds=45)),
        )
    )
    return org


async def test_stats_reports_exact_totals_for_the_callers_org(
    client: Client, history: SeededOrg, database_url: str
) -> None:
    response = await client.get("/api/stats", headers=as_admin(history))

    assert response.status_code == 200
    assert response.json() == {
        "organization_id": str(history.organization_id),
        "clerk_org_id": history.clerk_org_id,
        "organization_name": "Stats Test Org",
        "total_users": 2,
        "total_policies": template_count(database_url),
        "total_audits": 4,
        "audits_this_month": 3,
        "monthly_quota": 10,
        "plan": "free",
        "subscription_status": "active",
    }


async def test_stats_of_an_org_never_seen_are_zeros_on_the_free_plan(client: Client) -> None:
    response = await client.get("/api/stats", headers=as_newcomer())

    assert response.status_code == 200
    assert response.json() == {
        "organization_id": None,
        "clerk_org_id": None,
        "organization_name": None,
        "total_users": 0,
        "total_policies": 0,
        "total_audits": 0,
        "audits_this_month": 0,
        "monthly_quota": 10,
        "plan": "free",
        "subscription_status": "active",
    }


async def test_stats_never_count_another_orgs_audits(
    client: Client, history: SeededOrg, database_url: str
) -> None:
    other = seed_org(database_url)

    response = await client.get("/api/stats", headers=as_admin(other))

    assert response.json()["total_audits"] == 0


async def test_stats_need_an_identity(client: Client) -> None:
    response = await client.get("/api/stats")

    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


async def test_usage_lists_months_oldest_first_with_zeros_for_quiet_months(
    client: Client, history: SeededOrg
) -> None:
    response = await client.get("/api/stats/usage?months=3", headers=as_admin(history))

    assert response.status_code == 200
    assert response.json() == [
        {"month": this_month(2), "audits": 2},
        {"month": this_month(1), "audits": 0},
        {"month": this_month(), "audits": 3},
    ]


async def test_usage_defaults_to_twelve_months(client: Client, history: SeededOrg) -> None:
    response = await client.get("/api/stats/usage", headers=as_admin(history))

    months = [row["month"] for row in response.json()]
    assert months == [this_month(back) for back in range(11, -1, -1)]


@pytest.mark.parametrize("months", ["0", "37", "-1", "twelve"])
async def test_usage_rejects_months_outside_1_to_36(client: Client, months: str) -> None:
    response = await client.get(f"/api/stats/usage?months={months}", headers=as_newcomer())

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "bad-request"
    assert response.json()["errors"][0]["key"] == "months"


async def test_rate_limit_shows_the_current_window(client: Client, history: SeededOrg) -> None:
    response = await client.get("/api/stats/rate-limit", headers=as_admin(history))

    body = response.json()
    resets_in = dt.datetime.fromisoformat(body.pop("window_reset_at")) - dt.datetime.now(dt.UTC)
    assert body == {"request_count": 4, "request_limit": 100, "remaining": 96, "window_seconds": 60}
    assert dt.timedelta(seconds=30) < resets_in <= dt.timedelta(seconds=45)


async def test_rate_limit_after_the_window_ended_is_empty(
    client: Client, database_url: str
) -> None:
    org = seed_org(database_url)
    set_rate_limit_window(database_url, org, 99, -dt.timedelta(seconds=1))

    response = await client.get("/api/stats/rate-limit", headers=as_admin(org))

    assert response.json() == {
        "request_count": 0,
        "request_limit": 100,
        "remaining": 100,
        "window_seconds": 60,
        "window_reset_at": None,
    }


async def test_audits_page_through_the_history_newest_first(
    client: Client, history: SeededOrg
) -> None:
    seen = []
    cursor = None
    pages = 0
    while True:
        query = "/api/audits?limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = (await client.get(query, headers=as_admin(history))).json()
        seen += [(item["id"], item["archived"]) for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert pages == 2
    assert seen == [
        (str(history.audit_ids[0]), False),
        (str(history.audit_ids[1]), False),
        (str(history.audit_ids[2]), False),
        (str(history.audit_ids[3]), True),
    ]


async def test_an_audit_carries_its_counts_user_and_review_details(
    client: Client, history: SeededOrg
) -> None:
    body = (await client.get("/api/audits?limit=1", headers=as_admin(history))).json()

    item = body["items"][0]
    assert {key: item[key] for key in ("user_id", "formula_count", "issues_found")} == {
        "user_id": history.admin_user_id,
        "formula_count": 10,
        "issues_found": 2,
    }
    assert item["compliant_count"] == 8
    assert item["details"]["findings_by_severity"] == {"error": 1, "warning": 1}
    assert item["details"]["ai_status"] == "disabled"


async def test_the_last_page_has_no_next_cursor(client: Client, history: SeededOrg) -> None:
    body = (await client.get("/api/audits?limit=4", headers=as_admin(history))).json()

    assert len(body["items"]) == 4
    assert body["next_cursor"] is None


async def test_audits_of_an_org_never_seen_are_an_empty_page(client: Client) -> None:
    response = await client.get("/api/audits", headers=as_newcomer())

    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}


async def test_a_cursor_from_another_org_reveals_nothing(
    client: Client, history: SeededOrg, database_url: str
) -> None:
    first = (await client.get("/api/audits?limit=1", headers=as_admin(history))).json()
    other = seed_org(database_url)

    response = await client.get(
        f"/api/audits?cursor={first['next_cursor']}", headers=as_admin(other)
    )

    assert response.json() == {"items": [], "next_cursor": None}


def _encoded(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64!",
        _encoded("yesterday|7f0c6c5e-0000-4000-8000-000000000000"),
        _encoded("2026-11-25T10:00:00+00:00|not-a-uuid"),
        _encoded("2026-11-25T10:00:00|7f0c6c5e-0000-4000-8000-000000000000"),
        _encoded("2026-11-25T10:00:00+00:00"),
    ],
    ids=["not-base64", "bad-timestamp", "bad-id", "naive-timestamp", "no-id"],
)
async def test_audits_reject_a_cursor_they_did_not_issue(client: Client, cursor: str) -> None:
    response = await client.get(f"/api/audits?cursor={cursor}", headers=as_newcomer())

    assert response.status_code == 400
    assert response.json()["code"] == "invalid-cursor"


@pytest.mark.parametrize("limit", ["0", "101", "many"])
async def test_audits_reject_a_limit_outside_1_to_100(client: Client, limit: str) -> None:
    response = await client.get(f"/api/audits?limit={limit}", headers=as_newcomer())

    assert response.status_code == 400
    assert response.json()["code"] == "bad-request"
    assert response.json()["errors"][0]["key"] == "limit"
