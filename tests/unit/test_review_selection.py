"""The review inbox's rules on plain values: what makes a text worth a look, its identity, the sample."""

from datetime import UTC, datetime

import pytest

from checkout.trainer.reasons import Reason, ranking_margin, reason_for, sampled
from checkout.trainer.review import ReviewRow, review_row_to_dict, text_key
from cli.review_commands import review_line

KEY = text_key("do you have the black hoodie")


def ranked(*pairs):
    return [{"name": name, "confidence": confidence} for name, confidence in pairs]


def reason(intent="greet", confidence=0.95, ranking=None, flagged=False, key=KEY, share=0.0):
    return reason_for(key, intent, confidence, ranking, flagged, 0.6, share)


def test_a_text_is_the_same_whatever_its_case_and_spacing():
    assert (
        text_key("Do you ship  to\tBerlin?")
        == text_key(" do you ship to berlin? ")
        == text_key("DO YOU SHIP TO BERLIN?")
    )
    assert text_key("do you ship to berlin") != text_key("do you ship to berlin?")
    assert len(text_key("x")) == 64 and int(text_key("x"), 16) >= 0


def test_each_reason_and_the_strongest_wins():
    close = ranked(("add_to_cart", 0.55), ("product_info", 0.5))
    assert reason("nlu_fallback", 0.3, close, flagged=True) == Reason.FLAGGED
    assert reason("nlu_fallback", 0.3, close) == Reason.FALLBACK
    assert reason("add_to_cart", 0.55, close) == Reason.LOW_CONFIDENCE
    assert reason("add_to_cart", 0.65, ranked(("add_to_cart", 0.65), ("product_info", 0.56))) == Reason.SMALL_MARGIN
    assert reason("add_to_cart", 0.65, ranked(("add_to_cart", 0.65), ("product_info", 0.55))) is None
    assert reason("add_to_cart", 0.6) is None  # the threshold itself is confident enough
    assert reason(None, None) is None  # never parsed (Rasa was down): only flagged or sampled


def test_the_margin_needs_two_intents():
    assert ranking_margin(None) is None and ranking_margin(ranked(("greet", 0.9))) is None
    assert ranking_margin(ranked(("greet", 0.9), ("thank", 0.05))) == pytest.approx(0.85)


def test_the_sample_is_the_same_every_time_and_about_its_share():
    keys = [text_key(f"message number {i}") for i in range(20_000)]
    picked = [key for key in keys if sampled(key, 0.05)]
    assert picked == [key for key in keys if sampled(key, 0.05)]
    assert 0.04 < len(picked) / len(keys) < 0.06
    assert not any(sampled(key, 0.0) for key in keys) and all(sampled(key, 1.0) for key in keys)
    assert reason(key=picked[0], share=0.05) == Reason.SAMPLE


def test_a_row_as_json_and_as_a_line():
    row = ReviewRow(
        text_key=KEY,
        text="do you have the black hoodie in M?? " * 3,
        message_id=42,
        intent="add_to_cart",
        confidence=0.4123,
        ranking=ranked(("add_to_cart", 0.4123), ("product_info", 0.4)),
        entities=None,
        model_id="m-1",
        conversation_id=7,
        channel="telegram",
        last_seen=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
        count=3,
        reason=Reason.LOW_CONFIDENCE,
    )
    as_json = review_row_to_dict(row)
    assert list(as_json)[:9] == [
        "message_id",
        "text",
        "intent",
        "confidence",
        "ranking",
        "entities",
        "model_id",
        "count",
        "reason",
    ]
    assert (as_json["reason"], as_json["entities"], as_json["last_seen"]) == (
        "low_confidence",
        [],
        "2026-12-01T10:00:00Z",
    )
    line = review_line(row)
    assert line.startswith("#42\t3x\tlow_confidence\tadd_to_cart 0.41\tdo you have the black hoodie in M?? do")
    assert line.endswith("…") and len(line.split("\t")[-1]) == 70
