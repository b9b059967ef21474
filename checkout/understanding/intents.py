"""Correcting the model's intent with what the catalog reading shows.

The model learns phrasing from our examples; it cannot know that "one <a name it never saw> please" is a
purchase, or that "hi, I'd like the ..." is more than a greeting. The reading against the live catalog can.
Each correction needs evidence in the message itself (a catalog name plus a purchase or question cue);
without it the model's intent stands.
"""

from __future__ import annotations

import re

from checkout.understanding.promo_words import gives_a_code, names_a_code, offers_intent, promo_intent
from checkout.understanding.reading import NUMBER_WORDS, ONE_MORE, Reading
from checkout.understanding.text import CHAT_WORDS, tokenize

SMALL_TALK = {"greet", "thank", "goodbye"}
PROMO_INTENTS = ("apply_discount", "remove_discount")
# Intents a purchase may hide behind when the model meets names it never saw ("one smokey night pallete
# pls" as remove_from_cart). Never yes/no answers; the others only without their own words (TOPIC_WORDS).
MISREAD_PURCHASE = SMALL_TALK | {
    "nlu_fallback",
    "out_of_scope",
    "product_info",
    "browse_catalog",
    "inform",
    "checkout",
    "view_cart",
    "order_status",
    "ask_shipping",
    "ask_returns",
    "ask_payment_methods",
    "bot_challenge",
    "remove_from_cart",
    "cancel_order",
    "human_handoff",
}
# Requests whose own words, when present, mean the model was right ("how much is shipping for 2 tea bowls",
# "remove the 2 teapots"); without them a name and a number is a purchase the model misread.
TOPIC_WORDS = {
    "remove_from_cart": re.compile(
        r"\b(?:remove\w*|delete\w*|take\b.*\bout|drop|rid|minus|less|fewer|without|clear|empty|"
        r"don'?t\s+(?:want|need)|no\s+longer|instead|out\s+of|off)\b",
        re.I,
    ),
    "cancel_order": re.compile(r"\b(?:cancel\w*|stop|abort|call\s+off)\b", re.I),
    "human_handoff": re.compile(
        r"\b(?:person|human|agent|someone|somebody|staff|seller|owner|real|talk|speak|call)\b", re.I
    ),
    "order_status": re.compile(r"\b(?:order\w*|status|where|track\w*|arriv\w*|shipped|sent|deliver\w*)\b", re.I),
    "view_cart": re.compile(r"\b(?:cart|basket|bag|total|so\s+far|have\s+i)\b", re.I),
    "checkout": re.compile(r"\b(?:check\s*out|pay\w*|finish\w*|done|that'?s\s+all|order\s+now|place)\b", re.I),
    "ask_shipping": re.compile(
        r"\b(?:ship\w*|deliver\w*|postage|post|arriv\w*|courier|dispatch\w*|days?|abroad)\b", re.I
    ),
    "ask_returns": re.compile(r"\b(?:return\w*|refund\w*|exchange\w*|send\s+(?:it\s+)?back)\b", re.I),
    "ask_payment_methods": re.compile(r"\b(?:pay\w*|card|cash|transfer|apple|klarna|paypal)\b", re.I),
}
# Requests the model may see in an answer to a checkout question ("2 Rose Cottages, Redhill" as add_to_cart):
# without a catalog name, a purchase phrase or a word pointing back ("it", "one") they are the answer.
CATALOG_REQUESTS = {"add_to_cart", "product_info"}
POINTING_BACK = re.compile(r"\b(?:it|one|ones|them|that|this|those|these|another|more)\b", re.I)
HOW_MANY_FILLERS = {
    "please",
    "pls",
    "plz",
    "just",
    "only",
    "x",
    "of",
    "them",
    "ok",
    "okay",
    "thanks",
    "pieces",
    "copies",
}
POLITE_CUE = re.compile(r"\b(?:please|pls|plz|plse)\b", re.I)
# What a greeting may carry in front: a request of one of these kinds.
REQUESTS = {
    "browse_catalog",
    "product_info",
    "add_to_cart",
    "remove_from_cart",
    "view_cart",
    "checkout",
    "order_status",
    "cancel_order",
    "human_handoff",
    "ask_shipping",
    "ask_payment_methods",
    "ask_returns",
}
MIN_REQUEST_CONFIDENCE = 0.15
PURCHASE_CUE = re.compile(
    r"\b(?:i'?d\s+like|i\s+would\s+like|i\s+(?:want|wanna|need)|i'?ll\s+(?:take|have|get|buy)|i\s+will\s+(?:take|have)"
    r"|i'?m\s+after|(?:can|could|may)\s+i\s+(?:get|have|grab|order|buy|take)|give\s+me|get\s+me|send\s+me|gimme|add|buy|order|"
    r"purchase|put|grab|take|ill\s+take|lemme\s+get|let\s+me\s+(?:get|have)|i'?m\s+(?:buying|taking)|gonna\s+(?:get|buy|take))\b",
    re.I,
)
# "I want to know the price", "would like to see": wanting information, not the item.
NOT_PURCHASE = re.compile(r"\b(?:want|wanna|like|need)\s+(?:to\s+)?(?:know|see|ask|check|find\s+out|look)\b", re.I)
QUESTION_CUE = re.compile(
    r"\?|\b(?:how\s+much|price|cost|in\s+stock|available|do\s+you\s+(?:have|sell|carry)|"
    r"is\s+(?:it|there|the)|are\s+(?:they|there|the)|what|whats|which|does|made\s+(?:of|from))\b",
    re.I,
)
# Asking to see what there is ("what notebooks do you have", "any serums?") rather than about one thing.
BROWSE_CUE = re.compile(
    r"\b(?:what|which|show|see|any|got|list|sell|carry|selection|range|options|browse|look(?:ing)?\s+for)\b|"
    r"\b(?:do|d)\s*(?:you|u|ya)\s+(?:have|sell|carry|stock)\b|^\W*\w+\W*$",
    re.I,
)
# A question about details of the things named: a product question, even about a category.
DETAIL_CUE = re.compile(
    r"\b(?:how\s+(?:much|thick|big|long|many|heavy|warm)|price|cost|come\s+in|made\s+(?:of|from)|fit|"
    r"material|ingredients?|size|sizes|suitable|good\s+for|ok\s+for|safe)\b",
    re.I,
)
SMALL_TALK_WORDS = re.compile(
    r"\b(?:hi+|hello+|hey+|heya|hiya|yo|hallo|hola|morning|evening|thanks?|thx|ty|cheers|"
    r"bye|goodbye|cya|later|night|merci|gracias|danke|appreciate\w*)\b",
    re.I,
)
GREETING_WORDS = re.compile(
    r"^\W*(?:hi+|hello+|hey+|heya|hiya|yo|hallo|hola|bonjour|salut|ciao|good\s+(?:morning|"
    r"afternoon|evening)|morning|evening|greetings|hey\s+there|hi\s+there|hello\s+there)\b[\W]*",
    re.I,
)

# An answer to "what's the delivery address?": a house number, then a street word or a postcode. No
# purchase is written this way ("18 Rose Hill Rd" is no order of 18 Velvet Rose lip oils).
STREET_ADDRESS = re.compile(
    r"^\W*\d{1,5}[a-z]?\b.*(?:\b(?:road|rd|street|st|lane|ln|avenue|ave|drive|dr|way|close|court|ct|place|pl|terrace|"
    r"crescent|cres|boulevard|blvd|row|walk|square|sq|parkway|pkwy|highway|hwy|gardens|mews|grove|apt|flat|suite)\b|"
    r"\b[a-z]{1,2}\d[a-z\d]?\s*\d[a-z]{2}\b|\b[a-z]{2}\s+\d{5}(?:-\d{4})?\b)",
    re.I,
)
NEGATION = re.compile(r"\b(?:no|nope|nah|not|don'?t|dont|never)\b", re.I)
NAME_GIVEN = re.compile(r"^\W*(?:my\s+name\s+is|my\s+name'?s|name\s*:|the\s+name'?s?\s+is|call\s+me)\b", re.I)
# "Emily Carter", "Tomás O'Brien": a person's name, the answer to "what's your full name?" (no request is
# two to four capitalised words and nothing else).
PERSON_NAME = re.compile(r"^\s*(?:[A-ZÀ-Ý][\w'’.-]*\s+){1,3}[A-ZÀ-Ý][\w'’.-]*\s*$")
# Intents a question about a named product may be taken for ("what spf is the sunveil fluid" as view_cart).
MISREAD_QUESTION = {
    "remove_from_cart",
    "view_cart",
    "ask_returns",
    "ask_shipping",
    "bot_challenge",
    "cancel_order",
    "order_status",
    "checkout",
    "human_handoff",
    "ask_payment_methods",
}
# Intents a request to see a category may be taken for ("show me your lipstiks" as view_cart).
MISREAD_BROWSE = MISREAD_QUESTION | {"product_info", "nlu_fallback", "out_of_scope"}


def wants_to_buy(text: str, reading: Reading) -> bool:
    """A catalog name with a purchase phrase, or a number ("one glow serum", "3x classic notebook"), a
    please ("the navy notebook in a5 please") or an "and" that adds to what was said ("and the weekday
    kitchen"), and no question."""
    if not (reading.products or reading.categories):
        return False
    if PURCHASE_CUE.search(text) and not NOT_PURCHASE.search(text):
        return True
    if QUESTION_CUE.search(text):
        return False
    if reading.quantity is not None or ONE_MORE.search(text):
        return True
    # "the navy notebook in a5 please", "glow drops serum 50ml": one product, asked for politely or with its variant
    return bool(reading.products) and (bool(POLITE_CUE.search(text)) or bool(reading.color or reading.size))


def names_only_a_variant(text: str, reading: Reading) -> bool:
    """A colour or size and a few words around it, no name, no question, no "no"."""
    if not (reading.color or reading.size) or reading.products or reading.categories:
        return False
    if QUESTION_CUE.search(text) or NEGATION.search(text) or PURCHASE_CUE.search(text):
        return False
    rest = [t for t in tokenize(text) if not any(m.start <= t.start < m.end for m in reading.mentions)]
    return len(rest) <= 4


def says_only_how_many(text: str) -> bool:
    """ "2", "two please", "3 pls": a number for the product talked about, which the dialogue reads in context."""
    words = re.findall(r"[^\W_]+", text.casefold())
    return bool(words) and all(w.isdigit() or w in NUMBER_WORDS or w in HOW_MANY_FILLERS for w in words)


def repair_intent(intent: str, ranking: list[tuple[str, float]], text: str, reading: Reading) -> str:
    """The intent this message has, given the model's `intent` and ranking and the catalog reading."""
    # "if I buy the hoodie can I return it" is about returns: a policy question that speaks of its topic stands
    # A topic word inside a product's name is the name's ("a £25 gift card please" is no question about paying by
    # card); a category's word may be the topic's own ("what's in my bag").
    outside_names = "".join(
        " " if any(m.kind == "product" and m.start <= i < m.end for m in reading.mentions) else c
        for i, c in enumerate(text)
    )
    on_topic = intent in TOPIC_WORDS and bool(TOPIC_WORDS[intent].search(outside_names))
    catalog_named = bool(reading.products or reading.categories)
    # "coupon: HOLA-MARIA", "skip the promo": a code given or dropped ("a discount on hoodies?" is not)
    promo = promo_intent(text)
    if promo is not None and intent not in ("subscribe", "unsubscribe") and not catalog_named:
        return promo
    # "i wanna get ur newsletter", "no more promos": the shop's offers, wanted or not
    offers = offers_intent(text)
    if offers is not None and intent not in PROMO_INTENTS and not catalog_named:
        return offers
    if intent in ("order_status", "inform", "nlu_fallback") and not catalog_named and gives_a_code(text):
        return "apply_discount"  # "BLOSSOM-5 pls": alone, a code in a shape no order number has
    if intent in PROMO_INTENTS and promo is None and not names_a_code(text):
        # A code without a word that says so is only a code when it is all the message says: "5 Harbour View, Cobh,
        # Co. Cork P24 X821" is an address, "adiós amigo" a goodbye. The model's next guess stands instead.
        intent = next((name for name, _ in ranking if name not in PROMO_INTENTS), "nlu_fallback")
    if intent not in ("affirm", "deny") and (STREET_ADDRESS.search(text) or NAME_GIVEN.search(text)):
        return "inform"
    if (
        intent in MISREAD_BROWSE | SMALL_TALK
        and not on_topic
        and not reading.mentions
        and PERSON_NAME.match(text)
        and not GREETING_WORDS.match(text)
        and not any(t.key in CHAT_WORDS for t in tokenize(text))
    ):  # "Are You Human", "Show Cart"
        return "inform"
    if intent not in ("affirm", "inform") and not on_topic and names_only_a_variant(text, reading):
        return "inform"  # "XL i think", "lets go with navy", "orange i guess": the answer to "which colour/size?"
    if intent in MISREAD_PURCHASE and not on_topic and wants_to_buy(text, reading):
        return "add_to_cart"
    if intent in SMALL_TALK and reading.mentions and not SMALL_TALK_WORDS.search(text):
        return "inform"  # "berry wine" answering "which colour?" is no greeting
    if (
        intent in CATALOG_REQUESTS
        and not (reading.products or reading.categories)
        and not PURCHASE_CUE.search(text)
        and not POINTING_BACK.search(text)
        and not QUESTION_CUE.search(text)
        and not says_only_how_many(text)
    ):
        return "inform"
    if intent == "greet":
        rest = GREETING_WORDS.sub("", text).strip()
        if len(rest.split()) >= 2:  # "hi, do you have notebooks?": answer the request, not the greeting
            if reading.categories and not reading.products:
                return "browse_catalog"
            if reading.products:
                return "product_info"
            request = next(
                (name for name, confidence in ranking if name in REQUESTS and confidence >= MIN_REQUEST_CONFIDENCE),
                None,
            )
            return request or intent
    if (
        intent in MISREAD_BROWSE
        and not on_topic
        and reading.categories
        and not reading.products
        and BROWSE_CUE.search(text)
        and not DETAIL_CUE.search(text)
    ):
        return "browse_catalog"  # "what notebooks do you have", "show me your lipsticks"
    if intent in MISREAD_QUESTION and not on_topic and reading.products and QUESTION_CUE.search(text):
        return "product_info"  # "what spf is the sunveil fluid", "what age is dinosaur picnic for?"
    if intent == "browse_catalog" and reading.product and not reading.categories:
        return "product_info"  # "show me the silent garden"
    if intent in ("nlu_fallback", "out_of_scope") and reading.products:
        return "product_info"
    return intent
