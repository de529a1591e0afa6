"""Billing failures, each with its own stable problem code."""

from __future__ import annotations

from sheetbrain.errors import BadRequest, Conflict, NotConfigured, ServiceUnavailable


class UnknownPlan(BadRequest):
    code, title = "unknown-plan", "Unknown plan"


class BillingNotConfigured(NotConfigured):
    code, title = "billing-not-configured", "Billing is not configured"


class StripeUnavailable(ServiceUnavailable):
    code, title = "stripe-unavailable", "Stripe did not complete the request"


class NoStripeCustomer(Conflict):
    code, title = "no-stripe-customer", "No Stripe customer yet"


class SubscriptionExists(Conflict):
    code, title = "subscription-exists", "A paid subscription is already active"


class InvalidSignature(BadRequest):
    code, title = "invalid-signature", "Invalid Stripe signature"


class MalformedEvent(BadRequest):
    code, title = "malformed-event", "Malformed Stripe event"
