"""Seller dashboard, inbox (reply through the outbox, recorded once; hand back through Rasa's API) and
catalog (edits with a stale-stock guard, CSV import with the CLI's row errors, export)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from sqlalchemy import select, update

from checkout.db.models import AuditLog, Conversation, Message, OutboxMessage, Product, Variant
from checkout.learning import record_status
from checkout.notifications import hold_for_window, mark_failed, mark_sent
from tests.integration.dashboard import EMAIL, XSS, csrf_token, post_form
from tests.integration.orm_builders import DEMO_CSV


def evil_conversation(db) -> Conversation:
    with db.reading() as session:
        return session.scalar(select(Conversation).where(Conversation.sender_id == "web-evil"))


def reply_form(client, conversation_id: int) -> dict:
    html = client.get(f"/seller/conversations/{conversation_id}").get_data(as_text=True)
    return {
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1),
        "form_token": re.search(r'name="form_token" value="([^"]+)"', html).group(1),
    }


def test_inbox_lists_handed_over_conversations_only(app, seller, shop):
    html = seller.get("/seller/inbox").get_data(as_text=True)
    conversation = evil_conversation(app.extensions["database"])
    assert f"/seller/conversations/{conversation.id}" in html
    assert f"/seller/conversations/{shop['talk']}" not in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html


def test_reply_is_queued_recorded_and_audited_once(app, seller, shop):
    db = app.extensions["database"]
    conversation = evil_conversation(db)
    form = {**reply_form(seller, conversation.id), "text": "Hi! Yes, we ship to Berlin <b>tomorrow</b>."}
    path = f"/seller/conversations/{conversation.id}/reply"
    assert seller.post(path, data=form).headers["Location"] == f"/seller/conversations/{conversation.id}"
    seller.post(path, data=form)  # the same form again: a double click
    with db.reading() as session:
        outbox = list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "seller_reply")))
        recorded = list(session.scalars(select(Message).where(Message.response_name == "seller_reply")))
        audit = list(session.scalars(select(AuditLog).where(AuditLog.action == "conversation.seller_reply")))
    assert [(m.channel, m.recipient, m.text, m.status) for m in outbox] == [
        ("web", "web-evil", form["text"], "pending")
    ]
    assert [(m.conversation_id, m.direction, m.text) for m in recorded] == [(conversation.id, "out", form["text"])]
    assert [(a.actor, a.entity_id) for a in audit] == [(f"seller:{EMAIL}", str(conversation.id))]
    html = seller.get(f"/seller/conversations/{conversation.id}").get_data(as_text=True)
    assert "That reply was already sent." in html and "&lt;b&gt;tomorrow&lt;/b&gt;" in html


def test_the_conversation_says_which_replies_did_not_reach_the_shopper(app, seller, shop):
    db = app.extensions["database"]
    conversation = evil_conversation(db)
    texts = ["Held: we ship on Monday", "Read: it comes in black too", "Failed: your parcel left"]
    for text in texts:
        seller.post(
            f"/seller/conversations/{conversation.id}/reply", data={**reply_form(seller, conversation.id), "text": text}
        )
    with db.transaction() as session:
        ids = {m.text: m.id for m in session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "seller_reply"))}
        hold_for_window(session, ids[texts[0]], "not deliverable until the shopper writes (more than 24 hours)")
        mark_sent(session, ids[texts[1]], "wamid.1")
        session.execute(update(OutboxMessage).where(OutboxMessage.id == ids[texts[1]]).values(delivery_state="read"))
        mark_failed(session, ids[texts[2]], "WhatsApp: 131026 Message undeliverable", permanent=True)
    html = seller.get(f"/seller/conversations/{conversation.id}").get_data(as_text=True)
    box = html[html.index("Not yet delivered") : html.index('class="transcript"')]
    assert texts[0] in box and '<span class="badge flag">not deliverable until the shopper writes</span>' in box
    assert texts[2] in box and '<span class="badge flag">not delivered</span>: WhatsApp: 131026' in box
    assert texts[1] not in box and "go out by themselves as soon as the shopper writes" in box
    notes = html[html.index('class="transcript"') :]  # each reply in the conversation says what became of it
    assert notes.index(texts[1]) < notes.index("seller · sent, read") < notes.index(texts[2])
    inbox = seller.get("/seller/inbox").get_data(as_text=True)
    assert '<span class="badge flag">1 reply waiting until the shopper writes</span>' in inbox
    assert "Not yet delivered" not in seller.get(f"/seller/conversations/{shop['talk']}").get_data(as_text=True)


def test_empty_reply_is_refused(app, seller, shop):
    conversation = evil_conversation(app.extensions["database"])
    form = {**reply_form(seller, conversation.id), "text": "   "}
    seller.post(f"/seller/conversations/{conversation.id}/reply", data=form)
    assert "Not sent: the reply is empty." in seller.get(f"/seller/conversations/{conversation.id}").get_data(
        as_text=True
    )
    with app.extensions["database"].reading() as session:
        assert session.scalar(select(OutboxMessage)) is None


def test_hand_back_resumes_the_bot_through_rasa_and_leaves_the_inbox(app, seller, shop, rasa):
    conversation = evil_conversation(app.extensions["database"])
    response = post_form(seller, f"/seller/conversations/{conversation.id}/release")
    assert response.headers["Location"] == "/seller/inbox"
    assert rasa.appended == [("web-evil", [{"event": "resume"}, {"event": "action", "name": "action_listen"}])]
    assert evil_conversation(app.extensions["database"]).handoff_released_at is not None
    assert "Nobody is waiting for you." in seller.get("/seller/inbox").get_data(as_text=True)


def test_hand_back_keeps_the_conversation_when_rasa_refuses(app, seller, shop, rasa):
    app.config["SETTINGS"] = app.config["SETTINGS"].replace(rasa_api_token="wrong-token")
    conversation = evil_conversation(app.extensions["database"])
    post_form(seller, f"/seller/conversations/{conversation.id}/release")
    assert rasa.appended == []
    assert evil_conversation(app.extensions["database"]).handoff_released_at is None
    assert "stays with you" in seller.get(f"/seller/conversations/{conversation.id}").get_data(as_text=True)


def variant(db, sku: str) -> Variant:
    with db.reading() as session:
        return session.scalar(select(Variant).where(Variant.sku == sku))


def save_variant(client, v: Variant, **fields):
    data = {
        "price": "22.00",
        "stock": "" if v.stock is None else str(v.stock),
        "stock_seen": "" if v.stock is None else str(v.stock),
        "active": "on",
        **fields,
    }
    return post_form(
        client,
        f"/seller/catalog/variants/{v.id}",
        {k: x for k, x in data.items() if x is not None},
        page="/seller/catalog",
    )


def test_edit_price_stock_and_active_is_audited(app, seller, shop):
    db = app.extensions["database"]
    cap = variant(db, "CAP-DAD-BEI")
    assert f'id="variant-{cap.id}"' in seller.get("/seller/catalog").get_data(as_text=True)
    save_variant(seller, cap, price="19.50", stock="40", active=None)
    after = variant(db, "CAP-DAD-BEI")
    assert (after.price_minor, after.stock, after.active) == (1950, 40, False)
    with db.reading() as session:
        entry = session.scalar(select(AuditLog).where(AuditLog.action == "catalog.variant_updated"))
    assert entry.entity_id == "CAP-DAD-BEI" and entry.details == {
        "before": {"price_minor": 2200, "stock": 9, "active": True},
        "after": {"price_minor": 1950, "stock": 40, "active": False},
    }
    # The other colour is still sold, so the product is; switching that one off too takes the product off sale.
    save_variant(seller, variant(db, "CAP-DAD-BLK"), active=None)
    with db.reading() as session:
        assert session.scalar(select(Product.active).where(Product.name == "Dad Cap")) is False


def test_bad_edits_and_stale_stock_change_nothing(app, seller, shop):
    db = app.extensions["database"]
    cap = variant(db, "CAP-DAD-BEI")
    for fields, complaint in [
        ({"price": "12,50"}, "is not a number like 24.90"),
        ({"price": "1.234"}, "decimals"),
        ({"stock": "-3"}, "whole number of 0 or more"),
        ({"stock": "10", "stock_seen": "8"}, "stock changed to 9 since the page was loaded"),
    ]:
        save_variant(seller, cap, **fields)
        assert complaint in seller.get("/seller/catalog").get_data(as_text=True), fields
    after = variant(db, "CAP-DAD-BEI")
    assert (after.price_minor, after.stock, after.active) == (2200, 9, True)


def upload(client, content: bytes, name: str = "catalog.csv"):
    return client.post(
        "/seller/catalog/import",
        content_type="multipart/form-data",
        data={"csrf_token": csrf_token(client, "/seller/catalog"), "file": (io.BytesIO(content), name)},
    )


def test_csv_import_reports_every_bad_row_and_changes_nothing(app, seller, shop):
    bad = DEMO_CSV.read_bytes().replace(b"59.00", b"cheap", 1).replace(b",14,", b",-1,", 1)
    response = upload(seller, bad, f"{XSS}.csv")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "the catalog is unchanged" in html
    assert re.search(r"line \d+: price &#39;cheap&#39; is not a number like 24.90", html)
    assert re.search(r"line \d+: .*stock", html) and "<script>alert" not in html
    assert variant(app.extensions["database"], "CAP-DAD-BLK").stock == 14


def test_csv_import_and_export_round_trip(app, seller, shop):
    exported = seller.get("/seller/catalog/export.csv").get_data()
    changed = exported.replace(b"Dad Cap,22.00", b"Dad Cap,24.00")
    response = upload(seller, changed)
    assert response.headers["Location"] == "/seller/catalog"
    assert "2 updated" in seller.get("/seller/catalog").get_data(as_text=True)
    assert variant(app.extensions["database"], "CAP-DAD-BLK").price_minor == 2400
    rows = list(csv.DictReader(io.StringIO(seller.get("/seller/catalog/export.csv?all=1").get_data(as_text=True))))
    assert {r["sku"] for r in rows} >= {"CAP-DAD-BLK", "HOOD-HVY-BLK-M"}
    with app.extensions["database"].reading() as session:
        assert session.scalar(select(AuditLog.action).where(AuditLog.action == "catalog.imported"))
    assert "Choose a CSV file" in seller.get(
        seller.post("/seller/catalog/import", data={"csrf_token": csrf_token(seller, "/seller/catalog")}).headers[
            "Location"
        ]
    ).get_data(as_text=True)


def test_an_import_publishes_the_new_names_and_the_page_says_the_assistant_is_learning(app, seller, shop):
    settings = app.config["SETTINGS"]
    exported = seller.get("/seller/catalog/export.csv").get_data()
    response = upload(seller, exported + b"TEA-LAP,Smoky Lapsang,9.00,EUR,5,teas,Pine-smoked black tea,,,\n")
    assert response.headers["Location"] == "/seller/catalog"
    assert "Smoky Lapsang" in Path(settings.shop_catalog_terms_file).read_text()  # read in chats at once
    page = seller.get("/seller/catalog").get_data(as_text=True)
    assert "The assistant is learning the new names" in page
    record_status(settings, "learned", "abc.tar.gz")
    assert "The assistant has learned the current catalog" in seller.get("/seller/catalog").get_data(as_text=True)


def test_a_trainers_training_is_not_called_the_catalogs_learning(app, seller, shop):
    settings = app.config["SETTINGS"]
    record_status(settings, "training", stage="DIETClassifier", epoch=3, epochs=100, request="r1")
    page = seller.get("/seller/catalog").get_data(as_text=True)
    assert "learning the new names" not in page and "A trainer's model is being trained" in page
    record_status(settings, "failed", "cancelled", request="r1")
    page = seller.get("/seller/catalog").get_data(as_text=True)
    assert "could not learn the latest catalog changes" not in page and "being trained" not in page
