"""The review inbox's filters from its query string: bad values are named back to the trainer and ignored, as the
order list's are."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from web.seller.filters import day_range


@dataclass(frozen=True)
class ReviewFilters:
    intent: str | None = None
    model: str | None = None
    channel: str | None = None
    since: date | None = None
    until: date | None = None  # inclusive: the whole day

    @property
    def since_moment(self) -> datetime | None:
        return datetime.combine(self.since, time(), UTC) if self.since else None

    @property
    def until_moment(self) -> datetime | None:
        """The start of the day after `until`: review_queue's bound is exclusive."""
        return datetime.combine(self.until + timedelta(days=1), time(), UTC) if self.until else None

    def as_args(self) -> dict[str, str]:
        values = {
            "intent": self.intent,
            "model": self.model,
            "channel": self.channel,
            "from": self.since.isoformat() if self.since else None,
            "to": self.until.isoformat() if self.until else None,
        }
        return {key: value for key, value in values.items() if value}


def review_filters(args, intents: Collection[str]) -> tuple[ReviewFilters, list[str]]:
    problems: list[str] = []
    intent = (args.get("intent") or "").strip() or None
    if intent and intent not in intents:
        problems.append(f"There is no intent {intent!r} in the domain; showing every intent.")
        intent = None
    since, until = day_range(args, problems)
    model = (args.get("model") or "").strip()[:64] or None
    channel = (args.get("channel") or "").strip()[:32] or None
    return ReviewFilters(intent, model, channel, since, until), problems
