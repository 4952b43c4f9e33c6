"""Everything a ledger needs, read in a constant number of statements, and the indicators derived from it.

Members count for their time: a member belongs to a branch's ledger for the days of the period they were in it
(``storage.membership``); service and greetings are credited to the branch they belonged to on that day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import local_midnight_utc
from bot.services.kinds_of_meeting import KINDS_BY_ID, FirstAgenda, HeldBy, Period
from bot.services.ledger.period import LedgerPeriod
from storage import ledger as q
from storage.meetings import CHECKED_IN, AttendanceStatus, MeetingStatus
from storage.membership import MembershipSpan, members_during
from storage.models import Organisation, OrgKind

# Member-level sheets (出勤明细, 政治生日, members' service) only up to this many members: a unit's ledger beyond it
# stays one row per branch (Excel stops at 1,048,576 rows, and a bot may upload at most 50 MB).
MEMBER_LEVEL_LIMIT = 600

NOT_PRESENT = (
    AttendanceStatus.ON_LEAVE,
    AttendanceStatus.LEAVE_REQUESTED,
    AttendanceStatus.ABSENT,
    AttendanceStatus.NO_ANSWER,
    AttendanceStatus.ATTENDING,  # said they would come, never checked in
)


@dataclass
class MeetingEntry:
    """One meeting with what the register shows."""

    id: int
    org_id: int
    group_id: int | None
    kind: str
    starts: datetime  # local
    ends: datetime  # local
    place: str | None
    topic: str | None
    status: str
    tags: list[str]
    record: str | None
    chair: str | None
    recorder: str | None
    fa_form: str | None
    fa_leader: str | None
    fa_recorded: bool
    materials: list[tuple[str, str | None]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    not_present: list[tuple[str, str, str | None]] = field(default_factory=list)

    @property
    def closed(self) -> bool:
        """Held and recorded."""
        return self.status == MeetingStatus.CLOSED

    @property
    def expected(self) -> int:
        """Everyone on the list but those on approved leave."""
        return sum(n for s, n in self.counts.items() if s != AttendanceStatus.ON_LEAVE)

    @property
    def attended(self) -> int:
        """Present or late."""
        return sum(self.counts.get(s, 0) for s in CHECKED_IN)

    def count(self, status: str) -> int:
        """How many with this status."""
        return self.counts.get(status, 0)

    @property
    def needs_first_agenda(self) -> bool:
        """The kind requires the first agenda item (measure 7)."""
        kind = KINDS_BY_ID.get(self.kind)
        return kind is not None and kind.first_agenda is FirstAgenda.REQUIRED


@dataclass
class DispatchEntry:
    """A material dispatched to a branch, and the first meeting that studied it (if any)."""

    branch_id: int
    material_id: int
    title: str
    source: str | None
    dispatched_on: date
    meeting_on: date | None = None
    meeting_kind: str | None = None
    form: str | None = None
    leader: str | None = None

    @property
    def lag(self) -> int | None:
        """Days from dispatch to study."""
        return (self.meeting_on - self.dispatched_on).days if self.meeting_on else None


@dataclass
class ServiceEntry:
    """Service credited to a member in a branch: an activity or an approved self-report."""

    member_id: int
    branch_id: int
    day: date
    minutes: int
    outside_minutes: int
    activity_id: int | None  # None for a self-report


@dataclass
class LedgerData:
    """What was read for one organisation and period."""

    org: Organisation
    period: LedgerPeriod
    tz: ZoneInfo
    branches: list[Organisation]
    member_level: bool
    spans: list[MembershipSpan]
    members: dict[int, Any]  # id → row (id, name, member_no, join_date, role)
    meetings: list[MeetingEntry]
    groups: dict[int, int]
    matrix: dict[tuple[int, int], str]  # (meeting, member) → status; member level only
    dispatches: list[DispatchEntry]
    service: list[ServiceEntry]
    greetings: dict[int, list[date]]  # member → days greeted

    @property
    def is_branch(self) -> bool:
        """A branch's own ledger."""
        return self.org.kind == OrgKind.BRANCH

    @property
    def empty(self) -> bool:
        """Nothing happened in the period (the ledger says so)."""
        return not (self.meetings or self.dispatches or self.service or self.greetings)

    def branch_name(self, branch_id: int) -> str:
        """A branch's name."""
        names: dict[int, str] | None = self.__dict__.get("_names")
        if names is None:
            names = self.__dict__["_names"] = {b.id: b.name for b in self.branches}
        return names.get(branch_id, "—")

    def branch_of(self, member_id: int, day: date) -> int | None:
        """The branch the member belonged to on ``day``."""
        for span in self._spans_by_member.get(member_id, ()):
            if span.start <= day <= span.end:
                return span.org_id
        return None

    @property
    def _spans_by_member(self) -> dict[int, list[MembershipSpan]]:
        cached: dict[int, list[MembershipSpan]] | None = self.__dict__.get("_by_member")
        if cached is None:
            cached = defaultdict(list)
            for span in self.spans:
                cached[span.member_id].append(span)
            self.__dict__["_by_member"] = cached
        return cached


async def collect(
    session: AsyncSession, org: Organisation, period: LedgerPeriod, tz: ZoneInfo, *, member_level: bool | None = None
) -> LedgerData:
    """Read the ledger of ``org`` (a branch, or every branch below it) for ``period``: thirteen statements,
    whatever the size of the organisation."""
    branch_ids = q.branch_ids_select(org.id)
    start_utc = local_midnight_utc(period.start, tz)
    end_utc = local_midnight_utc(period.end + timedelta(days=1), tz)
    branches = list(await q.branches(session, branch_ids))
    spans = await members_during(session, branch_ids, period.start, period.end)
    if member_level is None:
        member_level = org.kind == OrgKind.BRANCH or len({s.member_id for s in spans}) <= MEMBER_LEVEL_LIMIT
    # Names and numbers serve only the member-level sheets: a city's ledger does not read its 30,000 members.
    member_rows = (
        {row.id: row for row in await q.members(session, branch_ids, period.start, period.end)} if member_level else {}
    )
    member_ids = q.member_ids_select(branch_ids, period.start, period.end)

    entries: dict[int, MeetingEntry] = {}
    for row in await q.meetings(session, branch_ids, start_utc, end_utc):
        entries[row.id] = MeetingEntry(
            id=row.id,
            org_id=row.org_id,
            group_id=row.group_id,
            kind=row.kind,
            starts=row.starts_at.astimezone(tz),
            ends=row.ends_at.astimezone(tz),
            place=row.place,
            topic=row.topic,
            status=row.status,
            tags=list(row.tags or []),
            record=row.record,
            chair=row.chair,
            recorder=row.recorder or row.chair,
            fa_form=row.fa_form,
            fa_leader=row.fa_leader,
            fa_recorded=row.fa_item is not None,
        )
    for meeting_id, status, n in await q.attendance_counts(session, branch_ids, start_utc, end_utc):
        if meeting_id in entries:
            entries[meeting_id].counts[status] = int(n)
    async for batch in q.not_attended(session, branch_ids, start_utc, end_utc, [s.value for s in NOT_PRESENT]):
        for meeting_id, name, status, reason in batch:
            if meeting_id in entries:
                entries[meeting_id].not_present.append((name, status, reason))
    for meeting_id, _material_id, title, source, _position in await q.first_agenda_materials(
        session, branch_ids, start_utc, end_utc
    ):
        if meeting_id in entries:
            entries[meeting_id].materials.append((title, source))
    matrix: dict[tuple[int, int], str] = {}
    if member_level:
        for meeting_id, member_id, status in await q.attendance(session, branch_ids, start_utc, end_utc):
            matrix[(meeting_id, member_id)] = status

    dispatches = [
        DispatchEntry(branch_id, material_id, title, source, at.astimezone(tz).date())
        for branch_id, material_id, title, source, at in await q.dispatches(session, branch_ids, start_utc, end_utc)
    ]
    by_pair = {(d.branch_id, d.material_id): d for d in dispatches}
    for branch_id, material_id, _meeting_id, starts_at, kind, form, leader in await q.studies_since(
        session, branch_ids, start_utc
    ):
        entry = by_pair.get((branch_id, material_id))
        if entry is None or entry.meeting_on is not None:
            continue  # not dispatched in the period, or already studied earlier (rows come oldest first)
        day = starts_at.astimezone(tz).date()
        if day < entry.dispatched_on:
            continue  # studied before this dispatch (another catalog's copy): not an answer to it
        entry.meeting_on, entry.meeting_kind, entry.form, entry.leader = day, kind, form, leader

    data = LedgerData(
        org=org,
        period=period,
        tz=tz,
        branches=branches,
        member_level=member_level,
        spans=spans,
        members=member_rows,
        meetings=list(entries.values()),
        groups=await q.group_counts(session, branch_ids),
        matrix=matrix,
        dispatches=dispatches,
        service=[],
        greetings={},
    )
    for member_id, activity_id, starts_at, minutes, outside in await q.service_done(
        session, member_ids, start_utc, end_utc
    ):
        day = starts_at.astimezone(tz).date()
        branch = data.branch_of(member_id, day)
        if branch is not None:
            data.service.append(ServiceEntry(member_id, branch, day, int(minutes), int(outside or 0), activity_id))
    for member_id, day, minutes, outside in await q.service_reported(session, member_ids, period.start, period.end):
        branch = data.branch_of(member_id, day)
        if branch is not None:
            data.service.append(ServiceEntry(member_id, branch, day, int(minutes), int(outside or 0), None))
    for member_id, sent_at in await q.greetings_sent(session, member_ids, start_utc, end_utc):
        data.greetings.setdefault(member_id, []).append(sent_at.astimezone(tz).date())
    return data


# ---------------------------------------------------------------- indicators


@dataclass
class Requirement:
    """One required kind or tag in one month, quarter or year of the period."""

    branch_id: int
    key: str  # 2026-03, 2026-Q1, 2026
    period: Period
    name_zh: str
    held: int
    required: int
    due: date

    @property
    def ok(self) -> bool:
        """Met."""
        return self.held >= self.required


def period_units(period: LedgerPeriod) -> list[tuple[Period, date, date, str]]:
    """The months, quarters and years lying wholly inside the period (a part of one is not judged)."""
    from bot.services.meetings.stats import period_range

    units: list[tuple[Period, date, date, str]] = []
    for kind in (Period.MONTH, Period.QUARTER, Period.YEAR):
        day = period.start
        while day <= period.end:
            pr = period_range(kind, day)
            if pr.start >= period.start and pr.end <= period.end:
                units.append((kind, pr.start, pr.end, pr.key))
            day = pr.next_start
    return units


def requirements(data: LedgerData) -> list[Requirement]:
    """Held / required of every required kind and tag, per branch and per unit of the period (worked out once
    per ledger: the sheets and the charts all ask)."""
    from bot.services.kinds_of_meeting import MEETING_KINDS, MEETING_TAGS

    cached: list[Requirement] | None = data.__dict__.get("_requirements")
    if cached is not None:
        return cached
    by_branch: dict[int, list[tuple[date, MeetingEntry]]] = defaultdict(list)
    for m in data.meetings:
        if m.closed:
            by_branch[m.org_id].append((m.starts.date(), m))
    out: list[Requirement] = []
    units = period_units(data.period)
    for branch in data.branches:
        closed = by_branch.get(branch.id, [])
        groups = data.groups.get(branch.id, 0)
        for unit, start, end, key in units:
            inside = [m for day, m in closed if start <= day <= end]
            for kind in MEETING_KINDS:
                if kind.period is not unit or kind.held_by is HeldBy.UNIT:
                    continue
                of_kind = [m for m in inside if m.kind == kind.id]
                if kind.held_by is HeldBy.GROUP:
                    if not groups:
                        continue
                    per_group: dict[int | None, int] = defaultdict(int)
                    for m in of_kind:
                        per_group[m.group_id] += 1
                    held = sum(min(kind.times_per_period, n) for g, n in per_group.items() if g is not None)
                    required = kind.times_per_period * groups
                else:
                    held, required = len(of_kind), kind.times_per_period
                due = end
                if kind.id == "theme_day" and branch.theme_day:
                    due = start.replace(day=min(branch.theme_day, 28))
                out.append(Requirement(branch.id, key, unit, kind.name_zh, held, required, due))
            for tag in MEETING_TAGS:
                if tag.period is not unit:
                    continue
                held = sum(1 for m in inside if tag.id in m.tags)
                out.append(Requirement(branch.id, key, unit, tag.name_zh, held, tag.times_per_period, end))
    data.__dict__["_requirements"] = out
    return out


@dataclass
class BranchIndicators:
    """The same indicators for every branch: the unit's 汇总 sheet, ranked."""

    branch_id: int
    name: str
    members: int
    meetings: int  # held (closed)
    met: int
    required: int
    attended: int
    expected: int
    fa_done: int  # closed meetings needing the first agenda item that recorded it
    fa_needed: int
    dispatched: int
    studied: int
    lag_total: int
    service_minutes: int
    service_outside: int

    @staticmethod
    def _ratio(a: int, b: int) -> float | None:
        return a / b if b else None

    @property
    def compliance(self) -> float | None:
        """Requirements met over required."""
        return self._ratio(self.met, self.required)

    @property
    def attendance(self) -> float | None:
        """Attended over expected."""
        return self._ratio(self.attended, self.expected)

    @property
    def first_agenda(self) -> float | None:
        """Dispatched materials studied, else meetings needing the first agenda item that recorded it."""
        if self.dispatched:
            return self.studied / self.dispatched
        return self._ratio(self.fa_done, self.fa_needed)

    @property
    def lag(self) -> float | None:
        """Average days from dispatch to study."""
        return self.lag_total / self.studied if self.studied else None

    @property
    def hours(self) -> float:
        """Volunteer hours."""
        return self.service_minutes / 60


def indicators(data: LedgerData, reqs: list[Requirement] | None = None) -> list[BranchIndicators]:
    """One row per branch, ranked: compliance, then attendance, then first agenda (best first)."""
    reqs = requirements(data) if reqs is None else reqs
    rows = {b.id: BranchIndicators(b.id, b.name, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) for b in data.branches}
    members: dict[int, set[int]] = defaultdict(set)
    for span in data.spans:
        members[span.org_id].add(span.member_id)
    for branch_id, ids in members.items():
        if branch_id in rows:
            rows[branch_id].members = len(ids)
    for m in data.meetings:
        row = rows.get(m.org_id)
        if row is None or not m.closed:
            continue
        row.meetings += 1
        row.attended += m.attended
        row.expected += m.expected
        if m.needs_first_agenda:
            row.fa_needed += 1
            row.fa_done += int(m.fa_recorded)
    for r in reqs:
        rows[r.branch_id].required += 1
        rows[r.branch_id].met += int(r.ok)
    for d in data.dispatches:
        row = rows[d.branch_id]
        row.dispatched += 1
        if d.lag is not None:
            row.studied += 1
            row.lag_total += d.lag
    for s in data.service:
        if s.branch_id in rows:
            rows[s.branch_id].service_minutes += s.minutes
            rows[s.branch_id].service_outside += s.outside_minutes

    def score(r: BranchIndicators) -> tuple[float, float, float, str]:
        return (-(r.compliance or 0), -(r.attendance or 0), -(r.first_agenda or 0), r.name)

    return sorted(rows.values(), key=score)


def monthly(data: LedgerData) -> list[tuple[str, int, int, int]]:
    """Per month of the period: (YYYY-MM, attended, expected, service minutes) — for the charts."""
    months: dict[str, list[int]] = {}
    day = data.period.start.replace(day=1)
    while day <= data.period.end:
        months[f"{day:%Y-%m}"] = [0, 0, 0]
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    for m in data.meetings:
        if m.closed:
            cell = months.setdefault(f"{m.starts:%Y-%m}", [0, 0, 0])
            cell[0] += m.attended
            cell[1] += m.expected
    for s in data.service:
        months.setdefault(f"{s.day:%Y-%m}", [0, 0, 0])[2] += s.minutes
    return [(k, v[0], v[1], v[2]) for k, v in sorted(months.items())]
