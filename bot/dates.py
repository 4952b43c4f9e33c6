"""One parser for the dates, times and periods people type, in Chinese and English.

Everything is relative to a local ``today`` the caller passes (``env.today()``), so "明天" and "本月" follow
``TIMEZONE`` and tests need no clock. Each ``parse_*`` returns a typed value or raises :class:`ParseError`, an
:class:`~bot.errors.InvalidInput` whose message tells the person, in their language, how to write it; each
``try_*`` returns None instead.

===============  ==========================================================================================
``parse_date``   2026-12-15, 2026/12/15, 2026.12.15, 2026年12月15日(号), 12-15, 12/15, 12月15日(号), 15号,
                 今天 明天 后天 大后天 昨天 前天, 本周五 这周五 下周三 上周一, 周三 星期三 礼拜三 周日,
                 today tomorrow yesterday, next/this/last Wednesday, Wednesday, Dec 15, 15 December 2026
``parse_time``   9:30 09:30 9：30 1430 9点 9点30(分) 9点半 9点1刻 九点, 上午9点 下午3点 (15:00) 晚上8点 中午1点
                 凌晨2点, 9am 3:30pm noon midnight
``parse_time_range``  14:30-16:00 14:30～16:00 14:30至16:00 2点到4点 下午2点到4点 (14:00–16:00) 2-4pm
``parse_period`` 本月 上月 下月 本季度 上季度 下季度 今年 去年 明年 本周 上周 下周, 2026年 2026-12 2026/12
                 2026年12月 12月, 2026年第四季度 2026年4季度 2026-Q4 2026Q4 Q4 第四季度,
                 2026-01-01~2026-06-30, this/last/next month|quarter|year|week, December 2026
``parse_when``   a date then, optionally, a time or a time range: 明天下午3点, 2026-12-15 14:30-16:00, 下周三 9点半
===============  ==========================================================================================

Full-width digits and punctuation are read as ASCII, and Chinese numerals (一 … 三十一, 二〇二六) as digits.

**Dates without a year** (``12月15日``, ``周三``, ``15号``, ``Q4``, ``12月``): ``prefer`` decides which one is
meant — ``"future"``: today or the next such day (scheduling: 12月15日 typed on 20 December is next year's);
``"past"``: today or the last such day (reporting service done, recording a meeting after the fact);
``"nearest"`` (the default, what ``/newmeeting`` did): whichever is closest to today. ``本周/下周/上周 X`` name
a day of the current / next / previous calendar week (Monday to Sunday) whatever ``prefer`` says, and English
``next Wednesday`` means 下周三 (the Wednesday of next week), ``this Wednesday`` 本周三.

**Times** are literal unless marked: ``2点到4点`` is 02:00–04:00, ``下午2点到4点`` 14:00–16:00 (a marker on the
start carries to the end; ``2-4pm`` carries back). ``下午/晚上/傍晚/pm`` add 12 hours to hours before 12,
``中午`` to hours before 6; ``凌晨/am`` make 12 o'clock 0.

Every feature and the command line read typed dates through it (``tests/test_architecture.py``); their own
wrappers (volunteer ``timing``, ``/attendance``, points, ledger and birthday periods) only narrow what they take.
A roster file's cells are the exception: ``bot.services.tabular.parse_date`` wants the full date a file has.
"""

from __future__ import annotations

import calendar
import enum
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo

from bot.errors import InvalidInput
from bot.i18n import N_

Prefer = Literal["future", "past", "nearest"]
MIN_YEAR, MAX_YEAR = 1900, 2200  # outside this a four-digit number is not a year anyone means

BAD_DATE = N_("I could not read the date %(text)s. Write it like 2026-12-15, 12月15日 or 明天.")
NO_SUCH_DAY = N_("There is no such day: %(text)s.")
BAD_TIME = N_("I could not read the time %(text)s. Write it like 14:30, 9点半 or 下午3点.")
BAD_RANGE = N_("I could not read the time span %(text)s. Write it like 14:30-16:00.")
END_BEFORE_START = N_("The end (%(end)s) must come after the start (%(start)s).")
BAD_PERIOD = N_("I could not read the period %(text)s. Write it like 本月, 2026年第四季度, 2026-12 or 2026年.")
BAD_WHEN = N_("I could not read %(text)s. Write the day and the time like 2026-12-15 14:30 or 明天下午3点.")


class ParseError(InvalidInput):
    """What was typed is not a date, time or period this parser reads; the message says how to write it."""


def _fail(msgid: str, text: str) -> ParseError:
    return ParseError(msgid, text=text.strip()[:40])


# --- results ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeRange:
    """A span of the day; ``end`` is None when only the start was given (``parse_time_range(…, open_end=True)``)."""

    start: time
    end: time | None = None


class PeriodKind(enum.StrEnum):
    """How a period was named."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    RANGE = "range"


@dataclass(frozen=True)
class Period:
    """A span of whole days, ``start`` to ``end`` inclusive."""

    kind: PeriodKind
    start: date
    end: date

    @property
    def key(self) -> str:
        """A stable name: ``2026-12-15``, ``2026-W51``, ``2026-12``, ``2026-Q4``, ``2026`` or
        ``2026-01-01..2026-06-30``."""
        if self.kind is PeriodKind.DAY:
            return self.start.isoformat()
        if self.kind is PeriodKind.WEEK:
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind is PeriodKind.MONTH:
            return f"{self.start:%Y-%m}"
        if self.kind is PeriodKind.QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind is PeriodKind.YEAR:
            return str(self.start.year)
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def days(self) -> int:
        """How many days it spans."""
        return (self.end - self.start).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


@dataclass(frozen=True)
class When:
    """A day with, optionally, a start time and an end time."""

    day: date
    start: time | None = None
    end: time | None = None

    def starts_at(self, tz: ZoneInfo) -> datetime | None:
        """The start as an aware datetime in ``tz`` (None without a time)."""
        return None if self.start is None else datetime.combine(self.day, self.start, tzinfo=tz)

    def ends_at(self, tz: ZoneInfo) -> datetime | None:
        """The end as an aware datetime in ``tz`` (None without one)."""
        return None if self.end is None else datetime.combine(self.day, self.end, tzinfo=tz)


def month_period(year: int, month: int) -> Period:
    """The calendar month."""
    return Period(PeriodKind.MONTH, date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))


def quarter_period(year: int, quarter: int) -> Period:
    """The calendar quarter (1–4)."""
    first = 3 * (quarter - 1) + 1
    return Period(PeriodKind.QUARTER, date(year, first, 1), month_period(year, first + 2).end)


def year_period(year: int) -> Period:
    """The calendar year."""
    return Period(PeriodKind.YEAR, date(year, 1, 1), date(year, 12, 31))


def week_period(day: date) -> Period:
    """The calendar week (Monday to Sunday) holding ``day``."""
    monday = day - timedelta(days=day.weekday())
    return Period(PeriodKind.WEEK, monday, monday + timedelta(days=6))


# --- normalising what was typed ---------------------------------------------------------------------------

_CN_DIGITS = {ch: i for i, ch in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十]+")


def _cn_to_int(text: str) -> str:
    if "十" in text:
        tens, _, units = text.partition("十")
        if "十" in units or len(tens) > 1 or len(units) > 1:
            return text  # not a number up to 99: leave it for the patterns to refuse
        return str(_CN_DIGITS.get(tens, 1) * 10 + (_CN_DIGITS[units] if units else 0))
    return "".join(str(_CN_DIGITS[ch]) for ch in text)


def normalize(text: str) -> str:
    """Full-width to ASCII, Chinese numerals to digits, lower case, single spaces."""
    value = unicodedata.normalize("NFKC", text or "").strip().lower()
    value = value.replace("—", "-").replace("–", "-").replace("〜", "~")
    value = _CN_NUMBER.sub(lambda m: _cn_to_int(m.group(0)), value)
    return re.sub(r"\s+", " ", value)


T = TypeVar("T")


def _pick(candidates: list[date], today: date, prefer: Prefer) -> date:
    """Among the valid candidates, the one ``prefer`` means."""
    if prefer == "future":
        later = [d for d in candidates if d >= today]
        return min(later) if later else max(candidates)
    if prefer == "past":
        earlier = [d for d in candidates if d <= today]
        return max(earlier) if earlier else min(candidates)
    return min(candidates, key=lambda d: (abs((d - today).days), d))


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


# --- dates ------------------------------------------------------------------------------------------------

_RELATIVE_DAYS = {
    "今天": 0,
    "今日": 0,
    "today": 0,
    "明天": 1,
    "明日": 1,
    "tomorrow": 1,
    "后天": 2,
    "the day after tomorrow": 2,
    "大后天": 3,
    "昨天": -1,
    "昨日": -1,
    "yesterday": -1,
    "前天": -2,
    "the day before yesterday": -2,
}
_WEEK_SHIFT = {"上上": -2, "上": -1, "本": 0, "这": 0, "今": 0, "下": 1, "下下": 2}
_EN_WEEK_SHIFT = {"last": -1, "this": 0, "next": 1}
_EN_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_EN_MONTHS = ("january", "february", "march", "april", "may", "june",
              "july", "august", "september", "october", "november", "december")  # fmt: skip
# A day or month is its full name or its usual abbreviation (not any word starting like one: "month").
_EN_WEEKDAY_WORDS = {
    **{name: i for i, name in enumerate(_EN_WEEKDAYS)},
    **{name[:3]: i for i, name in enumerate(_EN_WEEKDAYS)},
    **{"tues": 1, "weds": 2, "thur": 3, "thurs": 3},
}
_EN_MONTH_WORDS = {
    **{name: i + 1 for i, name in enumerate(_EN_MONTHS)},
    **{name[:3]: i + 1 for i, name in enumerate(_EN_MONTHS)},
    "sept": 9,
}

_ZH_WEEKDAY = re.compile(r"^(上上|下下|上|本|这|今|下)?(?:个)?(?:周|星期|礼拜)([1-7日天])$")
_EN_WEEKDAY = re.compile(r"^(?:(last|this|next) )?([a-z]+)\.?$")
_FULL = re.compile(r"^(\d{4}) ?[-/.年] ?(\d{1,2}) ?[-/.月] ?(\d{1,2}) ?[日号]?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_SHORT = re.compile(r"^(\d{1,2}) ?[-/.月] ?(\d{1,2}) ?[日号]?$")
_DAY_ONLY = re.compile(r"^(\d{1,2}) ?[日号]$")
_EN_MONTH_DAY = re.compile(r"^([a-z]+)\.? (\d{1,2})(?:st|nd|rd|th)?(?:,? (\d{4}))?$")
_EN_DAY_MONTH = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)? (?:of )?([a-z]+)\.?(?:,? (\d{4}))?$")


def _weekday_date(shift: int | None, weekday: int, today: date, prefer: Prefer) -> date:
    if shift is not None:
        monday = today - timedelta(days=today.weekday()) + timedelta(weeks=shift)
        return monday + timedelta(days=weekday)
    ahead = (weekday - today.weekday()) % 7
    return _pick([today + timedelta(days=ahead), today + timedelta(days=ahead - 7)], today, prefer)


def _month_day(month: int, day: int, year: int | None, today: date, prefer: Prefer, text: str) -> date:
    if year is not None:
        found = _valid(year, month, day)
        if found is None:
            raise _fail(NO_SUCH_DAY, text)
        return found
    candidates = [d for y in (today.year - 1, today.year, today.year + 1) if (d := _valid(y, month, day))]
    if not candidates:
        raise _fail(NO_SUCH_DAY, text)
    return _pick(candidates, today, prefer)


def _en_month(name: str) -> int | None:
    return _EN_MONTH_WORDS.get(name)


def parse_date(text: str, today: date, *, prefer: Prefer = "nearest") -> date:
    """The day ``text`` names (see the module for the forms and ``prefer``); :class:`ParseError` otherwise."""
    value = normalize(text)
    if value in _RELATIVE_DAYS:
        return today + timedelta(days=_RELATIVE_DAYS[value])
    if match := _ZH_WEEKDAY.match(value):
        weekday = 6 if match[2] in "日天" else int(match[2]) - 1
        shift = _WEEK_SHIFT[match[1]] if match[1] else None
        return _weekday_date(shift, weekday, today, prefer)
    if (match := _EN_WEEKDAY.match(value)) and match[2] in _EN_WEEKDAY_WORDS:
        shift = _EN_WEEK_SHIFT[match[1]] if match[1] else None
        return _weekday_date(shift, _EN_WEEKDAY_WORDS[match[2]], today, prefer)
    if match := _FULL.match(value) or _COMPACT.match(value):
        year = int(match[1])
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise _fail(NO_SUCH_DAY, text)
        return _month_day(int(match[2]), int(match[3]), year, today, prefer, text)
    if match := _SHORT.match(value):
        return _month_day(int(match[1]), int(match[2]), None, today, prefer, text)
    if match := _DAY_ONLY.match(value):
        day = int(match[1])
        candidates = []
        for months in (-1, 0, 1):
            year, month = divmod(today.year * 12 + today.month - 1 + months, 12)
            if found := _valid(year, month + 1, day):
                candidates.append(found)
        if not candidates:
            raise _fail(NO_SUCH_DAY, text)
        return _pick(candidates, today, prefer)
    for pattern, month_group, day_group in ((_EN_MONTH_DAY, 1, 2), (_EN_DAY_MONTH, 2, 1)):
        if (match := pattern.match(value)) and (named := _en_month(match[month_group])):
            year_given = int(match[3]) if match[3] else None
            return _month_day(named, int(match[day_group]), year_given, today, prefer, text)
    raise _fail(BAD_DATE, text)


# --- times ------------------------------------------------------------------------------------------------

_PM = ("下午", "午后", "傍晚", "晚上", "晚间", "夜里", "夜间", "pm", "p.m.")
_AM = ("上午", "早上", "早晨", "清晨", "凌晨", "am", "a.m.")
_NOON = ("中午",)
_MARKER = "|".join(re.escape(m) for m in sorted((*_PM, *_AM, *_NOON), key=len, reverse=True))
_TIME = re.compile(
    rf"^(?P<pre>{_MARKER})? ?"
    r"(?:(?P<h1>\d{1,2}) ?[:.] ?(?P<m1>\d{2})"  # 9:30, 09.30
    r"|(?P<h2>\d{1,2}) ?[点时] ?(?:(?P<m2>\d{2})|(?P<m3>\d{1,2}) ?分|(?P<half>半)|(?P<q>[1-3]) ?刻)?"  # 9点…
    r"|(?P<h3>\d{2})(?P<m4>\d{2})"  # 1430
    r"|(?P<h4>\d{1,2}))"  # 9 (with a marker: 9am, 下午3)
    rf" ?(?P<post>{_MARKER})?$"
)


@dataclass(frozen=True)
class _ClockReading:
    hour: int
    minute: int
    marker: str | None  # "am", "pm", "noon" or None
    bare: bool = False  # a number alone: a time only beside a marked one ("2-4pm")


def _read_clock(value: str, *, bare: bool = False) -> _ClockReading | None:
    if value in ("noon", "正午"):
        return _ClockReading(12, 0, None)
    if value == "midnight":
        return _ClockReading(0, 0, None)
    match = _TIME.match(value)
    if match is None or (match["pre"] and match["post"]):
        return None
    marker_text = match["pre"] or match["post"]
    if match["h4"] is not None and marker_text is None and not bare:
        return None  # a bare number is not a time
    marker = None
    if marker_text:
        marker = "pm" if marker_text in _PM else "am" if marker_text in _AM else "noon"
    hour = int(match["h1"] or match["h2"] or match["h3"] or match["h4"])
    if match["m1"] or match["m2"] or match["m3"] or match["m4"]:
        minute = int(match["m1"] or match["m2"] or match["m3"] or match["m4"])
    elif match["half"]:
        minute = 30
    elif match["q"]:
        minute = 15 * int(match["q"])
    else:
        minute = 0
    return _ClockReading(hour, minute, marker, bare=match["h4"] is not None and marker is None)


def _apply(reading: _ClockReading, marker: str | None) -> time | None:
    hour = reading.hour
    if (marker == "pm" and hour < 12) or (marker == "noon" and hour < 6):
        hour += 12
    elif marker == "am":
        if hour > 12:
            return None  # 上午15点
        if hour == 12:
            hour = 0
    if not (0 <= hour <= 23 and 0 <= reading.minute <= 59):
        return None
    return time(hour, reading.minute)


def parse_time(text: str) -> time:
    """The time of day ``text`` names (see the module); :class:`ParseError` otherwise."""
    reading = _read_clock(normalize(text))
    found = _apply(reading, reading.marker) if reading is not None else None
    if found is None:
        raise _fail(BAD_TIME, text)
    return found


_RANGE_SPLIT = re.compile(r" ?(?:-|~|至|到|to|until) ?")


def _split_range(value: str) -> tuple[str, str] | None:
    """The start and end texts, at the separator that leaves two readable times (a time has no separator)."""
    for match in _RANGE_SPLIT.finditer(value):
        start, end = value[: match.start()], value[match.end() :]
        if start and end and _read_clock(start, bare=True) is not None and _read_clock(end, bare=True) is not None:
            return start, end
    return None


def _range_of(start_text: str, end_text: str) -> tuple[time, time] | None:
    start, end = _read_clock(start_text, bare=True), _read_clock(end_text, bare=True)
    if start is None or end is None or ((start.bare or end.bare) and not (start.marker or end.marker)):
        return None
    start_marker = start.marker or end.marker  # "2-4pm": the end's marker carries back
    end_marker = end.marker or start.marker  # "下午2点到4点": the start's carries forward
    first, last = _apply(start, start_marker), _apply(end, end_marker)
    if start.marker is None and end.marker is not None and first is not None and last is not None and first >= last:
        first = _apply(start, None)  # "11-1pm": 11:00 to 13:00
    if first is None or last is None:
        return None
    if last <= first and end.marker is None and start.marker is not None:
        later = _apply(end, "pm")  # "上午11点到1点": 11:00 to 13:00
        last = later if later is not None and later > first else last
    return first, last


def parse_time_range(text: str, *, open_end: bool = False) -> TimeRange:
    """``14:30-16:00`` and the like (see the module); with ``open_end`` a single time is a range without an end."""
    value = normalize(text)
    parts = _split_range(value)
    if parts is None:
        if open_end and _read_clock(value) is not None:
            return TimeRange(parse_time(value))
        raise _fail(BAD_RANGE, text)
    found = _range_of(*parts)
    if found is None:
        raise _fail(BAD_RANGE, text)
    start, end = found
    if end <= start:
        raise ParseError(END_BEFORE_START, start=f"{start:%H:%M}", end=f"{end:%H:%M}")
    return TimeRange(start, end)


# --- periods ----------------------------------------------------------------------------------------------

_NAMED_PERIODS: dict[str, tuple[PeriodKind, int]] = {}
for _words, _kind, _shift in (
    (("本月", "这个月", "当月", "this month", "month", "月"), PeriodKind.MONTH, 0),
    (("上月", "上个月", "last month"), PeriodKind.MONTH, -1),
    (("下月", "下个月", "next month"), PeriodKind.MONTH, 1),
    (("本季度", "本季", "这个季度", "当季", "this quarter", "quarter", "季度", "季"), PeriodKind.QUARTER, 0),
    (("上季度", "上个季度", "last quarter"), PeriodKind.QUARTER, -1),
    (("下季度", "下个季度", "next quarter"), PeriodKind.QUARTER, 1),
    (("今年", "本年", "本年度", "this year", "year", "年"), PeriodKind.YEAR, 0),
    (("去年", "上年", "上一年", "last year"), PeriodKind.YEAR, -1),
    (("明年", "下年", "next year"), PeriodKind.YEAR, 1),
    (("本周", "这周", "这个星期", "本星期", "this week", "week", "周"), PeriodKind.WEEK, 0),
    (("上周", "上个星期", "上星期", "last week"), PeriodKind.WEEK, -1),
    (("下周", "下个星期", "下星期", "next week"), PeriodKind.WEEK, 1),
):
    for _word in _words:
        _NAMED_PERIODS[normalize(_word)] = (_kind, _shift)

_YEAR = re.compile(r"^(\d{4}) ?年?(?:度)?$")
_YEAR_MONTH = re.compile(r"^(\d{4}) ?[-/.年] ?(\d{1,2}) ?月?$")
_MONTH_ONLY = re.compile(r"^(\d{1,2}) ?月(?:份)?$")
_YEAR_QUARTER = re.compile(r"^(?:(\d{4}) ?(?:年|-)? ?)?(?:第 ?)?(?:q ?([1-4])|([1-4]) ?季度?)$")
_EN_MONTH_YEAR = re.compile(r"^([a-z]+)\.?(?:,? (\d{4}))?$")
_DATE_RANGE = re.compile(r"^(.+?) ?(?:~|至|到|to|\.\.|--| - ) ?(.+)$")


def _shift_month(year: int, month: int, shift: int) -> tuple[int, int]:
    y, m = divmod(year * 12 + month - 1 + shift, 12)
    return y, m + 1


def _named_period(kind: PeriodKind, shift: int, today: date) -> Period:
    if kind is PeriodKind.MONTH:
        return month_period(*_shift_month(today.year, today.month, shift))
    if kind is PeriodKind.QUARTER:
        y, q = divmod(today.year * 4 + (today.month - 1) // 3 + shift, 4)
        return quarter_period(y, q + 1)
    if kind is PeriodKind.YEAR:
        return year_period(today.year + shift)
    return week_period(today + timedelta(weeks=shift))


def _pick_period(make: Callable[[int], Period], today: date, prefer: Prefer) -> Period:
    """The period of last, this or next year that ``prefer`` means (for a month or quarter without a year)."""
    periods = [make(y) for y in (today.year - 1, today.year, today.year + 1)]
    current = next((p for p in periods if today in p), None)
    if current is not None:
        return current
    if prefer == "future":
        return min((p for p in periods if p.start > today), key=lambda p: p.start)
    if prefer == "past":
        return max((p for p in periods if p.end < today), key=lambda p: p.end)
    return min(periods, key=lambda p: min(abs((p.start - today).days), abs((p.end - today).days)))


def _year(text: str, raw: str) -> int:
    year = int(text)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _fail(BAD_PERIOD, raw)
    return year


def parse_period(text: str, today: date, *, prefer: Prefer = "nearest") -> Period:
    """The period ``text`` names (see the module); :class:`ParseError` otherwise."""
    value = normalize(text)
    if value in _NAMED_PERIODS:
        return _named_period(*_NAMED_PERIODS[value], today)
    if match := _YEAR.match(value):
        return year_period(_year(match[1], text))
    if match := _YEAR_MONTH.match(value):
        month = int(match[2])
        if not 1 <= month <= 12:
            raise _fail(BAD_PERIOD, text)
        return month_period(_year(match[1], text), month)
    if match := _MONTH_ONLY.match(value):
        month = int(match[1])
        if not 1 <= month <= 12:
            raise _fail(BAD_PERIOD, text)
        return _pick_period(lambda y: month_period(y, month), today, prefer)
    if match := _YEAR_QUARTER.match(value):
        quarter = int(match[2] or match[3])
        if match[1]:
            return quarter_period(_year(match[1], text), quarter)
        return _pick_period(lambda y: quarter_period(y, quarter), today, prefer)
    if (match := _EN_MONTH_YEAR.match(value)) and (named := _en_month(match[1])):
        if match[2]:
            return month_period(_year(match[2], text), named)
        return _pick_period(lambda y: month_period(y, named), today, prefer)
    if match := _DATE_RANGE.match(value):
        first, last = try_date(match[1], today, prefer=prefer), try_date(match[2], today, prefer=prefer)
        if first is not None and last is not None:
            if last < first:
                raise ParseError(END_BEFORE_START, start=first.isoformat(), end=last.isoformat())
            return Period(PeriodKind.RANGE, first, last)
    day = try_date(value, today, prefer=prefer)
    if day is not None:
        return Period(PeriodKind.DAY, day, day)
    raise _fail(BAD_PERIOD, text)


# --- a day and a time together ----------------------------------------------------------------------------


def parse_when(text: str, today: date, *, prefer: Prefer = "nearest", time_required: bool = False) -> When:
    """A day and, optionally, a time or time range after it (``明天下午3点``, ``2026-12-15 14:30-16:00``)."""
    value = normalize(text)
    if (day := try_date(value, today, prefer=prefer)) is not None:
        if time_required:
            raise _fail(BAD_WHEN, text)
        return When(day)
    # The longest readable date at the start, then a time (range) after it; "T" as in ISO 8601 separates too.
    for cut in range(len(value) - 1, 0, -1):
        head, tail = value[:cut].rstrip(), value[cut:].strip().removeprefix("t").strip()
        if not tail or (day := try_date(head, today, prefer=prefer)) is None:
            continue
        try:
            span = parse_time_range(tail, open_end=True)
        except ParseError as error:
            if error.msgid == END_BEFORE_START:
                raise
            continue
        return When(day, span.start, span.end)
    raise _fail(BAD_WHEN, text)


def _none_on_error(parse: Callable[[], T]) -> T | None:
    try:
        return parse()
    except ParseError:
        return None


def try_date(text: str, today: date, *, prefer: Prefer = "nearest") -> date | None:
    """:func:`parse_date`, or None."""
    return _none_on_error(lambda: parse_date(text, today, prefer=prefer))


def try_time(text: str) -> time | None:
    """:func:`parse_time`, or None."""
    return _none_on_error(lambda: parse_time(text))


def try_time_range(text: str, *, open_end: bool = False) -> TimeRange | None:
    """:func:`parse_time_range`, or None."""
    return _none_on_error(lambda: parse_time_range(text, open_end=open_end))


def try_period(text: str, today: date, *, prefer: Prefer = "nearest") -> Period | None:
    """:func:`parse_period`, or None."""
    return _none_on_error(lambda: parse_period(text, today, prefer=prefer))


def try_when(text: str, today: date, *, prefer: Prefer = "nearest") -> When | None:
    """:func:`parse_when`, or None."""
    return _none_on_error(lambda: parse_when(text, today, prefer=prefer))
