"""The orders contract (JSON objects and CSV) and the customer export, over orders built with the ORM."""

import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from checkout.customers.export import CSV_COLUMNS as CUSTOMER_COLUMNS
from checkout.customers.export import customers_to_csv, export_customers
from checkout.db.models import Order
from checkout.orders.export import CSV_COLUMNS, find_orders, order_to_dict, orders_to_csv
from tests.integration.orm_builders import add_customer, add_order, at, load_demo_catalog

ORDER_KEYS = [
    "number",
    "status",
    "created_at",
    "channel",
    "sender_id",
    "customer",
    "items",
    "subtotal",
    "discount",
    "delivery",
    "total",
    "currency",
    "payment",
]


@pytest.fixture
def shop(clean_db):
    """The demo catalog and four orders of three customers, created at known moments."""
    load_demo_catalog(clean_db)
    with clean_db.transaction() as session:
        ana = add_customer(
            session,
            "web-ana",
            "Ana Silva",
            phone="+351 912 345 678",
            email="ana@example.com",
            address="Rua Augusta 1, Lisboa",
        )
        ben = add_customer(session, "555001", "Ben", channel="telegram", username="benb")
        add_customer(session, "web-nobody", "Window Shopper")
        add_order(
            session,
            ana,
            "A7K2Q9",
            [("TEE-LOGO-BLK-M", 2)],
            at("2026-11-22 10:15:00.123456"),
            customer_phone="+351 912 345 678",
            customer_address="Rua Augusta 1, Lisboa",
            payments=[{"method": "manual", "status": "pending"}],
        )
        add_order(
            session,
            ana,
            "B8M3R4",
            [("HOOD-HVY-BLK-L", 1), ("CAP-DAD-BEI", 1), ("KEY-LTH-BRN", 3)],
            at("2026-11-20 08:00"),
            status="paid",
            customer_email="ana@example.com",
            payments=[
                {"method": "stripe", "status": "failed", "reference": "cs_1"},
                {"method": "stripe", "status": "succeeded", "url": "https://pay.example/cs_2", "reference": "cs_2"},
            ],
        )
        add_order(session, ben, "C9N4S5", [("STK-PACK", 1)], at("2026-11-21 09:30"), status="fulfilled")
        add_order(session, ben, "D2P5T6", [("MUG-ENM-WHT", 1)], at("2026-11-23 12:00"), status="cancelled")
    return clean_db


def orders_as_dicts(db, **filters) -> list[dict]:
    with db.transaction() as session:
        return [order_to_dict(o) for o in find_orders(session, **filters)]


def test_order_matches_the_contract_exactly(shop):
    first = next(o for o in orders_as_dicts(shop) if o["number"] == "A7K2Q9")
    assert first == {
        "number": "A7K2Q9",
        "status": "awaiting_payment",
        "created_at": "2026-11-22T10:15:00Z",
        "channel": "rest",
        "sender_id": "web-ana",
        "customer": {
            "name": "Ana Silva",
            "phone": "+351 912 345 678",
            "email": None,
            "address": "Rua Augusta 1, Lisboa",
        },
        "items": [
            {
                "sku": "TEE-LOGO-BLK-M",
                "name": "Logo Tee",
                "color": "black",
                "size": "M",
                "quantity": 2,
                "unit_price": "24.90",
                "line_total": "49.80",
            }
        ],
        "subtotal": "49.80",
        "discount": None,
        "delivery": "0.00",
        "total": "49.80",
        "currency": "EUR",
        "payment": {"method": "manual", "status": "pending", "url": None, "reference": None},
    }
    assert list(first) == ORDER_KEYS
    assert list(first["customer"]) == ["name", "phone", "email", "address"]
    assert list(first["items"][0]) == ["sku", "name", "color", "size", "quantity", "unit_price", "line_total"]
    assert list(first["payment"]) == ["method", "status", "url", "reference"]


def test_order_is_json_with_decimal_strings(shop):
    for order in orders_as_dicts(shop):
        assert json.loads(json.dumps(order)) == order
        assert isinstance(order["total"], str)
        for item in order["items"]:
            assert isinstance(item["unit_price"], str) and isinstance(item["quantity"], int)


def test_order_with_several_items_and_the_latest_payment(shop):
    order = next(o for o in orders_as_dicts(shop) if o["number"] == "B8M3R4")
    assert [
        (i["sku"], i["color"], i["size"], i["quantity"], i["unit_price"], i["line_total"]) for i in order["items"]
    ] == [
        ("HOOD-HVY-BLK-L", "black", "L", 1, "59.00", "59.00"),
        ("CAP-DAD-BEI", "beige", None, 1, "22.00", "22.00"),
        ("KEY-LTH-BRN", "brown", None, 3, "6.50", "19.50"),
    ]
    assert order["total"] == "100.50"
    assert order["created_at"] == "2026-11-20T08:00:00Z"
    assert order["payment"] == {
        "method": "stripe",
        "status": "succeeded",
        "url": "https://pay.example/cs_2",
        "reference": "cs_2",
    }


def test_order_without_payment_has_null_payment_fields(shop):
    order = next(o for o in orders_as_dicts(shop) if o["number"] == "C9N4S5")
    assert order["payment"] == {"method": None, "status": None, "url": None, "reference": None}
    assert order["channel"] == "telegram"
    assert order["sender_id"] == "555001"
    assert order["customer"] == {"name": "Ben", "phone": None, "email": None, "address": None}


def test_created_at_is_utc_whatever_zone_it_was_given_in(clean_db):
    load_demo_catalog(clean_db)
    lisbon_summer = timezone(timedelta(hours=1))
    with clean_db.transaction() as session:
        customer = add_customer(session, "tz", "Tz")
        add_order(session, customer, "E3Q6U7", [("STK-PACK", 1)], datetime(2026, 6, 1, 10, 0, tzinfo=lisbon_summer))
    assert orders_as_dicts(clean_db)[0]["created_at"] == "2026-06-01T09:00:00Z"


def test_order_keeps_the_name_and_price_it_was_sold_at(shop):
    from sqlalchemy import update

    from checkout.db.models import Product, Variant

    with shop.transaction() as session:
        session.execute(update(Variant).where(Variant.sku == "TEE-LOGO-BLK-M").values(price_minor=9900))
        session.execute(update(Product).where(Product.name == "Logo Tee").values(name="Renamed Tee"))
    order = next(o for o in orders_as_dicts(shop) if o["number"] == "A7K2Q9")
    assert (order["items"][0]["name"], order["items"][0]["unit_price"], order["total"]) == (
        "Logo Tee",
        "24.90",
        "49.80",
    )


def test_find_orders_newest_first(shop):
    assert [o["number"] for o in orders_as_dicts(shop)] == ["D2P5T6", "A7K2Q9", "C9N4S5", "B8M3R4"]


def test_find_orders_breaks_created_at_ties_newest_row_first(clean_db):
    load_demo_catalog(clean_db)
    with clean_db.transaction() as session:
        customer = add_customer(session, "tie", "Tie")
        for number in ("F4R7V8", "G5S8W9", "H6T9X2"):
            add_order(session, customer, number, [("STK-PACK", 1)], at("2026-11-22 10:00"))
    assert [o["number"] for o in orders_as_dicts(clean_db)] == ["H6T9X2", "G5S8W9", "F4R7V8"]


@pytest.mark.parametrize(
    ("status", "numbers"),
    [("paid", ["B8M3R4"]), ("fulfilled", ["C9N4S5"]), ("awaiting_payment", ["A7K2Q9"]), ("refunded", [])],
)
def test_find_orders_by_status(shop, status, numbers):
    assert [o["number"] for o in orders_as_dicts(shop, status=status)] == numbers


def test_find_orders_since_is_inclusive(shop):
    assert [o["number"] for o in orders_as_dicts(shop, since=at("2026-11-21 09:30"))] == ["D2P5T6", "A7K2Q9", "C9N4S5"]
    assert [o["number"] for o in orders_as_dicts(shop, since=at("2026-11-21 09:30:01"))] == ["D2P5T6", "A7K2Q9"]
    assert orders_as_dicts(shop, since=at("2027-01-01 00:00")) == []


def test_find_orders_since_in_another_zone(shop):
    # 11:00 at UTC+2 is 09:00 UTC: the 09:30 UTC order is after it.
    since = datetime(2026, 11, 21, 11, 0, tzinfo=timezone(timedelta(hours=2)))
    assert [o["number"] for o in orders_as_dicts(shop, since=since)] == ["D2P5T6", "A7K2Q9", "C9N4S5"]


def test_find_orders_until_limit_offset_and_combined_filters(shop):
    assert [o["number"] for o in orders_as_dicts(shop, until=at("2026-11-22 10:15:00.123456"))] == ["C9N4S5", "B8M3R4"]
    assert [o["number"] for o in orders_as_dicts(shop, limit=2, offset=1)] == ["A7K2Q9", "C9N4S5"]
    assert [o["number"] for o in orders_as_dicts(shop, status="paid", since=at("2026-11-21 00:00"))] == []


def test_orders_csv_has_one_row_per_item(shop):
    with shop.transaction() as session:
        text = orders_to_csv(find_orders(session))
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    records = [dict(zip(CSV_COLUMNS, r, strict=True)) for r in rows[1:]]
    assert [r["number"] for r in records] == ["D2P5T6", "A7K2Q9", "C9N4S5", "B8M3R4", "B8M3R4", "B8M3R4"]
    assert [r["sku"] for r in records if r["number"] == "B8M3R4"] == ["HOOD-HVY-BLK-L", "CAP-DAD-BEI", "KEY-LTH-BRN"]
    key_chain = records[-1]
    assert (key_chain["quantity"], key_chain["unit_price"], key_chain["line_total"], key_chain["total"]) == (
        "3",
        "6.50",
        "19.50",
        "100.50",
    )
    assert (key_chain["payment_method"], key_chain["payment_status"]) == ("stripe", "succeeded")
    assert records[0]["created_at"] == "2026-11-23T12:00:00Z"
    assert records[2]["payment_method"] == ""  # no payment yet
    assert records[1]["customer_email"] == ""


def test_orders_csv_of_nothing_is_the_header():
    assert orders_to_csv([]) == ",".join(CSV_COLUMNS) + "\n"


def test_orders_csv_defuses_formulas(clean_db):
    load_demo_catalog(clean_db)
    formula = '=HYPERLINK("http://evil.example","click")'
    with clean_db.transaction() as session:
        customer = add_customer(session, "evil", formula)
        add_order(
            session,
            customer,
            "J7U2Y3",
            [("STK-PACK", 1)],
            at("2026-11-22 10:00"),
            customer_address="@SUM(1+1)",
            names={"STK-PACK": "+cmd|' /C calc'!A0"},
        )
    with clean_db.transaction() as session:
        orders = find_orders(session)
        text = orders_to_csv(orders)
        assert order_to_dict(orders[0])["customer"]["name"] == formula  # JSON keeps what was typed
    record = dict(zip(CSV_COLUMNS, list(csv.reader(io.StringIO(text)))[1], strict=True))
    assert record["customer_name"] == "'" + formula
    assert record["customer_address"] == "'@SUM(1+1)"
    assert record["item_name"] == "'+cmd|' /C calc'!A0"
    assert record["number"] == "J7U2Y3"  # ordinary values untouched


def test_export_customers(shop):
    customers = {c["channel_user_id"]: c for c in export_customers_in(shop)}
    ana, ben, nobody = customers["web-ana"], customers["555001"], customers["web-nobody"]
    # Only paid and fulfilled orders count as spent; every order counts as an order.
    assert (ana["order_count"], ana["total_spent"], ana["last_order_at"]) == (2, "100.50", "2026-11-22T10:15:00Z")
    assert (ben["order_count"], ben["total_spent"], ben["last_order_at"]) == (2, "4.50", "2026-11-23T12:00:00Z")
    assert (nobody["order_count"], nobody["total_spent"], nobody["last_order_at"]) == (0, "0.00", None)
    assert ana["currency"] == "EUR"
    assert (ana["name"], ana["phone"], ana["email"], ben["username"], ben["channel"]) == (
        "Ana Silva",
        "+351 912 345 678",
        "ana@example.com",
        "benb",
        "telegram",
    )
    assert ana["first_seen"].endswith("Z") and ana["last_seen"].endswith("Z")
    assert list(ana) == list(CUSTOMER_COLUMNS)
    assert json.loads(json.dumps(list(customers.values()))) == list(customers.values())


def test_export_customers_counts_spending_in_the_shop_currency(shop):
    with shop.transaction() as session:
        paid_in_usd = session.scalar(select(Order).where(Order.number == "C9N4S5"))
        paid_in_usd.currency = "USD"
    ben = next(c for c in export_customers_in(shop) if c["channel_user_id"] == "555001")
    assert ben["total_spent"] == "0.00"
    assert ben["order_count"] == 2


def test_customers_csv(shop):
    text = customers_to_csv(export_customers_in(shop))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == CUSTOMER_COLUMNS
    ana = next(r for r in rows if r["channel_user_id"] == "web-ana")
    assert (ana["order_count"], ana["total_spent"], ana["marketing_consent"]) == ("2", "100.50", "False")


def export_customers_in(db) -> list[dict]:
    with db.transaction() as session:
        return export_customers(session, "EUR")
