"""Working days for the public notice period (公示期): the one place the points feature counts them.

The official holiday calendar (法定节假日 and 调休) is being added in :mod:`bot.environment`; until it is there this
falls back to Monday–Friday, so a notice spanning a public holiday ends a little early rather than never.
"""

from __future__ import annotations

from datetime import date, timedelta


def add_working_days(day: date, n: int) -> date:
    """The day ``n`` working days after ``day`` (counting starts the next day)."""
    try:
        from bot.environment import default_calendar  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        current, left = day, n
        while left > 0:
            current += timedelta(days=1)
            if current.weekday() < 5:
                left -= 1
        return current
    return default_calendar().add_workdays(day, n)  # type: ignore[no-any-return,unused-ignore]
