"""Orders: the list, the detail page with its conversation, the seller's actions, the CSV export."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for

from checkout.db.models import ORDER_STATUSES
from checkout.errors import CheckoutError
from checkout.orders import detail as orders_detail
from checkout.orders import seller_actions
from checkout.orders.cancellation import cancel_order
from checkout.orders.export import orders_to_csv
from checkout.orders.proofs import VIEWABLE_TYPES, order_proof
from checkout.orders.search import all_matching, known_channels, search_orders
from checkout.orders.seller_actions import OrderNotFound
from web.seller import actor, bp, database, settings
from web.seller.filters import filter_args, order_filters, parse_page

# The seller's status changes besides cancelling: the service, the form field it takes, the flash message.
ACTIONS = {
    "paid": (seller_actions.mark_paid, "reference", "Order {} is marked paid."),
    "fulfilled": (seller_actions.mark_fulfilled, "note", "Order {} is marked fulfilled."),
}


@bp.get("/orders")
def orders():
    filters, problems = order_filters(request.args)
    for problem in problems:
        flash(problem, "error")
    with database().reading() as session:
        page = search_orders(session, filters, parse_page(request.args.get("page")))
        channels = known_channels(session)
    return render_template(
        "seller/orders.html",
        page=page,
        filters=filters,
        args=filter_args(filters),
        statuses=ORDER_STATUSES,
        channels=channels,
    )


@bp.get("/orders/export.csv")
def orders_export():
    filters, problems = order_filters(request.args)
    if problems:
        flash(" ".join(problems), "error")
        args: dict[str, Any] = request.args.to_dict()
        return redirect(url_for("seller.orders", **args))
    with database().reading() as session:
        body = orders_to_csv(all_matching(session, filters))
    name = "orders" + "".join(f"-{v}" for v in (filters.since, filters.until, filters.status) if v)
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@bp.get("/orders/<number>")
def order_detail(number: str):
    try:
        detail = orders_detail.order_detail(database(), number)
    except OrderNotFound:
        abort(404)
    return render_template(
        "seller/order.html",
        order=detail.order,
        transcripts=detail.transcripts,
        proofs=detail.proofs,
        history=detail.history,
        messages=detail.messages,
        refund=detail.refund,
        viewable_types=VIEWABLE_TYPES,
    )


@bp.get("/orders/<number>/proofs/<int:proof_id>")
def order_proof_file(number: str, proof_id: int):
    """A proof of payment as the shopper sent it. Shopper-supplied bytes: shown inline only for image and
    PDF types, sandboxed and never sniffed into something else; any other type is a download."""
    with database().reading() as session:
        proof = order_proof(session, number, proof_id)
        if proof is None:
            abort(404)
        content, mime_type = proof.content, proof.mime_type
    viewable = mime_type in VIEWABLE_TYPES
    disposition = "inline" if viewable else f'attachment; filename="proof-{proof_id}"'
    return Response(
        content,
        mimetype=mime_type if viewable else "application/octet-stream",
        headers={
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; img-src 'self'; sandbox",
            "Cache-Control": "private, no-store",
        },
    )


@bp.post("/orders/<number>/<action>")
def order_action(number: str, action: str):
    if action != "cancel" and action not in ACTIONS:
        abort(404)
    try:
        if action == "cancel":
            cancelled = cancel_order(database(), settings(), number, actor())
            number, done = cancelled.number, "Order {} is cancelled; its stock is back."
            if not cancelled.links_closed:
                flash(
                    "The order is cancelled, but its card payment link could not be closed at Stripe just now; "
                    "a payment through it would be flagged for you.",
                    "error",
                )
        else:
            mark, field, done = ACTIONS[action]
            number = mark(database(), number, actor(), request.form.get(field))
    except OrderNotFound:
        abort(404)
    except CheckoutError as exc:  # e.g. someone else changed it a moment ago
        flash(f"Nothing changed: {exc}.", "error")
    else:
        flash(done.format(number) + " The shopper is told in their chat.")
    return redirect(url_for("seller.order_detail", number=number.upper()))
