"""The campaign pace (bot/pacing.py) on a fake clock: what Telegram would count at its end stays within the limits,
however long each request takes and wherever in it Telegram counts the message."""

from __future__ import annotations

import random

import pytest

from bot.pacing import CampaignPace


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def send_all(pace: CampaignPace, clock: FakeClock, chats: list[str], latency, rng: random.Random) -> list:
    """Sends one message per entry of `chats` the way the gateway does; returns (chat, arrival at Telegram), the
    arrival anywhere between the start of the request and its answer."""
    arrivals = []
    for chat in chats:
        clock.now += pace.delay(chat)
        pace.started()
        started, took = clock.now, latency()
        clock.now += took
        arrivals.append((chat, started + rng.random() * took))
        pace.finished(chat)
    return arrivals


def most_in_one_second(times: list[float]) -> int:
    times = sorted(times)
    return max(sum(1 for u in times[i:] if u < t + 1.0) for i, t in enumerate(times))


@pytest.mark.parametrize("slowest", [0.0, 0.01, 0.2, 1.5])
def test_no_second_at_telegram_holds_more_than_twenty(slowest):
    rng, clock = random.Random(7), FakeClock()
    pace = CampaignPace(clock=clock)
    arrivals = send_all(pace, clock, [f"chat{i}" for i in range(300)], lambda: rng.random() * slowest, rng)
    assert most_in_one_second([t for _, t in arrivals]) <= 20
    if slowest <= 0.01:  # fast requests: the pace itself is what takes the time, close to 20 a second
        assert 300 / 20 - 1 <= clock.now - 1000.0 <= 300 / 20 + 0.5


def test_starts_are_spread_evenly_not_in_bursts():
    clock = FakeClock()
    pace = CampaignPace(clock=clock)
    starts = []
    for i in range(5):
        clock.now += pace.delay(f"chat{i}")
        pace.started()
        starts.append(clock.now)
        pace.finished(f"chat{i}")
    assert [round(b - a, 3) for a, b in zip(starts, starts[1:], strict=False)] == [0.05] * 4


def test_one_chat_gets_at_most_one_message_a_second():
    rng, clock = random.Random(3), FakeClock()
    pace = CampaignPace(clock=clock)
    chats = ["a", "a", "b", "a", "c", "b", "b", "a"] * 5
    arrivals = send_all(pace, clock, chats, lambda: rng.random() * 0.3, rng)
    for chat in "abc":
        times = [t for c, t in arrivals if c == chat]
        assert all(later - earlier >= 1.0 for earlier, later in zip(times, times[1:], strict=False))


def test_an_idle_pace_lets_the_first_message_go_at_once_and_forgets_old_chats():
    clock = FakeClock()
    pace = CampaignPace(clock=clock)
    assert pace.delay("a") == 0.0
    for i in range(1000):
        clock.now += pace.delay(f"chat{i}")
        pace.started()
        pace.finished(f"chat{i}")
    assert pace.chats_remembered <= 21  # only chats answered within the last second are kept
    clock.now += 5
    assert pace.delay("chat999") == pace.delay() == 0.0
