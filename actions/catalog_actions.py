"""Answers about the catalog, read from the database at the moment of asking."""
from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.runtime import database
from checkout.catalog.queries import active_variants, list_categories, list_products
from checkout.money import Money

MAX_PRODUCTS_PER_MESSAGE = 8
MAX_CATEGORY_BUTTONS = 12


def payload(intent: str, **entities: str) -> str:
    """A button payload that Rasa parses as this intent with these entities, whatever the NLU model says."""
    return f"/{intent}{json.dumps(entities, ensure_ascii=False)}" if entities else f"/{intent}"


class ActionBrowseCatalog(Action):
    def name(self) -> str:
        return "action_browse_catalog"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]):
        category = next(tracker.get_latest_entity_values("category"), None)
        with database().transaction() as session:
            categories = list_categories(session)
            known = {c.name for c in categories}
            if category and category.lower() in known:
                products = list_products(session, category)
                lines, buttons = [], []
                for product in products[:MAX_PRODUCTS_PER_MESSAGE]:
                    prices = sorted({Money(v.price_minor, v.currency) for v in active_variants(product)})
                    price = prices[0].display() if prices else ""
                    lines.append(f"• {product.name} — {'from ' if len(prices) > 1 else ''}{price}")
                    buttons.append({"title": product.name, "payload": payload("product_info", product=product.name)})
                dispatcher.utter_message(response="utter_category_products", category=category.lower(),
                                         products="\n".join(lines), buttons=buttons)
                return []
        if not categories:
            dispatcher.utter_message(response="utter_catalog_empty")
            return []
        buttons = [{"title": c.name.capitalize(), "payload": payload("browse_catalog", category=c.name)}
                   for c in categories[:MAX_CATEGORY_BUTTONS]]
        dispatcher.utter_message(response="utter_categories",
                                 categories=", ".join(c.name for c in categories), buttons=buttons)
        return []
