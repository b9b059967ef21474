"""Proofs of payment shoppers sent for an order (e.g. a transfer screenshot in Telegram), when this version
has a `payment_proofs` table. Read generically, so the dashboard shows them whatever their columns are."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.db.models import Base

TABLE = "payment_proofs"
HIDDEN_COLUMNS = {"id", "order_id"}


def proofs_for_order(session: Session, order_id: int) -> list[dict] | None:
    """Each proof as {column: value}, oldest first; None when there is no such table in this version."""
    table = Base.metadata.tables.get(TABLE)
    if table is None or "order_id" not in table.c:
        return None
    order_by = [table.c[name] for name in ("created_at", "id") if name in table.c]
    rows = session.execute(select(table).where(table.c.order_id == order_id).order_by(*order_by)).mappings()
    return [{k: v for k, v in row.items() if k not in HIDDEN_COLUMNS} for row in rows]
