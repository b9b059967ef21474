"""WhatsApp pieces that need no server: the webhook signature, template parameters, locations, metadata."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from bot.whatsapp.delivery import template_body
from bot.whatsapp.inbound import location_text, shopper_metadata
from checkout.customers.identity import ShopperIdentity
from checkout.whatsapp.delivery_states import DeliveryState
from checkout.whatsapp.inbox import Inbound
from checkout.whatsapp.signature import valid_signature

SECRET = "app-secret-for-tests"
BODY = b'{"object":"whatsapp_business_account","entry":[]}'


def signed(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_only_the_right_signature_of_the_exact_bytes_is_valid():
    assert valid_signature(BODY, signed(BODY), SECRET)
    assert valid_signature(BODY, signed(BODY).upper().replace("SHA256=", "sha256="), SECRET)  # hex case
    assert not valid_signature(BODY + b" ", signed(BODY), SECRET)  # re-serialised JSON is not what Meta signed
    assert not valid_signature(BODY, signed(BODY, "another secret"), SECRET)
    assert not valid_signature(BODY, signed(BODY)[len("sha256=") :], SECRET)  # the prefix is part of the header
    assert not valid_signature(BODY, None, SECRET)
    assert not valid_signature(BODY, "", SECRET)


def test_without_an_app_secret_nothing_is_valid():
    assert not valid_signature(BODY, signed(BODY, ""), "")


def test_a_template_parameter_carries_the_notice_on_one_line():
    body = template_body("351912345678", "order_update", "pt_PT", "Your order LS-1 is on its way.\nTracking:\tAB 12")
    assert body["template"] == {
        "name": "order_update",
        "language": {"code": "pt_PT"},
        "components": [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": "Your order LS-1 is on its way. · Tracking: · AB 12"}],
            }
        ],
    }
    long = template_body("1", "t", "en", "x" * 3000 + "     y")["template"]["components"][0]["parameters"][0]["text"]
    assert len(long) == 1024 and "     " not in long


def test_a_location_is_offered_by_its_name_and_address_or_its_coordinates():
    assert location_text({"name": "Loja", "address": "Rua Augusta 10, Lisboa"}) == "Loja, Rua Augusta 10, Lisboa"
    assert location_text({"latitude": 38.7105, "longitude": -9.1366}) == (
        "38.710500, -9.136600 (https://maps.google.com/?q=38.710500,-9.136600)"
    )
    assert location_text({"latitude": "north"}) is None


def test_metadata_names_the_shopper_by_their_profile_and_number():
    inbound = Inbound(1, "351912345678", {"id": "wamid.A", "type": "text"}, "Ana Maria Lima", datetime.now(UTC))
    metadata = shopper_metadata(inbound)
    assert metadata == {
        "channel": "whatsapp",
        "user_id": "351912345678",
        "first_name": "Ana",
        "last_name": "Maria Lima",
        "phone": "351912345678",
        "message_id": "wamid.A",
    }
    identity = ShopperIdentity.from_rasa("351912345678", "rest", metadata)
    assert (identity.channel, identity.channel_user_id) == ("whatsapp", "351912345678")
    assert identity.profile == {"name": "Ana Maria Lima", "phone": "+351912345678"}
    nameless = shopper_metadata(Inbound(2, "447700900123", {"id": "wamid.B"}, None, datetime.now(UTC)))
    assert nameless["first_name"] is None and nameless["last_name"] is None


def test_only_digits_of_a_plausible_length_become_a_phone():
    for given in ("+351912345678", "12345", "1" * 16, "abc", None):
        assert "phone" not in ShopperIdentity.from_rasa("s", "rest", {"phone": given}).profile


def test_delivery_states_are_read_with_their_error():
    failed = DeliveryState.parse(
        {"id": "wamid.X", "status": "failed", "errors": [{"code": 131047, "title": "Re-engagement message"}]}
    )
    assert failed == DeliveryState("wamid.X", "failed", 131047, "Re-engagement message")
    assert DeliveryState.parse({"id": "wamid.X", "status": "read"}) == DeliveryState("wamid.X", "read")
    assert DeliveryState.parse({"id": "wamid.X", "status": "deleted"}) is None
    assert DeliveryState.parse({"status": "read"}) is None
    assert DeliveryState.parse("read") is None
