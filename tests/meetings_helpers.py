"""Helpers shared by the meetings tests."""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from telegram.warnings import PTBUserWarning

from bot.clock import now_utc
from bot.config import Settings
from bot.db import Database
from bot.environment import ServiceEnv
from bot.services import meetings
from bot.services.access import Actor
from storage import queries
from storage.meetings import Attendance, Meeting
from storage.models import AuditEntry, Member, OutboxMessage

if TYPE_CHECKING:
    from tests.conftest import BotHarness


def env_of(settings: Settings) -> ServiceEnv:
    """The services' environment for these settings, as the bot builds it."""
    return ServiceEnv.from_settings(settings)


async def actor(session: AsyncSession, member_no: str, locale: str = "zh_CN") -> Actor:
    """The demo member with this roster number, as an actor."""
    member = await queries.member_by_no(session, member_no)
    assert member is not None
    return Actor.of(member, locale)


async def member_id(session: AsyncSession, member_no: str) -> int:
    """The id of a demo member."""
    member = await queries.member_by_no(session, member_no)
    assert member is not None
    return member.id


async def schedule(
    db: Database,
    settings: Settings,
    *,
    branch_id: int,
    by: str | None = "A01",
    kind: str = "theme_day",
    starts_in: timedelta = timedelta(days=3),
    starts_at: datetime | None = None,
    **draft: Any,
) -> int:
    """Schedule a meeting through the service; returns its id."""
    async with db.session() as session:
        who = await actor(session, by) if by else None
        start = starts_at or (now_utc() + starts_in).replace(second=0, microsecond=0)
        meeting = await meetings.schedule_meeting(
            session, who, branch_id, meetings.Draft(kind=kind, starts_at=start, **draft), env=env_of(settings)
        )
        return meeting.id


async def outbox_rows(db: Database, prefix: str = "") -> list[OutboxMessage]:
    """Outbox rows whose dedup key starts with ``prefix``, in order."""
    async with db.session() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.dedup_key.startswith(prefix)).order_by(OutboxMessage.id)
        )
        return list(rows.all())


async def audit_actions(db: Database, entity_id: int) -> list[str]:
    """The audit actions recorded for a meeting, in order."""
    async with db.session() as session:
        rows = await session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.entity == "meeting", AuditEntry.entity_id == str(entity_id))
            .order_by(AuditEntry.id)
        )
        return list(rows.all())


async def statuses(db: Database, meeting_id: int) -> dict[str, str]:
    """Roster number → attendance status of a meeting."""
    async with db.session() as session:
        rows = await session.execute(
            select(Member.member_no, Attendance.status)
            .join(Attendance, Attendance.member_id == Member.id)
            .where(Attendance.meeting_id == meeting_id)
        )
        return dict(rows.all())


async def attendance_count(db: Database, meeting_id: int) -> int:
    """Rows of attendance of a meeting."""
    async with db.session() as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(Attendance).where(Attendance.meeting_id == meeting_id)
            )
            or 0
        )


async def get(db: Database, meeting_id: int) -> Meeting:
    """A fresh copy of the meeting."""
    async with db.session() as session:
        meeting = await session.get(Meeting, meeting_id)
        assert meeting is not None
        return meeting


async def drain(bot: BotHarness) -> None:
    """Send everything queued, including what waits for later (``not_before`` moved to now)."""
    worker = bot.application.bot_data["resources"].worker
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Please use 'Bot.", category=PTBUserWarning)
        for _ in range(10):
            async with bot.db.session() as session:  # what was paced is due again at once
                await session.execute(
                    update(OutboxMessage).where(OutboxMessage.status == "pending").values(not_before=now_utc())
                )
            if not await worker.drain(budget_seconds=2.0):
                break
