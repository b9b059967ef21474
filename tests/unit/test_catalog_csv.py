"""The catalog CSV contract, checked without a database: every bad row reported with its line number."""

from pathlib import Path

import pytest

from checkout.catalog.csv_format import COLUMNS, parse_catalog, write_catalog
from checkout.money import Money

DEMO = Path(__file__).resolve().parents[2] / "data" / "catalog" / "demo.csv"
HEADER = "sku,name,price,currency,stock,category,description,color,size,image_url"
GOOD_1 = "TEE-BLK-M,Logo Tee,24.90,EUR,5,t-shirts,Soft tee,black,M,https://img.example/tee.png"
GOOD_2 = "CAP-RED,Dad Cap,22.00,EUR,3,caps,Cap,red,,"


def parse(text: str, default_currency: str = "EUR"):
    return parse_catalog(text.encode("utf-8"), default_currency)


def csv_text(*lines: str) -> str:
    return "\n".join([HEADER, *lines]) + "\n"


def error_lines(errors) -> list[int]:
    return [e.line for e in errors]


# --- a good file -------------------------------------------------------------------------------


def test_demo_catalog_is_valid():
    rows, errors = parse_catalog(DEMO.read_bytes(), "EUR")
    assert errors == []
    assert len(rows) == 30
    assert len({r.product_key for r in rows}) == 14
    assert [r.line for r in rows] == list(range(2, 32))
    assert len({r.sku for r in rows}) == 30


def test_demo_catalog_values():
    rows = {r.sku: r for r in parse_catalog(DEMO.read_bytes(), "EUR")[0]}
    tee = rows["TEE-LOGO-BLK-S"]
    assert (tee.name, tee.price, tee.stock, tee.category, tee.color, tee.size) == (
        "Logo Tee",
        Money(2490, "EUR"),
        12,
        "t-shirts",
        "black",
        "S",
    )
    # The description holds commas inside quotes.
    assert tee.description == "Heavy 220 gsm cotton tee with a small chest logo, regular fit"
    assert rows["TEE-LOGO-WHT-L"].stock == 0
    assert rows["KEY-LTH-BRN"].stock is None  # blank stock: not tracked
    sticker = rows["STK-PACK"]
    assert (sticker.color, sticker.size, sticker.image_url) == (None, None, None)


def test_values_are_normalised():
    rows, errors = parse(csv_text(" TEE-1 ,  Logo   Tee ,24.90,eur,5, T-Shirts ,,Black,m,"))
    assert errors == []
    row = rows[0]
    assert (row.sku, row.name, row.category, row.color, row.size) == ("TEE-1", "Logo Tee", "t-shirts", "black", "M")
    assert row.price == Money(2490, "EUR")
    assert row.product_key == "logo tee"


def test_blank_currency_means_the_shop_default():
    rows, errors = parse(
        csv_text("MUG-1,Mug,1250,,3,mugs,,,,", "MUG-2,Cup,3.50,EUR,3,mugs,,,,"), default_currency="JPY"
    )
    assert errors == []
    assert [r.price for r in rows] == [Money(1250, "JPY"), Money(350, "EUR")]


def test_blank_currency_is_checked_with_the_default_currency_decimals():
    _, errors = parse(csv_text("MUG-1,Mug,12.50,,3,mugs,,,,"), default_currency="JPY")
    assert error_lines(errors) == [2]
    assert "more than 0 decimals for JPY" in errors[0].reason


def test_blank_currency_uses_the_default_currency_decimals():
    rows, errors = parse(csv_text("MUG-1,Mug,12.50,,3,mugs,,,,"), default_currency="USD")
    assert errors == []
    assert rows[0].price == Money(1250, "USD")


def test_blank_stock_is_not_tracked_and_zero_is_out_of_stock():
    rows, errors = parse(csv_text("A-1,Mug,1.00,EUR,,mugs,,,,", "B-1,Cup,1.00,EUR,0,mugs,,,,"))
    assert errors == []
    assert [r.stock for r in rows] == [None, 0]


def test_header_is_case_and_space_insensitive():
    rows, errors = parse(" SKU , Name,PRICE,currency,stock,category,description,color,size,image_url\n" + GOOD_1 + "\n")
    assert errors == []
    assert [r.sku for r in rows] == ["TEE-BLK-M"]


def test_header_only_file_has_no_rows_and_no_errors():
    assert parse(HEADER + "\n") == ([], [])


def test_blank_lines_are_skipped_but_counted():
    rows, errors = parse(HEADER + "\n\n" + GOOD_1 + "\n,,,,,,,,,\n" + "X-1,,1.00,EUR,,,,,,\n")
    assert [r.line for r in rows] == [3]
    assert error_lines(errors) == [5]


# --- every kind of bad row ---------------------------------------------------------------------

BAD_ROWS = [
    pytest.param(",Thing,1.00,EUR,1,misc,,,,", "sku is required", id="missing-sku"),
    pytest.param("A B,Thing,1.00,EUR,1,misc,,,,", "contains spaces", id="sku-with-space"),
    pytest.param("X-1,,1.00,EUR,1,misc,,,,", "name is required", id="missing-name"),
    pytest.param("X-1,   ,1.00,EUR,1,misc,,,,", "name is required", id="blank-name"),
    pytest.param("X-1,Thing,,EUR,1,misc,,,,", "price is required", id="missing-price"),
    pytest.param('X-1,Thing,"12,50",EUR,1,misc,,,,', "not a number like 24.90", id="comma-decimal-price"),
    pytest.param("X-1,Thing,twelve,EUR,1,misc,,,,", "not a number like 24.90", id="text-price"),
    pytest.param("X-1,Thing,-1.00,EUR,1,misc,,,,", "not a number like 24.90", id="negative-price"),
    pytest.param("X-1,Thing,12.999,EUR,1,misc,,,,", "more than 2 decimals", id="too-many-decimals"),
    pytest.param("X-1,Thing,100.5,JPY,1,misc,,,,", "more than 0 decimals", id="decimals-on-yen"),
    pytest.param("X-1,Thing,1.00,EURO,1,misc,,,,", "unknown currency", id="bad-currency"),
    pytest.param("X-1,Thing,1.00,XYZ,1,misc,,,,", "unknown currency", id="unknown-currency"),
    pytest.param("X-1,Thing,1.00,EUR,-1,misc,,,,", "stock '-1' must be a whole number", id="negative-stock"),
    pytest.param("X-1,Thing,1.00,EUR,2.5,misc,,,,", "stock '2.5' must be a whole number", id="fractional-stock"),
    pytest.param("X-1,Thing,1.00,EUR,lots,misc,,,,", "stock 'lots' must be a whole number", id="text-stock"),
    pytest.param("X-1,Thing,1.00,EUR,²,misc,,,,", "must be a whole number", id="superscript-stock"),
    pytest.param("X-1,Thing,1.00,EUR,1,misc,,,,ftp://img.example/a.png", "not an http(s) URL", id="ftp-image"),
    pytest.param("X-1,Thing,1.00,EUR,1,misc,,,,picture.png", "not an http(s) URL", id="relative-image"),
    pytest.param("X-1,Thing,1.00,EUR,1,misc,,,,https://", "not an http(s) URL", id="hostless-image"),
    pytest.param("X-1,Thing,1.00,EUR,1,misc,,,", "expected 10 fields, found 9", id="too-few-fields"),
    pytest.param("X-1,Thing,1.00,EUR,1,misc,a,b,c,d,e", "expected 10 fields, found 11", id="too-many-fields"),
    pytest.param("X-1,Thing, with comma,1.00,EUR,1,misc,,,,", "expected 10 fields, found 11", id="unquoted-comma"),
    pytest.param("S" * 65 + ",Thing,1.00,EUR,1,misc,,,,", "sku is longer than 64", id="long-sku"),
    pytest.param("X-1,Thing,99999999.00,EUR,1,misc,,,,", "price 99999999.00 is too large", id="huge-price"),
    pytest.param("X-1,Thing,1.00,EUR,3000000000,misc,,,,", "stock 3000000000 is too large", id="huge-stock"),
    pytest.param("X-1," + "n" * 201 + ",1.00,EUR,1,misc,,,,", "name is longer than 200", id="long-name"),
]


@pytest.mark.parametrize(("bad_row", "reason"), BAD_ROWS)
def test_bad_row_is_reported_with_its_line(bad_row, reason):
    rows, errors = parse(csv_text(GOOD_1, bad_row, GOOD_2))
    assert error_lines(errors) == [3], errors
    assert reason in errors[0].reason
    assert str(errors[0]).startswith("line 3: ")
    assert [r.sku for r in rows] == ["TEE-BLK-M", "CAP-RED"]


def test_one_row_with_several_problems_reports_each():
    _, errors = parse(csv_text(GOOD_1, ",,abc,EUR,-2,misc,,,,nope"))
    reasons = " | ".join(e.reason for e in errors)
    assert error_lines(errors) == [3, 3, 3, 3, 3]
    for part in ("sku is required", "name is required", "not a number", "stock '-2'", "image_url"):
        assert part in reasons


def test_duplicate_sku_names_the_first_line():
    _, errors = parse(csv_text(GOOD_1, GOOD_2, "tee-blk-m,Other Tee,9.00,EUR,1,t-shirts,,blue,S,"))
    assert error_lines(errors) == [4]
    assert "already used on line 2" in errors[0].reason


def test_duplicate_variant_of_one_product():
    # Same name (in other spelling), colour and size as line 2: the two rows cannot be told apart.
    _, errors = parse(csv_text(GOOD_1, GOOD_2, "TEE-BLK-M2,logo  TEE,24.90,EUR,5,t-shirts,,Black,m,"))
    assert error_lines(errors) == [4]
    assert "same name, colour and size as line 2" in errors[0].reason


def test_variants_without_colour_or_size_collide():
    _, errors = parse(csv_text("STK-1,Sticker,1.00,EUR,,misc,,,,", "STK-2,Sticker,2.00,EUR,,misc,,,,"))
    assert error_lines(errors) == [3]
    assert "same name, colour and size" in errors[0].reason


def test_conflicting_category_for_one_product():
    _, errors = parse(csv_text(GOOD_1, "TEE-BLK-L,Logo Tee,24.90,EUR,5,hoodies,,black,L,"))
    assert error_lines(errors) == [3]
    assert "category 'hoodies' differs from 't-shirts' on line 2" in errors[0].reason


def test_every_bad_row_is_reported_in_line_order():
    rows, errors = parse(
        csv_text(
            GOOD_1,  # 2
            "X-1,,1.00,EUR,1,misc,,,,",  # 3 missing name
            GOOD_2,  # 4
            "X-2,Thing,1.00,EUR,1,misc,,,",  # 5 field count
            "TEE-BLK-M,Again,1.00,EUR,1,misc,,,,",  # 6 duplicate sku
            "X-3,Thing3,1.001,EUR,1,misc,,,,",  # 7 decimals
        )
    )
    assert error_lines(errors) == [3, 5, 6, 7]


# --- the file as a whole ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        pytest.param(
            "sku,name,price,currency,stock,category,description,color,size", "missing image_url", id="missing"
        ),
        pytest.param(HEADER + ",weight", "unknown weight", id="extra"),
        pytest.param(
            "name,sku,price,currency,stock,category,description,color,size,image_url", "out of order", id="order"
        ),
        pytest.param(
            "sku;name;price;currency;stock;category;description;color;size;image_url", "header must be", id="semicolons"
        ),
    ],
)
def test_wrong_header_is_line_1(header, reason):
    rows, errors = parse(header + "\n" + GOOD_1 + "\n")
    assert rows == []
    assert error_lines(errors) == [1]
    assert reason in errors[0].reason


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf"])
def test_empty_file(data):
    rows, errors = parse_catalog(data, "EUR")
    assert rows == []
    assert error_lines(errors) == [1]
    assert "empty" in errors[0].reason


def test_non_utf8_bytes_are_reported_on_their_lines():
    data = csv_text(GOOD_1, GOOD_2, "X-1,Caf\u00e9 Mug,1.00,EUR,1,mugs,,,,", "X-2,Na\u00efve Cap,2.00,EUR,1,caps,,,,")
    latin1 = data.encode("latin-1")
    rows, errors = parse_catalog(latin1, "EUR")
    assert rows == []
    assert error_lines(errors) == [4, 5]
    assert all("not UTF-8" in e.reason for e in errors)


def test_non_utf8_line_number_counts_from_the_start_of_a_file_with_bom():
    data = b"\xef\xbb\xbf" + csv_text(GOOD_1, GOOD_2).encode() + b"X-1,Caf\xe9,1.00,EUR,1,mugs,,,,\n"
    _, errors = parse_catalog(data, "EUR")
    assert error_lines(errors) == [4]


def test_bom_is_accepted():
    text = csv_text(GOOD_1, GOOD_2)
    with_bom = parse_catalog(b"\xef\xbb\xbf" + text.encode("utf-8"), "EUR")
    assert with_bom == parse(text)
    assert with_bom[1] == []
    assert with_bom[0][0].sku == "TEE-BLK-M"  # not "\ufeffsku" confusion


def test_crlf_line_endings():
    rows, errors = parse(csv_text(GOOD_1, "X-1,,1.00,EUR,1,misc,,,,", GOOD_2).replace("\n", "\r\n"))
    assert [r.line for r in rows] == [2, 4]
    assert error_lines(errors) == [3]


def test_non_ascii_text_survives():
    rows, errors = parse(csv_text("TEE-Ü,Tée « spéciale » 東京,9.90,EUR,1,t-shirts,Ça va ✓,noir,M,"))
    assert errors == []
    assert rows[0].name == "Tée « spéciale » 東京"
    assert rows[0].description == "Ça va ✓"


# --- quoting ------------------------------------------------------------------------------------


def test_quoted_fields_with_commas_and_quotes():
    rows, errors = parse(csv_text('TEE-1,"Tee, the classic",24.90,EUR,5,t-shirts,"Soft, ""heavy"" cotton",black,M,'))
    assert errors == []
    assert rows[0].name == "Tee, the classic"
    assert rows[0].description == 'Soft, "heavy" cotton'


def test_embedded_newline_keeps_following_line_numbers_right():
    text = csv_text(
        'TEE-1,Tee,24.90,EUR,5,t-shirts,"First line\nsecond line\nthird line",black,M,',  # lines 2-4
        GOOD_2,  # line 5
        "X-1,Thing,1.00,EUR,-3,misc,,,,",  # line 6
    )
    rows, errors = parse(text)
    assert rows[0].description == "First line\nsecond line\nthird line"
    assert [r.line for r in rows] == [2, 5]
    assert error_lines(errors) == [6]


def test_bad_multi_line_row_is_reported_where_it_starts():
    text = csv_text(
        GOOD_1,  # line 2
        'X-1,Thing,1.00,EUR,lots,misc,"A long\ndescription",,,',  # lines 3-4
        GOOD_2,  # line 5
        "TEE-BLK-M,Dup,1.00,EUR,1,misc,,,,",  # line 6
    )
    _, errors = parse(text)
    assert error_lines(errors) == [3, 6]


def test_cross_row_errors_point_at_a_multi_line_rows_first_line():
    text = csv_text(
        'TEE-1,Tee,24.90,EUR,5,t-shirts,"two\nlines",black,M,',  # lines 2-3
        "TEE-1,Tee,24.90,EUR,5,t-shirts,,black,L,",  # line 4
    )
    _, errors = parse(text)
    assert error_lines(errors) == [4]
    assert "already used on line 2" in errors[0].reason


# --- writing ------------------------------------------------------------------------------------


def test_write_catalog_round_trips_through_parse():
    rows = [
        dict(
            sku="TEE-1",
            name="Tee, classic",
            price="24.90",
            currency="EUR",
            stock="5",
            category="t-shirts",
            description='Line one\nline "two"',
            color="black",
            size="M",
            image_url="https://img.example/t.png",
        ),
        dict(
            sku="KEY-1",
            name="Keychain",
            price="6.50",
            currency="EUR",
            stock="",
            category="",
            description="",
            color="",
            size="",
            image_url="",
        ),
    ]
    text = write_catalog(rows)
    assert text.splitlines()[0] == ",".join(COLUMNS)
    parsed, errors = parse(text)
    assert errors == []
    assert [(r.sku, r.name, r.price, r.stock, r.description, r.category) for r in parsed] == [
        ("TEE-1", "Tee, classic", Money(2490, "EUR"), 5, 'Line one\nline "two"', "t-shirts"),
        ("KEY-1", "Keychain", Money(650, "EUR"), None, None, None),
    ]
