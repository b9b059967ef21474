"""Customers: the sortable, segment-filtered list and one customer's orders and conversations."""

from __future__ import annotations

from flask import abort, render_template, request

from checkout.customers import detail
from checkout.customers.directory import SORTS, list_customers
from checkout.customers.segments import SEGMENTS
from checkout.errors import CustomerNotFound
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
    sort = request.args.get("sort", "")
    sort = sort if sort in SORTS else "last_seen"
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
    try:
        found = detail.customer_detail(database(), currency, customer_id)
    except CustomerNotFound:
        abort(404)
    return render_template(
        "seller/customer.html",
        row=found.row,
        orders=found.orders,
        conversations=found.conversations,
        codes=found.codes,
        consent=found.consent,
        consent_history=found.consent_history,
        campaigns=found.campaigns,
        segments=SEGMENTS,
        currency=currency,
    )
