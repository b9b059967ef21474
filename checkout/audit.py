"""The audit log of manual changes: who changed what, written in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from checkout.db.models import AuditLog

# Details that name or point at a shopper: a Telegram payer's user id (order.paid), the seller's note to the shopper
# (order.fulfilled: a tracking link, a name), the key of a message they typed (message.flag). Dropped from the entries
# about a customer's orders, conversations and messages when the customer is forgotten; the rest (who did what,
# when, amounts, the provider's charge ids) stays, as the books do.
PERSONAL_DETAILS = frozenset({"payer_user_id", "note", "text_key"})


def record_audit(
    session: Session, actor: str, action: str, entity_type: str, entity_id: object, details: dict | None = None
) -> AuditLog:
    entry = AuditLog(actor=actor, action=action, entity_type=entity_type, entity_id=str(entity_id), details=details)
    session.add(entry)
    return entry


def audit_history(session: Session, entity_type: str, entity_id: object) -> list[AuditLog]:
    """What was done to one entity, oldest first."""
    return list(
        session.scalars(
            select(AuditLog)
            .where(AuditLog.entity_type == entity_type, AuditLog.entity_id == str(entity_id))
            .order_by(AuditLog.created_at, AuditLog.id)
        )
    )


def scrub_personal_details(session: Session, entity_type: str, entity_ids: Select[Any]) -> int:
    """Drops PERSONAL_DETAILS from the entries about these entities (`entity_ids`: a query of their ids as text);
    returns how many entries changed."""
    entries = session.scalars(
        select(AuditLog).where(AuditLog.entity_type == entity_type, AuditLog.entity_id.in_(entity_ids))
    )
    changed = 0
    for entry in entries:
        if entry.details and not PERSONAL_DETAILS.isdisjoint(entry.details):
            entry.details = {key: value for key, value in entry.details.items() if key not in PERSONAL_DETAILS}
            changed += 1
    return changed
