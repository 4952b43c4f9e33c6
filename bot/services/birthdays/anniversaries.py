"""Who has a political birthday when: the anniversary of the join date, and the join dates that give none."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot import date_style
from bot.clock import anniversary
from bot.i18n import N_, translator
from bot.services.roster import FOUNDING_DATE
from storage import birthdays as store


class DateProblem(enum.StrEnum):
    """Why a member's join date cannot give a political birthday: data for the secretary to fix."""

    MISSING = "missing"
    FUTURE = "future"
    BEFORE_FOUNDING = "before_founding"


PROBLEM_MESSAGES: dict[DateProblem, str] = {
    DateProblem.MISSING: N_("no join date is recorded"),
    DateProblem.FUTURE: N_("the join date %(date)s is in the future"),
    DateProblem.BEFORE_FOUNDING: N_("the join date %(date)s is before the Party was founded (1 July 1921)"),
}


def join_date_problem(join_date: date | None, today: date) -> DateProblem | None:
    """What is wrong with a join date, judged on ``today`` (local), or None when it is usable."""
    if join_date is None:
        return DateProblem.MISSING
    if join_date > today:
        return DateProblem.FUTURE
    if join_date < FOUNDING_DATE:
        return DateProblem.BEFORE_FOUNDING
    return None


def political_birthday(join_date: date, year: int) -> date:
    """The member's political birthday in ``year`` (29 February → 28 February in common years)."""
    return anniversary(join_date, year)


def years_in(join_date: date, year: int) -> int:
    """The anniversary counted in ``year``: 入党第 N 周年, N = year - join year."""
    return year - join_date.year


@dataclass(frozen=True)
class Birthday:
    """One member's political birthday in a given year."""

    member_id: int
    member_no: str
    name: str
    org_id: int
    join_date: date
    day: date
    years: int
    telegram_id: int | None
    language: str | None
    blocked: bool  # the bot could not reach them last time (they blocked it, or left Telegram)
    greetings_on: bool

    @property
    def on_telegram(self) -> bool:
        """Bound to a Telegram account."""
        return self.telegram_id is not None

    @property
    def reachable(self) -> bool:
        """A greeting can be expected to arrive."""
        return self.telegram_id is not None and not self.blocked


@dataclass(frozen=True)
class DataIssue:
    """A member whose join date gives no political birthday, and why."""

    member_id: int
    member_no: str
    name: str
    org_id: int
    join_date: date | None
    problem: DateProblem

    def describe(self, locale: str) -> str:
        """The problem in ``locale`` (not escaped: templates escape it)."""
        tr = translator(locale)
        msgid = PROBLEM_MESSAGES[self.problem]
        if self.join_date is None:
            return tr.gettext(msgid)
        return tr.gettext(msgid, date=date_style.day(self.join_date, locale, weekday=False, year=True))


async def birthdays_in_month(
    session: AsyncSession, year: int, month: int, *, today: date, org_ids: set[int] | None = None
) -> list[Birthday]:
    """Political birthdays in ``year``-``month`` of active members (of ``org_ids``), by day then name.

    Members in their first year, and members whose join date is not usable on ``today``, are left out;
    :func:`data_issues` lists the latter.
    """
    members = [
        (m, on)
        for m, on in await store.active_members(session, org_ids, month)
        if m.join_date is not None and join_date_problem(m.join_date, today) is None
    ]
    found = []
    for m, on in members:
        assert m.join_date is not None
        years = years_in(m.join_date, year)
        if years < 1:
            continue
        found.append(
            Birthday(
                member_id=m.id,
                member_no=m.member_no,
                name=m.name,
                org_id=m.org_id,
                join_date=m.join_date,
                day=political_birthday(m.join_date, year),
                years=years,
                telegram_id=m.telegram_id,
                language=m.language,
                blocked=m.unreachable_since is not None,
                greetings_on=on,
            )
        )
    found.sort(key=lambda b: (b.day, b.name, b.member_id))
    return found


async def birthdays_on(
    session: AsyncSession, day: date, *, today: date | None = None, org_ids: set[int] | None = None
) -> list[Birthday]:
    """Political birthdays falling on ``day``."""
    month = await birthdays_in_month(session, day.year, day.month, today=today or day, org_ids=org_ids)
    return [b for b in month if b.day == day]


async def data_issues(session: AsyncSession, *, today: date, org_ids: set[int] | None = None) -> list[DataIssue]:
    """Active members whose join date is missing, in the future, or before the Party was founded."""
    issues = []
    for m in await store.members_with_unusable_join_date(session, org_ids, today, FOUNDING_DATE):
        problem = join_date_problem(m.join_date, today)
        if problem is not None:
            issues.append(DataIssue(m.id, m.member_no, m.name, m.org_id, m.join_date, problem))
    return issues
