"""The period and the organisation of a ledger: parsed, limited, and checked against the caller's reach."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot import date_style
from bot.dates import try_date
from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.i18n import N_
from bot.services.access import Actor
from bot.services.kinds_of_meeting import Period
from bot.services.meetings.stats import period_range
from storage import queries
from storage.models import Organisation, OrgKind

MAX_YEARS = 3  # a longer ledger is refused: nobody hands one in, and the city's would be enormous
PRESETS = ("this_month", "last_month", "this_quarter", "this_year")


@dataclass(frozen=True)
class LedgerPeriod:
    """Local dates, both included."""

    start: date
    end: date

    @property
    def label(self) -> str:
        """``2026年1月1日至2026年12月31日``: the paperwork is Chinese, and keeps the year (bot.date_style)."""
        return date_style.days(self.start, self.end, "zh_CN", year=True)

    @property
    def key(self) -> str:
        """For file names: ``20260101-20261231``."""
        return f"{self.start:%Y%m%d}-{self.end:%Y%m%d}"


def checked_period(start: date, end: date) -> LedgerPeriod:
    """Refuse an inverted period or one longer than three years."""
    if end < start:
        raise InvalidInput(N_("The period ends before it starts."))
    try:
        limit = start.replace(year=start.year + MAX_YEARS)
    except ValueError:  # 29 February
        limit = start.replace(year=start.year + MAX_YEARS, day=28)
    if end >= limit:
        raise InvalidInput(N_("A ledger covers at most %(years)d years."), years=MAX_YEARS)
    return LedgerPeriod(start, end)


def parse_period(start_text: str, end_text: str, today: date) -> LedgerPeriod:
    """Two typed dates as :func:`bot.dates.parse_date` reads them (``2026-01-05``, ``2026/1/5``, ``2026年1月5日``,
    ``1月5日``; a day without a year is the last such day: a ledger looks back)."""
    start, end = try_date(start_text, today, prefer="past"), try_date(end_text, today, prefer="past")
    if start is None or end is None:
        raise InvalidInput(N_("Write the period as two dates, for example 2026-01-01 2026-03-31."))
    return checked_period(start, end)


def preset(name: str, today: date) -> LedgerPeriod:
    """This month, last month, this quarter, this year (to its end)."""
    if name == "this_month":
        pr = period_range(Period.MONTH, today)
    elif name == "last_month":
        pr = period_range(Period.MONTH, today.replace(day=1) - timedelta(days=1))
    elif name == "this_quarter":
        pr = period_range(Period.QUARTER, today)
    elif name == "this_year":
        pr = period_range(Period.YEAR, today)
    else:
        raise InvalidInput(N_("This button is out of date. Send /ledger again."))
    return LedgerPeriod(pr.start, pr.end)


async def org_by_ref(session: AsyncSession, ref: str) -> Organisation:
    """An organisation by code or id."""
    org = await queries.org_by_ref(session, ref)
    if org is None:
        raise NotFound(N_("No such organisation."))
    return org


async def org_for(session: AsyncSession, actor: Actor | None, org: Organisation) -> Organisation:
    """Refuse an organisation outside the caller's reach: a secretary's branch, an administrator's subtree
    (``actor`` None is the operator at the command line, who may see everything). Party groups are not
    ledgered on their own."""
    if org.kind == OrgKind.PARTY_GROUP:
        raise InvalidInput(N_("A ledger is made for a branch, a unit or the working committee, not a Party group."))
    if actor is None:
        return org
    if actor.is_admin and org.id in await queries.subtree_ids(session, actor.org_id):
        return org
    if actor.leads_branch and org.id == actor.org_id:
        return org
    raise PermissionDenied(N_("This organisation is outside what you look after."))
