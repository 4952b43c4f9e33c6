"""Time arithmetic of volunteer service: working hours, the share served outside them, periods, typed times.

Measure 22 asks members to serve "outside the eight working hours". Working hours are a daily span on
weekdays (Monday to Friday), in the configured zone; service that crosses the boundary counts exactly the
part outside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from babel import Locale
from babel.numbers import format_decimal

from bot.clock import DEFAULT_TZ, local_midnight_utc
from bot.dates import try_date
from bot.environment import ServiceEnv, WorkCalendar, default_calendar, parse_work_hours
from bot.errors import InvalidInput
from bot.i18n import DEFAULT_LOCALE, N_

if TYPE_CHECKING:
    from bot.config import Settings


@dataclass(frozen=True)
class VolunteerConfig:
    """The settings the volunteer services need, so that they do not depend on the whole Settings."""

    tz: ZoneInfo = DEFAULT_TZ
    work_start: time = time(9)
    work_end: time = time(18)
    radius_m: int = 300
    photo_max_bytes: int = 10 * 1024 * 1024
    reminder_hour: int = 18
    default_locale: str = DEFAULT_LOCALE
    bot_username: str = "branch_assistant_bot"
    # The China working-day calendar (public holidays off, make-up workdays 调休 on): "outside working hours"
    # is decided by bot.environment, the same for every feature.
    calendar: WorkCalendar = field(default_factory=default_calendar, compare=False, repr=False)

    @property
    def env(self) -> ServiceEnv:
        """The shared service environment these settings describe."""
        return ServiceEnv(
            tz=self.tz,
            default_locale=self.default_locale,
            bot_username=self.bot_username,
            work_start=self.work_start,
            work_end=self.work_end,
            calendar=self.calendar,
        )

    @classmethod
    def from_settings(cls, settings: Settings, bot_username: str | None = None) -> VolunteerConfig:
        """The configuration of a running bot or a CLI call."""
        start, end = parse_work_hours(settings.WORK_HOURS)
        return cls(
            tz=settings.tz,
            work_start=start,
            work_end=end,
            radius_m=settings.VOLUNTEER_RADIUS_M,
            photo_max_bytes=int(settings.VOLUNTEER_PHOTO_MAX_MB * 1024 * 1024),
            reminder_hour=settings.VOLUNTEER_REMINDER_HOUR,
            default_locale=settings.DEFAULT_LOCALE,
            bot_username=bot_username or settings.BOT_USERNAME or "branch_assistant_bot",
        )


def outside_work_seconds(start: datetime, end: datetime, cfg: VolunteerConfig) -> float:
    """Seconds of ``[start, end)`` that fall outside working hours of working days (China's calendar: a public
    holiday counts as outside, a make-up workday as a workday)."""
    return cfg.env.outside_work_seconds(start, end)


def span_minutes(start: datetime, end: datetime, cfg: VolunteerConfig) -> tuple[int, int]:
    """``(minutes, outside_minutes)`` of a span; whole minutes, the outside part never above the total."""
    if end <= start:
        return 0, 0
    minutes = int((end - start).total_seconds() // 60)
    outside = round(outside_work_seconds(start, end, cfg) / 60)
    return minutes, min(minutes, outside)


def day_minutes_outside(day: date, minutes: int, cfg: VolunteerConfig) -> int:
    """Outside-work minutes of service reported as hours only: a rest day counts whole, a workday none,
    since nothing says when it was done (members are asked for start and end to get it counted)."""
    return 0 if cfg.env.is_workday(day) else minutes


# Periods ----------------------------------------------------------------------------------------------


class Period:
    """Names of the periods totals are computed for."""

    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    ALL = (MONTH, QUARTER, YEAR)


def period_bounds(period: str, day: date) -> tuple[date, date]:
    """First day and the day after the last of the month, quarter or year holding ``day``."""
    if period == Period.MONTH:
        first = day.replace(day=1)
        following = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    elif period == Period.QUARTER:
        month = 3 * ((day.month - 1) // 3) + 1
        first = date(day.year, month, 1)
        following = date(day.year + (month == 10), (month + 2) % 12 + 1, 1)
    elif period == Period.YEAR:
        first, following = date(day.year, 1, 1), date(day.year + 1, 1, 1)
    else:
        raise InvalidInput(N_("Unknown period %(period)s (use month, quarter or year)."), period=period)
    return first, following


def utc_bounds(first: date, following: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants at which a local date range begins and ends."""
    return local_midnight_utc(first, tz), local_midnight_utc(following, tz)


# Typed input ------------------------------------------------------------------------------------------

_DATE = r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
_TIME = r"(\d{1,2})[:：](\d{2})"
_SPAN = re.compile(rf"^\s*{_DATE}\s+{_TIME}\s*(?:-|–|—|~|到|至)\s*(?:{_DATE}\s+)?{_TIME}\s*$")
_MOMENT = re.compile(rf"^\s*{_DATE}\s+{_TIME}\s*$")
_CLOCK_SPAN = re.compile(rf"^\s*{_TIME}\s*(?:-|–|—|~|到|至)\s*{_TIME}\s*$")


def _local(tz: ZoneInfo, year: str, month: str, day: str, hour: str, minute: str) -> datetime:
    try:
        return datetime(int(year), int(month), int(day), int(hour), int(minute), tzinfo=tz).astimezone(UTC)
    except ValueError:
        raise InvalidInput(N_("That is not a valid date and time.")) from None


def parse_moment(text: str, tz: ZoneInfo) -> datetime:
    """``"2026-06-01 09:00"`` (local) → a UTC datetime."""
    match = _MOMENT.match(text)
    if match is None:
        raise InvalidInput(N_("Write the day and the time, for example 2026-06-01 09:00."))
    return _local(tz, *match.groups())


def parse_span(text: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """``"2026-06-01 09:00-11:30"`` or ``"2026-06-01 09:00 - 2026-06-02 11:30"`` → (start, end) in UTC."""
    match = _SPAN.match(text)
    if match is None:
        raise InvalidInput(N_("Write the day and the start and end times, for example 2026-06-01 09:00-11:30."))
    groups = match.groups()
    start = _local(tz, *groups[0:5])
    end_date = groups[5:8] if groups[5] is not None else groups[0:3]  # no end date: the same day
    end = _local(tz, *end_date, *groups[8:10])
    if end <= start:
        raise InvalidInput(N_("The end must come after the start."))
    return start, end


def parse_clock_span(text: str, day: date, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    """``"19:00-21:30"`` on ``day`` → (start, end) in UTC; None when the text is not a clock span."""
    match = _CLOCK_SPAN.match(text)
    if match is None:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    try:
        start = datetime.combine(day, time(h1, m1), tzinfo=tz)
        end = datetime.combine(day, time(h2, m2), tzinfo=tz)
    except ValueError:
        raise InvalidInput(N_("That is not a valid time of day.")) from None
    if end <= start:
        raise InvalidInput(N_("The end must come after the start."))
    return start.astimezone(UTC), end.astimezone(UTC)


def parse_hours(text: str) -> float:
    """``"2"``, ``"2.5"``, ``"2,5"``, ``"2.5小时"`` → 2.5; raises InvalidInput for anything else."""
    cleaned = text.strip().lower().replace(",", ".").replace("，", ".")
    for suffix in ("小时", "个小时", "hours", "hour", "hrs", "h"):
        cleaned = cleaned.removesuffix(suffix).strip()
    try:
        value = float(cleaned)
    except ValueError:
        raise InvalidInput(
            N_("Write the hours as a number (for example 2.5) or the start and end (for example 19:00-21:30).")
        ) from None
    if value != value or value in (float("inf"), float("-inf")):  # NaN and infinities
        raise InvalidInput(
            N_("Write the hours as a number (for example 2.5) or the start and end (for example 19:00-21:30).")
        )
    return value


def parse_day(text: str, today: date) -> date:
    """``"2026-05-01"``, ``"5月1日"``-free forms, ``"today"``/``"今天"``, ``"yesterday"``/``"昨天"``."""
    cleaned = text.strip().lower()
    if cleaned in ("today", "今天", "今日"):
        return today
    if cleaned in ("yesterday", "昨天", "昨日"):
        return today - timedelta(days=1)
    if cleaned in ("前天",):
        return today - timedelta(days=2)
    match = re.fullmatch(_DATE, cleaned)
    if match is None:
        # "12月1日", "周一", "12/1": the one parser of dates, leaning to the past (service already done).
        found = try_date(text, today, prefer="past")
        if found is None:
            raise InvalidInput(N_("I could not read that date; try “yesterday”, “1 Dec” or 2026-12-01."))
        return found
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise InvalidInput(N_("That is not a valid date.")) from None


def hours_of(minutes: int | None) -> float:
    """Minutes as hours, to two decimals (what reports and JSON show)."""
    return round((minutes or 0) / 60, 2)


def hours_text(minutes: int | None, locale: str) -> str:
    """Hours for people to read, in their locale: 1.5, 12, 0.25."""
    return format_decimal(hours_of(minutes), locale=Locale.parse(locale))
