"""Which broker events are chat messages, what is kept of them, and that card numbers never are."""

import pytest

from checkout.records.events import inbound_key, parse_event
from checkout.records.redaction import CARD_PLACEHOLDER, luhn_valid, redact_card_numbers
from tests.records_events import bot_event, other_event, user_event


def test_a_shopper_message_keeps_intent_confidence_entities_and_the_channels_identity():
    entities = [
        {
            "entity": "product",
            "value": "hoodie",
            "start": 12,
            "end": 18,
            "extractor": "DIETClassifier",
            "confidence_entity": 0.99,
        }
    ]
    metadata = {
        "channel": "telegram",
        "user_id": 4242,
        "first_name": "Ana",
        "last_name": "Lima",
        "username": "ana_l",
        "language_code": "pt",
        "message_id": 77,
    }
    event = parse_event(user_event("4242", "add a black hoodie", "add_to_cart", 0.91, entities, metadata))
    assert (event.direction, event.text, event.intent, event.confidence) == (
        "in",
        "add a black hoodie",
        "add_to_cart",
        0.91,
    )
    assert event.entities == [{"entity": "product", "value": "hoodie", "start": 12, "end": 18}]
    assert event.channel_message_id == "77"
    assert event.identity.channel == "telegram" and event.identity.channel_user_id == "4242"
    assert event.identity.profile == {"name": "Ana Lima", "username": "ana_l", "language": "pt"}
    assert event.key == inbound_key("telegram", "4242", "77")


def test_a_bot_message_keeps_its_response_name():
    event = parse_event(bot_event("s1", "Hi! What are you looking for?", "utter_greet"))
    assert (event.direction, event.text, event.response_name, event.identity) == (
        "out",
        "Hi! What are you looking for?",
        "utter_greet",
        None,
    )
    assert parse_event(bot_event("s1", "Added.", None)).response_name is None


def test_the_same_event_has_the_same_key_and_different_events_do_not():
    event = user_event("s1", "hello")
    assert parse_event(event).key == parse_event(dict(event)).key
    assert parse_event(event).key != parse_event(user_event("s1", "hello")).key  # a later, identical text


@pytest.mark.parametrize(
    "body",
    [
        other_event("s1"),
        other_event("s1", "slot"),
        {"event": "user"},
        {"event": "bot", "sender_id": ""},
        None,
        [],
        "user",
        {"sender_id": "s1", "event": "session_started", "timestamp": 1.0},
    ],
)
def test_everything_else_is_not_a_message(body):
    assert parse_event(body) is None


def test_malformed_fields_do_not_break_parsing():
    event = parse_event(
        {
            "sender_id": "s1",
            "event": "user",
            "text": 42,
            "timestamp": "yesterday",
            "parse_data": {"intent": "greet", "entities": "none"},
            "metadata": [],
        }
    )
    assert event.text is None and event.intent is None and event.entities is None and event.at is not None


@pytest.mark.parametrize(
    "number", ["4242424242424242", "4242 4242 4242 4242", "4000-0566-5566-5556", "378282246310005", "6011111111111117"]
)
def test_card_numbers_are_removed_from_text_and_entities(number):
    body = user_event("s1", f"my card is {number} exp 12/29", entities=[{"entity": "quantity", "value": number}])
    event = parse_event(body)
    assert number not in event.text and CARD_PLACEHOLDER in event.text and "exp 12/29" in event.text
    assert event.entities == [{"entity": "quantity", "value": CARD_PLACEHOLDER}]


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("4242 4242 4242 4242 12/29", "[card number removed] 12/29"),
        ("qty 2 4242 4242 4242 4242 cvc 123", "qty 2 [card number removed] cvc 123"),
        ("1 4242 4242 4242 4242 2", "1 [card number removed] 2"),
    ],
)
def test_only_the_card_number_goes_when_other_digits_touch_it(text, redacted):
    assert redact_card_numbers(text) == redacted


@pytest.mark.parametrize(
    "text", ["+44 20 7946 0958", "call 0049 170 1234 5678", "order A7K2Q9 total 129.80", "1234567890123"]
)
def test_phone_numbers_and_other_digits_stay(text):
    assert redact_card_numbers(text) == text


def test_luhn():
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")


def test_a_shopper_message_keeps_the_model_that_read_it_and_its_top_five_intents():
    ranking = [
        ("add_to_cart", 0.512345),
        ("product_info", 0.40004),
        ("browse_catalog", 0.05),
        ("greet", 0.02),
        ("inform", 0.01),
        ("deny", 0.005),
    ]
    event = parse_event(
        user_event("s1", "black hoodie", "add_to_cart", 0.512345, model_id="20261201-101010-brisk-fox", ranking=ranking)
    )
    assert event.model_id == "20261201-101010-brisk-fox"
    assert event.intent_ranking == [
        {"name": "add_to_cart", "confidence": 0.5123},
        {"name": "product_info", "confidence": 0.4},
        {"name": "browse_catalog", "confidence": 0.05},
        {"name": "greet", "confidence": 0.02},
        {"name": "inform", "confidence": 0.01},
    ]


def test_a_bot_message_has_no_model_or_ranking_and_malformed_rankings_are_dropped():
    bot = parse_event({**bot_event("s1", "Hi!"), "metadata": {"utter_action": "utter_greet", "model_id": "m1"}})
    assert (bot.model_id, bot.intent_ranking) == (None, None)
    body = user_event("s1", "hi", metadata={"model_id": 42})
    body["parse_data"]["intent_ranking"] = [
        {"name": "greet", "confidence": float("nan")},
        {"name": "", "confidence": 0.5},
        {"confidence": 0.4},
        "goodbye",
        {"name": "thank", "confidence": True},
        {"name": "affirm", "confidence": 0.3},
    ]
    event = parse_event(body)
    assert (event.model_id, event.intent_ranking) == (None, [{"name": "affirm", "confidence": 0.3}])
    body["parse_data"]["intent_ranking"] = "greet"
    assert parse_event(body).intent_ranking is None
