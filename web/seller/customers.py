"""Customers: the sortable, segment-filtered list and one customer's orders and conversations."""

from __future__ import annotations

from flask import abort, render_template, request
from sqlalchemy import select

from checkout.customers.directory import SORTS, customer_rows, list_customers
from checkout.customers.segments import SEGMENTS
from checkout.db.models import Order
from checkout.records.transcripts import customer_conversations
from web.seller import bp, database, settings
from web.seller.filters import parse_page

SORT_LABELS = {
    "name": "Name",
    "orders": "Orders",
    "spent": "Spent",
    "last_order": "Last order",
    "last_seen": "Last seen",
}


@bp.get("/customers")
def customers():
    sort = request.args.get("sort") if request.args.get("sort") in SORTS else "last_seen"
    descending = request.args.get("dir", "desc") != "asc"
    segment = request.args.get("segment") if request.args.get("segment") in SEGMENTS else None
    query = (request.args.get("q") or "").strip()[:100]
    currency = settings().shop_currency
    with database().reading() as session:
        page = list_customers(session, currency, sort, descending, segment, query, parse_page(request.args.get("page")))
    return render_template(
        "seller/customers.html",
        page=page,
        sort=sort,
        descending=descending,
        segment=segment,
        segments=SEGMENTS,
        sort_labels=SORT_LABELS,
        q=query,
        currency=currency,
    )


@bp.get("/customers/<int:customer_id>")
def customer_detail(customer_id: int):
    currency = settings().shop_currency
    with database().reading() as session:
        rows = customer_rows(session, currency, customer_id)
        if not rows:
            abort(404)
        orders = list(
            session.scalars(
                select(Order).where(Order.customer_id == customer_id).order_by(Order.created_at.desc(), Order.id.desc())
            )
        )
        conversations = list(reversed(customer_conversations(session, customer_id)))  # newest first
    return render_template(
        "seller/customer.html",
        row=rows[0],
        orders=orders,
        conversations=conversations,
        segments=SEGMENTS,
        currency=currency,
    )
