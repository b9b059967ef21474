"""Adding to the cart in free text (at once, or through the add_to_cart form), removing and viewing it."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select, update

from actions.add_to_cart_form import ActionAskCartSize, ValidateAddToCartForm
from actions.cart_actions import ActionAddToCart, ActionRemoveFromCart, ActionStartCartLine, ActionViewCart
from checkout.db.models import Conversation, Variant
from tests.unit.actions.action_harness import (
    action_event,
    form_turn_tracker,
    render,
    responses,
    run,
    slot_sets,
    tracker,
)

CART_SLOTS = ("cart_product", "cart_color", "cart_size", "cart_quantity")
CART_RESET = {slot: None for slot in CART_SLOTS}


@dataclass
class Turn:
    """What the shopper sees after one add_to_cart message, and the slots it leaves."""

    messages: list[dict]
    start_events: list[dict]
    slots: dict
    form_started: bool
    form_complete: bool

    @property
    def responses(self) -> list[str]:
        return responses(self.messages)


def add_turn(text: str, entities: dict | None = None, slots: dict | None = None, sender: str = "web-ana") -> Turn:
    """One add_to_cart turn as data/rules.yml runs it: action_start_cart_line; when it starts the form, the form's
    activation (Rasa validates the slots already known, calling validate_add_to_cart_form with them as the
    trailing SlotSet events); and action_add_to_cart when the form has everything."""
    start_tracker = tracker(sender, text, "add_to_cart", entities, slots)
    messages, start_events = run(ActionStartCartLine(), start_tracker)
    known = {**(slots or {}), **slot_sets(start_events)}
    if not known.get("cart_form_needed"):
        return Turn(messages, start_events, known, False, False)
    prefilled = {s: known[s] for s in CART_SLOTS if known.get(s) is not None}
    events = (
        list(start_tracker.events)
        + [action_event("action_start_cart_line")]
        + [e for e in start_events if e["event"] == "slot"]
        + [{"event": "slot", "name": "requested_slot", "value": None}, action_event("add_to_cart_form")]
        + [{"event": "slot", "name": k, "value": v} for k, v in prefilled.items()]
    )
    activation = tracker(
        sender, text, "add_to_cart", entities, known, events=events, latest_action_name="add_to_cart_form"
    )
    form_messages, form_events = run(ValidateAddToCartForm(), activation)
    messages += form_messages
    known.update(slot_sets(form_events))
    complete = all(known.get(s) for s in CART_SLOTS)
    if complete:
        add_messages, add_events = run(ActionAddToCart(), tracker(sender, text, "add_to_cart", entities, known))
        messages += add_messages
        known.update(slot_sets(add_events))
    return Turn(messages, start_events, known, True, complete)


def payload_of(button: dict) -> tuple[str, dict]:
    intent, _, entities = button["payload"].lstrip("/").partition("{")
    return intent, json.loads("{" + entities) if entities else {}


# --- everything said at once ---------------------------------------------------------------------------------------


def test_a_said_as_an_article_is_one_even_when_nlu_tags_no_quantity(shop):
    turn = add_turn("add a black beanie", {"product": "beanie", "color": "black"})
    assert turn.responses == ["utter_added_to_cart"] and turn.messages[0]["quantity"] == 1
    assert [sku for sku, _ in shop.cart("web-ana")] and shop.cart("web-ana")[0][1] == 1


def test_everything_known_adds_at_once_with_the_running_total(shop):
    turn = add_turn("2 logo tees black M", {"product": "logo tee", "color": "black", "size": "M", "quantity": "2"})
    # Added by the start action itself: no form, so the slots are left clear for the next line.
    assert slot_sets(turn.start_events) == {
        **CART_RESET,
        "cart_form_needed": False,
        "checkout_after_line": False,
        "last_product": "Logo Tee",
    }
    assert turn.responses == ["utter_added_to_cart"]
    added = turn.messages[0]
    assert (added["quantity"], added["product"], added["variant"], added["line_total"], added["cart_total"]) == (
        2,
        "Logo Tee",
        " (black, M)",
        "€49.80",
        "€49.80",
    )
    assert render(added) == "Added 2 × Logo Tee (black, M) (€49.80). Cart total: €49.80."
    assert {s: turn.slots[s] for s in CART_SLOTS} == CART_RESET  # ready for the next line
    assert shop.cart("web-ana") == [("TEE-LOGO-BLK-M", 2)]

    turn = add_turn("and a beige dad cap", {"product": "dad cap", "color": "beige", "quantity": "1"})
    assert turn.responses == ["utter_added_to_cart"]
    assert (turn.messages[0]["quantity"], turn.messages[0]["variant"], turn.messages[0]["cart_total"]) == (
        1,
        " (beige)",
        "€71.80",
    )
    assert shop.cart("web-ana") == [("TEE-LOGO-BLK-M", 2), ("CAP-DAD-BEI", 1)]
    with shop.db.transaction() as session:
        assert session.scalar(select(Conversation.had_cart).where(Conversation.sender_id == "web-ana")) is True


def test_a_product_without_choices_needs_only_its_name_and_quantity(shop):
    turn = add_turn("add a sticker pack", {"product": "sticker pack", "quantity": "a"})
    assert turn.responses == ["utter_added_to_cart"]
    assert (turn.messages[0]["product"], turn.messages[0]["variant"], turn.messages[0]["line_total"]) == (
        "Sticker Pack",
        "",
        "€4.50",
    )


def test_quantity_in_words(shop):
    turn = add_turn("two crew socks size L", {"product": "crew socks", "size": "L", "quantity": "two"})
    assert turn.responses == ["utter_added_to_cart"]
    assert shop.cart("web-ana") == [("SOCK-CRW-WHT-L", 2)]


def test_a_typed_price_is_ignored(shop):
    turn = add_turn(
        "i'll take 1 black hoodie in M for 1 euro",
        {"product": "hoodie", "color": "black", "size": "M", "quantity": "1"},
    )
    assert turn.responses == ["utter_added_to_cart"]
    assert (turn.messages[0]["product"], turn.messages[0]["line_total"]) == ("Heavyweight Hoodie", "€59.00")


def test_a_missing_size_is_asked_by_the_form_with_what_is_known(shop):
    turn = add_turn("I want the black hoodie x2", {"product": "hoodie", "color": "black", "quantity": "2"})
    events = turn.start_events
    assert events[0] == {"event": "active_loop", "name": None, "timestamp": None}  # any other form is left first
    assert slot_sets(events) == {
        "cart_product": "Heavyweight Hoodie",
        "cart_color": "black",
        "cart_size": None,
        "cart_quantity": "2",
        "cart_form_needed": True,
        "checkout_after_line": False,
        "last_product": "Heavyweight Hoodie",
    }
    assert turn.messages == []
    assert turn.form_started and not turn.form_complete
    assert shop.cart("web-ana") == []


def test_nothing_but_the_product_asks_for_everything_else(shop):
    turn = add_turn("add logo tee", {"product": "logo tee"})
    assert turn.messages == []
    assert slot_sets(turn.start_events) == {
        "cart_product": "Logo Tee",
        "cart_color": None,
        "cart_size": None,
        "cart_quantity": None,
        "cart_form_needed": True,
        "checkout_after_line": False,
        "last_product": "Logo Tee",
    }


def test_the_means_one(shop):
    turn = add_turn("add the logo tee", {"product": "logo tee"})
    assert slot_sets(turn.start_events)["cart_quantity"] == "1"


def test_no_product_at_all_lets_the_form_ask_for_it(shop):
    turn = add_turn("i want to buy something")
    assert turn.messages == []
    assert slot_sets(turn.start_events) == {**CART_RESET, "cart_form_needed": True, "checkout_after_line": False}


def test_a_quantity_above_stock_is_refused_with_what_is_available(shop):
    turn = add_turn("3 zip hoodies navy L", {"product": "zip hoodie", "color": "navy", "size": "L", "quantity": "3"})
    assert turn.responses == ["utter_quantity_above_stock"]
    assert (turn.messages[0]["available"], turn.messages[0]["product"], turn.messages[0]["variant"]) == (
        1,
        "Zip Hoodie",
        "navy, L",
    )
    assert (turn.slots["cart_size"], turn.slots["cart_quantity"]) == ("L", None)  # the form asks again
    assert not turn.form_complete
    assert shop.cart("web-ana") == []


def test_what_is_already_in_the_cart_counts_against_stock(shop):
    shop.fill_cart("web-ana", [("HOOD-HVY-GRY-L", 2)])  # stock 3
    turn = add_turn("2 more grey hoodies L", {"product": "hoodie", "color": "grey", "size": "L", "quantity": "2"})
    assert turn.responses == ["utter_quantity_above_stock"]
    assert turn.messages[0]["available"] == 1
    assert shop.cart("web-ana") == [("HOOD-HVY-GRY-L", 2)]


def test_an_out_of_stock_product(shop):
    turn = add_turn("i'll take the snapback", {"product": "snapback"})
    assert turn.responses == ["utter_product_out_of_stock"]
    assert turn.messages[0]["product"] == "Snapback Cap"
    assert slot_sets(turn.start_events) == {
        **CART_RESET,
        "cart_form_needed": False,
        "checkout_after_line": False,
        "last_product": "Snapback Cap",
    }
    assert not turn.form_started


def test_an_out_of_stock_variant_says_what_is_left(shop):
    turn = add_turn("black hoodie XL", {"product": "hoodie", "color": "black", "size": "XL"})
    assert turn.responses == ["utter_variant_out_of_stock"]
    assert turn.messages[0]["variant"] == "black, XL"
    assert "black, M" in turn.messages[0]["options"] and "black, XL" not in turn.messages[0]["options"]
    assert turn.slots["cart_size"] is None and turn.form_started


def test_a_colour_the_product_does_not_come_in(shop):
    turn = add_turn("the logo tee in pink", {"product": "logo tee", "color": "pink"})
    assert turn.responses == ["utter_invalid_color"]
    assert (turn.messages[0]["value"], turn.messages[0]["options"]) == ("pink", "black, white")
    assert turn.slots["cart_color"] is None


def test_ill_take_2_uses_the_product_colour_and_size_asked_about(shop):
    context = {"last_product": "Heavyweight Hoodie", "last_color": "black", "last_size": "M"}
    turn = add_turn("ok i'll take 2", {"quantity": "2"}, slots=context)
    assert turn.responses == ["utter_added_to_cart"]
    assert (turn.messages[0]["quantity"], turn.messages[0]["product"], turn.messages[0]["variant"]) == (
        2,
        "Heavyweight Hoodie",
        " (black, M)",
    )
    assert shop.cart("web-ana") == [("HOOD-HVY-BLK-M", 2)]


def test_a_stray_letter_tagged_as_size_does_not_override_the_context(shop):
    context = {"last_product": "Heavyweight Hoodie", "last_color": "grey", "last_size": "M"}
    turn = add_turn("i'll take them", {"size": "ll"}, slots=context)  # NLU read "I'll" as a size
    assert turn.messages == []
    assert (turn.slots["cart_color"], turn.slots["cart_size"], turn.slots["cart_quantity"]) == ("grey", "M", None)
    turn = add_turn("i'll take one", {"size": "ll", "quantity": "one"}, slots=context)
    assert turn.responses == ["utter_added_to_cart"]
    assert shop.cart("web-ana") == [("HOOD-HVY-GRY-M", 1)]
    turn = add_turn("i'll take it", {"size": "ll"}, slots=context)  # "it" is one of it
    assert turn.responses == ["utter_added_to_cart"]
    assert shop.cart("web-ana") == [("HOOD-HVY-GRY-M", 2)]


def test_an_ambiguous_product_offers_buttons_that_keep_what_was_said(shop):
    turn = add_turn("2 tshirts in M", {"product": "tshirt", "size": "M", "quantity": "2"})
    assert turn.responses == ["utter_which_product"]
    choices = [payload_of(b) for b in turn.messages[0]["buttons"]]
    assert ("add_to_cart", {"product": "Logo Tee", "size": "M", "quantity": "2"}) in choices
    assert ("add_to_cart", {"product": "Oversized Tee", "size": "M", "quantity": "2"}) in choices
    assert slot_sets(turn.start_events) == {**CART_RESET, "cart_form_needed": False, "checkout_after_line": False}


def test_an_unknown_product_named(shop):
    turn = add_turn("add a wool scarf", {"product": "wool scarf"})
    assert turn.responses == ["utter_product_not_found"]
    assert turn.messages[0]["query"] == "wool scarf"
    assert not turn.form_started


def test_each_shopper_has_their_own_cart(shop):
    add_turn("a sticker pack", {"product": "sticker pack", "quantity": "1"}, sender="web-ana")
    turn = add_turn("a dad cap in black", {"product": "dad cap", "color": "black", "quantity": "1"}, sender="web-ben")
    assert turn.messages[0]["cart_total"] == "€22.00"
    assert shop.cart("web-ana") == [("STK-PACK", 1)]
    assert shop.cart("web-ben") == [("CAP-DAD-BLK", 1)]


# --- the add_to_cart form ------------------------------------------------------------------------------------------

HOODIE = {"cart_product": "Heavyweight Hoodie", "cart_color": "black", "last_product": "Heavyweight Hoodie"}


def validate(requested: str, text: str, intent: str = "inform", entities=None, slots=None, confidence=0.97):
    return run(
        ValidateAddToCartForm(),
        form_turn_tracker("add_to_cart_form", requested, text, intent, entities, slots, confidence=confidence),
    )


def test_the_form_reads_a_size_answer(shop):
    messages, events = validate("cart_size", "medium pls", slots=HOODIE)
    assert messages == []
    assert slot_sets(events) == {"cart_size": "M"}


def test_the_form_reads_a_size_entity(shop):
    messages, events = validate("cart_size", "L", entities={"size": "L"}, slots=HOODIE)
    assert slot_sets(events) == {"cart_size": "L"}


def test_the_form_refuses_an_out_of_stock_size(shop):
    messages, events = validate("cart_size", "XL", entities={"size": "XL"}, slots=HOODIE)
    assert responses(messages) == ["utter_variant_out_of_stock"]
    assert slot_sets(events) == {"cart_size": None}


def test_the_form_refuses_a_size_not_offered(shop):
    messages, events = validate("cart_size", "xxs", slots=HOODIE)
    assert responses(messages) == ["utter_invalid_size"]
    assert messages[0]["options"] == "S, M, L, XL"
    assert slot_sets(events) == {"cart_size": None}


def test_the_form_reads_a_colour_with_a_typo(shop):
    messages, events = validate("cart_color", "gray", slots={"cart_product": "Heavyweight Hoodie"})
    assert messages == []
    assert slot_sets(events) == {"cart_color": "grey"}


def test_the_form_reads_a_quantity_in_words(shop):
    messages, events = validate("cart_quantity", "two please", slots={**HOODIE, "cart_size": "M"})
    assert messages == []
    assert slot_sets(events) == {"cart_quantity": "2"}


def test_a_number_said_with_another_products_name_is_not_this_lines_quantity(shop):
    slots = {**HOODIE, "cart_size": "M"}
    _, events = validate(
        "cart_quantity", "and one enamel mug too", entities={"quantity": "one", "product": "Enamel Mug"}, slots=slots
    )
    assert "cart_quantity" not in slot_sets(events)
    _, events = validate(
        "cart_quantity", "2 of the hoodies", entities={"quantity": "2", "product": "hoodies"}, slots=slots
    )
    assert slot_sets(events) == {"cart_quantity": "2"}


def test_the_form_refuses_a_quantity_above_stock(shop):
    slots = {"cart_product": "Zip Hoodie", "cart_color": "navy", "cart_size": "L"}
    messages, events = validate("cart_quantity", "3", entities={"quantity": "3"}, slots=slots)
    assert responses(messages) == ["utter_quantity_above_stock"]
    assert messages[0]["available"] == 1
    assert slot_sets(events) == {"cart_quantity": None}


def test_the_form_refuses_a_quantity_that_is_not_a_number(shop):
    messages, events = validate("cart_quantity", "lots", slots={**HOODIE, "cart_size": "M"})
    assert responses(messages) == ["utter_invalid_quantity"]
    assert slot_sets(events) == {"cart_quantity": None}


def test_the_form_resolves_the_product_answer(shop):
    messages, events = validate("cart_product", "the travel mug", slots={})
    assert messages == []
    slots = slot_sets(events)
    assert (slots["cart_product"], slots["cart_color"], slots["cart_size"]) == ("Travel Mug", "black", "-")
    assert slots["last_product"] == "Travel Mug"


def test_the_form_asks_which_product_when_ambiguous(shop):
    messages, events = validate("cart_product", "the mug", slots={})
    assert responses(messages) == ["utter_which_product"]
    assert [payload_of(b) for b in messages[0]["buttons"]] == [
        ("inform", {"product": "Enamel Mug"}),
        ("inform", {"product": "Travel Mug"}),
    ]
    assert slot_sets(events) == {"cart_product": None}


def test_a_question_in_the_middle_of_the_form_fills_nothing(shop):
    messages, events = validate("cart_size", "how much is shipping to lyon", intent="ask_shipping", slots=HOODIE)
    assert messages == []
    assert slot_sets(events) == {}


def test_the_form_does_not_reread_the_message_that_started_it(shop):
    """On activation the start action already read (and complained about) the message: no second complaint."""
    form_events = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "black hoodie XL", "parse_data": {}, "input_channel": "rest"},
        {"event": "action", "name": "action_start_cart_line"},
        {"event": "action", "name": "add_to_cart_form"},
    ]
    activation = tracker(
        text="black hoodie XL",
        intent="add_to_cart",
        entities={"product": "hoodie", "color": "black", "size": "XL"},
        slots={**HOODIE, "requested_slot": None},
        events=form_events,
        active_loop="add_to_cart_form",
    )
    messages, events = run(ValidateAddToCartForm(), activation)
    assert messages == []
    assert slot_sets(events) == {}


def test_the_size_question_offers_sizes_in_stock(shop):
    messages, _ = run(ActionAskCartSize(), tracker(slots=HOODIE))
    assert responses(messages) == ["utter_ask_cart_size"]
    assert messages[0]["options"] == "S, M, L"
    assert [b["title"] for b in messages[0]["buttons"]] == ["S", "M", "L"]


# --- when the form is complete -------------------------------------------------------------------------------------


def test_add_to_cart_adds_the_chosen_line(shop):
    slots = {**HOODIE, "cart_size": "L", "cart_quantity": "2"}
    messages, events = run(ActionAddToCart(), tracker(text="2", intent="inform", slots=slots))
    assert responses(messages) == ["utter_added_to_cart"]
    assert (messages[0]["line_total"], messages[0]["cart_total"]) == ("€118.00", "€118.00")
    assert slot_sets(events) == CART_RESET
    assert shop.cart("web-ana") == [("HOOD-HVY-BLK-L", 2)]


def test_add_to_cart_checks_stock_again(shop):
    slots = {**HOODIE, "cart_size": "L", "cart_quantity": "2"}
    shop.set_variant("HOOD-HVY-BLK-L", stock=1)  # sold while the shopper answered the form
    messages, events = run(ActionAddToCart(), tracker(text="2", intent="inform", slots=slots))
    assert responses(messages) == ["utter_quantity_above_stock"]
    assert messages[0]["available"] == 1
    assert shop.cart("web-ana") == []
    assert slot_sets(events) == CART_RESET


def test_add_to_cart_without_a_variant(shop):
    messages, events = run(ActionAddToCart(), tracker(slots={"cart_product": "No Such Thing", "cart_quantity": "1"}))
    assert responses(messages) == ["utter_default"]
    assert shop.cart("web-ana") == []


# --- viewing and removing ------------------------------------------------------------------------------------------


def test_view_an_empty_cart(shop):
    messages, events = run(ActionViewCart(), tracker(text="my cart", intent="view_cart"))
    assert responses(messages) == ["utter_cart_empty"] and events == []


def test_view_the_cart_with_live_prices(shop):
    shop.fill_cart("web-ana", [("TEE-LOGO-BLK-M", 2), ("STK-PACK", 1)])
    shop.set_variant("STK-PACK", price_minor=500)
    messages, _ = run(ActionViewCart(), tracker(text="my cart", intent="view_cart"))
    assert responses(messages) == ["utter_cart_contents"]
    assert messages[0]["lines"] == "• 2 × Logo Tee (black, M) — €49.80\n• 1 × Sticker Pack — €5.00"
    assert messages[0]["total"] == "€54.80"


def test_view_the_cart_drops_a_deactivated_sku(shop):
    shop.fill_cart("web-ana", [("TEE-LOGO-BLK-M", 1), ("CAP-DAD-BEI", 1)])
    shop.set_variant("CAP-DAD-BEI", active=False)
    messages, _ = run(ActionViewCart(), tracker(text="my cart", intent="view_cart"))
    assert messages[0]["lines"] == "• 1 × Logo Tee (black, M) — €24.90"
    assert shop.cart("web-ana") == [("TEE-LOGO-BLK-M", 1)]


def remove(text: str, entities: dict | None = None, sender: str = "web-ana"):
    return run(ActionRemoveFromCart(), tracker(sender, text, "remove_from_cart", entities))


def test_remove_a_named_line(shop):
    shop.fill_cart("web-ana", [("TEE-LOGO-BLK-M", 2), ("CAP-DAD-BEI", 1)])
    messages, _ = remove("remove the logo tee", {"product": "logo tee"})
    assert responses(messages) == ["utter_removed_from_cart"]
    assert (messages[0]["product"], messages[0]["variant"], messages[0]["cart_state"]) == (
        "Logo Tee",
        " (black, M)",
        "Cart total: €22.00.",
    )
    assert shop.cart("web-ana") == [("CAP-DAD-BEI", 1)]


def test_remove_some_of_a_line(shop):
    shop.fill_cart("web-ana", [("TEE-LOGO-BLK-M", 3)])
    messages, _ = remove("remove one logo tee", {"product": "logo tee", "quantity": "1"})
    assert responses(messages) == ["utter_removed_from_cart"]
    assert messages[0]["cart_state"] == "Cart total: €49.80."
    assert shop.cart("web-ana") == [("TEE-LOGO-BLK-M", 2)]


def test_remove_the_only_line_without_naming_it(shop):
    shop.fill_cart("web-ana", [("STK-PACK", 2)])
    messages, _ = remove("remove it")
    assert responses(messages) == ["utter_removed_from_cart"]
    assert messages[0]["cart_state"] == "Your cart is now empty."
    assert shop.cart("web-ana") == []


def test_clear_everything_empties_the_cart_and_all_of_a_named_product_is_that_line(shop):
    shop.fill_cart("web-ana", [("TEE-LOGO-BLK-M", 2), ("STK-PACK", 1)])
    messages, _ = remove("remove all the logo tees", {"product": "logo tee"})
    assert responses(messages) == ["utter_removed_from_cart"] and shop.cart("web-ana") == [("STK-PACK", 1)]
    shop.fill_cart("web-ana", [("TEE-LOGO-BLK-M", 1)])
    messages, _ = remove("clear everything from my basket")
    assert responses(messages) == ["utter_cart_empty"] and shop.cart("web-ana") == []


def test_remove_asks_which_line_when_several_fit(shop):
    shop.fill_cart("web-ana", [("TEE-LOGO-BLK-M", 1), ("TEE-LOGO-WHT-M", 1)])
    messages, _ = remove("remove the logo tee", {"product": "logo tee"})
    assert responses(messages) == ["utter_which_line_to_remove"]
    assert [payload_of(b) for b in messages[0]["buttons"]] == [
        ("remove_from_cart", {"product": "Logo Tee", "color": "black", "size": "M"}),
        ("remove_from_cart", {"product": "Logo Tee", "color": "white", "size": "M"}),
    ]
    messages, _ = remove("remove the white logo tee", {"product": "Logo Tee", "color": "white", "size": "M"})
    assert responses(messages) == ["utter_removed_from_cart"]
    assert shop.cart("web-ana") == [("TEE-LOGO-BLK-M", 1)]


def test_remove_something_not_in_the_cart(shop):
    shop.fill_cart("web-ana", [("STK-PACK", 1)])
    messages, _ = remove("remove the zip hoodie", {"product": "zip hoodie"})
    assert responses(messages) == ["utter_not_in_cart"]
    assert (messages[0]["query"], messages[0]["cart_state"]) == ("zip hoodie", "Cart total: €4.50.")
    assert shop.cart("web-ana") == [("STK-PACK", 1)]


def test_remove_from_an_empty_cart(shop):
    messages, _ = remove("remove the logo tee", {"product": "logo tee"})
    assert responses(messages) == ["utter_cart_empty"]


def test_remove_never_touches_another_shoppers_cart(shop):
    shop.fill_cart("web-ben", [("STK-PACK", 1)])
    shop.fill_cart("web-ana", [("CAP-DAD-BEI", 1)])
    messages, _ = remove("remove the sticker pack", {"product": "sticker pack"})
    assert responses(messages) == ["utter_not_in_cart"]
    assert shop.cart("web-ben") == [("STK-PACK", 1)]


def test_a_size_that_comes_in_one_colour_fills_the_colour(shop):
    turn = add_turn("a heavyweight hoodie in S", {"product": "heavyweight hoodie", "size": "S"})
    assert turn.responses == ["utter_added_to_cart"] and not turn.form_started
    assert shop.cart("web-ana") == [("HOOD-HVY-BLK-S", 1)]


def test_a_sold_out_colour_is_asked_again_not_the_size(shop):
    with shop.db.transaction() as session:
        session.execute(update(Variant).where(Variant.sku.like("HOOD-HVY-GRY-%")).values(stock=0))
    turn = add_turn("one grey heavyweight hoodie", {"product": "heavyweight hoodie", "color": "grey"})
    assert turn.responses[0] == "utter_variant_out_of_stock"
    assert turn.messages[0]["variant"] == "grey"
    assert turn.slots["cart_color"] is None and turn.form_started
