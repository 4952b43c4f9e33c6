"""The secretary's attendance marks and closing a meeting.

Every function takes the caller's session and never commits; what is pushed to members is written to the
outbox in the same transaction, with a dedup key that makes a repeat impossible.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import now_utc
from bot.errors import Conflict, DomainError, InvalidInput, NotFound
from bot.i18n import N_, Translator
from bot.services.access import Actor
from bot.services.kinds_of_meeting import TAGS_BY_ID
from bot.services.meetings.core import (
    MAX_PHOTOS,
    MAX_RECORD,
    _actor_member,
    _audit,
    belongs,
    ensure_row,
    meeting_for_leader,
    require_editable,
)
from bot.services.meetings.hooks import MeetingHooks
from storage.meetings import CHECKED_IN, Attendance, AttendanceStatus, Meeting, MeetingStatus, attendance_rows
from storage.models import Member

# --- secretary's marks and closing --------------------------------------------------------------------------

MARKABLE = {
    AttendanceStatus.PRESENT,
    AttendanceStatus.LATE,
    AttendanceStatus.ON_LEAVE,
    AttendanceStatus.ABSENT,
}


async def mark_attendance(
    session: AsyncSession, actor: Actor | None, meeting_id: int, member_id: int, status: str
) -> tuple[Member, Attendance]:
    """The secretary records a member's presence (no phone, came late, leave given in person)."""
    if status not in MARKABLE:
        raise InvalidInput(N_("That is not an attendance status."))
    meeting = await meeting_for_leader(session, actor, meeting_id)
    require_editable(meeting)
    now = now_utc()
    if status in CHECKED_IN and now < meeting.starts_at - timedelta(hours=2):
        raise InvalidInput(N_("The meeting has not begun yet; mark presence once it has."))
    member = await session.get(Member, member_id)
    if member is None or not belongs(member, meeting):
        raise NotFound(N_("No such member."))
    row = await ensure_row(session, meeting, member)
    if row.status == status:
        raise Conflict(N_("%(name)s is already marked so."), name=member.name)
    previous = row.status
    row.status = status
    who = await _actor_member(session, actor)
    row.decided_by_id = who.id if who else None
    if status in CHECKED_IN:
        row.checked_in_at = row.checked_in_at or now
        row.checkin_method = row.checkin_method if previous in CHECKED_IN else "secretary"
    _audit(session, who, "attendance_mark", meeting, {"member_id": member.id, "from": previous, "to": status})
    return member, row


@dataclass(frozen=True)
class ClosingPreview:
    """What the secretary confirms before closing."""

    meeting: Meeting
    unconfirmed: list[tuple[Member, Attendance]]  # did not check in and are not on leave: absent unless marked
    missing: list[tuple[str, dict[str, Any]]]  # what other features still need (e.g. the first agenda item)


async def closing_preview(
    session: AsyncSession, actor: Actor | None, meeting_id: int, *, hooks: MeetingHooks
) -> ClosingPreview:
    """Check the meeting can be closed now and list whom closing would record absent (and what ``hooks``, the
    other features, say is still missing)."""
    meeting = await meeting_for_leader(session, actor, meeting_id)
    require_editable(meeting)
    if now_utc() < meeting.starts_at:
        raise InvalidInput(N_("This meeting has not begun yet; close it after it is held."))
    unconfirmed = [
        (member, row)
        for member, row in await attendance_rows(session, meeting.id)
        if row.status not in CHECKED_IN and row.status != AttendanceStatus.ON_LEAVE
    ]
    return ClosingPreview(meeting, unconfirmed, await hooks.missing_before_closing(session, meeting))


@dataclass(frozen=True)
class ClosingResult:
    """What closing did."""

    meeting: Meeting
    absent: list[str]  # names of members recorded absent


def list_separator(tr: Translator) -> str:
    """Between the items of a list in a sentence: ``；`` in Chinese, ``; `` in English."""
    return "；" if tr.locale.startswith("zh") else "; "


class ClosingBlocked(InvalidInput):
    """Other features say something is missing (e.g. the first agenda item): each item is localized."""

    def __init__(self, missing: list[tuple[str, dict[str, Any]]]) -> None:
        super().__init__(N_("This meeting cannot be closed yet. Still missing: %(missing)s"), missing="")
        self.missing = missing

    def localized(self, tr: Translator, *, escape: bool = True) -> str:
        """The list of missing items, each in the user's language."""
        items = [DomainError(msgid, **params).localized(tr, escape=escape) for msgid, params in self.missing]
        return tr.gettext(self.msgid, missing=list_separator(tr).join(items))


async def close_meeting(
    session: AsyncSession,
    actor: Actor | None,
    meeting_id: int,
    *,
    present: Iterable[int] = (),
    on_leave: Iterable[int] = (),
    record: str | None = None,
    photos: Sequence[str] = (),
    tags: Sequence[str] = (),
    hooks: MeetingHooks,
) -> ClosingResult:
    """Close a held meeting: confirm who was absent, keep the record and tags. Nothing can change afterwards."""
    meeting = await meeting_for_leader(session, actor, meeting_id)
    require_editable(meeting)
    now = now_utc()
    if now < meeting.starts_at:
        raise InvalidInput(N_("This meeting has not begun yet; close it after it is held."))
    unknown = [t for t in tags if t not in TAGS_BY_ID]
    if unknown:
        raise InvalidInput(N_("Unknown tag %(tag)s."), tag=unknown[0])
    record = (record or "").strip() or None
    if record and len(record) > MAX_RECORD:
        raise InvalidInput(N_("The record is too long (at most %(limit)d characters)."), limit=MAX_RECORD)
    if len(photos) > MAX_PHOTOS:
        raise InvalidInput(N_("At most %(limit)d photos can be kept with a record."), limit=MAX_PHOTOS)
    missing = await hooks.missing_before_closing(session, meeting)
    if missing:
        raise ClosingBlocked(missing)
    who = await _actor_member(session, actor)
    present_ids, leave_ids = set(present), set(on_leave)
    absent: list[str] = []
    for member, row in await attendance_rows(session, meeting.id):
        if row.status in CHECKED_IN or row.status == AttendanceStatus.ON_LEAVE:
            continue
        if member.id in present_ids:
            row.status = AttendanceStatus.PRESENT
            row.checked_in_at = row.checked_in_at or meeting.starts_at
            row.checkin_method = "secretary"
            row.decided_by_id = who.id if who else None
        elif member.id in leave_ids:
            row.status = AttendanceStatus.ON_LEAVE
            row.decided_by_id = who.id if who else None
        else:
            row.status = AttendanceStatus.ABSENT
            absent.append(member.name)
    meeting.status = MeetingStatus.CLOSED
    meeting.closed_at = now
    meeting.record = record
    meeting.record_photos = list(photos)
    meeting.tags = sorted(set(tags), key=list(TAGS_BY_ID).index)
    _audit(
        session,
        who,
        "meeting_close",
        meeting,
        {"absent": absent, "tags": meeting.tags, "photos": len(photos), "record": bool(record)},
    )
    return ClosingResult(meeting, absent)
