"""Adding to, removing from and showing the shopper's cart."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import runtime
from actions.cart_lines import (
    LineCheck,
    above_stock,
    automatic_choices,
    check_color,
    check_size,
    choice,
    color_left,
    colors_of,
    in_stock,
    say,
    size_left,
    sizes_of,
)
from actions.catalog_actions import categories_text
from actions.checkout_start import checkout_form_follows, start_checkout
from actions.code_replies import total_with_breakdown
from actions.common import (
    ShopAction,
    button,
    entity,
    latest_text,
    phrase,
    shopper,
    shopper_message_id,
)
from actions.parsing import SIZE_WORDS, article_quantity, parse_color, parse_quantity, parse_size
from checkout.carts import NotInCart, WhichCartLine, add_cart_line, empty_cart, remove_cart_line, view_cart
from checkout.catalog.matching import read, resolve_product
from checkout.catalog.queries import active_variants, list_products
from checkout.catalog.terms_file import terms_of
from checkout.customers.identity import ShopperIdentity, identify
from checkout.errors import CartEmpty, CartLineAboveStock, InvalidQuantity, NoSuchVariant
from checkout.orders.labels import variant_label
from checkout.promotions.pricing import NO_FEES, DeliveryFees
from checkout.understanding.reading import split_requests

CART_SLOTS = ("cart_product", "cart_color", "cart_size", "cart_quantity")
# The whole cart, not one line of it ("clear everything from my basket", "empty my cart", "remove all of it").
EVERYTHING = re.compile(r"\b(?:everything|empty|whole|entire|all)\b", re.I)


def reset_cart_slots() -> list[SlotSet]:
    return [SlotSet(s, None) for s in CART_SLOTS]


class ActionStartCartLine(ShopAction):
    """'I'll take 2 black hoodies in M': add at once when everything is known, otherwise ask for the rest."""

    action_name = "action_start_cart_line"

    def act(self, dispatcher, tracker, domain):
        text = latest_text(tracker)
        with runtime.database().reading() as session:
            pieces = split_requests(terms_of(list_products(session)), text)
        if len(pieces) > 1:
            return self._several_lines(dispatcher, tracker, domain, pieces)
        return self._start_line(
            dispatcher,
            tracker,
            domain,
            text,
            entity(tracker, "color"),
            entity(tracker, "size"),
            entity(tracker, "product"),
            entity(tracker, "quantity"),
        )

    def _several_lines(self, dispatcher, tracker, domain, pieces: list[str]) -> list:
        """ "two red notebooks a5 and a brown bookmark": each line said in full is added now; the first that
        needs a question goes to the form, and the shopper is told which ones to say again after it."""
        for index, piece in enumerate(pieces):
            events = self._start_line(dispatcher, tracker, domain, piece, None, None, None, None)
            if any(e.get("name") == "cart_form_needed" and e.get("value") for e in events):
                later = pieces[index + 1 :]
                if later:
                    dispatcher.utter_message(response="utter_one_line_at_a_time", later="; ".join(later)[:200])
                return events
        return events

    def _start_line(
        self,
        dispatcher,
        tracker,
        domain,
        text: str,
        color: str | None,
        size: str | None,
        named: str | None,
        quantity: str | None,
    ) -> list:
        with runtime.database().reading() as session:
            products = list_products(session)
            # "2 beanies": a category named alone stands for its products (one, or a choice)
            resolution = resolve_product(products, named or text, color, size)
            reading = read(products, text)
            color, size = color or reading.color, size or reading.size
            quantity = quantity or said_quantity(reading) or article_quantity(text)
            if resolution.product is None and not resolution.candidates and not named:
                # "ok I'll take 2" after asking about the black hoodie in M: that product, colour and size
                resolution = resolve_product(products, tracker.get_slot("last_product") or "", color, size)
                if resolution.product is not None:
                    if not color or not parse_color(color, colors_of(resolution.product)):
                        color = tracker.get_slot("last_color") or color
                    if not size or not parse_size(size, sizes_of(resolution.product)):
                        size = tracker.get_slot("last_size") or size
            if resolution.ambiguous:
                extra = {k: v for k, v in (("color", color), ("size", size), ("quantity", quantity)) if v}
                dispatcher.utter_message(
                    response="utter_which_product",
                    buttons=[button(p.name, "add_to_cart", product=p.name, **extra) for p in resolution.candidates[:8]],
                )
                return self._not_started()
            product = resolution.product
            if product is None and named:
                dispatcher.utter_message(
                    response="utter_product_not_found", query=named[:60], categories=categories_text(session)
                )
                return self._not_started()
            if product is not None and not any(in_stock(v) for v in active_variants(product)):
                dispatcher.utter_message(response="utter_product_out_of_stock", product=product.name)
                return self._not_started() + [SlotSet("last_product", product.name)]
            slots = self._known_choices(dispatcher, product, color, size, quantity)
        if product is not None and all(slots.get(s) for s in CART_SLOTS):
            # Everything said at once ("2 black hoodies in M"): added now, no question asked.
            check = add_chosen_line(dispatcher, domain, shopper(tracker), slots, shopper_message_id(tracker))
            if check.ok:
                return self._not_started() + [SlotSet("last_product", product.name)]
            say(dispatcher, check)
            slots["cart_quantity"] = None
        # The form asks for whatever is still missing; the line is added when it completes. Any other
        # form is left first: a shopper who adds an item mid-checkout is not asked for an address.
        events = [
            ActiveLoop(None),
            *(SlotSet(s, slots.get(s)) for s in CART_SLOTS),
            SlotSet("cart_form_needed", True),
            SlotSet("checkout_after_line", False),
        ]
        if product is not None:
            events.append(SlotSet("last_product", product.name))
        return events

    @staticmethod
    def _not_started() -> list:
        """No form follows: the line was added at once, or cannot be added (the reply says why)."""
        return [
            ActiveLoop(None),
            *reset_cart_slots(),
            SlotSet("cart_form_needed", False),
            SlotSet("checkout_after_line", False),
        ]

    @staticmethod
    def _known_choices(dispatcher, product, color, size, quantity) -> dict[str, Any]:
        if product is None:
            return {}
        slots: dict[str, Any] = {"cart_product": product.name, **automatic_choices(product)}
        if color and "cart_color" not in slots:
            color = parse_color(color, colors_of(product)) or color.lower()
            check = check_color(product, color)
            slots["cart_color"] = color if check.ok else None
            if not check.ok:
                say(dispatcher, check)
            elif not size:
                slots.update(size_left(product, color))
        if size and "cart_size" not in slots:
            parsed = parse_size(size, sizes_of(product))
            if parsed or size.lower() in SIZE_WORDS:  # otherwise NLU tagged a stray letter ("I'll")
                check = check_size(product, choice(slots.get("cart_color")), parsed or size.upper())
                slots["cart_size"] = parsed if check.ok else None
                if not check.ok:
                    say(dispatcher, check)
                elif parsed and not slots.get("cart_color"):
                    slots.update(color_left(product, parsed))
        if quantity:
            amount = parse_quantity(quantity)
            slots["cart_quantity"] = str(amount) if amount and amount > 0 else None
        return slots


def said_quantity(reading) -> str | None:
    """How many the words say: a number before the product, or "a"/"the"/"one" (one of it)."""
    if reading.quantity is not None:
        return str(reading.quantity)
    return "1" if reading.says_one else None


def add_chosen_line(
    dispatcher: CollectingDispatcher, domain: dict, identity: ShopperIdentity, values: dict, message_id: str | None
) -> LineCheck:
    """Adds the line the cart slots describe, after checking it against the stock at this moment (once for the
    shopper message `message_id`)."""
    color, size = choice(values.get("cart_color")), choice(values.get("cart_size"))
    try:
        added = add_cart_line(
            runtime.database(),
            identity,
            values.get("cart_product"),
            color,
            size,
            parse_quantity(values.get("cart_quantity") or "") or 0,
            runtime.settings().shop_currency,
            runtime.settings().delivery_fees,
            message_id=message_id,
        )
    except NoSuchVariant:
        return LineCheck(False, "utter_default", {})
    except InvalidQuantity:
        return LineCheck(False, "utter_invalid_quantity", {})
    except CartLineAboveStock as refused:
        return above_stock(refused, color, size)
    label = variant_label(added.color, added.size)
    dispatcher.utter_message(
        response="utter_added_to_cart",
        quantity=added.quantity,
        product=added.product,
        variant=f" ({label})" if label else "",
        line_total=added.line_total.display(),
        cart_total=total_with_breakdown(domain, added.cart),
    )
    return LineCheck(True)


class ActionAddToCart(ShopAction):
    """Runs when the add_to_cart form has every choice: adds the line, or says why it cannot."""

    action_name = "action_add_to_cart"

    def act(self, dispatcher, tracker, domain):
        slots = {s: tracker.get_slot(s) for s in CART_SLOTS}
        check = add_chosen_line(dispatcher, domain, shopper(tracker), slots, shopper_message_id(tracker))
        if not check.ok:
            say(dispatcher, check)
        if not tracker.get_slot("checkout_after_line"):
            return reset_cart_slots()
        # The shopper asked to check out while this line was pending: now is the time.
        events = (
            reset_cart_slots() + [SlotSet("checkout_after_line", False)] + start_checkout(dispatcher, tracker, domain)
        )
        return events + checkout_form_follows(events)


def cart_state(domain, cart) -> str:
    return (
        phrase(domain, "phrase_cart_now_empty")
        if cart.is_empty
        else phrase(domain, "phrase_cart_total", total=total_with_breakdown(domain, cart))
    )


def cart_lines_text(cart, fees: DeliveryFees = NO_FEES) -> str:
    """The cart's lines, then, when a code or the shop's delivery fee changes the total, the rows that make
    the total a shopper reads add up (a shop without a fee and a cart without a code: lines only, as before)."""
    lines = [
        f"• {line.quantity} × {line.variant.product.name}"
        + (f" ({label})" if (label := variant_label(line.variant.color, line.variant.size)) else "")
        + f" — {line.line_total.display()}"
        for line in cart.lines
    ]
    applied = cart.discount is not None and cart.discount.refused is None
    if applied or fees.fee_minor:
        lines.append(f"Subtotal: {cart.subtotal.display()}")
        if applied:
            lines.append(f"Discount ({cart.discount.code}): -{cart.discount.amount.display()}")
        lines.append(f"Delivery: {cart.delivery.display() if cart.delivery.amount_minor else 'free'}")
    return "\n".join(lines)


def priced_cart(session, tracker):
    """The shopper's cart priced as the order would be: the code it holds, the shop's delivery fee."""
    settings = runtime.settings()
    return view_cart(session, identify(session, shopper(tracker)), settings.shop_currency, settings.delivery_fees)


class ActionViewCart(ShopAction):
    action_name = "action_view_cart"

    def act(self, dispatcher, tracker, domain):
        with runtime.database().transaction() as session:
            cart = priced_cart(session, tracker)
            if cart.is_empty:
                dispatcher.utter_message(response="utter_cart_empty")
            else:
                dispatcher.utter_message(
                    response="utter_cart_contents",
                    lines=cart_lines_text(cart, runtime.settings().delivery_fees),
                    total=cart.total.display(),
                )
        return []


class ActionRemoveFromCart(ShopAction):
    action_name = "action_remove_from_cart"

    def act(self, dispatcher, tracker, domain):
        if not entity(tracker, "product") and EVERYTHING.search(latest_text(tracker)):
            empty_cart(runtime.database(), shopper(tracker))  # "clear everything", "empty my basket"
            dispatcher.utter_message(response="utter_cart_empty")
            return []
        quantity = parse_quantity(entity(tracker, "quantity") or "") if entity(tracker, "quantity") else None
        try:
            removed = remove_cart_line(
                runtime.database(),
                shopper(tracker),
                latest_text(tracker),
                runtime.settings().shop_currency,
                named=entity(tracker, "product"),
                color=entity(tracker, "color"),
                size=entity(tracker, "size"),
                quantity=quantity,
                fees=runtime.settings().delivery_fees,
                message_id=shopper_message_id(tracker),
            )
        except CartEmpty:
            dispatcher.utter_message(response="utter_cart_empty")
            return []
        except NotInCart as missing:
            dispatcher.utter_message(
                response="utter_not_in_cart", query=missing.query[:60], cart_state=cart_state(domain, missing.cart)
            )
            return []
        except WhichCartLine as unclear:
            dispatcher.utter_message(
                response="utter_which_line_to_remove",
                buttons=[
                    button(
                        f"{line.variant.product.name} {variant_label(line.variant.color, line.variant.size)}".strip(),
                        "remove_from_cart",
                        product=line.variant.product.name,
                        **{k: v for k, v in (("color", line.variant.color), ("size", line.variant.size)) if v},
                    )
                    for line in unclear.choices[:8]
                ],
            )
            return []
        label = variant_label(removed.color, removed.size)
        dispatcher.utter_message(
            response="utter_removed_from_cart",
            product=removed.product,
            variant=f" ({label})" if label else "",
            cart_state=cart_state(domain, removed.cart),
        )
        return []
