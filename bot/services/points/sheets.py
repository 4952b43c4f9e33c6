"""The appraisal sheet of one branch for one year, for the secretary (chat), the administrators and the CLI."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import NotFound
from bot.i18n import N_
from bot.services.access import Actor, require_branch_leader
from bot.services.points.appraisal import appraisal_sheet, sheet_filename
from bot.services.points.member_points import rules_of_branch, with_publications
from bot.services.points.service import year_bounds
from bot.services.points.versions import resolve_org
from storage.models import OrgKind


async def branch_sheet(
    session: AsyncSession,
    actor: Actor | None,
    org_ref: str | int,
    year: int,
    today: date,
    tz: ZoneInfo,
    locale: str,
) -> tuple[str, bytes]:
    """``(file name, .xlsx bytes)`` of the branch's members' points for the year (up to today if not over)."""
    if actor is not None:
        branch = await require_branch_leader(session, actor, int(org_ref))
    else:
        branch = await resolve_org(session, str(org_ref))
    if branch.kind != OrgKind.BRANCH:
        raise NotFound(N_("No such branch."))
    start, end = year_bounds(year)
    end = min(end, today) if year == today.year else end
    results = await with_publications(session, [branch.id], start, end, tz)
    rules = (await rules_of_branch(session, branch.id)).rules
    return sheet_filename(branch.code, year), appraisal_sheet(branch.name, year, results, rules, locale, today)
