"""JSON API for sellers' other tools: the same objects as the CLI exports, bearer-token authenticated.

Lists answer with a JSON array (exactly the CLI export's objects) and paginate with `page` / `per_page`;
the total is in `X-Total-Count` and the next page in a `Link: <...>; rel="next"` header.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, jsonify, request, url_for

from checkout.access.api_tokens import authenticate
from checkout.customers.export import count_customers, customer_exists, export_customers
from checkout.db.models import ORDER_STATUSES
from checkout.orders.export import count_orders, find_order, find_orders, order_to_dict, parse_utc
from checkout.records.transcripts import count_customer_messages, customer_messages, message_to_dict

bp = Blueprint("api", __name__, url_prefix="/api")
DEFAULT_PER_PAGE, MAX_PER_PAGE = 50, 200


class BadRequest(Exception):
    pass


def _error(status: int, message: str):
    response = jsonify({"error": message})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="shop"'
    return response


@bp.errorhandler(BadRequest)
def bad_request(exc):
    return _error(400, str(exc))


@bp.before_request
def require_token():
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    bearer = presented.strip() if scheme.lower() == "bearer" else None
    token_id = authenticate(current_app.extensions["database"], bearer)
    if token_id is None:
        return _error(401, "a valid API token is required: Authorization: Bearer <token> (shop api-token create)")
    g.api_token_id = token_id
    return None


@bp.after_request
def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise BadRequest(f"{name} must be a whole number from {low} to {high}")
    return int(raw)


def _page(items: list, total: int, page: int, per_page: int):
    response = jsonify(items)
    response.headers["X-Total-Count"] = str(total)
    if page * per_page < total:
        args: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict(), "page": page + 1}
        args["per_page"] = per_page
        response.headers["Link"] = f'<{url_for(str(request.endpoint), **args)}>; rel="next"'
    return response


def _paging() -> tuple[int, int]:
    return _int_arg("page", 1, 1, 1_000_000), _int_arg("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)


def _moment(name: str):
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return parse_utc(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a date like 2026-11-01 or 2026-11-01T09:00") from None


@bp.get("/orders")
def orders():
    status = request.args.get("status") or None
    if status is not None and status not in ORDER_STATUSES:
        raise BadRequest("status must be one of " + ", ".join(ORDER_STATUSES))
    since, until = _moment("since"), _moment("until")
    page, per_page = _paging()
    with current_app.extensions["database"].reading() as session:
        total = count_orders(session, status, since, until)
        found = find_orders(session, status, since, until, limit=per_page, offset=(page - 1) * per_page)
        return _page([order_to_dict(o) for o in found], total, page, per_page)


@bp.get("/orders/<number>")
def order(number: str):
    with current_app.extensions["database"].reading() as session:
        found = find_order(session, number)
        return jsonify(order_to_dict(found)) if found else _error(404, "no order with that number")


@bp.get("/customers")
def customers():
    page, per_page = _paging()
    currency = current_app.config["SETTINGS"].shop_currency
    with current_app.extensions["database"].reading() as session:
        total = count_customers(session)
        found = export_customers(session, currency, limit=per_page, offset=(page - 1) * per_page)
    return _page(found, total, page, per_page)


@bp.get("/customers/<int:customer_id>")
def customer(customer_id: int):
    currency = current_app.config["SETTINGS"].shop_currency
    with current_app.extensions["database"].reading() as session:
        found = export_customers(session, currency, customer_id=customer_id)
    return jsonify(found[0]) if found else _error(404, "no customer with that id")


@bp.get("/customers/<int:customer_id>/messages")
def messages(customer_id: int):
    page, per_page = _paging()
    with current_app.extensions["database"].reading() as session:
        if not customer_exists(session, customer_id):
            return _error(404, "no customer with that id")
        total = count_customer_messages(session, customer_id)
        found = customer_messages(session, customer_id, limit=per_page, offset=(page - 1) * per_page)
        return _page([message_to_dict(m) for m in found], total, page, per_page)
