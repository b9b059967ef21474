"""Rasa replies rendered for Telegram: escaping, keyboards, photos, long texts."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.telegram.rendering import MAX_TEXT, Outgoing, escape, keyboard, render, split_text


@pytest.mark.parametrize("name", ["Dad_Cap", "*Limited* Tee", "Snap_back *cap*_", "<b>Mug</b> & co", "`code` [x](y)"])
def test_product_names_with_markup_characters_are_shown_as_written(name):
    [message] = render([{"text": f"Added 1 × {name} (€22.00)"}])
    # HTML mode: only <, > and & mean anything, and they are escaped; _ * ` [ ] stay literal characters.
    assert html.unescape(message.text) == f"Added 1 × {name} (€22.00)"
    assert "<" not in message.text and ">" not in message.text


@given(st.text())
def test_escaping_never_leaves_a_tag_and_is_reversible(text):
    escaped = escape(text)
    assert "<" not in escaped and ">" not in escaped and html.unescape(escaped) == text


def test_buttons_become_an_inline_keyboard_with_short_keys():
    [message] = render(
        [
            {
                "text": "Pick",
                "buttons": [
                    {"title": "Dad Cap", "payload": '/product_info{"product": "Dad Cap"}'},
                    {"title": "", "payload": "/x"},
                    {"title": "No payload"},
                    "junk",
                ],
            }
        ]
    )
    assert message.buttons == (("Dad Cap", '/product_info{"product": "Dad Cap"}'),)
    markup = keyboard(message.buttons, {'/product_info{"product": "Dad Cap"}': "k1"})
    assert [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard] == [[("Dad Cap", "k1")]]
    assert keyboard((), {}) is None


def test_images_become_photos_and_the_order_is_kept():
    rendered = render(
        [
            {"text": "first"},
            {"image": "https://shop.example/a.jpg"},
            {"text": "last"},
            {"image": "javascript:alert(1)"},
            {"custom": {"anything": 1}},
            {},
        ]
    )
    assert rendered == [Outgoing(text="first"), Outgoing(photo="https://shop.example/a.jpg"), Outgoing(text="last")]


def test_text_with_an_image_becomes_a_captioned_photo_with_the_buttons():
    [photo] = render(
        [
            {
                "text": "Hoodie",
                "image": "https://shop.example/h.jpg",
                "buttons": [{"title": "Add", "payload": "/add_to_cart"}],
            }
        ]
    )
    assert photo == Outgoing(text="Hoodie", photo="https://shop.example/h.jpg", buttons=(("Add", "/add_to_cart"),))


def test_buttons_without_text_still_get_a_message():
    [message] = render([{"buttons": [{"title": "Yes", "payload": "/affirm"}]}])
    assert message.text and message.buttons == (("Yes", "/affirm"),)


def test_long_texts_are_split_at_line_breaks_with_the_buttons_on_the_last_part():
    text = "\n".join(f"line {i} " + "x" * 90 for i in range(100))
    parts = render([{"text": text, "buttons": [{"title": "OK", "payload": "/affirm"}]}])
    assert len(parts) == 3 and all(len(p.text) <= MAX_TEXT for p in parts)
    assert [bool(p.buttons) for p in parts] == [False, False, True]
    assert "\n".join(html.unescape(p.text) for p in parts) == text


def test_split_text_cuts_a_text_without_breaks_too():
    assert split_text("a" * 9000) == ["a" * MAX_TEXT, "a" * MAX_TEXT, "a" * 1000]
    assert split_text("short") == ["short"]
