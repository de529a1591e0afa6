"""The three Stripe API calls billing makes, through the `stripe` package.

The client talks through `stripe.HTTPXClient` (httpx), so tests intercept Stripe's
HTTP API with respx. Any Stripe failure becomes `StripeUnavailable` (503): the
caller's request was valid, Stripe did not complete it. Keys never reach logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import stripe
from stripe.params.checkout import SessionCreateParams

from sheetbrain.billing.errors import StripeUnavailable
from sheetbrain.log import get_logger
from sheetbrain.settings import Settings

_log = get_logger("sheetbrain.billing")


@dataclass(frozen=True)
class CheckoutRequest:
    """Who buys which plan: the org's uuid links the payment back to it."""

    organization_id: UUID
    clerk_org_id: str
    plan: str
    price_id: str
    customer_id: str | None
    customer_email: str | None
    success_url: str
    cancel_url: str


class StripeGateway:
    """Stripe Checkout, the customer portal and cancellation at period end."""

    def __init__(self, secret_key: str) -> None:
        self.http = stripe.HTTPXClient()
        self.client = stripe.StripeClient(secret_key, http_client=self.http)

    @classmethod
    def from_settings(cls, settings: Settings) -> StripeGateway | None:
        """The gateway, or None when STRIPE_SECRET_KEY is not set."""
        if settings.stripe_secret_key is None:
            return None
        return cls(settings.stripe_secret_key.get_secret_value())

    async def close(self) -> None:
        """Closes the HTTP connection pool."""
        await self.http.close_async()  # type: ignore[no-untyped-call]  # stripe leaves it unannotated

    async def create_checkout_session(self, request: CheckoutRequest) -> str:
        """A hosted Checkout page selling `request.plan`; returns its URL."""
        metadata = {
            "organization_id": str(request.organization_id),
            "clerk_org_id": request.clerk_org_id,
            "plan": request.plan,
        }
        params: SessionCreateParams = {
            "mode": "subscription",
            "line_items": [{"price": request.price_id, "quantity": 1}],
            "client_reference_id": str(request.organization_id),
            "metadata": metadata,
            # Copied onto the subscription, so its own events name the org too.
            "subscription_data": {"metadata": metadata},
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
        }
        if request.customer_id is not None:
            params["customer"] = request.customer_id
        elif request.customer_email is not None:
            params["customer_email"] = request.customer_email
        session = await self._call(
            "checkout_session", self.client.v1.checkout.sessions.create_async(params=params)
        )
        return str(session.url)

    async def create_portal_session(self, customer_id: str, return_url: str) -> str:
        """A customer-portal session for managing the subscription; returns its URL."""
        session = await self._call(
            "portal_session",
            self.client.v1.billing_portal.sessions.create_async(
                params={"customer": customer_id, "return_url": return_url}
            ),
        )
        return str(session.url)

    async def cancel_at_period_end(self, subscription_id: str) -> datetime:
        """Ask Stripe to end the subscription when its paid period ends; returns when."""
        subscription = await self._call(
            "cancel_subscription",
            self.client.v1.subscriptions.update_async(
                subscription_id, params={"cancel_at_period_end": True}
            ),
        )
        # Stripe sets cancel_at to the period end; older API versions may only have the latter.
        fields = subscription.to_dict()
        ends_at = fields.get("cancel_at") or fields.get("current_period_end")
        if ends_at is None:
            _log.warning("stripe_cancel_without_end", subscription_id=subscription_id)
            raise StripeUnavailable("Stripe did not say when the subscription ends.")
        return datetime.fromtimestamp(int(ends_at), tz=UTC)

    async def _call(self, operation: str, pending: Any) -> Any:
        try:
            return await pending
        except stripe.StripeError as exc:
            _log.warning(
                "stripe_error",
                operation=operation,
                error_type=type(exc).__name__,
                http_status=exc.http_status,
                stripe_code=exc.code,
                request_id=exc.request_id,
            )
            raise StripeUnavailable(
                "Stripe could not complete the request; try again later.",
                headers={"Retry-After": "30"},
            ) from exc
