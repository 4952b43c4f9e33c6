"""Meetings (三会一课, 主题党日, 组织生活会 …), attendance, and the live check-in QR codes on display: the models,
then the queries (each takes the caller's session and never commits)."""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Select,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    case,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, utcnow
from storage.models import Member, Organisation, OrgKind


class MeetingStatus(enum.StrEnum):
    """Life of a meeting."""

    SCHEDULED = "scheduled"
    CLOSED = "closed"  # held and recorded; no more edits
    CANCELLED = "cancelled"


class Meeting(Base):
    """One meeting of a branch (or of a Party group, or of a unit's Party body)."""

    __tablename__ = "meetings"
    # updated_at is indexed so the points' tallies can ask cheaply whether any meeting changed since they were
    # counted (storage/points/tallies.py).
    __table_args__ = (
        Index("ix_meetings_org_starts", "org_id", "starts_at"),
        Index("ix_meetings_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))  # the branch (or unit)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))  # an id of bot.services.kinds_of_meeting
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    place: Mapped[str | None] = mapped_column(String(200))
    topic: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default=MeetingStatus.SCHEDULED)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    record: Mapped[str | None] = mapped_column(Text)  # short minutes written at closing
    record_photos: Mapped[list[str]] = mapped_column(JSON, default=list)  # Telegram file ids
    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()
    radius_m: Mapped[int | None] = mapped_column()  # check-in must be within this distance when set
    checkin_code: Mapped[str | None] = mapped_column(String(12))  # short code typed by members
    # Bumped by every announced change, so each change's announcement has its own outbox dedup key.
    revision: Mapped[int] = mapped_column(default=0)
    notified_at: Mapped[datetime | None] = mapped_column()  # when members last got a notice or change
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AttendanceStatus(enum.StrEnum):
    """A member's answer and presence."""

    NO_ANSWER = "no_answer"
    ATTENDING = "attending"  # said they will come
    LEAVE_REQUESTED = "leave_requested"
    ON_LEAVE = "on_leave"  # leave approved
    PRESENT = "present"
    LATE = "late"
    ABSENT = "absent"  # confirmed at closing


CHECKED_IN = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)


class Attendance(Base):
    """One member at one meeting: one row, whatever happens (the unique key refuses a second)."""

    __tablename__ = "attendance"
    # updated_at is indexed so the points' tallies can ask cheaply whether any row of their months changed since
    # they were counted (storage/points/tallies.py); every write sets it (onupdate, and the check-ins' upsert).
    __table_args__ = (UniqueConstraint("meeting_id", "member_id"), Index("ix_attendance_updated_at", "updated_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=AttendanceStatus.NO_ANSWER)
    leave_reason: Mapped[str | None] = mapped_column(String(500))
    answered_at: Mapped[datetime | None] = mapped_column()
    checked_in_at: Mapped[datetime | None] = mapped_column()
    checkin_method: Mapped[str | None] = mapped_column(String(16))  # qr / code / button / secretary
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MeetingQrDisplay(Base):
    """A live check-in QR photo in some chat; a job re-draws it with a fresh token while check-in is open."""

    __tablename__ = "meeting_qr_displays"
    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[int] = mapped_column()
    message_id: Mapped[int] = mapped_column()
    locale: Mapped[str] = mapped_column(String(8))
    slot: Mapped[int] = mapped_column(default=0)  # the token slot currently shown
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- queries ------------------------------------------------------------------------------------------------

# Organisations whose Party body holds the unit-level kinds (a unit's Party committee, the working committee).
UNIT_BODIES = (OrgKind.UNIT_COMMITTEE, OrgKind.WORKING_COMMITTEE)


async def attendance_rows(session: AsyncSession, meeting_id: int) -> list[tuple[Member, Attendance]]:
    """Every attendance row of a meeting with its member, by name."""
    rows = await session.execute(
        select(Member, Attendance)
        .join(Attendance, Attendance.member_id == Member.id)
        .where(Attendance.meeting_id == meeting_id)
        .order_by(Member.name, Member.id)
    )
    return [(m, a) for m, a in rows.all()]


async def attendance_of(session: AsyncSession, meeting_id: int, member_id: int) -> Attendance | None:
    """A member's attendance row for a meeting, if there is one."""
    return await session.scalar(
        select(Attendance).where(Attendance.meeting_id == meeting_id, Attendance.member_id == member_id)
    )


async def ensure_attendance(session: AsyncSession, meeting_id: int, member_id: int) -> Attendance:
    """The member's row for this meeting, created (unanswered) if they joined the roster after it was scheduled."""
    row = await attendance_of(session, meeting_id, member_id)
    if row is None:
        row = Attendance(meeting_id=meeting_id, member_id=member_id, status=AttendanceStatus.NO_ANSWER)
        session.add(row)
        await session.flush()
    return row


async def meeting_orgs(session: AsyncSession, org_ids: set[int]) -> Sequence[Organisation]:
    """The organisations among ``org_ids`` that hold meetings: branches, then units' Party bodies, by name."""
    orgs = (
        await session.scalars(
            select(Organisation)
            .where(Organisation.id.in_(org_ids), Organisation.kind.in_([OrgKind.BRANCH, *UNIT_BODIES]))
            .order_by(Organisation.name)
        )
    ).all()
    return sorted(orgs, key=lambda o: o.kind != OrgKind.BRANCH)


async def branch_groups(session: AsyncSession, branch_id: int) -> Sequence[Organisation]:
    """The Party groups of a branch, by name."""
    return (
        await session.scalars(
            select(Organisation)
            .where(Organisation.parent_id == branch_id, Organisation.kind == OrgKind.PARTY_GROUP)
            .order_by(Organisation.name)
        )
    ).all()


async def branch_meetings(
    session: AsyncSession, org_ids: set[int], *, since: datetime, limit: int = 20, offset: int = 0
) -> Sequence[Meeting]:
    """Meetings of these branches that end after ``since``, in order of their start (a page of them)."""
    return (
        await session.scalars(
            select(Meeting)
            .where(Meeting.org_id.in_(org_ids), Meeting.ends_at >= since, Meeting.status != MeetingStatus.CANCELLED)
            .order_by(Meeting.starts_at, Meeting.id)
            .offset(offset)
            .limit(limit)
        )
    ).all()


async def upcoming_for_member(session: AsyncSession, member_id: int, now: datetime) -> list[tuple[Meeting, Attendance]]:
    """Scheduled meetings a member is expected at that have not ended, soonest first."""
    rows = await session.execute(
        select(Meeting, Attendance)
        .join(Attendance, Attendance.meeting_id == Meeting.id)
        .where(
            Attendance.member_id == member_id,
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.ends_at >= now,
        )
        .order_by(Meeting.starts_at)
        .limit(10)
    )
    return [(m, a) for m, a in rows.all()]


async def status_counts(session: AsyncSession, meeting_id: int) -> dict[str, int]:
    """How many members are in each attendance status."""
    rows = await session.execute(
        select(Attendance.status, func.count()).where(Attendance.meeting_id == meeting_id).group_by(Attendance.status)
    )
    return {status: int(count) for status, count in rows.all()}


async def scheduled_between(session: AsyncSession, start_before: datetime, end_after: datetime) -> Sequence[Meeting]:
    """Scheduled meetings that start before ``start_before`` and end after ``end_after`` (the reminders' window)."""
    return (
        await session.scalars(
            select(Meeting).where(
                Meeting.status == MeetingStatus.SCHEDULED,
                Meeting.starts_at <= start_before,
                Meeting.ends_at >= end_after,
            )
        )
    ).all()


async def codes_in_use(session: AsyncSession, org_id: int) -> set[str | None]:
    """The check-in codes of an organisation's scheduled meetings."""
    return set(
        (
            await session.scalars(
                select(Meeting.checkin_code).where(Meeting.org_id == org_id, Meeting.status == MeetingStatus.SCHEDULED)
            )
        ).all()
    )


async def same_meeting(
    session: AsyncSession, org_id: int, kind: str, starts_at: datetime, group_id: int | None
) -> int | None:
    """The id of a meeting (not cancelled) of this organisation, kind, start and group, if one is scheduled."""
    return await session.scalar(
        select(Meeting.id).where(
            Meeting.org_id == org_id,
            Meeting.kind == kind,
            Meeting.starts_at == starts_at,
            Meeting.status != MeetingStatus.CANCELLED,
            Meeting.group_id.is_(None) if group_id is None else Meeting.group_id == group_id,
        )
    )


async def decide_attendance(
    session: AsyncSession, row_id: int, *, expected: str, status: str, decided_by_id: int | None
) -> bool:
    """Move one attendance row from ``expected`` to ``status`` in ONE conditional write; whether this call did it.

    Two leaders pressing approve and refuse at once both reach here; the database lets exactly one UPDATE
    match the row in its ``expected`` state, so only the winner goes on to tell the member."""
    result = await session.execute(
        update(Attendance)
        .where(Attendance.id == row_id, Attendance.status == expected)
        .values(status=status, decided_by_id=decided_by_id)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


class HeldMeeting(NamedTuple):
    """What a compliance table reads of a meeting: six columns, not the whole row (a city's year holds tens of
    thousands of meetings, and loading each as an object with its JSON record and details cost seconds)."""

    org_id: int
    group_id: int | None
    kind: str
    starts_at: datetime
    status: str
    tags: list[str] | None


def _held(where: Any, start: datetime, end: datetime) -> Select[int, int | None, str, datetime, str, list[str]]:
    return select(
        Meeting.org_id, Meeting.group_id, Meeting.kind, Meeting.starts_at, Meeting.status, Meeting.tags
    ).where(where, Meeting.starts_at >= start, Meeting.starts_at < end, Meeting.status != MeetingStatus.CANCELLED)


async def held_between(session: AsyncSession, org_id: int, start: datetime, end: datetime) -> list[HeldMeeting]:
    """The organisation's meetings (not cancelled) starting in ``[start, end)``."""
    return [HeldMeeting(*row) for row in (await session.execute(_held(Meeting.org_id == org_id, start, end))).all()]


async def attendance_statuses(session: AsyncSession, meeting_id: int) -> list[str]:
    """Every attendance status of one meeting."""
    return list((await session.scalars(select(Attendance.status).where(Attendance.meeting_id == meeting_id))).all())


async def member_history(
    session: AsyncSession, member_id: int, start: datetime, end: datetime
) -> list[tuple[Meeting, Attendance]]:
    """The member's closed meetings in ``[start, end)``, oldest first."""
    rows = await session.execute(
        select(Meeting, Attendance)
        .join(Attendance, Attendance.meeting_id == Meeting.id)
        .where(
            Attendance.member_id == member_id,
            Meeting.status == MeetingStatus.CLOSED,
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
        )
        .order_by(Meeting.starts_at)
    )
    return [(m, a) for m, a in rows.all()]


class MeetingRef(NamedTuple):
    """A meeting as a report line names it: by its kind and its start."""

    id: int
    kind: str
    starts_at: datetime


class MemberRef(NamedTuple):
    """A member as a report line names them."""

    id: int
    name: str
    member_no: str


def _attendance_counts() -> tuple[Any, Any, Any]:
    """Attended (present or late), on approved leave, and all rows: the three counts a rate is made of."""
    attended = func.sum(case((Attendance.status.in_(CHECKED_IN), 1), else_=0))
    on_leave = func.sum(case((Attendance.status == AttendanceStatus.ON_LEAVE, 1), else_=0))
    return attended, on_leave, func.count(Attendance.id)


# Built once, with bound parameters: building the statements anew (and their cache keys) was a third of the report's
# time once the database did the counting.
_CLOSED_MEETING_COUNTS = (
    select(Meeting.id, Meeting.kind, Meeting.starts_at, *_attendance_counts())
    .join(Attendance, Attendance.meeting_id == Meeting.id)
    .where(
        Meeting.org_id == bindparam("org_id"),
        Meeting.status == MeetingStatus.CLOSED,
        Meeting.starts_at >= bindparam("start"),
        Meeting.starts_at < bindparam("end"),
    )
    .group_by(Meeting.id, Meeting.kind, Meeting.starts_at)
    .order_by(Meeting.starts_at, Meeting.id)
)
# Counted by member first, then each member's name and number looked up by key (a scalar subquery per counted
# member: thirty for a branch). Joined before counting, PostgreSQL hashed the whole members table (30,000 rows on
# the city database: 14 ms of the branch's 18) for a thousand attendance rows.
_BY_MEMBER = (
    select(Attendance.member_id, *_attendance_counts())
    .where(Attendance.meeting_id.in_(bindparam("meeting_ids", expanding=True)))
    .group_by(Attendance.member_id)
    .subquery()
)
_MEMBER_NO = select(Member.member_no).where(Member.id == _BY_MEMBER.c.member_id).scalar_subquery()
_MEMBER_COUNTS = select(
    _BY_MEMBER.c.member_id,
    select(Member.name).where(Member.id == _BY_MEMBER.c.member_id).scalar_subquery(),
    _MEMBER_NO,
    *list(_BY_MEMBER.c)[1:],
).order_by(_MEMBER_NO, _BY_MEMBER.c.member_id)


async def closed_meeting_counts(
    session: AsyncSession, org_id: int, start: datetime, end: datetime
) -> list[tuple[MeetingRef, int, int, int]]:
    """(meeting, attended, on leave, rows) of each of the organisation's closed meetings in ``[start, end)`` that
    has attendance rows, in meeting order.

    Counted by the database (GROUP BY) and read as plain columns: a branch-year is a thousand attendance rows, and
    reading them one by one into Python, with each meeting's every column converted, was most of the report's
    time."""
    result = await session.execute(_CLOSED_MEETING_COUNTS, {"org_id": org_id, "start": start, "end": end})
    return [(MeetingRef(i, kind, at), int(a), int(leave), int(n)) for i, kind, at, a, leave, n in result.all()]


async def member_counts(session: AsyncSession, meeting_ids: Sequence[int]) -> list[tuple[MemberRef, int, int, int]]:
    """(member, attended, on leave, rows) over these meetings (one branch's of a period: tens, never one per
    member), for each member with a row, by member number (编号). The meetings are named rather than selected
    again, so both counts describe the same meetings even if one closes in between."""
    if not meeting_ids:
        return []
    result = await session.execute(_MEMBER_COUNTS, {"meeting_ids": list(meeting_ids)})
    return [(MemberRef(i, name, no), int(a), int(leave), int(n)) for i, name, no, a, leave, n in result.all()]


async def last_place(session: AsyncSession, org_id: int) -> str | None:
    """The place of the organisation's most recently scheduled meeting that had one."""
    return await session.scalar(
        select(Meeting.place)
        .where(Meeting.org_id == org_id, Meeting.place.is_not(None))
        .order_by(Meeting.created_at.desc())
        .limit(1)
    )


async def qr_displays(session: AsyncSession) -> list[tuple[MeetingQrDisplay, Meeting]]:
    """Every live QR photo on display, with its meeting."""
    result = await session.execute(
        select(MeetingQrDisplay, Meeting).join(Meeting, Meeting.id == MeetingQrDisplay.meeting_id)
    )
    return [(display, meeting) for display, meeting in result.all()]


async def forget_qr_displays(session: AsyncSession, display_ids: list[int]) -> None:
    """Stop redrawing these QR photos."""
    if display_ids:
        await session.execute(delete(MeetingQrDisplay).where(MeetingQrDisplay.id.in_(display_ids)))


# --- the administrators' reports: a constant number of statements whatever the number of branches -------------
# ``scope`` is a SELECT of organisation ids (storage.queries.subtree_select or org_scope), never a bound list.


async def branches_of(session: AsyncSession, scope: Select[Any]) -> Sequence[Organisation]:
    """The branches in ``scope``, by name."""
    return (
        await session.scalars(
            select(Organisation)
            .where(Organisation.id.in_(scope), Organisation.kind == OrgKind.BRANCH)
            .order_by(Organisation.name, Organisation.id)
        )
    ).all()


async def held_between_in(
    session: AsyncSession, scope: Select[Any], start: datetime, end: datetime
) -> dict[int, list[HeldMeeting]]:
    """Meetings (not cancelled) starting in ``[start, end)`` of the organisations in ``scope``, by organisation."""
    rows = await session.execute(_held(Meeting.org_id.in_(scope), start, end))
    found: dict[int, list[HeldMeeting]] = defaultdict(list)
    for row in rows.all():
        meeting = HeldMeeting(*row)
        found[meeting.org_id].append(meeting)
    return found


async def groups_in(session: AsyncSession, scope: Select[Any]) -> dict[int, list[Organisation]]:
    """The Party groups of the branches in ``scope``, by branch, each branch's by name."""
    rows = await session.scalars(
        select(Organisation)
        .where(Organisation.parent_id.in_(scope), Organisation.kind == OrgKind.PARTY_GROUP)
        .order_by(Organisation.name)
    )
    found: dict[int, list[Organisation]] = defaultdict(list)
    for group in rows.all():
        if group.parent_id is not None:
            found[group.parent_id].append(group)
    return found


async def closed_status_counts(
    session: AsyncSession, scope: Select[Any], start: datetime, end: datetime
) -> tuple[dict[int, int], dict[int, dict[str, int]]]:
    """For each organisation in ``scope``: how many closed meetings started in ``[start, end)``, and how many
    attendance rows of them are in each status (two grouped statements)."""
    closed = (
        Meeting.org_id.in_(scope),
        Meeting.status == MeetingStatus.CLOSED,
        Meeting.starts_at >= start,
        Meeting.starts_at < end,
    )
    meetings: dict[int, int] = defaultdict(int)
    counted = await session.execute(select(Meeting.org_id, func.count()).where(*closed).group_by(Meeting.org_id))
    for org_id, count in counted.all():
        meetings[org_id] = int(count)
    statuses: dict[int, dict[str, int]] = defaultdict(dict)
    rows = await session.execute(
        select(Meeting.org_id, Attendance.status, func.count())
        .join(Attendance, Attendance.meeting_id == Meeting.id)
        .where(*closed)
        .group_by(Meeting.org_id, Attendance.status)
    )
    for org_id, status, count in rows.all():
        statuses[org_id][status] = int(count)
    return meetings, statuses
