"""Reading the audit log: who changed what, when — for the command line and an administrator's screen.

An entry belongs to an organisation through what it is about (a member's branch, an organisation, a meeting's
branch) or, failing that, through the person who made it; an administrator sees their subtree, a secretary
their branch. Imports and other command-line work name no organisation and are seen unfiltered only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.clock import end_of_local_day_utc, local_midnight_utc
from bot.errors import PermissionDenied
from bot.i18n import N_
from bot.services.access import Actor, visible_org_ids
from storage import queries
from storage.meetings import Meeting
from storage.models import AuditEntry, Member, Organisation

PAGE_SIZE = 20


@dataclass(frozen=True)
class AuditRow:
    """One entry as people read it: names instead of ids."""

    at: datetime
    actor: str  # the member's name, or "cli" / "scheduler"
    action: str
    entity: str
    entity_id: str | None
    subject: str | None  # the member's or organisation's name the entry is about, when it is one
    details: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        """The entry for ``branchbot audit --json``."""
        return {
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "subject": self.subject,
            "details": self.details,
        }


def _within(org_ids: set[int]) -> ColumnElement[bool]:
    members = select(Member.id).where(Member.org_id.in_(org_ids))
    return or_(
        AuditEntry.actor_id.in_(members),
        (AuditEntry.entity == "member")
        & AuditEntry.entity_id.in_(select(cast(Member.id, String)).where(Member.org_id.in_(org_ids))),
        (AuditEntry.entity == "organisation") & AuditEntry.entity_id.in_([str(i) for i in org_ids]),
        (AuditEntry.entity == "meeting")
        & AuditEntry.entity_id.in_(select(cast(Meeting.id, String)).where(Meeting.org_id.in_(org_ids))),
    )


async def read(
    session: AsyncSession,
    *,
    org_ids: set[int] | None,
    start: date | None = None,
    end: date | None = None,
    tz: ZoneInfo,
    limit: int | None = None,
    offset: int = 0,
) -> list[AuditRow]:
    """Entries newest first, within ``org_ids`` (None: all) and the local days ``start`` to ``end`` inclusive."""
    stmt = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if org_ids is not None:
        stmt = stmt.where(_within(org_ids))
    if start is not None:
        stmt = stmt.where(AuditEntry.at >= local_midnight_utc(start, tz))
    if end is not None:
        stmt = stmt.where(AuditEntry.at < end_of_local_day_utc(end, tz))
    if limit is not None:
        stmt = stmt.limit(limit)
    stmt = stmt.offset(offset)
    entries = (await session.scalars(stmt)).all()
    member_ids = {e.actor_id for e in entries if e.actor_id} | {
        int(e.entity_id) for e in entries if e.entity == "member" and e.entity_id and e.entity_id.isdigit()
    }
    org_ids_named = {
        int(e.entity_id) for e in entries if e.entity == "organisation" and e.entity_id and e.entity_id.isdigit()
    }
    names: dict[int, str] = {}
    if member_ids:
        found = await session.execute(select(Member.id, Member.name).where(Member.id.in_(member_ids)))
        names = {row[0]: row[1] for row in found}
    orgs: dict[int, str] = {}
    if org_ids_named:
        found = await session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids_named))
        )
        orgs = {row[0]: row[1] for row in found}
    rows = []
    for e in entries:
        subject = None
        if e.entity_id and e.entity_id.isdigit():
            if e.entity == "member":
                subject = names.get(int(e.entity_id))
            elif e.entity == "organisation":
                subject = orgs.get(int(e.entity_id))
        rows.append(
            AuditRow(
                at=e.at.astimezone(tz),
                actor=names.get(e.actor_id, e.actor_label) if e.actor_id else e.actor_label,
                action=e.action,
                entity=e.entity,
                entity_id=e.entity_id,
                subject=subject,
                details=dict(e.details or {}),
            )
        )
    return rows


async def scope_of(session: AsyncSession, org_code: str | None) -> set[int] | None:
    """The subtree of the organisation with this code (or id), for ``--org``; None for no filter."""
    if org_code is None:
        return None
    from bot.services.membership import branch_by_code

    org = await branch_by_code(session, org_code)
    return await queries.subtree_ids(session, org.id)


async def page_for(session: AsyncSession, actor: Actor, page: int, tz: ZoneInfo) -> tuple[list[AuditRow], bool]:
    """One page of the entries ``actor`` may read (an administrator their subtree, a branch leader their branch),
    and whether an older page exists."""
    if not (actor.is_admin or actor.leads_branch):
        raise PermissionDenied(N_("Only a branch secretary or an administrator may read the audit log."))
    rows = await read(
        session,
        org_ids=await visible_org_ids(session, actor),
        tz=tz,
        limit=PAGE_SIZE + 1,
        offset=max(page, 0) * PAGE_SIZE,
    )
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE
