"""Flooding the web chat and the Telegram gateway (fake Rasa, fake Bot API): Rasa receives no more than the limit,
the shopper is told to slow down, what was accepted is answered; with Redis, several processes share the counts.

Small limits ("5/minute") keep the floods short; nothing here waits for a window to pass.
"""

from __future__ import annotations

import os
import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import redis
from werkzeug.serving import make_server

from bot import texts
from bot.flood import FloodGate, Verdict
from checkout.db.migrate import upgrade
from checkout.settings import Settings
from tests.fake_rasa import FakeRasa, closed_port
from tests.fake_telegram import FakeTelegram
from tests.telegram_chat import TelegramChat, start_gateway, stop_gateway, text_of
from web import create_app
from web.flood_control import SLOW_DOWN

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
FLOOD = 12
LIMIT = 5


def echo(body: dict) -> list[dict]:
    return [{"recipient_id": body["sender"], "text": f"echo: {body['message']}"}]


@pytest.fixture
def rasa():
    fake = FakeRasa(echo)
    yield fake
    fake.close()


@pytest.fixture
def make_app(tmp_path, rasa):
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    upgrade(url)

    def make(**settings):
        return create_app({"SETTINGS": Settings(database_url=url, rasa_port=rasa.port, **settings), "TESTING": True})

    return make


@pytest.fixture(scope="module")
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is unreachable at {REDIS_URL} (TEST_REDIS_URL): {exc}")
    return REDIS_URL


def browser(app, address: str = "127.0.0.1"):
    """A new browser (a cookie of its own) at this client address, with the page's CSRF token."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    page = client.get("/").get_data(as_text=True)
    client.token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page).group(1)
    return client


def send(client, text: str):
    return client.post("/chat/messages", json={"text": text}, headers={"X-CSRFToken": client.token})


def a_new_address() -> str:
    """An address no earlier run counted (the counts on Redis outlive a test run by their window)."""
    return f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"


def test_a_flooding_web_chat_reaches_rasa_only_up_to_its_limit(make_app, rasa):
    app = make_app(shop_chat_limit_per_conversation=f"{LIMIT}/minute")
    client = browser(app)
    answers = [send(client, f"message {i}") for i in range(FLOOD)]

    assert [a.status_code for a in answers] == [200] * LIMIT + [429] * (FLOOD - LIMIT)
    assert rasa.messages == [f"message {i}" for i in range(LIMIT)]
    # Each accepted message got its answer; each refused one the slow-down sentence, and a time to come back.
    assert [a.get_json()["messages"][0]["text"] for a in answers[:LIMIT]] == [
        f"echo: message {i}" for i in range(LIMIT)
    ]
    assert all(a.get_json() == {"error": SLOW_DOWN} for a in answers[LIMIT:])
    assert 0 < int(answers[-1].headers["Retry-After"]) <= 61
    # Another shopper at the same address is not held back by this one's flood.
    assert send(browser(app), "hello").status_code == 200


def test_a_burst_of_simultaneous_messages_lets_exactly_the_limit_through(make_app, rasa):
    """Counted atomically before Rasa: requests that arrive together cannot all pass a check made before a count."""
    app = make_app(shop_chat_limit_per_conversation=f"{LIMIT}/minute", shop_chat_limit_per_address="100/minute")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{server.server_port}", timeout=30) as client:
            page = client.get("/").text
            token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page).group(1)
            start = threading.Barrier(FLOOD)

            def post(i: int) -> int:
                start.wait()
                return client.post("/chat/messages", json={"text": f"m{i}"}, headers={"X-CSRFToken": token}).status_code

            with ThreadPoolExecutor(FLOOD) as pool:
                statuses = list(pool.map(post, range(FLOOD)))
    finally:
        server.shutdown()
    assert sorted(statuses) == [200] * LIMIT + [429] * (FLOOD - LIMIT)
    assert len(rasa.received) == LIMIT


def test_new_cookies_do_not_escape_the_limit_per_address(make_app, rasa):
    app = make_app(shop_chat_limit_per_address=f"{LIMIT}/minute")
    statuses = [send(browser(app, "198.51.100.7"), "hi").status_code for _ in range(FLOOD)]
    assert statuses == [200] * LIMIT + [429] * (FLOOD - LIMIT)
    assert len(rasa.received) == LIMIT
    assert send(browser(app, "198.51.100.8"), "hi").status_code == 200  # another address


def test_a_conversation_past_its_own_limit_does_not_use_up_its_address(make_app, rasa):
    app = make_app(shop_chat_limit_per_conversation="3/minute", shop_chat_limit_per_address=f"{LIMIT}/minute")
    flooder = browser(app)
    assert [send(flooder, "spam").status_code for _ in range(FLOOD)] == [200] * 3 + [429] * (FLOOD - 3)
    neighbour = browser(app)  # behind the same NAT: the address has LIMIT - 3 messages left, not none
    assert [send(neighbour, "hi").status_code for _ in range(3)] == [200, 200, 429]


def test_requests_refused_before_the_limit_is_checked_do_not_count(make_app, rasa):
    app = make_app(shop_chat_limit_per_conversation=f"{LIMIT}/minute")
    client = browser(app)
    for _ in range(FLOOD):  # no CSRF token: refused before the message is taken
        assert client.post("/chat/messages", json={"text": "forged"}).status_code == 400
    assert [send(client, "real").status_code for _ in range(LIMIT)] == [200] * LIMIT


def test_web_processes_on_one_redis_share_the_counts(make_app, rasa, redis_url):
    apps = [make_app(redis_url=redis_url, shop_chat_limit_per_address=f"{LIMIT}/minute") for _ in range(2)]
    address = a_new_address()
    first = [send(browser(apps[0], address), "hi").status_code for _ in range(3)]
    second = [send(browser(apps[1], address), "hi").status_code for _ in range(3)]
    assert first + second == [200] * LIMIT + [429]
    assert len(rasa.received) == LIMIT


def test_the_web_chat_goes_on_counting_in_memory_when_redis_is_unreachable(make_app, rasa):
    app = make_app(redis_url=f"redis://127.0.0.1:{closed_port()}/0", shop_chat_limit_per_conversation="2/minute")
    client = browser(app)
    assert [send(client, "hi").status_code for _ in range(3)] == [200, 200, 429]


def test_gateways_on_one_redis_share_a_chats_count(redis_url):
    one, other = (FloodGate(f"{LIMIT}/minute", "telegram", redis_url) for _ in range(2))
    chat = uuid.uuid4().hex
    verdicts = [gate.admit(chat) for gate in (one, other) * 4]
    assert verdicts == [Verdict.ACCEPTED] * LIMIT + [Verdict.TELL, Verdict.DROP, Verdict.DROP]


def test_a_flooding_telegram_chat_reaches_rasa_only_up_to_its_limit_and_is_told_once(tmp_path, rasa):
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    upgrade(url)
    fake = FakeTelegram()
    settings = Settings(database_url=url, rasa_port=rasa.port, shop_chat_limit_per_conversation=f"{LIMIT}/minute")
    gateway = start_gateway(settings, fake, tmp_path / "gateway.log")
    try:
        flooder, other = TelegramChat(fake, 31_001), TelegramChat(fake, 31_002)
        for i in range(FLOOD - 1):
            flooder.send(f"message {i}")
        flooder.say(f"message {FLOOD - 1}")  # returns once the gateway has handled every one of them (in order)

        assert [b["message"] for b in rasa.received if b["sender"] == "31001"] == [f"message {i}" for i in range(LIMIT)]
        # Every accepted message answered, then one "slow down" for the whole flood, and nothing more.
        assert [text_of(c) for c in flooder.delivered()] == [f"echo: message {i}" for i in range(LIMIT)] + [
            texts.SLOW_DOWN
        ]
        assert other.say("hello") == "echo: hello"  # a chat of its own, with a count of its own
    finally:
        stop_gateway(gateway)
        fake.close()
