"""The trainer's review inbox: shopper messages worth a look, and annotating one (an example for training or for
the held-out test data, or ignored).

Annotations write into a Rasa project's files: `app.config["REVIEW_FILES"]` (a checkout.trainer.review_files
.ReviewFiles) when set, which tests point at a copy of the project; otherwise the project the app runs from.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from checkout.trainer.annotation import AnnotationRefused, Refusal, annotate, ignore
from checkout.trainer.reasons import FALLBACK_INTENT
from checkout.trainer.registry import list_models
from checkout.trainer.review import review_queue
from checkout.trainer.review_files import ReviewFiles
from checkout.trainer.review_item import review_channels, review_item
from web.seller import actor, bp, database, settings
from web.seller.training_filters import review_filters

INBOX_ROWS = 50
# Refusals that mean there is nothing here to annotate: the page does not exist, rather than a form error.
NOT_FOUND = (Refusal.UNKNOWN_MESSAGE, Refusal.NOT_SHOPPER_MESSAGE)


def review_files() -> ReviewFiles:
    return current_app.config.get("REVIEW_FILES") or ReviewFiles()


@bp.get("/training")
def training():
    intents = review_files().intents()
    filters, problems = review_filters(request.args, [*intents, FALLBACK_INTENT])
    for problem in problems:
        flash(problem, "error")
    with database().reading() as session:
        rows = review_queue(
            session,
            settings(),
            intent=filters.intent,
            model_id=filters.model,
            since=filters.since_moment,
            until=filters.until_moment,
            channel=filters.channel,
            limit=INBOX_ROWS,
        )
        channels = review_channels(session)
        registered = [m.model_id for m in list_models(session)]
    # The registry's models, and those of the rows shown (messages parsed before the registry kept models).
    models = list(dict.fromkeys([*registered, *(r.model_id for r in rows if r.model_id), filters.model or ""]))
    return render_template(
        "seller/training.html",
        rows=rows,
        filters=filters,
        intents=[*intents, FALLBACK_INTENT],
        channels=channels,
        models=[m for m in models if m],
        inbox_url=request.full_path.rstrip("?"),
    )


@bp.get("/training/messages/<int:message_id>")
def training_message(message_id: int):
    return message_page(message_id)


def message_page(message_id: int, refusal: AnnotationRefused | None = None, status: int = 200):
    """The annotation form; after a refusal, with what the trainer entered and why it was refused."""
    files = review_files()
    with database().reading() as session:
        item = review_item(session, message_id, files.entities())
    if item is None:
        abort(404)
    intents = files.intents()
    chosen = request.form.get("intent") or item.reviewed_intent or item.intent
    page = render_template(
        "seller/training_message.html",
        item=item,
        intents=intents,
        entities=files.entities(),
        chosen=chosen if chosen in intents else None,
        markup=request.form.get("markup", item.markup),
        refusal=refusal,
        Refusal=Refusal,
        back=back_to_inbox(),
    )
    return page, status


@bp.post("/training/messages/<int:message_id>/annotate")
def training_annotate(message_id: int):
    files = review_files()
    test = request.form.get("to") == "test"
    try:
        result = annotate(
            database(),
            files,
            message_id,
            request.form.get("intent", ""),
            markup=request.form.get("markup"),
            test=test,
            actor=actor(),
        )
    except AnnotationRefused as exc:
        if exc.reason in NOT_FOUND:
            abort(404)
        return message_page(message_id, exc, 422)
    where = files.relative(result.path)
    if result.added:
        flash(f"Added to {where} as {result.intent}: {result.example}")
    else:
        flash(f"Already in {where} as {result.intent}; marked as reviewed.")
    return redirect(back_to_inbox())


@bp.post("/training/messages/<int:message_id>/ignore")
def training_ignore(message_id: int):
    try:
        ignore(database(), message_id, actor())
    except AnnotationRefused as exc:
        if exc.reason in NOT_FOUND:
            abort(404)
        flash(f"Not ignored: {exc.details}.", "error")
        return redirect(url_for("seller.training_message", message_id=message_id, back=back_to_inbox()))
    flash("Ignored: the text left the inbox.")
    return redirect(back_to_inbox())


def back_to_inbox() -> str:
    """The inbox with the filters the trainer came from (only ever an inbox address: it is a redirect target)."""
    target = request.values.get("back", "")
    inbox = url_for("seller.training")
    if target == inbox or target.startswith(inbox + "?"):
        return target
    return inbox
