"""Political birthdays (政治生日): members' greeting preferences, branches' wishes, and the daily run log.

The birthdays themselves are not stored: they follow from ``members.join_date``. What is stored is what a
person chose (a member turning the greeting off, a secretary writing the branch's wish) and what the scheduler
did each day, so that a missed day can be noticed and logged. The greetings are outbox rows (key
``birthday:<member>:<year>``), which is what makes them go out exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, String, UniqueConstraint, extract, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, utcnow
from storage.meetings import Meeting, MeetingStatus
from storage.models import Member, Organisation, OrgKind, Role
from storage.queries import upsert_insert


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


# --- queries (each takes a session and never commits) ---------------------------------------------------------


async def active_members(
    session: AsyncSession, org_ids: set[int] | None, month: int | None
) -> list[tuple[Member, bool]]:
    """Active members (of ``org_ids``), by name, each with whether their greeting is on; with ``month``, only those
    who joined in that month. One statement: the preference is an outer join, not a second look-up by ids."""
    stmt = (
        select(Member, BirthdayPreference.greetings_enabled)
        .outerjoin(BirthdayPreference, BirthdayPreference.member_id == Member.id)
        .where(Member.active.is_(True))
        .order_by(Member.name, Member.id)
    )
    if org_ids is not None:
        stmt = stmt.where(Member.org_id.in_(org_ids))
    if month is not None:
        # The month of the political birthday is the join month, also for 29 February.
        stmt = stmt.where(Member.join_date.is_not(None), extract("month", Member.join_date) == month)
    return [(member, enabled is not False) for member, enabled in (await session.execute(stmt)).all()]


async def members_with_unusable_join_date(
    session: AsyncSession, org_ids: set[int] | None, today: date, founding: date
) -> list[Member]:
    """Active members (of ``org_ids``), by name, whose join date is missing, after ``today`` or before
    ``founding``: the few a data check reports, chosen by the database instead of loading every member."""
    stmt = (
        select(Member)
        .where(
            Member.active.is_(True),
            or_(Member.join_date.is_(None), Member.join_date > today, Member.join_date < founding),
        )
        .order_by(Member.name, Member.id)
    )
    if org_ids is not None:
        stmt = stmt.where(Member.org_id.in_(org_ids))
    return list((await session.scalars(stmt)).all())


async def greetings_on(session: AsyncSession, member_id: int) -> bool:
    """Whether the member's greeting is on (no row: on)."""
    enabled = await session.scalar(
        select(BirthdayPreference.greetings_enabled).where(BirthdayPreference.member_id == member_id)
    )
    return enabled is not False


async def locked_preference(session: AsyncSession, member_id: int) -> BirthdayPreference:
    """The member's preference row, created if missing and locked for the caller's change (two quick presses may
    race to create it: one insert wins, the other finds it)."""
    await session.execute(
        upsert_insert(session)(BirthdayPreference)
        .values(member_id=member_id, greetings_enabled=True, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["member_id"])
    )
    preference = await session.scalar(
        select(BirthdayPreference)
        .where(BirthdayPreference.member_id == member_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert preference is not None
    return preference


async def all_wishes(session: AsyncSession) -> dict[int, str]:
    """Every branch's wish, by branch id."""
    return {w.org_id: w.text for w in (await session.scalars(select(BirthdayWish))).all()}


async def locked_run(session: AsyncSession, job: str, day: date, status: str = BirthdayRunStatus.DONE) -> BirthdayRun:
    """The run-log row of ``job`` on ``day``, created if missing (two replicas may race: one insert wins)."""
    now = utcnow()
    await session.execute(
        upsert_insert(session)(BirthdayRun)
        .values(job=job, day=day, status=status, runs=0, queued=0, first_run_at=now, last_run_at=now, details={})
        .on_conflict_do_nothing(index_elements=["job", "day"])
    )
    row = await session.scalar(
        select(BirthdayRun)
        .where(BirthdayRun.job == job, BirthdayRun.day == day)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


async def has_run(session: AsyncSession, job: str, day: date) -> bool:
    """Whether ``job`` has a run-log row for ``day``."""
    return (
        await session.scalar(select(BirthdayRun.id).where(BirthdayRun.job == job, BirthdayRun.day == day)) is not None
    )


async def last_run_before(session: AsyncSession, job: str, day: date) -> date | None:
    """The latest day before ``day`` with a run-log row of ``job``."""
    return await session.scalar(select(func.max(BirthdayRun.day)).where(BirthdayRun.job == job, BirthdayRun.day < day))


async def missed_days(session: AsyncSession, job: str, since: date, before: date) -> list[date]:
    """The days in [since, before) noted as missed for ``job``."""
    rows = await session.scalars(
        select(BirthdayRun.day).where(
            BirthdayRun.job == job,
            BirthdayRun.status == BirthdayRunStatus.MISSED,
            BirthdayRun.day >= since,
            BirthdayRun.day < before,
        )
    )
    return sorted(rows.all())


async def all_branches(session: AsyncSession) -> Sequence[Organisation]:
    """Every branch, by id."""
    return (
        await session.scalars(select(Organisation).where(Organisation.kind == OrgKind.BRANCH).order_by(Organisation.id))
    ).all()


async def branches_with_theme_day(session: AsyncSession, day_of_month: int) -> Sequence[Organisation]:
    """The branches whose fixed theme Party day (主题党日) is this day of the month."""
    return (
        await session.scalars(
            select(Organisation)
            .where(Organisation.kind == OrgKind.BRANCH, Organisation.theme_day == day_of_month)
            .order_by(Organisation.id)
        )
    ).all()


async def theme_meetings_between(
    session: AsyncSession, kind: str, start: datetime, end: datetime
) -> list[tuple[int, datetime]]:
    """(branch id, start) of the scheduled meetings of ``kind`` (the theme Party day's) in [start, end), by start."""
    rows = await session.execute(
        select(Meeting.org_id, Meeting.starts_at)
        .join(Organisation, Organisation.id == Meeting.org_id)
        .where(
            Organisation.kind == OrgKind.BRANCH,
            Meeting.kind == kind,
            Meeting.status == MeetingStatus.SCHEDULED,
            Meeting.starts_at >= start,
            Meeting.starts_at < end,
        )
        .order_by(Meeting.starts_at)
    )
    return [(org_id, starts_at) for org_id, starts_at in rows.all()]


async def admins_on_telegram(session: AsyncSession) -> Sequence[Member]:
    """Every active administrator the bot can reach, by id."""
    return (
        await session.scalars(
            select(Member)
            .where(Member.role == Role.ADMIN, Member.active.is_(True), Member.telegram_id.is_not(None))
            .order_by(Member.id)
        )
    ).all()


async def active_member_ids_in_group(session: AsyncSession, group_id: int) -> set[int]:
    """The active members of a Party group (党小组)."""
    return set(
        (await session.scalars(select(Member.id).where(Member.group_id == group_id, Member.active.is_(True)))).all()
    )
