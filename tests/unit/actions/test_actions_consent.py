"""Offers in the chat: "send me offers" / "stop" change the shopper's consent at once and say where; the question
shown once per customer with their first order summary is answered by its buttons, or by nothing (no consent)."""

from __future__ import annotations

from sqlalchemy import select

from actions.consent_actions import ActionSubscribe, ActionUnsubscribe, named_channel
from checkout.db.models import ConsentChange, Customer
from checkout.statuses import ConsentChannel
from tests.unit.actions.action_harness import DOMAIN, render, responses, run, slot_sets, summary, tracker

TELEGRAM = {"channel": "telegram", "user_id": 4242}


def customer(shop, sender="web-ana") -> Customer:
    with shop.db.reading() as session:
        found = session.scalar(select(Customer).where(Customer.channel_user_id.in_([sender, "4242"])))
        assert found is not None
        return found


def changes(shop) -> list[tuple[str, bool, str, str | None]]:
    with shop.db.reading() as session:
        rows = session.scalars(select(ConsentChange).order_by(ConsentChange.id))
        return [(c.channel, c.granted, c.source, c.email) for c in rows]


def say(action, text, intent, metadata=None, slots=None, channel="rest"):
    return run(action, tracker("tg-4242", text, intent, metadata=metadata, slots=slots, channel=channel))


def test_the_channel_a_shopper_names():
    assert named_channel("no more emails pls") == ConsentChannel.EMAIL
    assert named_channel("send deals here on telegram") == ConsentChannel.CHAT
    assert named_channel("stop") is None and named_channel("stop emails and messages") is None


def test_send_me_offers_in_telegram(shop):
    messages, events = say(ActionSubscribe(), "send me offers", "subscribe", metadata=TELEGRAM, channel="telegram")
    assert render(messages[0]) == 'Done! You\'ll get our offers here in the chat. Say "stop" at any time to stop them.'
    assert changes(shop) == [("chat", True, "chat", None)]  # no address: no email consent to record
    assert customer(shop).marketing_consent and slot_sets(events) == {"consent_question": None}


def test_the_web_chat_without_an_email_cannot_receive_offers(shop):
    messages, _ = run(ActionSubscribe(), tracker(text="sign me up for deals", intent="subscribe"))
    assert responses(messages) == ["utter_subscribe_needs_email"]


def test_stop_withdraws_both_unless_one_is_named(shop):
    say(ActionSubscribe(), "send me offers", "subscribe", metadata=TELEGRAM, channel="telegram")
    with shop.db.transaction() as session:
        session.scalar(select(Customer).where(Customer.channel_user_id == "4242")).email = "ana@example.com"
    say(ActionSubscribe(), "email me your deals", "subscribe", metadata=TELEGRAM, channel="telegram")
    assert customer(shop).email_consent
    messages, _ = say(ActionUnsubscribe(), "no more emails", "unsubscribe", metadata=TELEGRAM, channel="telegram")
    assert render(messages[0]) == "Done: no more offers by email. You'll still get messages about your orders."
    assert customer(shop).marketing_consent and not customer(shop).email_consent
    messages, _ = say(ActionUnsubscribe(), "stop", "unsubscribe", metadata=TELEGRAM, channel="telegram")
    assert "no more offers here in the chat and by email" in render(messages[0])
    assert not customer(shop).marketing_consent and not customer(shop).email_consent


def test_the_first_summary_asks_once_and_its_yes_button_consents_to_both(shop):
    shop.fill_cart("web-ana", [("STK-PACK", 1)])
    messages, pending = summary(slots={"customer_email": "zoe@example.com"})
    assert responses(messages) == ["utter_ask_marketing_consent", "utter_order_summary"]
    assert render(messages[0]).startswith("May we send you our offers by email now and then?")
    buttons = DOMAIN["responses"]["utter_ask_marketing_consent"][0]["buttons"]
    assert [b["payload"] for b in buttons] == ["/subscribe", "/unsubscribe"]
    messages, events = run(
        ActionSubscribe(),
        tracker(
            text="/subscribe", intent="subscribe", slots={"consent_question": True, "customer_email": "zoe@example.com"}
        ),
    )
    assert responses(messages) == ["utter_subscribed"] and slot_sets(events) == {"consent_question": None}
    assert changes(shop) == [("chat", True, "checkout", None), ("email", True, "checkout", "zoe@example.com")]
    messages, _ = summary(slots={"customer_email": "zoe@example.com"})
    assert responses(messages) == ["utter_order_summary"]  # asked once per customer
    assert pending.startswith("place_order:")


def test_no_to_the_question_is_recorded_and_no_answer_is_no_consent(shop):
    shop.fill_cart("web-ana", [("STK-PACK", 1)])
    summary(slots={"customer_email": "zoe@example.com"})
    messages, _ = run(
        ActionUnsubscribe(), tracker(text="/unsubscribe", intent="unsubscribe", slots={"consent_question": True})
    )
    assert responses(messages) == ["utter_consent_declined"]
    assert [c[:3] for c in changes(shop)] == [("chat", False, "checkout"), ("email", False, "checkout")]
    shop.fill_cart("web-bo", [("STK-PACK", 1)])
    messages, _ = summary(sender="web-bo", slots={"customer_email": "bo@example.com"})
    assert responses(messages)[0] == "utter_ask_marketing_consent"
    assert not customer(shop, "web-bo").email_consent  # shown, never answered: no consent


def test_a_web_chat_shopper_without_an_email_is_not_asked(shop):
    shop.fill_cart("web-ana", [("STK-PACK", 1)])
    messages, _ = summary(slots={"customer_email": "-"})
    assert responses(messages) == ["utter_order_summary"]
