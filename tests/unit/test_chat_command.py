"""`shop chat` against a fake Rasa REST channel on loopback: replies, numbered buttons, leaving, Rasa down."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from checkout.settings import Settings
from cli.context import AppContext
from cli.main import shop
from tests.fake_rasa import FakeRasa, closed_port

REPLY = [
    {
        "text": "We sell hoodies and caps.\nWhich would you like to see?",
        "buttons": [
            {"title": "Hoodies", "payload": '/browse_catalog{"category":"hoodies"}'},
            {"title": "Caps", "payload": '/browse_catalog{"category":"caps"}'},
            {"title": "Pay online", "type": "web_url", "url": "https://pay.example/x"},
        ],
    },
    {"image": "https://images.example/hoodie.png"},
]


@pytest.fixture
def rasa():
    fake = FakeRasa(lambda body: REPLY)
    yield fake
    fake.close()


def chat(port: int, input: str, *args: str):
    return CliRunner().invoke(shop, ["chat", *args], input=input, obj=AppContext(Settings(rasa_port=port)))


def test_prints_text_images_and_numbered_buttons(rasa):
    result = chat(rasa.port, "what do you sell\n")
    assert result.exit_code == 0, result.output
    assert "We sell hoodies and caps.\nWhich would you like to see?" in result.stdout
    assert "  1. Hoodies\n  2. Caps\n  3. Pay online (https://pay.example/x)\n" in result.stdout
    assert "[image: https://images.example/hoodie.png]" in result.stdout


def test_a_number_sends_that_buttons_payload(rasa):
    result = chat(rasa.port, "what do you sell\n2\n")
    assert result.exit_code == 0, result.output
    assert rasa.messages == ["what do you sell", '/browse_catalog{"category":"caps"}']
    assert "> 2\n→ Caps\n" in result.stdout


def test_a_number_without_such_a_button_is_sent_as_text(rasa):
    chat(rasa.port, "2\nhi\n7\n")
    assert rasa.messages == ["2", "hi", "7"]


def test_a_link_button_is_shown_not_sent(rasa):
    result = chat(rasa.port, "hi\n3\n")
    assert rasa.messages == ["hi"]
    assert "Open https://pay.example/x in your browser." in result.stdout


def test_sender_and_metadata_are_one_cli_conversation(rasa):
    chat(rasa.port, "hi\nmore\n")
    senders = {body["sender"] for body in rasa.received}
    assert len(senders) == 1 and senders.pop().startswith("cli-")
    first, second = (body["metadata"] for body in rasa.received[:2])
    assert first == {"channel": "cli", "user_id": rasa.received[0]["sender"], "message_id": first["message_id"]}
    assert first["message_id"] != second["message_id"]  # one per line sent
    assert chat(rasa.port, "again\n").exit_code == 0
    assert rasa.received[-1]["sender"] != rasa.received[0]["sender"]


def test_sender_option_continues_a_conversation(rasa):
    chat(rasa.port, "hi\n", "--sender", "cli-mine")
    assert [body["sender"] for body in rasa.received] == ["cli-mine"]


def test_quit_stops_reading_and_blank_lines_are_skipped(rasa):
    result = chat(rasa.port, "hi\n\n   \n/quit\nnever sent\n")
    assert result.exit_code == 0
    assert rasa.messages == ["hi"]


def test_end_of_input_leaves_cleanly(rasa):
    result = chat(rasa.port, "")
    assert result.exit_code == 0
    assert rasa.received == []


def test_rasa_down_is_a_clear_message_and_exit_1():
    result = chat(closed_port(), "hi\n")
    assert result.exit_code == 1
    assert "not reachable" in result.stderr and "shop run" in result.stderr
