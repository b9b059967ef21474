"""The shopper gives or drops a promo code: one code per cart, kept while it cannot apply yet."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from checkout.carts import CartView, get_cart, view_cart
from checkout.customers.identity import ShopperIdentity, identify
from checkout.db.database import Database
from checkout.db.models import PromoCode, utcnow
from checkout.errors import CheckoutError
from checkout.message_effects import MessageEffect, message_change
from checkout.promotions.kinds import KEPT_ON_CART
from checkout.promotions.redemption import check_code, terms_of
from checkout.promotions.rules import PromoTerms, Refused, normalize_code
from checkout.settings import Settings

MAX_WORDS_READ = 60  # a code is typed near the start of a message; a pasted essay is not searched to its end
WORD = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")


class NoCodeGiven(CheckoutError):
    """The shopper spoke of a code ("I have a coupon") without one in the message: ask for it."""

    def __init__(self) -> None:
        super().__init__("no code in the message")


@dataclass(frozen=True)
class CodeOutcome:
    """What the code does now (`terms`, and the cart priced with it), or why not (`refused`). `terms` are the
    code's whenever it exists (the minimum or start date a refusal talks about). `kept`: the cart holds the code
    (it applies, or will once it can)."""

    code: str
    terms: PromoTerms | None
    refused: Refused | None
    kept: bool
    cart: CartView


def words_that_could_be_codes(tagged: str | None, message: str) -> list[str]:
    """The code the model tagged first, then every word of the message that has a code's shape, upper-cased."""
    words = [tagged or "", *WORD.findall(message or "")[:MAX_WORDS_READ]]
    return list(dict.fromkeys(code for code in map(normalize_code, words) if code))


def looks_made_up(word: str) -> bool:
    """A word read as a code the shop does not know: only one with a digit ("SPRNG10"), never "have" or "code"."""
    return any(c.isdigit() for c in word) and any(c.isalpha() for c in word)


def apply_code_to_cart(
    db: Database, settings: Settings, identity: ShopperIdentity, said: str | None, message: str = ""
) -> CodeOutcome:
    """Puts the code on the shopper's cart (replacing any other: one code per order) when it applies or only waits
    for more items or its start; otherwise the cart keeps what it had. `said` is the code as tagged (or typed);
    when it is not one of the shop's codes, a shop code written anywhere in `message` is taken instead, so a code
    the model did not tag still works. Raises NoCodeGiven when neither holds a code. Amounts come from the catalog
    alone."""
    candidates = words_that_could_be_codes(said, message)
    with db.transaction() as session:
        stored = {c.code: c for c in session.scalars(select(PromoCode).where(PromoCode.code.in_(candidates)))}
        typed = next((c for c in candidates if c in stored), None)
        if typed is None:
            typed = normalize_code(said) or next((c for c in candidates if looks_made_up(c)), None)
        if typed is None:
            raise NoCodeGiven()
        code = stored.get(typed)
        customer = identify(session, identity)
        current = view_cart(session, customer, settings.shop_currency, settings.delivery_fees)
        refused = check_code(session, code, customer.id, current.currency, current.subtotal.amount_minor, utcnow())
        kept = code is not None and (refused is None or refused.reason in KEPT_ON_CART)
        if kept:
            get_cart(session, customer).discount_code = typed
            session.flush()
        cart = view_cart(session, customer, settings.shop_currency, settings.delivery_fees)
        terms = terms_of(code) if code is not None else None
    return CodeOutcome(typed, terms, refused, kept, cart)


def remove_code_from_cart(
    db: Database, settings: Settings, identity: ShopperIdentity, *, message_id: str | None = None
) -> CodeOutcome | None:
    """Drops the cart's code; the outcome names the code dropped and the cart without it (None: it had none). The
    shopper message `message_id`, run again, names the code it dropped as it did then."""
    with db.transaction() as session:
        customer = identify(session, identity)
        change = message_change(customer.id, message_id, MessageEffect.REMOVE_CODE)
        earlier = change.earlier(session)
        if earlier is not None:
            code = earlier.outcome
        else:
            cart = get_cart(session, customer)
            code = cart.discount_code
            if code is not None and change.claim(session, outcome=code):  # else dropped by this message just now
                cart.discount_code = None
                session.flush()
        view = view_cart(session, customer, settings.shop_currency, settings.delivery_fees)
    if code is None:
        return None
    return CodeOutcome(code, None, None, False, view)
