"""One organisation can never read, change or spend another's data over HTTP.

Org A builds up a policy, an audit and usage; a member of org B then probes every
endpoint. Another org's ids answer 404 (never 403, so ids cannot be probed) and B's
own views show only B.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from support.ids import unique_id

pytestmark = pytest.mark.db

AUDIT_BODY = {"formulas": ["=SUM(A1:A10)", "=NOW()"], "context": {"range": "A1:B1"}}


@dataclass(frozen=True)
class Tenant:
    headers: dict[str, str]


def tenant() -> Tenant:
    return Tenant({"x-user-id": unique_id("user"), "x-user-org": unique_id("org")})


@pytest.fixture
async def victim_policy(client: AsyncTestClient[Litestar]) -> tuple[Tenant, str]:
    victim = tenant()
    created = await client.post(
        "/api/ingest",
        json={"title": "Victim secret policy", "content": "Only for org A.", "department": "IT"},
        headers=victim.headers,
    )
    audited = await client.post("/api/audit", json=AUDIT_BODY, headers=victim.headers)
    assert (created.status_code, audited.status_code) == (200, 200)
    return victim, str(created.json()["policyId"])


def problem_code(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


async def test_another_orgs_policy_cannot_be_read(
    client: AsyncTestClient[Litestar], victim_policy: tuple[Tenant, str]
) -> None:
    _, policy_id = victim_policy

    response = await client.get(f"/api/policies/{policy_id}", headers=tenant().headers)

    assert problem_code(response) == (404, "not-found")


async def test_another_orgs_policy_cannot_be_changed(
    client: AsyncTestClient[Litestar], victim_policy: tuple[Tenant, str]
) -> None:
    victim, policy_id = victim_policy

    response = await client.patch(
        f"/api/policies/{policy_id}", json={"title": "owned"}, headers=tenant().headers
    )
    unchanged = await client.get(f"/api/policies/{policy_id}", headers=victim.headers)

    assert problem_code(response) == (404, "not-found")
    assert unchanged.json()["title"] == "Victim secret policy"


async def test_another_orgs_policy_cannot_be_deleted(
    client: AsyncTestClient[Litestar], victim_policy: tuple[Tenant, str]
) -> None:
    victim, policy_id = victim_policy

    response = await client.delete(f"/api/policies/{policy_id}", headers=tenant().headers)
    still_there = await client.get(f"/api/policies/{policy_id}", headers=victim.headers)

    assert problem_code(response) == (404, "not-found")
    assert still_there.status_code == 200


async def test_the_policy_list_shows_only_the_callers_org(
    client: AsyncTestClient[Litestar], victim_policy: tuple[Tenant, str]
) -> None:
    response = await client.get("/api/policies", headers=tenant().headers)

    titles = [policy["title"] for policy in response.json()["policies"]]
    assert "Victim secret policy" not in titles


async def test_stats_audit_history_and_billing_show_only_the_callers_org(
    client: AsyncTestClient[Litestar], victim_policy: tuple[Tenant, str]
) -> None:
    intruder = tenant()

    audits = await client.get("/api/audits", headers=intruder.headers)
    billing = await client.get("/api/billing", headers=intruder.headers)
    usage = await client.get("/api/stats/usage?months=1", headers=intruder.headers)

    assert audits.json()["items"] == []
    assert billing.json()["usage"]["auditsThisMonth"] == 0
    assert [month["audits"] for month in usage.json()] == [0]


async def test_the_victims_own_views_do_show_its_data(
    client: AsyncTestClient[Litestar], victim_policy: tuple[Tenant, str]
) -> None:
    victim, _ = victim_policy

    audits = await client.get("/api/audits", headers=victim.headers)
    billing = await client.get("/api/billing", headers=victim.headers)

    assert len(audits.json()["items"]) == 1
    assert billing.json()["usage"]["auditsThisMonth"] == 1
