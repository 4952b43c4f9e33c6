"""The first agenda item (第一议题, measure 7): study materials, their dispatch to branches, what each meeting
studied first, and the nudges sent when a dispatched material stays unstudied."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, utcnow


class MaterialKind(enum.StrEnum):
    """What a study material is."""

    SPEECH = "speech"  # 重要讲话
    INSTRUCTION = "instruction"  # 重要指示（批示）
    ARTICLE = "article"  # 文章
    MEETING_SPIRIT = "meeting_spirit"  # 会议精神


class StudyForm(enum.StrEnum):
    """How the branch studied it."""

    CONVEYING = "conveying"  # 传达学习
    DISCUSSION = "discussion"  # 集中研讨
    TUTORIAL = "tutorial"  # 专题辅导
    EXCHANGE = "exchange"  # 交流发言


class StudyMaterial(Base):
    """A speech, instruction, article or meeting spirit to study; in the catalog of ``owner_org_id``.

    Administrators' materials live in their organisation's catalog and are seen by every branch below it;
    a secretary's own (or typed while recording) live in the branch's catalog.
    """

    __tablename__ = "study_materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    source: Mapped[str | None] = mapped_column(String(200))  # issuing source: 新华社, 中央办公厅 …
    issued_on: Mapped[date | None] = mapped_column(Date)  # date of the speech or instruction
    kind: Mapped[str | None] = mapped_column(String(16))  # a MaterialKind; unknown for a typed title
    body: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))
    attachment_file_id: Mapped[str | None] = mapped_column(String(200))  # a Telegram file id
    attachment_name: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MaterialDispatch(Base):
    """A material sent to one branch; the unique key makes a second dispatch to it impossible."""

    __tablename__ = "material_dispatches"
    __table_args__ = (UniqueConstraint("material_id", "branch_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("study_materials.id", ondelete="CASCADE"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    dispatched_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))


class FirstAgendaItem(Base):
    """Agenda item 1 of one meeting: what was studied (see :class:`FirstAgendaMaterial`), how, led by whom."""

    __tablename__ = "first_agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), unique=True)
    form: Mapped[str | None] = mapped_column(String(16))  # a StudyForm; None until the secretary says
    led_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    led_by_name: Mapped[str | None] = mapped_column(String(100))  # kept even for a guest lecturer
    note: Mapped[str | None] = mapped_column(String(500))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class FirstAgendaMaterial(Base):
    """One material studied under a meeting's first agenda item, in the order given."""

    __tablename__ = "first_agenda_materials"
    __table_args__ = (UniqueConstraint("item_id", "material_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("first_agenda_items.id", ondelete="CASCADE"))
    material_id: Mapped[int] = mapped_column(ForeignKey("study_materials.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int] = mapped_column(default=1)


class FirstAgendaNudge(Base):
    """A branch was reminded that a dispatched material is still unstudied: once per (material, branch)."""

    __tablename__ = "first_agenda_nudges"
    __table_args__ = (UniqueConstraint("material_id", "branch_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("study_materials.id", ondelete="CASCADE"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    nudged_at: Mapped[datetime] = mapped_column(default=utcnow)
