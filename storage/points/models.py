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


class PointTallyBuild(Base):
    """A branch's attendance tallies for the closed months of a year (1 … ``through``), counted by one set of
    attendance rules (``digest``): the city's points then read 30,000 small rows instead of grouping a million
    attendance rows on every report. Only a cache — the records stay the truth: a build is trusted only while no
    attendance row or meeting of its months was written after ``built_at`` (see storage/points/tallies.py)."""

    __tablename__ = "point_tally_builds"
    __table_args__ = (UniqueConstraint("org_id", "year", "digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column()
    digest: Mapped[str] = mapped_column(String(64))  # which attendance rules (and time zone) it counted by
    through: Mapped[int] = mapped_column()  # the last month counted (1–12)
    built_at: Mapped[datetime] = mapped_column(default=utcnow)


class PointTally(Base):
    """One member's counts in a build up to the end of ``month``, from 1 January: ``c0`` … ``c7`` are the build's
    attendance rules in order (a rules file with more attendance items is not tallied). Cumulative, with a row for
    every month 1 … through of each member with any count, so a run of whole months ``a`` … ``b`` is the row of
    ``b`` less the row of ``a - 1``: one or two rows per member, whatever the period."""

    __tablename__ = "point_tallies"

    build_id: Mapped[int] = mapped_column(ForeignKey("point_tally_builds.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    c0: Mapped[int] = mapped_column(Integer, default=0)
    c1: Mapped[int] = mapped_column(Integer, default=0)
    c2: Mapped[int] = mapped_column(Integer, default=0)
    c3: Mapped[int] = mapped_column(Integer, default=0)
    c4: Mapped[int] = mapped_column(Integer, default=0)
    c5: Mapped[int] = mapped_column(Integer, default=0)
    c6: Mapped[int] = mapped_column(Integer, default=0)
    c7: Mapped[int] = mapped_column(Integer, default=0)


TALLY_SLOTS = 8  # c0 … c7
