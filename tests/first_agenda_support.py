"""Helpers shared by the first agenda item's tests: local times, actors, meetings made directly in the database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.environment import ServiceEnv
from bot.services import first_agenda as fa
from bot.services.access import Actor
from storage.first_agenda import StudyMaterial
from storage.meetings import Meeting
from storage.models import Member

TZ = ZoneInfo("Asia/Shanghai")
ENV = ServiceEnv(tz=TZ)  # what the services are given
TODAY = date(2026, 6, 15)  # the tests' "today" (a Monday), 10:00 in Shanghai
NOW = datetime.combine(TODAY, time(10, 0), tzinfo=TZ)


def at(day: date, hour: int = 9) -> datetime:
    """``day`` at ``hour`` in Shanghai, as UTC."""
    return datetime.combine(day, time(hour), tzinfo=TZ).astimezone(UTC)


async def actor(session: AsyncSession, member_no: str, locale: str = "zh_CN") -> Actor:
    """The actor of a demo member."""
    member = await session.scalar(select(Member).where(Member.member_no == member_no))
    assert member is not None
    return Actor.of(member, locale)


async def meeting(
    session: AsyncSession,
    org_id: int,
    kind: str = "general_meeting",
    day: date = TODAY - timedelta(days=5),
    *,
    status: str = "scheduled",
    group_id: int | None = None,
) -> Meeting:
    """A meeting row, as the meetings feature would store it."""
    row = Meeting(
        org_id=org_id,
        group_id=group_id,
        kind=kind,
        starts_at=at(day),
        ends_at=at(day, 11),
        status=status,
        closed_at=at(day, 11) if status == "closed" else None,
    )
    session.add(row)
    await session.flush()
    return row


async def material(
    session: AsyncSession,
    who: Actor | None,
    title: str = "习近平在中央政治局集体学习时的重要讲话",
    *,
    issued_on: date = date(2026, 5, 30),
    owner_org_id: int | None = None,
) -> StudyMaterial:
    """A catalog material."""
    return await fa.add_material(
        session,
        who,
        title=title,
        source="新华社",
        issued_on=issued_on,
        kind="speech",
        owner_org_id=owner_org_id,
        env=ENV,
    )


async def count(session: AsyncSession, model: type) -> int:
    """Rows of ``model``."""
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)
