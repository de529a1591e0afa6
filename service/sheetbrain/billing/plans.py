"""Plans as the API shows them, and which plans are sold through Stripe.

The catalogue (quotas, rate limits) lives in the `plans` table; code only knows that
`free` needs no payment and which Stripe price sells each paid plan (settings).
The wire models use the API's camelCase names as field names, as the add-ons read
them (`subscription.plan`, `subscription.auditsPerMonth`, `usage.auditsThisMonth`);
-1 means unlimited.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from sheetbrain.settings import Settings
from sheetbrain.store.billing import BillingRecord, PlanRow

FREE_PLAN = "free"
UNLIMITED = -1


def stripe_prices(settings: Settings) -> dict[str, str | None]:
    """Each paid plan and its Stripe price id (None while not configured)."""
    return {"pro": settings.stripe_price_pro, "enterprise": settings.stripe_price_enterprise}


def plan_for_price(settings: Settings, price_id: str | None) -> str | None:
    """The plan a Stripe price sells, or None for a price that is not ours."""
    if price_id is None:
        return None
    return next(
        (plan for plan, price in stripe_prices(settings).items() if price == price_id), None
    )


class RateLimit(BaseModel):
    requests: int
    windowSeconds: int


class PlanSummary(BaseModel):
    id: str
    name: str
    auditsPerMonth: int
    priceCents: int
    rateLimit: RateLimit


class SubscriptionSummary(BaseModel):
    plan: str
    status: str
    auditsPerMonth: int
    currentPeriodStart: datetime | None
    currentPeriodEnd: datetime | None
    cancelAt: datetime | None
    rateLimit: RateLimit


class UsageSummary(BaseModel):
    month: str
    auditsThisMonth: int
    remaining: int
    resetsAt: datetime


class BillingOverview(BaseModel):
    """GET /api/billing."""

    subscription: SubscriptionSummary
    usage: UsageSummary
    plans: list[PlanSummary]


def _quota(plan: PlanRow) -> int:
    return UNLIMITED if plan.audits_per_month is None else plan.audits_per_month


def _rate_limit(plan: PlanRow) -> RateLimit:
    return RateLimit(
        requests=plan.rate_limit_requests, windowSeconds=plan.rate_limit_window_seconds
    )


def summarise(record: BillingRecord) -> BillingOverview:
    """The overview a member sees, from the organization's billing record."""
    quota = _quota(record.plan)
    used = record.usage.audits_this_month
    return BillingOverview(
        subscription=SubscriptionSummary(
            plan=record.subscription.plan,
            status=record.subscription.status,
            auditsPerMonth=quota,
            currentPeriodStart=record.subscription.current_period_start,
            currentPeriodEnd=record.subscription.current_period_end,
            cancelAt=record.subscription.cancel_at,
            rateLimit=_rate_limit(record.plan),
        ),
        usage=UsageSummary(
            month=record.usage.month,
            auditsThisMonth=used,
            remaining=UNLIMITED if quota == UNLIMITED else max(quota - used, 0),
            resetsAt=record.usage.resets_at,
        ),
        plans=[
            PlanSummary(
                id=plan.id,
                name=plan.name,
                auditsPerMonth=_quota(plan),
                priceCents=plan.price_cents,
                rateLimit=_rate_limit(plan),
            )
            for plan in record.plans
        ],
    )
