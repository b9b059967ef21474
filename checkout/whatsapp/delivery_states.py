"""What WhatsApp reports about a message we sent (sent, delivered, read, failed), applied to its outbox row.

Reports come by webhook, minutes later and in any order: a state never goes back (read stays read when a late
"delivered" arrives). A failure puts the row back for another try, or, tried enough, gives up and alerts the
seller; "more than 24 hours since the shopper wrote" (131047) holds it until they write, unless a template can
carry it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.db.models import Customer, OutboxMessage
from checkout.notifications import MAX_ATTEMPTS, queue_for_seller
from checkout.statuses import DeliveryReport, OutboxStatus
from checkout.whatsapp.window import CHANNEL, OUTSIDE_WINDOW_CODE, REASON_PREFIX

# A later report never takes a state back: "delivered" arriving after "read" changes nothing.
RANK: dict[str, int] = {DeliveryReport.SENT: 1, DeliveryReport.DELIVERED: 2, DeliveryReport.READ: 3}


@dataclass(frozen=True)
class DeliveryState:
    wamid: str
    status: DeliveryReport
    error_code: int | None = None
    error_title: str = ""

    @classmethod
    def parse(cls, raw: object) -> DeliveryState | None:
        if not isinstance(raw, dict) or not raw.get("id") or raw.get("status") not in tuple(DeliveryReport):
            return None
        errors = raw.get("errors") if isinstance(raw.get("errors"), list) else []
        first = errors[0] if errors and isinstance(errors[0], dict) else {}
        code = first.get("code")
        title = str(first.get("title") or first.get("message") or "")[:200]
        return cls(str(raw["id"])[:100], DeliveryReport(raw["status"]), code if isinstance(code, int) else None, title)


def apply_delivery_state(session: Session, state: DeliveryState, template_configured: bool = False) -> bool:
    """True when the state was about one of our outbox messages."""
    message = session.scalar(
        select(OutboxMessage).where(OutboxMessage.channel == CHANNEL, OutboxMessage.channel_message_id == state.wamid)
    )
    if message is None:
        return False
    if state.status != DeliveryReport.FAILED:
        if RANK[state.status] > RANK.get(message.delivery_state or "", 0):
            message.delivery_state = state.status
        return True
    message.delivery_state = DeliveryReport.FAILED
    reason = f"{REASON_PREFIX}{state.error_code} {state.error_title}".strip()
    # Only a sent row is about this report's message. Back in the queue or given up: a repeat. Sending: a retry is
    # under way and the id is still the earlier try's (it changes when the retry is marked sent), so this is a late
    # report of that try; failing the row now would alert the seller about a message that may well arrive.
    if message.status != OutboxStatus.SENT:
        return True
    if state.error_code == OUTSIDE_WINDOW_CODE and not template_configured:
        message.status, message.last_error = OutboxStatus.HELD, reason[:500]
    elif message.attempts < MAX_ATTEMPTS:
        message.status, message.last_error = OutboxStatus.PENDING, reason[:500]
    else:
        message.status, message.last_error = OutboxStatus.FAILED, reason[:500]
        _alert_seller(session, message, reason)
    return True


def _alert_seller(session: Session, message: OutboxMessage, reason: str) -> None:
    customer = session.get(Customer, message.customer_id) if message.customer_id else None
    who = (customer.name if customer and customer.name else None) or f"+{message.recipient}"
    queue_for_seller(
        session,
        "delivery_failed",
        f"A WhatsApp message to {who} could not be delivered ({reason}): {message.text[:200]}",
        dedupe_key=f"whatsapp-failed:{message.id}",
        customer=customer,
    )
