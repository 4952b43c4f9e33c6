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

from sqlalchemy import Date, Integer, String, literal_column, null, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import UTCDateTime
from storage.first_agenda import FirstAgendaItem
from storage.meetings import Meeting
from storage.membership import built_once, org_filter, org_ids_param
from storage.points.counts import (
    END,
    START,
    _as_date,
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
        if kind == ENTRY:
            found.entries.append((member, org, key, _as_date(day), int(amount)))
        elif kind == LED:
            found.led.append((member, org, at.astimezone(tz).date()))
        elif kind == SERVICE:
            found.service.append((member, _as_date(day), int(amount or 0)))
        else:
            found.communities.append((member, _as_date(day), _as_date(until) if until is not None else None))
    return found


def _events(dialect: str, tz: ZoneInfo, led: bool, service: bool, communities: bool) -> Any:
    def kind(value: int) -> Any:
        return literal_column(str(value), Integer).label("kind")

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
    return union_all(*parts) if len(parts) > 1 else parts[0]
