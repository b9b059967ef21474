"""A shopper message's changes, made once however often its turn runs.

Scaled out, a turn lost with its Rasa server is sent again (checkout/assistant_client.py) and runs its actions a
second time on another server, although the first run may have added the cart line or placed the order before
the server died (Rasa saves the tracker only at the end of a turn). So each service that adds something per message
takes the message's id and claims (customer, message, change) in the same transaction as the change: the unique
index of processed_events decides, also between two servers running the message at the same moment, and the run
that finds the change claimed makes none and answers as the first run did, from the claim's outcome (the number of
the order placed, the SKU removed) and the state the first run left.

Setting a value (a code on the cart, an emptied cart, saved details) needs none of this: a second run sets the same.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy.orm import Session

from checkout.db.database import Database
from checkout.db.models import ProcessedEvent, utcnow
from checkout.processed_events import claim_event, claimed_event, forget_events_before

SHOPPER_MESSAGES = "shopper-message"  # ProcessedEvent.provider of these claims
# A lost turn is sent again within seconds; a gateway may hand a stored message to Rasa again much later (WhatsApp's
# worker after a restart), but never after the week its own claims are kept (bot/dedupe.py).
KEEP_MESSAGE_CLAIMS = timedelta(days=7)


class MessageEffect(StrEnum):
    """The changes a shopper message makes at most once."""

    ADD_CART_LINE = "add_cart_line"
    REMOVE_CART_LINE = "remove_cart_line"
    REMOVE_CODE = "remove_code"
    PLACE_ORDER = "place_order"
    CANCEL_ORDER = "cancel_order"
    CONSENT = "consent"  # a yes or no to offers, kept as a history row per answer
    CONSENT_QUESTION = "consent_question"  # the question asked once per customer


@dataclass(frozen=True)
class MessageChange:
    """One change of one shopper message; `key` None: the message has no id, so the change is made every time."""

    key: str | None

    def earlier(self, session: Session) -> ProcessedEvent | None:
        """The claim a run of the same message made (with its outcome); None while none has."""
        return claimed_event(session, SHOPPER_MESSAGES, self.key) if self.key is not None else None

    def claim(self, session: Session, outcome: str | None = None) -> bool:
        """Claims the change in the caller's transaction, before it is made; False when a run of the same message
        claimed it first. Then that run has committed (the unique index waited for it), and the session forgets
        what it loaded, so that what it reads next includes that run's change."""
        if self.key is None or claim_event(session, SHOPPER_MESSAGES, self.key, outcome):
            return True
        session.expire_all()
        return False

    def record_outcome(self, session: Session, outcome: str) -> None:
        """What the change produced, known only once it is made (an order's number), on the claim just made."""
        claim = self.earlier(session)
        if claim is not None:
            claim.outcome = outcome


NO_MESSAGE = MessageChange(None)  # a change no shopper message asked for (the seller's): made every time


def message_change(customer_id: int, message_id: str | None, effect: MessageEffect, subject: str = "") -> MessageChange:
    """The change `effect` (of `subject`, when one message may make it to several things: a SKU) of the customer's
    message `message_id`. The ids are hashed: a channel's message id can be long, and it is only compared."""
    if message_id is None:
        return NO_MESSAGE
    digest = hashlib.sha256(f"{message_id}\0{subject}".encode()).hexdigest()[:40]
    return MessageChange(f"{effect}:{customer_id}:{digest}")


def forget_old_message_claims(db: Database) -> int:
    """Drops claims no turn can be run again for; returns how many."""
    with db.transaction() as session:
        return forget_events_before(session, SHOPPER_MESSAGES, utcnow() - KEEP_MESSAGE_CLAIMS)
