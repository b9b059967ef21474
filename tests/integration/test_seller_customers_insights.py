"""Seller dashboard, customers (stats, sorting, RFM segments) and insights (charts, funnel, what the bot
did not understand), on a shop built with the ORM."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import yaml

from checkout.db.models import Message, utcnow
from checkout.insights.conversations import LOW_CONFIDENCE
from tests.integration.dashboard import add_conversation
from tests.integration.orm_builders import add_customer, add_order

CONFIG = Path(__file__).resolve().parents[2] / "config.yml"


def build_history(db) -> dict:
    """Ann: a best customer; Bob: new; Cid: at risk; Dee: lapsed; Eve: never paid."""
    now = utcnow()
    days = lambda n: now - timedelta(days=n)  # noqa: E731
    ids = {}
    with db.transaction() as session:
        for name, orders in {
            "Ann": [(5, "paid", "HOOD-HVY-BLK-M", 3), (20, "fulfilled", "HOOD-HVY-BLK-M", 2)],
            "Bob": [(2, "paid", "CAP-DAD-BEI", 1)],
            "Cid": [(100, "fulfilled", "CAP-DAD-BEI", 1), (120, "paid", "CAP-DAD-BEI", 1)],
            "Dee": [(300, "fulfilled", "CAP-DAD-BEI", 1)],
            "Eve": [(1, "awaiting_payment", "CAP-DAD-BEI", 1), (3, "cancelled", "CAP-DAD-BEI", 4)],
        }.items():
            customer = add_customer(session, f"web-{name}", name, channel="web", last_seen=days(len(name)))
            ids[name] = customer.id
            for i, (age, status, sku, qty) in enumerate(orders):
                add_order(
                    session,
                    customer,
                    f"{name.upper()}{i:03d}",
                    [(sku, qty)],
                    days(age),
                    status=status,
                    paid_at=days(age) if status in ("paid", "fulfilled") else None,
                )
    return ids


def row_of(html: str, name: str) -> str:
    start = html.index(f">{name}</a>")
    return html[start : html.index("</tr>", start)]


def test_customer_list_shows_stats_and_segments(app, seller, shop):
    build_history(app.extensions["database"])
    html = seller.get("/seller/customers?sort=spent").get_data(as_text=True)
    ann = row_of(html, "Ann")
    assert 'seg-best">Best<' in ann and ">2</td>" in ann and "€295.00" in ann
    assert 'seg-new">New<' in row_of(html, "Bob")
    assert 'seg-at_risk">At risk<' in row_of(html, "Cid")
    assert 'seg-lapsed">Lapsed<' in row_of(html, "Dee")
    eve = row_of(html, "Eve")
    assert "seg-" not in eve and ">2</td>" in eve and "€0.00" in eve
    order = [n for _, n in sorted((html.index(f">{n}</a>"), n) for n in ("Ann", "Bob", "Cid", "Dee", "Eve"))]
    assert order == ["Ann", "Cid", "Dee", "Bob", "Eve"]  # by spend, high to low; Dee and Bob tie: newer first


def test_customer_list_sorts_both_ways_and_filters_by_segment(app, seller, shop):
    build_history(app.extensions["database"])
    names = ("Ann", "Bob", "Cid", "Dee", "Eve")
    shown = lambda html: [n for _, n in sorted((html.find(f">{n}</a>"), n) for n in names) if _ >= 0]  # noqa: E731
    assert shown(seller.get("/seller/customers?sort=name&dir=asc").get_data(as_text=True)) == list(names)
    assert shown(seller.get("/seller/customers?sort=name&dir=desc").get_data(as_text=True)) == list(reversed(names))
    assert shown(seller.get("/seller/customers?sort=last_order&dir=desc").get_data(as_text=True))[:2] == ["Eve", "Bob"]
    for segment, expected in {"best": ["Ann"], "new": ["Bob"], "at_risk": ["Cid"], "lapsed": ["Dee"]}.items():
        assert shown(seller.get(f"/seller/customers?segment={segment}").get_data(as_text=True)) == expected
    assert shown(seller.get("/seller/customers?segment=bogus&q=e").get_data(as_text=True)) == ["Eve", "Dee"]


def test_customer_detail_lists_orders_and_conversations(app, seller, shop):
    html = seller.get(f"/seller/customers/{shop['marie']}").get_data(as_text=True)
    assert "Marie Dupont" in html and "A7K2Q9" in html and "+33612345678" in html
    assert f"/seller/conversations/{shop['talk']}" in html and "ordered" in html
    assert seller.get("/seller/customers/999999").status_code == 404


def test_insights_draws_sales_funnel_top_products_and_missed_messages(app, seller, shop):
    db = app.extensions["database"]
    build_history(db)
    now = utcnow()
    with db.transaction() as session:
        shopper = add_customer(session, "web-talker", "Talker", channel="web")
        talk = add_conversation(session, shopper, [("in", "hi")], had_cart=True)
        session.add_all(
            [
                Message(conversation_id=talk.id, direction="in", text=t, intent=i, confidence=c, created_at=now)
                for t, i, c in (("asdf", "nlu_fallback", 0.9), ("hmm", "greet", 0.2), ("hi", "greet", 0.95))
            ]
        )
    html = seller.get("/seller/insights").get_data(as_text=True)
    assert html.count('<svg viewBox="0 0 480 220"') == 7  # with the two promo-code charts
    charts = html.split("<figcaption>")[1:]
    # Paid in the last 30 days / 12 weeks: Ann 177 + 118, Bob 22 (Cid's and Dee's are older).
    for chart in charts[0], charts[2]:
        assert sum(float(v) for v in re.findall(r"<title>[^<]*: €([\d.]+)</title>", chart)) == 317
    # Placed in the last 12 weeks: Ann 2, Bob 1, Eve 2 and the fixture's 2.
    assert sum(int(v) for v in re.findall(r"<title>wk [^<]*: (\d+)</title>", charts[3])) == 7
    assert "Revenue per day, last 30 days" in html and "Orders per week, last 12 weeks" in html
    # Funnel over conversations: the fixture's two, Marie's (cart, order) and the talker's (cart).
    assert re.search(r"Conversations</span>.*?<span class=\"ranked-value\">3 · 100%</span>", html, re.S)
    assert re.search(r"Carts</span>.*?<span class=\"ranked-value\">2 · 67%</span>", html, re.S)
    assert re.search(r"Paid</span>.*?<span class=\"ranked-value\">0 · 0%</span>", html, re.S)
    # Top products: Ann's hoodies (5 × €59) lead.
    assert html.index("Heavyweight Hoodie") < html.index("Dad Cap")
    assert "€295.00 · 5 sold" in html
    # This week: the fixture's 5 shopper messages (2 greets at 0.9, 1 script, 1 img) + 4 here, 2 not understood.
    fixture_in = 4
    assert f"2 of {fixture_in + 4} in the last 12 weeks" in html
    assert re.search(r"<title>wk \d\d \w{3}: 25%</title>", html)


def test_insights_of_an_empty_shop(seller):
    html = seller.get("/seller/insights").get_data(as_text=True)
    assert "No paid orders yet." in html and "0 of 0 in the last 12 weeks" in html


def test_low_confidence_bar_is_the_fallback_classifier_threshold():
    pipeline = yaml.safe_load(CONFIG.read_text())["pipeline"]
    [fallback] = [c for c in pipeline if c["name"] == "FallbackClassifier"]
    assert fallback["threshold"] == LOW_CONFIDENCE
