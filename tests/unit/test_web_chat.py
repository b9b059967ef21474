"""The shopper web chat: page, CSRF, forwarding to Rasa's REST channel (a fake one on loopback), headers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from checkout.db.migrate import upgrade
from checkout.settings import Settings
from tests.fake_rasa import FakeRasa, LostTurn, closed_port
from web import create_app

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
IMAGE_URL = "https://images.example/hoodie.png"


def echo(fake: FakeRasa, body: dict) -> list[dict]:
    """Echoes the message back with buttons and an image, or says fake.reply_text when a test sets it."""
    return [
        {
            "recipient_id": body["sender"],
            "text": fake.reply_text or f"echo: {body['message'][:20]}\nline 2",
            "buttons": [
                {"title": "Hoodies", "payload": "/browse_catalog"},
                {"title": "Pay", "type": "web_url", "url": "https://pay.example/x"},
            ],
        },
        {"recipient_id": body["sender"], "image": IMAGE_URL},
    ]


@pytest.fixture
def rasa():
    fake = FakeRasa(lambda body: echo(fake, body))
    fake.reply_text = None
    yield fake
    fake.close()


@pytest.fixture
def make_app(tmp_path):
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    upgrade(url)

    def make(rasa_port: int, **settings):
        return create_app({"SETTINGS": Settings(database_url=url, rasa_port=rasa_port, **settings), "TESTING": True})

    return make


@pytest.fixture
def app(make_app, rasa):
    return make_app(rasa.port)


def csrf_token(client) -> str:
    page = client.get("/").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)">', page).group(1)


def post(client, body, token: str | None = None):
    headers = {"X-CSRFToken": token if token is not None else csrf_token(client)}
    return client.post("/chat/messages", json=body, headers=headers)


def test_page_renders_for_a_phone_with_the_csrf_token_and_assets(app):
    response = app.test_client().get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<meta name="viewport" content="width=device-width, initial-scale=1' in html
    assert re.search(r'<meta name="csrf-token" content="[^"]{20,}">', html)
    assert "Loop Streetwear" in html
    assert "/static/chat.js" in html and "/static/chat.css" in html
    for asset in ("/static/chat.js", "/static/chat.css"):
        assert app.test_client().get(asset).status_code == 200


def test_shop_name_is_escaped_in_the_page(make_app, rasa):
    html = make_app(rasa.port, shop_name="<script>alert(1)</script>").test_client().get("/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_first_visit_sets_an_httponly_samesite_lax_session_cookie(app):
    cookie = app.test_client().get("/").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_post_without_csrf_token_is_refused(app, rasa):
    client = app.test_client()
    client.get("/")
    response = client.post("/chat/messages", json={"text": "hi"})
    assert response.status_code == 400
    assert "error" in response.get_json()
    assert rasa.received == []


def test_post_with_a_wrong_csrf_token_is_refused(app, rasa):
    client = app.test_client()
    client.get("/")
    assert post(client, {"text": "hi"}, token="forged").status_code == 400
    assert rasa.received == []


def test_message_is_forwarded_with_sender_and_metadata(app, rasa):
    response = post(app.test_client(), {"text": "do u have the black hoodie in M??"})
    assert response.status_code == 200
    body = rasa.received[0]
    assert re.fullmatch(r"web-[A-Za-z0-9_-]{24}", body["sender"])
    assert body["message"] == "do u have the black hoodie in M??"
    assert body["metadata"] == {
        "channel": "web",
        "user_id": body["sender"],
        "message_id": body["metadata"]["message_id"],
    }
    assert re.fullmatch(r"[0-9a-f]{32}", body["metadata"]["message_id"])
    text, image = response.get_json()["messages"]
    assert text["text"] == "echo: do u have the black \nline 2"
    assert text["buttons"][0] == {"title": "Hoodies", "payload": "/browse_catalog"}
    assert image["image"] == IMAGE_URL


def test_each_post_is_a_message_of_its_own(app, rasa):
    client = app.test_client()
    token = csrf_token(client)
    post(client, {"text": "hi"}, token)
    post(client, {"text": "hi"}, token)  # the same words again: another message
    first, second = (body["metadata"]["message_id"] for body in rasa.received)
    assert first != second


def test_a_turn_lost_with_its_rasa_server_is_answered_from_the_tracker(make_app):
    fake = FakeRasa(lambda body: echo(fake, body), api_token="rasa-token")
    fake.reply_text = "answered"
    fake.lost_turns = [LostTurn(502, after_turn=True)]
    try:
        response = post(make_app(fake.port, rasa_api_token="rasa-token").test_client(), {"text": "hi"})
        assert response.status_code == 200
        assert [m.get("text") for m in response.get_json()["messages"]] == ["answered", None]
        assert len(fake.received) == 1  # not sent again: it had run
    finally:
        fake.close()


def test_a_card_number_typed_in_the_chat_never_reaches_rasa(app, rasa):
    assert post(app.test_client(), {"text": "pay with 4242 4242 4242 4242 12/29 123"}).status_code == 200
    assert rasa.received[0]["message"] == "pay with [card number removed] 12/29 123"


def test_one_browser_keeps_its_sender_and_two_browsers_get_different_ones(app, rasa):
    first, second = app.test_client(), app.test_client()
    token = csrf_token(first)
    post(first, {"text": "hi"}, token)
    post(first, {"text": "again"}, token)
    post(second, {"text": "hi"})
    senders = [body["sender"] for body in rasa.received]
    assert senders[0] == senders[1]
    assert senders[2] != senders[0]


def test_bot_text_is_passed_on_as_data_not_markup(app, rasa):
    rasa.reply_text = "<script>alert(1)</script>"
    response = post(app.test_client(), {"text": "hi"})
    assert response.get_json()["messages"][0]["text"] == "<script>alert(1)</script>"
    assert response.mimetype == "application/json"


@pytest.mark.parametrize("body", [{"text": ""}, {"text": "  \n\t "}, {}, {"text": 42}, ["hi"], None])
def test_empty_or_malformed_messages_are_refused(app, rasa, body):
    client = app.test_client()
    response = (
        post(client, body)
        if body is not None
        else client.post("/chat/messages", data="not json", headers={"X-CSRFToken": csrf_token(client)})
    )
    assert response.status_code == 400
    assert response.get_json()["error"]
    assert rasa.received == []


def test_a_10000_character_message_is_cut_to_2000_and_answered(app, rasa):
    response = post(app.test_client(), {"text": "ab" * 5000})
    assert response.status_code == 200
    assert rasa.received[0]["message"] == "ab" * 1000
    assert response.get_json()["messages"]


def test_rasa_down_gives_503_json(make_app):
    response = post(make_app(closed_port()).test_client(), {"text": "hi"})
    assert response.status_code == 503
    assert "not reachable" in response.get_json()["error"]


@pytest.mark.parametrize(
    "method, path",
    [("get", "/"), ("get", "/healthz"), ("get", "/static/chat.js"), ("get", "/nowhere"), ("post", "/chat/messages")],
)
def test_security_headers_on_every_response(app, method, path):
    response = getattr(app.test_client(), method)(path)
    csp = response.headers["Content-Security-Policy"]
    for directive in (
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "img-src 'self' http: https: data:",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_healthz_still_answers(app):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_app_refuses_to_start_without_a_secret_key_outside_tests(tmp_path):
    with pytest.raises(RuntimeError, match="SHOP_SECRET_KEY"):
        create_app({"SETTINGS": Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}")})
    app = create_app({"SETTINGS": Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", shop_secret_key="k")})
    assert app.config["SECRET_KEY"] == "k"


def test_template_and_script_never_turn_bot_text_into_markup():
    template = (WEB_DIR / "templates" / "chat.html").read_text()
    assert not re.search(r"\|\s*safe\b", template)
    assert "autoescape false" not in template and "Markup" not in template
    script = (WEB_DIR / "static" / "chat.js").read_text()
    assert "textContent" in script
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in script
    for inline in ("<script>", "onclick=", "style="):
        assert inline not in template


def test_typed_text_never_acts_as_an_intent_command_but_button_payloads_do(app, rasa):
    client = app.test_client()
    token = csrf_token(client)
    post(client, {"text": "/restart"}, token)
    post(client, {"text": '  //inform{"quantity": "99"}'}, token)
    post(client, {"payload": '/add_to_cart{"product": "Dad Cap"}'}, token)
    assert [body["message"] for body in rasa.received] == [
        "restart",
        'inform{"quantity": "99"}',
        '/add_to_cart{"product": "Dad Cap"}',
    ]
