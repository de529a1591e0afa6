"""Billing: the plan overview, plan changes, the Stripe portal and Stripe webhooks."""

from __future__ import annotations

from typing import Any

from litestar import Controller, MediaType, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody
from pydantic import BaseModel, Field

from sheetbrain.billing import account, webhooks
from sheetbrain.billing.account import CheckoutStarted, PortalSession
from sheetbrain.billing.plans import BillingOverview
from sheetbrain.billing.stripe_gateway import StripeGateway
from sheetbrain.identity import Identity
from sheetbrain.settings import Settings
from sheetbrain.store.gateway import Gateway


class PlanChoice(BaseModel):
    """POST /api/billing: the seed guide sends `{"plan": "free"}`."""

    plan: str = Field(min_length=1, max_length=64)


_RETURN_MESSAGES = {
    "success": "Payment received: the plan changes as soon as Stripe confirms it. "
    "You can close this tab.",
    "cancel": "Checkout cancelled: the plan is unchanged. You can close this tab.",
}


class BillingController(Controller):
    tags = ["billing"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @get(
        ["/api/billing", "/api/billing/status"],
        summary="Plan, status, period, usage this month and limits",
    )
    async def overview(
        self, gateway: NamedDependency[Gateway], identity: NamedDependency[Identity]
    ) -> BillingOverview:
        return await account.overview(gateway, identity)

    @post(
        "/api/billing",
        status_code=200,
        operation_id="billing_change_plan",
        summary="Switch to free now, or get a Stripe Checkout URL for a paid plan (admins)",
    )
    async def change_plan(
        self,
        data: JSONBody[PlanChoice],
        gateway: NamedDependency[Gateway],
        stripe_gateway: NamedDependency[StripeGateway | None],
        settings: NamedDependency[Settings],
        identity: NamedDependency[Identity],
    ) -> BillingOverview | CheckoutStarted:
        return await account.change_plan(gateway, stripe_gateway, settings, identity, data.plan)

    @post(
        "/api/billing/portal",
        status_code=200,
        operation_id="billing_portal",
        summary="A Stripe customer-portal URL (admins)",
    )
    async def portal(
        self,
        gateway: NamedDependency[Gateway],
        stripe_gateway: NamedDependency[StripeGateway | None],
        settings: NamedDependency[Settings],
        identity: NamedDependency[Identity],
    ) -> PortalSession:
        return await account.open_portal(gateway, stripe_gateway, settings, identity)

    @post(
        # The original backend's URLs stay valid for existing Stripe endpoints.
        ["/api/billing/webhook", "/api/stripe/webhook", "/api/webhooks/stripe"],
        status_code=200,
        summary="Stripe events, verified by the Stripe-Signature header",
    )
    async def webhook(
        self,
        request: Request[Any, Any, Any],
        gateway: NamedDependency[Gateway],
        settings: NamedDependency[Settings],
    ) -> webhooks.WebhookReceipt:
        body = await request.body()
        signature = request.headers.get("stripe-signature")
        return await webhooks.handle_webhook(gateway, settings, body, signature)

    @get(
        account.RETURN_PATH,
        media_type=MediaType.TEXT,
        operation_id="billing_return",
        summary="Where Stripe Checkout and the portal send the browser back",
    )
    async def returned(self, checkout: FromQuery[str | None] = None) -> str:
        return _RETURN_MESSAGES.get(checkout or "", "You can close this tab.")
