"""Reading the dashboard's query strings: bad values are named back to the seller and ignored."""

from __future__ import annotations

from datetime import date

from checkout.db.models import ORDER_STATUSES
from checkout.orders.search import OrderFilters


def parse_day(text: str | None, field: str, problems: list[str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(f"{field} {text!r} is not a date like 2026-11-22; it was ignored.")
        return None


def day_range(args, problems: list[str]) -> tuple[date | None, date | None]:
    """The "from" and "to" days of a filter form, swapped (and said so) when given the wrong way round."""
    since = parse_day(args.get("from"), "From", problems)
    until = parse_day(args.get("to"), "To", problems)
    if since and until and since > until:
        problems.append("From is after To; the dates were swapped.")
        since, until = until, since
    return since, until


def parse_page(text: str | None) -> int:
    try:
        return max(1, int(text or 1))
    except ValueError:
        return 1


def order_filters(args) -> tuple[OrderFilters, list[str]]:
    problems: list[str] = []
    status = args.get("status") or None
    if status and status not in ORDER_STATUSES:
        problems.append(f"There is no order status {status!r}; showing every status.")
        status = None
    since, until = day_range(args, problems)
    query = (args.get("q") or "").strip()[:100] or None
    channel = (args.get("channel") or "").strip()[:32] or None
    return OrderFilters(status=status, channel=channel, since=since, until=until, query=query), problems


def filter_args(filters: OrderFilters) -> dict:
    """The filters as query-string arguments, for pagination and export links."""
    values = {
        "status": filters.status,
        "channel": filters.channel,
        "q": filters.query,
        "from": filters.since.isoformat() if filters.since else None,
        "to": filters.until.isoformat() if filters.until else None,
    }
    return {k: v for k, v in values.items() if v}
