"""Rasa NLU component: reads each message against the live catalog, after the model has spoken.

Products, categories, colours and sizes are found in the text itself (checkout.understanding), whether or
not the model tagged them; they replace the model's entities of those kinds where they overlap, carrying
the catalog's spelling as value. The model's other entities stay (quantity, order number, and a product
the shop does not sell, so the bot can say so). The intent is corrected where the reading gives evidence
(checkout.understanding.intents). The catalog comes from the snapshot the shop writes on every catalog
change (SHOP_CATALOG_TERMS_FILE), so a catalog imported a minute ago is understood before any training.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.training_data.message import Message

from checkout.understanding.intents import repair_intent
from checkout.understanding.promo_words import code_span
from checkout.understanding.reading import read_message
from checkout.understanding.terms import SIZE_SYNONYMS, TermsFile
from checkout.understanding.text import fold

CATALOG_KINDS = {"product", "category", "color", "size"}
# Colour words the model may tag that are real colours even when this catalog has none of them ("in purple?"
# gets "not in purple" rather than silence); anything else it tags as a colour (a city, a name) is dropped.
COLOR_WORDS = set(
    [
        "black",
        "white",
        "grey",
        "gray",
        "red",
        "blue",
        "green",
        "yellow",
        "orange",
        "pink",
        "purple",
        "violet",
        "brown",
        "beige",
        "navy",
        "cream",
        "gold",
        "silver",
        "ivory",
        "nude",
        "coral",
        "teal",
        "turquoise",
        "maroon",
        "burgundy",
        "olive",
        "khaki",
        "tan",
        "mint",
        "lilac",
        "lavender",
        "peach",
    ]
)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class CatalogGrounding(GraphComponent, EntityExtractorMixin):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"terms_file": "var/catalog_terms.json"}

    def __init__(self, config: dict[str, Any]) -> None:
        path = os.environ.get("SHOP_CATALOG_TERMS_FILE") or config["terms_file"]
        self.terms = TermsFile(Path(path))

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CatalogGrounding:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        terms = self.terms.current()
        for message in messages:
            text = message.get("text") or ""
            if not text or text.startswith("/"):
                continue  # button payloads carry their intent and entities already
            reading = read_message(terms, text)
            intent = message.get("intent") or {}
            ranking = [(i.get("name"), i.get("confidence") or 0.0) for i in message.get("intent_ranking") or []]
            repaired = repair_intent(intent.get("name") or "nlu_fallback", ranking, text, reading)
            if repaired != intent.get("name"):
                # The confidence stays the model's: how sure it was about the message, kept for the trainers.
                message.set(
                    "intent", {"name": repaired, "confidence": intent.get("confidence") or 0.0}, add_to_output=True
                )
            entities = self._entities(message.get("entities") or [], reading, text)
            if repaired == "apply_discount":
                entities = self._with_code(entities, text)
            message.set("entities", entities, add_to_output=True)
        return messages

    def _entities(self, model_entities: list[dict[str, Any]], reading, text: str) -> list[dict[str, Any]]:
        found = [
            {
                "entity": m.kind,
                "start": m.start,
                "end": m.end,
                "value": m.value or text[m.start : m.end],
                "extractor": self.__class__.__name__,
                "confidence_entity": round(m.score, 3),
            }
            for m in reading.mentions
        ]
        named = bool(reading.products or reading.categories)
        kept = []
        for entity in model_entities:
            overlaps = any(entity["start"] < f["end"] and f["start"] < entity["end"] for f in found)
            if entity.get("entity") in CATALOG_KINDS and (overlaps or not self._plausible(entity)):
                continue
            if entity.get("entity") in ("product", "category") and named:
                continue  # the catalog's names are in the message: the model's other guess ("copy") is not one
            if entity.get("entity") == "quantity" and overlaps:
                continue  # the "50" of "50 ml", "two creme" of "two creme douce cleansers"
            kept.append(entity)
        if reading.quantity_span:
            # the number said with the name ("take one dinosaur picnic out, i only need 2" removes one), whether
            # the model tagged it, tagged another number, or missed it ("two silent gardens")
            kept = [e for e in kept if e.get("entity") != "quantity"]
            start, end = reading.quantity_span
            found.append(
                {
                    "entity": "quantity",
                    "start": start,
                    "end": end,
                    "value": str(reading.quantity),
                    "extractor": self.__class__.__name__,
                }
            )
        return sorted(kept + found, key=lambda e: e["start"])

    def _with_code(self, entities: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
        """A code to apply is a discount_code, never an order number or a product; the model's own tag stands when
        it found one, otherwise the code-shaped word the message announces ("coupon: HOLA-MARIA")."""
        if any(e.get("entity") == "discount_code" for e in entities):
            return entities
        span = code_span(text)
        if span is None:
            return [e for e in entities if e.get("entity") != "order_number"]
        start, end = span
        kept = [
            e for e in entities if not (e["start"] < end and start < e["end"]) and e.get("entity") != "order_number"
        ]
        code = {"entity": "discount_code", "start": start, "end": end, "value": text[start:end]}
        return sorted([*kept, {**code, "extractor": self.__class__.__name__}], key=lambda e: e["start"])

    @staticmethod
    def _plausible(entity: dict[str, Any]) -> bool:
        value = fold(str(entity.get("value") or ""))
        if entity.get("entity") == "color":
            return value in COLOR_WORDS
        if entity.get("entity") == "size":
            return value.upper() in SIZE_SYNONYMS or any(value in s for s in SIZE_SYNONYMS.values())
        return True

    def process_training_data(self, training_data: Any) -> Any:
        return training_data

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> CatalogGrounding:
        return cls(config)

    @staticmethod
    def required_packages() -> list[str] | None:
        return ["rapidfuzz"]
