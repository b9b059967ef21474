"""The web chat's poll for outbox messages: only this browser's, at least once, acknowledged by a POST from the page."""

from __future__ import annotations

import re

from sqlalchemy import select

from checkout.db.models import OutboxMessage
from checkout.notifications import queue_for_customer
from tests.integration.orm_builders import add_customer


def page_token(client) -> str:
    html = client.get("/").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)">', html).group(1)


def sender_of(client, rasa) -> str:
    """Talks once, so the browser gets its conversation id, and returns that id as Rasa saw it."""
    client.post("/chat/messages", json={"text": "hi"}, headers={"X-CSRFToken": page_token(client)})
    return rasa.received[-1]["sender"]


def queue(db, sender: str, text: str, channel: str = "web") -> int:
    with db.transaction() as session:
        customer = add_customer(session, sender, "Web Shopper", channel=channel)
        return queue_for_customer(session, customer, "seller_reply", text).id


def statuses(db) -> dict[int, str]:
    with db.reading() as session:
        return dict(session.execute(select(OutboxMessage.id, OutboxMessage.status)).all())


def acknowledge(client, delivered, token: str | None = None):
    headers = {"X-CSRFToken": token if token is not None else page_token(client)}
    return client.post("/chat/updates", json={"delivered": delivered}, headers=headers)


def test_poll_delivers_this_chats_messages_until_acknowledged(app, rasa):
    db = app.extensions["database"]
    me, other = app.test_client(), app.test_client()
    mine = queue(db, sender_of(me, rasa), "Your order A7K2Q9 is on its way. <b>DHL</b>")
    theirs = queue(db, sender_of(other, rasa), "Not for you")

    first = me.get("/chat/updates").get_json()["messages"]
    assert first == [{"id": mine, "text": "Your order A7K2Q9 is on its way. <b>DHL</b>", "buttons": []}]
    assert statuses(db) == {mine: "pending", theirs: "pending"}  # a poll reads only
    # The acknowledgement got lost: the next poll gets it again.
    assert [m["id"] for m in me.get("/chat/updates").get_json()["messages"]] == [mine]
    assert me.get(f"/chat/updates?after={mine}").get_json()["messages"] == []  # what the page shows already
    assert acknowledge(me, mine).get_json() == {"delivered": mine}
    assert me.get("/chat/updates").get_json()["messages"] == []
    assert statuses(db) == {mine: "sent", theirs: "pending"}
    with db.reading() as session:
        assert session.get(OutboxMessage, mine).sent_at is not None
    assert acknowledge(me, mine).status_code == 200  # again: nothing changes


def test_a_cross_site_get_marks_nothing_delivered(app, rasa):
    """Another site can make the shopper's browser GET any URL of ours, cookie and all (an <img src>), but cannot
    read our page's CSRF token."""
    db = app.extensions["database"]
    shopper = app.test_client()
    mine = queue(db, sender_of(shopper, rasa), "Payment received")
    shopper.get("/chat/updates?after=999999999")
    assert acknowledge(shopper, 999999999, token="forged").status_code == 400
    assert shopper.post("/chat/updates", json={"delivered": 999999999}).status_code == 400
    assert statuses(db) == {mine: "pending"}
    assert [m["id"] for m in shopper.get("/chat/updates").get_json()["messages"]] == [mine]


def test_an_acknowledgement_is_a_message_id(app, rasa):
    client = app.test_client()
    sender_of(client, rasa)
    for bad in (-1, "5", None, True, 1.5):
        assert acknowledge(client, bad).status_code == 400, bad
    assert app.test_client().post("/chat/updates", json={"delivered": 1}).status_code == 400  # no token, no session


def test_poll_without_a_conversation_or_with_garbage_is_harmless(app, rasa):
    assert app.test_client().get("/chat/updates").get_json() == {"messages": []}
    client = app.test_client()
    sender_of(client, rasa)
    assert client.get("/chat/updates?after=-5&x=<script>").get_json() == {"messages": []}


def test_rows_of_other_channels_are_left_to_their_gateways(app, rasa):
    client = app.test_client()
    sender = sender_of(client, rasa)
    telegram = queue(app.extensions["database"], sender, "via telegram", channel="telegram")
    assert client.get("/chat/updates").get_json()["messages"] == []
    assert statuses(app.extensions["database"]) == {telegram: "pending"}
