"""The set-based queries that count events for points and stars.

Every count here is one statement for any number of members (grouped by member and branch), so the city's
whole year is a handful of queries, never one per member. A member's events count only while they belonged
to the branch (``spans``: membership history), and only for that branch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Date,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.first_agenda import FirstAgendaItem, FirstAgendaMaterial, MaterialDispatch
from storage.meetings import Attendance, Meeting, MeetingStatus
from storage.membership import Membership, built_once, org_filter, org_ids_param, spans_select
from storage.models import Member
from storage.points.models import PointEntry
from storage.volunteer import CommunityRegistration, ReportStatus, ServiceReport, SignUp, SignUpStatus

# --- set-based counting ---------------------------------------------------------------------------------------


def local_day(column: Any, dialect: str, tz: ZoneInfo) -> ColumnElement[Any]:
    """SQL: the local calendar day of a stored UTC instant."""
    if dialect == "postgresql":
        return cast(func.timezone(str(tz), column), Date)
    # SQLite keeps naive UTC text; the zone's offset at the period's start is used (China keeps no DST).
    offset = datetime.now(tz).utcoffset() or timedelta(0)
    return func.date(column, f"{int(offset.total_seconds() // 60):+d} minutes")


def _zone_key(dialect: str, tz: ZoneInfo) -> tuple[str, str, int]:
    """What :func:`local_day`'s SQL depends on: the dialect, the zone (PostgreSQL) and its offset now (SQLite)."""
    offset = datetime.now(tz).utcoffset() or timedelta(0)
    return dialect, str(tz), int(offset.total_seconds() // 60)


# The bound parameters of the statements built once (storage.membership.built_once): a report for one branch
# runs ten statements, and building each afresh cost more than running it (about 2 ms of SQLAlchemy each).
START, END = bindparam("start", type_=Date), bindparam("end", type_=Date)  # the period's days, both included
BEGIN: BindParameter[Any] = bindparam("begin")  # its UTC instants (typed by the column compared)
FINISH: BindParameter[Any] = bindparam("finish")
_MEETING_ORGS = org_ids_param("period_meetings_orgs")  # the name attendance_flags gives its meetings' filter


def _period(org_ids: Sequence[int], start: date, end: date, tz: ZoneInfo) -> dict[str, Any]:
    """The parameters of a statement built once: the branches' ids (``org_ids``), the days and the instants."""
    begin, finish = _meeting_window(start, end, tz)
    return {"org_ids": [int(i) for i in org_ids], "start": start, "end": end, "begin": begin, "finish": finish}


def _in_span(day: Any, spans: Any) -> ColumnElement[bool]:
    """``day`` falls in the membership row (``ended_on`` is the first day no longer a member)."""
    return and_(
        or_(spans.c.started_on.is_(None), day >= spans.c.started_on),
        or_(spans.c.ended_on.is_(None), day < spans.c.ended_on),
    )


def spans_of(
    org_ids: Sequence[int] | BindParameter[Any], start: date | BindParameter[Any], end: date | BindParameter[Any]
) -> Any:
    """Membership rows of the branches overlapping the period (membership history: a member counts only for
    their time in the branch), administrators left out. A materialised CTE: computed once per statement and
    then looked up, not re-evaluated for each of a million attendance rows."""
    ids = org_ids if isinstance(org_ids, BindParameter) else list(org_ids)
    rows = spans_select(ids, start, end).subquery("spans_raw")
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


def _as_date(value: Any) -> date:
    """SQLite returns ``date()`` expressions as text."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


class Span(NamedTuple):
    """A member's membership row in a branch (``ended_on``: the first day no longer a member). A named tuple: a
    city has 30,000, and a frozen dataclass's constructor was a tenth of a second of them."""

    member_id: int
    org_id: int
    started_on: date | None
    ended_on: date | None
    member_no: str
    name: str

    def covers(self, day: date) -> bool:
        """The member belonged to the branch on ``day``."""
        return (self.started_on is None or day >= self.started_on) and (self.ended_on is None or day < self.ended_on)

    def covers_period(self, start: date, end: date) -> bool:
        """The member belonged to the branch the whole period."""
        return (self.started_on is None or self.started_on <= start) and (self.ended_on is None or self.ended_on > end)

    def overlaps(self, first: date, last: date | None) -> bool:
        """Some day of ``first`` … ``last`` (exclusive; None: open) falls in the membership."""
        return (self.ended_on is None or first < self.ended_on) and (
            last is None or self.started_on is None or last > self.started_on
        )


async def span_list(session: AsyncSession, org_ids: Sequence[int], start: date, end: date) -> list[Span]:
    """Every membership row of the branches overlapping the period (administrators left out, as :func:`spans_of`
    does), with the member's number and name, in no particular order (the reports sort their results): one join
    with the members, not :func:`spans_of`'s and another, and no sort of the city's 30,000 names."""
    stmt = built_once("points.span_list", _span_list)
    params = {"org_ids": [int(i) for i in org_ids], "start": start, "end": end}
    return [
        Span(m, o, _as_date(a) if a is not None else None, _as_date(b) if b is not None else None, no, name)
        for m, o, a, b, no, name in (await session.execute(stmt, params)).all()
    ]


def _span_list() -> Select[Any]:
    rows = spans_select(org_ids_param(), START, END).subquery("spans_raw")
    return (
        select(rows.c.member_id, rows.c.org_id, rows.c.started_on, rows.c.ended_on, Member.member_no, Member.name)
        .join(Member, Member.id == rows.c.member_id)
        .where(Member.role != "admin")
    )


def _members_of(org_ids: Sequence[int] | BindParameter[Any]) -> Any:
    """SQL: ids of the members who belong, or belonged, to the branches (to narrow the event tables)."""
    ids = org_ids if isinstance(org_ids, BindParameter) else list(org_ids)
    return (
        select(Membership.member_id)
        .where(org_filter(Membership.org_id, ids))
        .union(select(Member.id).where(org_filter(Member.org_id, ids)))
    )


def attendance_flags(
    rules: Sequence[AttendanceRule],
    org_ids: Sequence[int],
    start: date,
    end: date,
    dialect: str,
    tz: ZoneInfo,
    name: str = "period_meetings",
) -> tuple[Any, list[ColumnElement[Any]]]:
    """The period's closed meetings (a materialised CTE called ``name``) and, per rule, whether an attendance row
    joined to them counts (1 or 0): the caller sums them.

    Each meeting's local day, its tag flags and whether its kind is among each rule's kinds are worked out once
    (tens of thousands of meetings), rather than for each attendance row (a million): the grouped statement then
    tests a small integer per row instead of a string against a list of kinds (about a fifth of PostgreSQL's time
    for the city's year)."""
    begin, finish = _meeting_window(start, end, tz)
    return _flags(rules, list(org_ids), begin, finish, dialect, tz, name)


def _flags(
    rules: Sequence[AttendanceRule],
    org_ids: Sequence[int] | BindParameter[Any],
    begin: datetime | BindParameter[Any],
    finish: datetime | BindParameter[Any],
    dialect: str,
    tz: ZoneInfo,
    name: str,
) -> tuple[Any, list[ColumnElement[Any]]]:
    """:func:`attendance_flags` for the meetings from ``begin`` to ``finish`` (instants, or placeholders)."""
    tags = sorted({rule.tag for rule in rules if rule.tag})
    kind_sets = sorted({rule.kinds for rule in rules if rule.kinds})
    meetings = (
        select(
            Meeting.id.label("id"),
            Meeting.org_id.label("org_id"),
            local_day(Meeting.starts_at, dialect, tz).label("day"),
            *[
                case((cast(Meeting.tags, String).like(f'%"{tag}"%'), 1), else_=0).label(f"tag_{i}")
                for i, tag in enumerate(tags)
            ],
            *[case((Meeting.kind.in_(kinds), 1), else_=0).label(f"kinds_{i}") for i, kinds in enumerate(kind_sets)],
        )
        .where(
            Meeting.status == MeetingStatus.CLOSED,
            Meeting.starts_at >= begin,
            Meeting.starts_at < finish,
            org_filter(Meeting.org_id, org_ids, f"{name}_orgs"),
        )
        .cte(name)
        .prefix_with("MATERIALIZED")
    )
    columns: list[ColumnElement[Any]] = []
    for rule in rules:
        conditions: list[ColumnElement[bool]] = [Attendance.status.in_(rule.statuses)]
        if rule.kinds:
            conditions.append(meetings.c[f"kinds_{kind_sets.index(rule.kinds)}"] == 1)
        if rule.tag:
            conditions.append(meetings.c[f"tag_{tags.index(rule.tag)}"] == 1)
        columns.append(case((and_(*conditions), 1), else_=0))
    return meetings, columns


def month_of(day: Any, dialect: str) -> ColumnElement[Any]:
    """SQL: the month (1–12) of a local day expression."""
    if dialect == "postgresql":
        return cast(func.extract("month", day), Integer)
    return cast(func.strftime("%m", day), Integer)


async def whole_counts(
    session: AsyncSession,
    org_ids: Sequence[int],
    rules: Sequence[AttendanceRule],
    start: date,
    end: date,
    tz: ZoneInfo,
    *,
    by_month: bool = False,
) -> dict[tuple[Any, ...], list[int]]:
    """Per (member, branch) — and month with ``by_month`` — each rule's count (in the rules' order) over every
    attendance row of the branches' closed meetings in the period, whoever held the membership: one grouped
    statement, driven by the meetings, so each meeting's rows are read together through the attendance index."""
    dialect = session.get_bind().dialect.name
    rules = tuple(rules)
    whole = built_once(
        ("points.whole_counts", _zone_key(dialect, tz), rules, by_month),
        lambda: _whole_counts(rules, dialect, tz, by_month),
    )
    width = 3 if by_month else 2
    params = _period(org_ids, start, end, tz)
    params["period_meetings_orgs"] = params.pop("org_ids")
    return {
        tuple(row[:width]): [int(v or 0) for v in row[width:]] for row in (await session.execute(whole, params)).all()
    }


def _whole_counts(rules: Sequence[AttendanceRule], dialect: str, tz: ZoneInfo, by_month: bool) -> Select[Any]:
    meetings, flags = _flags(rules, _MEETING_ORGS, BEGIN, FINISH, dialect, tz, "period_meetings")
    columns = [func.sum(flag) for flag in flags]
    keys: list[Any] = [Attendance.member_id, meetings.c.org_id]
    if by_month:
        keys.append(month_of(meetings.c.day, dialect))
    return (
        select(*keys, *columns)
        .select_from(meetings)
        .join(Attendance, Attendance.meeting_id == meetings.c.id)
        .group_by(*keys)
    )


async def clipped_counts(
    session: AsyncSession,
    org_ids: Sequence[int],
    rules: Sequence[AttendanceRule],
    start: date,
    end: date,
    tz: ZoneInfo,
) -> dict[tuple[int, int], list[int]]:
    """Per (member, branch) whose membership does not cover the whole period: each rule's count over the branch's
    closed meetings on the days they belonged to it (one grouped statement)."""
    dialect = session.get_bind().dialect.name
    rules = tuple(rules)
    clipped = built_once(
        ("points.clipped_counts", _zone_key(dialect, tz), rules), lambda: _clipped_counts(rules, dialect, tz)
    )
    params = _period(org_ids, start, end, tz)
    params["period_meetings_orgs"] = params["org_ids"]
    return {(row[0], row[1]): [int(v or 0) for v in row[2:]] for row in (await session.execute(clipped, params)).all()}


def _clipped_counts(rules: Sequence[AttendanceRule], dialect: str, tz: ZoneInfo) -> Select[Any]:
    meetings, flags = _flags(rules, _MEETING_ORGS, BEGIN, FINISH, dialect, tz, "period_meetings")
    columns = [func.sum(flag) for flag in flags]
    cte = spans_of(org_ids_param(), START, END)
    return (
        select(cte.c.member_id, cte.c.org_id, *columns)
        .select_from(cte)
        .join(meetings, meetings.c.org_id == cte.c.org_id)
        .join(Attendance, and_(Attendance.meeting_id == meetings.c.id, Attendance.member_id == cte.c.member_id))
        .where(~_covers_period(cte, START, END), _in_span(meetings.c.day, cte))
        .group_by(cte.c.member_id, cte.c.org_id)
    )


async def live_attendance_counts(
    session: AsyncSession,
    org_ids: Sequence[int],
    spans: Sequence[Span],
    rules: Sequence[AttendanceRule],
    start: date,
    end: date,
    tz: ZoneInfo,
) -> dict[tuple[int, int], dict[str, int]]:
    """Per (member, branch): how many closed meetings each rule counts, straight from the records.

    At most two grouped statements, whatever the number of members: every attendance row of the period's
    meetings grouped by (member, branch), kept for the members who belonged to the branch the whole period; and,
    only when some joined or left during it, the same counts clipped to their days in the branch."""
    if not rules:
        return {}
    whole = await whole_counts(session, org_ids, rules, start, end, tz)
    return await from_whole_counts(session, org_ids, spans, rules, start, end, tz, whole)


async def from_whole_counts(
    session: AsyncSession,
    org_ids: Sequence[int],
    spans: Sequence[Span],
    rules: Sequence[AttendanceRule],
    start: date,
    end: date,
    tz: ZoneInfo,
    whole: dict[tuple[Any, ...], list[int]],
) -> dict[tuple[int, int], dict[str, int]]:
    """:func:`live_attendance_counts` given :func:`whole_counts`' rows (read with other rows in one statement)."""
    full = {(s.member_id, s.org_id) for s in spans if s.covers_period(start, end)}
    result: dict[tuple[int, int], dict[str, int]] = {}
    for key, values in whole.items():
        if key in full:
            result[(key[0], key[1])] = {rule.key: values[i] for i, rule in enumerate(rules)}
    if all((s.member_id, s.org_id) in full for s in spans):
        return result
    add_clipped(result, full, await clipped_counts(session, org_ids, rules, start, end, tz), rules)
    return result


def add_clipped(
    result: dict[tuple[int, int], dict[str, int]],
    full: set[tuple[int, int]],
    clipped: dict[tuple[int, int], list[int]],
    rules: Sequence[AttendanceRule],
) -> None:
    """Add the clipped counts of the members who did not belong all period to ``result``."""
    for key, values in clipped.items():
        if key in full:
            continue  # a second, partial row of someone who also belonged all period: already counted
        counts = result.setdefault(key, {rule.key: 0 for rule in rules})
        for i, rule in enumerate(rules):
            counts[rule.key] += values[i]


def _covers_period(spans: Any, start: date | BindParameter[Any], end: date | BindParameter[Any]) -> ColumnElement[bool]:
    """SQL: the membership row covers the whole period (the usual case: no transfer within it)."""
    return and_(
        or_(spans.c.started_on.is_(None), spans.c.started_on <= start),
        or_(spans.c.ended_on.is_(None), spans.c.ended_on > end),
    )


async def led_events(
    session: AsyncSession, org_ids: Sequence[int], start: date, end: date, tz: ZoneInfo
) -> list[tuple[int, int, date]]:
    """(leader, branch, local day) of each closed meeting of the period whose first agenda study a member led."""
    stmt = built_once("points.led_events", _led_events)
    rows = (await session.execute(stmt, _period(org_ids, start, end, tz))).all()
    return [(m, o, at.astimezone(tz).date()) for m, o, at in rows if m is not None]


def led_studies_of_period() -> tuple[ColumnElement[bool], ...]:
    """SQL: a first agenda item a member led, at a closed meeting of the period's branches (joined to its meeting;
    the period's bounds and the branches are the statement's parameters). Here and in the one branch's events."""
    return (
        FirstAgendaItem.led_by_id.is_not(None),
        Meeting.status == MeetingStatus.CLOSED,
        Meeting.starts_at >= BEGIN,
        Meeting.starts_at < FINISH,
        org_filter(Meeting.org_id, org_ids_param()),
    )


def _led_events() -> Any:
    return (
        select(FirstAgendaItem.led_by_id, Meeting.org_id, Meeting.starts_at)
        .join(Meeting, Meeting.id == FirstAgendaItem.meeting_id)
        .where(*led_studies_of_period())
    )


async def service_events(
    session: AsyncSession, org_ids: Sequence[int], start: date, end: date, tz: ZoneInfo
) -> list[tuple[int, date, int]]:
    """(member, local day, minutes) of the counted volunteer service of the branches' members in the period:
    activities checked out, and approved self-reports — one statement, the local day worked out by the database
    (a city's year is 30,000 sign-ups: decoding each timestamp in Python was a fifth of a second)."""
    dialect = session.get_bind().dialect.name
    stmt = built_once(("points.service_events", _zone_key(dialect, tz)), lambda: _service_events(dialect, tz))
    rows = (await session.execute(stmt, _period(org_ids, start, end, tz))).all()
    return [(m, _as_date(d), int(minutes or 0)) for m, d, minutes in rows]


def _service_events(dialect: str, tz: ZoneInfo) -> Any:
    from storage.volunteer import Activity

    members = _members_of(org_ids_param()).cte("service_members")
    day = local_day(Activity.starts_at, dialect, tz)
    signups = (
        select(SignUp.member_id.label("member_id"), day.label("day"), SignUp.minutes.label("minutes"))
        .join(Activity, Activity.id == SignUp.activity_id)
        .where(*counted_sign_ups(members))
    )
    reports = select(ServiceReport.member_id, ServiceReport.service_date, ServiceReport.minutes).where(
        *approved_reports(members)
    )
    return signups.union_all(reports)


def counted_sign_ups(members: Any) -> tuple[ColumnElement[bool], ...]:
    """SQL: a sign-up checked out with minutes, at an activity of the period, of one of ``members`` (a CTE of
    member ids; joined to its activity). Here and in the one branch's events."""
    from storage.volunteer import Activity

    return (
        SignUp.status == SignUpStatus.CONFIRMED,
        SignUp.minutes > 0,
        Activity.starts_at >= BEGIN,
        Activity.starts_at < FINISH,
        SignUp.member_id.in_(select(members.c.member_id)),
    )


def approved_reports(members: Any) -> tuple[ColumnElement[bool], ...]:
    """SQL: an approved self-report of service with minutes, in the period, of one of ``members``."""
    return (
        ServiceReport.status == ReportStatus.APPROVED,
        ServiceReport.minutes > 0,
        ServiceReport.service_date >= START,
        ServiceReport.service_date <= END,
        ServiceReport.member_id.in_(select(members.c.member_id)),
    )


async def community_spells(
    session: AsyncSession, org_ids: Sequence[int], start: date, end: date
) -> list[tuple[int, date, date | None]]:
    """(member, registered on, ended on) of the community registrations (到社区报到) in force in the period."""
    stmt = built_once("points.community_spells", _community_spells)
    params = {"org_ids": [int(i) for i in org_ids], "start": start, "end": end}
    return [(m, r, e) for m, r, e in (await session.execute(stmt, params)).all()]


def _community_spells() -> Any:
    return select(
        CommunityRegistration.member_id, CommunityRegistration.registered_on, CommunityRegistration.ended_on
    ).where(
        CommunityRegistration.registered_on <= END,
        or_(CommunityRegistration.ended_on.is_(None), CommunityRegistration.ended_on > START),
        CommunityRegistration.member_id.in_(_members_of(org_ids_param())),
    )


async def entry_rows(
    session: AsyncSession, org_ids: Sequence[int], start: date, end: date
) -> list[tuple[int, int, str, date, int]]:
    """(member, branch, rule key, day, tenths) of the leaders' manual items and corrections in the period."""
    stmt = built_once("points.entry_rows", _entry_rows)
    params = {"org_ids": [int(i) for i in org_ids], "start": start, "end": end}
    return [(m, b, k, d, int(p)) for m, b, k, d, p in (await session.execute(stmt, params)).all()]


def _entry_rows() -> Any:
    return select(
        PointEntry.member_id, PointEntry.branch_id, PointEntry.rule_key, PointEntry.on_date, PointEntry.points
    ).where(org_filter(PointEntry.branch_id, org_ids_param()), PointEntry.on_date >= START, PointEntry.on_date <= END)


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
