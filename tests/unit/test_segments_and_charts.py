"""RFM segment rules, day/week buckets and chart geometry: pure functions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from checkout.customers.segments import Purchases, best_spend_threshold, segment
from checkout.insights.periods import bucket_index, days, weeks
from web.seller.charts import bar_chart, nice_max, ranked_rows

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def bought(orders: int, spent: int, first_days_ago: int | None, last_days_ago: int | None) -> Purchases:
    ago = lambda d: None if d is None else NOW - timedelta(days=d)  # noqa: E731
    return Purchases(orders, spent, ago(first_days_ago), ago(last_days_ago))


@pytest.mark.parametrize(
    "purchases, expected",
    [
        (bought(0, 0, None, None), None),
        (bought(1, 5000, 3, 3), "new"),
        (bought(1, 5000, 40, 40), None),  # one order, a while ago, not yet at risk
        (bought(3, 30000, 200, 10), "best"),
        (bought(3, 1000, 200, 10), None),  # frequent but small: not best
        (bought(3, 30000, 300, 90), "at_risk"),  # a best customer drifting away is at risk first
        (bought(1, 5000, 181, 181), "lapsed"),
        (bought(5, 90000, 400, 200), "lapsed"),
    ],
)
def test_segments(purchases, expected):
    assert segment(purchases, NOW, best_threshold=20000) == expected


def test_best_threshold_is_the_top_fifth_of_paying_customers():
    assert best_spend_threshold([0, 0]) == 0
    assert best_spend_threshold([100]) == 100
    assert best_spend_threshold([0] + list(range(100, 1100, 100))) == 900  # top 2 of 10


def test_day_and_week_buckets_end_with_today_and_weeks_start_on_monday():
    d = days(date(2026, 11, 22), 30)
    assert len(d) == 30 and d[-1].label == "22 Nov" and d[0].label == "24 Oct"
    w = weeks(date(2026, 11, 22), 12)  # a Sunday
    assert w[-1].start == datetime(2026, 11, 16, tzinfo=UTC) and w[-1].end == datetime(2026, 11, 23, tzinfo=UTC)
    assert all(b.start.weekday() == 0 for b in w)
    assert bucket_index(w, datetime(2026, 11, 22, 23, 59, tzinfo=UTC)) == 11
    assert bucket_index(w, datetime(2026, 8, 1, tzinfo=UTC)) is None


@pytest.mark.parametrize("value, top", [(0, 1), (0.3, 0.5), (1, 1), (7, 10), (12, 20), (450, 500), (5001, 10000)])
def test_axis_top_is_a_round_number_at_or_above_the_maximum(value, top):
    assert nice_max(value) == top


def test_bar_heights_are_proportional_and_labels_thinned():
    chart = bar_chart("Orders", [f"d{i}" for i in range(30)], [0] * 28 + [5, 10], str)
    assert chart.bars[-1].height == 2 * chart.bars[-2].height > 0
    assert chart.bars[0].height == 0 and chart.bars[-1].y + chart.bars[-1].height == chart.baseline
    assert len(chart.x_labels) <= 5 and chart.x_labels[-1][1] == "d29" and chart.ticks[-1].text == "10"


def test_line_chart_skips_weeks_without_data():
    chart = bar_chart("Missed", ["a", "b", "c"], [0.5, None, 0.25], lambda v: f"{v:.0%}", line=True)
    assert len(chart.points.split()) == 2 and chart.bars[1].value == "no data"


def test_ranked_rows_are_relative_to_the_largest():
    rows = ranked_rows([("a", 50, "€50"), ("b", 100, "€100"), ("c", 0, "€0")])
    assert [r.share for r in rows] == [0.5, 1.0, 0.0]
