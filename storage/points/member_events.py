"""One member's events behind their points (``points show``, the /points screen): the same rules as
:mod:`storage.points.counts`, for one member, with what the screen names (the meeting, the activity, the
community). Each takes a session and never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.first_agenda import FirstAgendaItem
from storage.meetings import Attendance, Meeting, MeetingStatus
from storage.points.counts import _meeting_window, spans_of
from storage.points.models import PointEntry
from storage.volunteer import CommunityRegistration, ReportStatus, ServiceReport, SignUp, SignUpStatus


async def member_spans(session: AsyncSession, member_id: int, branch_id: int, start: date, end: date) -> list[Any]:
    """The member's membership rows in the branch overlapping the period (started_on, ended_on)."""
    spans = spans_of([branch_id], start, end)
    stmt = select(spans.c.started_on, spans.c.ended_on).where(spans.c.member_id == member_id)
    return list((await session.execute(stmt)).all())


async def member_meetings(
    session: AsyncSession, member_id: int, branch_id: int, start: date, end: date, tz: ZoneInfo
) -> list[tuple[Meeting, str, bool]]:
    """(meeting, attendance status, led the first agenda study) of the member's closed meetings in the branch."""
    begin, finish = _meeting_window(start, end, tz)
    stmt = (
        select(Meeting, Attendance.status, FirstAgendaItem.led_by_id)
        .join(Attendance, and_(Attendance.meeting_id == Meeting.id, Attendance.member_id == member_id), isouter=True)
        .join(FirstAgendaItem, FirstAgendaItem.meeting_id == Meeting.id, isouter=True)
        .where(
            Meeting.org_id == branch_id,
            Meeting.status == MeetingStatus.CLOSED,
            Meeting.starts_at >= begin,
            Meeting.starts_at < finish,
            or_(Attendance.id.is_not(None), FirstAgendaItem.led_by_id == member_id),
        )
        .order_by(Meeting.starts_at, Meeting.id)
    )
    return [(m, status or "", led == member_id) for m, status, led in (await session.execute(stmt)).all()]


async def member_service(
    session: AsyncSession, member_id: int, start: date, end: date, tz: ZoneInfo
) -> list[tuple[str, int, str, date, int]]:
    """(kind "activity"/"report", id, title, local day, minutes) of the member's counted service."""
    from storage.volunteer import Activity

    begin, finish = _meeting_window(start, end, tz)
    found: list[tuple[str, int, str, date, int]] = []
    signups = await session.execute(
        select(Activity.id, Activity.title, Activity.starts_at, SignUp.minutes)
        .join(SignUp, SignUp.activity_id == Activity.id)
        .where(
            SignUp.member_id == member_id,
            SignUp.status == SignUpStatus.CONFIRMED,
            SignUp.minutes > 0,
            Activity.starts_at >= begin,
            Activity.starts_at < finish,
        )
    )
    for activity_id, title, starts_at, minutes in signups.all():
        found.append(("activity", activity_id, title, starts_at.astimezone(tz).date(), int(minutes or 0)))
    reports = await session.execute(
        select(ServiceReport.id, ServiceReport.description, ServiceReport.service_date, ServiceReport.minutes).where(
            ServiceReport.member_id == member_id,
            ServiceReport.status == ReportStatus.APPROVED,
            ServiceReport.minutes > 0,
            ServiceReport.service_date >= start,
            ServiceReport.service_date <= end,
        )
    )
    for report_id, description, day, minutes in reports.all():
        found.append(("report", report_id, description, day, int(minutes)))
    found.sort(key=lambda row: (row[3], row[0], row[1]))
    return found


async def member_communities(
    session: AsyncSession, member_id: int, start: date, end: date
) -> list[tuple[int, str, date, date | None]]:
    """(registration id, community name, registered on, ended on) of registrations in force during the period."""
    from storage.volunteer import Community

    stmt = (
        select(
            CommunityRegistration.id,
            Community.name,
            CommunityRegistration.registered_on,
            CommunityRegistration.ended_on,
        )
        .join(Community, Community.id == CommunityRegistration.community_id)
        .where(
            CommunityRegistration.member_id == member_id,
            CommunityRegistration.registered_on <= end,
            or_(CommunityRegistration.ended_on.is_(None), CommunityRegistration.ended_on > start),
        )
        .order_by(CommunityRegistration.registered_on)
    )
    return [(i, n, r, e) for i, n, r, e in (await session.execute(stmt)).all()]


async def member_entries(
    session: AsyncSession, member_id: int, branch_id: int, start: date, end: date
) -> Sequence[PointEntry]:
    """The leaders' entries for the member in the branch and period, oldest first."""
    return (
        await session.scalars(
            select(PointEntry)
            .where(
                PointEntry.member_id == member_id,
                PointEntry.branch_id == branch_id,
                PointEntry.on_date >= start,
                PointEntry.on_date <= end,
            )
            .order_by(PointEntry.on_date, PointEntry.id)
        )
    ).all()
