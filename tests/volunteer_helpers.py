"""Shared set-up for the volunteer tests: communities, activities, actors of the demo organisation."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import now_utc
from bot.environment import ServiceEnv
from bot.services import volunteer
from bot.services.access import Actor
from bot.services.volunteer.timing import VolunteerConfig
from storage.models import Member
from storage.volunteer import Activity, Community

CFG = VolunteerConfig()
ENV = ServiceEnv()  # Asia/Shanghai, zh_CN, 09:00–18:00 on China's working days
# 东城街道花园社区 and two more around Dongguan's centre; 莞城 has no map position.
GARDEN = (23.0200, 113.7600)


async def actor_of(session: AsyncSession, member_no: str) -> Actor:
    """The demo member as an actor."""
    member = await session.scalar(select(Member).where(Member.member_no == member_no))
    assert member is not None
    return Actor.of(member, "zh_CN")


async def add_communities(session: AsyncSession) -> dict[str, int]:
    """Three communities; ids by short name."""
    rows = [
        Community(name="花园社区", town="东城街道", latitude=GARDEN[0], longitude=GARDEN[1], contact="0769-1"),
        Community(name="花园新村社区", town="南城街道", latitude=23.0100, longitude=113.7400),
        Community(name="西隅社区", town="莞城街道"),
    ]
    session.add_all(rows)
    await session.flush()
    return {"garden": rows[0].id, "garden_new": rows[1].id, "xiyu": rows[2].id}


async def add_activity(
    session: AsyncSession,
    actor: Actor | None,
    community_id: int,
    *,
    slots: int = 3,
    starts_in: timedelta = timedelta(days=2),
    hours: float = 2.0,
    dispatch_to: list[int] | None = None,
    now: datetime | None = None,
    **extra: object,
) -> Activity:
    """An activity posted by ``actor`` (None: the command line) starting ``starts_in`` from now."""
    start = (now or now_utc()) + starts_in
    draft = volunteer.ActivityDraft(
        title=str(extra.pop("title", "社区环境整治")),
        community_id=community_id,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        slots=slots,
        **extra,  # type: ignore[arg-type]
    )
    return await volunteer.create_activity(session, actor, draft, CFG, env=ENV, dispatch_to=dispatch_to, now=now)
