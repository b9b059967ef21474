"""The shopper web chat: the page, and the one endpoint it posts messages to.

The browser only ever talks to this app; we forward to Rasa's REST channel, so Rasa stays on
loopback and the conversation id lives in our signed session cookie where a page script cannot
read or forge it (another shopper's id would show their cart and orders).
"""

from __future__ import annotations

import secrets

from flask import Blueprint, current_app, render_template, request, session

from checkout.assistant_client import AssistantClient, AssistantUnavailable, new_message_id, typed_text
from checkout.chat_delivery import acknowledge, undelivered

bp = Blueprint("chat", __name__)

SENDER_KEY = "chat_sender_id"
UNREACHABLE = "The assistant is not reachable right now, please try again in a minute."


def sender_id() -> str:
    """This browser's conversation id, created on first visit and kept for the session cookie's life."""
    if SENDER_KEY not in session:
        session[SENDER_KEY] = "web-" + secrets.token_urlsafe(18)
        # Permanent, so a shopper who comes back tomorrow finds the same cart and orders.
        session.permanent = True
    return session[SENDER_KEY]


@bp.get("/")
def page():
    sender_id()
    return render_template("chat.html", shop_name=current_app.config["SETTINGS"].shop_name)


@bp.post("/chat/messages")
def post_message():
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    payload = body.get("payload")
    # Button presses carry Rasa's "/intent{...}" payloads; typed text never acts as one.
    text = payload if isinstance(payload, str) and payload.startswith("/") else typed_text(body.get("text"))
    if not isinstance(text, str) or not text.strip():
        return {"error": "Please write a message first."}, 400
    sender = sender_id()
    settings = current_app.config["SETTINGS"]
    # The API token: a turn lost with its Rasa server is looked up in the conversation's tracker.
    client = AssistantClient(settings.rasa_url, settings.rasa_api_token)
    # One id per POST: the message's changes are made once and its record is kept once, whichever Rasa server
    # runs its turn and however often.
    metadata = {"channel": "web", "user_id": sender, "message_id": new_message_id()}
    try:
        replies = client.send(sender, text, metadata)
    except AssistantUnavailable as exc:
        current_app.logger.warning("assistant unavailable for %s: %s", sender, exc)
        return {"error": UNREACHABLE}, 503
    return {"messages": replies}


@bp.get("/chat/updates")
def updates():
    """Messages queued for this browser's chat outside a turn (order updates, seller replies), after the id `after`
    the page already shows. Reads only: another site can make a shopper's browser send this GET, cookie and all."""
    sender = session.get(SENDER_KEY)
    raw_after = request.args.get("after", "0")
    after = int(raw_after) if raw_after.isdigit() else 0
    if not sender:
        return {"messages": []}
    with current_app.extensions["database"].reading() as read:
        messages = [{"id": m.id, "text": m.text, "buttons": m.buttons or []} for m in undelivered(read, sender, after)]
    return {"messages": messages}


@bp.post("/chat/updates")
def acknowledge_updates():
    """The page showed this chat's messages up to `delivered`: they are sent. A POST, so only our page, with its CSRF
    token, can say so; see checkout.chat_delivery."""
    body = request.get_json(silent=True)
    delivered = body.get("delivered") if isinstance(body, dict) else None
    if type(delivered) is not int or delivered < 0:
        return {"error": "delivered must be the highest message id shown"}, 400
    sender = session.get(SENDER_KEY)
    if sender:
        acknowledge(current_app.extensions["database"], sender, delivered)
    return {"delivered": delivered}
