"""Keeping the closed months' attendance tallies of member points up to date (storage/points/tallies.py).

The tallies only make a report of many branches faster: a branch without a usable build is counted live from the
records, with the same result. The job (bot/jobs/points.py) builds what is missing — each month once it is over (from
the second day of the next, so a late write of its last evening is already in) — and builds again each branch
that had a meeting or an attendance row of a built month written since its build (a correction).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.points.member_points import attendance_rules
from bot.services.points.versions import rules_for
from storage import queries
from storage.points import tallies


def closed_through(today: date) -> tuple[int, int]:
    """(year, month): the last month to tally on ``today`` — the previous month from its second day on."""
    month = today.month - 1 if today.day > 1 else today.month - 2
    year = today.year
    if month < 1:
        year, month = year - 1, month + 12
    return year, month


# Branches built in one call (one transaction): a city's thousand at once held SQLite's write lock for about 15 s
# (330,000 rows); fifty hold it for about a second, so check-ins and replies wait at most that long.
BRANCHES_PER_CALL = 50


async def refresh(
    session: AsyncSession,
    today: date,
    tz: ZoneInfo,
    now: datetime,
    limit: int = BRANCHES_PER_CALL,
    skip: Collection[tuple[int, int]] = (),
) -> list[tuple[int, int]]:
    """Build the tallies of at most ``limit`` branches among those that lack them (this year's closed months and
    the whole of last year) or whose tallies a write has made unusable; returns the (year, branch) built (none when
    all are up to date: three statements per rules group and year). The job calls it again, each time in its own
    transaction, until it builds nothing, passing what it built so far as ``skip``: a write stamped within
    ``CHANGE_MARGIN`` before a build leaves that build unusable for a while, and building the branch again at once
    would give the same — the next run of the job builds it again."""
    branch_ids = [
        b.id for b in await queries.branches_in(session, {o.id for o in await queries.all_organisations(session)})
    ]
    if not branch_ids:
        return []
    in_force = await rules_for(session, branch_ids)
    by_rules: dict[str, list[int]] = {}
    rules_of = {}
    for branch_id in branch_ids:
        rules = attendance_rules(in_force[branch_id].rules)
        digest = tallies.digest_of(rules, tz)
        by_rules.setdefault(digest, []).append(branch_id)
        rules_of[digest] = rules
    year, through = closed_through(today)
    targets = [(year, through)] + ([(year - 1, 12)] if year == today.year else [])
    built: list[tuple[int, int]] = []
    for digest, group in by_rules.items():
        rules = rules_of[digest]
        if not rules:
            continue
        for target_year, target_through in targets:
            usable = await tallies.usable_builds(session, group, target_year, digest, tz)
            stale = [
                b for b in group if (b not in usable or usable[b][1] < target_through) and (target_year, b) not in skip
            ][: limit - len(built)]
            if stale:
                await tallies.build(session, stale, rules, target_year, target_through, tz, now)
                built += [(target_year, b) for b in stale]
            if len(built) >= limit:
                return built
    return built
