"""Verified Stripe events normalised to what apply_stripe_event() needs (no database)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
import stripe
from pydantic import SecretStr

from sheetbrain.billing.errors import BillingNotConfigured, InvalidSignature, MalformedEvent
from sheetbrain.billing.webhooks import change_from_event, verify_event
from sheetbrain.settings import Settings
from sheetbrain.store.billing import StripeEventChange

SECRET = "whsec_unit"
ORG = UUID("6f1c1d2e-8a7b-4c5d-9e0f-112233445566")
CREATED = 1_800_000_000


@pytest.fixture
def settings() -> Settings:
    return Settings(
        stripe_webhook_secret=SecretStr(SECRET),
        stripe_price_pro="price_pro",
        stripe_price_enterprise="price_ent",
        _env_file=None,  # type: ignore[call-arg]
    )


def signed_event(settings: Settings, event_type: str, data_object: dict[str, Any]) -> Any:
    payload = json.dumps(
        {"id": "evt_1", "type": event_type, "created": CREATED, "data": {"object": data_object}}
    )
    header = stripe.WebhookSignature.generate_signature_header(payload, SECRET)
    return verify_event(settings, payload.encode(), header)


def change(settings: Settings, event_type: str, data_object: dict[str, Any]) -> Any:
    return change_from_event(settings, signed_event(settings, event_type, data_object))


def subscription(**fields: Any) -> dict[str, Any]:
    return {
        "id": "sub_1",
        "customer": "cus_1",
        "status": "active",
        "items": {"data": [{"price": {"id": "price_pro"}}]},
        **fields,
    }


# --------------------------------------------------------------------------- verification


def test_without_a_webhook_secret_billing_is_not_configured() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    with pytest.raises(BillingNotConfigured):
        verify_event(settings, b"{}", "t=1,v1=00")


def test_a_missing_signature_header_is_an_invalid_signature(settings: Settings) -> None:
    with pytest.raises(InvalidSignature):
        verify_event(settings, b"{}", None)


def test_a_signature_with_another_secret_is_invalid(settings: Settings) -> None:
    header = stripe.WebhookSignature.generate_signature_header("{}", "whsec_other")

    with pytest.raises(InvalidSignature):
        verify_event(settings, b"{}", header)


def test_a_signed_event_without_data_is_malformed(settings: Settings) -> None:
    payload = json.dumps({"id": "evt_1", "type": "invoice.paid", "created": CREATED})
    header = stripe.WebhookSignature.generate_signature_header(payload, SECRET)

    with pytest.raises(MalformedEvent):
        verify_event(settings, payload.encode(), header)


# --------------------------------------------------------------------------- normalisation


def test_a_paid_checkout_names_the_org_customer_subscription_and_plan(settings: Settings) -> None:
    result = change(
        settings,
        "checkout.session.completed",
        {
            "client_reference_id": str(ORG),
            "customer": "cus_1",
            "subscription": "sub_1",
            "payment_status": "paid",
            "metadata": {"plan": "pro"},
        },
    )

    assert result == StripeEventChange(
        event_id="evt_1",
        event_type="checkout.session.completed",
        event_created=datetime.fromtimestamp(CREATED, tz=UTC),
        organization_id=ORG,
        stripe_customer_id="cus_1",
        stripe_subscription_id="sub_1",
        plan="pro",
        status="active",
    )


def test_an_unpaid_checkout_is_incomplete(settings: Settings) -> None:
    result = change(
        settings,
        "checkout.session.completed",
        {"client_reference_id": str(ORG), "payment_status": "unpaid"},
    )

    assert result.status == "incomplete"


def test_a_checkout_reference_that_is_not_our_uuid_falls_back_to_metadata(
    settings: Settings,
) -> None:
    result = change(
        settings,
        "checkout.session.completed",
        {"client_reference_id": "someone-else", "metadata": {"organization_id": str(ORG)}},
    )

    assert result.organization_id == ORG


def test_a_checkout_for_a_plan_we_do_not_sell_sets_no_plan(settings: Settings) -> None:
    result = change(
        settings,
        "checkout.session.completed",
        {"client_reference_id": str(ORG), "metadata": {"plan": "free"}},
    )

    assert result.plan is None


def test_a_subscription_of_an_unknown_price_keeps_the_plan(settings: Settings) -> None:
    result = change(
        settings,
        "customer.subscription.updated",
        subscription(items={"data": [{"price": {"id": "price_elsewhere"}}]}),
    )

    assert (result.plan, result.status) == (None, "active")


def test_an_expired_incomplete_subscription_means_the_free_plan(settings: Settings) -> None:
    result = change(
        settings, "customer.subscription.updated", subscription(status="incomplete_expired")
    )

    assert result.plan == "free"


def test_a_subscription_status_stripe_does_not_define_is_malformed(settings: Settings) -> None:
    with pytest.raises(MalformedEvent):
        change(settings, "customer.subscription.updated", subscription(status="frozen"))


def test_the_legacy_invoice_names_its_subscription_at_the_top(settings: Settings) -> None:
    result = change(
        settings, "invoice.payment_failed", {"customer": "cus_1", "subscription": "sub_legacy"}
    )

    assert (result.stripe_subscription_id, result.status) == ("sub_legacy", "past_due")


def test_an_event_type_we_do_not_use_changes_nothing(settings: Settings) -> None:
    assert change(settings, "charge.refunded", {"id": "ch_1"}) is None
