"""Stripe webhooks: verify the signature, normalise the event, apply it once.

`stripe.Webhook.construct_event` checks the `Stripe-Signature` header (HMAC-SHA256 of
`"{t}.{body}"` with the endpoint secret, timestamp within 5 minutes). The verified
body is then parsed into the few fields we use; the database decides, under a row
lock, whether the event is new, a replay, or older than what it already knows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

import stripe
from pydantic import BaseModel, Field, ValidationError

from sheetbrain.billing.errors import BillingNotConfigured, InvalidSignature, MalformedEvent
from sheetbrain.billing.plans import FREE_PLAN, plan_for_price, stripe_prices
from sheetbrain.settings import Settings
from sheetbrain.store import billing as store
from sheetbrain.store.billing import StripeEventChange, SubscriptionStatus
from sheetbrain.store.gateway import Gateway

CHECKOUT_COMPLETED = "checkout.session.completed"
SUBSCRIPTION_EVENTS = (
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
)
INVOICE_STATUS: dict[str, SubscriptionStatus] = {
    "invoice.paid": "active",
    "invoice.payment_failed": "past_due",
}

_ENDED: tuple[SubscriptionStatus, ...] = ("canceled", "incomplete_expired")
_PAID_CHECKOUT = ("paid", "no_payment_required")

_Model = TypeVar("_Model", bound=BaseModel)

# Stripe times are Unix seconds; one outside what a datetime holds (year 1970 to 9999)
# is malformed, not a server fault.
EpochSeconds = Annotated[int, Field(ge=0, le=253_402_300_799)]


class WebhookReceipt(BaseModel):
    received: bool = True
    outcome: Literal["applied", "duplicate", "stale", "superseded", "unmatched", "ignored"]


class _EventData(BaseModel):
    object: dict[str, Any]


class StripeEvent(BaseModel):
    id: str
    type: str
    created: EpochSeconds
    data: _EventData


class _CheckoutSession(BaseModel):
    client_reference_id: str | None = None
    customer: str | None = None
    subscription: str | None = None
    payment_status: str | None = None
    metadata: dict[str, str] = {}


class _Price(BaseModel):
    id: str


class _SubscriptionItem(BaseModel):
    price: _Price
    current_period_start: EpochSeconds | None = None
    current_period_end: EpochSeconds | None = None


class _SubscriptionItems(BaseModel):
    data: list[_SubscriptionItem] = []


class _Subscription(BaseModel):
    id: str
    customer: str
    status: SubscriptionStatus
    cancel_at: EpochSeconds | None = None
    # API versions before 2025-03-31 carry the period here, later ones on each item.
    current_period_start: EpochSeconds | None = None
    current_period_end: EpochSeconds | None = None
    items: _SubscriptionItems = _SubscriptionItems()
    metadata: dict[str, str] = {}


class _SubscriptionDetails(BaseModel):
    subscription: str | None = None


class _InvoiceParent(BaseModel):
    subscription_details: _SubscriptionDetails | None = None


class _Invoice(BaseModel):
    customer: str | None = None
    # API versions before 2025-03-31 name the subscription here, later ones in parent.
    subscription: str | None = None
    parent: _InvoiceParent | None = None


async def handle_webhook(
    gateway: Gateway, settings: Settings, payload: bytes, signature: str | None
) -> WebhookReceipt:
    """Verify and apply one delivery; event types we do not use are acknowledged."""
    event = verify_event(settings, payload, signature)
    change = change_from_event(settings, event)
    if change is None:
        return WebhookReceipt(outcome="ignored")
    result = await store.apply_stripe_event(gateway, change)
    return WebhookReceipt(outcome=result.outcome)


def verify_event(settings: Settings, payload: bytes, signature: str | None) -> StripeEvent:
    """The event, if `signature` proves Stripe sent this exact body recently."""
    # An unsigned request is bad input whatever the configuration; checked first.
    if not signature:
        raise InvalidSignature("The Stripe-Signature header is missing.")
    if settings.stripe_webhook_secret is None:
        raise BillingNotConfigured("Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET).")
    try:
        stripe.Webhook.construct_event(
            payload, signature, settings.stripe_webhook_secret.get_secret_value()
        )
    except stripe.SignatureVerificationError as exc:
        raise InvalidSignature("The Stripe signature does not match or has expired.") from exc
    except ValueError as exc:  # a body that is not JSON, after a valid signature
        raise MalformedEvent("The event body is not JSON.") from exc
    return _parse(StripeEvent, payload)


def change_from_event(settings: Settings, event: StripeEvent) -> StripeEventChange | None:
    """The fields apply_stripe_event() needs, or None for an event type we ignore."""
    common: dict[str, Any] = {
        "event_id": event.id,
        "event_type": event.type,
        "event_created": _epoch(event.created),
    }
    body = event.data.object
    if event.type == CHECKOUT_COMPLETED:
        session = _parse(_CheckoutSession, body)
        plan = session.metadata.get("plan")
        return StripeEventChange(
            **common,
            organization_id=_uuid(session.client_reference_id)
            or _uuid(session.metadata.get("organization_id")),
            stripe_customer_id=session.customer,
            stripe_subscription_id=session.subscription,
            plan=plan if plan in stripe_prices(settings) else None,
            status="active" if session.payment_status in _PAID_CHECKOUT else "incomplete",
        )
    if event.type in SUBSCRIPTION_EVENTS:
        subscription = _parse(_Subscription, body)
        first_item = subscription.items.data[0] if subscription.items.data else None
        ended = subscription.status in _ENDED
        return StripeEventChange(
            **common,
            organization_id=_uuid(subscription.metadata.get("organization_id")),
            stripe_customer_id=subscription.customer,
            stripe_subscription_id=subscription.id,
            plan=FREE_PLAN
            if ended
            else plan_for_price(settings, first_item.price.id if first_item else None),
            status=subscription.status,
            current_period_start=_moment(
                subscription.current_period_start
                or (first_item.current_period_start if first_item else None)
            ),
            current_period_end=_moment(
                subscription.current_period_end
                or (first_item.current_period_end if first_item else None)
            ),
            cancel_at=_moment(subscription.cancel_at),
        )
    if event.type in INVOICE_STATUS:
        invoice = _parse(_Invoice, body)
        details = invoice.parent.subscription_details if invoice.parent else None
        return StripeEventChange(
            **common,
            stripe_customer_id=invoice.customer,
            stripe_subscription_id=invoice.subscription
            or (details.subscription if details else None),
            status=INVOICE_STATUS[event.type],
        )
    return None


def _parse(model: type[_Model], data: bytes | dict[str, Any]) -> _Model:
    try:
        if isinstance(data, bytes):
            return model.model_validate_json(data)
        return model.model_validate(data)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(part) for part in error["loc"]) for error in exc.errors())
        raise MalformedEvent(f"The event lacks or mistypes: {fields}.") from exc


def _epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def _moment(epoch_seconds: int | None) -> datetime | None:
    return None if epoch_seconds is None else _epoch(epoch_seconds)


def _uuid(value: str | None) -> UUID | None:
    """Our organization uuid from Stripe metadata; anything else names no org."""
    try:
        return UUID(value) if value else None
    except ValueError:
        return None
