"""The volunteer tables (志愿服务, 到社区报到, measure 22): communities, registrations with history, activities with
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
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, utcnow


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
