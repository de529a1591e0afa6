"""Typed wrappers around the billing SQL functions (20261125040000_billing.sql).

All of them run as service_role: the overview provisions an organization seen for the
first time, and the others write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel

from sheetbrain.identity import Identity
from sheetbrain.store import errors as store_errors
from sheetbrain.store.actor import actor
from sheetbrain.store.gateway import Gateway

# Stripe subscription statuses (the subscriptions.status check constraint).
SubscriptionStatus = Literal[
    "active",
    "trialing",
    "past_due",
    "canceled",
    "incomplete",
    "incomplete_expired",
    "unpaid",
    "paused",
]
EventOutcome = Literal["applied", "duplicate", "stale", "superseded", "unmatched"]

_ENDED_STATUSES = ("canceled", "incomplete_expired")
_CONCURRENT_DELIVERY = "PT409"


class PlanRow(BaseModel):
    id: str
    name: str
    audits_per_month: int | None
    rate_limit_requests: int
    rate_limit_window_seconds: int
    price_cents: int


class SubscriptionRow(BaseModel):
    plan: str
    status: SubscriptionStatus
    current_period_start: datetime | None
    current_period_end: datetime | None
    cancel_at: datetime | None
    stripe_customer_id: str | None
    stripe_subscription_id: str | None

    @property
    def live_stripe_subscription_id(self) -> str | None:
        """The Stripe subscription still billing this org, if any."""
        if self.status in _ENDED_STATUSES:
            return None
        return self.stripe_subscription_id


class UsageRow(BaseModel):
    month: str
    audits_this_month: int
    resets_at: datetime


class BillingRecord(BaseModel):
    """An organization's billing; `plan` is the plan in force (whose limits apply)."""

    organization_id: UUID
    subscription: SubscriptionRow
    plan: PlanRow
    usage: UsageRow
    plans: list[PlanRow]


class CallerBillingRecord(BillingRecord):
    """The billing record, with the caller's stored membership role (not the token's)."""

    role: str


@dataclass(frozen=True)
class StripeEventChange:
    """A verified Stripe event, normalised to the fields apply_stripe_event() takes."""

    event_id: str
    event_type: str
    event_created: datetime
    organization_id: UUID | None = None
    stripe_customer_id: str | None = None
    stripe_subscription_id: str | None = None
    plan: str | None = None
    status: SubscriptionStatus | None = None
    current_period_start: datetime | None = None
    current_period_end: datetime | None = None
    cancel_at: datetime | None = None


class EventResult(BaseModel):
    outcome: EventOutcome
    organization_id: UUID | None


async def billing_overview(gateway: Gateway, identity: Identity) -> CallerBillingRecord:
    """Provision the caller's identity if new, then read its organization's billing."""
    return await gateway.rpc("billing_overview", {"actor": actor(identity)}, CallerBillingRecord)


async def downgrade_to_free(
    gateway: Gateway, identity: Identity, stripe_cancel_at: datetime | None
) -> BillingRecord:
    """Free plan now, or (with a live Stripe subscription) at `stripe_cancel_at`; the
    database checks the caller's stored role, not the token's."""
    return await gateway.rpc(
        "downgrade_to_free",
        {"actor": actor(identity), "stripe_cancel_at": _iso(stripe_cancel_at)},
        BillingRecord,
    )


async def apply_stripe_event(gateway: Gateway, change: StripeEventChange) -> EventResult:
    """Apply one event exactly once; a concurrent second delivery reads as a duplicate."""
    args: dict[str, Any] = {
        "event_id": change.event_id,
        "event_type": change.event_type,
        "event_created": _iso(change.event_created),
        "organization_id": str(change.organization_id) if change.organization_id else None,
        "stripe_customer_id": change.stripe_customer_id,
        "stripe_subscription_id": change.stripe_subscription_id,
        "plan": change.plan,
        "status": change.status,
        "current_period_start": _iso(change.current_period_start),
        "current_period_end": _iso(change.current_period_end),
        "cancel_at": _iso(change.cancel_at),
    }
    try:
        return await gateway.rpc("apply_stripe_event", args, EventResult)
    except store_errors.Conflict as exc:
        # PT409 (not a unique violation): another delivery of the same event committed
        # first; its effect is in place and ours was rolled back.
        if exc.code != _CONCURRENT_DELIVERY:
            raise
        return EventResult(outcome="duplicate", organization_id=None)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
