"""The evaluation's scripted conversations run several at a time, never two on the same SKU at once."""

from __future__ import annotations

import threading
import time

import pytest

from cli import scenario_runner
from cli.scenario_runner import ScenarioResult, run_scenarios, scenario_skus


def scenario(name: str, cart: tuple[str, ...] | list[str] = (), ordered: tuple[str, ...] | list[str] = ()) -> dict:
    return {
        "name": name,
        "turns": ["hi"],
        "expect": {
            "cart": [{"sku": sku, "quantity": 1} for sku in cart],
            "orders": [{"status": "pending", "items": [{"sku": sku, "quantity": 1} for sku in ordered]}]
            if ordered
            else [],
        },
    }


class FakeShop:
    def __init__(self) -> None:
        self.restocked: list[set[str] | None] = []

    def restock(self, skus: set[str] | None = None) -> None:
        self.restocked.append(skus)


@pytest.fixture
def running(monkeypatch):
    """run_scenario replaced by one that notes which SKUs are in use while it runs."""
    lock = threading.Lock()
    state = {"in_use": [], "overlaps": [], "most_at_once": 0, "now": 0}

    def fake_run(shop, s, tag):
        skus = scenario_skus(s)
        with lock:
            if any(skus & other for other in state["in_use"]):
                state["overlaps"].append(s["name"])
            state["in_use"].append(skus)
            state["now"] += 1
            state["most_at_once"] = max(state["most_at_once"], state["now"])
        time.sleep(0.02)
        with lock:
            state["in_use"].remove(skus)
            state["now"] -= 1
        if s["name"] == "boom":
            raise RuntimeError("the database went away")
        return ScenarioResult(s["name"], True)

    monkeypatch.setattr(scenario_runner, "run_scenario", fake_run)
    return state


def test_skus_come_from_the_expected_cart_and_orders_in_any_case():
    assert scenario_skus(scenario("x", cart=["bk-1"], ordered=["BK-2", "bk-1"])) == {"bk-1", "bk-2"}
    assert scenario_skus(scenario("nothing")) == set()


def test_scenarios_run_at_once_only_on_different_skus_and_come_back_in_order(running):
    scenarios = [scenario(f"s{n}", cart=[f"SKU-{n % 3}"]) for n in range(12)] + [scenario(f"free{n}") for n in range(4)]
    shop = FakeShop()
    results = run_scenarios(shop, scenarios, "unseen", workers=4)
    assert [r.name for r in results] == [s["name"] for s in scenarios]
    assert running["overlaps"] == []
    assert running["most_at_once"] > 1
    assert shop.restocked == [None]  # the whole catalog once, then each scenario its own SKUs (in run_scenario)


def test_a_scenario_that_raises_stops_the_run_with_its_error(running):
    scenarios = [scenario("a", cart=["A"]), scenario("boom", cart=["B"]), scenario("c", cart=["C"])]
    with pytest.raises(RuntimeError, match="went away"):
        run_scenarios(FakeShop(), scenarios, "unseen", workers=2)
