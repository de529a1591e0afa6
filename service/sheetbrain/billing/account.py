"""What a member sees of billing, and what an admin may change.

Refusals the request alone decides (a token that does not even claim admin, an unknown
plan, billing not configured) come before the database is touched, so they write
nothing. The admin check that counts is against the caller's STORED role, which the
billing overview returns: a token's role claim may predate Clerk removing or demoting
the member.
"""

from __future__ import annotations

from pydantic import BaseModel

from sheetbrain.billing.errors import (
    BillingNotConfigured,
    NoStripeCustomer,
    SubscriptionExists,
    UnknownPlan,
)
from sheetbrain.billing.plans import FREE_PLAN, BillingOverview, stripe_prices, summarise
from sheetbrain.billing.stripe_gateway import CheckoutRequest, StripeGateway
from sheetbrain.errors import Forbidden
from sheetbrain.identity import ADMIN_ROLE, Identity
from sheetbrain.settings import Settings
from sheetbrain.store import billing as store
from sheetbrain.store.gateway import Gateway

RETURN_PATH = "/billing/return"


class CheckoutStarted(BaseModel):
    """A paid plan is bought on Stripe's hosted Checkout page."""

    checkoutUrl: str


class PortalSession(BaseModel):
    url: str


async def overview(gateway: Gateway, identity: Identity) -> BillingOverview:
    return summarise(await store.billing_overview(gateway, identity))


async def change_plan(
    gateway: Gateway,
    stripe_gateway: StripeGateway | None,
    settings: Settings,
    identity: Identity,
    plan: str,
) -> BillingOverview | CheckoutStarted:
    """Free: switch now (a paid Stripe subscription ends with its period).
    Paid: a Checkout URL; the webhook applies the plan once Stripe confirms payment."""
    action = "change the plan"
    _require_admin(identity.org_role, action)
    if plan == FREE_PLAN:
        return await _downgrade_to_free(gateway, stripe_gateway, identity)
    prices = stripe_prices(settings)
    if plan not in prices:
        raise UnknownPlan(f"Unknown plan; choose one of: {FREE_PLAN}, {', '.join(prices)}.")
    price_id = prices[plan]
    if stripe_gateway is None or price_id is None:
        raise BillingNotConfigured(f"Paid plans need Stripe; the {plan} plan is not configured.")
    record = await _admin_record(gateway, identity, action)
    if record.subscription.live_stripe_subscription_id is not None:
        raise SubscriptionExists(
            "This organization already has a paid subscription; "
            "change it in the billing portal (POST /api/billing/portal)."
        )
    url = await stripe_gateway.create_checkout_session(
        CheckoutRequest(
            organization_id=record.organization_id,
            clerk_org_id=identity.org_id,
            plan=plan,
            price_id=price_id,
            customer_id=record.subscription.stripe_customer_id,
            customer_email=identity.email,
            success_url=_return_url(settings, "checkout=success"),
            cancel_url=_return_url(settings, "checkout=cancel"),
        )
    )
    return CheckoutStarted(checkoutUrl=url)


async def open_portal(
    gateway: Gateway,
    stripe_gateway: StripeGateway | None,
    settings: Settings,
    identity: Identity,
) -> PortalSession:
    """A Stripe customer-portal session (payment method, invoices, plan, cancellation)."""
    action = "manage billing"
    _require_admin(identity.org_role, action)
    record = await _admin_record(gateway, identity, action)
    customer_id = record.subscription.stripe_customer_id
    if customer_id is None:
        raise NoStripeCustomer(
            "This organization has no Stripe customer yet; buy a plan first (POST /api/billing)."
        )
    if stripe_gateway is None:
        raise BillingNotConfigured("The billing portal needs Stripe, which is not configured.")
    url = await stripe_gateway.create_portal_session(
        customer_id, _return_url(settings, "portal=done")
    )
    return PortalSession(url=url)


async def _downgrade_to_free(
    gateway: Gateway, stripe_gateway: StripeGateway | None, identity: Identity
) -> BillingOverview:
    record = await _admin_record(gateway, identity, "change the plan")
    subscription_id = record.subscription.live_stripe_subscription_id
    if subscription_id is None:
        return summarise(await store.downgrade_to_free(gateway, identity, None))
    if stripe_gateway is None:
        raise BillingNotConfigured(
            "This organization pays through Stripe, which is not configured; "
            "cannot cancel the subscription."
        )
    ends_at = await stripe_gateway.cancel_at_period_end(subscription_id)
    return summarise(await store.downgrade_to_free(gateway, identity, ends_at))


async def _admin_record(
    gateway: Gateway, identity: Identity, action: str
) -> store.CallerBillingRecord:
    """The billing record, once the caller's stored role proves them an admin."""
    record = await store.billing_overview(gateway, identity)
    _require_admin(record.role, action)
    return record


def _require_admin(role: str, action: str) -> None:
    if role != ADMIN_ROLE:
        raise Forbidden(f"Only organization admins can {action}.")


def _return_url(settings: Settings, query: str) -> str:
    return f"{settings.public_url.rstrip('/')}{RETURN_PATH}?{query}"
