"""How a billing record reads in the API, and which plan a Stripe price sells."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from sheetbrain.billing.plans import plan_for_price, summarise
from sheetbrain.settings import Settings
from sheetbrain.store.billing import BillingRecord, PlanRow, SubscriptionRow, UsageRow

FREE = PlanRow(
    id="free",
    name="Free",
    audits_per_month=10,
    rate_limit_requests=100,
    rate_limit_window_seconds=60,
    price_cents=0,
)
ENTERPRISE = PlanRow(
    id="enterprise",
    name="Enterprise",
    audits_per_month=None,
    rate_limit_requests=500,
    rate_limit_window_seconds=30,
    price_cents=9900,
)


def record(plan: PlanRow, audits_this_month: int) -> BillingRecord:
    return BillingRecord(
        organization_id=uuid4(),
        subscription=SubscriptionRow(
            plan=plan.id,
            status="active",
            current_period_start=None,
            current_period_end=None,
            cancel_at=None,
            stripe_customer_id=None,
            stripe_subscription_id=None,
        ),
        plan=plan,
        usage=UsageRow(
            month="2026-11",
            audits_this_month=audits_this_month,
            resets_at=datetime(2026, 12, 1, tzinfo=UTC),
        ),
        plans=[FREE, ENTERPRISE],
    )


@pytest.fixture
def settings() -> Settings:
    return Settings(
        stripe_price_pro="price_pro",
        stripe_price_enterprise="price_ent",
        _env_file=None,  # type: ignore[call-arg]
    )


def test_remaining_is_the_quota_minus_this_months_audits() -> None:
    usage = summarise(record(FREE, 4)).usage

    assert (usage.auditsThisMonth, usage.remaining) == (4, 6)


def test_remaining_stops_at_zero_when_the_quota_is_used_up() -> None:
    assert summarise(record(FREE, 11)).usage.remaining == 0


def test_an_unlimited_plan_reads_as_minus_one_for_quota_and_remaining() -> None:
    overview = summarise(record(ENTERPRISE, 5000))

    assert (overview.subscription.auditsPerMonth, overview.usage.remaining) == (-1, -1)


def test_the_rate_limit_comes_from_the_plan() -> None:
    rate_limit = summarise(record(ENTERPRISE, 0)).subscription.rateLimit

    assert (rate_limit.requests, rate_limit.windowSeconds) == (500, 30)


def test_every_plan_is_listed_with_its_quota() -> None:
    plans = summarise(record(FREE, 0)).plans

    assert [(plan.id, plan.auditsPerMonth) for plan in plans] == [
        ("free", 10),
        ("enterprise", -1),
    ]


@pytest.mark.parametrize(
    ("price_id", "plan"),
    [("price_pro", "pro"), ("price_ent", "enterprise"), ("price_other", None), (None, None)],
)
def test_a_price_maps_to_the_plan_it_sells(
    settings: Settings, price_id: str | None, plan: str | None
) -> None:
    assert plan_for_price(settings, price_id) == plan
