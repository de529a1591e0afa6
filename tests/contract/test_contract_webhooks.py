"""The original backend's webhook URLs, still configured in existing Clerk and Stripe
dashboards, deliver to the same handlers as ours."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import psycopg
import pytest
import stripe
from litestar import Litestar
from litestar.testing import AsyncTestClient
from pydantic import SecretStr
from svix.webhooks import Webhook

from sheetbrain.app import create_app
from sheetbrain.settings import Settings
from sheetbrain.store.gateway import Gateway
from support.accounts import sync
from support.clients import LOOPBACK
from support.ids import unique_id

pytestmark = pytest.mark.db

CLERK_SECRET = "whsec_" + base64.b64encode(b"sheetbrain-contract-clerk-secret").decode()
STRIPE_SECRET = "whsec_contract_stripe_secret"


@pytest.fixture
async def service(
    local_settings: Settings, gateway: Gateway
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    settings = local_settings.model_copy(
        update={
            "clerk_webhook_secret": SecretStr(CLERK_SECRET),
            "stripe_webhook_secret": SecretStr(STRIPE_SECRET),
            "stripe_price_pro": "price_pro_contract",
        }
    )
    async with AsyncTestClient(
        app=create_app(settings, gateway=gateway), base_url=LOOPBACK
    ) as client:
        yield client


async def test_a_clerk_delivery_to_the_original_url_is_applied(
    service: AsyncTestClient[Litestar], db: psycopg.Connection[tuple[object, ...]]
) -> None:
    user, now = unique_id("user"), datetime.now(UTC)
    body = json.dumps(
        {
            "object": "event",
            "type": "user.created",
            "timestamp": int(now.timestamp() * 1000),
            "data": {"id": user, "object": "user", "first_name": "Ada", "last_name": "L"},
        }
    )
    svix_id = unique_id("msg")
    headers = {
        "svix-id": svix_id,
        "svix-timestamp": str(int(now.timestamp())),
        "svix-signature": Webhook(CLERK_SECRET).sign(svix_id, now, body),
        "content-type": "application/json",
    }

    response = await service.post("/api/webhooks/clerk", content=body, headers=headers)

    assert (response.status_code, response.json()) == (200, {"status": "applied"})
    stored = db.execute("select name from public.users where clerk_user_id = %s", (user,))
    assert stored.fetchall() == [("Ada L",)]


async def test_a_stripe_delivery_to_the_original_url_is_applied(
    service: AsyncTestClient[Litestar],
    gateway: Gateway,
    db: psycopg.Connection[tuple[object, ...]],
) -> None:
    provisioned = await sync(gateway, unique_id("user"), unique_id("org"), "org:admin")
    org_uuid = str(provisioned.organization_id)
    payload = json.dumps(
        {
            "id": unique_id("evt"),
            "object": "event",
            "type": "checkout.session.completed",
            "created": int(time.time()),
            "api_version": "2025-03-31.basil",
            "data": {
                "object": {
                    "id": unique_id("cs"),
                    "object": "checkout.session",
                    "client_reference_id": org_uuid,
                    "customer": unique_id("cus"),
                    "subscription": unique_id("sub"),
                    "payment_status": "paid",
                    "metadata": {"organization_id": org_uuid, "plan": "pro"},
                }
            },
        }
    )
    signature = stripe.WebhookSignature.generate_signature_header(payload, STRIPE_SECRET)

    response = await service.post(
        "/api/webhooks/stripe",
        content=payload,
        headers={"Content-Type": "application/json", "Stripe-Signature": signature},
    )

    assert (response.status_code, response.json()["outcome"]) == (200, "applied")
    plan = db.execute(
        "select plan from public.subscriptions where organization_id = %s", (org_uuid,)
    )
    assert plan.fetchall() == [("pro",)]
