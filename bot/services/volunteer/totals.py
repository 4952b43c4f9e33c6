"""Volunteer hours per member, branch and subtree in a period, and a member's own service."""

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.environment import ServiceEnv
from bot.errors import NotFound, PermissionDenied
from bot.i18n import N_
from bot.services.access import Actor, visible_org_ids
from bot.services.volunteer.timing import hours_of as hours
from bot.services.volunteer.timing import (
    period_bounds,
    utc_bounds,
)
from storage import queries
from storage.models import Member, Organisation
from storage.volunteer import Activity, ServiceReport, SignUp
from storage.volunteer import activities as stored_activities
from storage.volunteer import hours as stored
from storage.volunteer.hours import BranchService


@dataclass
class MemberTotal:
    """One member's service in a period."""

    member: Member
    minutes: int = 0
    outside_minutes: int = 0
    activities: int = 0
    reported_minutes: int = 0  # of ``minutes``, from approved self-reports

    @property
    def hours(self) -> float:
        """Hours in all."""
        return hours(self.minutes)

    @property
    def outside_hours(self) -> float:
        """Hours outside working hours."""
        return hours(self.outside_minutes)


@dataclass
class Totals:
    """Hours of a set of members over a date range (first day included, ``following`` excluded)."""

    first: date
    following: date
    members: list[MemberTotal]
    branches: dict[int, Organisation] = field(default_factory=dict)

    @property
    def minutes(self) -> int:
        """Total minutes."""
        return sum(m.minutes for m in self.members)

    @property
    def outside_minutes(self) -> int:
        """Total minutes outside working hours."""
        return sum(m.outside_minutes for m in self.members)

    @property
    def outside_share(self) -> float:
        """Share of the hours served outside working hours (0–1)."""
        return self.outside_minutes / self.minutes if self.minutes else 0.0

    @property
    def without_service(self) -> list[Member]:
        """Members with no hours in the period."""
        return [m.member for m in self.members if m.minutes == 0]

    @property
    def without_service_count(self) -> int:
        """How many members have no hours in the period."""
        return len(self.without_service)

    def by_branch(self) -> list[tuple[Organisation, int, int, int, int]]:
        """``(branch, members, with service, minutes, outside minutes)`` per branch, by name."""
        out = []
        for org_id, org in sorted(self.branches.items(), key=lambda item: item[1].name):
            rows = [m for m in self.members if m.member.org_id == org_id]
            out.append(
                (
                    org,
                    len(rows),
                    sum(1 for m in rows if m.minutes),
                    sum(m.minutes for m in rows),
                    sum(m.outside_minutes for m in rows),
                )
            )
        return out


async def totals_for(
    session: AsyncSession,
    org_ids: set[int],
    first: date,
    following: date,
    *,
    env: ServiceEnv,
    member_ids: set[int] | None = None,
    known_branches: Collection[Organisation] = (),
) -> Totals:
    """Hours of the active members of ``org_ids`` (or just ``member_ids``) from ``first`` to before ``following``.

    Activity hours count by the local day the activity starts; self-reports, once approved, by their date.
    ``known_branches``: organisations the caller has loaded already, not read again.
    """
    members = await stored.active_members(session, org_ids, member_ids)
    by_id = {m.id: MemberTotal(m) for m in members}
    begin, end = utc_bounds(first, following, env.tz)
    for reported, member_id, minutes, outside in await stored.served_minutes(
        session, list(by_id), begin, end, first, following
    ):
        total = by_id[member_id]
        if reported:
            total.reported_minutes += minutes or 0
        else:
            total.activities += 1
        total.minutes += minutes or 0
        total.outside_minutes += outside or 0
    branch_ids = {m.org_id for m in members}
    branches = {b.id: b for b in known_branches if b.id in branch_ids}
    if missing := branch_ids - branches.keys():
        branches |= await stored.organisations_by_id(session, missing)
    return Totals(first, following, list(by_id.values()), branches)


async def totals_under(
    session: AsyncSession, org_id: int | None, first: date, following: date, *, env: ServiceEnv
) -> Totals:
    """Member-by-member hours of ``org_id`` and everything below it (``None``: every organisation), for the
    command line's report."""
    if org_id is None:
        org_ids = {org.id for org in await queries.all_organisations(session)}
    else:
        if await session.get(Organisation, org_id) is None:
            raise NotFound(N_("No such organisation."))
        org_ids = await queries.subtree_ids(session, org_id)
    return await totals_for(session, org_ids, first, following, env=env)


@dataclass(frozen=True)
class SubtreeTotals:
    """Hours of every branch of an administrator's subtree over a date range: per branch, never per member, so
    a city's screen costs one statement (storage.volunteer.hours.service_by_branch)."""

    first: date
    following: date
    branches: list[BranchService]

    @property
    def minutes(self) -> int:
        """Total minutes."""
        return sum(row[3] for row in self.branches)

    @property
    def outside_minutes(self) -> int:
        """Total minutes outside working hours."""
        return sum(row[4] for row in self.branches)

    @property
    def outside_share(self) -> float:
        """Share of the hours served outside working hours (0–1)."""
        return self.outside_minutes / self.minutes if self.minutes else 0.0

    @property
    def without_service_count(self) -> int:
        """How many members have no hours in the period."""
        return sum(row[1] - row[2] for row in self.branches)

    def by_branch(self) -> list[BranchService]:
        """``(branch, members, with service, minutes, outside minutes)`` per branch, by name."""
        return self.branches


async def subtree_totals(
    session: AsyncSession, root_id: int, first: date, following: date, *, env: ServiceEnv
) -> SubtreeTotals:
    """Per-branch hours of the subtree under ``root_id`` from ``first`` to before ``following``."""
    begin, end = utc_bounds(first, following, env.tz)
    branches = await stored.service_by_branch(session, root_id, begin, end, first, following)
    return SubtreeTotals(first, following, branches)


async def branch_totals(
    session: AsyncSession, actor: Actor, period: str, today: date, *, env: ServiceEnv
) -> Totals | SubtreeTotals:
    """The totals a secretary (their branch, member by member) or an administrator (their subtree, branch by
    branch) may see, for a period."""
    if not (actor.leads_branch or actor.is_admin):
        raise PermissionDenied(N_("Only the branch secretary (or a committee member acting for them) may do this."))
    first, following = period_bounds(period, today)
    if actor.is_admin:
        return await subtree_totals(session, actor.org_id, first, following, env=env)
    # Members of branches: an administrator's own unit office is not a branch to be counted.
    branches = await queries.branches_in(session, await visible_org_ids(session, actor))
    return await totals_for(session, {b.id for b in branches}, first, following, env=env, known_branches=branches)


@dataclass(frozen=True)
class MyService:
    """What ``/myservice`` shows a member."""

    periods: dict[str, MemberTotal]
    upcoming: list[tuple[Activity, SignUp]]
    recent: list[tuple[Activity, SignUp]]
    pending: list[ServiceReport]
    rejected: list[ServiceReport]


async def my_service(session: AsyncSession, actor: Actor, *, env: ServiceEnv, now: datetime | None = None) -> MyService:
    """A member's own hours this month, quarter and year, activities, and reports awaiting a decision."""
    now = now or env.now()
    today = env.local(now).date()
    periods = {}
    for period in ("month", "quarter", "year"):
        first, following = period_bounds(period, today)
        totals = await totals_for(session, set(), first, following, env=env, member_ids={actor.member_id})
        member = await session.get(Member, actor.member_id)
        assert member is not None
        periods[period] = totals.members[0] if totals.members else MemberTotal(member)
    upcoming = await stored_activities.member_upcoming(session, actor.member_id, now)
    recent = await stored_activities.member_attended(session, actor.member_id)
    pending = await stored.pending_reports_of(session, actor.member_id)
    rejected = await stored.rejected_reports_of(session, actor.member_id, now - timedelta(days=30))
    return MyService(periods, upcoming, recent, pending, rejected)
