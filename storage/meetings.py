"""Meetings (三会一课, 主题党日, 组织生活会 …), attendance, and the live check-in QR codes on display."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, utcnow


class MeetingStatus(enum.StrEnum):
    """Life of a meeting."""

    SCHEDULED = "scheduled"
    CLOSED = "closed"  # held and recorded; no more edits
    CANCELLED = "cancelled"


class Meeting(Base):
    """One meeting of a branch (or of a Party group, or of a unit's Party body)."""

    __tablename__ = "meetings"
    __table_args__ = (Index("ix_meetings_org_starts", "org_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))  # the branch (or unit)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))  # an id of bot.services.meeting_kinds
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    place: Mapped[str | None] = mapped_column(String(200))
    topic: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default=MeetingStatus.SCHEDULED)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    record: Mapped[str | None] = mapped_column(Text)  # short minutes written at closing
    record_photos: Mapped[list[str]] = mapped_column(JSON, default=list)  # Telegram file ids
    latitude: Mapped[float | None] = mapped_column()
    longitude: Mapped[float | None] = mapped_column()
    radius_m: Mapped[int | None] = mapped_column()  # check-in must be within this distance when set
    checkin_code: Mapped[str | None] = mapped_column(String(12))  # short code typed by members
    # Bumped by every announced change, so each change's announcement has its own outbox dedup key.
    revision: Mapped[int] = mapped_column(default=0)
    notified_at: Mapped[datetime | None] = mapped_column()  # when members last got a notice or change
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AttendanceStatus(enum.StrEnum):
    """A member's answer and presence."""

    NO_ANSWER = "no_answer"
    ATTENDING = "attending"  # said they will come
    LEAVE_REQUESTED = "leave_requested"
    ON_LEAVE = "on_leave"  # leave approved
    PRESENT = "present"
    LATE = "late"
    ABSENT = "absent"  # confirmed at closing


CHECKED_IN = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)


class Attendance(Base):
    """One member at one meeting: one row, whatever happens (the unique key refuses a second)."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=AttendanceStatus.NO_ANSWER)
    leave_reason: Mapped[str | None] = mapped_column(String(500))
    answered_at: Mapped[datetime | None] = mapped_column()
    checked_in_at: Mapped[datetime | None] = mapped_column()
    checkin_method: Mapped[str | None] = mapped_column(String(16))  # qr / code / button / secretary
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MeetingQrDisplay(Base):
    """A live check-in QR photo in some chat; a job re-draws it with a fresh token while check-in is open."""

    __tablename__ = "meeting_qr_displays"
    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[int] = mapped_column()
    message_id: Mapped[int] = mapped_column()
    locale: Mapped[str] = mapped_column(String(8))
    slot: Mapped[int] = mapped_column(default=0)  # the token slot currently shown
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
