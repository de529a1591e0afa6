"""Plans, the billing overview, Stripe Checkout and the customer portal, Stripe webhooks."""
