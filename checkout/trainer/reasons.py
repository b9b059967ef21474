"""Why a shopper's message is worth a trainer's look: the rules of the review inbox, on plain values."""

from __future__ import annotations

from enum import StrEnum

SMALL_MARGIN = 0.1  # between the top two intents of the ranking: the model could not tell them apart
FALLBACK_INTENT = "nlu_fallback"


class Reason(StrEnum):
    """Why a text is in the inbox; a text with several reasons shows the strongest (the first here)."""

    FLAGGED = "flagged"  # a seller marked it "not understood"
    FALLBACK = "fallback"  # predicted nlu_fallback
    LOW_CONFIDENCE = "low_confidence"  # below SHOP_REVIEW_CONFIDENCE
    SMALL_MARGIN = "small_margin"
    SAMPLE = "sample"  # none of the above: a fixed share of the rest, so the reviewed set is not only hard cases


REASON_RANK = {reason: rank for rank, reason in enumerate(Reason)}


def sampled(key: str, share: float) -> bool:
    """Whether a text falls in the random share. Decided by its key, so the same texts stay sampled between
    page loads and the share of texts is `share` whatever the order they come in."""
    return int(key[:8], 16) < share * 0x1_0000_0000


def ranking_margin(ranking: list | None) -> float | None:
    if not ranking or len(ranking) < 2:
        return None
    # Rounded like the stored confidences (4 places), so 0.65 - 0.55 is 0.1 and not 0.0999...
    return round(float(ranking[0]["confidence"]) - float(ranking[1]["confidence"]), 4)


def reason_for(
    key: str,
    intent: str | None,
    confidence: float | None,
    ranking: list | None,
    flagged: bool,
    threshold: float,
    sample_share: float,
) -> Reason | None:
    """The strongest reason the text is worth a look, or None when it is not."""
    margin = ranking_margin(ranking)
    if flagged:
        return Reason.FLAGGED
    if intent == FALLBACK_INTENT:
        return Reason.FALLBACK
    if confidence is not None and confidence < threshold:
        return Reason.LOW_CONFIDENCE
    if margin is not None and margin < SMALL_MARGIN:
        return Reason.SMALL_MARGIN
    return Reason.SAMPLE if sampled(key, sample_share) else None
