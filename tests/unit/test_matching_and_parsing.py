"""What shoppers type, read the way the assistant reads it: which product (fuzzy matching against the live demo
catalog in a SQLite file), how many, which size and colour, and whether contact details are plausible."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update

from actions.parsing import article_quantity, parse_color, parse_quantity, parse_size
from checkout.catalog.importer import import_catalog
from checkout.catalog.matching import resolve_product
from checkout.catalog.queries import list_products
from checkout.customers.validation import clean_address, clean_email, clean_name, clean_phone
from checkout.db.database import Database
from checkout.db.migrate import upgrade
from checkout.db.models import Product

DEMO_CSV = (Path(__file__).resolve().parents[2] / "data" / "catalog" / "demo.csv").read_bytes()


def demo_database(path: Path, extra_rows: str = "") -> Database:
    url = f"sqlite:///{path / 'shop.db'}"
    upgrade(url)
    db = Database(url)
    with db.transaction() as session:
        result = import_catalog(session, DEMO_CSV + extra_rows.encode(), "EUR")
    assert result.ok, result.errors
    return db


def active_products(db: Database) -> list[Product]:
    with db.transaction() as session:
        return list_products(session)


@pytest.fixture(scope="module")
def products(tmp_path_factory) -> list[Product]:
    db = demo_database(tmp_path_factory.mktemp("matching"))
    try:
        return active_products(db)
    finally:
        db.dispose()


def resolved(products, text, color=None, size=None) -> tuple[str | None, list[str]]:
    resolution = resolve_product(products, text, color, size)
    return (resolution.product.name if resolution.product else None), [p.name for p in resolution.candidates]


# --- which product -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        ("logo tee", "Logo Tee"),
        ("Logo Tee", "Logo Tee"),
        ("how much is the zip hoodie", "Zip Hoodie"),
        ("do you have beanies", "Rib Beanie"),
        ("price of the tote bag?", "Canvas Tote Bag"),
        ("keyring", "Leather Keychain"),
        ("snapback", "Snapback Cap"),
        ("socks", "Crew Socks"),
        ("long sleeve", "Long Sleeve Tee"),
        ("oversized t-shirt", "Oversized Tee"),
        ("oversize tee", "Oversized Tee"),
        ("i want the enamel mug", "Enamel Mug"),
        ("what colours does the logo tee come in", "Logo Tee"),
        ("dad hat", "Dad Cap"),
        ("stickers", "Sticker Pack"),
    ],
)
def test_chat_text_finds_the_product(products, text, expected):
    assert resolved(products, text) == (expected, [expected])


def test_the_black_hoodie_in_m(products):
    # NLU tags colour and size; they pick the one hoodie sold in black M
    assert resolved(products, "do u have the black hoodie in M", "black", "M") == (
        "Heavyweight Hoodie",
        ["Heavyweight Hoodie"],
    )
    # the reader finds them in the text itself when the model did not tag them
    assert resolved(products, "do u have the black hoodie in M") == ("Heavyweight Hoodie", ["Heavyweight Hoodie"])
    # without them, "hoodie" alone fits both hoodies equally well
    assert resolved(products, "do u have the hoodie") == (None, ["Heavyweight Hoodie", "Zip Hoodie"])


def test_a_typo_still_finds_the_hoodies(products):
    name, candidates = resolved(products, "hodie")
    assert name is None and set(candidates) == {"Heavyweight Hoodie", "Zip Hoodie"}
    assert resolved(products, "hodie", "black") == ("Heavyweight Hoodie", ["Heavyweight Hoodie"])
    assert resolved(products, "hoody")[1] == candidates


@pytest.mark.parametrize("text", ["tshirt", "t-shirt", "tshirts", "tee"])
def test_tshirt_is_ambiguous_between_the_tees(products, text):
    name, candidates = resolved(products, text)
    assert name is None
    assert {"Logo Tee", "Oversized Tee"} <= set(candidates)
    assert all(c.endswith("Tee") for c in candidates)


def test_the_mug_is_ambiguous(products):
    assert resolved(products, "the mug") == (None, ["Enamel Mug", "Travel Mug"])
    assert resolve_product(products, "the mug").ambiguous


@pytest.mark.parametrize(
    "text,color,size,expected",
    [
        ("the mug", "white", None, "Enamel Mug"),
        ("the mug", "black", None, "Travel Mug"),
        ("the mug", "Black", None, "Travel Mug"),
        ("hoodie", "grey", None, "Heavyweight Hoodie"),
        ("hoodie", "navy", None, "Zip Hoodie"),
        ("hoodie", None, "S", "Heavyweight Hoodie"),
        ("tee", "sand", None, "Oversized Tee"),
        ("tee", "white", "M", "Logo Tee"),
        ("a cap", "green", None, "Snapback Cap"),
    ],
)
def test_colour_or_size_breaks_a_tie(products, text, color, size, expected):
    assert resolved(products, text, color, size) == (expected, [expected])


def test_a_colour_no_candidate_has_keeps_the_tie(products):
    assert resolved(products, "the mug", "pink") == (None, ["Enamel Mug", "Travel Mug"])


@pytest.mark.parametrize("text", ["wool scarf", "i'll take 2", "", "hello", "what do you sell", "🙂🙂", "x" * 500])
def test_unknown_products_match_nothing(products, text):
    resolution = resolve_product(products, text)
    assert (resolution.product, resolution.candidates, resolution.ambiguous) == (None, [], False)


def test_question_words_are_not_product_words(products):
    # "stock", "price" and colours look like product words to a fuzzy matcher, but name none
    assert resolved(products, "is it in stock") == (None, [])
    assert resolved(products, "what's the price") == (None, [])


def test_a_product_imported_a_moment_ago_is_found(tmp_path):
    db = demo_database(tmp_path, "SCARF-WOOL-GRY,Wool Scarf,39.00,EUR,4,accessories,Lambswool scarf,grey,,\n")
    try:
        products = active_products(db)
        assert resolved(products, "wool scarf") == ("Wool Scarf", ["Wool Scarf"])
        assert resolved(products, "do u have a wol scarf?") == ("Wool Scarf", ["Wool Scarf"])
        # and a product taken off sale is matched no more
        with db.transaction() as session:
            session.execute(update(Product).where(Product.name == "Zip Hoodie").values(active=False))
        assert resolved(active_products(db), "hoodie") == ("Heavyweight Hoodie", ["Heavyweight Hoodie"])
    finally:
        db.dispose()


# --- how many, which size, which colour ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2", 2),
        ("two", 2),
        ("x3", 3),
        ("a couple", 2),
        ("i'll take 2", 2),
        ("I'll take two", 2),
        ("3 please", 3),
        ("a pair of socks", 2),
        ("a hoodie", 1),
        ("one", 1),
        ("twelve", 12),
        ("a dozen", 12),
        ("deux", 2),
        ("zwei", 2),
        ("dos", 2),
        ("  4  ", 4),
    ],
)
def test_parse_quantity(text, expected):
    assert parse_quantity(text) == expected


@pytest.mark.parametrize(
    "text", ["", None, "2 or 3", "two or three", "1.5", "none", "🙂", "10000", "1,000", "2 black hoodies in size 12"]
)
def test_parse_quantity_without_one_clear_number(text):
    assert parse_quantity(text) is None


def test_parse_quantity_zero_is_a_number_the_caller_refuses():
    assert parse_quantity("0") == 0


def test_parse_quantity_hyphenated_words_are_not_minus_signs():
    assert parse_quantity("2 t-shirts") == 2
    assert parse_quantity("two t-shirts") == 2


@pytest.mark.parametrize("text", ["-1", "-3", "- 2"])
def test_parse_quantity_negative_is_not_a_quantity(text):
    assert parse_quantity(text) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("add a black beanie", "1"),
        ("I'll take an orange beanie", "1"),
        ("can I get one logo tee", "1"),
        ("Add A beanie", "1"),
        ("add beanie", None),
        ("a black beanie", None),
        ("add 2 beanies", None),
        ("what's a good hoodie", None),
        ("add another cap", "1"),
        ("add a couple of beanies", None),
        ("take a pair of socks", None),
    ],
)
def test_an_article_after_a_buying_verb_is_one(text, expected):
    assert article_quantity(text) == expected


SIZES = ["S", "M", "L", "XL"]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("m", "M"),
        ("M", "M"),
        ("medium", "M"),
        ("Med", "M"),
        ("size l", "L"),
        ("large", "L"),
        ("lg", "L"),
        ("extra large", "XL"),
        ("xl", "XL"),
        ("s", "S"),
        ("a small one", "S"),
        ("small please", "S"),
    ],
)
def test_parse_size(text, expected):
    assert parse_size(text, SIZES) == expected


@pytest.mark.parametrize("text", ["XXL", "XS", "i'll take it", "I'm fine", "", None, "2xl"])
def test_parse_size_not_offered_or_not_a_size(text):
    assert parse_size(text, SIZES) is None


def test_parse_size_only_among_the_options():
    assert parse_size("xxl", ["M", "XXL"]) == "XXL"
    assert parse_size("2xl", ["M", "XXL"]) == "XXL"
    assert parse_size("large", ["S", "M"]) is None


COLOURS = ["beige", "black", "grey", "navy", "white"]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("black", "black"),
        ("Black", "black"),
        ("blak", "black"),
        ("blk", "black"),
        ("gray", "grey"),
        ("the grey one", "grey"),
        ("blue", "navy"),
        ("cream", "beige"),
        ("wht", "white"),
        ("the white", "white"),
    ],
)
def test_parse_color(text, expected):
    assert parse_color(text, COLOURS) == expected


@pytest.mark.parametrize("text", ["pink", "noir", "bla", "", None, "orange"])
def test_parse_color_not_offered(text):
    assert parse_color(text, COLOURS) is None


# --- contact details -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0049 151 2345678", "+491512345678"),
        ("(212) 555-0182", "2125550182"),
        ("+84 912 345 678", "+84912345678"),
        ("+44 7911 123456", "+447911123456"),
        ("+55 11 91234-5678", "+5511912345678"),
        ("+81 90-1234-5678", "+819012345678"),
        ("+234 803 123 4567", "+2348031234567"),
        ("+971 50 123 4567", "+971501234567"),
        ("+7 912 345-67-89", "+79123456789"),
        ("+1 (415) 555-2671", "+14155552671"),
        ("+86 138 0013 8000", "+8613800138000"),
        ("+91 98765 43210", "+919876543210"),
        ("06 12 34 56 78", "0612345678"),
        ("my number is +351 912 345 678", "+351912345678"),
    ],
)
def test_phones_from_many_countries_are_accepted(text, expected):
    assert clean_phone(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "12345",
        "abcdefgh",
        "phone",
        "12345678901234567890",
        "+1234567890123456",
        "555-CALL-NOW",
        "+33 6 1a 34 56 78",
        "",
        "   ",
        None,
    ],
)
def test_implausible_phones_are_rejected(text):
    assert clean_phone(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "Zoë Müller-Lefèvre",
        "José Ñúñez",
        "李小龙",
        "Nguyễn Văn An",
        "Ólafur Arnalds",
        "محمد علي",
        "O'Brien",
        "김민준",
        "Иван Петров",
        "Jo",
    ],
)
def test_names_in_any_script_are_accepted(text):
    assert clean_name(text) == text


def test_names_are_tidied():
    assert clean_name("  Ana    Silva ") == "Ana Silva"


@pytest.mark.parametrize("text", ["R2D2", "Anna 2", "ana@example.com", "J", "", "   ", None, "x" * 101, "12345"])
def test_implausible_names_are_rejected(text):
    assert clean_name(text) is None


@pytest.mark.parametrize(
    "text,expected",
    [
        ("12 rue de la Paix, 75002 Paris", "12 rue de la Paix, 75002 Paris"),
        ("Hauptstraße 5, 10115 Berlin", "Hauptstraße 5, 10115 Berlin"),
        ("   Rua   Augusta 1,\n  Lisboa  ", "Rua Augusta 1, Lisboa"),
        ("Flat 3, 10 Downing Street, London SW1A 2AA, UK", "Flat 3, 10 Downing Street, London SW1A 2AA, UK"),
        ("〒150-0041 東京都渋谷区神南1-2-3", "〒150-0041 東京都渋谷区神南1-2-3"),
    ],
)
def test_addresses_are_accepted_and_tidied(text, expected):
    assert clean_address(text) == expected


@pytest.mark.parametrize("text", ["short", "1234567890 12", "", None, "x " * 151, "Paris", "东京", "ParisFrance"])
def test_implausible_addresses_are_rejected(text):
    assert clean_address(text) is None


@pytest.mark.parametrize("text", ["上海市黄浦区南京东路100号", "東京都渋谷区神南1-2-3"])
def test_addresses_written_without_spaces_are_accepted(text):
    assert clean_address(text) == text


@pytest.mark.parametrize(
    "text,expected",
    [
        ("ana@example.com", "ana@example.com"),
        ("Ana.Silva+shop@Example.COM", "ana.silva+shop@example.com"),
        ("ana@example.com.", "ana@example.com"),
        (" zoë@exämple.de ", "zoë@exämple.de"),
    ],
)
def test_emails_are_accepted_and_lowercased(text, expected):
    assert clean_email(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "no",
        "ana@example",
        "ana@@example.com",
        "a b@example.com",
        "ana@example.c",
        "@example.com",
        "",
        None,
        "a" * 65 + "@example.com",
    ],
)
def test_implausible_emails_are_rejected(text):
    assert clean_email(text) is None


@pytest.mark.parametrize("text", ["2026-11-22", "22/11/2026", "on 2026.11.22 pls"])
def test_a_date_is_not_a_phone_number(text):
    assert clean_phone(text) is None
