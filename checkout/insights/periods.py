"""Day and week buckets (UTC, weeks starting on Monday) ending with the current one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta


@dataclass(frozen=True)
class Bucket:
    start: datetime
    end: datetime  # exclusive
    label: str


def days(today: date, count: int) -> list[Bucket]:
    firsts = [today - timedelta(days=count - 1 - i) for i in range(count)]
    return [Bucket(_at(d), _at(d + timedelta(days=1)), d.strftime("%d %b")) for d in firsts]


def weeks(today: date, count: int) -> list[Bucket]:
    monday = today - timedelta(days=today.weekday())
    firsts = [monday - timedelta(weeks=count - 1 - i) for i in range(count)]
    return [Bucket(_at(d), _at(d + timedelta(weeks=1)), "wk " + d.strftime("%d %b")) for d in firsts]


def bucket_index(buckets: list[Bucket], moment: datetime) -> int | None:
    for i, bucket in enumerate(buckets):
        if bucket.start <= moment < bucket.end:
            return i
    return None


def _at(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)
