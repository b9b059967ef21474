"""A promo code in a message, read from the words themselves.

The model learns "I have a code SPRING10" from examples, but a shop's codes are made up ("BACK-7KQ2", "VIP-JANE")
and shoppers name them in any language ("gutschein", "cupom"): no example list covers them. The words that say
"promo code" and the shape of a code do. Each reading needs that evidence in the message; without it the model's
intent and entities stand.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

# Words that mean a promo code whatever else is said ("code" alone is not one: "tracking code", "the code was X").
PROMO_WORD = re.compile(
    r"\b(?:promo(?:code\w*)?|promotional\s+codes?|coupons?|c[uo]p[oó][nm]\w*|vouchers?|dis?c(?:o|ou)u?nt\w*|dicount\w*|disount\w*|gutschein\w*|"
    r"rabatt\w*|sconto|descuento\w*|r[ée]duction|code\s+promo|codice\s+sconto|promocode\w*)\b",
    re.I,
)
# "use code X", "apply the code X", "my code is X": "code" said as the thing to apply.
CODE_TO_APPLY = re.compile(
    r"\b(?:use|using|apply|applied|redeem|enter|add|put|got|have|has|here'?s|heres|my|this|try)\b"
    r"(?:\s+(?:a|an|the|my|this|your|that))?\s+codes?\b",
    re.I,
)
# Dropping the code: "remove the code", "no code", "skip the promo", "take the voucher off", "full price".
REMOVAL = re.compile(
    r"\b(?:remo?v\w*|rmv|delet\w*|drop|undo|forget|clear|cancel\w*|quita\w*|quitar|enlever|entfern\w*|skip|"
    r"without|sin|sans|ohne|full\s+price|take\b.*\boff|don'?t\s+(?:want|use|apply|need)|do\s+not|no\s+(?:more\s+)?"
    r"(?:code|coupon|promo|voucher|discount)s?)\b",
    re.I,
)
# A word that could be a code: 3-32 letters, digits and inner hyphens.
CODE_SHAPE = re.compile(r"(?<![\w-])[A-Za-z0-9](?:[A-Za-z0-9-]{1,30})[A-Za-z0-9](?![\w-])")
# Words in the shape of a code that are ordinary words of a code request.
NOT_CODES = frozenset(
    [
        "code",
        "codes",
        "promo",
        "coupon",
        "voucher",
        "discount",
        "please",
        "pls",
        "thanks",
        "use",
        "apply",
        "have",
        "the",
        "this",
        "that",
        "my",
        "your",
        "with",
        "from",
        "and",
        "for",
        "here",
        "its",
        "it's",
        "is",
        "was",
    ]
)


# Talk about the shop's offers reaching the shopper ("stop sending me promos", "email me your discounts"): consent
# to marketing, which the model tells apart; no code is given or dropped.
MARKETING_TALK = re.compile(
    r"\b(?:offers?|newsletters?|e-?mails?|mails?|messages?|messaging|sending|send|sent|spam\w*|marketing|mailing|"
    r"list|subscri\w*|unsubscri\w*|notif\w*|updates?|deals|texts?)\b",
    re.I,
)


# "code" itself, and the words around a code that is an order's, not a promotion's ("tracking code for N4XR7D").
CODE_WORD = re.compile(r"\b(?:codes?|c[oó]digo|codice|kode)\b", re.I)
ORDER_CONTEXT = re.compile(r"\b(?:orders?|track\w*|parcel|package|shipment|deliver\w*|invoice|reference|was)\b", re.I)
# What a shopper does with a code they name without saying "code": "can I use FREESHIP?", "does BF-24 still work?"
APPLY_CUE = re.compile(r"\b(?:use|using|apply|redeem|enter|try|add|put|work|works|valid)\b", re.I)
PROMO_KEYWORDS = ("coupon", "voucher", "discount")


def said_promo_word(text: str) -> bool:
    """A word for a promo code, as written or misspelt ("cuopon", "discout", "vocher")."""
    if PROMO_WORD.search(text):
        return True
    words = (w.lower() for w in re.findall(r"[^\W\d_]{5,}", text))
    return any(fuzz.ratio(word, keyword) >= 80 for word in words for keyword in PROMO_KEYWORDS)


def code_words(text: str) -> list[str]:
    return [m.group() for m in CODE_SHAPE.finditer(text) if looks_like_a_code(m.group())]


def promo_intent(text: str) -> str | None:
    """apply_discount or remove_discount when the words say so, else None (the model decides)."""
    codes = code_words(text)
    promo = said_promo_word(text) or bool(CODE_TO_APPLY.search(text))
    code_said = bool(CODE_WORD.search(text)) and not ORDER_CONTEXT.search(text)
    if promo and MARKETING_TALK.search(text) and not codes:
        return None  # "stop sending me discounts": the shop's offers, not a code
    if promo or (code_said and (codes or REMOVAL.search(text))):
        return "remove_discount" if REMOVAL.search(text) else "apply_discount"
    return None


# An order number as the shop writes them (checkout/orders/numbers.py): six of these, no hyphen.
ORDER_NUMBER = re.compile(r"[A-HJ-NP-Z2-9]{6}", re.I)


def gives_a_code(text: str) -> bool:
    """The message is one code, in a shape no order number has ("rw-8kd2qx pls", "WELCOME5")."""
    return is_bare_code(text) and not any(ORDER_NUMBER.fullmatch(word) for word in code_words(text))


def names_a_code(text: str) -> bool:
    """A code the model read in a message without the word "code": kept when the message is the code alone or
    does something with it ("can I use FREESHIP?"); "Co. Cork P24 X821" in an address does neither."""
    return is_bare_code(text) or bool(code_words(text) and APPLY_CUE.search(text))


def is_bare_code(text: str) -> bool:
    """The message is a code and nothing else ("BACK-7KQ2", "spring10 pls"): typed after "which code?"."""
    words = [w for w in re.findall(r"[\w-]+", text) if w.lower() not in ("pls", "please", "plz", "thanks", "thx")]
    return len(words) == 1 and looks_like_a_code(words[0])


# Offers reaching the shopper, asked for or refused: the subject, then what the shopper wants done with it.
OFFERS = re.compile(
    r"\b(?:offers?|promos?|promotions?|promot\w*|deals|newsl\w*|marketing|mailing\s+list|spam\w*|ads|advert\w*|"
    r"ofertas?|promoções|promoçoes|offres?|angebote?|werbung)\b",
    re.I,
)
# "discounts", "sales" speak of offers only when refused ("stop sending me discounts"); wanted, they are as often a
# question about prices ("i want something on sale").
REFUSED_OFFERS = re.compile(r"\b(?:discounts|sales|emails?|mails|messages)\b", re.I)
WANT_OFFERS = re.compile(
    r"\b(?:send\s+(?:me|us)|sign\s+(?:me\s+)?up|subscri\w*|keep\s+me|notify|let\s+me\s+know|tell\s+me|"
    r"email\s+me|message\s+me|text\s+me|get|receive|want|wanna|like|put\s+me|add\s+me|quiero|envo?y\w*|manda\w*)\b",
    re.I,
)
NO_MORE_OFFERS = re.compile(
    r"\b(?:stop\w*|no\s+more|unsub\w*|opt\s*-?\s*out|remove\s+me|take\s+me\s+off|"
    r"don'?t|dont|do\s+not|never|quit|enough|tired|parar?|para\s+de|arr[eê]t\w*|basta|no\s+quiero)\b",
    re.I,
)


def offers_intent(text: str) -> str | None:
    """subscribe or unsubscribe when the message speaks of the shop's offers reaching the shopper, else None."""
    offers = bool(OFFERS.search(text))
    if NO_MORE_OFFERS.search(text) and (offers or REFUSED_OFFERS.search(text)):
        return "unsubscribe"
    return "subscribe" if offers and WANT_OFFERS.search(text) else None


def looks_like_a_code(word: str) -> bool:
    """ "SPRING10", "back-7kq2", "VIP-JANE", "RTX": digits, a hyphen, or written in capitals; never a plain word."""
    if word.lower() in NOT_CODES or len(word) > 32:
        return False
    has_digit = any(c.isdigit() for c in word)
    has_letter = any(c.isalpha() for c in word)
    return (has_digit and has_letter) or ("-" in word and has_letter) or (word.isupper() and len(word) >= 3)


def code_span(text: str) -> tuple[int, int] | None:
    """Where the code is: the first code-shaped word after the words that announce it, else the first one anywhere."""
    announced = PROMO_WORD.search(text) or CODE_TO_APPLY.search(text)
    candidates = [m for m in CODE_SHAPE.finditer(text) if looks_like_a_code(m.group())]
    if announced is not None:
        after = [m for m in candidates if m.start() >= announced.end()]
        candidates = after or candidates
    return (candidates[0].start(), candidates[0].end()) if candidates else None
