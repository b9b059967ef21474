"""`shop payments`: payment upkeep the seller runs by hand or from cron."""

from __future__ import annotations

import click

from checkout.payments.stripe.reconcile import reconcile_stripe, reconcile_stripe_refunds
from cli.context import AppContext, pass_app


@click.group()
def payments():
    """Payments through providers (Stripe)."""


@payments.command("reconcile")
@pass_app
def reconcile(app: AppContext):
    """Ask Stripe about every order still awaiting payment that has a Checkout link, and about every refund still
    pending, and apply what it says (paid, expired, refunded, refund failed) for webhooks that never arrived. Safe
    to run any number of times."""
    if not app.settings.stripe_secret_key:
        raise click.ClickException("STRIPE_SECRET_KEY is not set: there is no Stripe account to ask.")
    results = reconcile_stripe(app.db, app.settings) + reconcile_stripe_refunds(app.db, app.settings)
    for r in results:
        click.echo(f"{r.order_number}\t{r.session_id}\t{r.outcome}")
    errors = sum(r.outcome.startswith("error") for r in results)
    click.echo(f"{len(results)} Stripe payment(s) checked, {errors} could not be asked about.")
    if errors:
        raise SystemExit(1)
