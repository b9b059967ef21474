"""Insights: sales per day and per week, promo codes per week, top products, best customers, the funnel, what the
bot missed."""

from __future__ import annotations

from flask import render_template

from checkout.customers.directory import customer_rows
from checkout.db.models import utcnow
from checkout.insights import periods
from checkout.insights.conversations import LOW_CONFIDENCE, funnel, understanding
from checkout.insights.promotions import code_series
from checkout.insights.sales import sales_series, top_products
from checkout.money import Money
from web.seller import bp, database, settings
from web.seller.charts import bar_chart, ranked_rows

DAYS, WEEKS = 30, 12


@bp.get("/insights")
def insights():
    currency = settings().shop_currency
    today = utcnow().date()
    day_buckets, week_buckets = periods.days(today, DAYS), periods.weeks(today, WEEKS)
    since = day_buckets[0].start
    with database().reading() as session:
        daily = sales_series(session, day_buckets, currency)
        weekly = sales_series(session, week_buckets, currency)
        products = top_products(session, week_buckets[0].start, currency)
        best = customer_rows(session, currency, top_spenders=8)
        steps = funnel(session, since).steps()
        missed = understanding(session, week_buckets)
        with_codes = code_series(session, week_buckets, currency)
    money = lambda minor: Money(int(minor), currency).display()  # noqa: E731
    count = lambda n: f"{n:.0f}"  # noqa: E731
    labels = lambda buckets: [b.label for b in buckets]  # noqa: E731
    charts = {
        "revenue_daily": bar_chart(
            f"Revenue per day, last {DAYS} days", labels(day_buckets), daily.revenue_minor, money
        ),
        "orders_daily": bar_chart(f"Orders per day, last {DAYS} days", labels(day_buckets), daily.orders, count),
        "revenue_weekly": bar_chart(
            f"Revenue per week, last {WEEKS} weeks", labels(week_buckets), weekly.revenue_minor, money
        ),
        "orders_weekly": bar_chart(f"Orders per week, last {WEEKS} weeks", labels(week_buckets), weekly.orders, count),
        "code_discount_weekly": bar_chart(
            "Discount given with promo codes per week", labels(week_buckets), with_codes.discount_minor, money
        ),
        "code_revenue_weekly": bar_chart(
            "Revenue of orders with promo codes per week", labels(week_buckets), with_codes.revenue_minor, money
        ),
        "missed_weekly": bar_chart(
            "Messages not understood, share per week",
            labels(week_buckets),
            missed.shares,
            lambda v: f"{v * 100:.0f}%",
            line=True,
        ),
    }
    return render_template(
        "seller/insights.html",
        charts=charts,
        currency=currency,
        threshold=LOW_CONFIDENCE,
        missed=missed,
        with_codes=with_codes,
        products=ranked_rows(
            [(p.name, p.revenue_minor, f"{money(p.revenue_minor)} · {p.quantity} sold") for p in products]
        ),
        best=[
            (r, row)
            for r, row in zip(
                best,
                ranked_rows(
                    [
                        (r.customer.name or f"Customer {r.customer.id}", r.spent_minor, money(r.spent_minor))
                        for r in best
                    ]
                ),
                strict=True,
            )
            if r.spent_minor > 0
        ],
        funnel=ranked_rows(
            [(name, n, f"{n}" + (f" · {n / steps[0][1] * 100:.0f}%" if steps[0][1] else "")) for name, n in steps]
        ),
        since=since,
        weeks=WEEKS,
        period_days=DAYS,
        top_since=week_buckets[0].start,
    )
