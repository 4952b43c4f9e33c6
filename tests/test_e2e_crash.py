"""End to end: the bot killed (kill -9) in the middle of 1,000 check-ins loses none after a restart.

The real ``branchbot run`` polls the fake Bot API on loopback. Every update Telegram considers delivered (its
offset confirmed by the next getUpdates) was stored first by the durable update queue (bot/updates.py) and is
replayed at the next start, unless its handled marker says it was handled.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import now_utc
from bot.db import Database
from bot.demo import seed_demo
from storage.meetings import CHECKED_IN, Attendance, Meeting
from storage.models import Member, Organisation
from storage.updates import ReceivedUpdate
from tests.fake_bot_api import FakeBotApi
from tests.test_e2e import _start_bot, _stop, fake_api  # noqa: F401  (the fixture)

pytestmark = pytest.mark.e2e
MEMBERS = 1000
CODE = "482913"
FIRST_TELEGRAM_ID = 810_000_000
T = TypeVar("T")


async def _seed(db: Database) -> int:
    """A branch of 1,000 members bound to Telegram and a meeting whose check-in is open; the meeting's id."""
    async with db.session() as session:
        ids = await seed_demo(session)
        branch = Organisation(code="CRASH", name="第九党支部", kind="branch", parent_id=ids.unit)
        session.add(branch)
        await session.flush()
        session.add_all(
            Member(member_no=f"C{i:04d}", name=f"党员{i}", org_id=branch.id, telegram_id=FIRST_TELEGRAM_ID + i)
            for i in range(MEMBERS)
        )
        start = now_utc() - timedelta(minutes=1)
        meeting = Meeting(
            org_id=branch.id, kind="theme_day", starts_at=start, ends_at=start + timedelta(hours=2), checkin_code=CODE
        )
        session.add(meeting)
        await session.flush()
        return meeting.id


def _db(url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in a session of its own event loop (the test waits synchronously on the bot's process)."""

    async def main() -> T:
        db = Database(url)
        try:
            async with db.session() as session:
                return await work(session)
        finally:
            await db.dispose()

    return asyncio.run(main())


def _checked_in(url: str, meeting_id: int) -> list[int]:
    async def work(session: AsyncSession) -> list[int]:
        rows = await session.scalars(
            select(Attendance.member_id).where(Attendance.meeting_id == meeting_id, Attendance.status.in_(CHECKED_IN))
        )
        return list(rows)

    return _db(url, work)


def _stored(url: str) -> int:
    async def work(session: AsyncSession) -> int:
        return int(await session.scalar(select(func.count()).select_from(ReceivedUpdate)) or 0)

    return _db(url, work)


def _wait(done: Callable[[], bool], timeout: float, every: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        time.sleep(every)


def _check_in_replies(api: FakeBotApi) -> Counter[int]:
    """How many check-in confirmations each member got."""
    with api._lock:
        calls = list(api.calls)
    return Counter(
        int(c.params["chat_id"])
        for c in calls
        if c.method == "sendMessage"
        and int(c.params.get("chat_id", 0)) >= FIRST_TELEGRAM_ID
        and "签到" in str(c.params.get("text", ""))
    )


def test_kill_9_mid_burst_loses_no_check_in(fake_api: FakeBotApi, tmp_path: Path) -> None:  # noqa: F811
    url = f"sqlite+aiosqlite:///{tmp_path / 'crash.sqlite3'}"

    async def seed() -> int:
        db = Database(url)
        await db.upgrade()
        try:
            return await _seed(db)
        finally:
            await db.dispose()

    meeting_id = asyncio.run(seed())
    for i in range(MEMBERS):
        fake_api.message_from(FIRST_TELEGRAM_ID + i, f"/checkin {CODE}", first_name=f"党员{i}")
    began = time.monotonic()
    first = _start_bot(fake_api, url, tmp_path)
    try:
        _wait(lambda: sum(_check_in_replies(fake_api).values()) >= 100, 40, every=0.02)
        first.send_signal(signal.SIGKILL)  # mid-burst: replies going out, updates confirmed, others in the queue
        first.communicate(timeout=10)  # reaps it and closes its output pipe
    finally:
        if first.poll() is None:
            first.kill()
    killed_at = time.monotonic() - began
    replies_at_kill = sum(_check_in_replies(fake_api).values())
    done_at_kill = len(_checked_in(url, meeting_id))
    stored_at_kill = _stored(url)
    second = _start_bot(fake_api, url, tmp_path)
    try:
        _wait(lambda: len(_checked_in(url, meeting_id)) >= MEMBERS, 40, every=0.5)
        # Then the replies still queued behind Telegram's 30 per second: until none came for 2 seconds.
        seen = [-1, time.monotonic()]

        def settled() -> bool:
            now = sum(_check_in_replies(fake_api).values())
            if now != seen[0]:
                seen[:] = [now, time.monotonic()]
            return time.monotonic() - seen[1] > 2.0

        all_in_at = time.monotonic() - began
        _wait(settled, 40, every=0.2)
    finally:
        output = _stop(second)
    checked_in = _checked_in(url, meeting_id)

    async def telegram_ids(session: AsyncSession) -> dict[int, int | None]:
        return {row.id: row.telegram_id for row in await session.execute(select(Member.id, Member.telegram_id))}

    members = _db(url, telegram_ids)
    left = _stored(url)
    replies = _check_in_replies(fake_api)
    people_in = {members[m] for m in checked_in}
    lost = MEMBERS - len(people_in)
    duplicates = sum(n - 1 for n in replies.values() if n > 1)
    unconfirmed = sum(1 for person in people_in if replies[person or 0] == 0)
    print(
        f"\nkill -9 after {replies_at_kill} replies ({done_at_kill} check-ins stored, {stored_at_kill} updates "
        f"kept for replay); after the restart: {len(people_in)}/{MEMBERS} checked in, lost {lost}, "
        f"duplicate replies {duplicates}, checked in but never confirmed {unconfirmed}, "
        f"killed at {killed_at:.1f} s, all in at {all_in_at:.1f} s, replies settled at {time.monotonic() - began:.1f} s"
    )
    assert lost == 0, output[-3000:]
    assert len(checked_in) == len(people_in) == MEMBERS  # exactly once each (one attendance row per member)
    assert left == 0  # every stored update was handled and dropped
    assert "Traceback" not in output, output[-3000:]
