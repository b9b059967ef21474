"""Foundation smoke test: a REST message gets a reply that a custom action built from the database."""

from __future__ import annotations

import pytest

from checkout.catalog.importer import export_catalog, import_catalog

pytestmark = pytest.mark.e2e


def test_reply_is_built_from_the_live_catalog(stack):
    reply = stack.say("what do you sell")
    text = " ".join(m.get("text", "") for m in reply)
    assert "hoodies" in text and "t-shirts" in text
    assert any(b["payload"].startswith("/browse_catalog") for m in reply for b in m.get("buttons", []))

    # A category added to the database shows up in the very next answer: no retraining, no cache.
    with stack.db.transaction() as session:
        original = export_catalog(session)
        csv_text = original + "SCARF-WOOL-RED,Wool Scarf,39.00,EUR,5,scarves,Lambswool scarf,red,,\n"
        assert import_catalog(session, csv_text.encode(), "EUR").ok
    try:
        reply = stack.say("what do you sell")
        assert "scarves" in " ".join(m.get("text", "") for m in reply)
        assert stack.healthy()
    finally:
        # The session's stack is shared: the tests after this one get the demo catalog back (test_learning
        # expects the default model's catalog, whose model is cached, not a new one to train).
        with stack.db.transaction() as session:
            assert import_catalog(session, original.encode(), "EUR").ok
