"""Time arithmetic of volunteer service: working hours, the share served outside them, periods, typed times.

Measure 22 asks members to serve "outside the eight working hours". Working hours are a daily span on
weekdays (Monday to Friday), in the configured zone; service that crosses the boundary counts exactly the
part outside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from babel import Locale
from babel.numbers import format_decimal

from bot.clock import local_midnight_utc
from bot.dates import END_BEFORE_START, ParseError, When, parse_date, parse_time_range, parse_when
from bot.environment import ServiceEnv
from bot.errors import InvalidInput
from bot.i18n import N_

if TYPE_CHECKING:
    from bot.config import Settings


@dataclass(frozen=True)
class VolunteerConfig:
    """The volunteer service's own knobs. The time zone, default language, working hours and calendar are the
    shared :class:`bot.environment.ServiceEnv`, passed to the services as ``env``."""

    radius_m: int = 300  # an activity's check-in radius when its poster gives none
    photo_max_bytes: int = 10 * 1024 * 1024  # of a self-report's photo
    reminder_hour: int = 18  # the local hour the day-before reminders are sent

    @classmethod
    def from_settings(cls, settings: Settings) -> VolunteerConfig:
        """The knobs of a running bot or a CLI call."""
        return cls(
            radius_m=settings.VOLUNTEER_RADIUS_M,
            photo_max_bytes=int(settings.VOLUNTEER_PHOTO_MAX_MB * 1024 * 1024),
            reminder_hour=settings.VOLUNTEER_REMINDER_HOUR,
        )


def outside_work_seconds(start: datetime, end: datetime, env: ServiceEnv) -> float:
    """Seconds of ``[start, end)`` that fall outside working hours of working days (China's calendar: a public
    holiday counts as outside, a make-up workday as a workday)."""
    return env.outside_work_seconds(start, end)


def span_minutes(start: datetime, end: datetime, env: ServiceEnv) -> tuple[int, int]:
    """``(minutes, outside_minutes)`` of a span; whole minutes, the outside part never above the total."""
    if end <= start:
        return 0, 0
    minutes = int((end - start).total_seconds() // 60)
    outside = round(outside_work_seconds(start, end, env) / 60)
    return minutes, min(minutes, outside)


def day_minutes_outside(day: date, minutes: int, env: ServiceEnv) -> int:
    """Outside-work minutes of service reported as hours only: a rest day counts whole, a workday none,
    since nothing says when it was done (members are asked for start and end to get it counted)."""
    return 0 if env.is_workday(day) else minutes


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
# Dates and times are read by bot.dates, the one parser every feature uses (2026-06-01, 6月1日, 明天, 下周三,
# 9:30, 9点半, 下午2点到4点, …). An activity's day without a year is the next such day; a report's, the last.

BAD_MOMENT = N_("Write the day and the time, for example 2026-06-01 09:00 or 明天上午9点.")
END_FIRST = N_("The end must come after the start.")
BAD_SPAN = N_("Write the day with the start and end times, for example 2026-06-01 09:00-11:30 or 明天上午9点到11点半.")
# Where a span's two moments each carry their day: "2026-06-01 22:00 - 2026-06-02 01:00".
_BETWEEN = re.compile(r"\s*(?:-|–|—|~|～|到|至)\s*")


def _utc(day: date, moment: time, env: ServiceEnv) -> datetime:
    return datetime.combine(day, moment, tzinfo=env.tz).astimezone(UTC)


def _when(text: str, env: ServiceEnv) -> When | None:
    """A day and a time (or time span) for an activity; None when unreadable, the refusal when it ends first."""
    try:
        return parse_when(text, env.today(), prefer="future", time_required=True)
    except ParseError as error:
        if error.msgid == END_BEFORE_START:
            raise InvalidInput(END_FIRST) from None
        return None


def parse_moment(text: str, env: ServiceEnv) -> datetime:
    """``"2026-06-01 09:00"``, ``"明天上午9点"`` (local) → a UTC datetime."""
    when = _when(text, env)
    if when is None or when.start is None or when.end is not None:
        raise InvalidInput(BAD_MOMENT)
    return _utc(when.day, when.start, env)


def parse_span(text: str, env: ServiceEnv) -> tuple[datetime, datetime]:
    """``"2026-06-01 09:00-11:30"``, ``"明天下午2点到4点"`` or ``"2026-06-01 22:00 - 2026-06-02 01:00"`` (local)
    → (start, end) in UTC."""
    when = _when(text, env)
    if when is not None and when.start is not None and when.end is not None:
        return _utc(when.day, when.start, env), _utc(when.day, when.end, env)
    for separator in _BETWEEN.finditer(text):
        first, second = _when(text[: separator.start()], env), _when(text[separator.end() :], env)
        if first is None or second is None or first.start is None or second.start is None:
            continue
        if first.end is not None or second.end is not None:
            continue
        start, end = _utc(first.day, first.start, env), _utc(second.day, second.start, env)
        if end <= start:
            raise InvalidInput(END_FIRST)
        return start, end
    raise InvalidInput(BAD_SPAN)


def parse_clock_span(text: str, day: date, env: ServiceEnv) -> tuple[datetime, datetime] | None:
    """``"19:00-21:30"``, ``"晚上7点到9点半"`` on ``day`` → (start, end) in UTC; None when the text is not a
    span of the day (it may be a number of hours); the refusal when it ends before it starts."""
    try:
        span = parse_time_range(text)
    except ParseError as error:
        if error.msgid == END_BEFORE_START:
            raise InvalidInput(END_FIRST) from None
        return None
    assert span.end is not None
    return _utc(day, span.start, env), _utc(day, span.end, env)


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
    """The day of a self-report: ``"2026-05-01"``, ``"5月1日"``, ``"今天"``, ``"昨天"``, ``"上周五"``… (a day without a
    year is the last such day: service is reported after it was done)."""
    return parse_date(text, today, prefer="past")


def hours_of(minutes: int | None) -> float:
    """Minutes as hours, to two decimals (what reports and JSON show)."""
    return round((minutes or 0) / 60, 2)


def hours_text(minutes: int | None, locale: str) -> str:
    """Hours for people to read, in their locale: 1.5, 12, 0.25."""
    return format_decimal(hours_of(minutes), locale=Locale.parse(locale))
