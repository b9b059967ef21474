"""payment deadlines: when an unpaid order is reminded and when it expires

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-15
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Orders placed before deadlines existed get the default one (SHOP_PAYMENT_DEADLINE_HOURS is not read here: a
# migration runs without the shop's settings), counted from the upgrade: their shoppers were never given a deadline,
# so each is reminded before it expires rather than expired at the first run; a seller can extend any of them.
EXISTING_ORDERS_DEADLINE = timedelta(hours=72)


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payment_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("payment_reminder_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("payment_reminded_at", sa.DateTime(timezone=True), nullable=True))

    orders = sa.table(
        "orders",
        sa.column("id", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("payment_due_at", sa.DateTime(timezone=True)),
        sa.column("payment_reminder_at", sa.DateTime(timezone=True)),
    )
    connection = op.get_bind()
    upgraded = datetime.now(UTC)
    connection.execute(
        orders.update()
        .where(orders.c.status == "awaiting_payment")
        .values(
            payment_due_at=upgraded + EXISTING_ORDERS_DEADLINE,
            payment_reminder_at=upgraded + EXISTING_ORDERS_DEADLINE / 2,
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("payment_reminded_at")
        batch_op.drop_column("payment_reminder_at")
        batch_op.drop_column("payment_due_at")
