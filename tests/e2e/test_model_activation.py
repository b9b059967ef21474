"""Activation reaches the running Rasa: the next message is parsed by the activated model, the conversation in
progress (its cart, the question it was asking) carries on, and a roll back brings the model before it back.

Two models from the model cache, nothing trained here: the session's default model and another one (a catalog
learned by `shop nlu evaluate`, `learned` condition)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from checkout.assistant_client import AssistantClient
from checkout.statuses import ModelOrigin, ModelState
from checkout.trainer.activation import activate_model
from checkout.trainer.registry import live_model, model_id_of, register_model
from tests.e2e.conversation import Shopper

pytestmark = pytest.mark.e2e


def other_cached_model(stack, default: Path) -> Path:
    cache = stack.settings.model_cache_path
    others = sorted(
        p for p in cache.glob("*.tar.gz") if p.name != default.name and model_id_of(p) != model_id_of(default)
    )
    if not others:
        pytest.skip(f"no second model in {cache}: `shop nlu evaluate` caches the catalogs' learned models")
    return others[0]


def rasa_model_id(stack) -> str:
    status = httpx.get(f"{stack.settings.rasa_url}/status", params={"token": stack.settings.rasa_api_token}, timeout=60)
    return status.json()["model_id"]


def last_user_model_id(stack, sender: str) -> str:
    """The model id Rasa wrote into the metadata of the conversation's last user message."""
    tracker = httpx.get(
        f"{stack.settings.rasa_url}/conversations/{quote(sender, safe='')}/tracker",
        params={"token": stack.settings.rasa_api_token},
        timeout=60,
    ).json()
    return [e for e in tracker["events"] if e["event"] == "user"][-1]["metadata"]["model_id"]


def test_a_model_activated_mid_conversation_parses_the_next_message_and_rolls_back(stack, model):
    other = other_cached_model(stack, model)
    default_id, other_id = model_id_of(model), model_id_of(other)
    register_model(stack.db, model, ModelOrigin.START, ModelState.LIVE)  # as `shop run` does
    register_model(stack.db, other, ModelOrigin.CATALOG, ModelState.CANDIDATE)
    shopper = Shopper(stack, "swap")
    try:
        shopper.say("add a dad cap in black")
        assert shopper.cart() == {"CAP-DAD-BLK": 1}, shopper.text
        assert "how many" in shopper.say("I want rib beanies in black").lower(), shopper.text
        assert last_user_model_id(stack, shopper.sender) == default_id

        done = activate_model(
            stack.db, stack.settings, other_id, actor="e2e", override_reason="e2e: the swap, not the scores"
        )
        assert done.previous_model_id == default_id and done.servers == (stack.settings.rasa_url,)
        assert rasa_model_id(stack) == other_id
        shopper.say("2")  # the answer to the question asked before the swap
        assert last_user_model_id(stack, shopper.sender) == other_id
        assert shopper.cart() == {"CAP-DAD-BLK": 1, "BEAN-RIB-BLK": 2}, shopper.text

        back = activate_model(stack.db, stack.settings, previous=True, actor="e2e")
        assert (back.model_id, back.previous_model_id) == (default_id, other_id)
        assert rasa_model_id(stack) == default_id
        assert "rib beanie" in shopper.say("show my cart").lower(), shopper.text
        assert last_user_model_id(stack, shopper.sender) == default_id
        with stack.db.reading() as session:
            assert live_model(session).model_id == default_id
    finally:  # the session's stack goes on serving the other tests with its own model
        if rasa_model_id(stack) != default_id:
            AssistantClient(stack.settings.rasa_url, stack.settings.rasa_api_token).load_model(str(model.resolve()))
