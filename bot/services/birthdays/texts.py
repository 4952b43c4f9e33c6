"""The feature's texts: labels written for the locale, the rendered greeting, lists and counts, the CLI's lines."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot import date_style
from bot.i18n import N_, translator
from bot.services.birthdays.anniversaries import Birthday
from bot.services.birthdays.branches import BranchCount, BranchMonth
from bot.services.birthdays.buttons import BirthdayAction, BirthdayButton
from bot.templates import render

THEME_REMINDER_DAYS = 7  # the reminder goes out a week before the branch's theme day
MONTH_TEMPLATE = "birthdays/month.html.j2"  # private: the members' names and join dates
COUNTS_TEMPLATE = "birthdays/counts.html.j2"


def month_label(year: int, month: int, locale: str) -> str:
    """2026年11月 / November 2026."""
    return date_style.month(year, month, locale)


def day_label(day: date, locale: str) -> str:
    """11月26日 / 26 Nov: a birthday of the month shown, the year left out (the month heading has it)."""
    return date_style.day(day, locale, weekday=False, year=False)


def render_greeting(birthday: Birthday, locale: str, *, branch_name: str, wish: str | None) -> str:
    """The personal greeting, in ``locale``."""
    return render(
        "birthdays/greeting.html.j2",
        locale,
        member_name=birthday.name,
        joined=birthday.join_date,
        years=birthday.years,
        branch=branch_name,
        wish=wish,
    )


def month_values(
    data: BranchMonth, locale: str, *, reminder_for: date | None = None, days_left: int = THEME_REMINDER_DAYS
) -> dict[str, Any]:
    """The values of a branch's month list (:data:`MONTH_TEMPLATE`) written for ``locale``."""
    return {
        "branch": data.branch_name,
        "month": month_label(data.year, data.month, locale),
        "entries": [(day_label(b.day, locale), b) for b in data.entries],
        "issues": [(i.name, i.describe(locale)) for i in data.issues],
        "theme_day": reminder_for,
        "days_left": days_left,
    }


def render_month(
    data: BranchMonth, locale: str, *, reminder_for: date | None = None, days_left: int = THEME_REMINDER_DAYS
) -> str:
    """A branch's month list; with ``reminder_for``, worded as the reminder ``days_left`` days before that theme day."""
    return render(MONTH_TEMPLATE, locale, **month_values(data, locale, reminder_for=reminder_for, days_left=days_left))


def counts_values(counts: list[BranchCount], year: int, month: int, locale: str) -> dict[str, Any]:
    """The values of an administrator's summary (:data:`COUNTS_TEMPLATE`) written for ``locale``."""
    return {
        "month": month_label(year, month, locale),
        "counts": counts,
        "total": sum(c.birthdays for c in counts),
        "not_reachable": sum(c.not_reachable for c in counts),
        "data_to_fix": sum(c.data_to_fix for c in counts),
    }


def render_counts(counts: list[BranchCount], year: int, month: int, locale: str) -> str:
    """An administrator's summary."""
    return render(COUNTS_TEMPLATE, locale, **counts_values(counts, year, month, locale))


def oath_button(locale: str) -> list[list[tuple[str, str]]]:
    """The greeting's button as rows of (label, data): re-read the oath (重温入党誓词), as branches do on the day.
    The outbox turns them into Bot API markup."""
    label = translator(locale).gettext("Re-read the Party oath")
    return [[(label, BirthdayButton(action=BirthdayAction.OATH).pack())]]


# The CLI's lines, marked here so that they belong to this feature's catalog.
CLI_LINE = N_("%(day)s  %(name)s (%(member)s, %(branch)s)  joined %(joined)s  years: %(years)d")
CLI_NONE_ON_DAY = N_("No political birthdays on %(day)s.")
CLI_NONE_IN_MONTH = N_("No political birthdays in %(month)s.")
CLI_DATA_TO_FIX = N_("Data to fix: %(name)s (%(member)s, %(branch)s): %(problem)s")
CLI_BOTH = N_("Give --date or --month, not both.")
CLI_BAD_DATE = N_("--date must be a date, for example %(example)s.")
CLI_BAD_MONTH = N_("--month must be a month, for example %(example)s.")
