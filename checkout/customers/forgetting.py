"""A customer's right to be forgotten: their personal data erased from our records and from Rasa's stores."""

from __future__ import annotations

from dataclasses import dataclass

from checkout.customers.privacy import chat_ids_of, erase_customer_records
from checkout.db.database import Database
from checkout.db.models import Customer, utcnow
from checkout.errors import CustomerNotFound
from checkout.records.forgotten_chats import remember_forgotten
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
    broker = sum(forget_in_sql_broker(url, sender_ids) for url in sql_broker_urls(settings))
    with db.transaction() as session:
        customer = session.get(Customer, customer_id)
        if customer is None:  # erased by someone else meanwhile
            raise CustomerNotFound(customer_id)
        erased = erase_customer_records(session, customer, actor)
        # Events still queued for their chats must not bring them back; kept as hashes keyed with the shop's secret.
        remember_forgotten(session, erased.sender_ids, settings.shop_secret_key, customer.forgotten_at or utcnow())
    return Forgotten(customer_id, erased.messages, erased.orders, tracker, broker)


def sql_broker_urls(settings: Settings) -> list[str]:
    """The SQL event broker's database (RASA_EVENTS_URL); unset, the file that was its default until the records
    consumer followed the tracker store, where an older installation still has it, with every event of its past."""
    if settings.rasa_events_url:
        return [settings.rasa_events_url]
    former = settings.var_dir / "rasa_events.db"
    return [f"sqlite:///{former}"] if former.exists() else []
