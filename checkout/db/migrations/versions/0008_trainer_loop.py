"""trainer loop

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nlu_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=True),
        sa.Column("gate", sa.JSON(), nullable=True),
        sa.Column("live_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("live_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("activated_by", sa.String(length=100), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nlu_models")),
        sa.UniqueConstraint("model_id", name=op.f("uq_nlu_models_model_id")),
    )
    # At most one live model, also when two activations race.
    op.create_index(
        "uq_nlu_models_one_live",
        "nlu_models",
        ["state"],
        unique=True,
        sqlite_where=sa.text("state = 'live'"),
        postgresql_where=sa.text("state = 'live'"),
    )
    op.create_table(
        "nlu_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text_key", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("intent", sa.String(length=64), nullable=True),
        sa.Column("example", sa.Text(), nullable=True),
        sa.Column("flagged_by", sa.String(length=100), nullable=True),
        sa.Column("reviewed_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], name=op.f("fk_nlu_reviews_message_id_messages")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nlu_reviews")),
        sa.UniqueConstraint("text_key", name=op.f("uq_nlu_reviews_text_key")),
    )
    with op.batch_alter_table("nlu_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nlu_reviews_message_id"), ["message_id"], unique=False)

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("model_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("intent_ranking", sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f("ix_messages_model_id"), ["model_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_model_id"))
        batch_op.drop_column("intent_ranking")
        batch_op.drop_column("model_id")

    with op.batch_alter_table("nlu_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nlu_reviews_message_id"))

    op.drop_table("nlu_reviews")
    op.drop_index("uq_nlu_models_one_live", table_name="nlu_models")
    op.drop_table("nlu_models")
