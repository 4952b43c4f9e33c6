"""Compliance with the required frequencies (glossary): for this month, quarter and year, each required
kind of meeting and each required tag, held / required and the date by which it is due; and the scheduler's
nudge to the branch's leaders a configurable number of days before a period closes with a gap.

"Held" counts closed meetings (held and recorded); scheduled ones are shown beside it so a secretary sees
that a gap is already being taken care of. A Party group meeting is required of each group of the branch.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.environment import ServiceEnv
from bot.errors import PermissionDenied
from bot.i18n import N_
from bot.services.access import Actor
from bot.services.kinds_of_meeting import MEETING_TAGS, HeldBy, Period
from bot.services.meetings.core import BRANCH_KINDS
from bot.services.meetings.format import long_date
from bot.services.meetings.stats import PeriodRange, period_range
from bot.services.notifier import Message, Notifier, Recipient, leaders_of
from storage import queries
from storage.meetings import (
    HeldMeeting,
    MeetingStatus,
    branch_groups,
    branches_of,
    groups_in,
    held_between,
    held_between_in,
)
from storage.models import Organisation

PERIOD_ORDER = (Period.MONTH, Period.QUARTER, Period.YEAR)


@dataclass(frozen=True)
class Item:
    """One requirement in one period."""

    id: str  # a kind or tag id
    name: str  # msgid of its English name
    is_tag: bool
    period: PeriodRange
    held: int
    required: int
    scheduled: int  # scheduled (not yet held) in the period
    due: date
    fixed_day: int | None = None  # the branch's theme Party day
    per_group: bool = False

    @property
    def ok(self) -> bool:
        """Requirement met."""
        return self.held >= self.required


async def branch_compliance(session: AsyncSession, branch: Organisation, today: date, *, env: ServiceEnv) -> list[Item]:
    """Every requirement of the branch for the current month, quarter and year."""
    start, end = period_range(Period.YEAR, today).utc_bounds(env.tz)
    meetings = await held_between(session, branch.id, start, end)
    groups = await branch_groups(session, branch.id)
    return _items(branch, meetings, groups, today, env)


def _items(
    branch: Organisation, meetings: Sequence[HeldMeeting], groups: Sequence[Organisation], today: date, env: ServiceEnv
) -> list[Item]:
    """The branch's requirements from its meetings of the year and its Party groups (no database here)."""
    ranges = {p: period_range(p, today) for p in PERIOD_ORDER}
    days = [(m, m.starts_at.astimezone(env.tz).date()) for m in meetings]  # each meeting's local day, once
    items: list[Item] = []
    for period in PERIOD_ORDER:
        pr = ranges[period]
        in_period = [m for m, day in days if pr.start <= day <= pr.end]
        for kind in BRANCH_KINDS:
            if kind.period is not period:
                continue
            of_kind = [m for m in in_period if m.kind == kind.id]
            if kind.held_by is HeldBy.GROUP:
                if not groups:
                    continue  # no Party groups: nothing to hold
                held = sum(min(kind.times_per_period, _closed(of_kind, group_id=g.id)) for g in groups)
                required = kind.times_per_period * len(groups)
            else:
                held, required = _closed(of_kind), kind.times_per_period
            scheduled = sum(1 for m in of_kind if m.status == MeetingStatus.SCHEDULED)
            fixed = branch.theme_day if kind.id == "theme_day" else None
            items.append(
                Item(
                    kind.id,
                    kind.name_en,
                    False,
                    pr,
                    held,
                    required,
                    scheduled,
                    _due(pr, fixed, today),
                    fixed,
                    kind.held_by is HeldBy.GROUP,
                )
            )
        for tag in MEETING_TAGS:
            if tag.period is not period:
                continue
            tagged = [m for m in in_period if tag.id in (m.tags or [])]
            held = sum(1 for m in tagged if m.status == MeetingStatus.CLOSED)
            items.append(Item(tag.id, tag.name_en, True, pr, held, tag.times_per_period, 0, pr.end))
    return items


def _closed(meetings: Sequence[HeldMeeting], group_id: int | None = None) -> int:
    return sum(1 for m in meetings if m.status == MeetingStatus.CLOSED and (group_id is None or m.group_id == group_id))


def _due(pr: PeriodRange, fixed_day: int | None, today: date) -> date:
    """The last day of the period; the theme Party day on its fixed day of the month while that is still
    ahead (once it has passed, the month's end is what is left)."""
    if fixed_day and pr.period is Period.MONTH:
        last = calendar.monthrange(pr.start.year, pr.start.month)[1]
        fixed = pr.start.replace(day=min(fixed_day, last))
        if fixed >= today:
            return fixed
    return pr.end


async def compliance_overview(
    session: AsyncSession, actor: Actor, today: date, *, env: ServiceEnv, branch_id: int | None = None
) -> list[tuple[Organisation, list[Item]]]:
    """The actor's branch (secretary, delegated committee member) or every branch of an admin's subtree
    (or only ``branch_id`` of it)."""
    if not (actor.leads_branch or actor.is_admin):
        raise PermissionDenied(N_("Only the branch secretary (or a committee member acting for them) may do this."))
    scope = queries.subtree_select(actor.org_id) if actor.is_admin else queries.org_scope(actor.org_id)
    if branch_id is not None:  # one branch of the subtree (the summary's button)
        scope = queries.org_scope(branch_id, within=scope)
    # Five statements whatever the number of branches: the branches, their meetings of the year, their groups.
    branches = await branches_of(session, scope)
    if branch_id is not None and not branches:
        raise PermissionDenied(N_("Only an administrator of this organisation may do this."))
    start, end = period_range(Period.YEAR, today).utc_bounds(env.tz)
    meetings = await held_between_in(session, scope, start, end)
    groups = await groups_in(session, scope)
    return [(b, _items(b, meetings.get(b.id, []), groups.get(b.id, []), today, env)) for b in branches]


def _nudge_values(
    branch: str, period: str, pr: PeriodRange, days_left: int, gaps: list[Item], recipient: Recipient
) -> dict[str, Any]:
    return {
        "branch": branch,
        "period": period,
        "key": pr.key,
        "end": long_date(pr.end, recipient.locale),
        "days_left": days_left,
        "gaps": gaps,
    }


async def send_nudges(session: AsyncSession, today: date, *, env: ServiceEnv, days: int) -> int:
    """Tell each branch's leaders, once per period, what is still missing when the period closes within
    ``days`` days (``COMPLIANCE_NUDGE_DAYS``). The dedup key (branch, period, leader) makes the nudge happen once,
    however often the job runs; the message lists every requirement of that period still open, since gaps only
    shrink as meetings are held."""
    queued = 0
    notifier = Notifier(session, env)
    branches = await queries.all_branches(session)
    for branch in branches:
        items = await branch_compliance(session, branch, today, env=env)
        leaders = await leaders_of(session, branch.id)
        if not leaders:
            continue
        for period in PERIOD_ORDER:
            pr = period_range(period, today)
            days_left = (pr.next_start - today).days
            gaps = [i for i in items if i.period.period is period and not i.ok]
            if days_left > days or not gaps:
                continue
            message = Message(
                template="meetings/nudge.html.j2",
                params=partial(_nudge_values, branch.name, period.value, pr, days_left, gaps),
            )
            sent = await notifier.tell(leaders, message, key=f"mt-nudge:{branch.id}:{pr.key}", kind="reminder")
            queued += sent.queued
    return queued
