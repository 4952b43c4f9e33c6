"""The service environment: the configured zone everywhere, China's working days (holidays and 调休), hours."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Settings, load_settings
from bot.environment import Schedule, ServiceEnv, WorkCalendar, chinese_schedule, default_calendar

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# 08:00 UTC on 15 June 2026: 16:00 on the 15th in Shanghai, 22:00 on the 14th in Honolulu.
MORNING_UTC = datetime(2026, 6, 15, 8, 0, tzinfo=UTC)
# 12:00 UTC on 14 June 2026: 20:00 on the 14th in Shanghai, 02:00 on the 15th on Kiritimati (UTC+14).
NOON_UTC = datetime(2026, 6, 14, 12, 0, tzinfo=UTC)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in Settings.model_fields:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}")
    return CliRunner()


def _roster_with_join_date(tmp_path: Path, day: str) -> Path:
    path = tmp_path / "roster.csv"
    path.write_text(f"member_no,name,branch,join_date\nZ1,甲,MZJ-B1,{day}\n", encoding="utf-8")
    return path


# --- the two defects: "not in the future" is checked in TIMEZONE, not in Asia/Shanghai -------------------


@pytest.mark.parametrize(
    ("zone", "moment", "accepted"),
    [
        ("Pacific/Honolulu", MORNING_UTC, False),  # still the 14th there: the 15th is tomorrow
        ("Asia/Shanghai", MORNING_UTC, True),
        ("Pacific/Kiritimati", NOON_UTC, True),  # already the 15th there, though not yet in Shanghai
        ("Asia/Shanghai", NOON_UTC, False),
    ],
)
def test_roster_join_date_is_checked_in_the_configured_zone(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, zone: str, moment: datetime, accepted: bool
) -> None:
    monkeypatch.setenv("TIMEZONE", zone)
    assert cli.invoke(app, ["org", "import", str(EXAMPLES / "organisations.csv")]).exit_code == 0
    with time_machine.travel(moment, tick=False):
        result = cli.invoke(app, ["roster", "import", str(_roster_with_join_date(tmp_path, "2026-06-15"))])
    if accepted:
        assert result.exit_code == 0, result.output
        assert "新增1条" in result.output
    else:
        assert result.exit_code == 1
        assert "join_date“2026-06-15”" in result.output and "2026-06-15" in result.output
        assert "新增" not in result.output


@pytest.mark.parametrize(
    ("zone", "moment", "accepted"),
    [
        ("Pacific/Honolulu", MORNING_UTC, False),
        ("Asia/Shanghai", MORNING_UTC, True),
        ("Pacific/Kiritimati", NOON_UTC, True),
        ("Asia/Shanghai", NOON_UTC, False),
    ],
)
def test_material_date_is_checked_in_the_configured_zone(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, zone: str, moment: datetime, accepted: bool
) -> None:
    monkeypatch.setenv("TIMEZONE", zone)
    assert cli.invoke(app, ["org", "import", str(EXAMPLES / "organisations.csv")]).exit_code == 0
    with time_machine.travel(moment, tick=False):
        result = cli.invoke(
            app, ["material", "add", "--title", "一篇讲话", "--source", "新华社", "--date", "2026-06-15", "--json"]
        )
    if accepted:
        assert result.exit_code == 0, result.output
        assert '"date": "2026-06-15"' in result.output
    else:
        assert result.exit_code == 1
        assert "日期2026-06-15晚于今天，请核对。" in result.output


# --- the environment ------------------------------------------------------------------------------------


def test_built_from_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    settings = load_settings(
        TIMEZONE="America/Los_Angeles", DEFAULT_LOCALE="en", BOT_USERNAME="demo_bot", WORK_HOURS="08:30-17:30"
    )
    env = ServiceEnv.from_settings(settings)
    assert env.tz == ZoneInfo("America/Los_Angeles") and env.default_locale == "en"
    assert env.bot_username == "demo_bot" and (env.work_start, env.work_end) == (time(8, 30), time(17, 30))
    assert ServiceEnv.from_settings(settings, bot_username="live_bot").bot_username == "live_bot"
    assert env.calendar is default_calendar()
    with pytest.raises(ValueError):
        ServiceEnv(default_locale="fr")


def test_clock_follows_the_zone_and_time_machine() -> None:
    honolulu = ServiceEnv(tz=ZoneInfo("Pacific/Honolulu"))
    shanghai = ServiceEnv(tz=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(MORNING_UTC, tick=False):
        assert honolulu.today() == date(2026, 6, 14) and shanghai.today() == date(2026, 6, 15)
        assert honolulu.now() == MORNING_UTC
        assert honolulu.local_now().hour == 22
    assert shanghai.day_start(date(2026, 6, 15)) == datetime(2026, 6, 14, 16, 0, tzinfo=UTC)
    assert shanghai.day_end(date(2026, 6, 15)) == datetime(2026, 6, 15, 16, 0, tzinfo=UTC)
    assert shanghai.at(date(2026, 6, 15), time(9, 30)) == datetime(2026, 6, 15, 1, 30, tzinfo=UTC)
    assert shanghai.local(datetime(2026, 6, 15, 9, 30)).utcoffset() is not None  # naive means local


@pytest.mark.parametrize(
    ("day", "workday"),
    [
        (date(2026, 6, 15), True),  # an ordinary Monday
        (date(2026, 6, 13), False),  # an ordinary Saturday
        (date(2026, 1, 1), False),  # New Year's Day (a Thursday)
        (date(2026, 1, 4), True),  # Sunday, a make-up working day (调休)
        (date(2026, 2, 17), False),  # Spring Festival
        (date(2026, 2, 28), True),  # Saturday, make-up
        (date(2026, 6, 19), False),  # Dragon Boat Festival (a Friday)
        (date(2026, 9, 20), True),  # Sunday, make-up
        (date(2026, 10, 1), False),  # National Day
        (date(2026, 10, 7), False),
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), True),  # Saturday, make-up
        (date(2025, 10, 1), False),
        (date(2025, 9, 28), True),  # Sunday, make-up in 2025
    ],
)
def test_working_days_follow_the_official_schedule(day: date, workday: bool) -> None:
    env = ServiceEnv()
    assert env.is_workday(day) is workday
    assert env.calendar.is_holiday(day) is not workday


def test_workday_arithmetic() -> None:
    calendar = default_calendar()
    assert calendar.next_workday(date(2026, 9, 30)) == date(2026, 10, 8)
    assert calendar.next_workday(date(2026, 10, 9)) == date(2026, 10, 10)  # the make-up Saturday
    assert calendar.workday_on_or_after(date(2026, 10, 3)) == date(2026, 10, 8)
    assert calendar.workday_on_or_after(date(2026, 6, 15)) == date(2026, 6, 15)
    assert calendar.add_workdays(date(2026, 9, 25), 5) == date(2026, 10, 9)
    assert calendar.add_workdays(date(2026, 6, 15), 0) == date(2026, 6, 15)
    assert calendar.add_workdays(date(2026, 6, 15), 4) == date(2026, 6, 22)  # the Dragon Boat Friday skipped
    assert calendar.add_workdays(date(2026, 10, 8), -1) == date(2026, 9, 30)
    assert calendar.workdays_between(date(2026, 10, 1), date(2026, 10, 11)) == 3  # 8th, 9th, 10th
    assert ServiceEnv().add_workdays(date(2026, 9, 30), 1) == ServiceEnv().next_workday(date(2026, 9, 30))


def test_beyond_the_packages_data_weekdays_work_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    calendar = WorkCalendar(chinese_schedule())
    assert 2026 in calendar.schedule.years and calendar.covers(date(2026, 12, 31))
    later = max(calendar.schedule.years) + 1
    first_monday = next(date(later, 1, d) for d in range(1, 8) if date(later, 1, d).weekday() == 0)
    with caplog.at_level(logging.WARNING, logger="bot.environment"):
        assert calendar.is_workday(first_monday)
        assert not calendar.is_workday(date(later, 1, 1 + (5 - date(later, 1, 1).weekday()) % 7))  # a Saturday
        assert calendar.next_workday(first_monday)
    warnings = [r for r in caplog.records if str(later) in r.getMessage()]
    assert len(warnings) == 1 and "not known" in warnings[0].getMessage()


def test_a_schedule_can_be_given() -> None:
    schedule = Schedule(
        holidays=frozenset({date(2030, 5, 1)}), workdays=frozenset({date(2030, 5, 4)}), years=frozenset({2030})
    )
    calendar = WorkCalendar(schedule)
    assert not calendar.is_workday(date(2030, 5, 1)) and calendar.is_workday(date(2030, 5, 4))
    assert calendar.is_workday(date(2030, 5, 2)) and not calendar.is_workday(date(2030, 5, 5))


@pytest.mark.parametrize(
    ("local", "working"),
    [
        (datetime(2026, 6, 15, 9, 0), True),  # the start is within
        (datetime(2026, 6, 15, 8, 59), False),
        (datetime(2026, 6, 15, 17, 59), True),
        (datetime(2026, 6, 15, 18, 0), False),  # the end is not
        (datetime(2026, 6, 13, 10, 0), False),  # Saturday
        (datetime(2026, 10, 1, 10, 0), False),  # National Day
        (datetime(2026, 10, 10, 10, 0), True),  # make-up Saturday
    ],
)
def test_working_time(local: datetime, working: bool) -> None:
    env = ServiceEnv(tz=ZoneInfo("Asia/Shanghai"))
    assert env.is_working_time(local.replace(tzinfo=env.tz)) is working
    assert env.is_working_time(local.replace(tzinfo=env.tz).astimezone(UTC)) is working  # any zone in


def test_working_time_uses_the_configured_zone() -> None:
    moment = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)  # 10:00 Monday in Shanghai, 16:00 Sunday in Honolulu
    assert ServiceEnv(tz=ZoneInfo("Asia/Shanghai")).is_working_time(moment)
    assert not ServiceEnv(tz=ZoneInfo("Pacific/Honolulu")).is_working_time(moment)


def test_outside_work_seconds() -> None:
    env = ServiceEnv(tz=ZoneInfo("Asia/Shanghai"))
    at = env.tz
    assert env.outside_work_seconds(datetime(2026, 6, 15, 17, tzinfo=at), datetime(2026, 6, 15, 19, tzinfo=at)) == 3600
    assert env.outside_work_seconds(datetime(2026, 6, 15, 10, tzinfo=at), datetime(2026, 6, 15, 12, tzinfo=at)) == 0
    # A holiday counts whole: 10:00-12:00 on National Day is all outside working hours.
    assert env.outside_work_seconds(datetime(2026, 10, 1, 10, tzinfo=at), datetime(2026, 10, 1, 12, tzinfo=at)) == 7200
    assert env.outside_work_seconds(datetime(2026, 6, 15, 12, tzinfo=at), datetime(2026, 6, 15, 10, tzinfo=at)) == 0
