"""Member points (党员积分, measure 14) and branch star ratings (评星定级, measure 13): the rules in force, the
leaders' manual entries and corrections, published results, and the set-based queries that count events.

Every count here is one statement for any number of members (grouped by member and branch), so the city's
whole year is a handful of queries, never one per member. A member's events count only while they belonged
to the branch (``spans``: membership history), and only for that branch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Text,
    UniqueConstraint,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, utcnow
from storage.first_agenda import FirstAgendaItem, FirstAgendaMaterial, MaterialDispatch
from storage.meetings import Attendance, Meeting, MeetingStatus
from storage.membership import spans_select
from storage.models import Member
from storage.volunteer import CommunityRegistration, ReportStatus, ServiceReport, SignUp, SignUpStatus


class PointRules(Base):
    """One version of the rules a unit (or the city) applied; the newest version of the nearest one is in force."""

    __tablename__ = "point_rules"
    __table_args__ = (UniqueConstraint("org_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    version: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(String(200))
    example: Mapped[bool] = mapped_column(Boolean, default=False)  # 示例: results cannot be published
    text: Mapped[str] = mapped_column(Text)  # the file as applied, so a past version can be re-read exactly
    digest: Mapped[str] = mapped_column(String(64))
    applied_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)


class EntryKind:
    """What a leader's point entry is."""

    MANUAL = "manual"  # an item whose rule source is manual
    CORRECTION = "correction"  # a change to a computed item (a wrong record), with a reason


class PointEntry(Base):
    """A manual item or a correction, entered by a branch leader or an administrator with a reason."""

    __tablename__ = "point_entries"
    __table_args__ = (Index("ix_point_entries_branch_day", "branch_id", "on_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    rule_key: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(Integer)  # tenths of a point
    reason: Mapped[str] = mapped_column(String(500))
    ref: Mapped[str | None] = mapped_column(String(100))  # the event a correction is about, as the person typed it
    on_date: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PointPublication(Base):
    """A branch's member points for a closed year as published: kept as they were, whatever changes later."""

    __tablename__ = "point_publications"
    __table_args__ = (UniqueConstraint("branch_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    year: Mapped[int] = mapped_column()
    rules_id: Mapped[int] = mapped_column(ForeignKey("point_rules.id", ondelete="RESTRICT"))
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # the report rows, as shown then
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)


class StarStatus:
    """Life of a branch's star rating for a year."""

    DRAFT = "draft"  # the branch fills in its self-assessment
    SUBMITTED = "submitted"  # sent to the administrators for review
    ANNOUNCED = "announced"  # 公示: the notice period runs; the branch may object
    OBJECTED = "objected"  # the branch objected during the notice period
    PUBLISHED = "published"  # final; kept as published


class StarRating(Base):
    """One branch's rating for one year: self-assessment, the administrators' adjustments, notice, result."""

    __tablename__ = "star_ratings"
    __table_args__ = (UniqueConstraint("branch_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    year: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default=StarStatus.DRAFT)
    # {criterion key: {"score": tenths, "note": str, "photos": [file ids]}} — the branch's own scores
    self_scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # {criterion key: {"score": tenths, "reason": str}} — the administrators' changes
    adjustments: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    rules_id: Mapped[int | None] = mapped_column(ForeignKey("point_rules.id", ondelete="RESTRICT"))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the rating as announced / published
    announced_on: Mapped[date | None] = mapped_column(Date)
    notice_ends_on: Mapped[date | None] = mapped_column(Date)  # last working day of the notice period
    objection: Mapped[str | None] = mapped_column(String(1000))
    answer: Mapped[str | None] = mapped_column(String(1000))  # the administrators' answer to an objection
    published_at: Mapped[datetime | None] = mapped_column()
    revision: Mapped[int] = mapped_column(default=0)  # raised by each step; its notices are keyed by it
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# --- set-based counting ---------------------------------------------------------------------------------------


def local_day(column: Any, dialect: str, tz: ZoneInfo) -> ColumnElement[Any]:
    """SQL: the local calendar day of a stored UTC instant."""
    if dialect == "postgresql":
        return cast(func.timezone(str(tz), column), Date)
    # SQLite keeps naive UTC text; the zone's offset at the period's start is used (China keeps no DST).
    offset = datetime.now(tz).utcoffset() or timedelta(0)
    return func.date(column, f"{int(offset.total_seconds() // 60):+d} minutes")


def _in_span(day: Any, spans: Any) -> ColumnElement[bool]:
    """``day`` falls in the membership row (``ended_on`` is the first day no longer a member)."""
    return and_(
        or_(spans.c.started_on.is_(None), day >= spans.c.started_on),
        or_(spans.c.ended_on.is_(None), day < spans.c.ended_on),
    )


def spans_of(org_ids: Sequence[int], start: date, end: date) -> Any:
    """Membership rows of the branches overlapping the period (membership history: a member counts only for
    their time in the branch), administrators left out. A materialised CTE: computed once per statement and
    then looked up, not re-evaluated for each of a million attendance rows."""
    rows = spans_select(list(org_ids), start, end).subquery("spans_raw")
    return (
        select(rows.c.member_id, rows.c.org_id, rows.c.started_on, rows.c.ended_on)
        .join(Member, Member.id == rows.c.member_id)
        .where(Member.role != "admin")
        .cte("spans")
        .prefix_with("MATERIALIZED")
    )


@dataclass(frozen=True)
class AttendanceRule:
    """Which attendance rows an item counts: meeting kinds (empty: all) and statuses."""

    key: str
    kinds: tuple[str, ...]
    statuses: tuple[str, ...]
    tag: str | None = None  # only meetings carrying this tag


def _meeting_window(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    from datetime import time

    begin = datetime.combine(start, time(0), tzinfo=tz)
    finish = datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz)
    return begin, finish


def _covers_period(spans: Any, start: date, end: date) -> ColumnElement[bool]:
    """SQL: the membership row covers the whole period (the usual case: no transfer within it)."""
    return and_(
        or_(spans.c.started_on.is_(None), spans.c.started_on <= start),
        or_(spans.c.ended_on.is_(None), spans.c.ended_on > end),
    )


async def attendance_counts(
    session: AsyncSession,
    spans: Any,
    rules: Sequence[AttendanceRule],
    start: date,
    end: date,
    tz: ZoneInfo,
) -> dict[tuple[int, int], dict[str, int]]:
    """Per (member, branch): how many closed meetings each rule counts.

    Two grouped statements, whatever the number of members: every attendance row of the period's meetings
    grouped by (member, branch) — driven by the meetings, so each meeting's rows are read together through the
    attendance index — used for members who belonged to the branch for the whole period; and, for the few who
    joined or left during it, the same counts clipped to their days in the branch."""
    if not rules:
        return {}
    dialect = session.get_bind().dialect.name
    begin, finish = _meeting_window(start, end, tz)
    # The period's closed meetings, each with its local day and tag flags worked out once (tens of thousands),
    # rather than for each attendance row (a million).
    tags = sorted({rule.tag for rule in rules if rule.tag})
    meetings = (
        select(
            Meeting.id.label("id"),
            Meeting.org_id.label("org_id"),
            Meeting.kind.label("kind"),
            local_day(Meeting.starts_at, dialect, tz).label("day"),
            *[
                case((cast(Meeting.tags, String).like(f'%"{tag}"%'), 1), else_=0).label(f"tag_{i}")
                for i, tag in enumerate(tags)
            ],
        )
        .where(
            Meeting.status == MeetingStatus.CLOSED,
            Meeting.starts_at >= begin,
            Meeting.starts_at < finish,
            Meeting.org_id.in_(select(spans.c.org_id).distinct()),
        )
        .cte("period_meetings")
        .prefix_with("MATERIALIZED")
    )
    columns = []
    for rule in rules:
        conditions: list[ColumnElement[bool]] = [Attendance.status.in_(rule.statuses)]
        if rule.kinds:
            conditions.append(meetings.c.kind.in_(rule.kinds))
        if rule.tag:
            conditions.append(meetings.c[f"tag_{tags.index(rule.tag)}"] == 1)
        columns.append(func.sum(case((and_(*conditions), 1), else_=0)).label(rule.key))
    whole = (
        select(Attendance.member_id, meetings.c.org_id, *columns)
        .select_from(meetings)
        .join(Attendance, Attendance.meeting_id == meetings.c.id)
        .group_by(Attendance.member_id, meetings.c.org_id)
    )
    clipped = (
        select(spans.c.member_id, spans.c.org_id, *columns)
        .select_from(spans)
        .join(meetings, meetings.c.org_id == spans.c.org_id)
        .join(Attendance, and_(Attendance.meeting_id == meetings.c.id, Attendance.member_id == spans.c.member_id))
        .where(~_covers_period(spans, start, end), _in_span(meetings.c.day, spans))
        .group_by(spans.c.member_id, spans.c.org_id)
    )
    full_pairs = {
        (m, o)
        for m, o in (
            await session.execute(select(spans.c.member_id, spans.c.org_id).where(_covers_period(spans, start, end)))
        ).all()
    }
    result: dict[tuple[int, int], dict[str, int]] = {}
    for row in (await session.execute(whole)).all():
        if (row[0], row[1]) in full_pairs:
            result[(row[0], row[1])] = {rule.key: int(row[i + 2] or 0) for i, rule in enumerate(rules)}
    for row in (await session.execute(clipped)).all():
        counts = result.setdefault((row[0], row[1]), {rule.key: 0 for rule in rules})
        for i, rule in enumerate(rules):
            counts[rule.key] += int(row[i + 2] or 0)
    return result


async def first_agenda_led_counts(
    session: AsyncSession, spans: Any, start: date, end: date, tz: ZoneInfo
) -> dict[tuple[int, int], int]:
    """Per (member, branch): closed meetings whose first agenda study the member led."""
    dialect = session.get_bind().dialect.name
    begin, finish = _meeting_window(start, end, tz)
    day = local_day(Meeting.starts_at, dialect, tz)
    stmt = (
        select(spans.c.member_id, spans.c.org_id, func.count())
        .select_from(FirstAgendaItem)
        .join(Meeting, Meeting.id == FirstAgendaItem.meeting_id)
        .join(spans, and_(spans.c.member_id == FirstAgendaItem.led_by_id, spans.c.org_id == Meeting.org_id))
        .where(
            Meeting.status == MeetingStatus.CLOSED,
            Meeting.starts_at >= begin,
            Meeting.starts_at < finish,
            _in_span(day, spans),
        )
        .group_by(spans.c.member_id, spans.c.org_id)
    )
    return {(m, o): int(n) for m, o, n in (await session.execute(stmt)).all()}


def _volunteer_events(spans: Any, start: date, end: date, tz: ZoneInfo, dialect: str) -> Select[Any]:
    """(member, branch, minutes) of every counted service in the period: activities checked out, approved reports."""
    from storage.volunteer import Activity

    begin, finish = _meeting_window(start, end, tz)
    activity_day = local_day(Activity.starts_at, dialect, tz)
    signups = (
        select(spans.c.member_id, spans.c.org_id, SignUp.minutes.label("minutes"))
        .select_from(SignUp)
        .join(Activity, Activity.id == SignUp.activity_id)
        .join(spans, spans.c.member_id == SignUp.member_id)
        .where(
            SignUp.status == SignUpStatus.CONFIRMED,
            SignUp.minutes > 0,
            Activity.starts_at >= begin,
            Activity.starts_at < finish,
            _in_span(activity_day, spans),
        )
    )
    reports = (
        select(spans.c.member_id, spans.c.org_id, ServiceReport.minutes.label("minutes"))
        .select_from(ServiceReport)
        .join(spans, spans.c.member_id == ServiceReport.member_id)
        .where(
            ServiceReport.status == ReportStatus.APPROVED,
            ServiceReport.minutes > 0,
            ServiceReport.service_date >= start,
            ServiceReport.service_date <= end,
            _in_span(ServiceReport.service_date, spans),
        )
    )
    return signups.union_all(reports)  # type: ignore[return-value]


async def volunteer_minutes(
    session: AsyncSession, spans: Any, start: date, end: date, tz: ZoneInfo
) -> dict[tuple[int, int], tuple[int, int]]:
    """Per (member, branch): (events, minutes) of counted volunteer service."""
    events = _volunteer_events(spans, start, end, tz, session.get_bind().dialect.name).subquery("service")
    stmt = select(events.c.member_id, events.c.org_id, func.count(), func.sum(events.c.minutes)).group_by(
        events.c.member_id, events.c.org_id
    )
    return {(m, o): (int(n), int(total or 0)) for m, o, n, total in (await session.execute(stmt)).all()}


async def community_counts(session: AsyncSession, spans: Any, start: date, end: date) -> dict[tuple[int, int], int]:
    """Per (member, branch): community registrations (到社区报到) in force during the member's time in the branch."""
    stmt = (
        select(spans.c.member_id, spans.c.org_id, func.count())
        .select_from(CommunityRegistration)
        .join(spans, spans.c.member_id == CommunityRegistration.member_id)
        .where(
            CommunityRegistration.registered_on <= end,
            or_(CommunityRegistration.ended_on.is_(None), CommunityRegistration.ended_on > start),
            or_(spans.c.ended_on.is_(None), CommunityRegistration.registered_on < spans.c.ended_on),
            or_(
                spans.c.started_on.is_(None),
                CommunityRegistration.ended_on.is_(None),
                CommunityRegistration.ended_on > spans.c.started_on,
            ),
        )
        .group_by(spans.c.member_id, spans.c.org_id)
    )
    return {(m, o): int(n) for m, o, n in (await session.execute(stmt)).all()}


async def entry_sums(
    session: AsyncSession, spans: Any, start: date, end: date
) -> dict[tuple[int, int], dict[str, tuple[int, int]]]:
    """Per (member, branch): {rule key: (entries, tenths)} of the leaders' manual items and corrections."""
    stmt = (
        select(
            PointEntry.member_id, PointEntry.branch_id, PointEntry.rule_key, func.count(), func.sum(PointEntry.points)
        )
        .join(spans, and_(spans.c.member_id == PointEntry.member_id, spans.c.org_id == PointEntry.branch_id))
        .where(PointEntry.on_date >= start, PointEntry.on_date <= end, _in_span(PointEntry.on_date, spans))
        .group_by(PointEntry.member_id, PointEntry.branch_id, PointEntry.rule_key)
    )
    result: dict[tuple[int, int], dict[str, tuple[int, int]]] = {}
    for member_id, branch_id, key, count, total in (await session.execute(stmt)).all():
        result.setdefault((member_id, branch_id), {})[key] = (int(count), int(total or 0))
    return result


async def span_rows(session: AsyncSession, spans: Any) -> list[tuple[int, int, str, str]]:
    """(member id, branch id, roster number, name) of every membership row in the period."""
    stmt = (
        select(spans.c.member_id, spans.c.org_id, Member.member_no, Member.name)
        .join(Member, Member.id == spans.c.member_id)
        .distinct()
        .order_by(spans.c.org_id, Member.name, Member.member_no)
    )
    return [(m, o, no, name) for m, o, no, name in (await session.execute(stmt)).all()]


# --- branch criteria -------------------------------------------------------------------------------------------


async def closed_meetings_by_month(
    session: AsyncSession, branch_ids: Sequence[int], start: date, end: date, tz: ZoneInfo
) -> list[tuple[int, str, int | None, date]]:
    """(branch, kind, group, local day) of every closed meeting in the period."""
    dialect = session.get_bind().dialect.name
    begin, finish = _meeting_window(start, end, tz)
    day = local_day(Meeting.starts_at, dialect, tz)
    stmt = select(Meeting.org_id, Meeting.kind, Meeting.group_id, day).where(
        Meeting.org_id.in_(branch_ids),
        Meeting.status == MeetingStatus.CLOSED,
        Meeting.starts_at >= begin,
        Meeting.starts_at < finish,
    )
    rows = []
    for org_id, kind, group_id, when in (await session.execute(stmt)).all():
        rows.append((org_id, kind, group_id, when if isinstance(when, date) else date.fromisoformat(str(when))))
    return rows


async def attendance_rates(
    session: AsyncSession, branch_ids: Sequence[int], start: date, end: date, tz: ZoneInfo
) -> dict[int, tuple[int, int]]:
    """Per branch: (attended, expected) over closed meetings — approved leave is not expected, and a member's
    rows count only while they belonged to the branch."""
    begin, finish = _meeting_window(start, end, tz)
    spans = spans_of(branch_ids, start, end)
    meetings = (
        select(
            Meeting.id.label("id"),
            Meeting.org_id.label("org_id"),
            local_day(Meeting.starts_at, session.get_bind().dialect.name, tz).label("day"),
        )
        .where(
            Meeting.org_id.in_(branch_ids),
            Meeting.status == MeetingStatus.CLOSED,
            Meeting.starts_at >= begin,
            Meeting.starts_at < finish,
        )
        .cte("period_meetings")
        .prefix_with("MATERIALIZED")
    )
    attended = func.sum(case((Attendance.status.in_(("present", "late")), 1), else_=0))
    expected = func.sum(case((Attendance.status != "on_leave", 1), else_=0))
    stmt = (
        select(meetings.c.org_id, attended, expected)
        .select_from(meetings)
        .join(Attendance, Attendance.meeting_id == meetings.c.id)
        .join(spans, and_(spans.c.member_id == Attendance.member_id, spans.c.org_id == meetings.c.org_id))
        .where(_in_span(meetings.c.day, spans))
        .group_by(meetings.c.org_id)
    )
    return {o: (int(a or 0), int(e or 0)) for o, a, e in (await session.execute(stmt)).all()}


async def dispatch_studies(
    session: AsyncSession, branch_ids: Sequence[int], start: date, end: date, tz: ZoneInfo
) -> list[tuple[int, datetime, datetime | None]]:
    """(branch, dispatched at, first closed meeting that studied it or None) of each material dispatched in the
    period."""
    begin, finish = _meeting_window(start, end, tz)
    studied = (
        select(func.min(Meeting.starts_at))
        .select_from(FirstAgendaMaterial)
        .join(FirstAgendaItem, FirstAgendaItem.id == FirstAgendaMaterial.item_id)
        .join(Meeting, Meeting.id == FirstAgendaItem.meeting_id)
        .where(
            FirstAgendaMaterial.material_id == MaterialDispatch.material_id,
            Meeting.org_id == MaterialDispatch.branch_id,
            Meeting.status == MeetingStatus.CLOSED,
        )
        .scalar_subquery()
    )
    stmt = select(MaterialDispatch.branch_id, MaterialDispatch.dispatched_at, studied).where(
        MaterialDispatch.branch_id.in_(branch_ids),
        MaterialDispatch.dispatched_at >= begin,
        MaterialDispatch.dispatched_at < finish,
    )
    rows: list[tuple[int, datetime, datetime | None]] = []
    from storage.base import UTCDateTime

    decode = UTCDateTime().process_result_value
    for branch_id, dispatched, first in (await session.execute(stmt)).all():
        if isinstance(first, str):  # SQLite returns MIN() of a datetime column as text
            first = datetime.fromisoformat(first)
        rows.append((branch_id, dispatched, decode(first, session.get_bind().dialect) if first else None))
    return rows


def literal_date(value: date) -> ColumnElement[Any]:
    """A date as a typed SQL literal."""
    return literal(value, Date)


# --- one member's events (``points show``, the /points screen) ---------------------------------------------------


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
