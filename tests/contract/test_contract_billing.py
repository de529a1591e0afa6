"""`GET /api/billing` (and `/api/billing/status`): plan, monthly allowance, usage."""

from __future__ import annotations

import psycopg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from contract.addon import APPS_SCRIPT_USER_AGENT, load_request, replay
from contract.conftest import AddonSession

pytestmark = pytest.mark.db


def headers(session: AddonSession) -> dict[str, str]:
    return {"Authorization": f"Bearer {session.access_token}", "User-Agent": APPS_SCRIPT_USER_AGENT}


@pytest.mark.parametrize("path", ["/api/billing", "/api/billing/status"])
async def test_billing_answers_plan_allowance_and_usage(
    service: AsyncTestClient[Litestar], session: AddonSession, path: str
) -> None:
    response = await service.get(path, headers=headers(session))

    assert response.status_code == 200
    body = response.json()
    assert body["subscription"]["plan"] == "free"
    assert body["subscription"]["auditsPerMonth"] == 10
    assert body["usage"]["auditsThisMonth"] == 0


async def test_an_audit_counts_in_usage_this_month(
    service: AsyncTestClient[Litestar], session: AddonSession
) -> None:
    await replay(service, load_request("audit_sheet_context"), session.access_token)

    response = await service.get("/api/billing", headers=headers(session))

    assert response.json()["usage"]["auditsThisMonth"] == 1


async def test_an_unlimited_plan_reads_minus_one(
    service: AsyncTestClient[Litestar], session: AddonSession, database_url: str
) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "update public.subscriptions s set plan = 'enterprise' from public.organizations o "
            "where s.organization_id = o.id and o.clerk_org_id = %s",
            (session.org_id,),
        )

    response = await service.get("/api/billing", headers=headers(session))

    subscription = response.json()["subscription"]
    assert (subscription["plan"], subscription["auditsPerMonth"]) == ("enterprise", -1)
