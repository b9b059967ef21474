"""Promo codes: their rules (pure), pricing, and the services that create, apply, take and give back uses."""
