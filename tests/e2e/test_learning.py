"""The trainer loads a model into the running Rasa (`PUT /model`) and conversations in progress carry on."""

from __future__ import annotations

import httpx
import pytest
from click.testing import CliRunner

from checkout.learning import learning_status, request_training
from cli.context import AppContext
from cli.main import shop
from tests.e2e.conversation import Shopper

pytestmark = pytest.mark.e2e


def test_the_learned_model_is_loaded_without_a_restart_and_a_pending_line_survives(stack):
    shopper = Shopper(stack, "learning")
    assert "how many" in shopper.say("I want rib beanies in black").lower(), shopper.text
    request_training(stack.settings)
    assert learning_status(stack.settings).state == "waiting"

    # The demo shop's catalog is the default model's, so its model is in the cache: nothing is trained,
    # and the path from the request to Rasa's model swap is what runs.
    result = CliRunner().invoke(shop, ["learn", "--once"], obj=AppContext(stack.settings))
    assert result.exit_code == 0, result.output
    status = learning_status(stack.settings)
    assert status.state == "learned", status
    rasa_status = httpx.get(
        f"{stack.settings.rasa_url}/status", params={"token": stack.settings.rasa_api_token}, timeout=60
    ).json()
    assert rasa_status["model_file"].endswith(status.detail)

    shopper.say("2")
    assert shopper.cart() == {"BEAN-RIB-BLK": 2}, shopper.text
