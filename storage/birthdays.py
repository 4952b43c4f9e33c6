"""Political birthdays (政治生日): members' greeting preferences, branches' wishes, and the daily run log.

The birthdays themselves are not stored: they follow from ``members.join_date``. What is stored is what a
person chose (a member turning the greeting off, a secretary writing the branch's wish) and what the scheduler
did each day, so that a missed day can be noticed and logged. The greetings are outbox rows (key
``birthday:<member>:<year>``), which is what makes them go out exactly once.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, utcnow


class BirthdayPreference(Base):
    """A member's choice about the greeting; no row means the greeting is on."""

    __tablename__ = "birthday_preferences"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    greetings_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class BirthdayWish(Base):
    """The wish a branch adds to its members' greetings; no row means the template's default wish."""

    __tablename__ = "birthday_wishes"

    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    text: Mapped[str] = mapped_column(String(500))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class BirthdayRunStatus:
    """What happened to one scheduled job on one local day."""

    DONE = "done"
    MISSED = "missed"  # the bot was not running after the hour that day: nothing was sent, nothing will be


class BirthdayRun(Base):
    """One row per job and local day: how often it ran, what it queued, and what it could not do."""

    __tablename__ = "birthday_runs"
    __table_args__ = (UniqueConstraint("job", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(32))  # "greetings", "month", "theme"
    day: Mapped[date] = mapped_column(Date)  # the local day it was for
    status: Mapped[str] = mapped_column(String(16), default=BirthdayRunStatus.DONE)
    runs: Mapped[int] = mapped_column(default=0)  # a restart or a second replica runs it again, harmlessly
    queued: Mapped[int] = mapped_column(default=0)  # outbox rows actually added (repeats add none)
    first_run_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_run_at: Mapped[datetime] = mapped_column(default=utcnow)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # problems found, by member id
