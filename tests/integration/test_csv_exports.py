"""Every CSV we export opens in a spreadsheet without running anything, whatever separator the spreadsheet's locale
cuts lines at: a formula character wherever a cell could start is neutralised, not only in a cell's first place."""

from __future__ import annotations

import csv
import io

from checkout.catalog.csv_format import COLUMNS, parse_catalog, write_catalog
from checkout.customers.export import customers_to_csv, export_customers
from checkout.orders.export import find_orders, order_to_dict, orders_to_csv
from checkout.promotions.report import CSV_COLUMNS as CODE_COLUMNS
from checkout.promotions.report import codes_to_csv, new_codes_csv
from tests.integration.orm_builders import add_customer, add_order, at, load_demo_catalog

# What a shopper (or a seller) may type, each cutting somewhere else in some spreadsheet.
TYPED = [
    "12 rue X;=2+3",
    'Flat 2,=HYPERLINK("http://evil.example","click")',
    "Bâtiment B\t@SUM(1+1)",
    "line one\n+cmd|' /C calc'!A0",
    '3 rue Y; "=1+1"',
    "=1+1",
]
SEPARATORS = (",", ";", "\t")


def formula_cells(text: str) -> list[tuple[str, str]]:
    """The cells a spreadsheet cutting lines at each separator would run as formulas."""
    found = []
    for separator in SEPARATORS:
        for row in csv.reader(io.StringIO(text), delimiter=separator):
            found += [(separator, cell) for cell in row if cell.lstrip(' "\t\r\n')[:1] in ("=", "+", "-", "@")]
    return found


def test_orders_and_customers_exports(clean_db):
    load_demo_catalog(clean_db)
    with clean_db.transaction() as session:
        for i, typed in enumerate(TYPED):
            customer = add_customer(session, f"evil-{i}", typed, phone="06 12 34 56 78", email=typed, address=typed)
            add_order(
                session,
                customer,
                f"J7U2Y{i}",
                [("STK-PACK", 1)],
                at("2026-11-22 10:00"),
                customer_name=typed,
                customer_address=typed,
                names={"STK-PACK": typed},
            )
    with clean_db.transaction() as session:
        orders = find_orders(session)
        orders_csv = orders_to_csv(orders)
        customers_csv = customers_to_csv(export_customers(session, "EUR"))
        assert {order_to_dict(o)["customer"]["address"] for o in orders} == set(TYPED)  # JSON keeps what was typed
    for text in (orders_csv, customers_csv):
        assert formula_cells(text) == []
    rows = list(csv.DictReader(io.StringIO(orders_csv)))
    assert {r["customer_address"] for r in rows} >= {"12 rue X;'=2+3", "'=1+1"}
    assert {r["number"] for r in rows} == {f"J7U2Y{i}" for i in range(len(TYPED))}  # ordinary cells untouched


def test_promo_code_exports():
    codes = [{column: "" for column in CODE_COLUMNS} | {"code": "-SALE-ABC123", "segments": TYPED}]
    assert formula_cells(codes_to_csv(codes)) == []
    assert formula_cells(new_codes_csv(["-SALE-ABC123", "-SALE-XYZ789"])) == []


def test_the_catalog_export_is_safe_and_imports_back_as_it_was():
    rows = [
        dict(zip(COLUMNS, [f"-TEE-{i}", f"=Tee {i}", "24.90", "EUR", "5", "t;=1", text, "", "", ""], strict=True))
        for i, text in enumerate(TYPED)
    ]
    exported = write_catalog(rows)
    assert formula_cells(exported) == []
    parsed, errors = parse_catalog(exported.encode(), "EUR")
    assert errors == []
    assert [(r.sku, r.name, r.category, r.description) for r in parsed] == [
        (f"-TEE-{i}", f"=Tee {i}", "t;=1", text) for i, text in enumerate(TYPED)
    ]
