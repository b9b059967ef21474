"""Conversations handed to the seller: read, reply in the shopper's channel, hand back to the assistant."""

from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, request, url_for

from checkout.assistant_client import AssistantClient, AssistantUnavailable
from checkout.handoff import hand_back_to_assistant, open_handoffs
from checkout.outbox_overview import held_reply_counts, seller_replies
from checkout.records.transcripts import is_handed_over, transcript
from checkout.seller_replies import ConversationNotFound, ReplyRefused, reply_to_shopper
from checkout.statuses import OutboxStatus, ReviewState
from checkout.trainer.flagging import MessageNotFlaggable, flag_message, transcript_reviews
from web.seller import actor, bp, database, settings


@bp.get("/inbox")
def inbox():
    with database().reading() as session:
        waiting = [transcript(session, c.id) for c in open_handoffs(session)]
        held = held_reply_counts(session, [t.conversation for t in waiting if t])
    return render_template("seller/inbox.html", waiting=waiting, held=held)


@bp.get("/conversations/<int:conversation_id>")
def conversation(conversation_id: int):
    with database().reading() as session:
        found = transcript(session, conversation_id)
        if found is None:
            abort(404)
        replies = seller_replies(session, found.conversation)
        reviews = transcript_reviews(session, found.messages)
    return render_template(
        "seller/conversation.html",
        t=found,
        undelivered=[r for r in replies if r.status in (OutboxStatus.HELD, OutboxStatus.FAILED)],
        replies_by_key={r.key: r for r in replies if r.key},
        handed_over=is_handed_over(found.conversation),
        reviews=reviews,
        form_token=secrets.token_urlsafe(16),
    )


@bp.post("/conversations/<int:conversation_id>/reply")
def reply(conversation_id: int):
    try:
        sent = reply_to_shopper(
            database(), conversation_id, request.form.get("text", ""), actor(), request.form.get("form_token", "")
        )
    except ConversationNotFound:
        abort(404)
    except ReplyRefused as exc:
        flash(f"Not sent: {exc}.", "error")
    else:
        flash("Reply sent to the shopper's chat." if sent else "That reply was already sent.")
    return redirect(url_for("seller.conversation", conversation_id=conversation_id))


@bp.post("/messages/<int:message_id>/flag")
def flag(message_id: int):
    """The "Not understood" button on a shopper message: its text goes first in the trainer's inbox."""
    try:
        flagged = flag_message(database(), message_id, actor())
    except MessageNotFlaggable:
        abort(404)
    if flagged.newly:
        flash("Marked as not understood: it is first in the trainer's inbox.")
    elif flagged.state == ReviewState.FLAGGED:
        flash("That text is already marked as not understood.")
    else:
        flash(f"The trainer has already reviewed that text ({flagged.state}).")
    return redirect(
        url_for("seller.conversation", conversation_id=flagged.conversation_id, _anchor=f"m{flagged.message_id}")
    )


@bp.post("/conversations/<int:conversation_id>/release")
def release(conversation_id: int):
    with database().reading() as session:
        found = transcript(session, conversation_id)
    if found is None:
        abort(404)
    s = settings()
    try:
        hand_back_to_assistant(
            database(), AssistantClient(s.rasa_url, s.rasa_api_token), found.conversation.sender_id, actor()
        )
    except AssistantUnavailable:
        flash("The assistant is not reachable, so the conversation stays with you. Try again in a minute.", "error")
        return redirect(url_for("seller.conversation", conversation_id=conversation_id))
    flash("The assistant answers this shopper again.")
    return redirect(url_for("seller.inbox"))
