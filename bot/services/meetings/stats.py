"""Attendance rates (出勤率) per meeting, per member and per period, and the periods themselves.

The rate counts closed meetings only: attended (present or late) over expected, where a member whose leave
was approved is not expected. Periods (month, quarter, year) are computed in the configured time zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import local_midnight_utc
from bot.dates import PeriodKind, try_period
from bot.errors import InvalidInput
from bot.i18n import N_
from bot.services.access import Actor
from bot.services.kinds_of_meeting import Period
from storage import queries
from storage.meetings import (
    CHECKED_IN,
    AttendanceStatus,
    MeetingRef,
    MemberRef,
    attendance_statuses,
    branches_of,
    closed_meeting_counts,
    closed_status_counts,
    member_counts,
)
from storage.models import Organisation


@dataclass(frozen=True)
class PeriodRange:
    """One month, quarter or year, as local dates."""

    period: Period
    start: date
    end: date  # the last day
    key: str  # 2026-12, 2026-Q4, 2026

    @property
    def next_start(self) -> date:
        """The first day after the period."""
        return self.end + timedelta(days=1)

    def utc_bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """``[start, end)`` as UTC instants."""
        return local_midnight_utc(self.start, tz), local_midnight_utc(self.next_start, tz)

    def contains(self, moment: datetime, tz: ZoneInfo) -> bool:
        """Whether ``moment`` falls on a local day of the period."""
        return self.start <= moment.astimezone(tz).date() <= self.end


def period_range(period: Period, day: date) -> PeriodRange:
    """The month, quarter or year that holds ``day``."""
    if period is Period.MONTH:
        start = day.replace(day=1)
        key = f"{day.year}-{day.month:02d}"
        next_start = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    elif period is Period.QUARTER:
        quarter = (day.month - 1) // 3
        start = date(day.year, quarter * 3 + 1, 1)
        key = f"{day.year}-Q{quarter + 1}"
        next_start = date(day.year + (quarter == 3), (quarter * 3 + 3) % 12 + 1, 1)
    elif period is Period.YEAR:
        start = date(day.year, 1, 1)
        key = str(day.year)
        next_start = date(day.year + 1, 1, 1)
    else:
        raise ValueError(f"no range for {period}")
    return PeriodRange(period, start, next_start - timedelta(days=1), key)


def parse_period(text: str | None, today: date) -> PeriodRange:
    """``month`` / ``quarter`` / ``year`` (also 月, 季度, 年), this one; or a month, quarter or year as
    :func:`bot.dates.parse_period` reads it (本月, 上季度, 2026年第四季度, 2026-12, 2026年); the year by default."""
    value = (text or "year").strip().lower()
    aliases = {"month": Period.MONTH, "月": Period.MONTH, "quarter": Period.QUARTER}
    aliases |= {"季": Period.QUARTER, "季度": Period.QUARTER, "本年": Period.YEAR}
    aliases |= {"year": Period.YEAR, "年": Period.YEAR}
    if value in aliases:
        return period_range(aliases[value], today)
    named = try_period(value, today, prefer="past")
    kind = _KINDS.get(named.kind) if named is not None else None
    if named is None or kind is None:
        raise InvalidInput(N_("Choose a period: month, quarter or year."))
    return period_range(kind, named.start)


_KINDS = {PeriodKind.MONTH: Period.MONTH, PeriodKind.QUARTER: Period.QUARTER, PeriodKind.YEAR: Period.YEAR}


def roster_key(member_no: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key of a member number: its runs of digits compare as numbers (A2 before A10)."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.findall(r"\d+|\D+", member_no))


@dataclass(frozen=True)
class Rate:
    """Attended over expected."""

    attended: int = 0
    expected: int = 0
    leave: int = field(default=0, compare=False)  # meetings on approved leave: not expected, said in words

    @property
    def percent(self) -> int | None:
        """Whole percent, or None when nobody was expected."""
        return round(100 * self.attended / self.expected) if self.expected else None

    def __add__(self, other: Rate) -> Rate:
        return Rate(self.attended + other.attended, self.expected + other.expected, self.leave + other.leave)


def rate_of(statuses: list[str]) -> Rate:
    """The rate of a list of final attendance statuses."""
    attended = sum(1 for s in statuses if s in CHECKED_IN)
    leave = sum(1 for s in statuses if s == AttendanceStatus.ON_LEAVE)
    return Rate(attended, len(statuses) - leave, leave)


async def meeting_rate(session: AsyncSession, meeting_id: int) -> Rate:
    """The rate of one meeting (meaningful once it is closed)."""
    return rate_of(await attendance_statuses(session, meeting_id))


@dataclass(frozen=True)
class BranchRates:
    """A branch's rates over a period."""

    meetings: int
    overall: Rate
    per_member: list[tuple[MemberRef, Rate]]
    per_meeting: list[tuple[MeetingRef, Rate]]


async def branch_rates(session: AsyncSession, branch_id: int, start: datetime, end: datetime) -> BranchRates:
    """Rates of the branch's closed meetings in ``[start, end)``: overall, per member, per meeting (two grouped
    statements: the database counts, Python only adds up the meetings' totals)."""
    meetings = await closed_meeting_counts(session, branch_id, start, end)
    per_meeting = [(meeting, _rate(attended, leave, rows)) for meeting, attended, leave, rows in meetings]
    members = await member_counts(session, [meeting.id for meeting, *_ in meetings])
    # The roster's order (member numbers A1, A2 … A10 read as numbers), not the code points of the names.
    per_member = sorted(
        ((member, _rate(attended, leave, rows)) for member, attended, leave, rows in members),
        key=lambda pair: roster_key(pair[0].member_no),
    )
    overall = sum((r for _, r in per_meeting), Rate())
    return BranchRates(len(per_meeting), overall, per_member, per_meeting)


def _rate(attended: int, leave: int, rows: int) -> Rate:
    """The rate of counted attendance rows (as :func:`rate_of` counts a list of statuses)."""
    return Rate(attended, rows - leave, leave)


async def attendance_overview(
    session: AsyncSession, actor: Actor, start: datetime, end: datetime
) -> list[tuple[Organisation, BranchRates]]:
    """/attendance: the actor's branch in full (per member and per meeting), or, for an administrator over several
    branches, each branch's overall rate: a constant number of statements whatever the number of branches."""
    scope = queries.subtree_select(actor.org_id) if actor.is_admin else queries.org_scope(actor.org_id)
    branches = await branches_of(session, scope)
    if len(branches) == 1:
        return [(branches[0], await branch_rates(session, branches[0].id, start, end))]
    meetings, statuses = await closed_status_counts(session, scope, start, end)
    out = []
    for branch in branches:
        counts = statuses.get(branch.id, {})
        overall = Rate(
            sum(n for status, n in counts.items() if status in CHECKED_IN),
            sum(n for status, n in counts.items() if status != AttendanceStatus.ON_LEAVE),
        )
        out.append((branch, BranchRates(meetings.get(branch.id, 0), overall, [], [])))
    return out
