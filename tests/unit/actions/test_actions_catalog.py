"""Browsing the catalog and asking about a product: answers read from the database at the moment of asking."""

from __future__ import annotations

import json

from sqlalchemy import update

from actions.catalog_actions import ActionBrowseCatalog, ActionProductInfo
from checkout.catalog.importer import import_catalog
from checkout.db.models import Product
from tests.unit.actions.action_harness import ROOT, render, responses, run, slot_sets, tracker

DEMO_CATEGORIES = "accessories, bags, beanies, caps, hoodies, mugs, socks, stickers, t-shirts"


def payload_of(button: dict) -> tuple[str, dict]:
    """'/add_to_cart{"product": "Logo Tee"}' -> ('add_to_cart', {'product': 'Logo Tee'})"""
    text = button["payload"].lstrip("/")
    intent, _, entities = text.partition("{")
    return intent, json.loads("{" + entities) if entities else {}


def details(shop, text="", entities=None, slots=None) -> tuple[dict, list]:
    messages, events = run(
        ActionProductInfo(), tracker(text=text, intent="product_info", entities=entities, slots=slots)
    )
    assert responses(messages) == ["utter_product_details"], messages
    return messages[0], events


# --- browsing ----------------------------------------------------------------------------------------------------


def test_browse_lists_the_categories_with_buttons(shop):
    messages, events = run(ActionBrowseCatalog(), tracker(text="what do you sell", intent="browse_catalog"))
    assert events == []
    assert responses(messages) == ["utter_categories"]
    assert messages[0]["categories"] == DEMO_CATEGORIES
    buttons = messages[0]["buttons"]
    assert [b["title"] for b in buttons][:3] == ["Accessories", "Bags", "Beanies"]
    assert payload_of(buttons[-1]) == ("browse_catalog", {"category": "t-shirts"})
    assert render(messages[0]).startswith("We sell accessories, bags")


def test_browse_a_category_shows_its_products_with_prices(shop):
    messages, _ = run(
        ActionBrowseCatalog(),
        tracker(text="show me hoodies", intent="browse_catalog", entities={"category": "Hoodies"}),
    )
    assert responses(messages) == ["utter_category_products"]
    message = messages[0]
    assert message["category"] == "hoodies"
    assert message["products"] == "• Heavyweight Hoodie — €59.00\n• Zip Hoodie — €64.90"
    assert [payload_of(b) for b in message["buttons"]] == [
        ("product_info", {"product": "Heavyweight Hoodie"}),
        ("product_info", {"product": "Zip Hoodie"}),
    ]


def test_browse_a_category_by_its_singular(shop):
    messages, _ = run(
        ActionBrowseCatalog(), tracker(text="any mug?", intent="browse_catalog", entities={"category": "mug"})
    )
    assert responses(messages) == ["utter_category_products"]
    assert messages[0]["products"] == "• Enamel Mug — €12.90\n• Travel Mug — €19.90"


def test_browse_shows_a_price_range_and_live_prices(shop):
    shop.set_variant("TEE-LOGO-WHT-M", price_minor=2190)
    messages, _ = run(
        ActionBrowseCatalog(), tracker(text="t-shirts", intent="browse_catalog", entities={"category": "t-shirts"})
    )
    assert "• Logo Tee — from €21.90" in messages[0]["products"].splitlines()


def test_browse_an_unknown_category(shop):
    messages, _ = run(
        ActionBrowseCatalog(),
        tracker(text="do you sell shoes", intent="browse_catalog", entities={"category": "shoes"}),
    )
    assert responses(messages) == ["utter_unknown_category"]
    assert (messages[0]["category"], messages[0]["categories"]) == ("shoes", DEMO_CATEGORIES)
    assert len(messages[0]["buttons"]) == 9


def test_browse_an_empty_shop(shop):
    with shop.db.transaction() as session:
        session.execute(update(Product).values(active=False))
    messages, _ = run(ActionBrowseCatalog(), tracker(text="what do you sell", intent="browse_catalog"))
    assert responses(messages) == ["utter_catalog_empty"]


# --- product details ---------------------------------------------------------------------------------------------


def test_product_details_with_stock_of_each_variant(shop):
    message, events = details(shop, "how much is the logo tee", {"product": "logo tee"})
    assert (message["name"], message["price"]) == ("Logo Tee", "€24.90")
    assert message["description"] == "Heavy 220 gsm cotton tee with a small chest logo, regular fit"
    assert message["availability"].splitlines() == [
        "• black, S: in stock",
        "• black, M: in stock",
        "• black, L: in stock",
        "• black, XL: only 2 left",
        "• white, M: in stock",
        "• white, L: out of stock",
    ]
    assert [payload_of(b) for b in message["buttons"]] == [("add_to_cart", {"product": "Logo Tee"})]
    assert message["image"] is None
    assert slot_sets(events) == {"last_product": "Logo Tee", "last_color": None, "last_size": None}


def test_product_details_are_read_live(shop):
    ask = dict(
        text="is the zip hoodie in L available in navy",
        entities={"product": "zip hoodie", "color": "Navy", "size": "l"},
    )
    message, events = details(shop, **ask)
    assert message["availability"] == "• navy, L: only 1 left"
    assert slot_sets(events) == {"last_product": "Zip Hoodie", "last_color": "navy", "last_size": "L"}
    assert payload_of(message["buttons"][0]) == ("add_to_cart", {"product": "Zip Hoodie", "color": "navy", "size": "L"})
    shop.set_variant("HOOD-ZIP-NVY-L", stock=12)
    assert details(shop, **ask)[0]["availability"] == "• navy, L: in stock"
    shop.set_variant("HOOD-ZIP-NVY-L", stock=0)
    assert details(shop, **ask)[0]["availability"] == "• navy, L: out of stock"
    shop.set_variant("HOOD-ZIP-NVY-L", price_minor=5990)
    assert details(shop, **ask)[0]["price"] == "€59.90"


def test_a_single_variant_product_says_how_many_are_left(shop):
    message, _ = details(shop, "enamel mug?", {"product": "enamel mug"})
    assert message["availability"] == "Only 3 left."
    shop.set_variant("MUG-ENM-WHT", stock=1)
    message, _ = details(shop, "enamel mug?", {"product": "enamel mug"})
    assert message["availability"] == "Only 1 left."
    assert "only 1 left" in render(message).lower()
    shop.set_variant("MUG-ENM-WHT", stock=None)  # stock not tracked: always available
    assert details(shop, "enamel mug?", {"product": "enamel mug"})[0]["availability"] == "In stock."


def test_an_out_of_stock_product_says_so_and_offers_no_add_button(shop):
    message, events = details(shop, "got the snapback?", {"product": "snapback"})
    assert message["name"] == "Snapback Cap"
    assert message["availability"] == "Sorry, this is out of stock right now."
    assert message["buttons"] == []
    assert slot_sets(events)["last_product"] == "Snapback Cap"


def test_a_product_that_sells_out_is_then_out_of_stock(shop):
    for sku in ("HOOD-ZIP-NVY-M", "HOOD-ZIP-NVY-L"):
        shop.set_variant(sku, stock=0)
    message, _ = details(shop, "zip hoodie", {"product": "zip hoodie"})
    assert message["availability"] == "Sorry, this is out of stock right now."


def test_an_ambiguous_product_is_asked_about_with_buttons(shop):
    messages, events = run(
        ActionProductInfo(), tracker(text="how much is the mug", intent="product_info", entities={"product": "mug"})
    )
    assert responses(messages) == ["utter_which_product"]
    assert [payload_of(b) for b in messages[0]["buttons"]] == [
        ("product_info", {"product": "Enamel Mug"}),
        ("product_info", {"product": "Travel Mug"}),
    ]
    assert events == []


def test_the_colour_picks_the_product_and_the_variants_shown(shop):
    message, events = details(
        shop, "do u have the black hoodie in M", {"product": "hoodie", "color": "black", "size": "M"}
    )
    assert message["name"] == "Heavyweight Hoodie"
    assert message["availability"] == "• black, M: in stock"
    assert slot_sets(events) == {"last_product": "Heavyweight Hoodie", "last_color": "black", "last_size": "M"}


def test_a_product_nlu_missed_is_found_in_the_text(shop):
    message, _ = details(shop, "how much is the travl mug")
    assert message["name"] == "Travel Mug"


def test_it_means_the_product_we_were_talking_about(shop):
    message, events = details(shop, "how much is it?", slots={"last_product": "Rib Beanie"})
    assert (message["name"], message["price"]) == ("Rib Beanie", "€18.50")
    assert message["availability"].splitlines() == ["• black: in stock", "• orange: only 2 left"]
    assert slot_sets(events)["last_product"] == "Rib Beanie"


def test_an_unknown_product(shop):
    messages, events = run(
        ActionProductInfo(),
        tracker(text="do you have a wool scarf", intent="product_info", entities={"product": "wool scarf"}),
    )
    assert responses(messages) == ["utter_product_not_found"]
    assert (messages[0]["query"], messages[0]["categories"]) == ("wool scarf", DEMO_CATEGORIES)
    assert events == []


def test_a_question_naming_no_product(shop):
    messages, _ = run(ActionProductInfo(), tracker(text="how much is it", intent="product_info"))
    assert responses(messages) == ["utter_ask_about_which_product"]


def test_the_image_is_sent_when_there_is_one(shop):
    shop.set_variant("CAP-DAD-BEI", image_url="https://shop.example/cap-beige.jpg")
    message, _ = details(shop, "dad cap in beige", {"product": "dad cap", "color": "beige"})
    assert message["image"] == "https://shop.example/cap-beige.jpg"


def test_a_big_category_is_cut_to_eight_products_per_message(shop):
    extra = "".join(f"BAG-{i:02d},Bag Number {i:02d},10.00,EUR,5,bags,A bag,black,,\n" for i in range(12))
    with shop.db.transaction() as session:
        result = import_catalog(session, (ROOT / "data" / "catalog" / "demo.csv").read_bytes() + extra.encode(), "EUR")
    assert result.ok, result.errors
    messages, _ = run(
        ActionBrowseCatalog(), tracker(text="bags", intent="browse_catalog", entities={"category": "bags"})
    )
    assert len(messages[0]["products"].splitlines()) == 8
    assert len(messages[0]["buttons"]) == 8
