"""The outbox worker: sends once, paces, retries, drops what is too late, reports who cannot be reached."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from bot.clock import now_utc
from bot.db import Database
from bot.demo import seed_demo, telegram_id_of
from bot.offline import OfflineRequest
from bot.outbox_worker import OutboxWorker
from bot.send_limiter import SendLimiter
from bot.services import outbox
from storage.models import Member, OutboxMessage, OutboxStatus
from tests.conftest import BotHarness


async def _rows(db: Database) -> list[OutboxMessage]:
    async with db.session() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def test_sends_due_messages_once(bot: BotHarness) -> None:
    async with bot.db.session() as session:
        await outbox.enqueue(session, dedup_key="a", chat_id=telegram_id_of("A03"), text="<b>通知</b>")
        await outbox.enqueue(
            session,
            dedup_key="later",
            chat_id=telegram_id_of("A04"),
            text="明天",
            not_before=now_utc() + timedelta(hours=1),
        )
    assert await bot.drain_outbox() == 1
    assert await bot.drain_outbox() == 0
    sent = bot.request.sent(method="sendMessage")
    assert [(c.chat_id, c.text, c.params["parse_mode"]) for c in sent] == [
        (telegram_id_of("A03"), "<b>通知</b>", "HTML")
    ]
    rows = await _rows(bot.db)
    assert [r.status for r in rows] == [OutboxStatus.SENT, OutboxStatus.PENDING]
    assert rows[0].telegram_message_id is not None and rows[0].sent_at is not None


async def test_blocked_member_is_marked_and_the_secretary_told_once(bot: BotHarness) -> None:
    blocked = telegram_id_of("A03")
    bot.request.failures[blocked] = (403, "Forbidden: bot was blocked by the user", None)
    async with bot.db.session() as session:
        member = await session.scalar(select(Member).where(Member.member_no == "A03"))
        assert member is not None
        for key in ("n1", "n2"):
            await outbox.enqueue(session, dedup_key=key, chat_id=blocked, member_id=member.id, text="会议通知")
    await bot.drain_outbox()
    await bot.drain_outbox()
    rows = await _rows(bot.db)
    assert [r.status for r in rows if r.dedup_key in ("n1", "n2")] == [OutboxStatus.UNDELIVERABLE] * 2
    to_secretary = bot.request.texts(telegram_id_of("A01"))
    assert to_secretary == ["无法通过 Telegram 联系到张伟（已屏蔽机器人或已退出），请当面转告相关消息。"]
    to_committee = bot.request.texts(telegram_id_of("A02"))  # the delegated committee member too
    assert len(to_committee) == 1
    async with bot.db.session() as session:
        member = await session.scalar(select(Member).where(Member.member_no == "A03"))
        assert member is not None and member.unreachable_since is not None


async def test_the_unreachable_notice_follows_the_configured_default_language(bot: BotHarness) -> None:
    worker = bot.application.bot_data["resources"].worker
    assert worker.default_locale == "zh_CN"  # from the settings
    worker.default_locale = "en"  # DEFAULT_LOCALE=en: leaders who chose no language read English
    bot.request.failures[telegram_id_of("A03")] = (403, "Forbidden: bot was blocked by the user", None)
    async with bot.db.session() as session:
        member = await session.scalar(select(Member).where(Member.member_no == "A03"))
        assert member is not None
        await outbox.enqueue(session, dedup_key="n1", chat_id=telegram_id_of("A03"), member_id=member.id, text="x")
    await bot.drain_outbox()
    await bot.drain_outbox()
    assert bot.request.texts(telegram_id_of("A01")) == [
        "张伟 cannot be reached on Telegram (they blocked the bot or left). Please pass on messages in person."
    ]


async def test_retry_after_pauses_all_sending_and_network_errors_are_retried_later(bot: BotHarness) -> None:
    chat = telegram_id_of("A04")
    bot.request.failures[chat] = (429, "Too Many Requests: retry after 7", {"retry_after": 7})
    async with bot.db.session() as session:
        await outbox.enqueue(session, dedup_key="r", chat_id=chat, text="x")
    queued = (await _rows(bot.db))[0]
    await bot.drain_outbox()
    row = (await _rows(bot.db))[0]
    # Not an attempt, and it keeps its place: it goes first once Telegram's pause is over.
    assert row.status == OutboxStatus.PENDING and row.attempts == 0 and row.not_before == queued.not_before
    worker = bot.application.bot_data["resources"].worker
    assert worker.limiter.paused_for() > 5  # every sender of the process waits, replies too
    assert await bot.drain_outbox() == 0
    bot.request.failures[chat] = (502, "Bad Gateway", None)
    worker.limiter._paused_until = 0.0  # as if the seven seconds had passed
    await bot.drain_outbox()
    row = (await _rows(bot.db))[0]
    assert row.status == OutboxStatus.PENDING and row.attempts == 1 and "Bad Gateway" in (row.last_error or "")
    assert row.not_before > now_utc()
    del bot.request.failures[chat]
    async with bot.db.session() as session:
        fresh = await session.get(OutboxMessage, row.id)
        assert fresh is not None
        fresh.not_before = now_utc()
    await bot.drain_outbox()
    assert (await _rows(bot.db))[0].status == OutboxStatus.SENT


async def test_expired_messages_are_dropped_not_sent_late(bot: BotHarness) -> None:
    async with bot.db.session() as session:
        await outbox.enqueue(
            session,
            dedup_key="g",
            chat_id=telegram_id_of("A03"),
            text="生日快乐",
            expires_at=now_utc() - timedelta(minutes=1),
        )
    await bot.drain_outbox()
    assert bot.request.sent(method="sendMessage") == []
    assert (await _rows(bot.db))[0].status == OutboxStatus.DROPPED


async def test_two_workers_on_one_database_send_each_message_once(any_db: Database) -> None:
    async with any_db.session() as session:
        await seed_demo(session)
        for i in range(40):
            await outbox.enqueue(session, dedup_key=f"m{i}", chat_id=200_000 + i, text=f"#{i}")
    from telegram import Bot

    request_a, request_b = OfflineRequest(), OfflineRequest()
    bot_a = Bot("1:A" + "a" * 30, request=request_a, get_updates_request=OfflineRequest())
    bot_b = Bot("1:A" + "a" * 30, request=request_b, get_updates_request=OfflineRequest())
    worker_a = OutboxWorker(any_db, bot_a, limiter=SendLimiter(paced=False))
    worker_b = OutboxWorker(any_db, bot_b, limiter=SendLimiter(paced=False))
    await asyncio.gather(worker_a.drain(2.0), worker_b.drain(2.0))
    await asyncio.gather(worker_a.drain(2.0), worker_b.drain(2.0))
    sent = [c.text for c in request_a.sent(method="sendMessage") + request_b.sent(method="sendMessage")]
    assert sorted(sent) == sorted(f"#{i}" for i in range(40))
    assert all(r.status == OutboxStatus.SENT for r in await _rows(any_db))


async def test_worker_paces_one_chat_and_the_held_message_keeps_its_place(db: Database) -> None:
    """Two messages to one private chat are not sent within a second; the second keeps its place (it is not
    put behind what was queued after it) and goes as soon as its chat allows."""
    from telegram import Bot

    request = OfflineRequest()
    worker = OutboxWorker(db, Bot("1:A" + "a" * 30, request=request, get_updates_request=OfflineRequest()))
    async with db.session() as session:
        await outbox.enqueue(session, dedup_key="p1", chat_id=101, text="一")
        await outbox.enqueue(session, dedup_key="p2", chat_id=101, text="二")
        await outbox.enqueue(session, dedup_key="q", chat_id=102, text="别人的")
    queued = {r.dedup_key: r for r in await _rows(db)}
    assert await worker.drain(budget_seconds=0.5) == 2
    assert request.texts(101) == ["一"] and request.texts(102) == ["别人的"]
    second = next(r for r in await _rows(db) if r.dedup_key == "p2")
    assert second.status == OutboxStatus.PENDING and second.not_before == queued["p2"].not_before
    assert second.claim_token is None  # given back, not held by a drain that ended
    assert await worker.drain(budget_seconds=2.0) == 1  # it waits for its chat's second, then goes
    assert request.texts(101) == ["一", "二"]
