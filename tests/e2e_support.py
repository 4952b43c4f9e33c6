"""Shared by the end-to-end tests of crashes and replicas: a branch of members bound to Telegram, polling."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import now_utc
from bot.db import Database
from bot.demo import seed_demo
from storage.meetings import CHECKED_IN, Attendance, Meeting
from storage.models import Member, Organisation
from storage.updates import count_unhandled
from tests.test_e2e import _start_bot as start_bot
from tests.test_e2e import _stop as stop

__all__ = [
    "FIRST_TELEGRAM_ID",
    "checked_in",
    "in_session",
    "new_branch_database",
    "seed_branch",
    "start_bot",
    "stop",
    "stored",
    "wait",
]
FIRST_TELEGRAM_ID = 810_000_000
T = TypeVar("T")


async def seed_branch(db: Database, count: int, code: str) -> int:
    """A branch of ``count`` members bound to Telegram (ids from FIRST_TELEGRAM_ID) and a meeting whose check-in
    is open with ``code``; the meeting's id."""
    async with db.session() as session:
        ids = await seed_demo(session)
        branch = Organisation(code="CRASH", name="第九党支部", kind="branch", parent_id=ids.unit)
        session.add(branch)
        await session.flush()
        session.add_all(
            Member(member_no=f"C{i:04d}", name=f"党员{i}", org_id=branch.id, telegram_id=FIRST_TELEGRAM_ID + i)
            for i in range(count)
        )
        start = now_utc() - timedelta(minutes=1)
        meeting = Meeting(
            org_id=branch.id, kind="theme_day", starts_at=start, ends_at=start + timedelta(hours=2), checkin_code=code
        )
        session.add(meeting)
        await session.flush()
        return meeting.id


def new_branch_database(url: str, count: int, code: str) -> int:
    """Migrate a fresh database at ``url`` and seed it with :func:`seed_branch`; the meeting's id."""

    async def seed() -> int:
        db = Database(url)
        await db.upgrade()
        try:
            return await seed_branch(db, count, code)
        finally:
            await db.dispose()

    return asyncio.run(seed())


def in_session(url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in a session of its own event loop (the tests wait synchronously on the bot's processes)."""

    async def main() -> T:
        db = Database(url)
        try:
            async with db.session() as session:
                return await work(session)
        finally:
            await db.dispose()

    return asyncio.run(main())


def checked_in(url: str, meeting_id: int) -> list[int]:
    """The members checked in to the meeting (one entry per attendance row)."""

    async def work(session: AsyncSession) -> list[int]:
        rows = await session.scalars(
            select(Attendance.member_id).where(Attendance.meeting_id == meeting_id, Attendance.status.in_(CHECKED_IN))
        )
        return list(rows)

    return in_session(url, work)


def stored(url: str) -> int:
    """Updates stored and not handled."""

    async def work(session: AsyncSession) -> int:
        return await count_unhandled(session)

    return in_session(url, work)


def wait(done: Callable[[], bool], timeout: float, every: float = 0.1) -> None:
    """Until ``done()`` or ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        time.sleep(every)
