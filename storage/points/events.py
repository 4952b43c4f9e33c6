"""The events a branch's points count besides attendance, read in ONE statement: the leaders' entries, the first
agenda studies members led, their volunteer service and their community registrations.

They were four statements, each a round trip (on PostgreSQL, a good part of a millisecond each) for a report of
one branch that must take under 10 ms; the rows differ in shape, so each part fills the columns it has, tagged
by ``kind``, and :func:`point_events` sorts them apart. The same rows as
:func:`~storage.points.counts.led_events`, :func:`~storage.points.counts.service_events`,
:func:`~storage.points.counts.community_spells` and :func:`~storage.points.counts.entry_rows` (a test compares).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Integer, String, func, literal_column, null, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import UTCDateTime
from storage.first_agenda import FirstAgendaItem
from storage.meetings import Attendance, Meeting
from storage.membership import built_once, org_filter, org_ids_param, spans_select
from storage.models import Member
from storage.points.counts import (
    _MEETING_ORGS,
    BEGIN,
    END,
    FINISH,
    START,
    AttendanceRule,
    Span,
    _as_date,
    _flags,
    _members_of,
    _period,
    _zone_key,
    approved_reports,
    counted_sign_ups,
    led_studies_of_period,
    local_day,
)
from storage.points.models import PointEntry
from storage.volunteer import CommunityRegistration, ServiceReport, SignUp

ENTRY, LED, SERVICE, COMMUNITY = 0, 1, 2, 3  # the kind of each row


class Events(NamedTuple):
    """The period's events of the branches, each list as the function of storage.points.counts returns it."""

    led: list[tuple[int, int, date]]  # (leader, branch, local day)
    service: list[tuple[int, date, int]]  # (member, local day, minutes)
    communities: list[tuple[int, date, date | None]]  # (member, registered on, ended on)
    entries: list[tuple[int, int, str, date, int]]  # (member, branch, rule key, day, tenths)


async def point_events(
    session: AsyncSession,
    org_ids: Sequence[int],
    start: date,
    end: date,
    tz: ZoneInfo,
    *,
    led: bool,
    service: bool,
    communities: bool,
) -> Events:
    """The entries, and the led studies, service and registrations when the rules count them (one statement)."""
    dialect = session.get_bind().dialect.name
    stmt = built_once(
        ("points.events", _zone_key(dialect, tz), led, service, communities),
        lambda: _events(dialect, tz, led, service, communities),
    )
    found = Events([], [], [], [])
    rows = await session.execute(stmt, _period(org_ids, start, end, tz))
    for kind, member, org, at, day, until, amount, key in rows:
        _add_event(found, tz, kind, member, org, at, day, until, amount, key)
    return found


def _add_event(
    found: Events, tz: ZoneInfo, kind: int, member: int, org: int, at: Any, day: Any, until: Any, amount: Any, key: str
) -> None:
    """One row of the events' union, put in its list."""
    if kind == ENTRY:
        found.entries.append((member, org, key, _as_date(day), int(amount)))
    elif kind == LED:
        found.led.append((member, org, at.astimezone(tz).date()))
    elif kind == SERVICE:
        found.service.append((member, _as_date(day), int(amount or 0)))
    else:
        found.communities.append((member, _as_date(day), _as_date(until) if until is not None else None))


def _events(dialect: str, tz: ZoneInfo, led: bool, service: bool, communities: bool) -> Any:
    parts = _event_parts(dialect, tz, led, service, communities)
    return union_all(*parts) if len(parts) > 1 else parts[0]


def _kind(value: int) -> Any:
    return literal_column(str(value), Integer).label("kind")


def _event_parts(dialect: str, tz: ZoneInfo, led: bool, service: bool, communities: bool) -> list[Any]:
    """The selects of :func:`_events`' union, the entries first."""
    kind = _kind
    no_org, no_at = null().cast(Integer), null().cast(UTCDateTime())
    no_day, no_key = null().cast(Date), null().cast(String)
    zero = literal_column("0", Integer)
    # The entries first: a union's columns take their types (and so their result processing) from its first part.
    parts: list[Any] = [
        select(
            kind(ENTRY),
            PointEntry.member_id.label("member_id"),
            PointEntry.branch_id.label("org_id"),
            no_at.label("at"),
            PointEntry.on_date.label("day"),
            no_day.label("until"),
            PointEntry.points.label("amount"),
            PointEntry.rule_key.label("key"),
        ).where(
            org_filter(PointEntry.branch_id, org_ids_param()), PointEntry.on_date >= START, PointEntry.on_date <= END
        )
    ]
    if led:
        parts.append(
            select(
                kind(LED), FirstAgendaItem.led_by_id, Meeting.org_id, Meeting.starts_at, no_day, no_day, zero, no_key
            )
            .join(Meeting, Meeting.id == FirstAgendaItem.meeting_id)
            .where(*led_studies_of_period())
        )
    if service:
        from storage.volunteer import Activity

        members = _members_of(org_ids_param()).cte("service_members")
        day = local_day(Activity.starts_at, dialect, tz)
        parts.append(
            select(kind(SERVICE), SignUp.member_id, no_org, no_at, day, no_day, SignUp.minutes, no_key)
            .join(Activity, Activity.id == SignUp.activity_id)
            .where(*counted_sign_ups(members))
        )
        parts.append(
            select(
                kind(SERVICE),
                ServiceReport.member_id,
                no_org,
                no_at,
                ServiceReport.service_date,
                no_day,
                ServiceReport.minutes,
                no_key,
            ).where(*approved_reports(members))
        )
    if communities:
        parts.append(
            select(
                kind(COMMUNITY),
                CommunityRegistration.member_id,
                no_org,
                no_at,
                CommunityRegistration.registered_on,
                CommunityRegistration.ended_on,
                zero,
                no_key,
            ).where(
                CommunityRegistration.registered_on <= END,
                or_(CommunityRegistration.ended_on.is_(None), CommunityRegistration.ended_on > START),
                CommunityRegistration.member_id.in_(_members_of(org_ids_param())),
            )
        )
    return parts


# --- a few branches: their members, attendance counts and events in one statement -------------------------------

SPAN, ATTENDANCE = 4, 5  # the kinds of row :func:`branch_counts` adds to the events'


class BranchCounts(NamedTuple):
    """What a few branches' points are counted from, read in one statement (:func:`branch_counts`)."""

    spans: list[Span]  # as span_list returns them
    whole: dict[tuple[Any, ...], list[int]]  # as whole_counts returns them (nothing without attendance rules)
    events: Events  # as point_events returns them


async def branch_counts(
    session: AsyncSession,
    org_ids: Sequence[int],
    rules: Sequence[AttendanceRule],
    start: date,
    end: date,
    tz: ZoneInfo,
    *,
    led: bool,
    service: bool,
    communities: bool,
) -> BranchCounts:
    """:func:`~storage.points.counts.span_list`, :func:`~storage.points.counts.whole_counts` and
    :func:`point_events` of the branches in ONE statement: for one branch each was a round trip of about a
    millisecond in a report that must take under 10 ms. The grouped attendance counts are read live, so this is
    for the few branches :mod:`storage.points.tallies` counts live (a city reads its tallies instead). Its span
    and attendance rows fill the events' columns they can, and a name and one column per attendance rule more.
    The same rows as the three functions (a test compares)."""
    dialect = session.get_bind().dialect.name
    rules = tuple(rules)
    stmt = built_once(
        ("points.branch_counts", _zone_key(dialect, tz), rules, led, service, communities),
        lambda: _branch_counts(dialect, tz, rules, led, service, communities),
    )
    params = _period(org_ids, start, end, tz)
    params["period_meetings_orgs"] = params["org_ids"]
    found = BranchCounts([], {}, Events([], [], [], []))
    for row in await session.execute(stmt, params):
        kind, member, org, at, day, until, amount, key, name = row[:9]
        if kind == SPAN:
            started = _as_date(day) if day is not None else None
            found.spans.append(Span(member, org, started, _as_date(until) if until is not None else None, key, name))
        elif kind == ATTENDANCE:
            found.whole[(member, org)] = [int(v or 0) for v in row[9:]]
        else:
            _add_event(found.events, tz, kind, member, org, at, day, until, amount, key)
    return found


def _branch_counts(
    dialect: str, tz: ZoneInfo, rules: Sequence[AttendanceRule], led: bool, service: bool, communities: bool
) -> Any:
    no_int, no_str = null().cast(Integer), null().cast(String)
    no_at, no_day = null().cast(UTCDateTime()), null().cast(Date)
    no_counts = [no_int] * len(rules)
    first, *rest = _event_parts(dialect, tz, led, service, communities)
    # The entries stay first (the union's types are theirs), with the added columns named and typed.
    parts = [
        first.add_columns(no_str.label("name"), *[null().cast(Integer).label(f"c{i}") for i in range(len(rules))]),
        *[part.add_columns(no_str, *no_counts) for part in rest],
    ]
    spans = spans_select(org_ids_param(), START, END).subquery("spans_raw")
    parts.append(
        select(
            _kind(SPAN),
            spans.c.member_id,
            spans.c.org_id,
            no_at,
            spans.c.started_on,
            spans.c.ended_on,
            no_int,
            Member.member_no,
            Member.name,
            *no_counts,
        )
        .select_from(spans)
        .join(Member, Member.id == spans.c.member_id)
        .where(Member.role != "admin")
    )
    if rules:
        meetings, flags = _flags(rules, _MEETING_ORGS, BEGIN, FINISH, dialect, tz, "period_meetings")
        parts.append(
            select(
                _kind(ATTENDANCE),
                Attendance.member_id,
                meetings.c.org_id,
                no_at,
                no_day,
                no_day,
                no_int,
                no_str,
                no_str,
                *[func.sum(flag) for flag in flags],
            )
            .select_from(meetings)
            .join(Attendance, Attendance.meeting_id == meetings.c.id)
            .group_by(Attendance.member_id, meetings.c.org_id)
        )
    return union_all(*parts)
