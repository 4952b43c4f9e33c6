"""Who is told: a branch's leaders, the administrators above an organisation. Each takes a session, never commits."""

from __future__ import annotations

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Member, Organisation, Role


async def leaders_of(session: AsyncSession, branch_id: int, *, on_telegram: bool = True) -> list[Member]:
    """The branch's active secretary and the committee members acting for them (by name), only those the bot
    can reach unless ``on_telegram`` is off."""
    stmt = (
        select(Member)
        .where(
            Member.org_id == branch_id,
            Member.active.is_(True),
            or_(Member.role == Role.SECRETARY, and_(Member.role == Role.COMMITTEE, Member.delegated.is_(True))),
        )
        .order_by(Member.name, Member.id)
    )
    if on_telegram:
        stmt = stmt.where(Member.telegram_id.is_not(None))
    return list((await session.scalars(stmt)).all())


async def ancestors(session: AsyncSession, org_id: int) -> list[int]:
    """``org_id`` and the organisations above it, nearest first (a cycle in bad data stops the walk)."""
    rows = (await session.execute(select(Organisation.id, Organisation.parent_id))).all()
    parents: dict[int, int | None] = {org_id: parent_id for org_id, parent_id in rows}
    chain: list[int] = []
    current: int | None = org_id
    while current is not None and current not in chain and current in parents:
        chain.append(current)
        current = parents[current]
    return chain


async def admins_above(session: AsyncSession, org_id: int, *, on_telegram: bool = True) -> list[Member]:
    """Active administrators whose subtree holds ``org_id`` (of it or of an organisation above), nearest first;
    only those the bot can reach unless ``on_telegram`` is off."""
    chain = await ancestors(session, org_id)
    if not chain:
        return []
    stmt = select(Member).where(Member.role == Role.ADMIN, Member.active.is_(True), Member.org_id.in_(chain))
    if on_telegram:
        stmt = stmt.where(Member.telegram_id.is_not(None))
    admins = (await session.scalars(stmt)).all()
    return sorted(admins, key=lambda m: (chain.index(m.org_id), m.id))
