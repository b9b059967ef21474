"""Unpaid orders expire (checkout/orders/deadlines.py), and a shopper holds at most SHOP_MAX_OPEN_ORDERS of them
(checkout/orders/open_orders.py), on SQLite and PostgreSQL. The job is driven with its clock: each run is told
what time it is, so a test walks an order through half-time and its deadline without waiting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update

import checkout.orders.deadlines
import checkout.orders.lifecycle
from checkout.carts import add_to_cart, cart_fingerprint, view_cart
from checkout.customers.identity import ShopperIdentity, identify
from checkout.db.database import Database
from checkout.db.migrate import upgrade
from checkout.db.models import AuditLog, Customer, Order, OutboxMessage, Payment, Variant, utcnow
from checkout.errors import CheckoutError, InvalidTransition
from checkout.orders.cancellation import cancel_own_order
from checkout.orders.deadlines import DeadlineRun, extend_payment_deadline, run_payment_deadlines
from checkout.orders.open_orders import TooManyOpenOrders
from checkout.orders.placement import DeliveryDetails, place_order_from_cart
from checkout.orders.seller_actions import OrderNotFound, mark_paid
from checkout.settings import Settings
from checkout.statuses import OrderStatus
from cli.context import AppContext
from cli.main import shop as shop_command
from tests.integration.orm_builders import load_demo_catalog
from tests.integration.payment_builders import open_session
from tests.integration.races import race

ANA = ShopperIdentity("rest", "web-ana", "web-ana")
DETAILS = DeliveryDetails("Ana Lima", "+33612345678", "1 rue du Test, 75001 Paris", "ana@example.com")
INSTRUCTIONS = "Pay by transfer to IBAN TEST 0000, reference: your order number."
HOODIE = "HOOD-HVY-BLK-M"


@pytest.fixture
def shop(clean_db) -> Database:
    load_demo_catalog(clean_db)
    return clean_db


@pytest.fixture
def settings(shop) -> Settings:
    return Settings(database_url=shop.url, shop_payment_methods="manual", shop_payment_instructions=INSTRUCTIONS)


# --- helpers -----------------------------------------------------------------------------------------------------


def place(db, settings, identity=ANA, lines=((HOODIE, 2),), message_id=None) -> str:
    """An order placed as the chat's "yes" to the summary places it."""
    with db.transaction() as session:
        customer = identify(session, identity)
        for sku, quantity in lines:
            add_to_cart(session, customer, session.scalar(select(Variant).where(Variant.sku == sku)), quantity)
        summary = cart_fingerprint(view_cart(session, customer, "EUR"))
    return place_order_from_cart(db, settings, identity, DETAILS, summary, message_id=message_id).number


def order(db, number: str) -> Order:
    with db.reading() as session:
        return session.scalar(select(Order).where(Order.number == number))


def stock(db, sku: str = HOODIE) -> int:
    with db.reading() as session:
        return session.scalar(select(Variant.stock).where(Variant.sku == sku))


def sent(db, number: str, kind: str) -> list[OutboxMessage]:
    with db.reading() as session:
        found = session.scalar(select(Order).where(Order.number == number))
        return list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.order_id == found.id, OutboxMessage.kind == kind)
                .order_by(OutboxMessage.id)
            )
        )


def history(db, number: str) -> list[tuple[str, str]]:
    with db.reading() as session:
        return [
            (a.actor, a.action)
            for a in session.scalars(select(AuditLog).where(AuditLog.entity_id == number).order_by(AuditLog.id))
        ]


# --- reminded at half-time, expired at the deadline ------------------------------------------------------------------


def test_a_manual_order_is_reminded_at_half_time_then_expires_with_its_stock_back(shop, settings):
    before = stock(shop)
    number = place(shop, settings)
    placed = order(shop, number)
    assert stock(shop) == before - 2
    assert placed.payment_due_at == placed.created_at + timedelta(hours=72)  # SHOP_PAYMENT_DEADLINE_HOURS' default
    assert placed.payment_reminder_at == placed.created_at + timedelta(hours=36)
    half_time, deadline = placed.payment_reminder_at, placed.payment_due_at

    assert not run_payment_deadlines(shop, settings, now=half_time - timedelta(seconds=1)).did_something
    first = run_payment_deadlines(shop, settings, now=half_time)
    again = run_payment_deadlines(shop, settings, now=half_time + timedelta(minutes=1))
    assert (first.reminded, first.expired, again.reminded) == ([number], [], [])
    (reminder,) = sent(shop, number, "payment_reminder")
    assert reminder.text.startswith(f"Order {number} is waiting for payment: €118.00. {INSTRUCTIONS}")
    assert f"paid by {deadline:%d %b %H:%M} UTC" in reminder.text
    assert (reminder.channel, reminder.recipient, reminder.buttons) == (
        "rest",
        "web-ana",
        None,
    )  # one method: no choice
    assert order(shop, number).payment_reminded_at == half_time

    assert not run_payment_deadlines(shop, settings, now=deadline - timedelta(seconds=1)).did_something
    assert order(shop, number).status == OrderStatus.AWAITING_PAYMENT and stock(shop) == before - 2
    expired = run_payment_deadlines(shop, settings, now=deadline)
    assert (expired.reminded, expired.expired) == ([], [number])
    assert not run_payment_deadlines(shop, settings, now=deadline + timedelta(hours=1)).did_something

    assert order(shop, number).status == OrderStatus.EXPIRED
    assert stock(shop) == before  # back once, not twice
    (notice,) = sent(shop, number, "order_expired")
    assert (
        notice.text
        == f"Order {number} expired before it was paid, so we released the items. Just write if you still want them."
    )
    assert len(sent(shop, number, "payment_reminder")) == 1
    assert history(shop, number) == [("payment_deadline", "order.expired")]


def test_the_deadline_is_the_setting_decimals_included(shop, settings):
    number = place(shop, settings.replace(shop_payment_deadline_hours=1.5))
    placed = order(shop, number)
    assert placed.payment_due_at - placed.created_at == timedelta(minutes=90)
    assert placed.payment_reminder_at - placed.created_at == timedelta(minutes=45)


def test_with_a_choice_of_methods_the_reminder_has_a_button_for_each(shop, settings):
    choice = settings.replace(shop_payment_methods="stripe,manual", stripe_secret_key="sk_test_x")
    number = place(shop, choice)  # placed, it offers the choice; nothing chosen since
    run_payment_deadlines(shop, choice, now=order(shop, number).payment_reminder_at)
    (reminder,) = sent(shop, number, "payment_reminder")
    assert "Tap below to choose how to pay." in reminder.text and INSTRUCTIONS not in reminder.text
    assert [b["payload"] for b in reminder.buttons] == [
        f'/choose_payment_method{{"payment_method": "stripe", "order_number": "{number}"}}',
        f'/choose_payment_method{{"payment_method": "manual", "order_number": "{number}"}}',
    ]


def test_with_cards_alone_the_reminder_has_the_card_button(shop, settings):
    cards = settings.replace(shop_payment_methods="stripe", stripe_secret_key="sk_test_x")
    number = place(shop, cards)
    run_payment_deadlines(shop, cards, now=order(shop, number).payment_reminder_at)
    (reminder,) = sent(shop, number, "payment_reminder")
    assert "Tap below to choose how to pay." in reminder.text
    assert [b["payload"] for b in reminder.buttons] == [
        f'/choose_payment_method{{"payment_method": "stripe", "order_number": "{number}"}}'
    ]


def test_a_paid_order_is_neither_reminded_nor_expired(shop, settings):
    number = place(shop, settings)
    mark_paid(shop, number, "seller:test")
    done = run_payment_deadlines(shop, settings, now=order(shop, number).payment_due_at + timedelta(days=1))
    assert not done.did_something and order(shop, number).status == OrderStatus.PAID
    assert sent(shop, number, "payment_reminder") == []


def test_an_order_past_its_deadline_at_the_first_run_expires_without_a_reminder(shop, settings):
    number = place(shop, settings)
    done = run_payment_deadlines(shop, settings, now=order(shop, number).payment_due_at + timedelta(days=3))
    assert (done.reminded, done.expired) == ([], [number])
    assert sent(shop, number, "payment_reminder") == []


# --- exactly once: runners at once, a runner that dies half-way -------------------------------------------------------


def test_runners_at_once_remind_and_expire_each_order_once(shop, settings):
    before = stock(shop)
    number = place(shop, settings)
    placed = order(shop, number)

    results, errors = race([lambda: run_payment_deadlines(shop, settings, now=placed.payment_reminder_at)] * 4)
    assert errors == []
    assert sorted(n for r in results for n in r.reminded) == [number]
    assert len(sent(shop, number, "payment_reminder")) == 1

    results, errors = race([lambda: run_payment_deadlines(shop, settings, now=placed.payment_due_at)] * 4)
    assert errors == []
    assert sorted(n for r in results for n in r.expired) == [number]
    assert stock(shop) == before
    assert len(sent(shop, number, "order_expired")) == 1
    assert history(shop, number) == [("payment_deadline", "order.expired")]


class Crash(Exception):
    pass


def test_a_runner_that_dies_half_way_leaves_the_order_for_the_next_run(shop, settings, monkeypatch):
    before = stock(shop)
    number = place(shop, settings)
    placed = order(shop, number)

    def crash(*args, **kwargs):
        raise Crash()

    # Dies after claiming the reminder, before its message is queued: the claim rolls back with it.
    with monkeypatch.context() as patch:
        patch.setattr(checkout.orders.deadlines, "queue_for_customer", crash)
        assert run_payment_deadlines(shop, settings, now=placed.payment_reminder_at).failed == [placed.id]
    assert order(shop, number).payment_reminded_at is None
    assert run_payment_deadlines(shop, settings, now=placed.payment_reminder_at).reminded == [number]
    assert len(sent(shop, number, "payment_reminder")) == 1

    # Dies after the status change and the stock's release, before the notice: all of it rolls back.
    with monkeypatch.context() as patch:
        patch.setattr(checkout.orders.lifecycle, "queue_order_update", crash)
        assert run_payment_deadlines(shop, settings, now=placed.payment_due_at).failed == [placed.id]
    assert order(shop, number).status == OrderStatus.AWAITING_PAYMENT and stock(shop) == before - 2
    assert run_payment_deadlines(shop, settings, now=placed.payment_due_at).expired == [number]
    assert stock(shop) == before and len(sent(shop, number, "order_expired")) == 1


# --- a Stripe link keeps its own deadline ----------------------------------------------------------------------------


def test_a_stripe_order_keeps_its_links_deadline(shop, settings):
    hour = settings.replace(shop_payment_deadline_hours=1)
    before = stock(shop)
    number = place(shop, hour)
    due = order(shop, number).payment_due_at
    open_session(shop, number, expires_in=timedelta(hours=1, minutes=30))  # a link paid until after the deadline
    with shop.reading() as session:
        (link_expiry,) = session.scalars(select(func.max(Payment.expires_at)))

    kept = run_payment_deadlines(shop, hour, now=due + timedelta(minutes=1))
    assert kept.expired == [] and kept.waiting_for_link == [(number, link_expiry)]
    assert order(shop, number).status == OrderStatus.AWAITING_PAYMENT and stock(shop) == before - 2

    done = run_payment_deadlines(shop, hour, now=link_expiry)
    assert done.expired == [number] and stock(shop) == before


# --- the seller extends one order's deadline -------------------------------------------------------------------------


def test_extending_the_deadline_postpones_the_reminder_and_the_expiry(shop, settings):
    number = place(shop, settings)
    placed = order(shop, number)
    now = placed.created_at + timedelta(hours=1)
    due = extend_payment_deadline(shop, number, "seller:sam@example.com", 24, now=now)
    assert due == placed.payment_due_at + timedelta(hours=24)
    extended = order(shop, number)
    assert (extended.payment_due_at, extended.payment_reminder_at) == (due, now + (due - now) / 2)

    assert extended.payment_reminder_at > placed.payment_reminder_at
    assert not run_payment_deadlines(shop, settings, now=placed.payment_reminder_at).did_something
    assert run_payment_deadlines(shop, settings, now=extended.payment_reminder_at).reminded == [number]
    assert not run_payment_deadlines(shop, settings, now=placed.payment_due_at).did_something
    assert order(shop, number).status == OrderStatus.AWAITING_PAYMENT
    assert run_payment_deadlines(shop, settings, now=due).expired == [number]
    assert history(shop, number) == [
        ("seller:sam@example.com", "order.deadline_extended"),
        ("payment_deadline", "order.expired"),
    ]
    with shop.reading() as session:
        entry = session.scalar(select(AuditLog).where(AuditLog.action == "order.deadline_extended"))
    assert entry.details == {
        "from": f"{placed.payment_due_at:%Y-%m-%d %H:%M} UTC",
        "to": f"{due:%Y-%m-%d %H:%M} UTC",
        "hours": "24",
    }


def test_a_deadline_extended_after_the_reminder_gets_a_reminder_of_its_own(shop, settings):
    number = place(shop, settings)
    placed = order(shop, number)
    run_payment_deadlines(shop, settings, now=placed.payment_reminder_at)
    late = placed.payment_due_at + timedelta(hours=2)  # past the deadline, not yet expired: counted from now
    due = extend_payment_deadline(shop, number, "seller:sam@example.com", 1.5, now=late)
    assert due == late + timedelta(minutes=90)
    assert run_payment_deadlines(shop, settings, now=late + timedelta(minutes=45)).reminded == [number]
    assert len(sent(shop, number, "payment_reminder")) == 2


def test_only_an_unpaid_order_gets_more_time_and_only_a_sensible_amount(shop, settings):
    number = place(shop, settings)
    for hours in (0, -1, float("nan"), float("inf"), 24 * 90 + 1):
        with pytest.raises(CheckoutError, match="hours"):
            extend_payment_deadline(shop, number, "seller:sam@example.com", hours)
    with pytest.raises(OrderNotFound):
        extend_payment_deadline(shop, "ZZZZZZ", "seller:sam@example.com", 1)
    mark_paid(shop, number, "seller:sam@example.com")
    with pytest.raises(InvalidTransition):
        extend_payment_deadline(shop, number, "seller:sam@example.com", 1)
    assert ("seller:sam@example.com", "order.deadline_extended") not in history(shop, number)


# --- `shop orders expire-unpaid` ---------------------------------------------------------------------------------


def test_the_cli_command_reminds_and_expires_once_and_says_so(shop, settings):
    before = stock(shop)
    halfway, overdue = place(shop, settings), place(shop, settings, lines=(("CAP-DAD-BEI", 1),))
    now = utcnow()
    with shop.transaction() as session:  # the command reads the real clock: the orders are moved instead
        session.execute(
            update(Order)
            .where(Order.number == halfway)
            .values(payment_reminder_at=now - timedelta(minutes=1), payment_due_at=now + timedelta(hours=1))
        )
        session.execute(update(Order).where(Order.number == overdue).values(payment_due_at=now - timedelta(minutes=1)))
    context = AppContext(settings)
    runner = CliRunner()
    try:
        first = runner.invoke(shop_command, ["orders", "expire-unpaid"], obj=context, catch_exceptions=False)
        second = runner.invoke(shop_command, ["orders", "expire-unpaid"], obj=context, catch_exceptions=False)
    finally:
        context.db.dispose()
    assert first.exit_code == 0 and second.exit_code == 0
    assert first.output.splitlines() == [
        f"{halfway}\treminded",
        f"{overdue}\texpired, stock released",
        "1 order(s) reminded, 1 expired.",
    ]
    assert second.output.splitlines() == ["0 order(s) reminded, 0 expired."]
    assert len(sent(shop, halfway, "payment_reminder")) == 1 and len(sent(shop, overdue, "order_expired")) == 1
    assert order(shop, overdue).status == OrderStatus.EXPIRED and stock(shop) == before - 2


def test_the_periodic_process_survives_a_failed_round(shop, settings, monkeypatch):
    rounds = []

    def failing_round(db, settings):
        rounds.append(1)
        raise RuntimeError("database away for a moment")

    def stop_after_two(seconds):
        assert seconds == 60
        if len(rounds) == 2:
            raise SystemExit(0)

    import cli.data_commands

    monkeypatch.setattr(cli.data_commands, "run_payment_deadlines", failing_round)
    monkeypatch.setattr(cli.data_commands.time, "sleep", stop_after_two)
    result = CliRunner().invoke(
        shop_command, ["orders", "expire-unpaid", "--every", "60"], obj=AppContext(settings), catch_exceptions=False
    )
    assert result.exit_code == 0 and len(rounds) == 2


def test_the_cli_command_exits_1_when_an_order_failed(shop, settings, monkeypatch):
    import cli.data_commands

    monkeypatch.setattr(cli.data_commands, "run_payment_deadlines", lambda db, settings: DeadlineRun(failed=[7]))
    result = CliRunner().invoke(shop_command, ["orders", "expire-unpaid"], obj=AppContext(settings))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "order id 7\tfailed (logged); the next run tries again",
        "0 order(s) reminded, 0 expired.",
    ]


# --- at most SHOP_MAX_OPEN_ORDERS unpaid orders ----------------------------------------------------------------------


def test_the_fourth_open_order_is_refused_with_the_open_ones(shop, settings):
    numbers = [place(shop, settings, lines=(("CAP-DAD-BEI", 1),)) for _ in range(3)]
    before = stock(shop)
    with pytest.raises(TooManyOpenOrders) as refused:
        place(shop, settings, message_id="m-4")
    assert refused.value.limit == 3
    assert [(o.number, o.total.display()) for o in refused.value.orders] == [(n, "€22.00") for n in numbers]
    assert [o.due_at for o in refused.value.orders] == [order(shop, n).payment_due_at for n in numbers]
    with shop.reading() as session:
        assert session.scalar(select(func.count(Order.id))) == 3  # nothing ordered,
        customer = identify(session, ANA)
        assert [(line.variant.sku, line.quantity) for line in view_cart(session, customer, "EUR").lines] == [
            (HOODIE, 2)
        ]  # the cart kept,
    assert stock(shop) == before  # no stock taken

    # Cancelling one makes room; the same message, tried again, places the order now.
    cancel_own_order(shop, settings, ANA, numbers[0])
    with shop.transaction() as session:
        summary = cart_fingerprint(view_cart(session, identify(session, ANA), "EUR"))
    fourth = place_order_from_cart(shop, settings, ANA, DETAILS, summary, message_id="m-4")
    assert order(shop, fourth.number).status == OrderStatus.AWAITING_PAYMENT


def test_expired_orders_do_not_count_and_the_limit_is_a_setting(shop, settings):
    one = settings.replace(shop_max_open_orders=1)
    first = place(shop, one)
    with pytest.raises(TooManyOpenOrders):
        place(shop, one)
    run_payment_deadlines(shop, one, now=order(shop, first).payment_due_at)
    assert order(shop, first).status == OrderStatus.EXPIRED
    with shop.reading() as session:
        summary = cart_fingerprint(view_cart(session, identify(session, ANA), "EUR"))
    assert place_order_from_cart(shop, one, ANA, DETAILS, summary).number != first
    other = ShopperIdentity("rest", "web-ben", "web-ben")
    place(shop, one, identity=other)  # the limit is per shopper


def test_two_checkouts_at_once_cannot_both_slip_under_the_limit(shop, settings):
    place(shop, settings, lines=(("CAP-DAD-BEI", 1),))
    place(shop, settings, lines=(("CAP-DAD-BEI", 1),))
    with shop.transaction() as session:
        customer = identify(session, ANA)
        add_to_cart(session, customer, session.scalar(select(Variant).where(Variant.sku == HOODIE)), 1)
        summary = cart_fingerprint(view_cart(session, customer, "EUR"))
    results, errors = race(
        [
            lambda message=message: place_order_from_cart(shop, settings, ANA, DETAILS, summary, message_id=message)
            for message in ("m-a", "m-b")
        ]
    )
    assert len(results) == 1
    assert [type(e) for e in errors] == [TooManyOpenOrders]
    with shop.reading() as session:
        assert session.scalar(select(func.count(Order.id)).where(Order.status == OrderStatus.AWAITING_PAYMENT)) == 3


# --- the migration: orders placed before deadlines existed ------------------------------------------------------------


def test_the_migration_gives_existing_unpaid_orders_a_whole_deadline_from_the_upgrade(database_url):
    """Their shoppers were never given a deadline: an order placed weeks ago is reminded first, not expired at once."""
    upgrade(database_url, "0009")
    placed = utcnow() - timedelta(days=20)
    db = Database(database_url)
    try:
        with db.engine.begin() as conn:
            conn.execute(Customer.__table__.insert().values(id=1, channel="rest", channel_user_id="web-old"))
            for id_, number, status in ((1, "OLD001", "awaiting_payment"), (2, "OLD002", "paid")):
                conn.execute(
                    Order.__table__.insert().values(
                        id=id_,
                        number=number,
                        status=status,
                        customer_id=1,
                        channel="rest",
                        sender_id="web-old",
                        currency="EUR",
                        total_minor=100,
                        subtotal_minor=100,
                        discount_minor=0,
                        delivery_minor=0,
                        created_at=placed,
                        updated_at=placed,
                    )
                )
        upgraded = utcnow()
        upgrade(database_url)
        with db.reading() as session:
            unpaid, paid = session.scalars(select(Order).order_by(Order.id)).all()
        assert upgraded <= unpaid.payment_due_at - timedelta(hours=72) <= utcnow()
        assert unpaid.payment_due_at - unpaid.payment_reminder_at == timedelta(hours=36)
        assert unpaid.payment_reminded_at is None
        assert (paid.payment_due_at, paid.payment_reminder_at) == (None, None)
    finally:
        db.dispose()
