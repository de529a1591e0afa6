"""GET /admin: the server-rendered dashboard (the browser test drives it for real)."""

from __future__ import annotations

import datetime as dt

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from sheetbrain.app import create_app
from sheetbrain.settings import Settings
from sheetbrain.store.gateway import Gateway
from support.clients import LOOPBACK
from support.ids import unique_id
from support.stats_data import add_audit, seed_org

pytestmark = pytest.mark.db

Client = AsyncTestClient[Litestar]


async def test_the_dashboard_shows_the_callers_org(client: Client, database_url: str) -> None:
    org = seed_org(database_url, name="Acme <Finance>")
    add_audit(database_url, org, age=dt.timedelta(minutes=5), formulas=12, issues=2)

    response = await client.get(
        "/admin", headers={"x-user-id": org.admin_user_id, "x-user-org": org.clerk_org_id}
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>Acme &lt;Finance&gt;</h1>" in response.text
    assert f'<span id="org-id">{org.clerk_org_id}</span>' in response.text


async def test_in_local_mode_a_request_naming_nobody_sees_the_demo_org(client: Client) -> None:
    response = await client.get("/admin")

    assert response.status_code == 200
    assert '<span id="org-id">org_demo</span>' in response.text


async def test_members_who_are_not_admins_are_refused(client: Client, database_url: str) -> None:
    org = seed_org(database_url)

    response = await client.get(
        "/admin",
        headers={
            "x-user-id": org.member_user_id,
            "x-user-org": org.clerk_org_id,
            "x-user-role": "org:member",
        },
    )

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


async def test_without_trusted_identity_headers_the_dashboard_needs_a_token(
    local_settings: Settings, gateway: Gateway
) -> None:
    settings = local_settings.model_copy(update={"local_identity_headers": False})

    async with AsyncTestClient(
        app=create_app(settings, gateway=gateway), base_url=LOOPBACK
    ) as strict:
        response = await strict.get("/admin")

    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


async def test_the_rules_an_audit_hit_appear_among_the_top_rules(client: Client) -> None:
    headers = {"x-user-id": unique_id("user"), "x-user-org": unique_id("org")}
    audited = await client.post(
        "/api/audit", json={"formulas": ["=NOW()"], "context": {"range": "A1"}}, headers=headers
    )
    rule_ids = {finding["ruleId"] for finding in audited.json()["findings"]}

    page = await client.get("/admin", headers=headers)

    top_rules = page.text.split('id="rule-totals"')[1].split("</table>")[0]
    assert rule_ids == {"volatile-function"}
    assert '<td>volatile-function</td><td class="num">1</td>' in top_rules
