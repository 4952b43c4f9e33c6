"""One date style per locale (issue 12): bot.date_style reads the same in every screen."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bot import date_style
from bot.dates import parse_period
from bot.templates import environment

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 12, 2)


@pytest.mark.parametrize(
    ("value", "locale", "expected"),
    [
        (date(2026, 12, 4), "zh_CN", "12月4日（周五）"),
        (date(2025, 12, 4), "zh_CN", "2025年12月4日（周四）"),
        (date(2026, 12, 4), "en", "Fri 4 Dec"),
        (date(2027, 1, 8), "en", "Fri 8 Jan 2027"),
    ],
)
def test_a_day_shows_its_year_only_when_it_is_not_this_year(value: date, locale: str, expected: str) -> None:
    assert date_style.day(value, locale, today=TODAY) == expected


def test_moments_and_spans_are_read_in_the_configured_zone() -> None:
    start = datetime(2026, 12, 4, 6, 30, tzinfo=UTC)  # 14:30 in Shanghai
    end = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
    assert date_style.moment(start, "zh_CN", tz=SHANGHAI, today=TODAY) == "12月4日（周五）14:30"
    assert date_style.moment(start, "en", tz=SHANGHAI, today=TODAY) == "Fri 4 Dec, 14:30"
    assert date_style.span(start, end, "zh_CN", tz=SHANGHAI, today=TODAY) == "12月4日（周五）14:30–16:00"
    overnight = datetime(2026, 12, 5, 3, 30, tzinfo=UTC)
    assert date_style.span(start, overnight, "zh_CN", tz=SHANGHAI, today=TODAY) == (
        "12月4日（周五）14:30至12月5日（周六）11:30"
    )
    honolulu = ZoneInfo("Pacific/Honolulu")
    assert date_style.moment(start, "zh_CN", tz=honolulu, today=TODAY) == "12月3日（周四）20:30"


@pytest.mark.parametrize(
    ("text", "zh", "en"),
    [
        ("2026年第四季度", "2026年第四季度", "Q4 2026"),
        ("2026年12月", "2026年12月", "December 2026"),
        ("2026年", "2026年", "2026"),
    ],
)
def test_periods_read_as_people_say_them(text: str, zh: str, en: str) -> None:
    value = parse_period(text, TODAY)
    assert date_style.period(value, "zh_CN") == zh
    assert date_style.period(value, "en") == en


def test_the_year_follows_the_clock_and_templates_use_the_same_style() -> None:
    with time_machine.travel(datetime(2027, 3, 1, 4, tzinfo=UTC), tick=False):
        assert date_style.day(date(2026, 12, 4), "zh_CN") == "2026年12月4日（周五）"
        rendered = environment("zh_CN").from_string("{{ d|day }} {{ d|day(weekday=False) }}").render(d=date(2027, 3, 2))
    assert rendered == "3月2日（周二） 3月2日"
