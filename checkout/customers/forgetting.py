"""A customer's right to be forgotten: their personal data erased from our records and from Rasa's stores."""

from __future__ import annotations

from dataclasses import dataclass

from checkout.customers.privacy import chat_ids_of, erase_customer_records
from checkout.db.database import Database
from checkout.db.models import Customer
from checkout.errors import CustomerNotFound
from checkout.records.rasa_stores import forget_in_sql_broker, forget_in_tracker_store
from checkout.settings import Settings


@dataclass(frozen=True)
class Forgotten:
    customer_id: int
    messages: int  # erased from our records
    orders: int  # anonymised, items and amounts kept for accounting
    tracker_events: int  # deleted from Rasa's tracker store
    broker_events: int  # blanked in Rasa's SQL event broker


def forget_customer(db: Database, settings: Settings, customer_id: int, actor: str) -> Forgotten:
    """Erases the customer's personal data everywhere we keep it. Audit-logged; cannot be undone.
    Raises CustomerNotFound."""
    with db.reading() as session:
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise CustomerNotFound(customer_id)
        sender_ids = chat_ids_of(session, customer)
    # Rasa's stores first: our records keep the chat ids until the end, so a failed run can be repeated.
    tracker = forget_in_tracker_store(settings.rasa_tracker_url, sender_ids)
    broker = 0 if settings.rasa_event_broker_url else forget_in_sql_broker(settings.rasa_events_url, sender_ids)
    with db.transaction() as session:
        customer = session.get(Customer, customer_id)
        if customer is None:  # erased by someone else meanwhile
            raise CustomerNotFound(customer_id)
        erased = erase_customer_records(session, customer, actor)
    return Forgotten(customer_id, erased.messages, erased.orders, tracker, broker)
