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

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import end_of_local_day_utc, local_midnight_utc
from bot.errors import PermissionDenied
from bot.i18n import N_
from bot.services.access import Actor, visible_org_ids
from storage import people as people_store
from storage import queries

PAGE_SIZE = 9  # a page of the /audit screen: two lines an entry, so it fits a phone (20 lines)


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


# What each recorded action is called on the /audit screen (the stored name stays in --json and the database).
ACTION_LABELS: dict[str, str] = {
    "import": N_("import"),
    "invite": N_("invitation issued"),
    "bind": N_("account bound"),
    "unbind": N_("account unbound"),
    "link_group": N_("group chat linked"),
    "unlink_group": N_("group chat unlinked"),
    "transfer": N_("transferred in"),
    "transfer_out": N_("transferred out"),
    "create": N_("created"),
    "edit": N_("edited"),
    "cancel": N_("cancelled"),
    "approve": N_("approved"),
    "reject": N_("rejected"),
    "dispatch": N_("dispatched"),
    "confirm_hours": N_("service hours confirmed"),
    "correct_hours": N_("service hours corrected"),
    "auto_checkout": N_("checked out automatically"),
    "birthday_wish": N_("birthday wish"),
    "birthday_greetings_on": N_("birthday greetings on"),
    "birthday_greetings_off": N_("birthday greetings off"),
    "attendance_mark": N_("attendance marked"),
    "meeting_create": N_("meeting scheduled"),
    "meeting_edit": N_("meeting changed"),
    "meeting_postpone": N_("meeting postponed"),
    "meeting_location": N_("meeting place changed"),
    "meeting_close": N_("meeting closed"),
    "meeting_cancel": N_("meeting cancelled"),
    "leave_approve": N_("leave approved"),
    "leave_refuse": N_("leave refused"),
    "checkin.wrong_code": N_("wrong check-in code"),
    "first_agenda.record": N_("first agenda recorded"),
    "first_agenda.update": N_("first agenda updated"),
    "material.add": N_("study material added"),
    "material.dispatch": N_("study material dispatched"),
    "points.published": N_("points published"),
    "points.rules_applied": N_("points rules applied"),
    "stars.adjusted": N_("star rating adjusted"),
    "stars.announced": N_("star rating announced"),
    "stars.objected": N_("objection to a star rating"),
    "stars.published": N_("star rating published"),
    "stars.self_assessed": N_("star rating self-assessed"),
    "stars.submitted": N_("star rating submitted"),
    "demo_seeded": N_("demo data seeded"),
}


# What an entry is about, when it names no member or organisation (the stored name stays in --json).
ENTITY_LABELS: dict[str, str] = {
    "activity": N_("volunteer activity"),
    "activity_signup": N_("sign-up"),
    "activity_signups": N_("sign-ups"),
    "communities": N_("communities"),
    "database": N_("database"),
    "meeting": N_("meeting"),
    "member": N_("member"),
    "organisation": N_("organisation"),
    "organisations": N_("organisations"),
    "point_entry": N_("points entry"),
    "roster": N_("roster"),
    "service_report": N_("service report"),
    "star_rating": N_("star rating"),
    "study_material": N_("study material"),
}

# Who made an entry that no member made.
ACTOR_LABELS: dict[str, str] = {"cli": N_("command line"), "scheduler": N_("scheduled job")}


def action_label(action: str) -> str | None:
    """The untranslated label of a recorded action (translate it with the reader's translator); None if unknown."""
    return ACTION_LABELS.get(action)


def entity_label(entity: str) -> str | None:
    """The untranslated name of what an entry is about; None if unknown."""
    return ENTITY_LABELS.get(entity)


def actor_label(actor: str) -> str | None:
    """The untranslated name of an actor that is not a member (the command line, a scheduled job); None if a name."""
    return ACTOR_LABELS.get(actor)


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
    entries = await people_store.audit_entries(
        session,
        org_ids=org_ids,
        since=None if start is None else local_midnight_utc(start, tz),
        until=None if end is None else end_of_local_day_utc(end, tz),
        limit=limit,
        offset=offset,
    )
    member_ids = {e.actor_id for e in entries if e.actor_id} | {
        int(e.entity_id) for e in entries if e.entity == "member" and e.entity_id and e.entity_id.isdigit()
    }
    org_ids_named = {
        int(e.entity_id) for e in entries if e.entity == "organisation" and e.entity_id and e.entity_id.isdigit()
    }
    names = await people_store.member_names(session, member_ids)
    orgs = await people_store.org_names(session, org_ids_named)
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
