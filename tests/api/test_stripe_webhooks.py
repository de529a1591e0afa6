"""POST /api/billing/webhook: Stripe events signed the way Stripe signs them."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import psycopg
import pytest
import stripe
from litestar import Litestar
from litestar.testing import AsyncTestClient
from pydantic import SecretStr

from sheetbrain.app import create_app
from sheetbrain.settings import Settings
from sheetbrain.store import billing as billing_store
from sheetbrain.store.gateway import Gateway
from support.clients import LOOPBACK
from support.ids import unique_id

pytestmark = pytest.mark.db

WEBHOOK_SECRET = "whsec_test_secret"
PRICE_PRO = "price_pro_test"
PRICE_ENTERPRISE = "price_enterprise_test"
PERIOD_START = 1_893_456_000  # 2030-01-01T00:00:00Z
PERIOD_END = 1_896_134_400  # 2030-02-01T00:00:00Z


@pytest.fixture
def webhook_settings(local_settings: Settings) -> Settings:
    return local_settings.model_copy(
        update={
            "stripe_webhook_secret": SecretStr(WEBHOOK_SECRET),
            "stripe_price_pro": PRICE_PRO,
            "stripe_price_enterprise": PRICE_ENTERPRISE,
        }
    )


@pytest.fixture
async def stripe_client(
    webhook_settings: Settings, gateway: Gateway
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(
        app=create_app(webhook_settings, gateway=gateway), base_url=LOOPBACK
    ) as client:
        yield client


# --------------------------------------------------------------------------- helpers


def sign(payload: bytes, timestamp: int | None = None, secret: str = WEBHOOK_SECRET) -> str:
    """The Stripe-Signature header: t=<ts>,v1=<hex hmac_sha256(secret, "<ts>.<body>")>."""
    return str(
        stripe.WebhookSignature.generate_signature_header(payload.decode(), secret, timestamp)
    )


def event(event_type: str, data_object: dict[str, Any], created: int) -> dict[str, Any]:
    return {
        "id": unique_id("evt"),
        "object": "event",
        "type": event_type,
        "created": created,
        "api_version": "2025-03-31.basil",
        "data": {"object": data_object},
    }


def checkout_completed(
    org_uuid: str, customer: str, subscription: str, created: int
) -> dict[str, Any]:
    return event(
        "checkout.session.completed",
        {
            "id": unique_id("cs"),
            "object": "checkout.session",
            "client_reference_id": org_uuid,
            "customer": customer,
            "subscription": subscription,
            "payment_status": "paid",
            "metadata": {"organization_id": org_uuid, "plan": "pro"},
        },
        created,
    )


def subscription_event(
    event_type: str,
    subscription: str,
    customer: str,
    created: int,
    *,
    status: str = "active",
    price: str = PRICE_PRO,
    cancel_at: int | None = None,
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A subscription in the current API shape: the period lives on its items."""
    return event(
        event_type,
        {
            "id": subscription,
            "object": "subscription",
            "customer": customer,
            "status": status,
            "cancel_at": cancel_at,
            "metadata": metadata or {},
            "items": {
                "object": "list",
                "data": [
                    {
                        "id": unique_id("si"),
                        "price": {"id": price},
                        "current_period_start": PERIOD_START,
                        "current_period_end": PERIOD_END,
                    }
                ],
            },
        },
        created,
    )


def invoice_event(
    event_type: str, subscription: str, customer: str, created: int
) -> dict[str, Any]:
    return event(
        event_type,
        {
            "id": unique_id("in"),
            "object": "invoice",
            "customer": customer,
            "parent": {"subscription_details": {"subscription": subscription}},
        },
        created,
    )


async def deliver(
    client: AsyncTestClient[Litestar],
    body: dict[str, Any] | bytes,
    *,
    path: str = "/api/billing/webhook",
    signature: str | None = None,
) -> Any:
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    headers["Stripe-Signature"] = signature if signature is not None else sign(payload)
    return await client.post(path, content=payload, headers=headers)


async def query(database_url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        cursor = await conn.execute(sql, params)
        return await cursor.fetchall() if cursor.description else []


async def new_organization(database_url: str) -> str:
    """A provisioned organization on the free plan; returns its uuid."""
    rows = await query(
        database_url,
        "select public.provision_actor(jsonb_build_object('clerk_user_id', %s::text,"
        " 'clerk_org_id', %s::text, 'org_role', 'org:admin')) ->> 'organization_id'",
        unique_id("user"),
        unique_id("org"),
    )
    return str(rows[0][0])


async def subscription_row(database_url: str, org_uuid: str) -> dict[str, Any]:
    rows = await query(
        database_url,
        "select plan, status, stripe_customer_id, stripe_subscription_id, current_period_start,"
        " current_period_end, cancel_at from subscriptions where organization_id = %s",
        org_uuid,
    )
    columns = (
        "plan",
        "status",
        "stripe_customer_id",
        "stripe_subscription_id",
        "current_period_start",
        "current_period_end",
        "cancel_at",
    )
    return dict(zip(columns, rows[0], strict=True))


async def recorded_events(database_url: str, event_id: str) -> list[tuple[Any, ...]]:
    return await query(
        database_url, "select event_type, outcome from stripe_events where id = %s", event_id
    )


async def subscribed_org(
    client: AsyncTestClient[Litestar], database_url: str, created: int
) -> tuple[str, str, str]:
    """An org that bought pro through Checkout; returns (org uuid, customer, subscription)."""
    org_uuid = await new_organization(database_url)
    customer, subscription = unique_id("cus"), unique_id("sub")
    response = await deliver(client, checkout_completed(org_uuid, customer, subscription, created))
    assert response.json()["outcome"] == "applied"
    return org_uuid, customer, subscription


@dataclass(frozen=True)
class Subscribed:
    org_uuid: str
    customer: str
    subscription: str

    def event(self, event_type: str, created: int, **fields: Any) -> dict[str, Any]:
        """An event about this subscription (see `subscription_event`)."""
        return subscription_event(event_type, self.subscription, self.customer, created, **fields)

    def invoice(self, event_type: str, created: int) -> dict[str, Any]:
        """An invoice event of this subscription."""
        return invoice_event(event_type, self.subscription, self.customer, created)


@pytest.fixture
async def subscribed(stripe_client: AsyncTestClient[Litestar], database_url: str) -> Subscribed:
    """An org that bought pro through a Checkout completed at 1_800_000_000."""
    return Subscribed(*await subscribed_org(stripe_client, database_url, 1_800_000_000))


def at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


# --------------------------------------------------------------------------- effects


async def test_checkout_completion_links_stripe_to_the_organization_and_sets_the_plan(
    stripe_client: AsyncTestClient[Litestar], database_url: str
) -> None:
    org_uuid = await new_organization(database_url)
    body = checkout_completed(org_uuid, "cus_checkout", unique_id("sub"), 1_800_000_000)

    response = await deliver(stripe_client, body)

    assert response.status_code == 200
    assert response.json() == {"received": True, "outcome": "applied"}
    row = await subscription_row(database_url, org_uuid)
    assert (row["plan"], row["status"], row["stripe_customer_id"]) == (
        "pro",
        "active",
        "cus_checkout",
    )
    assert row["stripe_subscription_id"] == body["data"]["object"]["subscription"]
    assert await recorded_events(database_url, body["id"]) == [
        ("checkout.session.completed", "applied")
    ]


async def test_a_subscription_update_sets_plan_status_period_and_cancel_at(
    stripe_client: AsyncTestClient[Litestar], database_url: str, subscribed: Subscribed
) -> None:
    body = subscribed.event(
        "customer.subscription.updated", 1_800_000_100, price=PRICE_ENTERPRISE, cancel_at=PERIOD_END
    )

    response = await deliver(stripe_client, body)

    assert response.json()["outcome"] == "applied"
    assert await subscription_row(database_url, subscribed.org_uuid) == {
        "plan": "enterprise",
        "status": "active",
        "stripe_customer_id": subscribed.customer,
        "stripe_subscription_id": subscribed.subscription,
        "current_period_start": at(PERIOD_START),
        "current_period_end": at(PERIOD_END),
        "cancel_at": at(PERIOD_END),
    }


async def test_the_legacy_subscription_shape_carries_the_period_at_the_top(
    stripe_client: AsyncTestClient[Litestar], database_url: str, subscribed: Subscribed
) -> None:
    body = subscribed.event("customer.subscription.updated", 1_800_000_100)
    body["data"]["object"]["items"]["data"][0].pop("current_period_start")
    body["data"]["object"]["items"]["data"][0].pop("current_period_end")
    body["data"]["object"]["current_period_start"] = PERIOD_START + 1
    body["data"]["object"]["current_period_end"] = PERIOD_END + 1

    await deliver(stripe_client, body)

    row = await subscription_row(database_url, subscribed.org_uuid)
    assert (row["current_period_start"], row["current_period_end"]) == (
        at(PERIOD_START + 1),
        at(PERIOD_END + 1),
    )


async def test_a_subscription_found_by_its_metadata_links_an_organization(
    stripe_client: AsyncTestClient[Litestar], database_url: str
) -> None:
    org_uuid = await new_organization(database_url)
    subscription = unique_id("sub")
    body = subscription_event(
        "customer.subscription.created",
        subscription,
        unique_id("cus"),
        1_800_000_000,
        metadata={"organization_id": org_uuid},
    )

    response = await deliver(stripe_client, body)

    assert response.json()["outcome"] == "applied"
    row = await subscription_row(database_url, org_uuid)
    assert (row["plan"], row["stripe_subscription_id"]) == ("pro", subscription)


async def test_a_deleted_subscription_moves_the_organization_to_free(
    stripe_client: AsyncTestClient[Litestar], database_url: str, subscribed: Subscribed
) -> None:
    body = subscribed.event("customer.subscription.deleted", 1_800_000_100, status="canceled")

    await deliver(stripe_client, body)

    row = await subscription_row(database_url, subscribed.org_uuid)
    assert (row["plan"], row["status"]) == ("free", "canceled")


async def test_a_failed_invoice_marks_the_subscription_past_due(
    stripe_client: AsyncTestClient[Litestar], database_url: str, subscribed: Subscribed
) -> None:
    await deliver(stripe_client, subscribed.invoice("invoice.payment_failed", 1_800_000_100))

    row = await subscription_row(database_url, subscribed.org_uuid)
    assert (row["plan"], row["status"]) == ("pro", "past_due")


async def test_a_paid_invoice_makes_the_subscription_active_again(
    stripe_client: AsyncTestClient[Litestar], database_url: str, subscribed: Subscribed
) -> None:
    await deliver(stripe_client, subscribed.invoice("invoice.payment_failed", 1_800_000_100))

    await deliver(stripe_client, subscribed.invoice("invoice.paid", 1_800_000_200))

    assert (await subscription_row(database_url, subscribed.org_uuid))["status"] == "active"


async def test_the_stripe_webhook_alias_path_applies_events_too(
    stripe_client: AsyncTestClient[Litestar], database_url: str
) -> None:
    org_uuid = await new_organization(database_url)
    body = checkout_completed(org_uuid, unique_id("cus"), unique_id("sub"), 1_800_000_000)

    response = await deliver(stripe_client, body, path="/api/stripe/webhook")

    assert response.json()["outcome"] == "applied"
    assert (await subscription_row(database_url, org_uuid))["plan"] == "pro"


# --------------------------------------------------------------------------- replays and order


async def test_a_replayed_event_changes_nothing(
    stripe_client: AsyncTestClient[Litestar], database_url: str, subscribed: Subscribed
) -> None:
    failed = subscribed.invoice("invoice.payment_failed", 1_800_000_100)
    await deliver(stripe_client, failed)
    await query(
        database_url,
        "update subscriptions set status = 'active' where organization_id = %s",
        subscribed.org_uuid,
    )

    response = await deliver(stripe_client, failed)

    assert response.status_code == 200
    assert response.json()["outcome"] == "duplicate"
    assert (await subscription_row(database_url, subscribed.org_uuid))["status"] == "active"
    assert await recorded_events(database_url, failed["id"]) == [
        ("invoice.payment_failed", "applied")
    ]


async def test_two_concurrent_deliveries_of_one_event_apply_it_once(
    gateway: Gateway, database_url: str
) -> None:
    org_uuid = await new_organization(database_url)
    change = billing_store.StripeEventChange(
        event_id=unique_id("evt"),
        event_type="checkout.session.completed",
        event_created=at(1_800_000_000),
        organization_id=UUID(org_uuid),
        stripe_customer_id=unique_id("cus"),
        stripe_subscription_id=unique_id("sub"),
        plan="pro",
        status="active",
    )

    results = await asyncio.gather(
        *(billing_store.apply_stripe_event(gateway, change) for _ in range(2))
    )

    assert sorted(result.outcome for result in results) == ["applied", "duplicate"]
    assert await recorded_events(database_url, change.event_id) == [
        ("checkout.session.completed", "applied")
    ]


async def test_an_older_event_arriving_late_is_ignored(
    stripe_client: AsyncTestClient[Litestar], database_url: str, subscribed: Subscribed
) -> None:
    newer = subscribed.event("customer.subscription.updated", 1_800_000_300, price=PRICE_ENTERPRISE)
    older = subscribed.event("customer.subscription.updated", 1_800_000_200, status="past_due")
    await deliver(stripe_client, newer)

    response = await deliver(stripe_client, older)

    assert response.json()["outcome"] == "stale"
    row = await subscription_row(database_url, subscribed.org_uuid)
    assert (row["plan"], row["status"]) == ("enterprise", "active")
    assert await recorded_events(database_url, older["id"]) == [
        ("customer.subscription.updated", "stale")
    ]


async def test_the_subscriptions_created_event_after_checkout_still_fills_the_period(
    stripe_client: AsyncTestClient[Litestar], database_url: str
) -> None:
    # Stripe creates the subscription a moment before Checkout completes, but the
    # completion may be delivered first.
    org_uuid, customer, subscription = await subscribed_org(
        stripe_client, database_url, 1_800_000_010
    )
    created = subscription_event(
        "customer.subscription.created", subscription, customer, 1_800_000_000
    )

    response = await deliver(stripe_client, created)

    assert response.json()["outcome"] == "applied"
    assert (await subscription_row(database_url, org_uuid))["current_period_end"] == at(PERIOD_END)


async def test_a_canceled_subscription_is_not_revived_by_an_update_of_the_same_second(
    stripe_client: AsyncTestClient[Litestar], database_url: str, subscribed: Subscribed
) -> None:
    deleted = subscribed.event("customer.subscription.deleted", 1_800_000_100, status="canceled")
    update = subscribed.event("customer.subscription.updated", 1_800_000_100)
    await deliver(stripe_client, deleted)

    response = await deliver(stripe_client, update)

    assert response.json()["outcome"] == "stale"
    row = await subscription_row(database_url, subscribed.org_uuid)
    assert (row["plan"], row["status"]) == ("free", "canceled")


async def test_a_late_event_of_a_replaced_subscription_is_superseded(
    stripe_client: AsyncTestClient[Litestar], database_url: str, subscribed: Subscribed
) -> None:
    old_subscription = unique_id("sub")
    body = subscription_event(
        "customer.subscription.deleted",
        old_subscription,
        subscribed.customer,
        1_800_000_100,
        status="canceled",
    )

    response = await deliver(stripe_client, body)

    assert response.json()["outcome"] == "superseded"
    row = await subscription_row(database_url, subscribed.org_uuid)
    assert (row["plan"], row["status"], row["stripe_subscription_id"]) == (
        "pro",
        "active",
        subscribed.subscription,
    )


async def test_an_event_for_no_known_organization_is_recorded_as_unmatched(
    stripe_client: AsyncTestClient[Litestar], database_url: str
) -> None:
    body = invoice_event("invoice.paid", unique_id("sub"), unique_id("cus"), 1_800_000_000)

    response = await deliver(stripe_client, body)

    assert response.status_code == 200
    assert response.json()["outcome"] == "unmatched"
    assert await recorded_events(database_url, body["id"]) == [("invoice.paid", "unmatched")]


async def test_an_event_type_we_do_not_use_is_acknowledged_and_not_recorded(
    stripe_client: AsyncTestClient[Litestar], database_url: str
) -> None:
    body = event("customer.created", {"id": unique_id("cus"), "object": "customer"}, 1_800_000_000)

    response = await deliver(stripe_client, body)

    assert response.status_code == 200
    assert response.json() == {"received": True, "outcome": "ignored"}
    assert await recorded_events(database_url, body["id"]) == []


# --------------------------------------------------------------------------- bad input


async def assert_nothing_written(database_url: str, org_uuid: str, event_id: str) -> None:
    row = await subscription_row(database_url, org_uuid)
    assert (row["plan"], row["stripe_customer_id"]) == ("free", None)
    assert await recorded_events(database_url, event_id) == []


def signed_by_another_secret(body: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    payload = json.dumps(body).encode()
    return payload, {"Stripe-Signature": sign(payload, secret="whsec_someone_else")}


def changed_after_signing(body: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    signature = sign(json.dumps(body).encode())
    body["data"]["object"]["metadata"]["plan"] = "enterprise"
    return json.dumps(body).encode(), {"Stripe-Signature": signature}


def without_a_signature(body: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    return json.dumps(body).encode(), {}


def with_a_garbled_signature(body: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    return json.dumps(body).encode(), {"Stripe-Signature": "not a signature"}


def signed_ten_minutes_ago(body: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    payload = json.dumps(body).encode()
    return payload, {"Stripe-Signature": sign(payload, timestamp=int(time.time()) - 600)}


@pytest.mark.parametrize(
    "forged",
    [
        signed_by_another_secret,
        changed_after_signing,
        without_a_signature,
        with_a_garbled_signature,
        signed_ten_minutes_ago,
    ],
    ids=lambda forged: forged.__name__,
)
async def test_an_event_whose_signature_does_not_verify_is_rejected_and_writes_nothing(
    stripe_client: AsyncTestClient[Litestar],
    database_url: str,
    forged: Callable[[dict[str, Any]], tuple[bytes, dict[str, str]]],
) -> None:
    org_uuid = await new_organization(database_url)
    body = checkout_completed(org_uuid, unique_id("cus"), unique_id("sub"), 1_800_000_000)
    payload, signature = forged(body)

    response = await stripe_client.post(
        "/api/billing/webhook",
        content=payload,
        headers={"Content-Type": "application/json", **signature},
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid-signature"
    await assert_nothing_written(database_url, org_uuid, body["id"])


async def test_a_signed_body_that_is_not_json_is_rejected(
    stripe_client: AsyncTestClient[Litestar],
) -> None:
    response = await deliver(stripe_client, b'{"id": "evt_broken", "type": ')

    assert response.status_code == 400
    assert response.json()["code"] == "malformed-event"


async def test_a_signed_event_missing_its_fields_is_rejected_and_writes_nothing(
    stripe_client: AsyncTestClient[Litestar], database_url: str
) -> None:
    body = subscription_event(
        "customer.subscription.updated", unique_id("sub"), unique_id("cus"), 1_800_000_000
    )
    del body["data"]["object"]["status"]

    response = await deliver(stripe_client, body)

    assert response.status_code == 400
    assert response.json()["code"] == "malformed-event"
    assert await recorded_events(database_url, body["id"]) == []


async def test_webhooks_without_a_secret_are_not_configured(
    client: AsyncTestClient[Litestar], database_url: str
) -> None:
    org_uuid = await new_organization(database_url)
    body = checkout_completed(org_uuid, unique_id("cus"), unique_id("sub"), 1_800_000_000)

    response = await deliver(client, body)

    assert response.status_code == 503
    assert response.json()["code"] == "billing-not-configured"
    await assert_nothing_written(database_url, org_uuid, body["id"])


# --------------------------------------------------------------------------- abuse


async def organization_with_caller(database_url: str) -> tuple[str, dict[str, str]]:
    """A provisioned organization (uuid) and local-mode headers of its admin."""
    user, org = unique_id("user"), unique_id("org")
    rows = await query(
        database_url,
        "select public.provision_actor(jsonb_build_object('clerk_user_id', %s::text,"
        " 'clerk_org_id', %s::text, 'org_role', 'org:admin', 'role_is_authoritative', true))"
        " ->> 'organization_id'",
        user,
        org,
    )
    return str(rows[0][0]), {"x-user-id": user, "x-user-org": org}


async def test_an_unpaid_checkout_gives_only_the_free_plans_limits(
    stripe_client: AsyncTestClient[Litestar], database_url: str
) -> None:
    org_uuid, caller = await organization_with_caller(database_url)
    body = checkout_completed(org_uuid, unique_id("cus"), unique_id("sub"), 1_800_000_000)
    body["data"]["object"]["payment_status"] = "unpaid"
    await deliver(stripe_client, body)

    billing = (await stripe_client.get("/api/billing", headers=caller)).json()["subscription"]
    audit = await stripe_client.post(
        "/api/audit", json={"formulas": ["=SUM(A1:A2)"]}, headers=caller
    )

    assert (billing["plan"], billing["status"], billing["auditsPerMonth"]) == (
        "pro",
        "incomplete",
        10,
    )
    assert audit.json()["quota"]["limit"] == 10


async def test_a_subscription_past_due_beyond_the_grace_period_gets_the_free_limits(
    stripe_client: AsyncTestClient[Litestar], database_url: str
) -> None:
    org_uuid, caller = await organization_with_caller(database_url)
    customer, subscription = unique_id("cus"), unique_id("sub")
    eight_days_ago = int(time.time()) - 8 * 24 * 3600
    await deliver(
        stripe_client, checkout_completed(org_uuid, customer, subscription, eight_days_ago)
    )
    await deliver(
        stripe_client,
        invoice_event("invoice.payment_failed", subscription, customer, eight_days_ago + 1),
    )

    billing = (await stripe_client.get("/api/billing", headers=caller)).json()["subscription"]

    assert (billing["plan"], billing["status"], billing["auditsPerMonth"]) == (
        "pro",
        "past_due",
        10,
    )


async def test_a_subscription_past_due_within_the_grace_period_keeps_its_limits(
    stripe_client: AsyncTestClient[Litestar], database_url: str
) -> None:
    org_uuid, caller = await organization_with_caller(database_url)
    customer, subscription = unique_id("cus"), unique_id("sub")
    a_day_ago = int(time.time()) - 24 * 3600
    await deliver(stripe_client, checkout_completed(org_uuid, customer, subscription, a_day_ago))
    await deliver(
        stripe_client, invoice_event("invoice.payment_failed", subscription, customer, a_day_ago)
    )

    billing = (await stripe_client.get("/api/billing", headers=caller)).json()["subscription"]

    assert (billing["status"], billing["auditsPerMonth"]) == ("past_due", 1000)


async def test_a_late_checkout_of_a_canceled_subscription_changes_nothing(
    stripe_client: AsyncTestClient[Litestar], database_url: str
) -> None:
    org_uuid = await new_organization(database_url)
    customer, first, second = unique_id("cus"), unique_id("sub"), unique_id("sub")
    metadata = {"organization_id": org_uuid}
    for body in (
        subscription_event("customer.subscription.created", first, customer, 1_800_000_000),
        subscription_event(
            "customer.subscription.deleted", first, customer, 1_800_000_100, status="canceled"
        ),
        subscription_event(
            "customer.subscription.created", second, customer, 1_800_000_200, metadata=metadata
        ),
        subscription_event(
            "customer.subscription.deleted", second, customer, 1_800_000_300, status="canceled"
        ),
    ):
        body["data"]["object"]["metadata"] = metadata
        await deliver(stripe_client, body)
    late_checkout = checkout_completed(org_uuid, customer, first, 1_800_000_050)

    response = await deliver(stripe_client, late_checkout)

    assert response.json()["outcome"] == "stale"
    row = await subscription_row(database_url, org_uuid)
    assert (row["plan"], row["status"], row["stripe_subscription_id"]) == (
        "free",
        "canceled",
        second,
    )


async def test_a_late_checkout_older_than_the_live_subscription_changes_nothing(
    stripe_client: AsyncTestClient[Litestar], database_url: str
) -> None:
    org_uuid, customer, live = await subscribed_org(stripe_client, database_url, 1_800_000_100)
    await deliver(
        stripe_client,
        subscription_event("customer.subscription.updated", live, customer, 1_800_000_200),
    )
    late_checkout = checkout_completed(org_uuid, customer, unique_id("sub"), 1_800_000_000)

    response = await deliver(stripe_client, late_checkout)

    assert response.json()["outcome"] == "superseded"
    row = await subscription_row(database_url, org_uuid)
    assert (row["status"], row["stripe_subscription_id"]) == ("active", live)


@pytest.mark.parametrize("created", [10**13, -1], ids=["year-318857", "before-1970"])
async def test_a_signed_event_with_an_impossible_time_is_a_bad_request(
    stripe_client: AsyncTestClient[Litestar], created: int
) -> None:
    body = invoice_event("invoice.paid", unique_id("sub"), unique_id("cus"), created)

    response = await deliver(stripe_client, body)

    assert response.status_code == 400
    assert response.json()["code"] == "malformed-event"
