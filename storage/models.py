"""Core models: the organisation tree, members, invitations, the audit log, the outbox, chat state.

Feature modules (meetings, birthdays, volunteer service …) define their models in their own
``storage/<feature>.py`` on the same :class:`~storage.base.Base`; :mod:`storage.registry` imports them all.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.base import Base, utcnow


class OrgKind(enum.StrEnum):
    """Levels of the organisation tree, top to bottom."""

    WORKING_COMMITTEE = "working_committee"  # 市直机关工委
    UNIT_COMMITTEE = "unit_committee"  # 机关党委
    GENERAL_BRANCH = "general_branch"  # 党总支
    BRANCH = "branch"  # 党支部
    PARTY_GROUP = "party_group"  # 党小组


class Role(enum.StrEnum):
    """What a person may do; an administrator's reach is the subtree of their organisation."""

    MEMBER = "member"  # 党员
    COMMITTEE = "committee"  # 支部委员 (acts for the secretary when delegated)
    SECRETARY = "secretary"  # 支部书记
    ADMIN = "admin"  # 机关党委 / 市直机关工委 staff


class Organisation(Base):
    """A node of the tree: working committee → unit committee / general branch → branch → Party group."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # stable key for imports
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    chat_id: Mapped[int | None] = mapped_column(unique=True)  # the branch's linked group chat
    theme_day: Mapped[int | None] = mapped_column()  # 主题党日: day of the month
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Organisation | None] = relationship(remote_side=[id], lazy="raise")


class Member(Base):
    """A person on the roster; bound to Telegram once ``telegram_id`` is set."""

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_no: Mapped[str] = mapped_column(String(64), unique=True)  # stable key for imports (编号)
    name: Mapped[str] = mapped_column(String(100))
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    role: Mapped[str] = mapped_column(String(16), default=Role.MEMBER)
    delegated: Mapped[bool] = mapped_column(Boolean, default=False)  # committee member acting for secretary
    join_date: Mapped[date | None] = mapped_column(Date)  # 入党日期
    probationary: Mapped[bool] = mapped_column(Boolean, default=False)  # 预备党员
    full_member_date: Mapped[date | None] = mapped_column(Date)  # 转正日期
    community: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    telegram_id: Mapped[int | None] = mapped_column(unique=True)
    language: Mapped[str | None] = mapped_column(String(8))
    unreachable_since: Mapped[datetime | None] = mapped_column()  # blocked the bot (Forbidden)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    org: Mapped[Organisation] = relationship(foreign_keys=[org_id], lazy="raise")


class Invitation(Base):
    """A one-time deep link that binds a Telegram account to a roster entry. Only the hash is stored."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    # Set when the link was opened but the roster's phone number is still to be confirmed.
    pending_telegram_id: Mapped[int | None] = mapped_column(index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))


class AuditEntry(Base):
    """Every change a secretary or administrator makes (and the CLI's), for inspection."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(100))  # "member:12", "cli", "scheduler"
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class OutboxStatus(enum.StrEnum):
    """Life of an outbox row."""

    PENDING = "pending"
    SENDING = "sending"  # claimed by a worker; a crash here is the only window for a repeat
    SENT = "sent"
    UNDELIVERABLE = "undeliverable"  # Forbidden / chat not found
    FAILED = "failed"  # gave up after retries
    DROPPED = "dropped"  # too late to be useful (e.g. a greeting after midnight)


class OutboxMessage(Base):
    """A message the bot sends on its own initiative, written in the transaction that causes it."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_not_before", "status", "not_before"),
        # The sender's claim: the most urgent due rows first, then the oldest (see storage/outbox.py).
        Index("ix_outbox_status_priority_not_before", "status", "priority", "not_before"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    chat_id: Mapped[int] = mapped_column()
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))  # "reminder", "greeting", "notice" …
    # Higher first: time-critical pushes (check-in open, the hour before a meeting, greetings on the day), then
    # ordinary notices, then the members' command menus (see bot.services.outbox.Priority).
    priority: Mapped[int] = mapped_column(SmallInteger, default=10, server_default="10")
    method: Mapped[str] = mapped_column(String(32), default="sendMessage")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column()
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    telegram_message_id: Mapped[int | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MemberMenu(Base):
    """The command menu last queued for a member's private chat, by digest: it is queued again only when it
    changes (role, language or the features' commands), never once per member at every start."""

    __tablename__ = "member_menus"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    digest: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxSender(Base):
    """A live outbox sender (one per bot process), seen at its last heartbeat: the replicas alive share
    Telegram's 30 messages a second equally (see bot.send_limiter)."""

    __tablename__ = "outbox_senders"

    sender_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChatState(Base):
    """Small values the bot keeps by name (the token secret). Flow state lives in ``flow_state`` (storage/flows.py)."""

    __tablename__ = "chat_state"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(32))  # "conversation:<name>", "user", "chat", "bot"
    key: Mapped[str] = mapped_column(String(100))
    data: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
