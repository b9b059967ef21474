"""Campaign messages through the Telegram gateway (`python -m bot`) and the fake Bot API: the pace, pictures, a
blocked chat, a crash half-way, a stop; and the outbox functions underneath, on every database backend."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from checkout.db.database import Database
from checkout.db.migrate import upgrade
from checkout.db.models import Campaign, CampaignRecipient, Conversation, Customer, Message, OutboxMessage
from checkout.marketing.delivery import (
    RESPONSE_NAME,
    STOPPED_ERROR,
    campaign_stopped,
    drop_stopped,
    mark_campaign_message_sent,
)
from checkout.notifications import claim_pending, mark_unreachable, queue_for_customer
from checkout.settings import Settings
from cli.processes import Supervisor
from tests.fake_rasa import FakeRasa
from tests.fake_telegram import FakeTelegram
from tests.integration.campaign_rows import add_campaign, add_telegram_customers, queue_campaign, stop_campaign
from tests.telegram_chat import start_gateway, stop_gateway, text_of

SETTLED = ("sent", "failed")


@dataclass
class Env:
    db: Database
    fake: FakeTelegram
    settings: Settings
    log_path: Path
    gateway: Supervisor


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("campaigns")
    url = f"sqlite:///{tmp / 'shop.db'}"
    upgrade(url)
    db = Database(url)
    rasa, fake = FakeRasa(lambda body: []), FakeTelegram()
    settings = Settings(database_url=url, rasa_port=rasa.port)
    log_path = tmp / "gateway.log"
    environment = Env(db, fake, settings, log_path, start_gateway(settings, fake, log_path))
    yield environment
    stop_gateway(environment.gateway)  # the crash test starts one of its own
    rasa.close()
    fake.close()
    db.dispose()


def statuses(db: Database, row_ids: list[int]) -> dict[int, str]:
    with db.reading() as session:
        query = select(OutboxMessage.id, OutboxMessage.status).where(OutboxMessage.id.in_(row_ids))
        return {row_id: status for row_id, status in session.execute(query)}


def most_in_one_second(times: list[float]) -> int:
    times = sorted(times)
    return max(sum(1 for u in times[i:] if u < t + 1.0) for i, t in enumerate(times))


def crash(gateway: Supervisor) -> None:
    """The gateway dies at once (SIGKILL: no shutdown, whatever it was doing)."""
    os.killpg(gateway.processes["telegram"].pid, signal.SIGKILL)
    gateway.processes["telegram"].wait(10)
    stop_gateway(gateway)


def test_300_recipients_are_paced_a_blocked_chat_is_marked_and_a_crash_sends_no_one_twice(env):
    chat_ids = [600_000 + i for i in range(300)]
    chats, blocked, other_chat = {str(c) for c in chat_ids}, str(chat_ids[7]), 599_999
    env.fake.block(blocked)
    in_flight, answer = env.fake.hold(chat_ids[150])  # the gateway dies while this message is on its way
    with env.db.transaction() as session:
        customers = add_telegram_customers(session, chat_ids)
        [shopper] = add_telegram_customers(session, [other_chat])
        rows = queue_campaign(session, add_campaign(session), customers)
    row_ids, chat_of = [r.id for r in rows], {r.id: r.recipient for r in rows}

    # An order update queued in the middle of the campaign goes out within the outbox's poll, not after it.
    env.fake.wait_for(lambda: len(env.fake.messages_to(chats)) >= 60, 30, "60 campaign messages")
    with env.db.transaction() as session:
        queue_for_customer(session, shopper, "order_paid", "Payment received for order A7K2Q9", dedupe_key="t:paid")
    queued_at = time.monotonic()
    [update] = env.fake.wait_for(lambda: env.fake.delivered(other_chat), 10, "the order update")
    update_waited = update.at - queued_at

    assert in_flight.wait(30), "half the campaign sent"
    crash(env.gateway)
    answer.set()  # Telegram got it, but the gateway never heard so
    in_doubt = {i for i, s in statuses(env.db, row_ids).items() if s == "sending"}
    env.fake.wait_for(lambda: env.fake.delivered(chat_ids[150]), 10, "the message in flight")
    first_run = env.fake.messages_to(chats)
    env.gateway = start_gateway(env.settings, env.fake, env.log_path)

    def settled():
        now = statuses(env.db, row_ids)
        return all(s in SETTLED for i, s in now.items() if i not in in_doubt)

    env.fake.wait_for(settled, 40, "every campaign message sent or given up")
    calls = env.fake.messages_to(chats)
    per_chat = {c: [k for k in calls if str(k.params["chat_id"]) == c] for c in chats}
    final = statuses(env.db, row_ids)

    # Everyone once, no one twice: the message in flight at the crash stays 'sending' (whether it arrived is
    # unknown, so it is reported so and never sent again), and it was the only one the crash left in doubt.
    [doubtful] = in_doubt
    assert (chat_of[doubtful], final[doubtful]) == (str(chat_ids[150]), "sending")
    assert all(len(got) == 1 for got in per_chat.values())
    assert all(final[i] == "sent" for i in row_ids if chat_of[i] not in (blocked, str(chat_ids[150])))
    assert per_chat[blocked][0].status == 403

    # The pace, as the fake Bot API saw it: each run on its own and both together.
    second_run = calls[len(first_run) :]
    assert most_in_one_second([c.at for c in calls]) <= 20
    rates = [(len(run) - 1) / (run[-1].at - run[0].at) for run in (first_run, second_run)]
    print(
        f"\ncampaign pace: {rates[0]:.1f}/s and {rates[1]:.1f}/s after the restart, at most "
        f"{most_in_one_second([c.at for c in calls])} in any second; order update after {update_waited:.2f} s"
    )
    assert all(rate >= 10 for rate in rates)  # the pace holds it near 20 a second, not a poll or a batch
    assert update_waited < 2.5 and first_run[-1].at > update.at  # while the campaign was still going out

    with env.db.reading() as session:
        row = session.get_one(OutboxMessage, next(r.id for r in rows if r.recipient == blocked))
        assert (row.status, row.attempts, "blocked" in row.last_error) == ("failed", 1, True)
        assert session.get_one(Customer, row.customer_id).unreachable_at is not None
        recipients = dict(
            session.execute(
                select(CampaignRecipient.status, func.count())
                .where(CampaignRecipient.outbox_message_id.in_(row_ids))
                .group_by(CampaignRecipient.status)
            ).all()
        )
        assert recipients == {"sent": 298, "failed": 1, "queued": 1}
        said = session.scalars(  # in each customer's transcript
            select(Message.source_event_id).where(Message.source_event_id.in_([f"outbox:{i}" for i in row_ids]))
        ).all()
        assert len(said) == 298


def test_a_picture_goes_with_its_text_as_caption_or_before_a_long_one(env):
    long_text = "Winter sale! " + "Everything warm is 20% off this week. " * 40
    with env.db.transaction() as session:
        short, long_, plain = add_telegram_customers(session, [610_001, 610_002, 610_003])
        pictured = add_campaign(session, "Pictured", image_url="https://shop.example/hoodie.jpg")
        queue_campaign(session, pictured, [short], lambda c: "Hoodies <b>20%</b> off & more")
        queue_campaign(session, pictured, [long_], lambda c: long_text)
        queue_campaign(session, add_campaign(session, "Plain"), [plain], lambda c: "Plain offer")
    env.fake.wait_for(
        lambda: len(env.fake.delivered(610_002)) == 2 and env.fake.delivered(610_003), 20, "the three messages"
    )
    [photo] = env.fake.delivered(610_001)
    assert (photo.method, photo.params["photo"]) == ("sendPhoto", "https://shop.example/hoodie.jpg")
    assert text_of(photo) == "Hoodies <b>20%</b> off & more" and photo.params["parse_mode"] == "HTML"
    first, second = env.fake.delivered(610_002)
    assert (first.method, first.params.get("caption"), second.method) == ("sendPhoto", None, "sendMessage")
    assert text_of(second) == long_text
    assert second.at - first.at >= 1.0  # one message a second in a chat
    print(f"\ntwo messages in one chat {second.at - first.at:.2f} s apart")
    assert [(c.method, text_of(c)) for c in env.fake.delivered(610_003)] == [("sendMessage", "Plain offer")]


def test_a_stopped_campaign_sends_no_more(env):
    chat_ids = [620_000 + i for i in range(60)]
    with env.db.transaction() as session:
        customers = add_telegram_customers(session, chat_ids)
        campaign = add_campaign(session, "Stopped")
        row_ids = [r.id for r in queue_campaign(session, campaign, customers)]
    chats = {str(c) for c in chat_ids}
    env.fake.wait_for(lambda: len(env.fake.messages_to(chats)) >= 10, 20, "the first ten messages")
    with env.db.transaction() as session:
        stop_campaign(session, campaign.id)
    stopped_at = time.monotonic()
    env.fake.wait_for(lambda: all(s in SETTLED for s in statuses(env.db, row_ids).values()), 10, "the rows settled")
    calls = env.fake.messages_to(chats)
    assert len([c for c in calls if c.at > stopped_at]) <= 1  # one the gateway had already checked may go
    with env.db.reading() as session:
        recipients = session.scalars(
            select(CampaignRecipient.status).where(CampaignRecipient.campaign_id == campaign.id)
        ).all()
    assert recipients.count("sent") == len(calls) and recipients.count("stopped") == 60 - len(calls)


def test_a_message_claimed_before_the_stop_is_not_sent(env):
    """The stop fails only the pending messages; one a gateway holds is checked just before it would go."""
    chat_ids = [630_000 + i for i in range(5)]
    with env.db.transaction() as session:
        customers = add_telegram_customers(session, chat_ids)
        campaign = add_campaign(session, "Stopped while claimed")
        campaign.status = "stopped"  # as if stopped just after the gateway claimed these
        row_ids = [r.id for r in queue_campaign(session, campaign, customers)]
    env.fake.wait_for(lambda: all(s in SETTLED for s in statuses(env.db, row_ids).values()), 15, "the rows settled")
    assert env.fake.messages_to({str(c) for c in chat_ids}) == []
    with env.db.reading() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(row_ids))).all()
        assert {(r.status, r.last_error) for r in rows} == {("failed", STOPPED_ERROR)}
        assert set(
            session.scalars(select(CampaignRecipient.status).where(CampaignRecipient.campaign_id == campaign.id))
        ) == {"stopped"}


def test_campaign_rows_are_claimed_apart_and_each_settles_its_recipient(clean_db):
    with clean_db.transaction() as session:
        talked, silent, blocked = add_telegram_customers(session, [1, 2, 3])
        [fresh] = add_telegram_customers(session, [4], with_conversation=False)
        campaign = add_campaign(session)
        rows = queue_campaign(session, campaign, [talked, silent, blocked, fresh])
        update_to = queue_for_customer(session, talked, "order_paid", "Paid", dedupe_key="x:paid")
    with clean_db.transaction() as session:
        assert [m.id for m in claim_pending(session, ("telegram",), campaigns=False)] == [update_to.id]
        assert [m.id for m in claim_pending(session, ("telegram",), limit=1, campaigns=True)] == [rows[0].id]
        assert [m.id for m in claim_pending(session, ("telegram",))] == [r.id for r in rows[1:]]
    with clean_db.transaction() as session:
        mark_campaign_message_sent(session, rows[0].id, "77")
        mark_campaign_message_sent(session, rows[3].id, "78")
        mark_unreachable(session, rows[2].id, "Forbidden: bot was blocked by the user")
        assert not campaign_stopped(session, campaign.id)
        session.get_one(Campaign, campaign.id).status = "stopped"
        assert campaign_stopped(session, campaign.id)
        drop_stopped(session, rows[1].id)
    with clean_db.reading() as session:
        recipients = dict(session.execute(select(CampaignRecipient.customer_id, CampaignRecipient.status)).all())
        assert recipients == {talked.id: "sent", silent.id: "stopped", blocked.id: "failed", fresh.id: "sent"}
        assert session.get_one(Customer, blocked.id).unreachable_at is not None
        said = session.execute(
            select(Message.channel_message_id, Message.direction, Message.text, Message.conversation_id)
            .where(Message.response_name == RESPONSE_NAME)
            .order_by(Message.id)
        ).all()
        assert [(m[0], m[1], m[2]) for m in said] == [
            ("77", "out", f"Hi {talked.name}, 20% off with WINTER20"),
            ("78", "out", f"Hi {fresh.name}, 20% off with WINTER20"),
        ]
        # In the conversation the shopper had in that chat; one recorded for a chat that had none.
        conversations = [session.get_one(Conversation, m[3]) for m in said]
        assert [(c.customer_id, c.sender_id) for c in conversations] == [(talked.id, "1"), (fresh.id, "4")]
        assert session.scalar(select(func.count(Conversation.id))) == 4
