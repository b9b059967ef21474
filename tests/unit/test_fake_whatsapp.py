"""The fake WhatsApp Cloud API and the webhook builders answer as Meta's do, so tests built on them mean something."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading

import httpx
import pytest
from flask import Flask, request

from tests import whatsapp_webhooks as wh
from tests.fake_whatsapp import OUTSIDE_WINDOW_DETAILS, FakeWhatsApp, buttons_of, text_of

CUSTOMER = "5511987654321"


@pytest.fixture(scope="module")
def fake():
    with FakeWhatsApp() as server:
        yield server


@pytest.fixture
def api(fake):
    fake.reset()
    with httpx.Client(base_url=fake.base_url, headers={"Authorization": f"Bearer {fake.token}"}, timeout=10) as client:
        yield client


def send(api: httpx.Client, fake: FakeWhatsApp, body: dict) -> httpx.Response:
    return api.post(f"/{fake.phone_number_id}/messages", json={"messaging_product": "whatsapp", **body})


def text(to: str, body: str) -> dict:
    return {"recipient_type": "individual", "to": to, "type": "text", "text": {"body": body}}


def buttons(*titles: str) -> dict:
    return {
        "to": CUSTOMER,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "Pay how?"},
            "action": {
                "buttons": [{"type": "reply", "reply": {"id": f"b{i}", "title": t}} for i, t in enumerate(titles)]
            },
        },
    }


def test_a_text_is_accepted_with_a_wamid_and_recorded(fake, api):
    response = send(api, fake, text("+55 11 98765-4321", "Olá! Your cart: 2 items"))

    assert response.status_code == 200
    answer = response.json()
    assert answer["messaging_product"] == "whatsapp"
    assert answer["contacts"] == [{"input": "+55 11 98765-4321", "wa_id": CUSTOMER}]
    assert answer["messages"][0]["id"].startswith("wamid.")
    assert fake.texts_to(CUSTOMER) == ["Olá! Your cart: 2 items"]
    assert fake.wamids_to(CUSTOMER) == [answer["messages"][0]["id"]]
    assert fake.sent[-1].kind == "message" and fake.sent[-1].status == 200


def test_a_wrong_token_or_phone_number_id_gets_graph_errors(fake, api):
    wrong_token = api.post(
        f"/{fake.phone_number_id}/messages",
        json={"messaging_product": "whatsapp", **text(CUSTOMER, "hi")},
        headers={"Authorization": "Bearer EAAG-someone-else"},
    )
    wrong_number = api.post("/123/messages", json={"messaging_product": "whatsapp", **text(CUSTOMER, "hi")})
    no_product = api.post(f"/{fake.phone_number_id}/messages", json=text(CUSTOMER, "hi"))

    assert wrong_token.status_code == 401 and wrong_token.json()["error"]["code"] == 190
    assert wrong_number.status_code == 400 and wrong_number.json()["error"]["code"] == 100
    assert no_product.status_code == 400 and "messaging_product" in no_product.json()["error"]["message"]
    assert fake.messages_to(CUSTOMER) == []


@pytest.mark.parametrize(
    "body, detail",
    [
        (buttons("Pix", "Card with installments"), "Button title"),  # 21 characters
        (buttons("Pix", "Pix"), "not unique"),
        (buttons("A", "B", "C", "D"), "Buttons count"),
        (text(CUSTOMER, "x" * 4097), "text['body']"),
        ({"to": CUSTOMER, "type": "image", "image": {"caption": "no media"}}, "image['id']"),
        ({"to": CUSTOMER, "type": "template", "template": {"name": "order_update"}}, "language"),
    ],
)
def test_what_meta_refuses_gets_400_code_100(fake, api, body, detail):
    response = send(api, fake, body)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 100 and error["type"] == "OAuthException"
    assert detail in error["error_data"]["details"]
    assert fake.messages_to(CUSTOMER) == [] and fake.sent[-1].status == 400


def test_list_limits_and_what_tests_read_from_a_list(fake, api):
    def listing(rows: int, title: str = "Camiseta") -> dict:
        return {
            "to": CUSTOMER,
            "type": "interactive",
            "interactive": {
                "type": "list",
                "body": {"text": "Our catalog"},
                "action": {
                    "button": "See products",
                    "sections": [
                        {"title": "Clothes", "rows": [{"id": f"p{i}", "title": f"{title} {i}"} for i in range(rows)]}
                    ],
                },
            },
        }

    assert send(api, fake, listing(11)).status_code == 400
    assert send(api, fake, listing(2, title="A very long product title here")).status_code == 400
    assert send(api, fake, listing(2)).status_code == 200

    [sent] = fake.messages_to(CUSTOMER)
    assert text_of(sent) == "Our catalog"
    assert buttons_of(sent) == ["Camiseta 0", "Camiseta 1"]
    assert buttons_of(buttons("Pix", "Card")) == ["Pix", "Card"]


def test_templates_url_buttons_and_media_by_link(fake, api):
    template = {
        "to": CUSTOMER,
        "type": "template",
        "template": {
            "name": "order_update",
            "language": {"code": "pt_BR"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "#1042"}]}],
        },
    }
    cta = {
        "to": CUSTOMER,
        "type": "interactive",
        "interactive": {
            "type": "cta_url",
            "body": {"text": "Pay here"},
            "action": {"name": "cta_url", "parameters": {"display_text": "Pay R$ 59,00", "url": "https://pay.example"}},
        },
    }
    photo = {"to": CUSTOMER, "type": "image", "image": {"link": "https://cdn.example/p.jpg", "caption": "Azul"}}

    answer = send(api, fake, template).json()
    assert answer["messages"][0]["message_status"] == "accepted"
    assert send(api, fake, cta).status_code == 200
    assert send(api, fake, photo).status_code == 200
    assert send(api, fake, {**photo, "image": {"link": "ftp://cdn.example/p.jpg"}}).status_code == 400
    malformed = send(api, fake, {**cta, "interactive": {**cta["interactive"], "footer": "not an object"}})
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == 100

    assert fake.texts_to(CUSTOMER) == ["#1042", "Pay here", "Azul"]
    assert buttons_of(fake.messages_to(CUSTOMER)[1]) == ["Pay R$ 59,00"]


def test_a_read_receipt_with_typing_indicator(fake, api):
    wamid = wh.new_wamid(CUSTOMER)
    response = send(api, fake, {"status": "read", "message_id": wamid, "typing_indicator": {"type": "text"}})

    assert response.status_code == 200 and response.json() == {"success": True}
    assert fake.read_receipts == [wamid]
    assert fake.messages_to(CUSTOMER) == []


def test_media_url_then_download_with_the_token_only(fake, api):
    fake.add_media("1234567890", b"\x89PNG receipt", "image/png")

    meta = api.get("/1234567890")
    assert meta.status_code == 200
    info = meta.json()
    assert info["mime_type"] == "image/png" and info["file_size"] == 12 and info["id"] == "1234567890"
    assert info["sha256"] == hashlib.sha256(b"\x89PNG receipt").hexdigest()

    download = httpx.get(info["url"], headers={"Authorization": f"Bearer {fake.token}"})
    assert download.status_code == 200 and download.content == b"\x89PNG receipt"
    assert download.headers["Content-Type"] == "image/png"
    assert httpx.get(info["url"]).status_code == 401
    rebuilt = info["url"].split("?")[0]  # Meta's URLs are signed: the query cannot be dropped
    assert httpx.get(rebuilt, headers={"Authorization": f"Bearer {fake.token}"}).status_code == 404

    unknown = api.get("/999")
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == 100
    assert [c.status for c in fake.sent if c.kind == "media"] == [200, 200, 401, 404, 400]


def test_scripted_rate_limit_and_closed_window(fake, api):
    other = "5521912345678"
    fake.fail_next_rate_limited()
    fake.fail_next_outside_window(to=CUSTOMER)

    limited = send(api, fake, text(other, "first"))
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == 130429
    assert limited.json()["error"]["error_data"]["messaging_product"] == "whatsapp"
    assert send(api, fake, {"status": "read", "message_id": wh.new_wamid(other)}).status_code == 200
    assert send(api, fake, text(other, "second")).status_code == 200  # the window failure is for CUSTOMER

    closed = send(api, fake, text(CUSTOMER, "late reply"))
    assert closed.status_code == 400
    error = closed.json()["error"]
    assert error["code"] == 131047 and error["message"] == "Re-engagement message"
    assert "24 hours" in error["error_data"]["details"]
    assert send(api, fake, text(CUSTOMER, "after")).status_code == 200
    assert fake.texts_to(CUSTOMER) == ["after"] and fake.texts_to(other) == ["second"]


def test_wait_for_messages_wakes_on_arrival_and_says_what_it_saw(fake, api):
    def channel():  # the app's side, sending while the test waits
        with httpx.Client(base_url=fake.base_url, headers=api.headers, timeout=10) as own:
            send(own, fake, text(CUSTOMER, "one"))
            send(own, fake, text(CUSTOMER, "two"))

    worker = threading.Thread(target=channel)
    worker.start()
    assert [text_of(b) for b in fake.wait_for_messages(CUSTOMER, 2, timeout=10)] == ["one", "two"]
    worker.join(10)

    with pytest.raises(AssertionError, match=r"3 message\(s\).*it got 2: \['one', 'two'\]"):
        fake.wait_for_messages(CUSTOMER, 3, timeout=0.2)
    assert fake.wait_for(lambda: len(fake.sent) == 2, timeout=1, message="two requests")


def test_webhook_payloads_and_their_signature():
    first = wh.text_message(CUSTOMER, "Quero a camiseta azul/verde ção")
    tap = wh.button_reply(CUSTOMER, "pay_pix", "Pix", context_id="wamid.ours", name="Ana Lima")
    other = wh.image("5521912345678", "777", caption="comprovante", name="Bruno")
    payload = wh.envelope([first, tap, other], [wh.status("wamid.x", "failed", CUSTOMER)])

    assert payload["object"] == "whatsapp_business_account"
    [change] = payload["entry"][0]["changes"]
    value = change["value"]
    assert change["field"] == "messages" and value["metadata"]["phone_number_id"] == wh.PHONE_NUMBER_ID
    assert value["contacts"] == [
        {"profile": {"name": "Ana Lima"}, "wa_id": CUSTOMER},
        {"profile": {"name": "Bruno"}, "wa_id": "5521912345678"},
    ]
    assert value["messages"][1]["interactive"] == {
        "type": "button_reply",
        "button_reply": {"id": "pay_pix", "title": "Pix"},
    }
    assert value["messages"][1]["context"]["id"] == "wamid.ours"
    assert value["statuses"][0]["errors"][0]["code"] == 131026
    assert first["id"] != tap["id"] and first["timestamp"].isdigit()
    assert FakeWhatsApp().phone_number_id == wh.PHONE_NUMBER_ID and wh.OUTSIDE_WINDOW_DETAILS == OUTSIDE_WINDOW_DETAILS
    assert (
        "contacts"
        not in wh.envelope(statuses=[wh.status("wamid.x", "read", CUSTOMER)])["entry"][0]["changes"][0]["value"]
    )

    raw = wh.encode(payload)
    assert b"\\/" in raw and b"\\u00e7" in raw and json.loads(raw) == payload
    assert wh.signature(raw, "s3cret") == "sha256=" + hmac.new(b"s3cret", raw, hashlib.sha256).hexdigest()

    app = Flask(__name__)
    got: list[tuple[str, dict]] = []

    @app.post(wh.WEBHOOK_PATH)
    def webhook():
        got.append((request.headers[wh.SIGNATURE_HEADER], request.get_json()))
        ok = hmac.compare_digest(request.headers[wh.SIGNATURE_HEADER], wh.signature(request.get_data(), "s3cret"))
        return ("", 200) if ok else ("", 403)

    assert wh.signed_post(app.test_client(), payload, "s3cret").status_code == 200
    assert wh.signed_post(app.test_client(), payload, "wrong").status_code == 403
    assert got[0][1] == payload
