"""Stripe Checkout: the provider, its API calls, signed webhook events and the reconciliation of missed ones."""
