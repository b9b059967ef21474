"""The shopper gives or drops a promo code: one code per cart, kept while it cannot apply yet."""

from __future__ import annotations

from dataclasses import dataclass

from checkout.carts import CartView, get_cart, view_cart
from checkout.customers.identity import ShopperIdentity, identify
from checkout.db.database import Database
from checkout.db.models import utcnow
from checkout.promotions.kinds import KEPT_ON_CART
from checkout.promotions.redemption import check_code, find_code, terms_of
from checkout.promotions.rules import PromoTerms, Refused, normalize_code
from checkout.settings import Settings


@dataclass(frozen=True)
class CodeOutcome:
    """What the code does now (`terms`, and the cart priced with it), or why not (`refused`). `kept`: the cart
    holds the code (it applies, or will once it can)."""

    code: str
    terms: PromoTerms | None
    refused: Refused | None
    kept: bool
    cart: CartView


def apply_code_to_cart(db: Database, settings: Settings, identity: ShopperIdentity, text: str) -> CodeOutcome:
    """Puts the code on the shopper's cart (replacing any other: one code per order) when it applies or only waits
    for more items or its start; otherwise the cart keeps what it had. Amounts come from the catalog alone."""
    typed = normalize_code(text) or (text or "").strip().upper()[:32]
    with db.transaction() as session:
        customer = identify(session, identity)
        current = view_cart(session, customer, settings.shop_currency, settings.delivery_fees)
        code = find_code(session, typed)
        refused = check_code(session, code, customer.id, current.currency, current.subtotal.amount_minor, utcnow())
        kept = code is not None and (refused is None or refused.reason in KEPT_ON_CART)
        if kept:
            get_cart(session, customer).discount_code = typed
            session.flush()
        cart = view_cart(session, customer, settings.shop_currency, settings.delivery_fees)
    terms = terms_of(code) if code is not None and refused is None else None
    return CodeOutcome(typed, terms, refused, kept, cart)


def remove_code_from_cart(db: Database, settings: Settings, identity: ShopperIdentity) -> CodeOutcome | None:
    """Drops the cart's code; the outcome names the code dropped and the cart without it (None: it had none)."""
    with db.transaction() as session:
        customer = identify(session, identity)
        cart = get_cart(session, customer)
        code, cart.discount_code = cart.discount_code, None
        session.flush()
        view = view_cart(session, customer, settings.shop_currency, settings.delivery_fees)
    if code is None:
        return None
    return CodeOutcome(code, None, None, False, view)
