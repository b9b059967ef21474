"""Template filters and names for the dashboard: money and moments as sellers read them, the statuses."""

from __future__ import annotations

from datetime import UTC, datetime

from checkout.money import Money
from checkout.statuses import OrderStatus, OutboxStatus
from web.seller import bp


@bp.app_template_filter("money")
def money(minor: int | None, currency: str) -> str:
    return "" if minor is None else Money(int(minor), currency).display()


@bp.app_template_filter("major")
def major(minor: int, currency: str) -> str:
    """The amount as a seller types it back into a form: '24.90'."""
    return Money(int(minor), currency).major_string()


@bp.app_template_filter("moment")
def moment(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


@bp.app_template_filter("percent")
def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


@bp.app_template_filter("unix_moment")
def unix_moment(seconds: float) -> str:
    return moment(datetime.fromtimestamp(seconds, UTC)) + " UTC"


@bp.app_context_processor
def statuses() -> dict:
    """Templates name the statuses as the code does (`OrderStatus.PAID`), never spell them."""
    return {"OrderStatus": OrderStatus, "OutboxStatus": OutboxStatus}
