"""A lost turn's replies read back from Rasa's tracker come out as Rasa's REST channel would have answered them.

The pairs below were made with Rasa 3.6.21 itself (in .venv-rasa): each BotUttered event's `as_dict()`, and what
CollectingOutputChannel collected from `send_response(sender, event.message())`."""

from __future__ import annotations

import pytest

from checkout.tracker_replies import replies_in_tracker, rest_messages

R = "sender-1"
BUTTONS = [
    {"title": "Hoodies", "payload": "/browse_catalog"},
    {"title": "Pay", "url": "https://pay.example/x", "type": "web_url"},
]
IMAGE = "https://img.example/h.png"

RASA_3_6 = [
    (
        {"event": "bot", "metadata": {"utter_action": "utter_greet"}, "text": "Hi!\n\nWhat can I do?", "data": {}},
        [{"recipient_id": R, "text": "Hi!"}, {"recipient_id": R, "text": "What can I do?"}],
    ),
    (
        {"event": "bot", "metadata": {}, "text": "Pick one:\n\nreally", "data": {"buttons": BUTTONS}},
        [{"recipient_id": R, "text": "Pick one:\n\nreally", "buttons": BUTTONS}],
    ),
    ({"event": "bot", "text": None, "data": {"image": IMAGE}, "metadata": {}}, [{"recipient_id": R, "image": IMAGE}]),
    (
        {"event": "bot", "text": "Look", "data": {"image": IMAGE, "attachment": IMAGE}, "metadata": {}},
        [{"recipient_id": R, "text": "Look"}, {"recipient_id": R, "image": IMAGE}],
    ),
    (
        {"event": "bot", "text": "Choose", "data": {"quick_replies": [{"title": "Yes", "payload": "/affirm"}]}},
        [{"recipient_id": R, "text": "Choose", "buttons": [{"title": "Yes", "payload": "/affirm"}]}],
    ),
    (
        {"event": "bot", "text": "With custom", "data": {"custom": {"a": 1}, "attachment": "file.pdf"}, "metadata": {}},
        [
            {"recipient_id": R, "text": "With custom"},
            {"recipient_id": R, "custom": {"a": 1}},
            {"recipient_id": R, "attachment": "file.pdf"},
        ],
    ),
    (
        {"event": "bot", "text": None, "data": {"elements": [{"title": "T", "subtitle": "S", "buttons": BUTTONS}]}},
        [{"recipient_id": R, "text": "T : S", "buttons": BUTTONS}],
    ),
    # What our actions' responses look like in a tracker: every data key present, most of them null.
    (
        {
            "event": "bot",
            "text": "Added 1 × Cap",
            "data": {
                "elements": None,
                "quick_replies": None,
                "buttons": None,
                "attachment": None,
                "image": None,
                "custom": None,
            },
            "metadata": {"utter_action": "utter_added_to_cart"},
        },
        [{"recipient_id": R, "text": "Added 1 × Cap"}],
    ),
]


@pytest.mark.parametrize("event, collected", RASA_3_6)
def test_each_bot_event_becomes_the_messages_the_rest_channel_collects(event, collected):
    assert rest_messages(event, R) == collected


def user(message_id, text="hi") -> dict:
    return {"event": "user", "text": text, "metadata": {"message_id": message_id}, "input_channel": "rest"}


def bot(text: str) -> dict:
    return {"event": "bot", "text": text, "data": {}, "metadata": {}}


EARLIER_TURN = [
    user("m-0"),
    {"event": "action", "name": "utter_greet"},
    bot("Hello"),
    {"event": "action", "name": "action_listen"},
]


def test_the_replies_of_the_message_are_those_up_to_the_next_message():
    events = [
        *EARLIER_TURN,
        user("m-1"),
        {"event": "slot", "name": "cart_product", "value": "Cap"},
        bot("Added"),
        bot("Anything else?"),
        {"event": "action", "name": "action_listen"},
        user("m-2"),
        bot("Later"),
    ]
    assert [m["text"] for m in replies_in_tracker({"events": events}, "m-1", R)] == ["Added", "Anything else?"]
    assert [m["text"] for m in replies_in_tracker({"events": events}, "m-2", R)] == ["Later"]


def test_a_message_not_in_the_tracker_did_not_run():
    assert replies_in_tracker({"events": EARLIER_TURN}, "m-1", R) is None
    assert replies_in_tracker({"events": []}, "m-1", R) is None
    assert replies_in_tracker({"no": "events"}, "m-1", R) is None
    assert replies_in_tracker(["not", "a", "tracker"], "m-1", R) is None
    assert replies_in_tracker({"events": EARLIER_TURN}, None, R) is None


def test_a_turn_that_ran_without_a_reply_has_none():
    events = [*EARLIER_TURN, user("m-1"), {"event": "action", "name": "action_listen"}]
    assert replies_in_tracker({"events": events}, "m-1", R) == []


def test_numbers_and_text_are_the_same_id_and_the_latest_run_counts():
    events = [*EARLIER_TURN, user(7), bot("first run"), user("7"), bot("second run")]
    assert [m["text"] for m in replies_in_tracker({"events": events}, "7", R)] == ["second run"]
    assert [m["text"] for m in replies_in_tracker({"events": events}, 7, R)] == ["second run"]
