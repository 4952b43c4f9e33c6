"""Who is told: a branch's leaders, the administrators above an organisation. Each takes a session, never commits."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import String, and_, cast, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from storage.meetings import Meeting
from storage.models import AuditEntry, Invitation, Member, Organisation, OutboxMessage, OutboxStatus, Role


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


# ---------------------------------------------------------------------------------------------------------------
# Leaving: unbinding a lost phone, transfers (组织关系转出)


async def unbind_account(session: AsyncSession, member_id: int, telegram_id: int, now: datetime) -> bool:
    """Free the member's entry from ``telegram_id``, as one conditional write: False when it is no longer bound to
    that account (another leader unbound it a moment earlier)."""
    done = await session.execute(
        update(Member)
        .where(Member.id == member_id, Member.telegram_id == telegram_id)
        .values(telegram_id=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]


async def drop_pending_pushes(session: AsyncSession, telegram_id: int) -> None:
    """Pushes still queued for the account (a lost phone, a member who left) are not sent to it."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.chat_id == telegram_id, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.DROPPED, last_error="unbound")
    )


async def close_invitations(session: AsyncSession, member_id: int, now: datetime) -> None:
    """The member's unused links stop working now."""
    await session.execute(
        update(Invitation)
        .where(Invitation.member_id == member_id, Invitation.used_at.is_(None), Invitation.expires_at > now)
        .values(expires_at=now, pending_telegram_id=None)
    )


# ---------------------------------------------------------------------------------------------------------------
# The audit log


def _within(org_ids: set[int]) -> ColumnElement[bool]:
    """An entry belongs to an organisation through what it is about, or else through who made it."""
    members = select(Member.id).where(Member.org_id.in_(org_ids))
    return or_(
        AuditEntry.actor_id.in_(members),
        (AuditEntry.entity == "member")
        & AuditEntry.entity_id.in_(select(cast(Member.id, String)).where(Member.org_id.in_(org_ids))),
        (AuditEntry.entity == "organisation") & AuditEntry.entity_id.in_([str(i) for i in org_ids]),
        (AuditEntry.entity == "meeting")
        & AuditEntry.entity_id.in_(select(cast(Meeting.id, String)).where(Meeting.org_id.in_(org_ids))),
    )


async def audit_entries(
    session: AsyncSession,
    *,
    org_ids: set[int] | None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> Sequence[AuditEntry]:
    """Entries newest first, within ``org_ids`` (None: all), at or after ``since`` and before ``until``."""
    stmt = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if org_ids is not None:
        stmt = stmt.where(_within(org_ids))
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= since)
    if until is not None:
        stmt = stmt.where(AuditEntry.at < until)
    if limit is not None:
        stmt = stmt.limit(limit)
    return (await session.scalars(stmt.offset(offset))).all()


async def members_by_id(session: AsyncSession, member_ids: Collection[int]) -> dict[int, Member]:
    """The members with these ids, by id (one query; for a notice to rows a report query found)."""
    if not member_ids:
        return {}
    return {m.id: m for m in await session.scalars(select(Member).where(Member.id.in_(set(member_ids))))}


async def member_names(session: AsyncSession, member_ids: set[int]) -> dict[int, str]:
    if not member_ids:
        return {}
    found = await session.execute(select(Member.id, Member.name).where(Member.id.in_(member_ids)))
    return {member_id: name for member_id, name in found}


async def org_names(session: AsyncSession, org_ids: set[int]) -> dict[int, str]:
    if not org_ids:
        return {}
    found = await session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids)))
    return {org_id: name for org_id, name in found}
