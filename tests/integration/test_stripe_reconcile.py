"""`shop payments reconcile`: Stripe (the fake, over HTTP) is asked about open sessions, and what it says is applied
once, however often the command runs."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from checkout.db.models import AuditLog, Variant
from checkout.payments.stripe.provider import StripeProvider
from checkout.payments.stripe.reconcile import reconcile_stripe
from checkout.settings import Settings
from cli.context import AppContext
from cli.main import shop as shop_command
from tests.fake_stripe import API_KEY, FakeStripe
from tests.integration.orm_builders import load_demo_catalog
from tests.integration.payment_builders import count, order, payments, place


@pytest.fixture
def fake():
    server = FakeStripe().start()
    yield server
    server.stop()


@pytest.fixture
def shop(clean_db):
    load_demo_catalog(clean_db)
    return clean_db


def settings_for(db, fake) -> Settings:
    return Settings(database_url=db.url, stripe_secret_key=API_KEY, stripe_api_base=fake.url, stripe_max_retries=0)


def with_link(db, fake, sender: str) -> tuple[str, str]:
    number = place(db, [("HOOD-HVY-BLK-M", 1)], sender=sender)
    url = StripeProvider(settings_for(db, fake)).start_payment(db, number).url
    return number, url.rsplit("/", 1)[1]


def test_reconcile_applies_what_stripe_says(shop, fake):
    paid, paid_session = with_link(shop, fake, "web-paid")
    lapsed, lapsed_session = with_link(shop, fake, "web-lapsed")
    still_open, open_session_id = with_link(shop, fake, "web-open")
    slow, slow_session = with_link(shop, fake, "web-slow")
    fake.complete(paid_session)
    fake.expire(lapsed_session)
    fake.complete(slow_session, payment_status="unpaid")  # a debit still settling

    results = {r.order_number: r.outcome for r in reconcile_stripe(shop, settings_for(shop, fake))}
    assert results == {paid: "paid", lapsed: "expired", still_open: "open", slow: "processing"}
    assert (order(shop, paid).status, order(shop, lapsed).status, order(shop, still_open).status) == (
        "paid",
        "expired",
        "awaiting_payment",
    )
    with shop.reading() as session:
        assert session.scalar(select(Variant.stock).where(Variant.sku == "HOOD-HVY-BLK-M")) == 10 - 3
        actors = set(session.scalars(select(AuditLog.actor)))
    assert actors == {f"reconcile:{paid_session}", f"reconcile:{lapsed_session}"}

    fake.complete(slow_session)  # the debit settled
    again = {r.order_number: r.outcome for r in reconcile_stripe(shop, settings_for(shop, fake))}
    assert again == {still_open: "open", slow: "paid"}  # settled orders are not asked about again
    assert count(shop, AuditLog, AuditLog.action == "order.paid") == 2


def test_reconcile_reports_what_it_could_not_ask(shop, fake):
    number, session_id = with_link(shop, fake, "web-ana")
    fake.fail_next(500)
    (result,) = reconcile_stripe(shop, settings_for(shop, fake))
    assert (result.order_number, result.session_id) == (number, session_id) and result.outcome.startswith("error")
    assert [p.status for p in payments(shop, number)] == ["pending"]


def test_the_command(shop, fake):
    number, session_id = with_link(shop, fake, "web-ana")
    fake.complete(session_id)
    runner = CliRunner()
    app = AppContext(settings_for(shop, fake))
    result = runner.invoke(shop_command, ["payments", "reconcile"], obj=app, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"{number}\t{session_id}\tpaid" in result.output
    assert "1 Stripe payment(s) checked, 0 could not be asked about." in result.output
    asked = len(fake.requests)
    assert runner.invoke(shop_command, ["payments", "reconcile"], obj=app).exit_code == 0
    assert len(fake.requests) == asked  # a paid order is not asked about again
    with_link(shop, fake, "web-bea")
    fake.fail_next(500)
    failed = runner.invoke(shop_command, ["payments", "reconcile"], obj=app)
    assert failed.exit_code == 1 and "1 could not be asked about" in failed.output

    no_key = AppContext(Settings(database_url=shop.url))
    result = runner.invoke(shop_command, ["payments", "reconcile"], obj=no_key)
    assert result.exit_code == 1 and "STRIPE_SECRET_KEY" in result.output
    app.db.dispose()
