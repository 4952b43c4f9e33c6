"""Recording what a meeting studied first (第一议题): the materials, the form, who led it, a note."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import now_utc
from bot.errors import Conflict, InvalidInput, NotFound
from bot.i18n import N_
from bot.services.access import Actor
from bot.services.first_agenda.catalog import (
    MAX_LEADER,
    MAX_MATERIALS_PER_ITEM,
    MAX_NOTE,
    BranchMaterial,
    Who,
    _audit,
    _clean,
    _member,
    _require_org_leader,
    _typed_material,
    _visible_to_org,
    materials_for_org,
    may_carry_first_agenda,
    parse_material_ids,
)
from bot.services.notifier import locale_of
from storage import first_agenda as store
from storage import queries
from storage.first_agenda import (
    FirstAgendaItem,
    FirstAgendaMaterial,
    StudyForm,
    StudyMaterial,
)
from storage.meetings import Meeting, MeetingStatus
from storage.models import Member, Organisation, Role

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
    item = await store.item_of(session, meeting_id)
    if item is None:
        return None
    return ItemView(item, await store.item_materials(session, item.id))


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
        raise NotFound(N_("This meeting no longer exists, or it is not yours to see."), id=meeting_id)
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
        raise NotFound(N_("This study material no longer exists, or it is not yours to see."), id=material_id)
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
            raise NotFound(N_("This study material no longer exists, or it is not yours to see."), id=material_id)
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

    item = await store.item_of(session, meeting.id)
    action = "first_agenda.update" if item is not None else "first_agenda.record"
    if item is None:
        item = FirstAgendaItem(meeting_id=meeting.id, recorded_by_id=who.id if who else None)
        session.add(item)
        await session.flush()
    else:
        await store.clear_item_materials(session, item.id)
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
    who = Actor.of(actor, locale_of(actor, "zh_CN")) if actor is not None else None
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
