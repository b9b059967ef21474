"""Scripted shopper conversations through the real Rasa server and action server, judged by the cart and
the orders they leave in the database, never by the bot's wording (tests/catalogs/*/scenarios.yml)."""

from __future__ import annotations

import contextlib
import socket
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from checkout.assistant_client import AssistantClient, AssistantUnavailable
from checkout.carts import get_cart
from checkout.catalog.importer import import_catalog, restore_stock
from checkout.catalog.terms_file import publish_catalog_terms
from checkout.customers.identity import ShopperIdentity, identify
from checkout.db.database import Database
from checkout.db.migrate import upgrade
from checkout.orders.export import orders_of_sender
from checkout.settings import PROJECT_ROOT, Settings
from cli.nlu_scoring import parse_summary
from cli.processes import Supervisor
from cli.rasa_engine import write_endpoints

# Conversations at once: measured on 2 cores (README, Measurements).
SCENARIO_WORKERS = 4


@dataclass
class ScenarioResult:
    name: str
    passed: bool
    problem: str = ""
    transcript: list[str] = field(default_factory=list)


@dataclass
class Shop:
    """A running Rasa + action server over a throwaway database holding one catalog, serving `model`."""

    settings: Settings
    db: Database
    assistant: AssistantClient
    catalog_csv: Path
    model: Path

    def use_catalog(self, catalog_csv: Path) -> None:
        """Another catalog, as a seller's import makes it: the file applied whole and its words published, which
        the running pipeline reads at its next message."""
        if catalog_csv == self.catalog_csv:
            return
        self.catalog_csv = catalog_csv
        with self.db.transaction() as session:
            result = import_catalog(session, catalog_csv.read_bytes(), self.settings.shop_currency)
            if not result.ok:
                raise ValueError(f"{catalog_csv}: {result.errors[0]}")
            publish_catalog_terms(session, Path(self.settings.shop_catalog_terms_file))

    def use_model(self, model: Path) -> None:
        """Another model, loaded into the running Rasa (`PUT /model`) as the shop's trainer does."""
        if model != self.model:
            self.assistant.load_model(str(model.resolve()))
            self.model = model

    def restock(self, skus: set[str] | None = None) -> None:
        """The catalog's stock as in its file again (of `skus` only, when given), so that each conversation is
        judged on its own rather than on what the conversations before it reserved (a few books are 3 in stock)."""
        with self.db.transaction() as session:
            if skus is None:
                import_catalog(session, self.catalog_csv.read_bytes(), self.settings.shop_currency)
            else:
                restore_stock(session, self.catalog_csv.read_bytes(), self.settings.shop_currency, skus)

    def parse(self, text: str) -> dict:
        """The running pipeline's final intent and entities for a message (our catalog component included)."""
        return parse_summary(text, self.assistant.parse(text))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_shop(
    base: Settings,
    catalog_csv: Path,
    model: Path,
    log_path: Path,
    with_actions: bool = True,
    low_priority: bool = False,
):
    """Rasa serving `model` (and the action server, unless only messages are parsed) over a new database
    that holds `catalog_csv`; `low_priority`: niced, beside a shop serving shoppers."""
    from cli.run_command import process_specs  # run_command imports the training side; only needed here

    with tempfile.TemporaryDirectory() as tmp:
        settings = base.replace(
            database_url=f"sqlite:///{tmp}/shop.db",
            rasa_tracker_url=f"sqlite:///{tmp}/rasa.db",
            rasa_events_url=f"sqlite:///{tmp}/events.db",
            shop_catalog_terms_file=f"{tmp}/catalog_terms.json",
            rasa_port=free_port(),
            action_server_port=free_port(),
            web_port=free_port(),
            rasa_api_token=uuid.uuid4().hex,
            shop_secret_key=uuid.uuid4().hex,
        )
        upgrade(settings.database_url)
        db = Database(settings.database_url)
        with db.transaction() as session:
            result = import_catalog(session, catalog_csv.read_bytes(), settings.shop_currency)
            if not result.ok:
                raise ValueError(f"{catalog_csv}: {result.errors[0]}")
            publish_catalog_terms(session, Path(settings.shop_catalog_terms_file))
        endpoints = write_endpoints(settings, Path(tmp) / "endpoints.yml")
        specs = [
            s
            for s in process_specs(settings, model, endpoints)
            if s.name == "rasa" or (with_actions and s.name == "actions")
        ]
        if low_priority:
            for spec in specs:
                spec.command = ["nice", "-n", "10", *spec.command]
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("w") as log:
            supervisor = Supervisor(specs, out=log, cwd=str(PROJECT_ROOT))
            supervisor.start()
            try:
                supervisor.wait_ready(timeout=300)
                yield Shop(
                    settings,
                    db,
                    AssistantClient(settings.rasa_url, settings.rasa_api_token, timeout=60),
                    catalog_csv,
                    model,
                )
            finally:
                supervisor.stop()
                db.dispose()


def load_scenarios(path: Path) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["scenarios"]


def run_scenarios(shop: Shop, scenarios: list[dict], tag: str, workers: int | None = None) -> list[ScenarioResult]:
    """Every scenario, `workers` at a time (Rasa, the action server and the database each wait on the others in
    a single conversation), in the given order of results. Two scenarios run at once only when their expected
    carts and orders share no SKU: stock is all they share, and only orders take it."""
    shop.restock()
    results: list[ScenarioResult | None] = [None] * len(scenarios)
    skus = [scenario_skus(s) for s in scenarios]  # read once, checked at every hand-out
    waiting = list(range(len(scenarios)))
    in_use: set[str] = set()
    turn = threading.Condition()

    def take() -> int | None:
        with turn:
            while waiting:
                free = next((i for i in waiting if not skus[i] & in_use), None)
                if free is not None:
                    waiting.remove(free)
                    in_use.update(skus[free])
                    return free
                turn.wait()
            return None

    failures: list[BaseException] = []

    def work() -> None:
        while not failures and (index := take()) is not None:
            try:
                results[index] = run_scenario(shop, scenarios[index], tag)
            except BaseException as exc:  # raised again below, in the caller's thread
                failures.append(exc)
            finally:
                with turn:
                    in_use.difference_update(skus[index])
                    turn.notify_all()

    threads = [threading.Thread(target=work) for _ in range(workers or SCENARIO_WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return [r for r in results if r is not None]


def scenario_skus(scenario: dict) -> set[str]:
    expect = scenario["expect"]
    lines = [*(expect.get("cart") or []), *(item for o in expect.get("orders") or [] for item in o["items"])]
    return {str(line["sku"]).casefold() for line in lines}


def run_scenario(shop: Shop, scenario: dict, tag: str) -> ScenarioResult:
    shop.restock(scenario_skus(scenario))
    sender = f"scenario-{tag}-{uuid.uuid4().hex[:8]}"
    transcript: list[str] = []
    replies: list[dict] = []
    for turn in scenario["turns"]:
        if isinstance(turn, dict):
            button = next((b for m in replies for b in m.get("buttons", []) if b.get("title") == turn["press"]), None)
            if button is None:
                return ScenarioResult(scenario["name"], False, f"no button {turn['press']!r} to press", transcript)
            text, shown = button["payload"], f"[{turn['press']}]"
        else:
            text, shown = str(turn), str(turn)
        try:
            replies = shop.assistant.send(sender, text)
        except AssistantUnavailable as exc:
            return ScenarioResult(scenario["name"], False, f"assistant unavailable: {exc}", transcript)
        transcript += [f"> {shown}"] + [f"< {m.get('text') or ''}" for m in replies]
    cart, orders = _outcome(shop, sender)
    expected_cart = {line["sku"]: line["quantity"] for line in scenario["expect"].get("cart") or []}
    expected_orders = [
        (o["status"], {i["sku"]: i["quantity"] for i in o["items"]}) for o in scenario["expect"].get("orders") or []
    ]
    if cart != expected_cart:
        return ScenarioResult(scenario["name"], False, f"cart {cart} != expected {expected_cart}", transcript)
    if orders != expected_orders:
        return ScenarioResult(scenario["name"], False, f"orders {orders} != expected {expected_orders}", transcript)
    return ScenarioResult(scenario["name"], True, transcript=transcript)


def _outcome(shop: Shop, sender: str) -> tuple[dict[str, int], list[tuple[str, dict[str, int]]]]:
    with shop.db.transaction() as session:
        customer = identify(session, ShopperIdentity.from_rasa(sender, "rest", {}))
        cart = {item.variant.sku: item.quantity for item in get_cart(session, customer).items}
        orders = orders_of_sender(session, sender)
        return cart, [(str(o.status), {i.sku: i.quantity for i in o.items}) for o in orders]
