"""Rasa replies rendered for the WhatsApp Cloud API: every body inside Meta's limits, nothing a shopper needs lost."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.whatsapp.rendering import (
    MAX_MORE_PAYLOAD,
    MAX_TEXT,
    Outgoing,
    graph_body,
    more_choices,
    more_message,
    payloads_to_store,
    render,
)

TO = "15550001111"


def within_limits(body: dict) -> dict:
    """Fails unless the Cloud API would accept `body` as far as its documented limits go."""
    assert body["messaging_product"] == "whatsapp"
    assert body["recipient_type"] == "individual"
    assert body["to"] == TO
    kind = body["type"]
    if kind == "text":
        assert 0 < len(body["text"]["body"]) <= 4096 and body["text"]["body"].strip()
    elif kind == "image":
        assert body["image"]["link"].startswith(("https://", "http://"))
        assert 0 < len(body["image"].get("caption", "x")) <= 1024
    else:
        assert kind == "interactive"
        interactive = body["interactive"]
        assert 0 < len(interactive["body"]["text"]) <= 1024 and interactive["body"]["text"].strip()
        action = interactive["action"]
        if interactive["type"] == "button":
            buttons = action["buttons"]
            assert 1 <= len(buttons) <= 3
            titles = [b["reply"]["title"] for b in buttons]
            ids = [b["reply"]["id"] for b in buttons]
            assert all(b["type"] == "reply" for b in buttons)
            assert all(0 < len(t) <= 20 for t in titles) and len(set(titles)) == len(titles)
            assert all(0 < len(i) <= 256 for i in ids) and len(set(ids)) == len(ids)
        elif interactive["type"] == "list":
            assert 0 < len(action["button"]) <= 20
            [section] = action["sections"]
            assert 0 < len(section["title"]) <= 24
            rows = section["rows"]
            assert 1 <= len(rows) <= 10
            titles = [r["title"] for r in rows]
            ids = [r["id"] for r in rows]
            assert all(0 < len(t) <= 24 for t in titles) and len(set(titles)) == len(titles)
            assert all(0 < len(r.get("description", "x")) <= 72 for r in rows)
            assert all(0 < len(i) <= 200 for i in ids) and len(set(ids)) == len(ids)
        else:
            assert interactive["type"] == "cta_url"
            assert action["name"] == "cta_url"
            assert 0 < len(action["parameters"]["display_text"]) <= 20
            assert action["parameters"]["url"].startswith(("https://", "http://"))
    return body


def bodies(outgoing: list[Outgoing]) -> tuple[list[dict], dict[str, str]]:
    """The bodies for `outgoing`, each checked, with short ids as the caller would store them; and id -> payload."""
    ids = {payload: f"k{number}" for number, payload in enumerate(payloads_to_store(outgoing))}
    return [within_limits(graph_body(item, TO, ids)) for item in outgoing], {v: k for k, v in ids.items()}


def choices(count: int, title: str = "Item {}") -> list[dict]:
    return [
        {"title": title.format(n), "payload": f'/add_to_cart{{"product":"{title.format(n)}"}}'} for n in range(count)
    ]


def rows_of(body: dict) -> list[dict]:
    assert body["interactive"]["type"] == "list"
    return body["interactive"]["action"]["sections"][0]["rows"]


def press_more(row: dict, payload_by_id: dict[str, str]) -> Outgoing:
    """What the gateway does when the "More…" row comes back: decode its stored payload, send the next page."""
    remaining = more_choices(payload_by_id[row["id"]])
    assert remaining is not None
    return more_message(remaining)


# Texts


def test_a_plain_text_is_sent_as_written_without_escaping():
    [message] = render([{"recipient_id": "x", "text": "Added 1 × *Dad_Cap* ~old~ `code` <b> & (€22.00)"}])
    assert message == Outgoing(text="Added 1 × *Dad_Cap* ~old~ `code` <b> & (€22.00)")
    [body], _ = bodies([message])
    assert body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": TO,
        "type": "text",
        "text": {"body": "Added 1 × *Dad_Cap* ~old~ `code` <b> & (€22.00)"},
    }


def test_long_texts_are_split_at_line_breaks():
    text = "\n".join(f"line {i} " + "x" * 90 for i in range(100))
    parts = render([{"text": text}])
    assert len(parts) == 3 and all(len(p.text or "") <= MAX_TEXT for p in parts)
    assert "\n".join(p.text or "" for p in parts) == text
    bodies(parts)


def test_a_text_without_line_breaks_is_split_at_spaces_or_hard():
    words = " ".join(["word"] * 2000)  # 9,999 characters
    parts = render([{"text": words}])
    assert all(len(p.text or "") <= MAX_TEXT for p in parts)
    assert " ".join(p.text or "" for p in parts) == words
    solid = render([{"text": "a" * 9000}])
    assert [len(p.text or "") for p in solid] == [4096, 4096, 808]
    bodies(parts + solid)


def test_a_long_text_with_choices_puts_only_its_last_part_in_the_interactive_body():
    text = "\n".join(f"Product {i}: " + " ".join(["details"] * 10) for i in range(60))  # 5,509 characters
    parts = render([{"text": text, "buttons": [{"title": "Add", "payload": "/add"}]}])
    assert [bool(p.choices) for p in parts] == [False, False, True]
    assert len(parts[-1].text or "") <= 1024
    assert "\n".join(p.text or "" for p in parts) == text
    all_bodies, _ = bodies(parts)
    assert [b["type"] for b in all_bodies] == ["text", "text", "interactive"]


def test_empty_and_unshowable_parts_are_skipped():
    rendered = render(
        [
            {"text": "first"},
            {"text": "   "},
            {"text": 42},
            {"custom": {"anything": 1}},
            {"image": "javascript:alert(1)"},
            {"image": "ftp://shop.example/a.jpg"},
            {
                "buttons": [
                    {"title": "", "payload": "/x"},
                    {"title": "No payload"},
                    {"title": "Blank payload", "payload": "  "},
                    {"payload": "/no_title"},
                    {"title": "Bad link", "url": "javascript:alert(1)", "type": "web_url"},
                    "junk",
                ]
            },
            {},
            "junk",
            {"text": "last"},
        ]
    )
    assert rendered == [Outgoing(text="first"), Outgoing(text="last")]


# Reply buttons


def test_three_short_choices_are_reply_buttons_carrying_short_ids():
    [message] = render(
        [
            {
                "text": "Anything else?",
                "buttons": [
                    {"title": "Checkout", "payload": "/checkout"},
                    {"title": "Keep shopping", "payload": "/browse"},
                    {"title": "Twenty chars exactly", "payload": "/x"},
                ],
            }
        ]
    )
    [body], payload_by_id = bodies([message])
    interactive = body["interactive"]
    assert body["type"] == "interactive" and interactive["type"] == "button"
    assert interactive["body"] == {"text": "Anything else?"}
    buttons = [(b["reply"]["title"], payload_by_id[b["reply"]["id"]]) for b in interactive["action"]["buttons"]]
    assert buttons == [("Checkout", "/checkout"), ("Keep shopping", "/browse"), ("Twenty chars exactly", "/x")]


def test_choices_without_text_still_get_a_body():
    [message] = render([{"buttons": [{"title": "Yes", "payload": "/affirm"}]}])
    assert message == Outgoing(text="Choose one:", choices=(("Yes", "/affirm"),))
    [body], _ = bodies([message])
    assert body["interactive"]["body"]["text"] == "Choose one:"


def test_duplicate_button_titles_are_told_apart_and_a_repeated_payload_shows_once():
    [message] = render(
        [
            {
                "text": "Which size?",
                "buttons": [
                    {"title": "Add", "payload": "/add_s"},
                    {"title": "Add", "payload": "/add_m"},
                    {"title": "Add again", "payload": "/add_s"},
                ],
            }
        ]
    )
    assert message.choices == (("Add", "/add_s"), ("Add", "/add_m"))
    [body], payload_by_id = bodies([message])
    buttons = [(b["reply"]["title"], payload_by_id[b["reply"]["id"]]) for b in body["interactive"]["action"]["buttons"]]
    assert buttons == [("Add", "/add_s"), ("Add (2)", "/add_m")]


# Lists


def test_a_title_over_20_characters_makes_a_list_keeping_the_full_title():
    title = "Organic Cotton Hoodie"  # 21 characters: too long for a reply button
    long_title = "Organic Cotton Hoodie Black Limited Edition"  # too long for a row title
    [message] = render(
        [
            {
                "text": "Pick one",
                "buttons": [
                    {"title": title, "payload": "/a"},
                    {"title": long_title, "payload": "/b"},
                ],
            }
        ]
    )
    [body], payload_by_id = bodies([message])
    action = body["interactive"]["action"]
    assert action["button"] == "Choose" and action["sections"][0]["title"] == "Options"
    first, second = rows_of(body)
    assert first == {"id": first["id"], "title": title}  # fits a row: no description needed
    assert second["title"].endswith("…") and long_title.startswith(second["title"][:-1])
    assert second["title"] == "Organic Cotton Hoodie…"  # cut at a word boundary
    assert second["description"] == long_title
    assert [payload_by_id[r["id"]] for r in (first, second)] == ["/a", "/b"]


def test_a_title_too_long_even_for_a_description_is_cut_there_too():
    title = "Handmade " + "very " * 20 + "long scarf"
    [body], _ = bodies(render([{"text": "Pick", "buttons": [{"title": title, "payload": "/s"}]}]))
    [row] = rows_of(body)
    assert len(row["description"]) <= 72 and row["description"].endswith("…")
    assert title.startswith(row["description"][:-1])


def test_four_short_choices_make_a_list():
    [message] = render([{"text": "Sizes", "buttons": choices(4, "Size {}")}])
    [body], payload_by_id = bodies([message])
    rows = rows_of(body)
    assert [r["title"] for r in rows] == ["Size 0", "Size 1", "Size 2", "Size 3"]
    assert all("description" not in r for r in rows)
    assert [payload_by_id[r["id"]] for r in rows] == [b["payload"] for b in choices(4, "Size {}")]


def test_titles_that_are_equal_after_cutting_get_a_suffix_and_keep_their_full_titles():
    titles = ["Black Hoodie Limited Edition Size M", "Black Hoodie Limited Edition Size L", "Black Hoodie"]
    [message] = render(
        [{"text": "Which?", "buttons": [{"title": t, "payload": f"/p{i}"} for i, t in enumerate(titles)]}]
    )
    [body], payload_by_id = bodies([message])
    rows = rows_of(body)
    assert rows[0]["title"] == "Black Hoodie Limited…"
    assert rows[1]["title"] != rows[0]["title"] and rows[1]["title"].endswith(" (2)")
    assert [r.get("description") for r in rows] == [titles[0], titles[1], None]
    assert [payload_by_id[r["id"]] for r in rows] == ["/p0", "/p1", "/p2"]


def test_ten_choices_fit_one_list():
    [message] = render([{"text": "Catalogue", "buttons": choices(10)}])
    [body], _ = bodies([message])
    assert [r["title"] for r in rows_of(body)] == [f"Item {n}" for n in range(10)]


def test_eleven_choices_page_behind_a_more_row():
    [message] = render([{"text": "Catalogue", "buttons": choices(11)}])
    [body], payload_by_id = bodies([message])
    rows = rows_of(body)
    assert [r["title"] for r in rows] == [f"Item {n}" for n in range(9)] + ["More…"]
    assert rows[-1]["description"] == "2 more"
    more_payload = payload_by_id[rows[-1]["id"]]
    assert more_choices(more_payload) == tuple((b["title"], b["payload"]) for b in choices(11)[9:])
    # The next page follows the same rules: two short titles are reply buttons.
    [page], page_ids = bodies([press_more(rows[-1], payload_by_id)])
    assert page["interactive"]["type"] == "button"
    assert [page_ids[b["reply"]["id"]] for b in page["interactive"]["action"]["buttons"]] == [
        b["payload"] for b in choices(11)[9:]
    ]


def test_twenty_five_choices_page_nine_nine_seven_and_none_is_lost():
    sent = choices(25, "Product number {}")
    outgoing = render([{"text": "Everything we have", "buttons": sent}])
    seen: list[tuple[str, str]] = []
    page_sizes = []
    while True:
        [body], payload_by_id = bodies(outgoing)
        rows = rows_of(body)
        offered = [(r["title"], payload_by_id[r["id"]]) for r in rows]
        if rows[-1]["title"] == "More…":
            assert more_choices(offered[-1][1]) is not None
            seen += offered[:-1]
            page_sizes.append(len(rows) - 1)
            outgoing = [press_more(rows[-1], payload_by_id)]
        else:
            seen += offered
            page_sizes.append(len(rows))
            break
    assert page_sizes == [9, 9, 7]
    assert seen == [(b["title"], b["payload"]) for b in sent]


def test_more_payloads_are_stored_like_any_other_payload():
    outgoing = render([{"text": "Catalogue", "buttons": choices(11)}, {"text": "Sure?", "buttons": choices(2)}])
    stored = payloads_to_store(outgoing)
    assert stored[:9] == [b["payload"] for b in choices(9)]
    assert more_choices(stored[9]) is not None
    assert stored[10:] == []  # the second message's payloads are the first two items', stored once


def test_more_payloads_stay_small_however_many_choices_come():
    outgoing = render([{"text": "Everything", "buttons": choices(500, "A rather long product name number {}")}])
    [more] = [p for p in payloads_to_store(outgoing) if more_choices(p) is not None]
    assert len(more) <= MAX_MORE_PAYLOAD
    bodies(outgoing)


@pytest.mark.parametrize(
    "payload",
    ["/add_to_cart", "/more", "more:[]", "Yes please", "\x1fmore:", "\x1fmore:{}", "\x1fmore:[[1,2]]", "\x1fmore:[["],
)
def test_only_our_more_payloads_decode(payload):
    assert more_choices(payload) is None


def test_a_rasa_button_cannot_pass_for_a_more_row():
    assert render([{"text": "Hi", "buttons": [{"title": "Trick", "payload": '\x1fmore:[["a","/b"]]'}]}]) == [
        Outgoing(text="Hi")
    ]


# Images


def test_an_image_with_a_short_text_is_captioned():
    [message] = render([{"text": "Black Hoodie, €45", "image": "https://shop.example/h.jpg"}])
    [body], _ = bodies([message])
    assert body["type"] == "image"
    assert body["image"] == {"link": "https://shop.example/h.jpg", "caption": "Black Hoodie, €45"}


def test_an_image_alone_has_no_caption():
    [body], _ = bodies(render([{"image": "https://shop.example/h.jpg"}]))
    assert body["image"] == {"link": "https://shop.example/h.jpg"}


def test_an_image_with_a_long_text_goes_first_then_the_text():
    text = "A long description. " * 60  # 1,200 characters: over the caption limit
    parts = render([{"text": text, "image": "https://shop.example/h.jpg"}])
    assert parts == [Outgoing(image="https://shop.example/h.jpg"), Outgoing(text=text.strip())]
    bodies(parts)


def test_an_image_with_choices_goes_first_then_the_text_with_the_choices():
    parts = render(
        [
            {
                "text": "Black Hoodie, €45",
                "image": "https://shop.example/h.jpg",
                "buttons": [{"title": "Add to cart", "payload": "/add"}],
            }
        ]
    )
    assert parts == [
        Outgoing(image="https://shop.example/h.jpg"),
        Outgoing(text="Black Hoodie, €45", choices=(("Add to cart", "/add"),)),
    ]
    image, choice = bodies(parts)[0]
    assert "caption" not in image["image"] and choice["interactive"]["type"] == "button"


# Links


def test_a_payment_link_is_a_cta_url_message():
    [message] = render(
        [
            {
                "text": "Your total is €45.00. Pay by 14:30 UTC.",
                "buttons": [{"title": "Pay now", "url": "https://pay.example/s/abc", "type": "web_url"}],
            }
        ]
    )
    [body], _ = bodies([message])
    assert body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": TO,
        "type": "interactive",
        "interactive": {
            "type": "cta_url",
            "body": {"text": "Your total is €45.00. Pay by 14:30 UTC."},
            "action": {
                "name": "cta_url",
                "parameters": {"display_text": "Pay now", "url": "https://pay.example/s/abc"},
            },
        },
    }


def test_a_link_without_text_says_its_title_and_a_long_title_is_cut():
    title = "Pay securely with your card now"
    [message] = render([{"buttons": [{"title": title, "url": "https://pay.example/s/abc", "type": "web_url"}]}])
    [body], _ = bodies([message])
    assert body["interactive"]["body"]["text"] == title
    display = body["interactive"]["action"]["parameters"]["display_text"]
    assert display.endswith("…") and len(display) <= 20 and title.startswith(display[:-1])


def test_text_with_choices_and_a_link_sends_the_choices_then_the_link():
    parts = render(
        [
            {
                "text": "Order A1B2 is waiting for payment.",
                "buttons": [
                    {"title": "Pay now", "url": "https://pay.example/s/abc", "type": "web_url"},
                    {"title": "Cancel order", "payload": "/cancel_order"},
                ],
            }
        ]
    )
    assert parts == [
        Outgoing(text="Order A1B2 is waiting for payment.", choices=(("Cancel order", "/cancel_order"),)),
        Outgoing(text="Pay now", link=("Pay now", "https://pay.example/s/abc")),
    ]
    choice, link = bodies(parts)[0]
    assert choice["interactive"]["type"] == "button" and link["interactive"]["type"] == "cta_url"


def test_a_long_text_with_a_link_puts_its_last_part_in_the_cta_body():
    text = "Terms. " * 300  # 2,100 characters
    parts = render([{"text": text, "buttons": [{"title": "Pay now", "url": "https://pay.example/s/abc"}]}])
    assert [p.link is not None for p in parts] == [False, True]
    assert " ".join(p.text or "" for p in parts) == text.strip()
    bodies(parts)


# Hand-built messages and anything Rasa may send


def test_hand_built_messages_are_kept_inside_the_limits_too():
    bodies(
        [
            Outgoing(text="x" * 5000),
            Outgoing(text="y" * 2000, image="https://shop.example/a.jpg"),
            Outgoing(text="z" * 2000, choices=(("Line\nbreak title", "/a"),)),
            Outgoing(text="w" * 2000, link=("A very long link title indeed", "https://pay.example")),
        ]
    )


titles = st.text(alphabet=st.sampled_from("ab c\n…é😀"), max_size=90)
buttons = st.one_of(
    st.fixed_dictionaries({"title": titles, "payload": st.sampled_from(["/a", "/b", "/c", "", "plain text"])}),
    st.fixed_dictionaries({"title": titles, "payload": st.text(min_size=1, max_size=40)}),
    st.fixed_dictionaries({"title": titles, "url": st.sampled_from(["https://pay.example/x", "ftp://x", ""])}),
)
rasa_messages = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "text": st.text(alphabet=st.sampled_from("ab \n*_é😀"), max_size=6000),
            "image": st.sampled_from(["https://shop.example/a.jpg", "data:x", ""]),
            "buttons": st.lists(buttons, max_size=30),
            "custom": st.just({"x": 1}),
        },
    ),
    max_size=3,
)


@settings(max_examples=200, deadline=None)
@given(rasa_messages)
def test_every_body_from_any_reply_is_inside_the_limits(messages):
    outgoing = render(messages)
    sent, payload_by_id = bodies(outgoing)
    # Paging on: every "More…" row leads to a page inside the limits as well.
    for body in sent:
        if body["type"] == "interactive" and body["interactive"]["type"] == "list":
            for row in rows_of(body):
                if more_choices(payload_by_id[row["id"]]) is not None:
                    bodies([press_more(row, payload_by_id)])
