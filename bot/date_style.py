"""One date style per locale (issue 12): how a day, a moment, a span and a period read everywhere.

Chat screens, ledgers and the CLI's text output all format dates here, so a date reads the same wherever a
person meets it:

================  ============================  ==========================
what              zh_CN                         en
================  ============================  ==========================
:func:`day`       12月4日（周五）               Fri 4 Dec
… other year      2025年12月4日（周五）         Fri 4 Dec 2025
:func:`moment`    12月4日（周五）14:30          Fri 4 Dec, 14:30
:func:`span`      12月4日（周五）14:30–16:00    Fri 4 Dec, 14:30–16:00
:func:`period`    2026年第四季度 / 2026年12月   Q4 2026 / December 2026
================  ============================  ==========================

The year is shown only when it is not this year (``today`` in the configured zone, read from
:mod:`bot.clock` so frozen clocks in tests apply), unless ``year=True`` asks for it (ledgers, records that
outlive the year). Times are 24-hour in both languages. Parsing what people type is :mod:`bot.dates`' job.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from babel.dates import format_date

from bot import clock
from bot.i18n import normalize_locale, translator

if TYPE_CHECKING:  # bot.dates raises bot.errors, whose messages write dates here: the types only, no cycle
    from bot.dates import Period

# Babel patterns per locale: (without year, with year); the weekday is added by ``weekday=True``.
_DAY_PATTERNS: dict[str, tuple[str, str]] = {
    "zh_CN": ("M月d日", "y年M月d日"),
    "en": ("d MMM", "d MMM y"),
}
_CN_QUARTERS = ("一", "二", "三", "四")


def _lang(locale: str) -> str:
    return "zh_CN" if normalize_locale(locale).startswith("zh") else "en"


def _local_date(value: date | datetime, tz: ZoneInfo | None) -> date:
    if isinstance(value, datetime):
        return value.astimezone(tz or clock.DEFAULT_TZ).date()
    return value


def _shows_year(value: date, year: bool | None, tz: ZoneInfo | None, today: date | None) -> bool:
    if year is not None:
        return year
    return value.year != (today or clock.today(tz or clock.DEFAULT_TZ)).year


def day(
    value: date | datetime,
    locale: str,
    *,
    tz: ZoneInfo | None = None,
    weekday: bool = True,
    year: bool | None = None,
    today: date | None = None,
) -> str:
    """``12月4日（周五）`` / ``Fri 4 Dec``; with the year when it is not this year (or ``year=True``)."""
    local = _local_date(value, tz)
    return _day(local, locale, weekday, _shows_year(local, year, tz, today))


@lru_cache(maxsize=4096)
def _day(local: date, locale: str, weekday: bool, with_year: bool) -> str:
    """The formatted day, remembered: a year's screen or ledger writes the same few hundred days over and over,
    and Babel takes tens of microseconds a call."""
    lang = _lang(locale)
    pattern = _DAY_PATTERNS[lang][1 if with_year else 0]
    babel_locale = translator(locale).babel_locale
    text = format_date(local, pattern, locale=babel_locale)
    if not weekday:
        return text
    name = format_date(local, "EEE", locale=babel_locale)
    return f"{text}（{name}）" if lang == "zh_CN" else f"{name} {text}"


def clock_time(value: datetime, tz: ZoneInfo | None = None) -> str:
    """``14:30`` in the configured zone."""
    return value.astimezone(tz or clock.DEFAULT_TZ).strftime("%H:%M")


def moment(
    value: datetime,
    locale: str,
    *,
    tz: ZoneInfo | None = None,
    weekday: bool = True,
    year: bool | None = None,
    today: date | None = None,
) -> str:
    """``12月4日（周五）14:30`` / ``Fri 4 Dec, 14:30``."""
    text = day(value, locale, tz=tz, weekday=weekday, year=year, today=today)
    # Chinese runs the time on without a space (no space next to a Chinese character); English uses a comma.
    separator = "" if _lang(locale) == "zh_CN" else ", "
    return f"{text}{separator}{clock_time(value, tz)}"


def span(
    start: datetime,
    end: datetime | None,
    locale: str,
    *,
    tz: ZoneInfo | None = None,
    weekday: bool = True,
    year: bool | None = None,
    today: date | None = None,
) -> str:
    """``12月4日（周五）14:30–16:00``; across days ``12月4日（周五）14:30至12月5日（周六）11:30``."""
    first = moment(start, locale, tz=tz, weekday=weekday, year=year, today=today)
    if end is None:
        return first
    if _local_date(start, tz) == _local_date(end, tz):
        return f"{first}–{clock_time(end, tz)}"
    last = moment(end, locale, tz=tz, weekday=weekday, year=year, today=today)
    return f"{first}至{last}" if _lang(locale) == "zh_CN" else f"{first} – {last}"


def days(first: date, last: date, locale: str, *, year: bool | None = None, today: date | None = None) -> str:
    """A run of whole days: ``12月1日至12月7日`` / ``1 Dec – 7 Dec`` (one day reads as that day)."""
    if first == last:
        return day(first, locale, weekday=False, year=year, today=today)
    show_year = year if year is not None else (first.year != last.year or _shows_year(first, None, None, today))
    a = day(first, locale, weekday=False, year=show_year)
    b = day(last, locale, weekday=False, year=show_year)
    return f"{a}至{b}" if _lang(locale) == "zh_CN" else f"{a} – {b}"


def month(year: int, month_number: int, locale: str) -> str:
    """``2026年12月`` / ``December 2026``."""
    value = date(year, month_number, 1)
    if _lang(locale) == "zh_CN":
        return f"{year}年{month_number}月"
    return format_date(value, "LLLL y", locale=translator(locale).babel_locale)


def quarter(year: int, quarter_number: int, locale: str) -> str:
    """``2026年第四季度`` / ``Q4 2026``."""
    if _lang(locale) == "zh_CN":
        return f"{year}年第{_CN_QUARTERS[quarter_number - 1]}季度"
    return f"Q{quarter_number} {year}"


def year_name(year: int, locale: str) -> str:
    """``2026年`` / ``2026``."""
    return f"{year}年" if _lang(locale) == "zh_CN" else str(year)


def period(value: Period, locale: str, *, today: date | None = None) -> str:
    """A period as people say it: ``2026年第四季度``, ``2026年12月``, ``2026年``, ``12月1日至12月7日``."""
    # PeriodKind is a StrEnum: compared by value, so this module need not import bot.dates
    if value.kind == "month":
        return month(value.start.year, value.start.month, locale)
    if value.kind == "quarter":
        return quarter(value.start.year, (value.start.month - 1) // 3 + 1, locale)
    if value.kind == "year":
        return year_name(value.start.year, locale)
    if value.kind == "day":
        return day(value.start, locale, today=today)
    return days(value.start, value.end, locale, today=today)


def install_filters(filters: dict[str, object], locale: str) -> None:
    """Jinja2 filters for templates of ``locale``: ``day``, ``moment``, ``span``, ``days``, ``period``, ``clock``.

    Datetimes need the zone: ``{{ meeting.starts_at|moment(tz) }}``.
    """
    filters["day"] = lambda value, tz=None, weekday=True, year=None: day(
        value, locale, tz=tz, weekday=weekday, year=year
    )
    filters["moment"] = lambda value, tz=None, weekday=True, year=None: moment(
        value, locale, tz=tz, weekday=weekday, year=year
    )
    filters["span"] = lambda start, end=None, tz=None: span(start, end, locale, tz=tz)
    filters["days"] = lambda first, last, year=None: days(first, last, locale, year=year)
    filters["period"] = lambda value: period(value, locale)
    filters["clock"] = lambda value, tz=None: clock_time(value, tz)
