"""Seller dashboard, promotions: the codes with their figures; create, batch (a CSV download), change, disable,
each audit-logged as the seller and refused whole on bad input; the codes a customer used on their page and in
their export; discount given and revenue with codes per week on the insights page."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from checkout.carts import add_to_cart
from checkout.customers.identity import ShopperIdentity, identify
from checkout.customers.privacy import export_customer
from checkout.db.models import AuditLog, Customer, PromoCode, Variant, utcnow
from checkout.insights.periods import weeks
from checkout.orders.placement import place_order
from checkout.orders.seller_actions import mark_paid
from checkout.promotions.admin import PromoSpec, create_code
from checkout.promotions.cart_codes import apply_code_to_cart
from checkout.promotions.kinds import PromoKind
from checkout.promotions.report import list_codes
from tests.integration.dashboard import EMAIL, XSS, csrf_token, log_in, post_form
from tests.integration.races import DETAILS

ANA = ShopperIdentity("rest", "web-ana", "web-ana")
SELLER = f"seller:{EMAIL}"
PAGE = "/seller/promotions"


def db_of(app):
    return app.extensions["database"]


def percent_code(db, code: str = "XMAS10", percent: str = "10") -> None:
    create_code(db, code, PromoSpec(PromoKind.PERCENT, percent, "EUR"), actor="cli")


def paid_order_with_code(app, code: str) -> tuple[int, str]:
    """Ana buys two tees (2 x 24.90) with `code`, and the seller marks the order paid: (customer id, number)."""
    db = db_of(app)
    with db.transaction() as session:
        customer = identify(session, ANA)
        add_to_cart(session, customer, session.scalar(select(Variant).where(Variant.sku == "TEE-LOGO-BLK-M")), 2)
        customer_id = customer.id
    assert apply_code_to_cart(db, app.config["SETTINGS"], ANA, code).refused is None
    with db.transaction() as session:
        number = place_order(session, session.get(Customer, customer_id), None, DETAILS, "EUR").number
    mark_paid(db, number, "test")
    return customer_id, number


def audit(app, action: str) -> list[tuple[str, str]]:
    with db_of(app).reading() as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))
        return [(a.actor, a.entity_id) for a in rows]


def codes(app) -> dict[str, dict]:
    with db_of(app).reading() as session:
        return {c["code"]: c for c in list_codes(session)}


def test_the_page_lists_codes_with_their_figures(app, seller, shop):
    percent_code(db_of(app))
    paid_order_with_code(app, "xmas10")
    html = seller.get(PAGE).get_data(as_text=True)
    assert 'href="/seller/promotions" aria-current="page"' in html
    assert "<code>XMAS10</code>" in html and "10% off" in html and "1 / ∞" in html
    assert "€4.98" in html and "€44.82" in html  # 10% of 49.80 given; 44.82 paid


def test_create_a_code_with_every_term_is_audited_as_the_seller(app, seller, shop):
    form = {
        "code": "ship",
        "kind": "free_delivery",
        "value": "",
        "min_order": "40",
        "starts": "2026-12-01",
        "ends": "2026-12-24",
        "max_uses": "100",
        "once_per_customer": "on",
        "segments": ["best", "new"],
        "customer_ids": f"{shop['marie']}, 9",
    }
    assert post_form(seller, PAGE, form).headers["Location"] == PAGE
    created = codes(app)["SHIP"]
    assert (created["kind"], created["value"], created["min_order"], created["max_uses"]) == (
        "free_delivery",
        None,
        "40.00",
        100,
    )
    assert (created["starts_at"], created["ends_at"]) == ("2026-12-01T00:00:00Z", "2026-12-25T00:00:00Z")
    assert created["once_per_customer"] and created["segments"] == ["best", "new"]
    assert created["customer_ids"] == [shop["marie"], 9]
    assert audit(app, "promo.create") == [(SELLER, "SHIP")]
    html = seller.get(PAGE).get_data(as_text=True)
    assert "SHIP created." in html and "free delivery" in html and "for best, new, " in html


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"code": "50%OFF"}, "is not a code"),
        ({"code": XSS}, "is not a code"),
        ({"code": "xmas10"}, "the code XMAS10 already exists"),
        ({"value": "150"}, "a percent off is a whole number from 1 to 100"),
        ({"kind": "amount", "value": "-5"}, "is not an amount like 5.00"),
        ({"kind": "amount", "value": "0"}, "an amount off must be more than 0"),
        ({"starts": "2026-12-24", "ends": "2026-12-01"}, "the end is not after the start"),
        ({"ends": "24/12/2026"}, "is not a date"),
        ({"max_uses": "0"}, "the use limit must be at least 1"),
        ({"max_uses": "many"}, "is not a whole number"),
        ({"customer_ids": XSS}, "is not a customer id"),
        ({"segments": ["vip"]}, "unknown segment(s) vip"),
        ({"kind": "bogus"}, "choose what the code does"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(app, seller, shop, changes, message):
    percent_code(db_of(app))
    before = codes(app)
    form = {"code": "NEW10", "kind": "percent", "value": "10", **changes}
    post_form(seller, PAGE, form)
    html = seller.get(PAGE).get_data(as_text=True)
    assert "Nothing created:" in html
    assert message.replace("'", "&#39;") in html or message in html
    assert codes(app) == before and audit(app, "promo.create") == [("cli", "XMAS10")]
    assert "<script>alert(1)</script>" not in html


def test_a_batch_downloads_its_codes_and_shows_as_one_row(app, seller, shop):
    form = {"prefix": "back", "count": "25", "kind": "amount", "value": "5", "max_uses": "1"}
    response = post_form(seller, f"{PAGE}/batch", form)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="BACK-codes.csv"' in response.headers["Content-Disposition"]
    made = [row["code"] for row in csv.DictReader(io.StringIO(response.get_data(as_text=True)))]
    assert len(set(made)) == 25 and all(c.startswith("BACK-") and len(c) == 11 for c in made)
    assert sorted(codes(app)) == sorted(made)
    assert audit(app, "promo.batch") == [(SELLER, "BACK")]
    html = seller.get(PAGE).get_data(as_text=True)
    assert "25 codes BACK-" in html and "<code>BACK-…</code>" in html and "25 (25)" in html
    assert made[-1] not in html  # a batch is one row, not one per code
    with db_of(app).reading() as session:
        promotion_id = session.scalar(select(PromoCode.promotion_id))
    download = seller.get(f"{PAGE}/batches/{promotion_id}/codes.csv")
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert sorted(r["code"] for r in rows) == sorted(made) and {r["max_uses"] for r in rows} == {"1"}
    assert seller.get(f"{PAGE}/batches/{promotion_id + 1}/codes.csv").status_code == 404


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"count": "0"}, "the count must be from 1 to"), ({"count": "ten"}, "is not a whole number"),
     ({"prefix": "<b>"}, "is not a code prefix"), ({"value": "101"}, "a percent off is a whole number")],
)  # fmt: skip
def test_a_bad_batch_is_refused_and_changes_nothing(app, seller, shop, changes, message):
    form = {"prefix": "back", "count": "3", "kind": "percent", "value": "15", **changes}
    assert post_form(seller, f"{PAGE}/batch", form).headers["Location"] == PAGE
    html = seller.get(PAGE).get_data(as_text=True)
    assert "Nothing created:" in html and message in html
    assert codes(app) == {} and audit(app, "promo.batch") == []


def test_change_the_end_and_the_limit(app, seller, shop):
    percent_code(db_of(app))
    post_form(seller, f"{PAGE}/change", {"code": "xmas10", "ends": "2027-01-31", "max_uses": "5"})
    changed = codes(app)["XMAS10"]
    assert (changed["ends_at"], changed["max_uses"]) == ("2027-02-01T00:00:00Z", 5)
    post_form(seller, f"{PAGE}/change", {"code": "XMAS10", "max_uses": "7"})
    assert (codes(app)["XMAS10"]["ends_at"], codes(app)["XMAS10"]["max_uses"]) == ("2027-02-01T00:00:00Z", 7)
    assert audit(app, "promo.change") == [(SELLER, "XMAS10"), (SELLER, "XMAS10")]
    for bad, message in [
        ({}, "give a new end or a new use limit"),
        ({"max_uses": "0"}, "the use limit must be at least 1"),
        ({"ends": "soon"}, "is not a date"),
    ]:
        post_form(seller, f"{PAGE}/change", {"code": "XMAS10", **bad})
        assert message in seller.get(PAGE).get_data(as_text=True)
    post_form(seller, f"{PAGE}/change", {"code": "NOPE1", "max_uses": "3"})
    assert "no promo code" in seller.get(PAGE).get_data(as_text=True)
    assert codes(app)["XMAS10"]["max_uses"] == 7 and len(audit(app, "promo.change")) == 2


def test_disable(app, seller, shop):
    percent_code(db_of(app))
    post_form(seller, f"{PAGE}/disable", {"code": "xmas10"})
    assert codes(app)["XMAS10"]["active"] is False
    assert audit(app, "promo.disable") == [(SELLER, "XMAS10")]
    html = seller.get(PAGE).get_data(as_text=True)
    assert "XMAS10 is disabled" in html and '<span class="badge">disabled</span>' in html


def test_forms_need_the_csrf_token_and_pages_a_login(app, seller, shop):
    form = {"code": "NEW10", "kind": "percent", "value": "10"}
    assert seller.post(PAGE, data=form).status_code == 400
    assert seller.post(f"{PAGE}/batch", data={**form, "prefix": "X", "count": "2"}).status_code == 400
    anonymous = app.test_client()
    assert anonymous.get(PAGE).headers["Location"].startswith("/seller/login")
    response = anonymous.post(PAGE, data={**form, "csrf_token": csrf_token(anonymous)})
    assert response.status_code == 302 and response.headers["Location"].startswith("/seller/login")
    assert anonymous.get(f"{PAGE}/batches/1/codes.csv").headers["Location"].startswith("/seller/login")
    assert codes(app) == {}
    assert log_in(anonymous).status_code == 302  # the same client, logged in, may
    assert post_form(anonymous, PAGE, form).headers["Location"] == PAGE and "NEW10" in codes(app)


def test_the_customer_page_and_export_show_the_codes_used(app, seller, shop):
    percent_code(db_of(app))
    customer_id, number = paid_order_with_code(app, "XMAS10")
    html = seller.get(f"/seller/customers/{customer_id}").get_data(as_text=True)
    assert "Promo codes used" in html and "<code>XMAS10</code>" in html and f">{number}</a>" in html
    assert "€4.98" in html
    assert "No promo codes used." in seller.get(f"/seller/customers/{shop['marie']}").get_data(as_text=True)
    with db_of(app).reading() as session:
        data = export_customer(session, customer_id, "EUR")
        marie = export_customer(session, shop["marie"], "EUR")
    assert data is not None and marie is not None
    used = data["discount_codes"]
    assert [(u["code"], u["order"], u["discount_given"], u["use_given_back"]) for u in used] == [
        ("XMAS10", number, "4.98", False)
    ]
    assert {"customer", "cart", "orders", "conversations", "messages"} <= data.keys()
    assert marie["discount_codes"] == []


def test_insights_show_discount_and_revenue_with_codes_per_week(app, seller, shop):
    percent_code(db_of(app))
    paid_order_with_code(app, "XMAS10")
    html = seller.get("/seller/insights").get_data(as_text=True)
    this_week = weeks(utcnow().date(), 1)[0].label
    assert "Discount given with promo codes per week" in html and "Revenue of orders with promo codes per week" in html
    assert f"{this_week}: €4.98" in html and f"{this_week}: €44.82" in html  # the bars' titles
    table = html[html.index('aria-label="Promo codes per week"') :]
    assert this_week in table and "€4.98" in table and "€44.82" in table
    with db_of(app).reading() as session:
        assert session.scalar(select(func.count(PromoCode.id))) == 1
