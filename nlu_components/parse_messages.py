"""Parses messages with a trained model, the whole pipeline (our catalog component included), in Rasa's
environment: `python -m nlu_components.parse_messages MODEL PARSES.json < texts.json` (a file, since Rasa
logs to standard output).

Used by `shop nlu evaluate`, which scores what the assistant really acts on: the final intent and
entities after the catalog component, not one extractor's own output as `rasa test nlu` reports it.
"""
from __future__ import annotations

import asyncio
import json
import sys


async def parse_all(model: str, texts: list) -> list:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    parses = []
    for text in texts:
        result = await agent.parse_message(text)
        parses.append({"text": text, "intent": (result.get("intent") or {}).get("name"),
                       "confidence": (result.get("intent") or {}).get("confidence"),
                       "entities": [{k: e.get(k) for k in ("entity", "start", "end", "value", "extractor")}
                                    for e in result.get("entities") or []]})
    return parses


def main() -> None:
    texts = json.load(sys.stdin)
    parses = asyncio.run(parse_all(sys.argv[1], texts))
    with open(sys.argv[2], "w", encoding="utf-8") as out:
        json.dump(parses, out, ensure_ascii=False)


if __name__ == "__main__":
    main()
