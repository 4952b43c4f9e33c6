"""Volunteer service (志愿服务, 到社区报到, measure 22): communities, registrations with history, activities with
places and a waiting list, check-in and check-out, self-reported service.

Database-level guarantees the services rely on:

- ``community_registrations.current_member_id`` is unique: a member has at most one current registration
  (history rows keep it NULL, and NULLs never collide).
- ``activity_signups (activity_id, member_id)`` is unique: one row per member and activity, whatever happens.
- ``activities.taken`` counts confirmed places; it only grows through ``UPDATE … WHERE taken < slots``, so
  places never overbook, whichever process or replica handles the press.
- ``service_reports.ref`` is unique: a self-report submitted twice (a double tap) is stored once.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Select,
    String,
    Text,
    UniqueConstraint,
    and_,
    case,
    func,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, utcnow
from storage.models import Member, Organisation, OrgKind


class Community(Base):
    """A village or community (村/社区) where members register and serve."""

    __tablename__ = "communities"
    __table_args__ = (UniqueConstraint("town", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    town: Mapped[str] = mapped_column(String(100))  # 镇/街道 or district
    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()
    contact: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommunityRegistration(Base):
    """A member registered (报到) with a community from ``registered_on``; ``ended_on`` closes it in history."""

    __tablename__ = "community_registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="RESTRICT"), index=True)
    registered_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    # The member's id while this is their current registration, NULL once it ended: unique, so never two.
    current_member_id: Mapped[int | None] = mapped_column(unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActivityStatus(enum.StrEnum):
    """Life of an activity."""

    OPEN = "open"
    CANCELLED = "cancelled"


class Activity(Base):
    """A volunteer activity with a limited number of places."""

    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint("taken >= 0 AND taken <= slots", name="places"),
        Index("ix_activities_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="RESTRICT"))
    place: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[float | None] = mapped_column()  # the map pin; else the community's position
    longitude: Mapped[float | None] = mapped_column()
    radius_m: Mapped[int] = mapped_column()  # location check-in must be within this distance
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    slots: Mapped[int] = mapped_column()
    taken: Mapped[int] = mapped_column(default=0)  # confirmed places; see the module docstring
    skills: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))  # posted by
    status: Mapped[str] = mapped_column(String(16), default=ActivityStatus.OPEN)
    revision: Mapped[int] = mapped_column(default=0)  # raised by each edit; its announcement is keyed by it
    cancelled_at: Mapped[datetime | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActivityDispatch(Base):
    """An activity sent to a branch: its members see it and may sign up."""

    __tablename__ = "activity_dispatches"
    __table_args__ = (UniqueConstraint("activity_id", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SignUpStatus(enum.StrEnum):
    """A member's place at an activity."""

    CONFIRMED = "confirmed"
    WAITING = "waiting"
    CANCELLED = "cancelled"


class SignUp(Base):
    """One member at one activity: the place, the waiting list, check-in and check-out, the hours counted."""

    __tablename__ = "activity_signups"
    __table_args__ = (
        UniqueConstraint("activity_id", "member_id"),
        Index("ix_activity_signups_queue", "activity_id", "status", "queued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)  # order of the waiting list
    promoted_at: Mapped[datetime | None] = mapped_column()  # moved up from the waiting list
    checked_in_at: Mapped[datetime | None] = mapped_column()
    checkin_method: Mapped[str | None] = mapped_column(String(16))  # qr / location
    checked_out_at: Mapped[datetime | None] = mapped_column()
    checkout_method: Mapped[str | None] = mapped_column(String(16))  # qr / location / button / auto
    minutes: Mapped[int | None] = mapped_column()  # hours counted, in minutes, once checked out
    outside_minutes: Mapped[int | None] = mapped_column()  # of which outside working hours
    auto_closed: Mapped[bool] = mapped_column(Boolean, default=False)  # forgotten check-out, closed at the end
    confirmed_at: Mapped[datetime | None] = mapped_column()  # the secretary confirmed an auto-closed one
    corrected_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    correction_reason: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ReportStatus(enum.StrEnum):
    """Life of a self-report."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ServiceReport(Base):
    """Service a member did elsewhere and reported; it counts once the secretary approves it."""

    __tablename__ = "service_reports"
    __table_args__ = (Index("ix_service_reports_org_status", "org_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)  # idempotency key of the submission
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))  # whose queue
    service_date: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[datetime | None] = mapped_column()
    ends_at: Mapped[datetime | None] = mapped_column()
    minutes: Mapped[int] = mapped_column()
    outside_minutes: Mapped[int] = mapped_column()
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id", ondelete="SET NULL"))
    place: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(1000))
    photos: Mapped[list[str]] = mapped_column(JSON, default=list)  # Telegram file ids
    status: Mapped[str] = mapped_column(String(16), default=ReportStatus.PENDING)
    decision_reason: Mapped[str | None] = mapped_column(String(500))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# Queries ----------------------------------------------------------------------------------------------


async def decide_pending_reports(
    session: AsyncSession,
    report_ids: Sequence[int],
    *,
    status: ReportStatus,
    decided_by_id: int | None,
    decided_at: datetime,
    reason: str | None = None,
) -> list[int]:
    """Decide the reports among ``report_ids`` that are still pending, in ONE conditional write
    (``UPDATE … WHERE status = 'pending' RETURNING id``): of two leaders deciding at once only one wins.
    Returns the ids this call decided; the session's copies of them are refreshed."""
    if not report_ids:
        return []
    stmt = (
        update(ServiceReport)
        .where(ServiceReport.id.in_(list(report_ids)), ServiceReport.status == ReportStatus.PENDING)
        .values(status=status, decided_by_id=decided_by_id, decided_at=decided_at, decision_reason=reason)
        .returning(ServiceReport.id)
        .execution_options(synchronize_session="fetch")
    )
    return sorted((await session.execute(stmt)).scalars().all())


async def report_status(session: AsyncSession, report_id: int) -> str | None:
    """The stored status of a report, read afresh (not from the session's copy)."""
    stmt = select(ServiceReport.status).where(ServiceReport.id == report_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def dispatched_branch_names(session: AsyncSession, activity_id: int) -> list[str]:
    """The names of the organisations an activity was sent to, alphabetically."""
    rows = await session.scalars(
        select(Organisation.name)
        .join(ActivityDispatch, ActivityDispatch.org_id == Organisation.id)
        .where(ActivityDispatch.activity_id == activity_id)
        .order_by(Organisation.name)
    )
    return list(rows.all())


def subtree_select(root_id: int) -> Select[tuple[int]]:
    """``SELECT id`` of ``root_id`` and every organisation below it: a recursive CTE, one statement whatever the
    size of the tree (storage.queries.subtree_ids reads the whole table into Python)."""
    tree = select(Organisation.id).where(Organisation.id == root_id).cte("subtree", recursive=True)
    tree = tree.union_all(select(Organisation.id).where(Organisation.parent_id == tree.c.id))
    return select(tree.c.id)


BranchService = tuple[Organisation, int, int, int, int]
"""``(branch, active members, members with service, minutes, outside minutes)``."""


async def service_by_branch(
    session: AsyncSession, root_id: int, begin: datetime, end: datetime, first: date, following: date
) -> list[BranchService]:
    """Volunteer service of every branch under ``root_id``, by name, in ONE statement: attended activities that
    start in ``[begin, end)`` and approved self-reports dated ``[first, following)``, summed per member, then per
    branch. The city screen's cost does not grow with the number of branches or members."""
    attended = (
        select(
            SignUp.member_id.label("member_id"),
            func.coalesce(SignUp.minutes, 0).label("minutes"),
            func.coalesce(SignUp.outside_minutes, 0).label("outside"),
        )
        .join(Activity, Activity.id == SignUp.activity_id)
        .where(
            SignUp.checked_in_at.is_not(None),
            SignUp.status == SignUpStatus.CONFIRMED,
            Activity.starts_at >= begin,
            Activity.starts_at < end,
        )
    )
    reported = select(
        ServiceReport.member_id.label("member_id"),
        ServiceReport.minutes.label("minutes"),
        ServiceReport.outside_minutes.label("outside"),
    ).where(
        ServiceReport.status == ReportStatus.APPROVED,
        ServiceReport.service_date >= first,
        ServiceReport.service_date < following,
    )
    served = union_all(attended, reported).subquery("served")
    per_member = (
        select(
            served.c.member_id,
            func.sum(served.c.minutes).label("minutes"),
            func.sum(served.c.outside).label("outside"),
        )
        .group_by(served.c.member_id)
        .subquery("per_member")
    )
    stmt = (
        select(
            Organisation,
            func.count(Member.id),
            func.coalesce(func.sum(case((per_member.c.minutes > 0, 1), else_=0)), 0),
            func.coalesce(func.sum(per_member.c.minutes), 0),
            func.coalesce(func.sum(per_member.c.outside), 0),
        )
        .outerjoin(Member, and_(Member.org_id == Organisation.id, Member.active.is_(True)))
        .outerjoin(per_member, per_member.c.member_id == Member.id)
        .where(Organisation.id.in_(subtree_select(root_id)), Organisation.kind == OrgKind.BRANCH)
        .group_by(Organisation.id)
        .order_by(Organisation.name, Organisation.id)
    )
    return [
        (org, int(n), int(with_service), int(m), int(o)) for org, n, with_service, m, o in await session.execute(stmt)
    ]
