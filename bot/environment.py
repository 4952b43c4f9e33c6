"""The service environment: what every service needs from the settings, built in one place.

A service takes ``env: ServiceEnv`` instead of ``settings``, a feature config or a ``tz=`` default, so "today",
"this month", the default language and working hours mean the same everywhere and follow ``TIMEZONE``::

    env = ServiceEnv.from_settings(settings)          # once, at start-up (application, CLI, console)
    env.today()                                        # the local date in TIMEZONE (time-machine freezes it)
    env.is_working_time(moment)                        # a workday (holidays and 调休 included) within WORK_HOURS
    env.calendar.add_workdays(day, 5)                  # a due date five working days on

Working days follow China's public holidays and make-up workdays (调休) from the ``chinese-calendar`` package,
which publishes each year's schedule once the State Council announces it (usually in November for the next
year). For a year it does not know yet, Monday to Friday are working days and a warning is logged once per
year, so nothing stops working on 1 January of an unannounced year.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot import clock
from bot.i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

WEEKDAYS = frozenset(range(5))  # Monday … Friday: the rule outside the official schedule


@dataclass(frozen=True)
class Schedule:
    """An official schedule: its days off on weekdays (法定节假日), its working weekend days (调休), and the years
    it covers."""

    holidays: frozenset[date]
    workdays: frozenset[date]
    years: frozenset[int]


def chinese_schedule() -> Schedule:
    """The schedule the ``chinese-calendar`` package knows (its years are those with any entry)."""
    import chinese_calendar

    holidays = frozenset(chinese_calendar.holidays)
    workdays = frozenset(chinese_calendar.workdays)
    # The package covers the years from its first listed holiday to its last (2004–2026 in 1.11.0) and refuses
    # any other; each new year's schedule comes in a new release.
    listed = [d.year for d in holidays]
    years = frozenset(range(min(listed), max(listed) + 1)) if listed else frozenset()
    weekday_holidays = frozenset(d for d in holidays if d.weekday() in WEEKDAYS)
    weekend_workdays = frozenset(d for d in workdays if d.weekday() not in WEEKDAYS)
    return Schedule(weekday_holidays, weekend_workdays, years)


class WorkCalendar:
    """Working days: the official schedule where it is known, Monday to Friday elsewhere."""

    def __init__(self, schedule: Schedule | None = None) -> None:
        self.schedule = schedule if schedule is not None else chinese_schedule()
        self._warned: set[int] = set()
        self._lock = threading.Lock()

    def covers(self, day: date) -> bool:
        """Whether the official schedule of ``day``'s year is known."""
        return day.year in self.schedule.years

    def is_workday(self, day: date) -> bool:
        """A working day: a weekday that is not a public holiday, or a weekend day made a working day (调休)."""
        if not self.covers(day):
            self._warn_once(day.year)
            return day.weekday() in WEEKDAYS
        if day in self.schedule.workdays:
            return True
        return day.weekday() in WEEKDAYS and day not in self.schedule.holidays

    def is_holiday(self, day: date) -> bool:
        """Not a working day (a weekend or a public holiday)."""
        return not self.is_workday(day)

    def next_workday(self, day: date) -> date:
        """The first working day after ``day`` (never ``day`` itself)."""
        current = day + timedelta(days=1)
        while not self.is_workday(current):
            current += timedelta(days=1)
        return current

    def workday_on_or_after(self, day: date) -> date:
        """``day`` when it is a working day, else the next one."""
        return day if self.is_workday(day) else self.next_workday(day)

    def add_workdays(self, day: date, n: int) -> date:
        """The day ``n`` working days after ``day`` (before it when ``n`` is negative); ``day`` itself for 0.

        Counting starts the day after ``day``: five working days from Friday 25 September 2026 (itself the
        Mid-Autumn holiday) is Friday 9 October 2026, past the National Day holiday of 1–7 October.
        """
        step = timedelta(days=1 if n >= 0 else -1)
        current, left = day, abs(n)
        while left:
            current += step
            if self.is_workday(current):
                left -= 1
        return current

    def workdays_between(self, start: date, end: date) -> int:
        """Working days in ``[start, end)``."""
        count, current = 0, start
        while current < end:
            count += self.is_workday(current)
            current += timedelta(days=1)
        return count

    def _warn_once(self, year: int) -> None:
        with self._lock:
            if year in self._warned:
                return
            self._warned.add(year)
        log.warning(
            "the public holidays of %d are not known (chinese-calendar covers %s); counting Monday to Friday as "
            "working days — upgrade chinese-calendar once the State Council publishes the year's schedule",
            year,
            _years_text(self.schedule.years),
        )


def _years_text(years: Iterable[int]) -> str:
    ordered = sorted(years)
    return f"{ordered[0]}–{ordered[-1]}" if ordered else "no year"


_DEFAULT_CALENDAR: WorkCalendar | None = None


def default_calendar() -> WorkCalendar:
    """One shared calendar per process (its tables are read once)."""
    global _DEFAULT_CALENDAR
    if _DEFAULT_CALENDAR is None:
        _DEFAULT_CALENDAR = WorkCalendar()
    return _DEFAULT_CALENDAR


def parse_work_hours(text: str) -> tuple[time, time]:
    """``"09:00-18:00"`` → (09:00, 18:00) (the setting's shape is checked by the settings)."""
    start, end = text.split("-")
    return time.fromisoformat(start), time.fromisoformat(end)


@dataclass(frozen=True)
class ServiceEnv:
    """Time zone, default language, bot name, clock and working calendar, the same for every service."""

    tz: ZoneInfo = field(default_factory=lambda: clock.DEFAULT_TZ)
    default_locale: str = DEFAULT_LOCALE
    bot_username: str | None = None
    work_start: time = time(9)
    work_end: time = time(18)
    calendar: WorkCalendar = field(default_factory=default_calendar, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.default_locale not in SUPPORTED_LOCALES:
            raise ValueError(f"unsupported default locale {self.default_locale!r}")
        if self.work_start >= self.work_end:
            raise ValueError("the working day must end after it starts")

    @classmethod
    def from_settings(
        cls, settings: Settings, *, bot_username: str | None = None, calendar: WorkCalendar | None = None
    ) -> ServiceEnv:
        """The environment of a running bot or a CLI call; ``bot_username`` (from Telegram) wins over the setting."""
        start, end = parse_work_hours(settings.WORK_HOURS)
        return cls(
            tz=settings.tz,
            default_locale=settings.DEFAULT_LOCALE,
            bot_username=bot_username or settings.BOT_USERNAME,
            work_start=start,
            work_end=end,
            calendar=calendar or default_calendar(),
        )

    # --- the clock (bot.clock underneath, so tests freeze it with time-machine) --------------------------------

    def now(self) -> datetime:
        """Now, UTC-aware."""
        return clock.now_utc()

    def local_now(self) -> datetime:
        """Now in the configured zone."""
        return clock.now_utc().astimezone(self.tz)

    def today(self) -> date:
        """Today's date in the configured zone."""
        return clock.today(self.tz)

    def local(self, moment: datetime) -> datetime:
        """``moment`` in the configured zone (a naive value is taken as already local)."""
        return moment.replace(tzinfo=self.tz) if moment.tzinfo is None else moment.astimezone(self.tz)

    def at(self, day: date, when: time) -> datetime:
        """The UTC instant of local ``day`` at ``when``."""
        return datetime.combine(day, when, tzinfo=self.tz).astimezone(UTC)

    def day_start(self, day: date) -> datetime:
        """The UTC instant at which local ``day`` begins."""
        return clock.local_midnight_utc(day, self.tz)

    def day_end(self, day: date) -> datetime:
        """The UTC instant at which local ``day`` ends (the next local midnight)."""
        return clock.end_of_local_day_utc(day, self.tz)

    # --- working days and hours -----------------------------------------------------------------------------

    def is_workday(self, day: date) -> bool:
        """See :meth:`WorkCalendar.is_workday`."""
        return self.calendar.is_workday(day)

    def next_workday(self, day: date) -> date:
        """See :meth:`WorkCalendar.next_workday`."""
        return self.calendar.next_workday(day)

    def add_workdays(self, day: date, n: int) -> date:
        """See :meth:`WorkCalendar.add_workdays`."""
        return self.calendar.add_workdays(day, n)

    def is_working_time(self, moment: datetime) -> bool:
        """Within ``WORK_HOURS`` (start included, end excluded) of a working day, in the configured zone."""
        local = self.local(moment)
        return self.calendar.is_workday(local.date()) and self.work_start <= local.time() < self.work_end

    def outside_work_seconds(self, start: datetime, end: datetime) -> float:
        """Seconds of ``[start, end)`` outside working hours of working days (for "served outside work")."""
        if end <= start:
            return 0.0
        start, end = self.local(start), self.local(end)
        inside = 0.0
        day = start.date()
        while day <= end.date():
            if self.calendar.is_workday(day):
                work_start = datetime.combine(day, self.work_start, tzinfo=self.tz)
                work_end = datetime.combine(day, self.work_end, tzinfo=self.tz)
                inside += max(0.0, (min(end, work_end) - max(start, work_start)).total_seconds())
            day += timedelta(days=1)
        return (end - start).total_seconds() - inside
