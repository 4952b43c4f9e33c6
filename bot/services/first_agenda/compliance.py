"""How promptly each branch studies what was dispatched, and how often meetings record the item (report)."""

from __future__ import annotations

import statistics
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.environment import ServiceEnv
from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.i18n import N_
from bot.services.access import Actor, require_admin_of, require_branch_leader
from bot.services.first_agenda.catalog import (
    Who,
    _local_date,
    get_material,
    needs_first_agenda,
)
from bot.services.kinds_of_meeting import KINDS_BY_ID, HeldBy
from storage import first_agenda as store
from storage.first_agenda import (
    StudyMaterial,
)
from storage.meetings import MeetingRef
from storage.models import Organisation, OrgKind

# --------------------------------------------------------------------------------------------------------------
# Compliance


@dataclass
class BranchCompliance:
    """One branch (or unit) over a period."""

    org: Organisation
    needed: int = 0
    recorded: int = 0
    optional_recorded: int = 0
    missing: list[MeetingRef] = field(default_factory=list)  # held, needed it, none recorded
    dispatched: list[int] = field(default_factory=list)  # materials dispatched to it in the period
    unstudied: list[int] = field(default_factory=list)
    lags: list[int] = field(default_factory=list)
    lag_by_material: dict[int, int] = field(default_factory=dict)  # studied: days from dispatch to study
    waiting: dict[int, int] = field(default_factory=dict)  # unstudied: days since the dispatch
    early: set[int] = field(default_factory=set)  # studied on a day before the dispatch

    @property
    def rate(self) -> float:
        """Recorded over needed; 1.0 when no meeting needed it (nothing was missed)."""
        return self.recorded / self.needed if self.needed else 1.0

    @property
    def median_lag(self) -> float | None:
        """Median days from dispatch to study, over the studied materials."""
        if not self.lags:
            return None
        value = statistics.median(self.lags)
        return int(value) if float(value).is_integer() else float(value)

    def as_json(self) -> dict[str, Any]:
        """The command line's JSON object."""
        return {
            "branch": self.org.name,
            "branch_id": self.org.id,
            "needed": self.needed,
            "recorded": self.recorded,
            "rate": round(self.rate, 4),
            "unstudied": sorted(self.unstudied),
            "median_lag_days": self.median_lag,
        }


def rank_key(row: BranchCompliance) -> tuple[Any, ...]:
    """Best first: highest rate, then shortest median lag, fewest unstudied, then by name.

    A branch where no meeting needed the item has a vacuous rate of 1.0 and proves nothing: it ranks after
    every branch that held such meetings (its lag and unstudied materials still order it among its like).
    """
    lag = row.median_lag
    return (row.needed == 0, -row.rate, lag is None, lag or 0, len(row.unstudied), row.org.name)


async def _scope(
    session: AsyncSession, actor: Who, org_id: int | None
) -> tuple[Collection[int], dict[int, Organisation]]:
    """The organisations a report covers (their subtrees' roots), after checking the person may see them, and the
    organisations of those subtrees by id."""
    roots: Collection[int]
    if actor is None:
        if org_id is not None:
            if await session.get(Organisation, org_id) is None:
                raise NotFound(N_("No such organisation."))
            roots = [org_id]
        else:
            roots = await store.top_org_ids(session)
    elif actor.is_admin:
        root = org_id if org_id is not None else actor.org_id
        await require_admin_of(session, actor, root)
        roots = [root]
    else:
        # A branch leader's branch and its groups are read first: the check then finds the branch in the session,
        # not with a statement of its own (a branch's report is a few statements, each about a millisecond).
        branch = store.OneBranch(org_id if org_id is not None else actor.org_id)
        orgs = {o.id: o for o in await store.orgs_under(session, branch)}
        await require_branch_leader(session, actor, branch.branch_id)
        return store.BranchOrgs(orgs), orgs  # the report's statement names them: no look-up in each part
    return roots, {o.id: o for o in await store.orgs_under(session, roots)}


async def compliance(
    session: AsyncSession,
    actor: Who,
    start: date,
    end: date,
    *,
    org_id: int | None = None,
    env: ServiceEnv,
) -> list[BranchCompliance]:
    """Per branch (and per unit holding unit-level meetings) of the subtree: the period's first agenda record.

    Meetings count when they took place in the period; materials when they were dispatched in it. Whether a
    dispatched material was studied, and its lag, are as of now (a study after the period still counts).
    """
    if end < start:
        raise InvalidInput(N_("The period ends before it starts."))
    now = env.now()
    # A constant number of statements whatever the number of branches: the subtree is a recursive CTE inside
    # each query, never a list of ids bound one parameter each (issue 16 item 3).
    roots, orgs = await _scope(session, actor, org_id)
    rows: dict[int, BranchCompliance] = {o.id: BranchCompliance(o) for o in orgs.values() if o.kind == OrgKind.BRANCH}
    start_at, end_at = env.day_start(start), env.day_end(end)
    records = await store.report_records(session, roots, start_at, end_at, now)  # one statement for the three
    for org_id, meeting, item_id in records.held:
        kind = KINDS_BY_ID.get(meeting.kind)
        if org_id not in rows:
            if kind is None or kind.held_by is not HeldBy.UNIT or org_id not in orgs:
                continue
            rows[org_id] = BranchCompliance(orgs[org_id])
        row = rows[org_id]
        if needs_first_agenda(meeting.kind):
            row.needed += 1
            if item_id is not None:
                row.recorded += 1
            else:
                row.missing.append(meeting)
        elif item_id is not None:
            row.optional_recorded += 1
    studied = records.studied
    today = env.today()
    for branch_id, material_id, dispatched_at in records.dispatches:
        row = rows[branch_id]
        row.dispatched.append(material_id)
        at = studied.get((branch_id, material_id))
        if at is None:
            row.unstudied.append(material_id)
            row.waiting[material_id] = (today - env.local(dispatched_at).date()).days
        else:
            lag = study_lag(dispatched_at, at, env.tz)
            row.lags.append(lag)
            row.lag_by_material[material_id] = lag
            if studied_early(dispatched_at, at, env.tz):
                row.early.add(material_id)
    return sorted(rows.values(), key=rank_key)


def study_lag(dispatched_at: datetime, studied_at: datetime, tz: ZoneInfo) -> int:
    """Local days from the dispatch to the meeting that studied it; 0 when studied before it came."""
    return max(0, (_local_date(studied_at, tz) - _local_date(dispatched_at, tz)).days)


def studied_early(dispatched_at: datetime, studied_at: datetime, tz: ZoneInfo) -> bool:
    """Whether the branch studied the material on a day before it was dispatched (ahead of the dispatch: the
    report says so rather than "after 0 days")."""
    return _local_date(studied_at, tz) < _local_date(dispatched_at, tz)


@dataclass(frozen=True)
class MaterialBranchStatus:
    """One branch's progress on one dispatched material."""

    branch: Organisation
    dispatched_at: datetime
    studied_at: datetime | None
    lag: int | None
    early: bool = False  # studied on a day before the dispatch


@dataclass(frozen=True)
class MaterialStatus:
    """Which branches have studied a dispatched material, after how many days, and which have not."""

    material: StudyMaterial
    studied: list[MaterialBranchStatus]  # quickest first
    unstudied: list[MaterialBranchStatus]  # longest waiting first


async def material_status(session: AsyncSession, actor: Who, material_id: int, *, env: ServiceEnv) -> MaterialStatus:
    """Per branch the person sees: studied (with the lag) or not yet."""
    material = await get_material(session, actor, material_id)
    under: int | None = None
    branch_id: int | None = None
    if actor is not None:
        if actor.is_admin:
            under = actor.org_id
        elif actor.leads_branch:
            branch_id = actor.org_id
        else:
            raise PermissionDenied(N_("Only the branch secretary (or a committee member acting for them) may do this."))
    rows = await store.material_dispatches(session, material.id, under=under, branch_id=branch_id)
    studied_at = await store.first_studied(
        session,
        now=env.now(),
        org_ids=None if under is not None else [org.id for _d, org in rows],
        roots=None if under is None else [under],
        material_id=material.id,
    )
    studied: list[MaterialBranchStatus] = []
    unstudied: list[MaterialBranchStatus] = []
    for dispatch, org in rows:
        at = studied_at.get((org.id, material.id))
        if at is None:
            unstudied.append(MaterialBranchStatus(org, dispatch.dispatched_at, None, None))
        else:
            studied.append(
                MaterialBranchStatus(
                    org,
                    dispatch.dispatched_at,
                    at,
                    study_lag(dispatch.dispatched_at, at, env.tz),
                    studied_early(dispatch.dispatched_at, at, env.tz),
                )
            )
    studied.sort(key=lambda s: (not s.early, s.lag or 0, s.branch.name))
    unstudied.sort(key=lambda s: (s.dispatched_at, s.branch.name))
    return MaterialStatus(material, studied, unstudied)


async def study_progress(
    session: AsyncSession, actor: Actor, material_ids: Sequence[int], *, env: ServiceEnv
) -> dict[int, tuple[int, int]]:
    """material id → (branches of the administrator's subtree that studied it, branches it reached)."""
    return await store.study_progress(session, material_ids, under=actor.org_id, now=env.now())


# --------------------------------------------------------------------------------------------------------------
# Periods


def period_bounds(name: str, today: date) -> tuple[date, date]:
    """``quarter`` (this one so far), ``year`` (this one so far) or ``last_year``."""
    if name == "quarter":
        first_month = 3 * ((today.month - 1) // 3) + 1
        return date(today.year, first_month, 1), today
    if name == "last_year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    return date(today.year, 1, 1), today
