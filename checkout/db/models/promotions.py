"""Promo codes: a promotion (what the codes do, for whom, when) and its codes, each counting its own uses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from checkout.promotions.kinds import PromoKind

from .base import Base, UTCDateTime, utcnow


class Promotion(Base):
    """One definition shared by its codes: a single code, or a batch of single-use codes for one campaign."""

    __tablename__ = "promotions"
    __table_args__ = (
        CheckConstraint("kind IN (" + ",".join(f"'{kind}'" for kind in PromoKind) + ")", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    # percent: whole percent 1-100; amount: minor units of `currency`; free_delivery: 0.
    value: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    min_order_minor: Mapped[int | None] = mapped_column(Integer)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # exclusive: valid strictly before it
    max_uses: Mapped[int | None] = mapped_column(Integer)  # per code; None: unlimited
    once_per_customer: Mapped[bool] = mapped_column(default=False)
    segments: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty with no customer ids: everyone
    customer_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    batch_prefix: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    codes: Mapped[list[PromoCode]] = relationship(back_populates="promotion", order_by="PromoCode.id")


class PromoCode(Base):
    __tablename__ = "promo_codes"
    __table_args__ = (CheckConstraint("uses >= 0", name="uses_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # upper case; shoppers' input is upper-cased
    promotion_id: Mapped[int] = mapped_column(ForeignKey("promotions.id"), index=True)
    # Orders holding a use (awaiting payment, paid, fulfilled); taken and given back by conditional UPDATEs.
    uses: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    promotion: Mapped[Promotion] = relationship(back_populates="codes", lazy="joined")


class PromoRedemption(Base):
    """One order's use of a code. `held_by_customer_id` is the customer while the order holds the use of a
    once-per-customer code, NULL otherwise: the unique constraint then lets the database itself refuse a second
    use by the same customer (NULLs never collide), and a released use frees it again."""

    __tablename__ = "promo_redemptions"
    __table_args__ = (
        UniqueConstraint("promo_code_id", "held_by_customer_id", name="uq_promo_redemptions_code_holder"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    promo_code_id: Mapped[int] = mapped_column(ForeignKey("promo_codes.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    held_by_customer_id: Mapped[int | None] = mapped_column(Integer)
    # What the shopper saved: the discount plus a waived delivery fee (a free_delivery code's worth).
    discount_given_minor: Mapped[int] = mapped_column(Integer)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
