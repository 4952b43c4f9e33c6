"""The one date, time and period parser: what people type in Chinese and English, relative to a local today."""

from __future__ import annotations

from datetime import date, time
from zoneinfo import ZoneInfo

import pytest

from bot.dates import (
    ParseError,
    Period,
    PeriodKind,
    Prefer,
    TimeRange,
    When,
    parse_date,
    parse_period,
    parse_time,
    parse_time_range,
    parse_when,
    try_date,
    try_period,
    try_time,
    try_time_range,
    try_when,
)
from bot.errors import InvalidInput
from bot.i18n import translator

TODAY = date(2026, 11, 26)  # a Thursday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-15", date(2026, 12, 15)),
        ("2026/12/15", date(2026, 12, 15)),
        ("2026.12.15", date(2026, 12, 15)),
        ("2026-1-5", date(2026, 1, 5)),
        ("20261215", date(2026, 12, 15)),
        ("2026年12月15日", date(2026, 12, 15)),
        ("2026年12月15号", date(2026, 12, 15)),
        ("2026 年 12 月 15 日", date(2026, 12, 15)),
        ("２０２６－１２－１５", date(2026, 12, 15)),  # full-width
        ("二〇二六年十二月十五日", date(2026, 12, 15)),
        ("12-15", date(2026, 12, 15)),
        ("12/15", date(2026, 12, 15)),
        ("12月15日", date(2026, 12, 15)),
        ("12月15号", date(2026, 12, 15)),
        ("十二月十五日", date(2026, 12, 15)),
        ("1-5", date(2027, 1, 5)),  # nearest: early January is closer next year
        ("11月1日", date(2026, 11, 1)),
        ("28号", date(2026, 11, 28)),
        ("今天", TODAY),
        ("今日", TODAY),
        ("明天", date(2026, 11, 27)),
        ("后天", date(2026, 11, 28)),
        ("大后天", date(2026, 11, 29)),
        ("昨天", date(2026, 11, 25)),
        ("前天", date(2026, 11, 24)),
        ("today", TODAY),
        ("Tomorrow", date(2026, 11, 27)),
        ("yesterday", date(2026, 11, 25)),
        ("本周五", date(2026, 11, 27)),
        ("这周一", date(2026, 11, 23)),
        ("本周日", date(2026, 11, 29)),
        ("下周三", date(2026, 12, 2)),
        ("下个星期三", date(2026, 12, 2)),
        ("下周日", date(2026, 12, 6)),
        ("上周三", date(2026, 11, 18)),
        ("下下周一", date(2026, 12, 7)),
        ("周三", date(2026, 11, 25)),  # nearest: yesterday
        ("星期三", date(2026, 11, 25)),
        ("礼拜五", date(2026, 11, 27)),
        ("周四", TODAY),
        ("星期天", date(2026, 11, 29)),
        ("next Wednesday", date(2026, 12, 2)),
        ("this friday", date(2026, 11, 27)),
        ("last monday", date(2026, 11, 16)),
        ("Sat", date(2026, 11, 28)),
        ("Dec 15", date(2026, 12, 15)),
        ("December 15, 2026", date(2026, 12, 15)),
        ("15 Dec", date(2026, 12, 15)),
        ("15th of December 2026", date(2026, 12, 15)),
        ("2024-02-29", date(2024, 2, 29)),
    ],
)
def test_dates(text: str, expected: date) -> None:
    assert parse_date(text, TODAY) == expected
    assert try_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "today", "prefer", "expected"),
    [
        # A date without a year: the next one for scheduling, the last one for reporting, else the nearest.
        ("12月15日", date(2026, 12, 20), "future", date(2027, 12, 15)),
        ("12月15日", date(2026, 12, 20), "past", date(2026, 12, 15)),
        ("12月15日", date(2026, 12, 20), "nearest", date(2026, 12, 15)),
        ("12-28", date(2027, 1, 3), "nearest", date(2026, 12, 28)),
        ("1-5", date(2026, 12, 28), "nearest", date(2027, 1, 5)),
        ("1-5", date(2026, 12, 28), "past", date(2026, 1, 5)),
        ("12月15日", date(2026, 12, 15), "future", date(2026, 12, 15)),  # today counts
        ("12月15日", date(2026, 12, 15), "past", date(2026, 12, 15)),
        ("2月29日", date(2027, 6, 1), "nearest", date(2028, 2, 29)),  # the only one within a year either side
        ("周三", TODAY, "future", date(2026, 12, 2)),
        ("周三", TODAY, "past", date(2026, 11, 25)),
        ("周四", TODAY, "future", TODAY),
        ("wednesday", TODAY, "future", date(2026, 12, 2)),
        ("下周三", TODAY, "past", date(2026, 12, 2)),  # an explicit week ignores prefer
        ("28号", TODAY, "past", date(2026, 10, 28)),
        ("31号", date(2026, 2, 10), "future", date(2026, 3, 31)),  # February has no 31st
    ],
)
def test_dates_without_a_year(text: str, today: date, prefer: Prefer, expected: date) -> None:
    assert parse_date(text, today, prefer=prefer) == expected


@pytest.mark.parametrize(
    "text",
    ["", "   ", "abc", "2026-13-01", "2026-02-30", "2月30日", "13月1日", "32号", "0号", "1800-01-01",
     "2026-12", "12", "month", "next", "周八", "下周", "2026/12/15/1", "明天天"],
)  # fmt: skip
def test_bad_dates(text: str) -> None:
    # (2月29日 with no leap year within a year of today is refused too: see test_leap_day_far_away.)
    with pytest.raises(ParseError):
        parse_date(text, TODAY)
    assert try_date(text, TODAY) is None


def test_leap_day_far_away() -> None:
    with pytest.raises(ParseError):
        parse_date("2月29日", date(2026, 3, 1))


def test_refusals_speak_the_users_language() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_date("下个世纪", TODAY)
    assert caught.value.localized(translator("zh_CN")) == (
        "无法识别日期“下个世纪”。请写成2026-12-15、12月15日或明天这样的格式。"
    )
    assert "Write it like" in caught.value.localized(translator("en"))
    with pytest.raises(ParseError) as caught:
        parse_date("2月30日", TODAY)
    assert caught.value.localized(translator("zh_CN")) == "没有这一天：2月30日。"
    with pytest.raises(ParseError) as caught:
        parse_time("<b>9</b>")
    assert "&lt;b&gt;" in caught.value.localized(translator("zh_CN"))  # what was typed is escaped for HTML
    with pytest.raises(ParseError) as caught:
        parse_time_range("16:00-14:00")
    assert caught.value.localized(translator("zh_CN")) == "结束（14:00）必须晚于开始（16:00）。"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9:30", time(9, 30)),
        ("09:30", time(9, 30)),
        ("9：30", time(9, 30)),
        ("9.30", time(9, 30)),
        ("1430", time(14, 30)),
        ("0:00", time(0, 0)),
        ("23:59", time(23, 59)),
        ("9点", time(9)),
        ("9时", time(9)),
        ("9点30", time(9, 30)),
        ("9点30分", time(9, 30)),
        ("9点05", time(9, 5)),
        ("9点5分", time(9, 5)),
        ("9点半", time(9, 30)),
        ("9点1刻", time(9, 15)),
        ("九点", time(9)),
        ("九点三刻", time(9, 45)),
        ("十点半", time(10, 30)),
        ("两点", time(2)),
        ("上午9点", time(9)),
        ("早上8点", time(8)),
        ("下午3点", time(15)),
        ("下午3点半", time(15, 30)),
        ("下午三点", time(15)),
        ("下午15点", time(15)),
        ("下午3", time(15)),
        ("晚上8点", time(20)),
        ("傍晚6点", time(18)),
        ("中午12点", time(12)),
        ("中午1点", time(13)),
        ("凌晨2点", time(2)),
        ("凌晨12点", time(0)),
        ("下午 3:30", time(15, 30)),
        ("9am", time(9)),
        ("3pm", time(15)),
        ("3:30 PM", time(15, 30)),
        ("12pm", time(12)),
        ("12am", time(0)),
        ("noon", time(12)),
        ("midnight", time(0)),
    ],
)
def test_times(text: str, expected: time) -> None:
    assert parse_time(text) == expected
    assert try_time(text) == expected


@pytest.mark.parametrize(
    "text", ["", "9", "25:00", "9:60", "24:00", "上午15点", "9点5", "9点半半", "下午", "pm", "9:3", "abc", "2026-12-15"]
)
def test_bad_times(text: str) -> None:
    with pytest.raises(ParseError):
        parse_time(text)
    assert try_time(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14:30-16:00", TimeRange(time(14, 30), time(16))),
        ("14:30 - 16:00", TimeRange(time(14, 30), time(16))),
        ("14:30～16:00", TimeRange(time(14, 30), time(16))),
        ("14:30~16:00", TimeRange(time(14, 30), time(16))),
        ("14:30—16:00", TimeRange(time(14, 30), time(16))),
        ("14:30至16:00", TimeRange(time(14, 30), time(16))),
        ("14:30到16:00", TimeRange(time(14, 30), time(16))),
        ("2点到4点", TimeRange(time(2), time(4))),  # literal without a marker
        ("下午2点到4点", TimeRange(time(14), time(16))),  # the start's marker carries forward
        ("下午2点到4点半", TimeRange(time(14), time(16, 30))),
        ("上午9点到下午5点", TimeRange(time(9), time(17))),
        ("上午11点到1点", TimeRange(time(11), time(13))),
        ("9点-11点半", TimeRange(time(9), time(11, 30))),
        ("9点半至11点", TimeRange(time(9, 30), time(11))),
        ("2-4pm", TimeRange(time(14), time(16))),  # the end's marker carries back
        ("11-1pm", TimeRange(time(11), time(13))),
        ("9am to 11am", TimeRange(time(9), time(11))),
        ("9am-5pm", TimeRange(time(9), time(17))),
        ("晚上7点到9点", TimeRange(time(19), time(21))),
    ],
)
def test_time_ranges(text: str, expected: TimeRange) -> None:
    assert parse_time_range(text) == expected
    assert try_time_range(text) == expected


@pytest.mark.parametrize("text", ["", "14:30", "16:00-14:00", "14:30-14:30", "2-4", "a-b", "14:30-25:00", "9点-"])
def test_bad_time_ranges(text: str) -> None:
    with pytest.raises(ParseError):
        parse_time_range(text)
    assert try_time_range(text) is None


def test_a_single_time_is_an_open_range_when_allowed() -> None:
    assert parse_time_range("14:30", open_end=True) == TimeRange(time(14, 30), None)
    assert parse_time_range("14:30-16:00", open_end=True) == TimeRange(time(14, 30), time(16))


@pytest.mark.parametrize(
    ("text", "kind", "start", "end", "key"),
    [
        ("本月", PeriodKind.MONTH, date(2026, 11, 1), date(2026, 11, 30), "2026-11"),
        ("这个月", PeriodKind.MONTH, date(2026, 11, 1), date(2026, 11, 30), "2026-11"),
        ("上月", PeriodKind.MONTH, date(2026, 10, 1), date(2026, 10, 31), "2026-10"),
        ("上个月", PeriodKind.MONTH, date(2026, 10, 1), date(2026, 10, 31), "2026-10"),
        ("下月", PeriodKind.MONTH, date(2026, 12, 1), date(2026, 12, 31), "2026-12"),
        ("this month", PeriodKind.MONTH, date(2026, 11, 1), date(2026, 11, 30), "2026-11"),
        ("last month", PeriodKind.MONTH, date(2026, 10, 1), date(2026, 10, 31), "2026-10"),
        ("month", PeriodKind.MONTH, date(2026, 11, 1), date(2026, 11, 30), "2026-11"),
        ("本季度", PeriodKind.QUARTER, date(2026, 10, 1), date(2026, 12, 31), "2026-Q4"),
        ("上季度", PeriodKind.QUARTER, date(2026, 7, 1), date(2026, 9, 30), "2026-Q3"),
        ("下季度", PeriodKind.QUARTER, date(2027, 1, 1), date(2027, 3, 31), "2027-Q1"),
        ("quarter", PeriodKind.QUARTER, date(2026, 10, 1), date(2026, 12, 31), "2026-Q4"),
        ("2026年第四季度", PeriodKind.QUARTER, date(2026, 10, 1), date(2026, 12, 31), "2026-Q4"),
        ("2026年第4季度", PeriodKind.QUARTER, date(2026, 10, 1), date(2026, 12, 31), "2026-Q4"),
        ("2026年四季度", PeriodKind.QUARTER, date(2026, 10, 1), date(2026, 12, 31), "2026-Q4"),
        ("2025年第一季度", PeriodKind.QUARTER, date(2025, 1, 1), date(2025, 3, 31), "2025-Q1"),
        ("2026-Q4", PeriodKind.QUARTER, date(2026, 10, 1), date(2026, 12, 31), "2026-Q4"),
        ("2026Q2", PeriodKind.QUARTER, date(2026, 4, 1), date(2026, 6, 30), "2026-Q2"),
        ("Q4", PeriodKind.QUARTER, date(2026, 10, 1), date(2026, 12, 31), "2026-Q4"),
        ("q1", PeriodKind.QUARTER, date(2027, 1, 1), date(2027, 3, 31), "2027-Q1"),  # nearest
        ("第三季度", PeriodKind.QUARTER, date(2026, 7, 1), date(2026, 9, 30), "2026-Q3"),
        ("今年", PeriodKind.YEAR, date(2026, 1, 1), date(2026, 12, 31), "2026"),
        ("本年度", PeriodKind.YEAR, date(2026, 1, 1), date(2026, 12, 31), "2026"),
        ("去年", PeriodKind.YEAR, date(2025, 1, 1), date(2025, 12, 31), "2025"),
        ("明年", PeriodKind.YEAR, date(2027, 1, 1), date(2027, 12, 31), "2027"),
        ("this year", PeriodKind.YEAR, date(2026, 1, 1), date(2026, 12, 31), "2026"),
        ("last year", PeriodKind.YEAR, date(2025, 1, 1), date(2025, 12, 31), "2025"),
        ("2026年", PeriodKind.YEAR, date(2026, 1, 1), date(2026, 12, 31), "2026"),
        ("2026", PeriodKind.YEAR, date(2026, 1, 1), date(2026, 12, 31), "2026"),
        ("2026-12", PeriodKind.MONTH, date(2026, 12, 1), date(2026, 12, 31), "2026-12"),
        ("2026/02", PeriodKind.MONTH, date(2026, 2, 1), date(2026, 2, 28), "2026-02"),
        ("2028-02", PeriodKind.MONTH, date(2028, 2, 1), date(2028, 2, 29), "2028-02"),
        ("2026年12月", PeriodKind.MONTH, date(2026, 12, 1), date(2026, 12, 31), "2026-12"),
        ("12月", PeriodKind.MONTH, date(2026, 12, 1), date(2026, 12, 31), "2026-12"),
        ("十二月份", PeriodKind.MONTH, date(2026, 12, 1), date(2026, 12, 31), "2026-12"),
        ("December 2026", PeriodKind.MONTH, date(2026, 12, 1), date(2026, 12, 31), "2026-12"),
        ("sept 2026", PeriodKind.MONTH, date(2026, 9, 1), date(2026, 9, 30), "2026-09"),
        ("本周", PeriodKind.WEEK, date(2026, 11, 23), date(2026, 11, 29), "2026-W48"),
        ("上周", PeriodKind.WEEK, date(2026, 11, 16), date(2026, 11, 22), "2026-W47"),
        ("next week", PeriodKind.WEEK, date(2026, 11, 30), date(2026, 12, 6), "2026-W49"),
        ("2026-01-01~2026-06-30", PeriodKind.RANGE, date(2026, 1, 1), date(2026, 6, 30), "2026-01-01..2026-06-30"),
        ("2026-01-01 至 2026-06-30", PeriodKind.RANGE, date(2026, 1, 1), date(2026, 6, 30), "2026-01-01..2026-06-30"),
        ("2026-12-15", PeriodKind.DAY, date(2026, 12, 15), date(2026, 12, 15), "2026-12-15"),
        ("今天", PeriodKind.DAY, TODAY, TODAY, "2026-11-26"),
    ],
)
def test_periods(text: str, kind: PeriodKind, start: date, end: date, key: str) -> None:
    period = parse_period(text, TODAY)
    assert period == Period(kind, start, end)
    assert period.key == key
    assert try_period(text, TODAY) == period


@pytest.mark.parametrize(
    ("text", "today", "prefer", "key"),
    [
        ("12月", date(2027, 1, 10), "past", "2026-12"),
        ("12月", date(2027, 1, 10), "future", "2027-12"),
        ("12月", date(2027, 1, 10), "nearest", "2026-12"),
        ("1月", date(2027, 1, 10), "future", "2027-01"),  # the current one whatever prefer says
        ("1月", date(2027, 1, 10), "past", "2027-01"),
        ("Q4", date(2027, 1, 10), "past", "2026-Q4"),
        ("Q4", date(2027, 1, 10), "future", "2027-Q4"),
        ("Q2", date(2027, 1, 10), "past", "2026-Q2"),
        ("Q2", date(2027, 1, 10), "nearest", "2027-Q2"),
    ],
)
def test_periods_without_a_year(text: str, today: date, prefer: Prefer, key: str) -> None:
    assert parse_period(text, today, prefer=prefer).key == key


@pytest.mark.parametrize(
    "text", ["", "13月", "2026-13", "2026年第五季度", "Q5", "1800年", "下下下月", "2026-06-30~2026-01-01", "someday"]
)
def test_bad_periods(text: str) -> None:
    with pytest.raises(ParseError):
        parse_period(text, TODAY)
    assert try_period(text, TODAY) is None


def test_period_membership_and_length() -> None:
    quarter = parse_period("2026年第四季度", TODAY)
    assert date(2026, 11, 26) in quarter and date(2027, 1, 1) not in quarter
    assert quarter.days == 92


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("明天下午3点", When(date(2026, 11, 27), time(15))),
        ("明天 下午3点", When(date(2026, 11, 27), time(15))),
        ("2026-12-15 14:30-16:00", When(date(2026, 12, 15), time(14, 30), time(16))),
        ("2026-12-15 14:30", When(date(2026, 12, 15), time(14, 30))),
        ("2026-12-15T14:30", When(date(2026, 12, 15), time(14, 30))),
        ("12月15日14:30", When(date(2026, 12, 15), time(14, 30))),
        ("12月15日下午2点到4点", When(date(2026, 12, 15), time(14), time(16))),
        ("下周三 9点半", When(date(2026, 12, 2), time(9, 30))),
        ("下周三上午9点", When(date(2026, 12, 2), time(9))),
        ("tomorrow 3pm", When(date(2026, 11, 27), time(15))),
        ("Dec 15 2-4pm", When(date(2026, 12, 15), time(14), time(16))),
        ("明天", When(date(2026, 11, 27))),
    ],
)
def test_day_and_time(text: str, expected: When) -> None:
    assert parse_when(text, TODAY) == expected
    assert try_when(text, TODAY) == expected


def test_day_and_time_refusals() -> None:
    with pytest.raises(ParseError):
        parse_when("明天", TODAY, time_required=True)
    with pytest.raises(ParseError):
        parse_when("明天 25点", TODAY)
    with pytest.raises(ParseError) as caught:
        parse_when("明天 16:00-14:00", TODAY)
    assert caught.value.localized(translator("en")) == "The end (14:00) must come after the start (16:00)."
    assert try_when("whenever", TODAY) is None


def test_when_gives_aware_datetimes() -> None:
    when = parse_when("2026-12-15 14:30-16:00", TODAY)
    tz = ZoneInfo("Asia/Shanghai")
    start, end = when.starts_at(tz), when.ends_at(tz)
    assert start is not None and end is not None
    assert start.isoformat() == "2026-12-15T14:30:00+08:00" and end.isoformat() == "2026-12-15T16:00:00+08:00"
    assert When(TODAY).starts_at(tz) is None


# --- the features read typed periods and days through this parser ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (None, "2026"),  # /attendance alone: this year
        ("month", "2026-11"),
        ("quarter", "2026-Q4"),
        ("年", "2026"),
        ("本月", "2026-11"),
        ("上月", "2026-10"),
        ("上季度", "2026-Q3"),
        ("2026年第四季度", "2026-Q4"),
        ("2026-12", "2026-12"),
        ("3月", "2026-03"),  # a month without a year: the last one (attendance looks back)
        ("2025年", "2025"),
    ],
)
def test_attendance_periods(text: str | None, key: str) -> None:
    from bot.services.meetings import stats

    assert stats.parse_period(text, TODAY).key == key


@pytest.mark.parametrize("text", ["本周", "2026-12-15", "someday", "2026-01-01~2026-06-30"])
def test_attendance_refuses_other_periods(text: str) -> None:
    from bot.services.meetings import stats

    with pytest.raises(InvalidInput) as caught:
        stats.parse_period(text, TODAY)
    assert caught.value.localized(translator("en")) == "Choose a period: month, quarter or year."


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (None, None, (date(2026, 1, 1), TODAY)),
        ("2026-03-01", None, (date(2026, 3, 1), TODAY)),
        ("3月1日", "昨天", (date(2026, 3, 1), date(2026, 11, 25))),
        ("12月1日", None, (date(2025, 12, 1), date(2025, 12, 31))),  # a day without a year: the last one
    ],
)
def test_points_periods(start: str | None, end: str | None, expected: tuple[date, date]) -> None:
    from bot.services.points import service

    assert service.parse_period(start, end, TODAY) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-01-05", "2026-06-30", (date(2026, 1, 5), date(2026, 6, 30))),
        ("2026年1月5日", "2026/6/30", (date(2026, 1, 5), date(2026, 6, 30))),
        ("1月1日", "昨天", (date(2026, 1, 1), date(2026, 11, 25))),
    ],
)
def test_ledger_periods(start: str, end: str, expected: tuple[date, date]) -> None:
    from bot.services.ledger.period import parse_period as ledger_period

    period = ledger_period(start, end, TODAY)
    assert (period.start, period.end) == expected


@pytest.mark.parametrize(("start", "end"), [("2026-13-01", "2026-12-31"), ("someday", "2026-12-31")])
def test_ledger_refuses_unreadable_dates(start: str, end: str) -> None:
    from bot.services.ledger.period import parse_period as ledger_period

    with pytest.raises(InvalidInput) as caught:
        ledger_period(start, end, TODAY)
    assert "for example 2026-01-01 2026-03-31" in caught.value.localized(translator("en"))
