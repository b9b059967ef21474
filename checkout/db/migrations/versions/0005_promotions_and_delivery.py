"""promo codes, and orders' subtotal, discount and delivery

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "promotions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("min_order_minor", sa.Integer(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("once_per_customer", sa.Boolean(), nullable=False),
        sa.Column("segments", sa.JSON(), nullable=False),
        sa.Column("customer_ids", sa.JSON(), nullable=False),
        sa.Column("batch_prefix", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('percent','amount','free_delivery')", name=op.f("ck_promotions_kind_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotions")),
    )
    op.create_table(
        "promo_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("promotion_id", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("uses >= 0", name=op.f("ck_promo_codes_uses_not_negative")),
        sa.ForeignKeyConstraint(
            ["promotion_id"], ["promotions.id"], name=op.f("fk_promo_codes_promotion_id_promotions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promo_codes")),
        sa.UniqueConstraint("code", name=op.f("uq_promo_codes_code")),
    )
    with op.batch_alter_table("promo_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_promo_codes_promotion_id"), ["promotion_id"], unique=False)
    op.create_table(
        "promo_redemptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("promo_code_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("held_by_customer_id", sa.Integer(), nullable=True),
        sa.Column("discount_given_minor", sa.Integer(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_promo_redemptions_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_promo_redemptions_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["promo_code_id"], ["promo_codes.id"], name=op.f("fk_promo_redemptions_promo_code_id_promo_codes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promo_redemptions")),
        sa.UniqueConstraint("order_id", name=op.f("uq_promo_redemptions_order_id")),
        sa.UniqueConstraint("promo_code_id", "held_by_customer_id", name="uq_promo_redemptions_code_holder"),
    )
    with op.batch_alter_table("promo_redemptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_promo_redemptions_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_promo_redemptions_promo_code_id"), ["promo_code_id"], unique=False)

    with op.batch_alter_table("carts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("discount_code", sa.String(length=32), nullable=True))
    # Existing orders had neither discount nor delivery: their subtotal is their total. The server defaults only
    # fill the existing rows and are dropped again (the application always writes these columns).
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subtotal_minor", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("discount_minor", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("discount_code", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("delivery_minor", sa.Integer(), nullable=False, server_default="0"))
    op.execute("UPDATE orders SET subtotal_minor = total_minor")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        for column in ("subtotal_minor", "discount_minor", "delivery_minor"):
            batch_op.alter_column(column, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("delivery_minor")
        batch_op.drop_column("discount_code")
        batch_op.drop_column("discount_minor")
        batch_op.drop_column("subtotal_minor")
    with op.batch_alter_table("carts", schema=None) as batch_op:
        batch_op.drop_column("discount_code")
    with op.batch_alter_table("promo_redemptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promo_redemptions_promo_code_id"))
        batch_op.drop_index(batch_op.f("ix_promo_redemptions_customer_id"))
    op.drop_table("promo_redemptions")
    with op.batch_alter_table("promo_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promo_codes_promotion_id"))
    op.drop_table("promo_codes")
    op.drop_table("promotions")
