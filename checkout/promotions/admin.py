"""The seller's promo-code tasks: create one code or a batch, disable, change; each audit-logged."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from checkout.audit import record_audit
from checkout.db.database import Database
from checkout.db.models import PromoCode, Promotion
from checkout.money import Money, MoneyError
from checkout.promotions.entry import PromoError
from checkout.promotions.kinds import SEGMENT_NAMES, PromoKind
from checkout.promotions.rules import normalize_code

# No 0/O, 1/I/L: a code read aloud or typed from a flyer is not mistaken.
SUFFIX_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
SUFFIX_LENGTH = 6
MAX_BATCH = 10_000


@dataclass(frozen=True)
class PromoSpec:
    """What the seller asked for; amounts as typed ('5.00'), in the shop currency."""

    kind: PromoKind
    value: str | None  # percent '10', amount '5.00', None for free delivery
    currency: str
    min_order: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    max_uses: int | None = None
    once_per_customer: bool = False
    segments: tuple[str, ...] = ()
    customer_ids: tuple[int, ...] = field(default=())


def _minor(text: str | None, currency: str, what: str) -> int:
    try:
        return Money.parse(text or "", currency).amount_minor
    except MoneyError:
        raise PromoError(f"the {what} {text or ''!r} is not an amount like 5.00") from None


def _promotion(spec: PromoSpec, batch_prefix: str | None = None) -> Promotion:
    if spec.kind == PromoKind.PERCENT:
        text = (spec.value or "").strip()
        if not text.isdigit() or not 1 <= int(text) <= 100:
            raise PromoError("a percent off is a whole number from 1 to 100")
        value = int(text)
    elif spec.kind == PromoKind.AMOUNT:
        value = _minor(spec.value, spec.currency, "amount off")
        if value <= 0:
            raise PromoError("an amount off must be more than 0")
    else:
        value = 0
    minimum = _minor(spec.min_order, spec.currency, "minimum order") if spec.min_order else None
    if spec.max_uses is not None and spec.max_uses < 1:
        raise PromoError("the use limit must be at least 1")
    if spec.starts_at and spec.ends_at and spec.ends_at <= spec.starts_at:
        raise PromoError("the end is not after the start")
    unknown = set(spec.segments) - set(SEGMENT_NAMES)
    if unknown:
        raise PromoError(f"unknown segment(s) {', '.join(sorted(unknown))}; use {', '.join(SEGMENT_NAMES)}")
    return Promotion(
        kind=spec.kind,
        value=value,
        currency=spec.currency,
        min_order_minor=minimum,
        starts_at=spec.starts_at,
        ends_at=spec.ends_at,
        max_uses=spec.max_uses,
        once_per_customer=spec.once_per_customer,
        segments=list(spec.segments),
        customer_ids=list(spec.customer_ids),
        batch_prefix=batch_prefix,
    )


def _taken(session: Session, code: str) -> bool:
    return session.scalar(select(PromoCode.id).where(PromoCode.code == code)) is not None


def create_code(db: Database, text: str, spec: PromoSpec, actor: str) -> str:
    code = normalize_code(text)
    if code is None:
        raise PromoError(f"{text!r} is not a code: 3-32 characters of A-Z, 0-9 and -")
    with db.transaction() as session:
        if _taken(session, code):
            raise PromoError(f"the code {code} already exists")
        promotion = _promotion(spec)
        promotion.codes.append(PromoCode(code=code))
        session.add(promotion)
        record_audit(session, actor, "promo.create", "promo_code", code, promo_details(spec))
    return code


def batch_head(prefix: str) -> str:
    """'BACK' -> 'BACK-': the codes' common start; raises PromoError for a prefix that cannot start a code."""
    stem = normalize_code(prefix.rstrip("-") + "-" + "X" * SUFFIX_LENGTH)
    if stem is None:
        raise PromoError(f"{prefix!r} is not a code prefix: A-Z, 0-9 and -, at most {31 - SUFFIX_LENGTH} characters")
    return stem[:-SUFFIX_LENGTH]


def new_batch_promotion(spec: PromoSpec, head: str) -> Promotion:
    """The definition a batch's codes share, before any code is drawn (a campaign draws one per recipient)."""
    return _promotion(spec, batch_prefix=head.rstrip("-"))


def draw_codes(session: Session, promotion: Promotion, head: str, count: int) -> list[str]:
    """`count` new codes HEAD + 6 characters for the promotion, unique in the batch and in the shop (the unique
    index backs this), in sorted order."""
    codes: set[str] = set()
    while len(codes) < count:
        code = head + "".join(secrets.choice(SUFFIX_ALPHABET) for _ in range(SUFFIX_LENGTH))
        if code not in codes and not _taken(session, code):
            codes.add(code)
    ordered = sorted(codes)
    promotion.codes.extend(PromoCode(code=code) for code in ordered)
    return ordered


def create_batch(db: Database, prefix: str, count: int, spec: PromoSpec, actor: str) -> list[str]:
    """`count` codes PREFIX-XXXXXX sharing one promotion (e.g. single-use codes for one campaign)."""
    head = batch_head(prefix)
    if not 1 <= count <= MAX_BATCH:
        raise PromoError(f"the count must be from 1 to {MAX_BATCH}")
    with db.transaction() as session:
        promotion = new_batch_promotion(spec, head)
        ordered = draw_codes(session, promotion, head, count)
        session.add(promotion)
        details = {**promo_details(spec), "count": count}
        record_audit(session, actor, "promo.batch", "promotion", head.rstrip("-"), details)
    return ordered


def promo_details(spec: PromoSpec) -> dict:
    return {
        "kind": str(spec.kind),
        "value": spec.value,
        "min_order": spec.min_order,
        "starts_at": spec.starts_at.isoformat() if spec.starts_at else None,
        "ends_at": spec.ends_at.isoformat() if spec.ends_at else None,
        "max_uses": spec.max_uses,
        "once_per_customer": spec.once_per_customer,
        "segments": list(spec.segments),
        "customer_ids": list(spec.customer_ids),
    }


def _code(session: Session, text: str) -> PromoCode:
    code = normalize_code(text)
    found = session.scalar(select(PromoCode).where(PromoCode.code == code)) if code else None
    if found is None:
        raise PromoError(f"no promo code {text!r}")
    return found


def disable_code(db: Database, text: str, actor: str) -> str:
    """Stops the code from applying from now on; orders that used it keep their discount."""
    with db.transaction() as session:
        code = _code(session, text)
        code.active = False
        record_audit(session, actor, "promo.disable", "promo_code", code.code)
        return code.code


def change_code(
    db: Database, text: str, actor: str, *, ends_at: datetime | None = None, max_uses: int | None = None
) -> str:
    """A new end or use limit for the code's promotion (shared by every code of its batch)."""
    if ends_at is None and max_uses is None:
        raise PromoError("give a new end or a new use limit")
    if max_uses is not None and max_uses < 1:
        raise PromoError("the use limit must be at least 1")
    with db.transaction() as session:
        code = _code(session, text)
        if ends_at is not None:
            code.promotion.ends_at = ends_at
        if max_uses is not None:
            code.promotion.max_uses = max_uses
        details = {"ends_at": ends_at.isoformat() if ends_at else None, "max_uses": max_uses}
        record_audit(session, actor, "promo.change", "promo_code", code.code, details)
        return code.code
