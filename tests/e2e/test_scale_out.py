"""Two Rasa and two action servers behind HAProxy, started by `shop run`, on PostgreSQL, Redis and RabbitMQ: the
layout comes up and keeps each conversation on one server; 20 shoppers buy at once through the web chat while one
Rasa server is killed, and every order, every stock movement and every message comes out exactly once."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text

from checkout.db.models import Conversation, Message, Order, OrderItem, Variant
from cli.run_command import DEMO_CATALOG
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.scale_out import missing_engine, scaled_shop, wait_until

SHOPPERS = 20
SKU = "HOOD-HVY-BLK-M"
STOCK = 100
PURCHASE = [  # (what the shopper types or taps, what the answer to it contains)
    ("hi", "Welcome"),
    ("do you have the black hoodie in M", "Heavyweight Hoodie"),
    ("i'll take 1", "Added 1"),
    ("checkout", "full name"),
    ("Marie Dupont", "phone"),
    ("+33 6 12 34 56 78", "address"),
    ("12 rue de la République, 69002 Lyon, France", "email"),
    ("/deny", "Shall I place the order?"),
    ("/affirm", "is placed"),
]
KILL_AFTER_TURNS = SHOPPERS * len(PURCHASE) * 2 // 5  # mid-run: 40 % of all turns answered


@pytest.fixture(scope="module")
def shop(tmp_path_factory, model):
    missing = missing_engine()
    if missing:
        pytest.skip(missing)
    catalog = re.sub(rf"^({SKU},[^,]*,[^,]*,[^,]*),\d+,", rf"\g<1>,{STOCK},", DEMO_CATALOG.read_text(), flags=re.M)
    assert f"{SKU},Heavyweight Hoodie,59.00,EUR,{STOCK}," in catalog
    log = ARTIFACTS / "scale_out.log"
    with scaled_shop(tmp_path_factory.mktemp("scale-out"), model, log, catalog.encode()) as running:
        yield running


def test_the_layout_runs_every_server_behind_the_balancer_and_sticks_by_sender(shop):
    for port in shop.rasa_ports:
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=30).status_code == 200
    for port in shop.action_ports:
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=30).status_code == 200
    served_by: dict[str, set[str]] = {}
    for _ in range(3):
        for n in range(12):
            response = httpx.get(f"{shop.balancer_url}/", headers={"X-Sender-Id": f"sticky-{n}"}, timeout=30)
            served_by.setdefault(f"sticky-{n}", set()).add(response.headers["X-Served-By"])
    assert all(len(servers) == 1 for servers in served_by.values()), served_by  # one sender, one server
    assert set().union(*served_by.values()) == {"rasa1", "rasa2"}  # and the senders spread over both


@dataclass
class Shopper:
    web_url: str
    turns_done: Callable
    apologies: int = 0
    replies: list[str] = field(default_factory=list)
    error: str | None = None

    def buy(self) -> None:
        try:
            with httpx.Client(base_url=self.web_url, timeout=120) as web:
                page = web.get("/")
                token = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
                assert token, "the chat page carries its CSRF token"
                headers = {"X-CSRFToken": token.group(1)}
                for typed, expected in PURCHASE:
                    self.turn(web, headers, typed, expected)
        except Exception as exc:  # reported by the test with the shopper's transcript
            self.error = f"{type(exc).__name__}: {exc}"

    def turn(self, web: httpx.Client, headers: dict, typed: str, expected: str) -> None:
        body = {"payload": typed} if typed.startswith("/") else {"text": typed}
        while True:
            response = web.post("/chat/messages", json=body, headers=headers)
            if response.status_code == 503:  # the web chat's apology: the shopper sends the message again
                self.apologies += 1
                assert self.apologies <= 3, "the assistant stayed unreachable"
                continue
            response.raise_for_status()
            reply = " ".join(m.get("text") or "" for m in response.json()["messages"])
            self.replies.append(reply)
            assert expected in reply, f"{typed!r} was answered {reply!r}"
            self.turns_done()
            return


def test_twenty_shoppers_buy_while_a_rasa_server_is_killed(shop):
    answered = Counter()
    lock = threading.Lock()
    killed = threading.Event()

    def turn_done() -> None:
        with lock:
            answered["turns"] += 1
            kill_now = answered["turns"] == KILL_AFTER_TURNS
        if kill_now:
            before = shop.haproxy_stats()
            answered["rasa1 sessions before the kill"] = int(before["rasa1"]["stot"])
            answered["rasa2 sessions before the kill"] = int(before["rasa2"]["stot"])
            answered["turns in flight on the killed server"] = int(before["rasa1"]["scur"])
            os.kill(shop.rasa_pid(shop.rasa_ports[0]), signal.SIGKILL)
            killed.set()

    shoppers = [Shopper(shop.web_url, turn_done) for _ in range(SHOPPERS)]
    threads = [threading.Thread(target=s.buy) for s in shoppers]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    took = time.monotonic() - started
    assert killed.is_set(), f"the run ended before the kill ({answered['turns']} turns)"
    # Both servers were serving conversations when one of them died.
    assert answered["rasa1 sessions before the kill"] > 0 and answered["rasa2 sessions before the kill"] > 0
    for n, s in enumerate(shoppers):
        assert s.error is None, f"shopper {n}: {s.error}; replies: {s.replies}"
        assert s.apologies <= 1, f"shopper {n} was told {s.apologies} times to send again"
    lost = shop.log_path.read_text().count("lost (")
    print(
        f"\n{SHOPPERS} purchases in {took:.0f} s; turns in flight on the killed server: "
        f"{answered['turns in flight on the killed server']}; lost turns recovered by the web app: {lost}; "
        f"apologies: {sum(s.apologies for s in shoppers)}"
    )

    db = shop.db
    with db.reading() as session:
        orders = session.scalars(select(Order)).all()
        assert len(orders) == SHOPPERS and len({o.sender_id for o in orders}) == SHOPPERS  # one each, none twice
        lines = session.execute(select(OrderItem.sku, OrderItem.quantity)).all()
        assert lines == [(SKU, 1)] * SHOPPERS  # the cart each shopper filled, nothing added twice
        assert session.scalar(select(Variant.stock).where(Variant.sku == SKU)) == STOCK - SHOPPERS
    expect_every_message_recorded_once_in_order(shop, {o.sender_id for o in orders})
    db.dispose()


def expect_every_message_recorded_once_in_order(shop, senders: set[str]) -> None:
    """Our records (from RabbitMQ, one consumer) hold each conversation's messages exactly as Rasa's tracker store
    (PostgreSQL) does: the same texts, in the same order, none twice, none missing."""
    tracker = create_engine(shop.tracker_url)
    with tracker.connect() as connection:
        rows = connection.execute(
            text("SELECT sender_id, type_name, data FROM events WHERE type_name IN ('user', 'bot') ORDER BY id")
        ).all()
    tracker.dispose()
    expected: dict[str, list[tuple[str, str | None]]] = {sender: [] for sender in senders}
    for sender, kind, data in rows:
        if sender in expected:
            expected[sender].append(("in" if kind == "user" else "out", json.loads(data).get("text")))

    def recorded() -> dict[str, list[tuple[str, str | None]]]:
        with shop.db.reading() as session:
            messages = session.execute(
                select(Conversation.sender_id, Message.direction, Message.text)
                .join(Message.conversation)
                .where(Conversation.sender_id.in_(senders))
                .order_by(Message.id)
            ).all()
        by_sender: dict[str, list[tuple[str, str | None]]] = {sender: [] for sender in senders}
        for sender, direction, said in messages:
            by_sender[sender].append((direction, said))
        return by_sender

    try:
        wait_until(lambda: recorded() == expected, 120, "every message recorded once, in order")
    except AssertionError:
        differing = {
            sender: (said, expected[sender]) for sender, said in recorded().items() if said != expected[sender]
        }
        raise AssertionError(f"records (left) differ from the tracker store (right) for: {differing}") from None
    with shop.db.reading() as session:
        assert session.scalar(select(func.count(Message.id))) >= SHOPPERS * len(PURCHASE) * 2
