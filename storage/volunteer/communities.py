"""Look-ups of communities (村/社区) and members' registrations with them (到社区报到). Each takes a session and
never commits."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Member
from storage.volunteer.models import Community, CommunityRegistration


async def all_communities(session: AsyncSession) -> list[Community]:
    """Every community, active or not, by town and name."""
    return list((await session.scalars(select(Community).order_by(Community.town, Community.name))).all())


async def communities_containing(session: AsyncSession, needle: str, limit: int = 200) -> list[Community]:
    """Active communities whose name or town holds ``needle`` (taken literally), by name and town."""
    return list(
        (
            await session.scalars(
                select(Community)
                .where(
                    Community.active.is_(True),
                    or_(
                        Community.name.contains(needle, autoescape=True),
                        Community.town.contains(needle, autoescape=True),
                    ),
                )
                .order_by(Community.name, Community.town)
                .limit(limit)
            )
        ).all()
    )


async def placed_communities(session: AsyncSession) -> list[Community]:
    """Active communities with a map position."""
    return list(
        (
            await session.scalars(
                select(Community).where(
                    Community.active.is_(True), Community.latitude.is_not(None), Community.longitude.is_not(None)
                )
            )
        ).all()
    )


async def communities_named(session: AsyncSession, name: str) -> list[Community]:
    """Active communities called exactly ``name``, or ``"town name"``."""
    return list(
        (
            await session.scalars(
                select(Community).where(
                    Community.active.is_(True),
                    or_(Community.name == name, (Community.town + " " + Community.name) == name),
                )
            )
        ).all()
    )


async def current_registration_of(session: AsyncSession, member_id: int) -> CommunityRegistration | None:
    """The member's current registration row, if any."""
    return await session.scalar(
        select(CommunityRegistration).where(CommunityRegistration.current_member_id == member_id)
    )


async def current_registrations(
    session: AsyncSession, member_ids: Collection[int]
) -> list[tuple[CommunityRegistration, Community]]:
    """The current registration of each of ``member_ids`` that has one, with its community."""
    rows = await session.execute(
        select(CommunityRegistration, Community)
        .join(Community, Community.id == CommunityRegistration.community_id)
        .where(CommunityRegistration.current_member_id.in_(list(member_ids)))
    )
    return [(registration, community) for registration, community in rows.all()]


async def registrations_of(session: AsyncSession, member_id: int) -> list[tuple[CommunityRegistration, Community]]:
    """Every registration of a member with its community, newest first."""
    rows = await session.execute(
        select(CommunityRegistration, Community)
        .join(Community, Community.id == CommunityRegistration.community_id)
        .where(CommunityRegistration.member_id == member_id)
        .order_by(CommunityRegistration.registered_on.desc(), CommunityRegistration.id.desc())
    )
    return [(registration, community) for registration, community in rows.all()]


async def registered_counts(session: AsyncSession, org_ids: Collection[int]) -> list[tuple[Community, int]]:
    """How many active members of ``org_ids`` are registered with each community now, most first."""
    rows = await session.execute(
        select(Community, func.count(CommunityRegistration.id))
        .join(CommunityRegistration, CommunityRegistration.community_id == Community.id)
        .join(Member, Member.id == CommunityRegistration.current_member_id)
        .where(Member.org_id.in_(list(org_ids)), Member.active.is_(True))
        .group_by(Community.id)
        .order_by(func.count(CommunityRegistration.id).desc(), Community.name)
    )
    return [(community, int(count)) for community, count in rows.all()]
