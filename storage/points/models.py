"""Member points (党员积分, measure 14) and branch star ratings (评星定级, measure 13): the tables — the rules in
force, the leaders' manual entries and corrections, published results and the star ratings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, utcnow


class PointRules(Base):
    """One version of the rules a unit (or the city) applied; the newest version of the nearest one is in force."""

    __tablename__ = "point_rules"
    __table_args__ = (UniqueConstraint("org_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    version: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(String(200))
    example: Mapped[bool] = mapped_column(Boolean, default=False)  # 示例: results cannot be published
    text: Mapped[str] = mapped_column(Text)  # the file as applied, so a past version can be re-read exactly
    digest: Mapped[str] = mapped_column(String(64))
    applied_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)


class EntryKind:
    """What a leader's point entry is."""

    MANUAL = "manual"  # an item whose rule source is manual
    CORRECTION = "correction"  # a change to a computed item (a wrong record), with a reason


class PointEntry(Base):
    """A manual item or a correction, entered by a branch leader or an administrator with a reason."""

    __tablename__ = "point_entries"
    __table_args__ = (Index("ix_point_entries_branch_day", "branch_id", "on_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    rule_key: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(Integer)  # tenths of a point
    reason: Mapped[str] = mapped_column(String(500))
    ref: Mapped[str | None] = mapped_column(String(100))  # the event a correction is about, as the person typed it
    on_date: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PointPublication(Base):
    """A branch's member points for a closed year as published: kept as they were, whatever changes later."""

    __tablename__ = "point_publications"
    __table_args__ = (UniqueConstraint("branch_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    year: Mapped[int] = mapped_column()
    rules_id: Mapped[int] = mapped_column(ForeignKey("point_rules.id", ondelete="RESTRICT"))
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # the report rows, as shown then
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)


class StarStatus:
    """Life of a branch's star rating for a year."""

    DRAFT = "draft"  # the branch fills in its self-assessment
    SUBMITTED = "submitted"  # sent to the administrators for review
    ANNOUNCED = "announced"  # 公示: the notice period runs; the branch may object
    OBJECTED = "objected"  # the branch objected during the notice period
    PUBLISHED = "published"  # final; kept as published


class StarRating(Base):
    """One branch's rating for one year: self-assessment, the administrators' adjustments, notice, result."""

    __tablename__ = "star_ratings"
    __table_args__ = (UniqueConstraint("branch_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"))
    year: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default=StarStatus.DRAFT)
    # {criterion key: {"score": tenths, "note": str, "photos": [file ids]}} — the branch's own scores
    self_scores: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # {criterion key: {"score": tenths, "reason": str}} — the administrators' changes
    adjustments: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    rules_id: Mapped[int | None] = mapped_column(ForeignKey("point_rules.id", ondelete="RESTRICT"))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the rating as announced / published
    announced_on: Mapped[date | None] = mapped_column(Date)
    notice_ends_on: Mapped[date | None] = mapped_column(Date)  # last working day of the notice period
    objection: Mapped[str | None] = mapped_column(String(1000))
    answer: Mapped[str | None] = mapped_column(String(1000))  # the administrators' answer to an objection
    published_at: Mapped[datetime | None] = mapped_column()
    revision: Mapped[int] = mapped_column(default=0)  # raised by each step; its notices are keyed by it
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
