"""The audit log of manual changes: who changed what, written in the same transaction as the change."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.db.models import AuditLog


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
