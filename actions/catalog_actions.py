"""Answers about the catalog, read from the database at the moment of asking."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import runtime
from actions.common import ShopAction, button, entity, latest_text, phrase, price
from checkout.catalog.matching import read, resolve_product
from checkout.catalog.queries import active_variants, list_categories, list_products
from checkout.db.models import Product, Variant
from checkout.orders.labels import variant_label

MAX_PRODUCTS_PER_MESSAGE = 8
MAX_CATEGORY_BUTTONS = 12
LOW_STOCK = 3  # at or below this, shoppers are told exactly how many are left


def stock_phrase(domain: dict[str, Any], variant: Variant) -> str:
    if variant.stock is None or variant.stock > LOW_STOCK:
        return phrase(domain, "phrase_in_stock")
    if variant.stock == 0:
        return phrase(domain, "phrase_out_of_stock")
    return phrase(domain, "phrase_only_left", count=variant.stock)


def price_text(domain: dict[str, Any], variants: list[Variant]) -> str:
    prices = sorted({(v.price_minor, v.currency) for v in variants})
    if not prices:
        return ""
    low = price(*prices[0])
    return low if len(prices) == 1 else phrase(domain, "phrase_price_range", low=low)


def categories_text(session) -> str:
    return ", ".join(c.name for c in list_categories(session))


def product_buttons(products: list[Product], intent: str = "product_info") -> list[dict]:
    return [button(p.name, intent, product=p.name) for p in products[:MAX_PRODUCTS_PER_MESSAGE]]


class ActionBrowseCatalog(ShopAction):
    action_name = "action_browse_catalog"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        category = (entity(tracker, "category") or "").lower()
        with runtime.database().reading() as session:
            categories = list_categories(session)
            if not category or category not in {c.name for c in categories}:
                # the model's word may be a plural or a typo of the seller's category: read the text itself
                category = next(
                    iter(read(list_products(session), category or latest_text(tracker)).categories), category
                )
            if not categories:
                dispatcher.utter_message(response="utter_catalog_empty")
                return []
            names = [c.name for c in categories]
            match = next(
                (n for n in names if category and (n == category or n.rstrip("s") == category.rstrip("s"))), None
            )
            if match:
                products = list_products(session, match)
                lines = [
                    f"• {p.name} — {price_text(domain, active_variants(p))}"
                    for p in products[:MAX_PRODUCTS_PER_MESSAGE]
                ]
                dispatcher.utter_message(
                    response="utter_category_products",
                    category=match,
                    products="\n".join(lines),
                    buttons=product_buttons(products),
                )
                return []
        buttons = [button(n.capitalize(), "browse_catalog", category=n) for n in names[:MAX_CATEGORY_BUTTONS]]
        if category:
            dispatcher.utter_message(
                response="utter_unknown_category", category=category, categories=", ".join(names), buttons=buttons
            )
        else:
            dispatcher.utter_message(response="utter_categories", categories=", ".join(names), buttons=buttons)
        return []


class ActionProductInfo(ShopAction):
    action_name = "action_product_info"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        color, size = entity(tracker, "color"), entity(tracker, "size")
        query = entity(tracker, "product") or latest_text(tracker)
        with runtime.database().reading() as session:
            products = list_products(session)
            resolution = resolve_product(products, query, color, size)
            if resolution.product is None and not resolution.candidates and tracker.get_slot("last_product"):
                # "how much is it?" — the product we were just talking about
                resolution = resolve_product(products, tracker.get_slot("last_product"), color, size)
            if resolution.ambiguous:
                dispatcher.utter_message(response="utter_which_product", buttons=product_buttons(resolution.candidates))
                return []
            product = resolution.product
            if product is None:
                if entity(tracker, "product"):
                    dispatcher.utter_message(
                        response="utter_product_not_found", query=query[:60], categories=categories_text(session)
                    )
                else:
                    dispatcher.utter_message(response="utter_ask_about_which_product")
                return []
            self._describe(dispatcher, domain, product, color, size)
        return [
            SlotSet("last_product", product.name),
            SlotSet("last_color", color.lower() if color else None),
            SlotSet("last_size", size.upper() if size else None),
        ]

    def _describe(self, dispatcher, domain, product: Product, color: str | None, size: str | None) -> None:
        variants = active_variants(product)
        shown = [
            v
            for v in variants
            if (not color or (v.color or "") == color.lower()) and (not size or (v.size or "") == size.upper())
        ] or variants
        if all(v.stock == 0 for v in variants):
            availability = phrase(domain, "phrase_everything_out_of_stock")
        elif len(variants) == 1:
            availability = stock_phrase(domain, variants[0]).capitalize() + "."
        else:
            availability = "\n".join(
                phrase(
                    domain, "phrase_variant_line", variant=variant_label(v.color, v.size), stock=stock_phrase(domain, v)
                )
                for v in shown[:MAX_PRODUCTS_PER_MESSAGE]
            )
        image = next((v.image_url for v in shown if v.image_url), None)
        add = {"product": product.name}
        if color:
            add["color"] = color.lower()
        if size:
            add["size"] = size.upper()
        buttons = [] if all(v.stock == 0 for v in variants) else [button("Add to cart", "add_to_cart", **add)]
        dispatcher.utter_message(
            response="utter_product_details",
            name=product.name,
            price=price_text(domain, shown),
            description=product.description or "",
            availability=availability,
            image=image,
            buttons=buttons,
        )
