"""What a branch's leaders and the administrators ask for: the month's list, the counts by branch, the wish."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot.dates import PeriodKind, parse_period
from bot.errors import InvalidInput, PermissionDenied
from bot.i18n import N_
from bot.services.access import Actor, require_branch_leader, visible_org_ids
from bot.services.birthdays.anniversaries import Birthday, DataIssue, birthdays_in_month, data_issues
from bot.services.roster import FOUNDING_DATE
from storage import queries
from storage.birthdays import BirthdayWish
from storage.models import Member, Organisation

WISH_MAX_LENGTH = 300


@dataclass(frozen=True)
class BranchMonth:
    """A branch's political birthdays in one month, and the members whose join date needs fixing."""

    branch_id: int
    branch_name: str
    year: int
    month: int
    entries: list[Birthday]
    issues: list[DataIssue]

    @property
    def not_reachable(self) -> list[Birthday]:
        """Those to greet in person."""
        return [b for b in self.entries if not b.reachable]


async def month_of_branch(
    session: AsyncSession, branch: Organisation, year: int, month: int, today: date
) -> BranchMonth:
    entries = await birthdays_in_month(session, year, month, today=today, org_ids={branch.id})
    issues = await data_issues(session, today=today, org_ids={branch.id})
    return BranchMonth(branch.id, branch.name, year, month, entries, issues)


async def branch_month(
    session: AsyncSession, actor: Actor, branch_id: int, year: int, month: int, today: date
) -> BranchMonth:
    """The month's list of a branch, for its secretary (or delegated committee member) or an administrator above."""
    branch = await require_branch_leader(session, actor, branch_id)
    return await month_of_branch(session, branch, year, month, today)


@dataclass(frozen=True)
class BranchCount:
    """One branch's line in an administrator's summary."""

    branch_id: int
    name: str
    birthdays: int
    not_reachable: int
    data_to_fix: int


async def counts_in(session: AsyncSession, org_ids: set[int], year: int, month: int, today: date) -> list[BranchCount]:
    branches = await queries.branches_in(session, org_ids)
    ids = {b.id for b in branches}
    entries = await birthdays_in_month(session, year, month, today=today, org_ids=ids)
    issues = await data_issues(session, today=today, org_ids=ids)
    # Counted in one pass each, by branch (a pass over every birthday for each branch cost seconds for a city).
    found: Counter[int] = Counter(e.org_id for e in entries)
    unreachable: Counter[int] = Counter(e.org_id for e in entries if not e.reachable)
    to_fix: Counter[int] = Counter(i.org_id for i in issues)
    return [
        BranchCount(branch.id, branch.name, found[branch.id], unreachable[branch.id], to_fix[branch.id])
        for branch in branches
    ]


async def subtree_counts(session: AsyncSession, actor: Actor, year: int, month: int, today: date) -> list[BranchCount]:
    """For an administrator: each branch of their subtree with its count of political birthdays in the month."""
    if not actor.is_admin:
        raise PermissionDenied(N_("Only an administrator may see the counts of several branches."))
    return await counts_in(session, await visible_org_ids(session, actor), year, month, today)


async def branch_wish(session: AsyncSession, org_id: int) -> str | None:
    """The wish the branch wrote for its members' greetings, if any."""
    wish = await session.get(BirthdayWish, org_id)
    return wish.text if wish is not None else None


async def wish_of(session: AsyncSession, actor: Actor, branch_id: int) -> tuple[Organisation, str | None]:
    """The branch and its wish, for its leaders."""
    branch = await require_branch_leader(session, actor, branch_id)
    return branch, await branch_wish(session, branch.id)


async def set_wish(session: AsyncSession, actor: Actor, branch_id: int, text: str | None) -> str | None:
    """Set (or with None, remove) the branch's wish; the secretary or a delegated committee member only."""
    branch = await require_branch_leader(session, actor, branch_id)
    text = " ".join(text.split()) if text else None  # one paragraph: Telegram HTML keeps it as typed otherwise
    if text is not None and len(text) > WISH_MAX_LENGTH:
        raise InvalidInput(N_("The wish is too long: at most %(max)d characters."), max=WISH_MAX_LENGTH)
    wish = await session.get(BirthdayWish, branch.id)
    if text is None:
        if wish is not None:
            await session.delete(wish)
    elif wish is None:
        session.add(BirthdayWish(org_id=branch.id, text=text, updated_by_id=actor.member_id))
    else:
        wish.text = text
        wish.updated_by_id = actor.member_id
    queries.audit(
        session,
        actor=await session.get(Member, actor.member_id),
        action="birthday_wish",
        entity="organisation",
        entity_id=branch.id,
        details={"text": text},
    )
    return text


_BARE_MONTH = re.compile(r"^\s*(\d{1,2})\s*月?\s*$")
BAD_MONTH = N_("Write the month, for example %(example)s.")


def parse_month(text: str | None, today: date) -> tuple[int, int]:
    """``YYYY-MM`` (also 2026/12, 2026年12月) or a month number of this year; the current month when empty.

    Read by :func:`bot.dates.parse_period`; a bare month number means this year's month (not the nearest one),
    as the lists always took it.
    """
    if not text:
        return today.year, today.month
    if match := _BARE_MONTH.match(text):
        text = f"{today.year}-{match.group(1)}"
    try:
        period = parse_period(text, today)
    except InvalidInput:
        period = None
    if period is None or period.kind is not PeriodKind.MONTH or period.start.year < FOUNDING_DATE.year:
        raise InvalidInput(BAD_MONTH, example=f"{today:%Y-%m}")
    return period.start.year, period.start.month
