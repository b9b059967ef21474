"""The add-to-cart form: asks for the product, colour, size and quantity still missing, one at a time,
checking each answer against the live catalog and stock."""

from __future__ import annotations

import asyncio

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.types import DomainDict

from actions import runtime
from actions.cart_lines import (
    NO_CHOICE,
    automatic_choices,
    check_color,
    check_quantity,
    check_size,
    choice,
    color_left,
    colors_of,
    find_variant,
    in_stock,
    option_buttons,
    product_named,
    say,
    size_left,
    sizes_of,
)
from actions.catalog_actions import categories_text, product_buttons
from actions.common import (
    ShopAction,
    button,
    entity,
    is_interruption,
    latest_intent,
    latest_text,
    shopper,
    skips_empty,
)
from actions.parsing import parse_color, parse_quantity, parse_size
from checkout.catalog.matching import resolve_product
from checkout.catalog.queries import active_variants, list_products
from checkout.customers.identity import identify
from checkout.orders.labels import variant_label
from checkout.understanding.text import FUNCTION_WORDS, fold, tokenize


def _new_user_turn(tracker: Tracker) -> bool:
    """True when the form runs on a fresh shopper message, not on its activation by the start action
    (which already read that message: reading it again would repeat every complaint)."""
    # Rasa appends the form's own ActionExecuted before asking us to validate; the action before it
    # is action_listen on a shopper's turn, and the start action on activation.
    actions = [e.get("name") for e in tracker.events if e.get("event") == "action"]
    return len(actions) >= 2 and actions[-2] == "action_listen"


def names_another_product(named: str | None, pending: str | None) -> bool:
    """A product named that shares no word (nor a word's first five letters: "hoodies", "hoodie") with the pending
    line's."""
    said = {w[:5] for w in fold(named or "").split() if w not in FUNCTION_WORDS}
    return bool(said) and not said & {w[:5] for w in fold(pending or "").split()}


class ValidateAddToCartForm(FormValidationAction):
    """Fills and checks the missing choices of a cart line, one question at a time."""

    def name(self) -> str:
        return "validate_add_to_cart_form"

    # --- extraction: entities first, then the plain text when it answers the question asked. Text that
    # answers nothing (a question about shipping) is left alone, so the form steps aside for that turn.
    async def extract_cart_product(self, dispatcher, tracker: Tracker, domain: DomainDict) -> dict:
        if not _new_user_turn(tracker) or tracker.get_slot("requested_slot") != "cart_product":
            return {}
        if is_interruption(tracker):
            return {}
        value = entity(tracker, "product") or latest_text(tracker)
        return {"cart_product": value} if tokenize(value) else {}

    async def extract_cart_color(self, dispatcher, tracker, domain) -> dict:
        return await asyncio.to_thread(self._extract_choice, tracker, "cart_color", "color", parse_color, colors_of)

    async def extract_cart_size(self, dispatcher, tracker, domain) -> dict:
        return await asyncio.to_thread(self._extract_choice, tracker, "cart_size", "size", parse_size, sizes_of)

    def _extract_choice(self, tracker, slot, entity_name, parse, options_of) -> dict:
        if not _new_user_turn(tracker):
            return {}
        requested = tracker.get_slot("requested_slot") == slot
        with runtime.database().reading() as session:
            product = product_named(session, tracker.get_slot("cart_product"))
            options = options_of(product) if product else []
        for text in filter(None, (entity(tracker, entity_name), latest_text(tracker) if requested else None)):
            value = parse(text, options)
            if value:
                return {slot: value}
        if requested and latest_intent(tracker) == "inform" and not is_interruption(tracker):
            return {slot: entity(tracker, entity_name) or latest_text(tracker)[:30]}  # said, but not offered
        return {}

    async def extract_cart_quantity(self, dispatcher, tracker, domain) -> dict:
        if not _new_user_turn(tracker):
            return {}
        value = entity(tracker, "quantity")
        if names_another_product(entity(tracker, "product"), tracker.get_slot("cart_product")):
            return {}  # "and one midnight in lisbon too": that number is the other product's, not this line's
        if value is None and tracker.get_slot("requested_slot") == "cart_quantity" and not is_interruption(tracker):
            text = latest_text(tracker)
            if parse_quantity(text) is not None or latest_intent(tracker) == "inform":
                value = text
        return {"cart_quantity": value} if value else {}

    # --- validation against the live catalog ---
    @skips_empty
    async def validate_cart_product(self, value, dispatcher, tracker, domain) -> dict:
        return await asyncio.to_thread(self._validate_product, value, dispatcher, tracker)

    def _validate_product(self, value, dispatcher, tracker) -> dict:
        with runtime.database().reading() as session:
            products = list_products(session)
            resolution = resolve_product(products, value)
            if resolution.ambiguous:
                dispatcher.utter_message(
                    response="utter_which_product",
                    buttons=[button(p.name, "inform", product=p.name) for p in resolution.candidates[:8]],
                )
                return {"cart_product": None}
            product = resolution.product
            if product is None:
                dispatcher.utter_message(
                    response="utter_product_not_found", query=str(value)[:60], categories=categories_text(session)
                )
                return {"cart_product": None}
            if not any(in_stock(v) for v in active_variants(product)):
                dispatcher.utter_message(response="utter_product_out_of_stock", product=product.name)
                return {"cart_product": None}
            if product.name == tracker.get_slot("last_product"):
                # the same product (the form re-checks what the first message said): keep its choices
                return {"cart_product": product.name, **automatic_choices(product)}
            return {
                "cart_product": product.name,
                "last_product": product.name,
                "cart_color": None,
                "cart_size": None,
                **automatic_choices(product),
            }

    @skips_empty
    async def validate_cart_color(self, value, dispatcher, tracker, domain) -> dict:
        return await asyncio.to_thread(self._validate_choice, "cart_color", value, dispatcher, tracker)

    @skips_empty
    async def validate_cart_size(self, value, dispatcher, tracker, domain) -> dict:
        return await asyncio.to_thread(self._validate_choice, "cart_size", value, dispatcher, tracker)

    def _validate_choice(self, slot: str, value, dispatcher, tracker) -> dict:
        if value == NO_CHOICE:
            return {slot: value}
        with runtime.database().reading() as session:
            product = product_named(session, tracker.get_slot("cart_product"))
            if product is None:
                return {slot: None}
            if slot == "cart_color":
                color = parse_color(value, colors_of(product)) or str(value).lower()[:30]
                check = check_color(product, color)
                result = {slot: color, **(size_left(product, color) if not tracker.get_slot("cart_size") else {})}
            else:
                chosen_color = choice(tracker.get_slot("cart_color"))
                size = parse_size(value, sizes_of(product)) or str(value).upper()[:10]
                check = check_size(product, chosen_color, size)
                result = {slot: size, **(color_left(product, size) if not chosen_color else {})}
            if not check.ok:
                say(dispatcher, check)
                return {slot: None}
            return result

    @skips_empty
    async def validate_cart_quantity(self, value, dispatcher, tracker, domain) -> dict:
        return await asyncio.to_thread(self._validate_quantity, value, dispatcher, tracker)

    def _validate_quantity(self, value, dispatcher, tracker) -> dict:
        quantity = parse_quantity(str(value))
        if quantity is None or quantity < 1:
            dispatcher.utter_message(response="utter_invalid_quantity")
            return {"cart_quantity": None}
        with runtime.database().transaction() as session:
            product = product_named(session, tracker.get_slot("cart_product"))
            variant = (
                find_variant(product, choice(tracker.get_slot("cart_color")), choice(tracker.get_slot("cart_size")))
                if product
                else None
            )
            if variant is None:  # colour/size not chosen yet: checked again when the line is added
                return {"cart_quantity": str(quantity)}
            check = check_quantity(session, identify(session, shopper(tracker)), variant, quantity)
            if not check.ok:
                say(dispatcher, check)
                return {"cart_quantity": None}
        return {"cart_quantity": str(quantity)}


class ActionAskCartProduct(ShopAction):
    action_name = "action_ask_cart_product"

    def act(self, dispatcher, tracker, domain):
        with runtime.database().reading() as session:
            buttons = product_buttons(list_products(session), intent="inform")
        dispatcher.utter_message(response="utter_ask_cart_product", buttons=buttons)
        return []


class ActionAskCartColor(ShopAction):
    action_name = "action_ask_cart_color"

    def act(self, dispatcher, tracker, domain):
        with runtime.database().reading() as session:
            product = product_named(session, tracker.get_slot("cart_product"))
            colors = colors_of(product) if product else []
        dispatcher.utter_message(
            response="utter_ask_cart_color", options=", ".join(colors), buttons=option_buttons(colors, "color")
        )
        return []


class ActionAskCartSize(ShopAction):
    action_name = "action_ask_cart_size"

    def act(self, dispatcher, tracker, domain):
        with runtime.database().reading() as session:
            product = product_named(session, tracker.get_slot("cart_product"))
            color = choice(tracker.get_slot("cart_color"))
            sizes = sizes_of(product, color) if product else []
            available = (
                [s for s in sizes if (variant := find_variant(product, color, s)) is not None and in_stock(variant)]
                if product
                else []
            )
        dispatcher.utter_message(
            response="utter_ask_cart_size",
            options=", ".join(available or sizes),
            buttons=option_buttons(available, "size"),
        )
        return []


class ActionAskCartQuantity(ShopAction):
    action_name = "action_ask_cart_quantity"

    def act(self, dispatcher, tracker, domain):
        label = variant_label(choice(tracker.get_slot("cart_color")), choice(tracker.get_slot("cart_size")))
        dispatcher.utter_message(
            response="utter_ask_cart_quantity",
            product=tracker.get_slot("cart_product") or "",
            variant=f" ({label})" if label else "",
            buttons=option_buttons(["1", "2", "3"], "quantity"),
        )
        return []
