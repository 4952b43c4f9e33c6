"""Time: stored times are UTC; "today", "this month", "this quarter" are computed in the configured zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")


def now_utc() -> datetime:
    """Now, timezone-aware UTC."""
    return datetime.now(UTC)


def today(tz: ZoneInfo = DEFAULT_TZ) -> date:
    """Today's date in ``tz``."""
    return now_utc().astimezone(tz).date()


def local_midnight_utc(day: date, tz: ZoneInfo = DEFAULT_TZ) -> datetime:
    """The UTC instant at which ``day`` begins in ``tz``."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def end_of_local_day_utc(day: date, tz: ZoneInfo = DEFAULT_TZ) -> datetime:
    """The UTC instant at which ``day`` ends in ``tz`` (the next local midnight)."""
    return local_midnight_utc(day + timedelta(days=1), tz)


def anniversary(original: date, year: int) -> date:
    """``original``'s day in ``year``; 29 February falls on 28 February in common years."""
    try:
        return original.replace(year=year)
    except ValueError:
        return date(year, 2, 28)
