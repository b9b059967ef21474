"""The catalog reader (checkout.understanding) on a catalog written for this test, unlike the demo one:
names with accents and shared words, multi-word categories and colours, volumes as sizes."""

from __future__ import annotations

import pytest

from checkout.understanding.intents import repair_intent
from checkout.understanding.mentions import find_mentions
from checkout.understanding.reading import products_in_category, read_message, split_requests
from checkout.understanding.terms import CatalogTerms, ProductTerms

TEA_SHOP = CatalogTerms(
    (
        ProductTerms("Earl Grey Supreme", "black teas", ("loose",), ("100 G", "250 G")),
        ProductTerms("Smoky Lapsang", "black teas", (), ("100 G",)),
        ProductTerms("Crème Brûlée Rooibos", "herbal teas", (), ("100 G",)),
        ProductTerms("Jade Dragon Well", "green teas", (), ("50 G",)),
        ProductTerms("Celadon Tea Bowl", "ceramics", ("celadon green", "ash grey"), ()),
        ProductTerms("Stoneware Teapot", "ceramics", ("ash grey", "black"), ("600 ML", "1 L")),
        ProductTerms("Travel Tea Bowl", "ceramics", ("black",), ()),
    ),
    frozenset({"tea", "leaf", "cup"}),
)


def kinds(text: str) -> list[tuple[str, tuple[str, ...], str]]:
    return [(m.kind, m.values, text[m.start : m.end]) for m in find_mentions(TEA_SHOP, text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("one earl grey supreme please", [("product", ("Earl Grey Supreme",), "earl grey supreme")]),
        ("creme brulee rooibos", [("product", ("Crème Brûlée Rooibos",), "creme brulee rooibos")]),  # accents
        ("earl grey suprme", [("product", ("Earl Grey Supreme",), "earl grey suprme")]),  # typos
        ("2 stoneware teapots", [("product", ("Stoneware Teapot",), "stoneware teapots")]),  # plural
        ("the lapsang", [("product", ("Smoky Lapsang",), "lapsang")]),  # a distinctive word alone
        ("what green teas do you have", [("category", ("green teas",), "green teas")]),
        ("show me your ceramics", [("category", ("ceramics",), "ceramics")]),
    ],
)
def test_names_are_found_however_they_are_written(text, expected):
    assert kinds(text) == expected


def test_a_shared_word_is_a_choice_not_a_guess():
    [mention] = find_mentions(TEA_SHOP, "can i see the tea bowl")
    assert mention.kind == "product" and set(mention.values) == {"Celadon Tea Bowl", "Travel Tea Bowl"}


def test_the_colour_narrows_the_choice():
    reading = read_message(TEA_SHOP, "a tea bowl in black please")
    assert reading.product == "Travel Tea Bowl" and reading.color == "black"


def test_a_whole_name_wins_over_a_colour_inside_it_and_a_colour_over_part_of_a_name():
    assert kinds("earl grey supreme in loose") == [
        ("product", ("Earl Grey Supreme",), "earl grey supreme"),
        ("color", ("loose",), "loose"),
    ]
    assert [k for k, _, _ in kinds("a teapot in ash grey")] == ["product", "color"]


def test_volumes_are_sizes_and_not_quantities():
    reading = read_message(TEA_SHOP, "2 of the stoneware teapot 600ml")
    assert (reading.product, reading.size, reading.quantity) == ("Stoneware Teapot", "600 ML", 2)


@pytest.mark.parametrize("text", ["12 Black Street, Greyton", "how is the weather today", "i drink a cup every day"])
def test_ordinary_words_and_addresses_name_nothing(text):
    assert [k for k, _, _ in kinds(text) if k == "product"] == []


@pytest.mark.parametrize(
    "text, quantity, says_one",
    [
        ("one smoky lapsang please", 1, True),
        ("can i get 2 of the smoky lapsangs", 2, False),
        ("add the smoky lapsang", None, True),
        ("a couple of jade dragon well", 2, False),
        ("smoky lapsang x3", 3, False),
        ("how much is smoky lapsang", None, False),
    ],
)
def test_how_many_the_words_say(text, quantity, says_one):
    reading = read_message(TEA_SHOP, text)
    assert (reading.quantity, reading.says_one) == (quantity, says_one)


def test_a_category_stands_for_its_products_with_the_variant_asked():
    assert products_in_category(TEA_SHOP, "ceramics", "black", None) == ("Stoneware Teapot", "Travel Tea Bowl")
    assert products_in_category(TEA_SHOP, "ceramics", "celadon green", None) == ("Celadon Tea Bowl",)


@pytest.mark.parametrize(
    "intent, text, expected",
    [
        ("greet", "hi, i'd like the smoky lapsang", "add_to_cart"),
        ("product_info", "one jade dragon well please", "add_to_cart"),
        ("inform", "one jade dragon well please", "add_to_cart"),
        ("inform", "jade dragon well", "inform"),  # the answer to "which one?"
        ("ask_shipping", "how much is shipping for 2 stoneware teapots", "ask_shipping"),
        ("product_info", "can i get 2 of the stoneware teapots", "add_to_cart"),
        ("product_info", "what green teas do you have?", "browse_catalog"),
        ("greet", "hello! do you have the smoky lapsang?", "product_info"),
        ("browse_catalog", "show me the stoneware teapot", "product_info"),
        ("product_info", "how much is the smoky lapsang?", "product_info"),  # a question stays a question
        ("greet", "hi there", "greet"),
        ("thank", "thanks a lot", "thank"),
        ("remove_from_cart", "remove the smoky lapsang", "remove_from_cart"),  # never turned into a purchase
        ("product_info", "i want to know the price of the smoky lapsang", "product_info"),
        ("remove_from_cart", "one jade dragon well pls", "add_to_cart"),  # a misread without any "remove" word
        ("ask_shipping", "3x smoky lapsang", "add_to_cart"),
        ("ask_returns", "if i buy the stoneware teapot can i return it", "ask_returns"),  # its own topic
        ("product_info", "stoneware teapot 600ml", "add_to_cart"),  # a product with its variant
        ("greet", "ash grey", "inform"),  # the answer to "which colour?"
        ("add_to_cart", "12 Black Street, Greyton", "inform"),  # an address, not a purchase
        ("add_to_cart", "Sam Okafor", "inform"),
        ("add_to_cart", "two please", "add_to_cart"),  # how many of the product just talked about
    ],
)
def test_the_intent_is_corrected_only_with_evidence_in_the_message(intent, text, expected):
    assert repair_intent(intent, [(intent, 0.9)], text, read_message(TEA_SHOP, text)) == expected


def test_a_greeting_in_front_of_a_request_the_catalog_cannot_see_takes_the_request_from_the_ranking():
    text = "hey, where is my order"
    ranking = [("greet", 0.6), ("order_status", 0.3)]
    assert repair_intent("greet", ranking, text, read_message(TEA_SHOP, text)) == "order_status"


def test_terms_round_trip_through_the_snapshot_file(tmp_path):
    from checkout.understanding.terms import TermsFile

    path = tmp_path / "terms.json"
    path.write_text(TEA_SHOP.to_json())
    assert TermsFile(path).current() == TEA_SHOP


@pytest.mark.parametrize(
    "text, pieces",
    [
        (
            "two jade dragon wells and a stoneware teapot 1l please",
            ["two jade dragon wells", "a stoneware teapot 1l please"],
        ),
        (
            "i'll have the smoky lapsang, the celadon tea bowl in ash grey",
            ["i'll have the smoky lapsang", "the celadon tea bowl in ash grey"],
        ),
        ("one earl grey supreme please", ["one earl grey supreme please"]),
    ],
)
def test_a_message_naming_several_products_is_one_request_per_product(text, pieces):
    assert split_requests(TEA_SHOP, text) == pieces


# A catalog with the traps the held-out shops showed: a name starting with "the", a colour that begins
# another name, a word shared by long names, an everyday word inside names.
STUDIO = CatalogTerms(
    (
        ProductTerms("The Black Lantern", "novels", (), ("paperback", "hardcover")),
        ProductTerms("The Harbour Road", "novels", (), ("paperback",)),
        ProductTerms("Canvas Market Tote", "bags", ("black", "sand"), ()),
        ProductTerms("Dew Drops Serum", "serums", (), ("30 ML",)),
        ProductTerms("Overnight Dew Sleeping Mask With Clay", "masks", (), ()),
        ProductTerms("Velour Night Balm", "balms", (), ()),
        ProductTerms("Smoky Night Kohl Pencil", "eyes", ("black",), ()),
    ),
    frozenset(),
)


def test_a_names_own_the_means_one_and_copies_count():
    assert read_message(STUDIO, "the harbour road please").says_one
    reading = read_message(STUDIO, "3 copys of the black lantern")
    assert (reading.product, reading.quantity) == ("The Black Lantern", 3)


def test_a_colour_before_another_name_is_its_colour():
    assert kinds_in(STUDIO, "the black canvas market tote please") == [
        ("color", ("black",), "black"),
        ("product", ("Canvas Market Tote",), "canvas market tote"),
    ]
    assert kinds_in(STUDIO, "the black lantern hardback")[0] == ("product", ("The Black Lantern",), "the black lantern")


def test_pieces_of_one_name_around_a_misspelt_word_are_one_request():
    text = "can i get the canvas markit tote"  # "markit": too far from "market" to match
    assert [m.values for m in find_mentions(STUDIO, text)] == [("Canvas Market Tote",)]
    assert split_requests(STUDIO, text) == [text]
    assert len(split_requests(STUDIO, "the harbour road and the harbour road in paperback")) == 2


def test_letters_typed_in_the_wrong_order_still_match():
    assert read_message(STUDIO, "the canvas market tote in snad").color == "sand"
    assert read_message(STUDIO, "dew drops sreum").product == "Dew Drops Serum"


@pytest.mark.parametrize(
    "text, candidates",
    [
        ("could i get the dew one please", {"Dew Drops Serum", "Overnight Dew Sleeping Mask With Clay"}),
        (
            "hmm i want the night one",
            {"Velour Night Balm", "Smoky Night Kohl Pencil"},
        ),  # an everyday word, said as a name
    ],
)
def test_a_word_of_several_names_said_as_the_name_is_a_choice(text, candidates):
    [mention] = find_mentions(STUDIO, text)
    assert set(mention.values) == candidates
    assert find_mentions(STUDIO, "good night") == []


@pytest.mark.parametrize(
    "model, text, expected",
    [
        ("add_to_cart", "18 Velour Rd, Sandford GA 30328", "inform"),  # an address, whatever names it holds
        ("add_to_cart", "2 Harbour Road, Leeds LS1 5HN", "inform"),
        ("nlu_fallback", "my name is Ana Black", "inform"),
        ("view_cart", "show me your serums", "browse_catalog"),
        ("view_cart", "what's in my bag", "view_cart"),  # its own words: the model was right
        ("view_cart", "what spf is the dew drops serum", "product_info"),
        ("remove_from_cart", "whats the black lantern about", "product_info"),
        ("remove_from_cart", "remove the black lantern", "remove_from_cart"),
        ("product_info", "and the harbour road", "add_to_cart"),  # one more, after a purchase
        ("product_info", "and the harbour road?", "product_info"),
    ],
)
def test_intent_corrections_for_answers_questions_and_continuations(model, text, expected):
    assert repair_intent(model, [], text, read_message(STUDIO, text)) == expected


def kinds_in(terms: CatalogTerms, text: str) -> list[tuple[str, tuple[str, ...], str]]:
    return [(m.kind, m.values, text[m.start : m.end]) for m in find_mentions(terms, text)]


def test_an_article_before_the_format_or_an_and_in_front_counts_one():
    assert read_message(STUDIO, "a hardcover of the black lantern please").says_one
    assert read_message(STUDIO, "and dew drops serum too").says_one
    assert not read_message(STUDIO, "dew drops serum").says_one


@pytest.mark.parametrize(
    "model, text, expected",
    [
        ("view_cart", "Emily Carter", "inform"),  # a name answering "what's your full name?"
        ("human_handoff", "Jane Miller", "inform"),
        ("bot_challenge", "Are You Human", "bot_challenge"),  # chat words: no name
        ("human_handoff", "Real Person", "human_handoff"),  # its own words
    ],
)
def test_a_persons_name_is_an_answer(model, text, expected):
    assert repair_intent(model, [], text, read_message(STUDIO, text)) == expected


def test_a_word_several_categories_share_names_none_of_them_alone():
    shop = CatalogTerms(
        (
            ProductTerms("Tiny Owl", "children's books", (), ()),
            ProductTerms("Page Clip", "book accessories", (), ()),
            ProductTerms("Far Stars", "science fiction", (), ()),
            ProductTerms("Old Rooms", "crime fiction", (), ()),
        ),
        frozenset(),
    )
    assert find_mentions(shop, "any good books?") == []
    assert find_mentions(shop, "what fiction do you have") == []
    assert [m.value for m in find_mentions(shop, "any crime?")] == ["crime fiction"]
    assert [m.value for m in find_mentions(shop, "show me your childrens books")] == ["children's books"]


@pytest.mark.parametrize(
    "text",
    [
        "did a person write this",
        "can i send back the canvas market tote",
        "12 harbour street, victoria island",
        "ana@sand.example",
    ],
)
def test_an_ordinary_word_a_letter_away_from_a_colour_is_no_colour(text):
    assert read_message(STUDIO, text).color is None


@pytest.mark.parametrize("text", ["balck canvas market tote", "the canvas market tote in snad", "sadn"])
def test_a_misspelt_colour_where_a_colour_goes_is_one(text):
    assert read_message(STUDIO, text).color in ("black", "sand")


def test_one_after_a_colour_or_a_part_of_a_name_says_which_not_how_many():
    assert read_message(STUDIO, "swap the canvas market tote for the sand one").quantity is None
    assert read_message(STUDIO, "the canvas market tote, one please").quantity == 1


@pytest.mark.parametrize(
    ("intent", "ranking", "text", "expected"),
    [
        # a code needs a word that says so, or to be all the message says
        (
            "apply_discount",
            [("apply_discount", 0.9), ("inform", 0.06)],
            "12 Main Street, Ennis, Co. Clare V95 K2P4",
            "inform",
        ),
        ("apply_discount", [("apply_discount", 0.7), ("goodbye", 0.2)], "ciao ragazzi", "goodbye"),
        ("apply_discount", [("apply_discount", 0.9)], "LUNA-22", "apply_discount"),
        ("inform", [("inform", 0.6)], "my coupon is LUNA-22", "apply_discount"),
        ("remove_from_cart", [("remove_from_cart", 0.8)], "remove the promo code", "remove_discount"),
        ("add_to_cart", [("add_to_cart", 0.6)], "sign me up for your newsletter", "subscribe"),
        ("nlu_fallback", [("deny", 0.3)], "no more promos pls", "unsubscribe"),
    ],
)
def test_promo_codes_and_offers_are_read_from_their_words(intent, ranking, text, expected):
    assert repair_intent(intent, ranking, text, read_message(TEA_SHOP, text)) == expected


def test_a_bare_code_in_a_shape_no_order_number_has_is_a_code_and_a_topic_word_in_a_name_is_the_names():
    assert repair_intent(
        "order_status", [("order_status", 0.8)], "gz-4411 pls", read_message(TEA_SHOP, "gz-4411 pls")
    ) == ("apply_discount")
    assert repair_intent("order_status", [("order_status", 0.8)], "K7GQLM", read_message(TEA_SHOP, "K7GQLM")) == (
        "order_status"  # an order number's shape
    )
