"""The outbox sender at Telegram's limit: priorities, held-back chats keep their place, the lease and its
take-over, live senders sharing the budget, replies first in the one limiter, menus only when they change,
and the fake Bot API's limit checks."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from datetime import timedelta

from sqlalchemy import select, update
from telegram import Bot
from telegram.error import RetryAfter

from bot.clock import now_utc
from bot.db import Database
from bot.demo import seed_demo
from bot.offline import OfflineRequest
from bot.outbox_worker import OutboxWorker
from bot.send_limiter import REPLY_PRIORITY, SendLimiter, SharedRateLimiter
from bot.services import outbox
from storage.models import Member, MemberMenu, OutboxMessage, OutboxStatus
from tests.fake_bot_api import FakeBotApi, count_violations
from tests.test_e2e import ROOT

TOKEN = "1:A" + "a" * 30


def _bot(request: OfflineRequest) -> Bot:
    return Bot(TOKEN, request=request, get_updates_request=OfflineRequest())


async def _rows(db: Database) -> list[OutboxMessage]:
    async with db.session() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def test_time_critical_pushes_go_first_and_menus_last(any_db: Database) -> None:
    async with any_db.session() as session:
        await outbox.enqueue(
            session, dedup_key="menu", chat_id=1, kind="menu", method="setMyCommands", payload={"commands": []}
        )
        for i in range(3):
            await outbox.enqueue(session, dedup_key=f"n{i}", chat_id=10 + i, text=f"通知{i}")
        await outbox.enqueue(
            session, dedup_key="hour", chat_id=20, text="一小时后开会", priority=outbox.Priority.URGENT
        )
        await outbox.enqueue(session, dedup_key="greet", chat_id=21, text="生日快乐", kind="greeting")
    assert [r.priority for r in await _rows(any_db)] == [0, 10, 10, 10, 20, 20]
    request = OfflineRequest()
    worker = OutboxWorker(any_db, _bot(request), limiter=SendLimiter(paced=False))
    assert await worker.drain(2.0) == 6
    order = [c.chat_id for c in request.calls if c.method in ("sendMessage", "setMyCommands")]
    assert order[:2] == [20, 21] and order[2:5] == [10, 11, 12]
    assert request.calls[-1].method == "setMyCommands"


async def test_a_group_held_back_by_its_limit_keeps_its_place(db: Database) -> None:
    """The group's second notice waits for its chat's second while the others go ahead, then goes before the
    rest of the backlog (today it was put behind all of it)."""
    async with db.session() as session:
        await outbox.enqueue(session, dedup_key="g1", chat_id=-100, text="群通知一")
        await outbox.enqueue(session, dedup_key="g2", chat_id=-100, text="群通知二")
        for i in range(120):
            await outbox.enqueue(session, dedup_key=f"p{i}", chat_id=1000 + i, text=f"推送{i}")
    request = OfflineRequest()
    worker = OutboxWorker(db, _bot(request), limiter=SendLimiter(60.0))
    started = time.monotonic()
    await worker.drain(1.6)
    sent = [c.chat_id for c in request.calls if c.method == "sendMessage"]
    assert sent[0] == -100
    assert -100 in sent[1:]  # the second notice went within the drain, a second after the first
    second = sent.index(-100, 1)
    assert second < len(sent) - 1  # ... and before the end of the backlog behind it
    assert time.monotonic() - started < 5
    g2 = next(r for r in await _rows(db) if r.dedup_key == "g2")
    assert g2.status == OutboxStatus.SENT


async def test_abandoned_claims_are_taken_over_after_the_lease(any_db: Database) -> None:
    """A sender that dies holding rows (here: claims and never sends) holds them only for its lease."""
    async with any_db.session() as session:
        for i in range(10):
            await outbox.enqueue(session, dedup_key=f"m{i}", chat_id=500 + i, text=f"#{i}")
    dead = OutboxWorker(any_db, _bot(OfflineRequest()), limiter=SendLimiter(paced=False), lease_seconds=30)
    assert await dead._claim() == 10  # then the process is killed
    request = OfflineRequest()
    alive = OutboxWorker(any_db, _bot(request), limiter=SendLimiter(paced=False), lease_seconds=30)
    assert await alive.drain(1.0) == 0  # within the lease: not another's to send
    async with any_db.session() as session:  # 31 seconds later
        await session.execute(update(OutboxMessage).values(claimed_at=now_utc() - timedelta(seconds=31)))
    assert await alive.drain(2.0) == 10
    assert sorted(c.text for c in request.calls if c.method == "sendMessage") == sorted(f"#{i}" for i in range(10))
    # The dead sender's late outcome (were it to come back) changes nothing: the claim is no longer its.
    from storage import outbox as store

    async with any_db.session() as session:
        first = (await _rows(any_db))[0]
        await store.record(session, dead.token, [store.Outcome(first.id, OutboxStatus.FAILED, "late")], now=now_utc())
    assert all(r.status == OutboxStatus.SENT for r in await _rows(any_db))


async def test_the_heartbeat_renews_the_lease_of_a_live_sender(any_db: Database) -> None:
    async with any_db.session() as session:
        for i in range(3):
            await outbox.enqueue(session, dedup_key=f"m{i}", chat_id=600 + i, text=f"#{i}")
    holder = OutboxWorker(any_db, _bot(OfflineRequest()), limiter=SendLimiter(paced=False), lease_seconds=30)
    await holder._claim()
    async with any_db.session() as session:  # 25 seconds into the lease
        await session.execute(update(OutboxMessage).values(claimed_at=now_utc() - timedelta(seconds=25)))
    await holder._heartbeat(register=True)
    other = OutboxWorker(any_db, _bot(OfflineRequest()), limiter=SendLimiter(paced=False), lease_seconds=30)
    async with any_db.session() as session:  # ten more seconds: the renewed lease still holds
        await session.execute(update(OutboxMessage).values(claimed_at=now_utc() - timedelta(seconds=10)))
    assert await other.drain(1.0) == 0
    assert len(holder._hand) == 3


async def test_live_senders_share_the_budget(any_db: Database) -> None:
    one = OutboxWorker(any_db, _bot(OfflineRequest()))
    two = OutboxWorker(any_db, _bot(OfflineRequest()))
    await one._heartbeat(register=True)
    assert one.limiter.share == 1.0
    await two._heartbeat(register=True)
    await one._heartbeat(register=True)
    assert one.limiter.share == two.limiter.share == 0.5
    await one._leave()
    await two._heartbeat(register=True)
    assert two.limiter.share == 1.0


async def test_a_sender_killed_mid_drain_duplicates_only_what_was_in_flight(db: Database) -> None:
    """Kill a running sender (a process of its own, SIGKILL with messages in flight), take over after the lease:
    every message goes out, and the successor sends exactly the rows the dead sender had not recorded as sent,
    each once. Each sender has its own fake Bot API, so who sent what is known."""
    async with db.session() as session:
        for i in range(200):
            await outbox.enqueue(session, dedup_key=f"m{i}", chat_id=10_000 + i, text=f"#{i}")
    victims_api, successors_api = FakeBotApi().start(), FakeBotApi().start()
    try:
        victim = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.outbox_victim",
            db.url,
            victims_api.base_url,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            started = time.monotonic()
            while len(_texts(victims_api)) < 60:  # polling the API's record, as a supervisor would
                assert victim.returncode is None and time.monotonic() - started < 60, "the victim did not send"
                await asyncio.sleep(0.01)
            victim.send_signal(signal.SIGKILL)  # mid-drain: sends in flight, outcomes not yet written
            _, stderr = await asyncio.wait_for(victim.communicate(), 10)
        finally:
            if victim.returncode is None:
                victim.kill()
                await victim.wait()
        assert victim.returncode == -signal.SIGKILL, stderr.decode(errors="replace")
        await asyncio.sleep(0.2)  # a request the victim wrote before it died still reaches its API
        unrecorded = {f"#{r.chat_id - 10_000}" for r in await _rows(db) if r.status != OutboxStatus.SENT}
        killed_at = time.monotonic()
        async with Bot(TOKEN, base_url=successors_api.base_url) as bot:
            successor = OutboxWorker(db, bot, limiter=SendLimiter(200.0), lease_seconds=1)
            while any(r.status != OutboxStatus.SENT for r in await _rows(db)):
                await successor.drain(1.0)
                assert time.monotonic() - killed_at < 10, "the successor did not take over"
        by_victim, by_successor = _texts(victims_api), _texts(successors_api)
    finally:
        victims_api.stop()
        successors_api.stop()
    assert len(by_victim) == len(set(by_victim)) and len(by_successor) == len(set(by_successor))
    assert set(by_victim) | set(by_successor) == {f"#{i}" for i in range(200)}
    assert set(by_successor) == unrecorded  # the rows claimed but unsent, and the sent but unrecorded: no others
    duplicates = set(by_victim) & set(by_successor)
    assert len(duplicates) < len(by_victim)  # what it had recorded was not sent again
    print(f"sent before the kill: {len(by_victim)}; again after it: {len(duplicates)}")


def _texts(api: FakeBotApi) -> list[str]:
    with api._lock:
        return [str(c.params.get("text")) for c in api.calls if c.method == "sendMessage"]


async def test_replies_take_the_next_slot_ahead_of_waiting_pushes() -> None:
    limiter = SendLimiter(10.0)
    order: list[str] = []

    async def take(name: str, priority: int) -> None:
        granted = await limiter.acquire(None, priority)
        order.append(name)
        limiter.release(None, granted)

    await take("first push", 0)
    limiter.pause(0.2)  # every slot taken for a moment: pushes queue up, then a reply arrives
    pushes = [asyncio.create_task(take(f"push {i}", 0)) for i in range(3)]
    await asyncio.sleep(0.05)
    reply = asyncio.create_task(take("reply", REPLY_PRIORITY))
    await asyncio.gather(*pushes, reply)
    assert order == ["first push", "reply", "push 0", "push 1", "push 2"]


async def test_retry_after_on_a_reply_pauses_every_sender_and_retries() -> None:
    limiter = SendLimiter(paced=False)
    shared = SharedRateLimiter(limiter)
    calls: list[float] = []

    async def callback() -> bool:
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise RetryAfter(1)
        return True

    assert await shared.process_request(callback, (), {}, "sendMessage", {"chat_id": 5}, None) is True
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.9  # waited as Telegram said
    assert await shared.process_request(callback, (), {}, "getMe", {}, None) is True  # not a message: at once


async def test_menus_are_queued_only_when_they_change_and_at_the_lowest_priority(any_db: Database) -> None:
    from bot import features
    from bot.menus import sync_member_menus

    async with any_db.session() as session:
        await seed_demo(session)
    menu = features.menu()
    queued = await sync_member_menus(any_db, menu, "zh_CN")
    assert queued == 9
    assert await sync_member_menus(any_db, menu, "zh_CN") == 0  # a restart: nothing again
    async with any_db.session() as session:
        assert len((await session.scalars(select(MemberMenu))).all()) == 9
        member = await session.scalar(select(Member).where(Member.member_no == "A03"))
        assert member is not None
        member.language = "en"
    assert await sync_member_menus(any_db, menu, "zh_CN") == 1
    rows = [r for r in await _rows(any_db) if r.kind == "menu"]
    assert {r.priority for r in rows} == {outbox.Priority.MENU}
    mine = [r for r in rows if r.member_id == member.id]
    # The older menu, still waiting, is superseded by the new one: one setMyCommands, the right one.
    assert [r.status for r in mine] == [OutboxStatus.DROPPED, OutboxStatus.PENDING]
    assert mine[1].payload["commands"][1]["description"] != mine[0].payload["commands"][1]["description"]


def test_menus_are_not_synced_at_start_up() -> None:
    from bot.jobs.core import JOBS

    assert [job.catch_up for job in JOBS if job.id == "menus-sync"] == [False]


def test_the_fake_api_counts_each_kind_of_violation() -> None:
    at_once = [(0.5 + i * 0.001, 1000 + i) for i in range(32)]  # 32 in a few milliseconds: two too many
    assert count_violations(at_once).overall == 2
    private = [(0.0, 7), (0.6, 7), (1.7, 7)]  # the second within a second of the first
    assert count_violations(private).private == 1
    group = [(i * 2.0, -5) for i in range(22)]  # 22 in 42 s: two past 20 a minute
    assert count_violations(group).group == 2
    assert count_violations([(i * 1.0, -5) for i in range(3)]).total == 0
