"""The closed months' attendance tallies behind the city's member points (a cache of counts, never the truth).

Grouping the city's million attendance rows costs 1.2–2 s on every report, and the points of a month long gone
hardly ever change. So a job counts each branch's closed months once (:func:`build`: per member, each attendance
rule's count in each month, ``point_tallies``) and a report of many branches (:func:`attendance_counts`) reads those
30,000 small rows, then groups live only what the tallies do not hold: the open month (and any part-month at the
period's edges), the branches without a usable build, and the members who joined or left during the period.

A build is used only while nothing it counted has changed: every write of an attendance row or a meeting sets its
``updated_at`` (the column's onupdate, and the check-ins' upsert), both indexed, so one statement finds the branches
with a write to a meeting of the built months after the build began (less :data:`CHANGE_MARGIN`, for a
transaction still open when the build read the records). Such a branch is counted live until the job builds it
again. Nothing in the application deletes attendance rows or meetings (a closed meeting is not edited at all).
Whatever the path, the counts are the same as :func:`storage.points.counts.live_attendance_counts`' (a test
compares them on SQLite and PostgreSQL, with edits to past months).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import UTCDateTime
from storage.meetings import Attendance, Meeting
from storage.membership import org_filter
from storage.points.counts import (
    AttendanceRule,
    Span,
    _meeting_window,
    add_clipped,
    attendance_flags,
    clipped_counts,
    live_attendance_counts,
    whole_counts,
)
from storage.points.models import TALLY_SLOTS, PointTally, PointTallyBuild

# Below this many branches a report groups live: one branch's year is about a thousand attendance rows (a few
# milliseconds), less than reading and checking the tallies would cost in statements.
TALLIES_FROM_BRANCHES = 50
# A write committed after a build read the records, but stamped before the build began, is still seen as a change
# as long as its transaction lasted less than this (an update's unit of work lasts seconds).
CHANGE_MARGIN = timedelta(minutes=15)
ROWS_PER_INSERT = 2_000  # rows of a multi-row insert (executemany: one statement's parameters each)


def digest_of(rules: Sequence[AttendanceRule], tz: ZoneInfo) -> str:
    """What a build counted by: the attendance rules (kinds, statuses, tag) and the zone of the local days. A new
    version of the rules that counts attendance the same way keeps the tallies."""
    described = [[r.key, list(r.kinds), list(r.statuses), r.tag] for r in rules]
    return hashlib.sha256(json.dumps([described, str(tz)]).encode()).hexdigest()


def _month_start(year: int, month: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def _decode(value: Any, session: AsyncSession) -> datetime:
    """MAX() of a datetime column: SQLite gives the stored text."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    decoded = UTCDateTime().process_result_value(value, session.get_bind().dialect)
    assert decoded is not None
    return decoded


async def usable_builds(
    session: AsyncSession, org_ids: Sequence[int], year: int, digest: str, tz: ZoneInfo
) -> dict[int, tuple[int, int]]:
    """{branch: (build id, through)} of the branches' builds for the year that nothing has changed since: two
    statements (the builds; the latest write to each branch's meetings of the built months, through the
    ``updated_at`` indexes)."""
    rows = (
        await session.execute(
            select(PointTallyBuild.org_id, PointTallyBuild.id, PointTallyBuild.through, PointTallyBuild.built_at).where(
                org_filter(PointTallyBuild.org_id, list(org_ids)),
                PointTallyBuild.year == year,
                PointTallyBuild.digest == digest,
            )
        )
    ).all()
    if not rows:
        return {}
    since = min(built_at for _, _, _, built_at in rows) - CHANGE_MARGIN
    begin, _ = _meeting_window(date(year, 1, 1), date(year, 1, 1), tz)
    finish, _ = _meeting_window(_month_start(year, max(through for _, _, through, _ in rows) + 1), date(year, 1, 1), tz)
    built = [org for org, _, _, _ in rows]
    in_months = (Meeting.starts_at >= begin, Meeting.starts_at < finish, org_filter(Meeting.org_id, built))
    # The rows written since, found through the updated_at index first (a materialised CTE: left to itself, the
    # planner would walk the year's meetings and each one's attendance instead — the whole table for a city).
    # (No GROUP BY inside: SQLite would rather walk the meeting_id index, all of it, to group without sorting.)
    recent = (
        select(Attendance.meeting_id.label("meeting_id"), Attendance.updated_at.label("at"))
        .where(Attendance.updated_at > since)
        .cte("recent_attendance")
        .prefix_with("MATERIALIZED")
    )
    written = union_all(
        select(Meeting.org_id.label("org_id"), func.max(recent.c.at).label("at"))
        .select_from(recent)
        .join(Meeting, Meeting.id == recent.c.meeting_id)
        .where(*in_months)
        .group_by(Meeting.org_id),
        select(Meeting.org_id.label("org_id"), func.max(Meeting.updated_at).label("at"))
        .where(Meeting.updated_at > since, *in_months)
        .group_by(Meeting.org_id),
    )
    changed: dict[int, datetime] = {}
    for org_id, at in (await session.execute(written)).all():
        if at is not None:
            at = _decode(at, session)
            changed[org_id] = max(changed.get(org_id, at), at)
    return {
        org: (build_id, through)
        for org, build_id, through, built_at in rows
        if org not in changed or changed[org] <= built_at - CHANGE_MARGIN
    }


def _live_rows(
    session: AsyncSession,
    org_ids: Sequence[int],
    rules: Sequence[AttendanceRule],
    start: date,
    end: date,
    tz: ZoneInfo,
    name: str,
) -> Any:
    """SQL: (member, branch, c0 …) of each attendance row of the branches' closed meetings in the period, a 1 for
    each rule it counts for (summed with the tallies' rows by the caller's one grouped statement)."""
    meetings, flags = attendance_flags(rules, org_ids, start, end, session.get_bind().dialect.name, tz, name)
    return (
        select(Attendance.member_id.label("member_id"), meetings.c.org_id.label("org_id"), *_slots(flags))
        .select_from(meetings)
        .join(Attendance, Attendance.meeting_id == meetings.c.id)
    )


def _slots(values: Sequence[Any]) -> list[Any]:
    return [value.label(f"c{i}") for i, value in enumerate(values)]


def _tally_rows(orgs: list[int], year: int, digest: str, month: int, sign: int, width: int, name: str) -> Any:
    """SQL: (member, branch, c0 …) of the branches' cumulative rows at the end of ``month``, negated for ``sign``
    -1. Found by branch, year and digest, not by the build ids read a statement earlier: on PostgreSQL each
    statement sees the latest commit, and the job may have replaced a build in between (its new rows are as good;
    a build is replaced in one transaction, so some build's rows are always there)."""
    columns = [PointTally.__table__.c[f"c{i}"] for i in range(width)]
    return (
        select(
            PointTally.member_id.label("member_id"),
            PointTallyBuild.org_id.label("org_id"),
            *_slots([c if sign > 0 else -c for c in columns]),
        )
        .join(PointTallyBuild, PointTallyBuild.id == PointTally.build_id)
        .where(
            org_filter(PointTallyBuild.org_id, orgs, name),
            PointTallyBuild.year == year,
            PointTallyBuild.digest == digest,
            PointTally.month == month,
        )
    )


def counted_live(org_ids: Sequence[int], rules: Sequence[AttendanceRule], start: date, end: date) -> bool:
    """Whether :func:`attendance_counts` groups the branches' attendance live rather than reading tallies: a few
    branches, a period across years, or more rules than a tally holds."""
    return len(org_ids) < TALLIES_FROM_BRANCHES or start.year != end.year or len(rules) > TALLY_SLOTS


async def attendance_counts(
    session: AsyncSession,
    org_ids: Sequence[int],
    spans: Sequence[Span],
    rules: Sequence[AttendanceRule],
    start: date,
    end: date,
    tz: ZoneInfo,
) -> dict[tuple[int, int], dict[str, int]]:
    """Per (member, branch): how many closed meetings each rule counts — exactly
    :func:`~storage.points.counts.live_attendance_counts`, with the whole months the tallies hold read from them.

    For many branches a constant number of statements: the builds and the writes since (two), then ONE grouped
    statement summing the tallies' rows (one or two per member) with the attendance rows of the rest of the period
    (usually the open month) and of the branches without a usable build; one more for the members who joined or
    left during the period, when there are some."""
    if not rules:
        return {}
    if counted_live(org_ids, rules, start, end):
        return await live_attendance_counts(session, org_ids, spans, rules, start, end, tz)
    year = start.year
    first = start.month if start.day == 1 else start.month + 1  # the whole months of the period
    last = end.month if (end + timedelta(days=1)).day == 1 else end.month - 1
    digest = digest_of(rules, tz)
    builds = await usable_builds(session, org_ids, year, digest, tz) if first <= last else {}
    # Branches by the last month their tallies give (usually all the same); the rest is grouped live.
    by_through: dict[int, list[int]] = {}
    for org_id, (_, through) in builds.items():
        if through >= first:
            by_through.setdefault(min(through, last), []).append(org_id)
    parts: list[Any] = []
    for through, orgs in sorted(by_through.items()):
        parts.append(_tally_rows(orgs, year, digest, through, 1, len(rules), f"builds_{len(parts)}"))
        if first > 1:
            parts.append(_tally_rows(orgs, year, digest, first - 1, -1, len(rules), f"builds_{len(parts)}"))
        if start < _month_start(year, first):  # the part-month before the first whole one
            head = _month_start(year, first) - timedelta(days=1)
            parts.append(_live_rows(session, orgs, rules, start, head, tz, f"head_{len(parts)}"))
        if _month_start(year, through + 1) <= end:  # after the tallies' last month: the open one
            parts.append(
                _live_rows(session, orgs, rules, _month_start(year, through + 1), end, tz, f"tail_{len(parts)}")
            )
    tallied = {org for orgs in by_through.values() for org in orgs}
    rest = [org for org in org_ids if org not in tallied]
    if rest:
        parts.append(_live_rows(session, rest, rules, start, end, tz, "rest"))
    rows = union_all(*parts).subquery("counted") if len(parts) > 1 else parts[0].subquery("counted")
    stmt = select(rows.c.member_id, rows.c.org_id, *[func.sum(rows.c[f"c{i}"]) for i in range(len(rules))]).group_by(
        rows.c.member_id, rows.c.org_id
    )
    full = {(s.member_id, s.org_id) for s in spans if s.covers_period(start, end)}
    keys = [rule.key for rule in rules]
    result: dict[tuple[int, int], dict[str, int]] = {}
    for row in (await session.execute(stmt)).all():
        if (row[0], row[1]) in full:
            result[(row[0], row[1])] = {key: int(row[i + 2] or 0) for i, key in enumerate(keys)}
    if not all((s.member_id, s.org_id) in full for s in spans):
        add_clipped(result, full, await clipped_counts(session, org_ids, rules, start, end, tz), rules)
    return result


async def build(
    session: AsyncSession,
    org_ids: Sequence[int],
    rules: Sequence[AttendanceRule],
    year: int,
    through: int,
    tz: ZoneInfo,
    now: datetime,
) -> int:
    """(Re)build the branches' tallies of ``year``'s months 1 … ``through``: one grouped statement over their
    attendance, then the rows replaced (a build row per branch; per member with any count, a cumulative row per
    month). ``now`` is taken before the records are read: writes after it make the build unusable. Returns the
    members tallied."""
    if not org_ids or not rules or len(rules) > TALLY_SLOTS:
        return 0
    digest = digest_of(rules, tz)
    end = _month_start(year, through + 1) - timedelta(days=1)
    grouped = await whole_counts(session, org_ids, rules, date(year, 1, 1), end, tz, by_month=True)
    monthly: dict[tuple[int, int], list[list[int]]] = {}
    for (member_id, org_id, month), values in grouped.items():
        if any(values):
            monthly.setdefault((member_id, org_id), [[0] * len(rules) for _ in range(through)])[int(month) - 1] = values
    mine = (
        org_filter(PointTallyBuild.org_id, list(org_ids)),
        PointTallyBuild.year == year,
        PointTallyBuild.digest == digest,
    )
    await session.execute(delete(PointTally).where(PointTally.build_id.in_(select(PointTallyBuild.id).where(*mine))))
    await session.execute(delete(PointTallyBuild).where(*mine))
    ids: dict[int, int] = {}
    orgs = list(org_ids)
    for part in range(0, len(orgs), 1_000):
        rows = [
            {"org_id": o, "year": year, "digest": digest, "through": through, "built_at": now}
            for o in orgs[part : part + 1_000]
        ]
        made = await session.execute(
            insert(PointTallyBuild).values(rows).returning(PointTallyBuild.id, PointTallyBuild.org_id)
        )
        ids.update({org_id: build_id for build_id, org_id in made.all()})
    tallies: list[dict[str, int]] = []
    for (member_id, org_id), months in monthly.items():
        running = [0] * TALLY_SLOTS
        for month, values in enumerate(months, 1):
            for i, value in enumerate(values):
                running[i] += value
            row = {"build_id": ids[org_id], "month": month, "member_id": member_id}
            tallies.append(row | {f"c{i}": running[i] for i in range(TALLY_SLOTS)})
    for part in range(0, len(tallies), ROWS_PER_INSERT):
        await session.execute(insert(PointTally), tallies[part : part + ROWS_PER_INSERT])
    return len(monthly)
