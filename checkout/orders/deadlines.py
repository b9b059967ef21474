"""Unpaid orders do not hold stock forever: each is placed with a payment deadline (SHOP_PAYMENT_DEADLINE_HOURS),
the shopper is reminded once at half-time, and at the deadline the order expires and its stock goes back.

`run_payment_deadlines` is the job: `shop orders expire-unpaid` runs it once (cron) or every minute (`shop run`
starts it so). Any number of runners, at once or one after another, remind and expire each order once: the reminder
is claimed by a conditional UPDATE of `payment_reminded_at` in the transaction that queues its message, and the
expiry is the status change itself (one conditional UPDATE, under a lock on the order row), in the transaction that
releases the stock and queues the "expired" notice. A runner that dies half-way rolls back what it had not committed.

A payment link with a deadline of its own (Stripe Checkout) keeps it: while one can still be paid, the order waits
for it (its `checkout.session.expired` event, or the next run after it, expires the order). A seller extends one
order's deadline from its page (`extend_payment_deadline`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from checkout.audit import record_audit
from checkout.db.database import Database, rowcount
from checkout.db.models import Order, Payment, utcnow
from checkout.errors import CheckoutError, InvalidTransition
from checkout.money import Money
from checkout.notifications import queue_for_customer
from checkout.orders.lifecycle import change_status
from checkout.orders.seller_actions import OrderNotFound
from checkout.payments.choice import payment_buttons
from checkout.payments.registry import offered_methods
from checkout.settings import Settings
from checkout.statuses import OrderStatus, PaymentStatus

log = logging.getLogger(__name__)

ACTOR = "payment_deadline"  # who expired the order, in its history
REMINDER_KIND = "payment_reminder"
REMINDER_TEXT = (
    "Order {number} is waiting for payment: {total}. {how} If it is not paid by {deadline}, it expires and the "
    'items go back on sale. No longer want it? Say "cancel {number}".'
)
CHOOSE_TEXT = "Tap below to choose how to pay."
# The most a seller adds at once (90 days): a typo of hours for minutes should not hold stock for years.
MAX_EXTENSION_HOURS = 24 * 90


@dataclass
class DeadlineRun:
    """What one run did: the numbers of the orders it reminded and expired, of those past their deadline it left
    for a payment link that can still be paid (number, until when), and the ids of orders it failed on (logged;
    rolled back, so the next run tries them again)."""

    reminded: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    waiting_for_link: list[tuple[str, datetime | None]] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    @property
    def did_something(self) -> bool:
        return bool(self.reminded or self.expired)


def run_payment_deadlines(db: Database, settings: Settings, now: datetime | None = None) -> DeadlineRun:
    """Reminds the shoppers whose orders reached half-time and expires the orders past their deadline, each once.
    `now`: the clock (tests move it)."""
    now = now or utcnow()
    done = DeadlineRun()
    awaiting = Order.status == OrderStatus.AWAITING_PAYMENT
    with db.reading() as session:
        to_remind = list(
            session.scalars(
                select(Order.id)
                .where(awaiting, Order.payment_reminded_at.is_(None), Order.payment_reminder_at <= now)
                .where(Order.payment_due_at > now)  # past the deadline it expires instead
                .order_by(Order.payment_reminder_at, Order.id)
            )
        )
        to_expire = list(
            session.scalars(
                select(Order.id).where(awaiting, Order.payment_due_at <= now).order_by(Order.payment_due_at, Order.id)
            )
        )
    # One transaction per order: one that fails (rolled back, tried again next run) holds none of the others back.
    for order_id in to_remind:
        try:
            with db.transaction() as session:
                number = _remind(session, settings, order_id, now)
        except Exception:
            log.exception("payment deadlines: could not remind the shopper of order id %s", order_id)
            done.failed.append(order_id)
            continue
        if number is not None:
            done.reminded.append(number)
    for order_id in to_expire:
        try:
            with db.transaction() as session:
                outcome = _expire(session, order_id, now)
        except Exception:
            log.exception("payment deadlines: could not expire order id %s", order_id)
            done.failed.append(order_id)
            continue
        if isinstance(outcome, str):
            done.expired.append(outcome)
        elif outcome is not None:
            done.waiting_for_link.append(outcome)
    return done


def _remind(session: Session, settings: Settings, order_id: int, now: datetime) -> str | None:
    """Queues the reminder if this runner is the one that stamps it (another may have a moment ago)."""
    claimed = rowcount(
        session.execute(
            update(Order)
            .where(
                Order.id == order_id,
                Order.status == OrderStatus.AWAITING_PAYMENT,
                Order.payment_reminded_at.is_(None),
                Order.payment_reminder_at <= now,
                Order.payment_due_at > now,
            )
            .values(payment_reminded_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    if claimed != 1:
        return None
    order = session.get_one(Order, order_id, populate_existing=True)
    assert order.payment_due_at is not None  # the claim asked for one
    text, buttons = reminder_message(session, settings, order)
    queue_for_customer(
        session,
        order.customer,
        REMINDER_KIND,
        text,
        order=order,
        # One per deadline: a deadline the seller extends gets a reminder of its own.
        dedupe_key=f"order:{order.id}:{REMINDER_KIND}:{int(order.payment_due_at.timestamp())}",
        buttons=buttons,
    )
    return order.number


def reminder_message(session: Session, settings: Settings, order: Order) -> tuple[str, list[dict] | None]:
    """ "Order X is waiting for payment: ..." with how to pay it: the manual method's instructions when that is the
    way offered or chosen, and a button per method unless the manual method is the only one (a card or Telegram
    invoice offered alone still needs its button)."""
    assert order.payment_due_at is not None
    methods = offered_methods(settings, order.channel)
    manual_chosen = session.scalar(
        select(Payment.id).where(Payment.order_id == order.id, Payment.method == "manual").limit(1)
    )
    how = settings.shop_payment_instructions if methods == ["manual"] or manual_chosen else CHOOSE_TEXT
    text = REMINDER_TEXT.format(
        number=order.number,
        total=Money(order.total_minor, order.currency).display(),
        how=how,
        deadline=f"{order.payment_due_at:%d %b %H:%M} UTC",
    )
    return text, (None if methods == ["manual"] else payment_buttons(methods, order.number))


def _expire(session: Session, order_id: int, now: datetime) -> str | tuple[str, datetime | None] | None:
    """Expires the order if it is still past its deadline under its row lock (a seller may have extended it, a
    payment arrived, another runner expired it). Returns its number when expired, (number, until) when a payment
    link keeps it open, None when there was nothing to do."""
    order = session.scalar(
        select(Order).where(Order.id == order_id).with_for_update().execution_options(populate_existing=True)
    )
    if order is None or order.status != OrderStatus.AWAITING_PAYMENT:
        return None
    if order.payment_due_at is None or order.payment_due_at > now:
        return None
    link = _open_link(session, order, now)
    if link is not None:
        return order.number, link.expires_at
    try:
        change_status(
            session,
            order,
            OrderStatus.EXPIRED,
            actor=ACTOR,
            details={"deadline": f"{order.payment_due_at:%Y-%m-%d %H:%M} UTC"},
        )
    except InvalidTransition:  # changed since the lock was taken: never on PostgreSQL, SQLite writers take turns
        return None
    return order.number


def _open_link(session: Session, order: Order, now: datetime) -> Payment | None:
    """An attempt that can still take the money on a deadline of its own: a payment link not yet expired, or a
    payment settling (a debit that succeeds or fails later). The order waits for it."""
    return session.scalar(
        select(Payment)
        .where(
            Payment.order_id == order.id,
            or_(
                Payment.status == PaymentStatus.PROCESSING,
                and_(
                    Payment.status.in_((PaymentStatus.CREATING, PaymentStatus.PENDING)),
                    Payment.expires_at > now,
                ),
            ),
        )
        .order_by(Payment.expires_at.desc())
        .limit(1)
    )


def extend_payment_deadline(
    db: Database, number: str, actor: str, hours: float, now: datetime | None = None
) -> datetime:
    """The seller gives the shopper `hours` more to pay order `number` (counted from the deadline, or from now when
    it has passed); the reminder moves to half-way to the new deadline, and is sent again if it was sent already.
    Audit-logged. Returns the new deadline. Raises OrderNotFound, InvalidTransition when the order no longer
    awaits payment, or CheckoutError for a number of hours out of range."""
    if not 0 < hours <= MAX_EXTENSION_HOURS:  # also refuses nan and inf
        raise CheckoutError(f"give a number of hours above 0 and at most {MAX_EXTENSION_HOURS}")
    now = now or utcnow()
    with db.transaction() as session:
        order = session.scalar(
            select(Order)
            .where(Order.number == (number or "").strip().upper()[:12])
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if order is None:
            raise OrderNotFound(f"there is no order {number!r}")
        if order.status != OrderStatus.AWAITING_PAYMENT:
            raise InvalidTransition(order.number, order.status, OrderStatus.AWAITING_PAYMENT)
        before = order.payment_due_at
        due = max(before or now, now) + timedelta(hours=hours)
        changed = rowcount(
            session.execute(
                update(Order)
                .where(Order.id == order.id, Order.status == OrderStatus.AWAITING_PAYMENT)
                .values(
                    payment_due_at=due,
                    payment_reminder_at=now + (due - now) / 2,
                    payment_reminded_at=None,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
        )
        if changed != 1:  # expired or paid since the lock was taken: never on PostgreSQL, SQLite takes turns
            raise InvalidTransition(order.number, order.status, OrderStatus.AWAITING_PAYMENT)
        record_audit(
            session,
            actor,
            "order.deadline_extended",
            "order",
            order.number,
            {
                "from": f"{before:%Y-%m-%d %H:%M} UTC" if before else "none",
                "to": f"{due:%Y-%m-%d %H:%M} UTC",
                "hours": f"{hours:g}",
            },
        )
    return due
