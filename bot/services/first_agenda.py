"""The first agenda item (第一议题, measure 7): what each meeting studied first, the study materials that
administrators dispatch, and how promptly each branch studies them.

Rules in one place, for chat, console and command line alike:

* A material is in the catalog of one organisation (``owner_org_id``). A branch sees the catalogs of its own
  organisation and of every organisation above it, plus whatever was dispatched to it; an administrator
  sees the catalogs of their subtree and above.
* Dispatching stores one row per (material, branch) under a unique key and queues one notice per branch,
  to its secretary, under the dedup key ``fa-dispatch:<material>:<branch>``; dispatching again tells nobody twice.
* A meeting "has" its first agenda item when one is recorded with at least one material; it "needed" one when
  its kind requires it (:mod:`bot.services.meetings.kinds`). Only meetings that have taken place count
  (not cancelled, started by now).
* A branch "studied" a dispatched material at the first such meeting listing it; the study lag is the number
  of local days from the dispatch to that meeting (0 when it was studied before the dispatch came).
* ``actor=None`` means the command line: an operator with full rights, audited as ``cli``.

What it adds to meetings (closing check, card lines and button, command-line recorder) is :data:`MEETING_HOOKS`,
declared with the feature in bot/features.py; its nudge job is in bot/jobs/first_agenda.py.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import DEFAULT_TZ, end_of_local_day_utc, local_midnight_utc, now_utc
from bot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.i18n import N_, translator
from bot.services import outbox
from bot.services.access import Actor, require_admin_of, require_branch_leader
from bot.services.meetings.hooks import MeetingHooks
from bot.services.meetings.kinds import KINDS_BY_ID, FirstAgenda, HeldBy
from bot.services.tabular import parse_date
from bot.templates import render
from storage import queries
from storage.first_agenda import (
    FirstAgendaItem,
    FirstAgendaMaterial,
    FirstAgendaNudge,
    MaterialDispatch,
    MaterialKind,
    StudyForm,
    StudyMaterial,
)
from storage.meetings import Meeting, MeetingStatus
from storage.models import Member, Organisation, OrgKind, Role

FIRST_PARTY_DAY = date(1921, 7, 1)
MAX_TITLE = 300
MAX_SOURCE = 200
MAX_URL = 500
MAX_BODY = 20_000
MAX_NOTE = 500
MAX_LEADER = 100
MAX_MATERIALS_PER_ITEM = 10

KIND_NAMES: dict[str, str] = {
    MaterialKind.SPEECH: N_("Important speech"),
    MaterialKind.INSTRUCTION: N_("Important instruction"),
    MaterialKind.ARTICLE: N_("Article"),
    MaterialKind.MEETING_SPIRIT: N_("Meeting spirit"),
}
FORM_NAMES: dict[str, str] = {
    StudyForm.CONVEYING: N_("Conveying and studying"),
    StudyForm.DISCUSSION: N_("Group discussion"),
    StudyForm.TUTORIAL: N_("Tutorial"),
    StudyForm.EXCHANGE: N_("Exchange of views"),
}
# What an administrator may type for a type, in either language.
_KIND_ALIASES: dict[str, MaterialKind] = {
    "speech": MaterialKind.SPEECH,
    "讲话": MaterialKind.SPEECH,
    "重要讲话": MaterialKind.SPEECH,
    "instruction": MaterialKind.INSTRUCTION,
    "指示": MaterialKind.INSTRUCTION,
    "重要指示": MaterialKind.INSTRUCTION,
    "批示": MaterialKind.INSTRUCTION,
    "指示批示": MaterialKind.INSTRUCTION,
    "article": MaterialKind.ARTICLE,
    "文章": MaterialKind.ARTICLE,
    "meeting_spirit": MaterialKind.MEETING_SPIRIT,
    "meeting-spirit": MaterialKind.MEETING_SPIRIT,
    "spirit": MaterialKind.MEETING_SPIRIT,
    "会议精神": MaterialKind.MEETING_SPIRIT,
}
_IDS = re.compile(r"^\s*#?\d+(\s*[,，、]\s*#?\d+)*\s*$")

Who = Actor | None  # None: the command line

# --------------------------------------------------------------------------------------------------------------
# Parsing and names


def parse_material_kind(text: str | None) -> MaterialKind | None:
    """A material type from its id or its Chinese name; None for an empty text; InvalidInput otherwise."""
    if text is None or not text.strip():
        return None
    found = _KIND_ALIASES.get(text.strip().lower())
    if found is None:
        raise InvalidInput(
            N_("Unknown type %(value)s: use speech, instruction, article or meeting_spirit."), value=text.strip()
        )
    return found


def parse_material_date(text: str) -> date:
    """``2024-05-01`` (also ``2024/5/1``, ``2024年5月1日``); InvalidInput otherwise."""
    try:
        return parse_date(text)
    except ValueError:
        raise InvalidInput(
            N_("%(value)s is not a date: write it as YYYY-MM-DD, e.g. 2024-05-01."), value=text.strip()
        ) from None


def parse_material_ids(text: str) -> list[int] | None:
    """``12`` / ``#12`` / ``12, 15`` → the ids; None when the text is a title rather than ids."""
    if not _IDS.match(text):
        return None
    return [int(part) for part in re.findall(r"\d+", text)]


def meeting_kind_name(kind_id: str, locale: str) -> str:
    """A meeting kind's name in the locale (the kinds table carries both names)."""
    kind = KINDS_BY_ID.get(kind_id)
    if kind is None:
        return kind_id
    return kind.name_zh if locale.startswith("zh") else kind.name_en


def needs_first_agenda(kind_id: str) -> bool:
    """Whether a meeting of this kind must open with the first agenda item."""
    kind = KINDS_BY_ID.get(kind_id)
    return kind is not None and kind.first_agenda is FirstAgenda.REQUIRED


def may_carry_first_agenda(kind_id: str) -> bool:
    """Whether a meeting of this kind may record one (required or optional; unknown kinds may)."""
    kind = KINDS_BY_ID.get(kind_id)
    return kind is None or kind.first_agenda is not FirstAgenda.NONE


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    cleaned = " ".join(text.split())
    return cleaned or None


def _local_date(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


# --------------------------------------------------------------------------------------------------------------
# The organisation tree


async def _parents(session: AsyncSession) -> dict[int, int | None]:
    return {
        org_id: parent for org_id, parent in (await session.execute(select(Organisation.id, Organisation.parent_id)))
    }


async def ancestor_ids(session: AsyncSession, org_id: int) -> list[int]:
    """``org_id`` and every organisation above it, nearest first."""
    parents = await _parents(session)
    chain: list[int] = []
    current: int | None = org_id
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


async def _member(session: AsyncSession, actor: Who) -> Member | None:
    return None if actor is None else await session.get(Member, actor.member_id)


def _audit(
    session: AsyncSession, who: Member | None, action: str, entity: str, entity_id: object, **details: Any
) -> None:
    queries.audit(
        session,
        actor=who,
        action=action,
        entity=entity,
        entity_id=entity_id,
        details=details,
    )


async def _require_org_leader(session: AsyncSession, actor: Who, org_id: int) -> Organisation:
    """A branch's meetings are its leaders' (and its administrators'); a unit's are its administrators'."""
    org = await session.get(Organisation, org_id)
    if org is None:
        raise NotFound(N_("No such organisation."))
    if actor is None:
        return org
    if org.kind == OrgKind.BRANCH:
        return await require_branch_leader(session, actor, org_id)
    return await require_admin_of(session, actor, org_id)


# --------------------------------------------------------------------------------------------------------------
# The catalog


async def _visible_owner_ids(session: AsyncSession, actor: Who) -> set[int] | None:
    """Catalogs ``actor`` sees (None: all of them)."""
    if actor is None:
        return None
    owners = set(await ancestor_ids(session, actor.org_id))
    if actor.is_admin:
        owners |= await queries.subtree_ids(session, actor.org_id)
    return owners


async def _visible_to_org(session: AsyncSession, material: StudyMaterial, org_id: int) -> bool:
    """Whether a branch (or unit) may study ``material``: its catalog or one above it, or dispatched to it."""
    if material.owner_org_id in await ancestor_ids(session, org_id):
        return True
    dispatched = await session.scalar(
        select(MaterialDispatch.id).where(
            MaterialDispatch.material_id == material.id, MaterialDispatch.branch_id == org_id
        )
    )
    return dispatched is not None


async def get_material(session: AsyncSession, actor: Who, material_id: int) -> StudyMaterial:
    """A material this person may see; NotFound for one that does not exist or is not theirs to see."""
    # a forged button's huge id: no such row (and SQLite cannot even bind it)
    material = await session.get(StudyMaterial, material_id) if 0 < material_id < 2**63 else None
    if material is None:
        raise NotFound(N_("There is no study material #%(id)s."), id=material_id)
    if actor is None:
        return material
    owners = await _visible_owner_ids(session, actor)
    assert owners is not None
    if material.owner_org_id in owners:
        return material
    if not actor.is_admin and await _visible_to_org(session, material, actor.org_id):
        return material
    if actor.is_admin:
        subtree = await queries.subtree_ids(session, actor.org_id)
        reached = await session.scalar(
            select(MaterialDispatch.id).where(
                MaterialDispatch.material_id == material.id, MaterialDispatch.branch_id.in_(subtree)
            )
        )
        if reached is not None:
            return material
    raise NotFound(N_("There is no study material #%(id)s."), id=material_id)


def validate_issued_on(issued_on: date, tz: ZoneInfo) -> date:
    """The date of a speech or instruction: not in the future (in the configured zone ``tz``), not before the
    Party existed."""
    today = now_utc().astimezone(tz).date()
    if issued_on > today:
        raise InvalidInput(N_("The date %(date)s is in the future."), date=issued_on.isoformat())
    if issued_on < FIRST_PARTY_DAY:
        raise InvalidInput(N_("The date %(date)s is too early; check the year."), date=issued_on.isoformat())
    return issued_on


def validate_title(title: str | None) -> str:
    """A material's title, whitespace tidied; InvalidInput when empty or too long."""
    cleaned = _clean(title)
    if not cleaned:
        raise InvalidInput(N_("The title is missing."))
    if len(cleaned) > MAX_TITLE:
        raise InvalidInput(N_("The title is too long (at most %(max)s characters)."), max=MAX_TITLE)
    return cleaned


async def add_material(
    session: AsyncSession,
    actor: Who,
    *,
    title: str,
    source: str | None,
    issued_on: date | None,
    kind: MaterialKind | str | None = None,
    body: str | None = None,
    url: str | None = None,
    attachment_file_id: str | None = None,
    attachment_name: str | None = None,
    owner_org_id: int | None = None,
    tz: ZoneInfo,
) -> StudyMaterial:
    """Add a material to a catalog: an administrator's organisation's, or a secretary's own branch's.

    ``tz`` is the configured zone, for "not in the future"; it has no default so that no caller checks it in
    Asia/Shanghai whatever ``TIMEZONE`` says."""
    if actor is not None:
        if actor.is_admin:
            owner_org_id = owner_org_id or actor.org_id
            await require_admin_of(session, actor, owner_org_id)
        elif actor.leads_branch:
            if owner_org_id not in (None, actor.org_id):
                raise PermissionDenied(N_("You may only add materials to your own branch's catalog."))
            owner_org_id = actor.org_id
            await require_branch_leader(session, actor, owner_org_id)
        else:
            raise PermissionDenied(N_("Only the branch secretary (or a committee member acting for them) may do this."))
    if owner_org_id is None or await session.get(Organisation, owner_org_id) is None:
        raise NotFound(N_("No such organisation."))
    clean_title = validate_title(title)
    clean_source = _clean(source)
    if not clean_source:
        raise InvalidInput(N_("The issuing source is missing (for example 新华社 or 中央办公厅)."))
    if len(clean_source) > MAX_SOURCE:
        raise InvalidInput(N_("The source is too long (at most %(max)s characters)."), max=MAX_SOURCE)
    if issued_on is None:
        raise InvalidInput(N_("The date of the speech or instruction is missing."))
    validate_issued_on(issued_on, tz)
    material_kind = parse_material_kind(kind) if kind is not None else None
    clean_url = (url or "").strip() or None
    if clean_url is not None and (not re.match(r"^https?://\S+$", clean_url) or len(clean_url) > MAX_URL):
        raise InvalidInput(N_("The link must be a web address starting with http:// or https://."))
    clean_body = (body or "").strip() or None
    if clean_body is not None and len(clean_body) > MAX_BODY:
        raise InvalidInput(N_("The text is too long (at most %(max)s characters); give a link instead."), max=MAX_BODY)
    duplicate = await session.scalar(
        select(StudyMaterial).where(
            StudyMaterial.owner_org_id == owner_org_id,
            StudyMaterial.title == clean_title,
            StudyMaterial.issued_on == issued_on,
        )
    )
    if duplicate is not None:
        raise Conflict(N_("This material is already in the catalog as #%(id)s."), id=duplicate.id)
    who = await _member(session, actor)
    material = StudyMaterial(
        owner_org_id=owner_org_id,
        title=clean_title,
        source=clean_source,
        issued_on=issued_on,
        kind=material_kind.value if material_kind else None,
        body=clean_body,
        url=clean_url,
        attachment_file_id=attachment_file_id,
        attachment_name=_clean(attachment_name),
        created_by_id=who.id if who else None,
    )
    session.add(material)
    await session.flush()
    _audit(session, who, "material.add", "study_material", material.id, title=clean_title, org=owner_org_id)
    return material


async def _typed_material(
    session: AsyncSession, org_id: int, title: str, who: Member | None
) -> tuple[StudyMaterial, bool]:
    """A title typed while recording: the organisation's material of that title, or a new one."""
    clean_title = validate_title(title)
    existing = await session.scalar(
        select(StudyMaterial)
        .where(StudyMaterial.owner_org_id == org_id, StudyMaterial.title == clean_title)
        .order_by(StudyMaterial.id)
        .limit(1)
    )
    if existing is not None:
        return existing, False
    material = StudyMaterial(owner_org_id=org_id, title=clean_title, created_by_id=who.id if who else None)
    session.add(material)
    await session.flush()
    return material, True


@dataclass(frozen=True)
class BranchMaterial:
    """A material as a branch sees it: when it was dispatched to the branch, if it was."""

    material: StudyMaterial
    dispatched_at: datetime | None


async def materials_for_org(session: AsyncSession, org_id: int, *, limit: int | None = None) -> list[BranchMaterial]:
    """What a branch may pick from: dispatched to it (newest dispatch first), then the catalogs it sees."""
    owners = await ancestor_ids(session, org_id)
    dispatched = {
        material_id: at
        for material_id, at in await session.execute(
            select(MaterialDispatch.material_id, MaterialDispatch.dispatched_at).where(
                MaterialDispatch.branch_id == org_id
            )
        )
    }
    rows = (
        await session.scalars(
            select(StudyMaterial).where(StudyMaterial.owner_org_id.in_(owners) | StudyMaterial.id.in_(list(dispatched)))
        )
    ).all()
    floor = datetime.min.replace(tzinfo=now_utc().tzinfo)
    ordered = sorted(
        rows,
        key=lambda m: (
            m.id in dispatched,
            dispatched.get(m.id) or floor,
            m.issued_on or date.min,
            m.created_at,
            m.id,
        ),
        reverse=True,
    )
    if limit is not None:
        ordered = ordered[:limit]
    return [BranchMaterial(m, dispatched.get(m.id)) for m in ordered]


@dataclass(frozen=True)
class CatalogEntry:
    """A material in an administrator's (or a branch's) list, with how many branches it reached."""

    material: StudyMaterial
    dispatched_at: datetime | None  # a branch: when it came; an administrator: the latest dispatch
    branches: int  # branches it was dispatched to (within what the person sees)


async def catalog(session: AsyncSession, actor: Who, *, limit: int = 10) -> list[CatalogEntry]:
    """The latest materials this person sees: a branch's pickable list, or an administrator's catalogs."""
    if actor is not None and not actor.is_admin:
        if not actor.leads_branch:
            raise PermissionDenied(N_("Only the branch secretary (or a committee member acting for them) may do this."))
        return [
            CatalogEntry(m.material, m.dispatched_at, 1 if m.dispatched_at else 0)
            for m in await materials_for_org(session, actor.org_id, limit=limit)
        ]
    owners = await _visible_owner_ids(session, actor)
    stmt = select(StudyMaterial).order_by(StudyMaterial.created_at.desc(), StudyMaterial.id.desc()).limit(limit)
    if owners is not None:
        # An administrator's list: their catalogs and those above, not each branch's typed titles.
        kinds = {org_id: kind for org_id, kind in await session.execute(select(Organisation.id, Organisation.kind))}
        owners = {o for o in owners if kinds.get(o) != OrgKind.BRANCH}
        stmt = stmt.where(StudyMaterial.owner_org_id.in_(owners))
    else:
        stmt = stmt.where(StudyMaterial.issued_on.is_not(None))
    materials = (await session.scalars(stmt)).all()
    scope = None if actor is None else await queries.subtree_ids(session, actor.org_id)
    entries = []
    for material in materials:
        counted = select(func.count(MaterialDispatch.id), func.max(MaterialDispatch.dispatched_at)).where(
            MaterialDispatch.material_id == material.id
        )
        if scope is not None:
            counted = counted.where(MaterialDispatch.branch_id.in_(scope))
        count, latest = (await session.execute(counted)).one()
        entries.append(CatalogEntry(material, latest, int(count or 0)))
    return entries


# --------------------------------------------------------------------------------------------------------------
# Dispatch


@dataclass(frozen=True)
class DispatchResult:
    """Which branches the material newly reached, and which had it already."""

    material: StudyMaterial
    target: Organisation
    new: list[Organisation]
    already: list[Organisation]
    notified: int  # notices queued (branches without a reachable secretary get none)


async def branch_recipient(session: AsyncSession, branch_id: int) -> Member | None:
    """Who hears about the branch's study materials: its secretary, else a delegated committee member."""
    leaders = [m for m in await queries.branch_leaders(session, branch_id) if m.telegram_id is not None]
    leaders.sort(key=lambda m: (m.role != Role.SECRETARY, m.id))
    return leaders[0] if leaders else None


def view_button(material: StudyMaterial, locale: str) -> dict[str, Any]:
    """An inline keyboard (Bot API JSON) with a button that shows the material."""
    label = translator(locale).gettext(N_("View the material"))
    return {"inline_keyboard": [[{"text": label, "callback_data": f"fa:mat:{material.id}"}]]}


async def preview_dispatch(
    session: AsyncSession, actor: Who, material_id: int, org_id: int | None = None
) -> DispatchResult:
    """What :func:`dispatch_material` would do, without doing it (for the confirmation)."""
    material, target, branches = await _dispatch_scope(session, actor, material_id, org_id)
    had = await _already_dispatched(session, material.id, [b.id for b in branches])
    return DispatchResult(
        material, target, [b for b in branches if b.id not in had], [b for b in branches if b.id in had], 0
    )


async def _dispatch_scope(
    session: AsyncSession, actor: Who, material_id: int, org_id: int | None
) -> tuple[StudyMaterial, Organisation, list[Organisation]]:
    if actor is not None and not actor.is_admin:
        raise PermissionDenied(N_("Only an administrator may dispatch study materials to branches."))
    target_id = org_id if org_id is not None else (actor.org_id if actor is not None else None)
    if target_id is None:
        raise InvalidInput(N_("Say which organisation to dispatch to."))
    material = await get_material(session, actor, material_id)
    if actor is not None:
        target = await require_admin_of(session, actor, target_id)
    else:
        found = await session.get(Organisation, target_id)
        if found is None:
            raise NotFound(N_("No such organisation."))
        target = found
    branches = list(await queries.branches_in(session, await queries.subtree_ids(session, target.id)))
    if not branches:
        raise InvalidInput(N_("There is no branch under %(org)s to dispatch to."), org=target.name)
    return material, target, branches


async def _already_dispatched(session: AsyncSession, material_id: int, branch_ids: list[int]) -> set[int]:
    return set(
        (
            await session.scalars(
                select(MaterialDispatch.branch_id).where(
                    MaterialDispatch.material_id == material_id, MaterialDispatch.branch_id.in_(branch_ids)
                )
            )
        ).all()
    )


async def dispatch_material(
    session: AsyncSession,
    actor: Who,
    material_id: int,
    org_id: int | None = None,
    *,
    default_locale: str = "zh_CN",
) -> DispatchResult:
    """Send a material to every branch under ``org_id`` (the administrator's own organisation by default).

    Each branch gets it once: the unique (material, branch) key refuses a second row even when two
    administrators press at the same moment, and only a branch whose row this call inserted is told.
    """
    material, target, branches = await _dispatch_scope(session, actor, material_id, org_id)
    who = await _member(session, actor)
    insert = queries.upsert_insert(session)
    now = now_utc()
    new: list[Organisation] = []
    already: list[Organisation] = []
    notified = 0
    for branch in branches:
        result = await session.execute(
            insert(MaterialDispatch)
            .values(
                material_id=material.id,
                branch_id=branch.id,
                dispatched_at=now,
                dispatched_by_id=who.id if who else None,
            )
            .on_conflict_do_nothing(index_elements=["material_id", "branch_id"])
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            already.append(branch)
            continue
        new.append(branch)
        recipient = await branch_recipient(session, branch.id)
        if recipient is None or recipient.telegram_id is None:
            continue
        locale = recipient.language or default_locale
        text = render(
            "first_agenda/dispatch_notice.html.j2",
            locale,
            material=material,
            branch=branch,
            kind_names=KIND_NAMES,
        )
        notified += await outbox.enqueue(
            session,
            dedup_key=f"fa-dispatch:{material.id}:{branch.id}",
            chat_id=recipient.telegram_id,
            member_id=recipient.id,
            kind="study_material",
            text=text,
            reply_markup=view_button(material, locale),
        )
    if not new:
        raise Conflict(
            N_("《%(title)s》 has already been dispatched to every branch of %(org)s."),
            title=material.title,
            org=target.name,
        )
    _audit(
        session,
        who,
        "material.dispatch",
        "study_material",
        material.id,
        org=target.id,
        branches=[b.id for b in new],
    )
    return DispatchResult(material, target, new, already, notified)


# --------------------------------------------------------------------------------------------------------------
# Recording a meeting's first agenda item


@dataclass(frozen=True)
class ItemView:
    """A meeting's first agenda item with its materials in order."""

    item: FirstAgendaItem
    materials: list[StudyMaterial]

    @property
    def leader(self) -> str | None:
        """Who led the study."""
        return self.item.led_by_name


async def first_agenda_of(session: AsyncSession, meeting_id: int) -> ItemView | None:
    """The recorded first agenda item of a meeting, if any (for the ledger and the meeting card too)."""
    item = await session.scalar(select(FirstAgendaItem).where(FirstAgendaItem.meeting_id == meeting_id))
    if item is None:
        return None
    materials = (
        await session.scalars(
            select(StudyMaterial)
            .join(FirstAgendaMaterial, FirstAgendaMaterial.material_id == StudyMaterial.id)
            .where(FirstAgendaMaterial.item_id == item.id)
            .order_by(FirstAgendaMaterial.position, FirstAgendaMaterial.id)
        )
    ).all()
    return ItemView(item, list(materials))


@dataclass(frozen=True)
class RecordingContext:
    """What the recording flow offers for one meeting."""

    meeting: Meeting
    org: Organisation
    candidates: list[BranchMaterial]
    leaders: list[Member]
    current: ItemView | None


async def _meeting_for_recording(
    session: AsyncSession, actor: Who, meeting_id: int, *, allow_closed: bool = False
) -> tuple[Meeting, Organisation]:
    meeting = await session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(N_("There is no meeting #%(id)s."), id=meeting_id)
    org = await _require_org_leader(session, actor, meeting.org_id)
    if meeting.status == MeetingStatus.CANCELLED:
        raise Conflict(N_("This meeting was cancelled."))
    if meeting.status == MeetingStatus.CLOSED and not allow_closed:
        raise Conflict(N_("This meeting is closed; its record can no longer be changed."))
    if not may_carry_first_agenda(meeting.kind):
        raise InvalidInput(N_("This kind of meeting does not open with a first agenda item."))
    return meeting, org


async def leader_candidates(session: AsyncSession, org_id: int) -> list[Member]:
    """Who usually leads the study: the branch's secretary and committee (a unit's: its administrators)."""
    members = await queries.branch_members(session, org_id)
    order = {Role.SECRETARY: 0, Role.COMMITTEE: 1, Role.ADMIN: 2}
    return sorted((m for m in members if m.role in order), key=lambda m: (order[Role(m.role)], m.name, m.id))


async def recording_context(session: AsyncSession, actor: Who, meeting_id: int, *, limit: int = 8) -> RecordingContext:
    """Check the person may record for this meeting, and gather what to offer."""
    meeting, org = await _meeting_for_recording(session, actor, meeting_id)
    return RecordingContext(
        meeting,
        org,
        await materials_for_org(session, org.id, limit=limit),
        await leader_candidates(session, org.id),
        await first_agenda_of(session, meeting.id),
    )


async def check_material_for_meeting(
    session: AsyncSession, actor: Who, meeting_id: int, material_id: int
) -> StudyMaterial:
    """A material picked (by id) for a meeting: it must exist and be the meeting's branch's to study."""
    meeting, _org = await _meeting_for_recording(session, actor, meeting_id)
    material = await session.get(StudyMaterial, material_id)
    if material is None or not await _visible_to_org(session, material, meeting.org_id):
        raise NotFound(N_("There is no study material #%(id)s."), id=material_id)
    return material


async def record_first_agenda(
    session: AsyncSession,
    actor: Who,
    meeting_id: int,
    *,
    material_ids: Sequence[int] = (),
    typed_titles: Sequence[str] = (),
    form: StudyForm | str | None = None,
    led_by_id: int | None = None,
    led_by_name: str | None = None,
    note: str | None = None,
    allow_closed: bool = False,
) -> ItemView:
    """Record (or replace) agenda item 1 of a meeting: the materials studied, the form, who led it, a note."""
    meeting, org = await _meeting_for_recording(session, actor, meeting_id, allow_closed=allow_closed)
    who = await _member(session, actor)
    materials: list[StudyMaterial] = []
    for material_id in dict.fromkeys(material_ids):
        material = await session.get(StudyMaterial, material_id)
        if material is None or not await _visible_to_org(session, material, org.id):
            raise NotFound(N_("There is no study material #%(id)s."), id=material_id)
        materials.append(material)
    for title in typed_titles:
        material, _created = await _typed_material(session, org.id, title, who)
        if material not in materials:
            materials.append(material)
    if not materials:
        raise InvalidInput(N_("Name at least one material that was studied."))
    if len(materials) > MAX_MATERIALS_PER_ITEM:
        raise InvalidInput(N_("At most %(max)s materials per meeting."), max=MAX_MATERIALS_PER_ITEM)
    study_form: StudyForm | None = None
    if form is not None:
        try:
            study_form = StudyForm(form)
        except ValueError:
            raise InvalidInput(N_("Unknown form of study %(value)s."), value=str(form)) from None
    leader_name = _clean(led_by_name)
    if led_by_id is not None:
        leader = await session.get(Member, led_by_id)
        if leader is None or leader.org_id not in await queries.subtree_ids(session, org.id):
            raise InvalidInput(N_("The person who led the study must be on this branch's roster."))
        leader_name = leader.name
    elif leader_name is not None:
        if len(leader_name) > MAX_LEADER:
            raise InvalidInput(N_("The name is too long (at most %(max)s characters)."), max=MAX_LEADER)
        # A typed name that is a member of the branch links to them (for the ledger and member points).
        same = [m for m in await queries.branch_members(session, org.id) if m.name == leader_name]
        led_by_id = same[0].id if len(same) == 1 else None
    clean_note = (note or "").strip() or None
    if clean_note is not None and len(clean_note) > MAX_NOTE:
        raise InvalidInput(N_("The note is too long (at most %(max)s characters)."), max=MAX_NOTE)

    item = await session.scalar(select(FirstAgendaItem).where(FirstAgendaItem.meeting_id == meeting.id))
    action = "first_agenda.update" if item is not None else "first_agenda.record"
    if item is None:
        item = FirstAgendaItem(meeting_id=meeting.id, recorded_by_id=who.id if who else None)
        session.add(item)
        await session.flush()
    else:
        await session.execute(delete(FirstAgendaMaterial).where(FirstAgendaMaterial.item_id == item.id))
    item.form = study_form.value if study_form else None
    item.led_by_id = led_by_id
    item.led_by_name = leader_name
    item.note = clean_note
    item.updated_at = now_utc()
    for position, material in enumerate(materials, start=1):
        session.add(FirstAgendaMaterial(item_id=item.id, material_id=material.id, position=position))
    await session.flush()
    _audit(
        session,
        who,
        action,
        "meeting",
        meeting.id,
        materials=[m.id for m in materials],
        form=item.form,
        led_by=leader_name,
    )
    return ItemView(item, materials)


async def record_from_command_line(session: AsyncSession, meeting: Meeting, value: str, actor: Member | None) -> None:
    """The recorder behind ``branchbot meeting add --first-agenda MATERIAL_ID_OR_TEXT`` (past meetings too).

    ``12`` or ``12,15`` names catalog materials; anything else is the title of what was studied. The form
    and who led it are left for the secretary; a closing check says so if the meeting is not closed yet.
    """
    if not value or not value.strip():
        raise InvalidInput(N_("Name at least one material that was studied."))
    who = Actor.of(actor, actor.language or "zh_CN") if actor is not None else None
    await session.flush()  # the meeting may have just been added in this unit of work
    ids = parse_material_ids(value)
    await record_first_agenda(
        session,
        who,
        meeting.id,
        material_ids=ids or (),
        typed_titles=() if ids else (value,),
        allow_closed=True,
    )


async def closing_check(session: AsyncSession, meeting: Meeting) -> list[tuple[str, dict[str, Any]]]:
    """What is missing before ``meeting`` may be closed, if its kind requires the first agenda item."""
    if not needs_first_agenda(meeting.kind):
        return []
    view = await first_agenda_of(session, meeting.id)
    if view is None or not view.materials:
        return [
            (
                N_(
                    "The first agenda item (第一议题) is not recorded: the material studied, "
                    "the form of study and who led it."
                ),
                {},
            )
        ]
    missing: list[tuple[str, dict[str, Any]]] = []
    if view.item.form is None:
        missing.append((N_("First agenda item: the form of study is not recorded."), {}))
    if not view.item.led_by_name:
        missing.append((N_("First agenda item: who led the study is not recorded."), {}))
    return missing


def card_buttons(meeting: Meeting, locale: str) -> list[tuple[str, str]]:
    """The "第一议题" button on the secretary's meeting card (while the meeting can still be recorded)."""
    if not may_carry_first_agenda(meeting.kind) or meeting.status in (MeetingStatus.CLOSED, MeetingStatus.CANCELLED):
        return []
    return [(translator(locale).gettext(N_("First agenda item")), f"fa:m:{meeting.id}")]


async def card_lines(session: AsyncSession, meeting: Meeting, locale: str) -> list[str]:
    """The first agenda item on the secretary's meeting card: what was studied, or that it is still missing."""
    if not may_carry_first_agenda(meeting.kind):
        return []
    view = await first_agenda_of(session, meeting.id)
    if view is None and not needs_first_agenda(meeting.kind):
        return []
    text = render(
        "first_agenda/card_line.html.j2",
        locale,
        view=view,
        titles=[m.title for m in view.materials] if view else [],
        form_names=FORM_NAMES,
        closed=meeting.status == MeetingStatus.CLOSED,
    ).strip()
    return [text] if text else []


async def meeting_details(session: AsyncSession, meeting: Meeting) -> dict[str, Any]:
    """The first agenda item in a meeting's JSON (``branchbot meeting show``): null when none is recorded."""
    view = await first_agenda_of(session, meeting.id)
    kind = KINDS_BY_ID.get(meeting.kind)
    item: dict[str, Any] | None = None
    if view is not None:
        item = {
            "materials": [
                {
                    "id": m.id,
                    "title": m.title,
                    "source": m.source,
                    "date": m.issued_on.isoformat() if m.issued_on else None,
                }
                for m in view.materials
            ],
            "form": view.item.form,
            "led_by": view.item.led_by_name,
            "led_by_id": view.item.led_by_id,
            "note": view.item.note,
        }
    return {
        "first_agenda_required": kind.first_agenda.value if kind else FirstAgenda.OPTIONAL.value,
        "first_agenda": item,
        "first_agenda_missing": _missing_fields(meeting, view),
    }


def _missing_fields(meeting: Meeting, view: ItemView | None) -> list[str]:
    """What closing still needs of the first agenda item, as field names: materials, form, led_by."""
    if not needs_first_agenda(meeting.kind):
        return []
    if view is None or not view.materials:
        return ["materials", "form", "led_by"]
    return [name for name, value in (("form", view.item.form), ("led_by", view.item.led_by_name)) if not value]


# --------------------------------------------------------------------------------------------------------------
# Compliance


@dataclass
class BranchCompliance:
    """One branch (or unit) over a period."""

    org: Organisation
    needed: int = 0
    recorded: int = 0
    optional_recorded: int = 0
    missing: list[Meeting] = field(default_factory=list)  # held, needed it, none recorded
    dispatched: list[int] = field(default_factory=list)  # materials dispatched to it in the period
    unstudied: list[int] = field(default_factory=list)
    lags: list[int] = field(default_factory=list)
    lag_by_material: dict[int, int] = field(default_factory=dict)  # studied: days from dispatch to study
    waiting: dict[int, int] = field(default_factory=dict)  # unstudied: days since the dispatch

    @property
    def rate(self) -> float:
        """Recorded over needed; 1.0 when no meeting needed it (nothing was missed)."""
        return self.recorded / self.needed if self.needed else 1.0

    @property
    def median_lag(self) -> float | None:
        """Median days from dispatch to study, over the studied materials."""
        if not self.lags:
            return None
        value = statistics.median(self.lags)
        return int(value) if float(value).is_integer() else float(value)

    def as_json(self) -> dict[str, Any]:
        """The command line's JSON object."""
        return {
            "branch": self.org.name,
            "branch_id": self.org.id,
            "needed": self.needed,
            "recorded": self.recorded,
            "rate": round(self.rate, 4),
            "unstudied": sorted(self.unstudied),
            "median_lag_days": self.median_lag,
        }


def rank_key(row: BranchCompliance) -> tuple[Any, ...]:
    """Best first: highest rate, then shortest median lag, fewest unstudied, then by name.

    A branch where no meeting needed the item has a vacuous rate of 1.0 and proves nothing: it ranks after
    every branch that held such meetings (its lag and unstudied materials still order it among its like).
    """
    lag = row.median_lag
    return (row.needed == 0, -row.rate, lag is None, lag or 0, len(row.unstudied), row.org.name)


async def _held_meetings_with_material(
    session: AsyncSession, org_ids: Iterable[int], now: datetime, *, planned_too: bool = False
) -> dict[tuple[int, int], datetime]:
    """(org, material) → the first meeting at which the org studied it (taken place, unless ``planned_too``)."""
    stmt = (
        select(Meeting.org_id, FirstAgendaMaterial.material_id, func.min(Meeting.starts_at))
        .join(FirstAgendaItem, FirstAgendaItem.meeting_id == Meeting.id)
        .join(FirstAgendaMaterial, FirstAgendaMaterial.item_id == FirstAgendaItem.id)
        .where(Meeting.org_id.in_(list(org_ids)), Meeting.status != MeetingStatus.CANCELLED)
        .group_by(Meeting.org_id, FirstAgendaMaterial.material_id)
    )
    if not planned_too:
        stmt = stmt.where(Meeting.starts_at <= now)
    return {(org_id, material_id): at for org_id, material_id, at in await session.execute(stmt)}


async def _scope_root(session: AsyncSession, actor: Who, org_id: int | None) -> list[int]:
    """The organisations a report covers (their subtrees), after checking the person may see them."""
    if actor is None:
        if org_id is not None:
            if await session.get(Organisation, org_id) is None:
                raise NotFound(N_("No such organisation."))
            return [org_id]
        return list((await session.scalars(select(Organisation.id).where(Organisation.parent_id.is_(None)))).all())
    if actor.is_admin:
        root = org_id if org_id is not None else actor.org_id
        await require_admin_of(session, actor, root)
        return [root]
    root = org_id if org_id is not None else actor.org_id
    await require_branch_leader(session, actor, root)
    return [root]


async def compliance(
    session: AsyncSession,
    actor: Who,
    start: date,
    end: date,
    *,
    org_id: int | None = None,
    tz: ZoneInfo = DEFAULT_TZ,
) -> list[BranchCompliance]:
    """Per branch (and per unit holding unit-level meetings) of the subtree: the period's first agenda record.

    Meetings count when they took place in the period; materials when they were dispatched in it. Whether a
    dispatched material was studied, and its lag, are as of now (a study after the period still counts).
    """
    if end < start:
        raise InvalidInput(N_("The period ends before it starts."))
    now = now_utc()
    org_ids: set[int] = set()
    for root in await _scope_root(session, actor, org_id):
        org_ids |= await queries.subtree_ids(session, root)
    orgs = {o.id: o for o in (await session.scalars(select(Organisation).where(Organisation.id.in_(org_ids)))).all()}
    rows: dict[int, BranchCompliance] = {o.id: BranchCompliance(o) for o in orgs.values() if o.kind == OrgKind.BRANCH}
    meetings = (
        await session.execute(
            select(Meeting, FirstAgendaItem.id)
            .outerjoin(FirstAgendaItem, FirstAgendaItem.meeting_id == Meeting.id)
            .where(
                Meeting.org_id.in_(org_ids),
                Meeting.status != MeetingStatus.CANCELLED,
                Meeting.starts_at >= local_midnight_utc(start, tz),
                Meeting.starts_at < end_of_local_day_utc(end, tz),
                Meeting.starts_at <= now,
            )
            .order_by(Meeting.starts_at)
        )
    ).all()
    for meeting, item_id in meetings:
        kind = KINDS_BY_ID.get(meeting.kind)
        if meeting.org_id not in rows:
            if kind is None or kind.held_by is not HeldBy.UNIT:
                continue
            rows[meeting.org_id] = BranchCompliance(orgs[meeting.org_id])
        row = rows[meeting.org_id]
        if needs_first_agenda(meeting.kind):
            row.needed += 1
            if item_id is not None:
                row.recorded += 1
            else:
                row.missing.append(meeting)
        elif item_id is not None:
            row.optional_recorded += 1
    dispatches = (
        await session.execute(
            select(MaterialDispatch.branch_id, MaterialDispatch.material_id, MaterialDispatch.dispatched_at)
            .where(
                MaterialDispatch.branch_id.in_(list(rows)),
                MaterialDispatch.dispatched_at >= local_midnight_utc(start, tz),
                MaterialDispatch.dispatched_at < end_of_local_day_utc(end, tz),
            )
            .order_by(MaterialDispatch.dispatched_at, MaterialDispatch.material_id)
        )
    ).all()
    studied = await _held_meetings_with_material(session, rows, now)
    for branch_id, material_id, dispatched_at in dispatches:
        row = rows[branch_id]
        row.dispatched.append(material_id)
        at = studied.get((branch_id, material_id))
        if at is None:
            row.unstudied.append(material_id)
            row.waiting[material_id] = (_local_date(now, tz) - _local_date(dispatched_at, tz)).days
        else:
            lag = study_lag(dispatched_at, at, tz)
            row.lags.append(lag)
            row.lag_by_material[material_id] = lag
    return sorted(rows.values(), key=rank_key)


def study_lag(dispatched_at: datetime, studied_at: datetime, tz: ZoneInfo = DEFAULT_TZ) -> int:
    """Local days from the dispatch to the meeting that studied it; 0 when studied before it came."""
    return max(0, (_local_date(studied_at, tz) - _local_date(dispatched_at, tz)).days)


@dataclass(frozen=True)
class MaterialBranchStatus:
    """One branch's progress on one dispatched material."""

    branch: Organisation
    dispatched_at: datetime
    studied_at: datetime | None
    lag: int | None


@dataclass(frozen=True)
class MaterialStatus:
    """Which branches have studied a dispatched material, after how many days, and which have not."""

    material: StudyMaterial
    studied: list[MaterialBranchStatus]  # quickest first
    unstudied: list[MaterialBranchStatus]  # longest waiting first


async def material_status(
    session: AsyncSession, actor: Who, material_id: int, *, tz: ZoneInfo = DEFAULT_TZ
) -> MaterialStatus:
    """Per branch the person sees: studied (with the lag) or not yet."""
    material = await get_material(session, actor, material_id)
    stmt = select(MaterialDispatch, Organisation).join(Organisation, Organisation.id == MaterialDispatch.branch_id)
    stmt = stmt.where(MaterialDispatch.material_id == material.id)
    if actor is not None:
        if actor.is_admin:
            stmt = stmt.where(MaterialDispatch.branch_id.in_(await queries.subtree_ids(session, actor.org_id)))
        elif actor.leads_branch:
            stmt = stmt.where(MaterialDispatch.branch_id == actor.org_id)
        else:
            raise PermissionDenied(N_("Only the branch secretary (or a committee member acting for them) may do this."))
    rows = (await session.execute(stmt)).all()
    studied_at = await _held_meetings_with_material(session, [org.id for _d, org in rows], now_utc())
    studied: list[MaterialBranchStatus] = []
    unstudied: list[MaterialBranchStatus] = []
    for dispatch, org in rows:
        at = studied_at.get((org.id, material.id))
        if at is None:
            unstudied.append(MaterialBranchStatus(org, dispatch.dispatched_at, None, None))
        else:
            studied.append(
                MaterialBranchStatus(org, dispatch.dispatched_at, at, study_lag(dispatch.dispatched_at, at, tz))
            )
    studied.sort(key=lambda s: (s.lag or 0, s.branch.name))
    unstudied.sort(key=lambda s: (s.dispatched_at, s.branch.name))
    return MaterialStatus(material, studied, unstudied)


# --------------------------------------------------------------------------------------------------------------
# The nudge


async def nudge_unstudied(
    session: AsyncSession, *, days: int, tz: ZoneInfo = DEFAULT_TZ, default_locale: str = "zh_CN"
) -> int:
    """Remind each branch once about every material dispatched ``days`` or more local days ago and not yet
    studied (nor planned for a scheduled meeting). Returns the reminders queued; idempotent."""
    now = now_utc()
    today = now.astimezone(tz).date()
    cutoff = local_midnight_utc(today - timedelta(days=days - 1), tz)  # dispatched on or before today - days
    due = (
        await session.execute(
            select(MaterialDispatch.material_id, MaterialDispatch.branch_id, MaterialDispatch.dispatched_at)
            .outerjoin(
                FirstAgendaNudge,
                (FirstAgendaNudge.material_id == MaterialDispatch.material_id)
                & (FirstAgendaNudge.branch_id == MaterialDispatch.branch_id),
            )
            .where(MaterialDispatch.dispatched_at < cutoff, FirstAgendaNudge.id.is_(None))
            .order_by(MaterialDispatch.dispatched_at, MaterialDispatch.id)
        )
    ).all()
    if not due:
        return 0
    planned = await _held_meetings_with_material(session, {b for _m, b, _d in due}, now, planned_too=True)
    insert = queries.upsert_insert(session)
    queued = 0
    for material_id, branch_id, dispatched_at in due:
        if (branch_id, material_id) in planned:
            continue
        recipient = await branch_recipient(session, branch_id)
        if recipient is None or recipient.telegram_id is None:
            continue  # nobody to tell yet: try again tomorrow
        claimed = await session.execute(
            insert(FirstAgendaNudge)
            .values(material_id=material_id, branch_id=branch_id, nudged_at=now)
            .on_conflict_do_nothing(index_elements=["material_id", "branch_id"])
        )
        if not claimed.rowcount:  # type: ignore[attr-defined]
            continue  # another process nudged it meanwhile
        material = await session.get(StudyMaterial, material_id)
        branch = await session.get(Organisation, branch_id)
        assert material is not None and branch is not None
        locale = recipient.language or default_locale
        text = render(
            "first_agenda/nudge.html.j2",
            locale,
            material=material,
            kind_names=KIND_NAMES,
            branch=branch,
            dispatched_on=_local_date(dispatched_at, tz),
            days=(today - _local_date(dispatched_at, tz)).days,
        )
        queued += await outbox.enqueue(
            session,
            dedup_key=f"fa-nudge:{material_id}:{branch_id}",
            chat_id=recipient.telegram_id,
            member_id=recipient.id,
            kind="reminder",
            text=text,
            reply_markup=view_button(material, locale),
        )
    return queued


# --------------------------------------------------------------------------------------------------------------
# Periods


def period_bounds(name: str, today: date) -> tuple[date, date]:
    """``quarter`` (this one so far), ``year`` (this one so far) or ``last_year``."""
    if name == "quarter":
        first_month = 3 * ((today.month - 1) // 3) + 1
        return date(today.year, first_month, 1), today
    if name == "last_year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    return date(today.year, 1, 1), today


NUDGE_JOB_ID = "first-agenda-nudge"
NUDGE_LOCAL_TIME = time(9, 0)


# --------------------------------------------------------------------------------------------------------------
# What this feature adds to meetings (bot/services/meeting_hooks.py)

MEETING_HOOKS = MeetingHooks(
    closing_checks=(closing_check,),
    button_providers=(card_buttons,),
    line_providers=(card_lines,),
    detail_providers=(meeting_details,),
    first_agenda_recorder=record_from_command_line,
    fix_providers=(card_buttons,),
)

# The command menu's descriptions (bot/commands.py lists the commands; their text is this feature's to translate).
MENU_DESCRIPTIONS = (
    N_("First agenda item: what the meetings studied"),
    N_("Study materials for the first agenda item"),
    N_("Add a study material"),
)
