"""GET/POST /api/billing and the billing portal, in local mode, with Stripe mocked by respx."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import psycopg
import pytest
import respx
from litestar import Litestar
from litestar.testing import AsyncTestClient
from pydantic import SecretStr

from sheetbrain.app import create_app
from sheetbrain.settings import Settings
from sheetbrain.store.gateway import Gateway
from support.clients import LOOPBACK
from support.ids import unique_id

pytestmark = pytest.mark.db

STRIPE_API = "https://api.stripe.com"
PRICE_PRO = "price_pro_test"
PRICE_ENTERPRISE = "price_enterprise_test"
PUBLIC_URL = "https://sheetbrain.example"


def caller(role: str = "admin") -> dict[str, str]:
    """Local-mode identity headers for a fresh user and organization."""
    return {
        "x-user-id": unique_id("user"),
        "x-user-org": unique_id("org"),
        "x-user-role": role,
    }


@pytest.fixture
def stripe_settings(local_settings: Settings) -> Settings:
    return local_settings.model_copy(
        update={
            "stripe_secret_key": SecretStr("sk_test_billing"),
            "stripe_price_pro": PRICE_PRO,
            "stripe_price_enterprise": PRICE_ENTERPRISE,
            "public_url": PUBLIC_URL,
        }
    )


@pytest.fixture
async def stripe_client(
    stripe_settings: Settings, gateway: Gateway
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(
        app=create_app(stripe_settings, gateway=gateway), base_url=LOOPBACK
    ) as client:
        yield client


@pytest.fixture
def stripe_api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=STRIPE_API, assert_all_called=False) as router:
        yield router


async def query(database_url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        cursor = await conn.execute(sql, params)
        return await cursor.fetchall() if cursor.description else []


async def subscription_of(database_url: str, clerk_org_id: str) -> dict[str, Any] | None:
    rows = await query(
        database_url,
        "select s.plan, s.status, s.cancel_at, s.stripe_customer_id, s.stripe_subscription_id"
        " from subscriptions s join organizations o on o.id = s.organization_id"
        " where o.clerk_org_id = %s",
        clerk_org_id,
    )
    if not rows:
        return None
    plan, status, cancel_at, customer, subscription = rows[0]
    return {
        "plan": plan,
        "status": status,
        "cancel_at": cancel_at,
        "stripe_customer_id": customer,
        "stripe_subscription_id": subscription,
    }


async def organization_count(database_url: str, clerk_org_id: str) -> int:
    rows = await query(
        database_url, "select count(*) from organizations where clerk_org_id = %s", clerk_org_id
    )
    return int(rows[0][0])


async def provision_with(
    client: AsyncTestClient[Litestar], database_url: str, headers: dict[str, str], **columns: Any
) -> str:
    """Provision the caller's org (through GET) and set subscription columns; returns its uuid."""
    assert (await client.get("/api/billing", headers=headers)).status_code == 200
    assignments = ", ".join(f"{column} = %s" for column in columns)
    rows = await query(
        database_url,
        f"update subscriptions s set {assignments} from organizations o"
        " where o.id = s.organization_id and o.clerk_org_id = %s returning o.id::text",
        *columns.values(),
        headers["x-user-org"],
    )
    return str(rows[0][0])


def this_month() -> tuple[str, str]:
    now = datetime.now(UTC)
    month = f"{now.year:04d}-{now.month:02d}"
    following = datetime(now.year + now.month // 12, now.month % 12 + 1, 1, tzinfo=UTC)
    return month, following.isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------- overview


async def test_a_new_organization_reads_as_the_free_plan(
    client: AsyncTestClient[Litestar],
) -> None:
    month, resets_at = this_month()

    response = await client.get("/api/billing", headers=caller("member"))

    assert response.status_code == 200
    assert response.json() == {
        "subscription": {
            "plan": "free",
            "status": "active",
            "auditsPerMonth": 10,
            "currentPeriodStart": None,
            "currentPeriodEnd": None,
            "cancelAt": None,
            "rateLimit": {"requests": 100, "windowSeconds": 60},
        },
        "usage": {
            "month": month,
            "auditsThisMonth": 0,
            "remaining": 10,
            "resetsAt": resets_at,
        },
        "plans": [
            {
                "id": "free",
                "name": "Free",
                "auditsPerMonth": 10,
                "priceCents": 0,
                "rateLimit": {"requests": 100, "windowSeconds": 60},
            },
            {
                "id": "pro",
                "name": "Pro",
                "auditsPerMonth": 1000,
                "priceCents": 0,
                "rateLimit": {"requests": 100, "windowSeconds": 60},
            },
            {
                "id": "enterprise",
                "name": "Enterprise",
                "auditsPerMonth": -1,
                "priceCents": 0,
                "rateLimit": {"requests": 100, "windowSeconds": 60},
            },
        ],
    }


async def test_billing_status_answers_like_billing(client: AsyncTestClient[Litestar]) -> None:
    headers = caller("member")

    overview = await client.get("/api/billing", headers=headers)
    status = await client.get("/api/billing/status", headers=headers)

    assert status.status_code == 200
    assert status.json() == overview.json()


@pytest.mark.parametrize(
    ("audits_this_month", "remaining"),
    [(3, 7), (12, 0)],
    ids=["usage-counts-this-months-audits", "remaining-never-goes-below-zero"],
)
async def test_usage_counts_this_months_audits_and_remaining_never_goes_below_zero(
    client: AsyncTestClient[Litestar], database_url: str, audits_this_month: int, remaining: int
) -> None:
    headers = caller("member")
    month, _ = this_month()
    org_id = await provision_with(client, database_url, headers, plan="free")
    await query(
        database_url,
        "insert into audit_usage (organization_id, month_year, count) values (%s, %s, %s)",
        org_id,
        month,
        audits_this_month,
    )

    usage = (await client.get("/api/billing", headers=headers)).json()["usage"]

    assert (usage["auditsThisMonth"], usage["remaining"]) == (audits_this_month, remaining)


async def test_the_enterprise_plan_reads_as_unlimited(
    client: AsyncTestClient[Litestar], database_url: str
) -> None:
    headers = caller("member")
    await provision_with(client, database_url, headers, plan="enterprise")

    body = (await client.get("/api/billing", headers=headers)).json()

    assert body["subscription"]["plan"] == "enterprise"
    assert body["subscription"]["auditsPerMonth"] == -1
    assert body["usage"]["remaining"] == -1


async def test_the_overview_needs_an_identity(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/api/billing")

    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


# --------------------------------------------------------------------------- POST /api/billing


async def test_the_seed_guides_free_plan_call_creates_the_subscription(
    client: AsyncTestClient[Litestar], database_url: str
) -> None:
    user_id, org_id = unique_id("user"), unique_id("org")

    response = await client.post(
        "/api/billing",
        headers={"Content-Type": "application/json", "x-user-id": user_id, "x-user-org": org_id},
        content=b'{"plan": "free"}',
    )

    assert response.status_code == 200
    assert response.json()["subscription"]["plan"] == "free"
    rows = await query(
        database_url,
        "select s.plan, s.status from subscriptions s"
        " join organizations o on o.id = s.organization_id where o.clerk_org_id = %s",
        org_id,
    )
    assert rows == [("free", "active")]


async def test_switching_to_free_without_a_stripe_subscription_applies_now(
    client: AsyncTestClient[Litestar], database_url: str
) -> None:
    headers = caller()
    await provision_with(client, database_url, headers, plan="pro", status="past_due")

    response = await client.post("/api/billing", headers=headers, json={"plan": "free"})

    assert response.json()["subscription"]["plan"] == "free"
    assert await subscription_of(database_url, headers["x-user-org"]) == {
        "plan": "free",
        "status": "active",
        "cancel_at": None,
        "stripe_customer_id": None,
        "stripe_subscription_id": None,
    }


@pytest.mark.parametrize(
    ("role", "body", "status", "code"),
    [
        pytest.param("member", {"plan": "free"}, 403, "forbidden", id="by_a_member"),
        pytest.param("admin", {"plan": "platinum"}, 400, "unknown-plan", id="to_an_unknown_plan"),
        pytest.param("admin", {"tier": "free"}, 400, "bad-request", id="without_a_plan"),
        pytest.param(
            "admin", {"plan": "pro"}, 503, "billing-not-configured", id="to_pro_without_stripe"
        ),
    ],
)
async def test_a_refused_plan_change_answers_its_problem_and_creates_no_organization(
    client: AsyncTestClient[Litestar],
    database_url: str,
    role: str,
    body: dict[str, str],
    status: int,
    code: str,
) -> None:
    headers = caller(role)

    response = await client.post("/api/billing", headers=headers, json=body)

    assert (response.status_code, response.json()["code"]) == (status, code)
    assert await organization_count(database_url, headers["x-user-org"]) == 0


async def test_a_paid_plan_whose_price_is_not_set_is_not_configured(
    stripe_settings: Settings, gateway: Gateway, database_url: str
) -> None:
    settings = stripe_settings.model_copy(update={"stripe_price_enterprise": None})
    headers = caller()

    async with AsyncTestClient(
        app=create_app(settings, gateway=gateway), base_url=LOOPBACK
    ) as client:
        response = await client.post("/api/billing", headers=headers, json={"plan": "enterprise"})

    assert response.status_code == 503
    assert response.json()["code"] == "billing-not-configured"
    assert await organization_count(database_url, headers["x-user-org"]) == 0


async def test_a_paid_plan_returns_a_stripe_checkout_url(
    stripe_client: AsyncTestClient[Litestar], stripe_api: respx.MockRouter, database_url: str
) -> None:
    headers = caller()
    route = stripe_api.post("/v1/checkout/sessions").respond(
        200,
        json={
            "id": "cs_test_1",
            "object": "checkout.session",
            "url": "https://checkout.stripe.com/c/pay/cs_test_1",
        },
    )

    response = await stripe_client.post("/api/billing", headers=headers, json={"plan": "pro"})

    assert response.status_code == 200
    assert response.json() == {"checkoutUrl": "https://checkout.stripe.com/c/pay/cs_test_1"}
    org_uuid = (
        await query(
            database_url,
            "select id::text from organizations where clerk_org_id = %s",
            headers["x-user-org"],
        )
    )[0][0]
    sent = {
        key: values[0]
        for key, values in parse_qs(route.calls.last.request.content.decode()).items()
    }
    assert route.calls.last.request.headers["authorization"] == "Bearer sk_test_billing"
    assert sent == {
        "mode": "subscription",
        "line_items[0][price]": PRICE_PRO,
        "line_items[0][quantity]": "1",
        "client_reference_id": org_uuid,
        "metadata[organization_id]": org_uuid,
        "metadata[clerk_org_id]": headers["x-user-org"],
        "metadata[plan]": "pro",
        "subscription_data[metadata][organization_id]": org_uuid,
        "subscription_data[metadata][clerk_org_id]": headers["x-user-org"],
        "subscription_data[metadata][plan]": "pro",
        "success_url": f"{PUBLIC_URL}/billing/return?checkout=success",
        "cancel_url": f"{PUBLIC_URL}/billing/return?checkout=cancel",
    }


async def test_checkout_reuses_the_organizations_stripe_customer(
    stripe_client: AsyncTestClient[Litestar], stripe_api: respx.MockRouter, database_url: str
) -> None:
    headers = caller()
    await provision_with(stripe_client, database_url, headers, stripe_customer_id="cus_known")
    route = stripe_api.post("/v1/checkout/sessions").respond(
        200, json={"id": "cs_test_2", "object": "checkout.session", "url": "https://x.test/cs"}
    )

    await stripe_client.post("/api/billing", headers=headers, json={"plan": "enterprise"})

    sent = parse_qs(route.calls.last.request.content.decode())
    assert sent["customer"] == ["cus_known"]
    assert sent["line_items[0][price]"] == [PRICE_ENTERPRISE]


async def test_a_paid_plan_while_subscribed_is_a_conflict(
    stripe_client: AsyncTestClient[Litestar], stripe_api: respx.MockRouter, database_url: str
) -> None:
    headers = caller()
    await provision_with(
        stripe_client,
        database_url,
        headers,
        plan="pro",
        stripe_customer_id="cus_c",
        stripe_subscription_id=unique_id("sub"),
    )
    route = stripe_api.post("/v1/checkout/sessions")

    response = await stripe_client.post(
        "/api/billing", headers=headers, json={"plan": "enterprise"}
    )

    assert response.status_code == 409
    assert response.json()["code"] == "subscription-exists"
    assert not route.called


async def test_a_stripe_failure_is_a_503_without_details(
    stripe_client: AsyncTestClient[Litestar], stripe_api: respx.MockRouter
) -> None:
    stripe_api.post("/v1/checkout/sessions").respond(
        400,
        json={
            "error": {"type": "invalid_request_error", "message": "No such price: 'price_pro_test'"}
        },
    )

    response = await stripe_client.post("/api/billing", headers=caller(), json={"plan": "pro"})

    assert response.status_code == 503
    assert response.json()["code"] == "stripe-unavailable"
    assert "price_pro_test" not in response.text


async def test_switching_to_free_cancels_the_stripe_subscription_at_period_end(
    stripe_client: AsyncTestClient[Litestar], stripe_api: respx.MockRouter, database_url: str
) -> None:
    headers = caller()
    subscription_id = unique_id("sub")
    period_end = 1_893_456_000  # 2030-01-01T00:00:00Z
    await provision_with(
        stripe_client,
        database_url,
        headers,
        plan="pro",
        stripe_customer_id="cus_f",
        stripe_subscription_id=subscription_id,
    )
    route = stripe_api.post(f"/v1/subscriptions/{subscription_id}").respond(
        200,
        json={
            "id": subscription_id,
            "object": "subscription",
            "cancel_at_period_end": True,
            "cancel_at": period_end,
        },
    )

    response = await stripe_client.post("/api/billing", headers=headers, json={"plan": "free"})

    assert response.status_code == 200
    assert response.json()["subscription"]["plan"] == "pro"
    assert response.json()["subscription"]["cancelAt"] == "2030-01-01T00:00:00Z"
    assert parse_qs(route.calls.last.request.content.decode()) == {"cancel_at_period_end": ["true"]}
    stored = await subscription_of(database_url, headers["x-user-org"])
    assert stored is not None
    assert stored["cancel_at"] == datetime(2030, 1, 1, tzinfo=UTC)


async def test_switching_to_free_from_a_stripe_subscription_needs_stripe(
    client: AsyncTestClient[Litestar], database_url: str
) -> None:
    headers = caller()
    await provision_with(
        client, database_url, headers, plan="pro", stripe_subscription_id=unique_id("sub")
    )

    response = await client.post("/api/billing", headers=headers, json={"plan": "free"})

    assert response.status_code == 503
    assert response.json()["code"] == "billing-not-configured"
    stored = await subscription_of(database_url, headers["x-user-org"])
    assert stored is not None
    assert (stored["plan"], stored["cancel_at"]) == ("pro", None)


# --------------------------------------------------------------------------- portal


async def test_the_portal_returns_a_stripe_customer_portal_url(
    stripe_client: AsyncTestClient[Litestar], stripe_api: respx.MockRouter, database_url: str
) -> None:
    headers = caller()
    await provision_with(stripe_client, database_url, headers, stripe_customer_id="cus_portal")
    route = stripe_api.post("/v1/billing_portal/sessions").respond(
        200,
        json={
            "id": "bps_1",
            "object": "billing_portal.session",
            "url": "https://billing.stripe.com/p/session/bps_1",
        },
    )

    response = await stripe_client.post("/api/billing/portal", headers=headers)

    assert response.status_code == 200
    assert response.json() == {"url": "https://billing.stripe.com/p/session/bps_1"}
    assert parse_qs(route.calls.last.request.content.decode()) == {
        "customer": ["cus_portal"],
        "return_url": [f"{PUBLIC_URL}/billing/return?portal=done"],
    }


async def test_the_portal_needs_a_stripe_customer(
    stripe_client: AsyncTestClient[Litestar], stripe_api: respx.MockRouter
) -> None:
    route = stripe_api.post("/v1/billing_portal/sessions")

    response = await stripe_client.post("/api/billing/portal", headers=caller())

    assert response.status_code == 409
    assert response.json()["code"] == "no-stripe-customer"
    assert not route.called


async def test_a_member_cannot_open_the_portal(
    stripe_client: AsyncTestClient[Litestar], database_url: str
) -> None:
    headers = caller("member")

    response = await stripe_client.post("/api/billing/portal", headers=headers)

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert await organization_count(database_url, headers["x-user-org"]) == 0


async def test_the_portal_without_stripe_is_not_configured(
    client: AsyncTestClient[Litestar], database_url: str
) -> None:
    headers = caller()
    await provision_with(client, database_url, headers, stripe_customer_id="cus_unconfigured")

    response = await client.post("/api/billing/portal", headers=headers)

    assert response.status_code == 503
    assert response.json()["code"] == "billing-not-configured"


async def test_the_checkout_return_page_confirms_the_payment(
    client: AsyncTestClient[Litestar],
) -> None:
    response = await client.get("/billing/return", params={"checkout": "success"})

    assert response.status_code == 200
    assert response.text.startswith("Payment received")
