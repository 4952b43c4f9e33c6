"""Core's queries: invitations and bindings, the roster's look-ups, the installation's own state, the demo's marks.

Each takes a session and never commits; the caller's unit of work does.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import event, func, insert, select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

from storage import flows
from storage.models import AuditEntry, ChatState, Invitation, Member, Organisation, OutboxMessage, OutboxStatus
from storage.queries import postgres_insert

# ---------------------------------------------------------------------------------------------------------------
# Invitations (邀请链接)


async def open_invitations(session: AsyncSession, member_id: int) -> Sequence[Invitation]:
    """The member's invitations not used yet (expired ones included)."""
    return (
        await session.scalars(select(Invitation).where(Invitation.member_id == member_id, Invitation.used_at.is_(None)))
    ).all()


async def invitation_by_hash(session: AsyncSession, token_hash: str) -> Invitation | None:
    return await session.scalar(select(Invitation).where(Invitation.token_hash == token_hash))


async def member_of_used_invitation(session: AsyncSession, token_hash: str) -> Member | None:
    """The member an already used invitation bound."""
    return await session.scalar(
        select(Member)
        .join(Invitation, Invitation.member_id == Member.id)
        .where(Invitation.token_hash == token_hash, Invitation.used_at.is_not(None))
    )


async def invitation_waiting_for_phone(session: AsyncSession, telegram_id: int) -> Invitation | None:
    """The newest unused invitation held for this account's phone number."""
    return await session.scalar(
        select(Invitation)
        .where(Invitation.pending_telegram_id == telegram_id, Invitation.used_at.is_(None))
        .order_by(Invitation.id.desc())
    )


async def claim_invitation(
    session: AsyncSession, invitation_id: int, member_id: int, telegram_id: int, now: datetime
) -> bool:
    """Use the invitation and bind the account, as conditional writes: True only for the one caller that found
    the invitation unused and the member unbound (two accounts opening one link at once: one wins)."""
    used = await session.execute(
        update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.used_at.is_(None))
        .values(used_at=now, pending_telegram_id=None)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        return False
    bound = await session.execute(
        update(Member)
        .where(Member.id == member_id, Member.telegram_id.is_(None))
        .values(telegram_id=telegram_id, unreachable_since=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(bound.rowcount == 1)  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------------------------
# Members


async def bound_members_after(session: AsyncSession, last_id: int, limit: int) -> Sequence[Member]:
    """Members bound to a Telegram account with an id above ``last_id``, by id, at most ``limit`` (for chunking)."""
    return (
        await session.scalars(
            select(Member).where(Member.telegram_id.is_not(None), Member.id > last_id).order_by(Member.id).limit(limit)
        )
    ).all()


async def bound_member_names(session: AsyncSession) -> dict[int, str]:
    """Every bound account's member name, by Telegram id."""
    rows = await session.execute(select(Member.telegram_id, Member.name).where(Member.telegram_id.is_not(None)))
    return {telegram_id: name for telegram_id, name in rows if telegram_id is not None}


async def member_by_telegram_id_any(session: AsyncSession, telegram_id: int) -> Member | None:
    """The member bound to this account, active or not."""
    return await session.scalar(select(Member).where(Member.telegram_id == telegram_id))


async def all_members(session: AsyncSession) -> Sequence[Member]:
    """Every member, by branch and roster number."""
    return (await session.scalars(select(Member).order_by(Member.org_id, Member.member_no))).all()


async def members_holding(session: AsyncSession, org_ids: Sequence[int]) -> list[tuple[int, int | None, str]]:
    """(branch, Party group, role) of every member in or grouped under ``org_ids``."""
    rows = await session.execute(
        select(Member.org_id, Member.group_id, Member.role).where(
            Member.org_id.in_(org_ids) | Member.group_id.in_(org_ids)
        )
    )
    return [(org_id, group_id, role) for org_id, group_id, role in rows]


# ---------------------------------------------------------------------------------------------------------------
# The installation's own state


async def bot_state(session: AsyncSession, key: str) -> ChatState | None:
    """A value the installation keeps for itself (scope ``bot``), shared by every replica."""
    return await session.scalar(select(ChatState).where(ChatState.scope == "bot", ChatState.key == key))


async def audit_action_exists(session: AsyncSession, action: str) -> bool:
    """Whether any audit entry records ``action`` (the demo's mark)."""
    return await session.scalar(select(AuditEntry.id).where(AuditEntry.action == action).limit(1)) is not None


# ---------------------------------------------------------------------------------------------------------------
# The roster's version: what a cache of "who is calling" compares against
#
# Every transaction that changes a member (binding, role, language, activity, branch) or an organisation (a linked
# group chat) writes a new random value into one row (chat_state, scope "bot", key "roster_version") just before
# it commits, in the same transaction. A process's cache compares that value (read at most every few seconds)
# and, for changes made in this very process, a local counter bumped at each such commit (so they count at once).

ROSTER_VERSION_KEY = flows.ROSTER_VERSION_KEY
_ROSTER_MODELS = (Member, Organisation)
_CHANGED = "roster_changed"  # in Session.info: this transaction changed the roster
_committed_changes = 0  # roster-changing commits made by this process


def local_roster_changes() -> int:
    """How many roster-changing transactions this process has committed (a cache is stale when it grows)."""
    return _committed_changes


async def roster_version(session: AsyncSession) -> str | None:
    """The stored roster version (None until the first change). Read by every update: one column, one row."""
    data = await session.scalar(
        select(ChatState.data).where(ChatState.scope == "bot", ChatState.key == ROSTER_VERSION_KEY)
    )
    return None if data is None else str(data)


def _note_flush(session: Session, _context: Any, _instances: Any) -> None:
    for obj in (*session.new, *session.deleted):
        if isinstance(obj, _ROSTER_MODELS):
            session.info[_CHANGED] = True
            return
    for obj in session.dirty:
        if isinstance(obj, _ROSTER_MODELS) and session.is_modified(obj):
            session.info[_CHANGED] = True
            return


def _note_statement(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    if any(mapper.class_ in _ROSTER_MODELS for mapper in state.all_mappers):
        state.session.info[_CHANGED] = True


def _write_version(session: Session) -> None:
    session.flush()  # the commit's own flush comes after this event: note its changes first
    if not session.info.get(_CHANGED):
        return
    value = secrets.token_hex(8)
    dialect = session.get_bind().dialect.name
    builder = postgres_insert() if dialect == "postgresql" else sqlite.insert if dialect == "sqlite" else None
    if builder is None:
        session.execute(insert(ChatState).values(scope="bot", key=ROSTER_VERSION_KEY, data=value))
        return
    stmt = builder(ChatState).values(scope="bot", key=ROSTER_VERSION_KEY, data=value)
    session.execute(
        stmt.on_conflict_do_update(index_elements=["scope", "key"], set_={"data": value, "updated_at": func.now()})
    )


def _committed(session: Session) -> None:
    global _committed_changes
    if session.info.pop(_CHANGED, False):
        _committed_changes += 1


def _rolled_back(session: Session, *_args: Any) -> None:
    session.info.pop(_CHANGED, None)


def watch_roster_changes(session_class: type[Session]) -> None:
    """Keep the roster version current for every session of ``session_class`` (bot/db.py's, once)."""
    if event.contains(session_class, "before_commit", _write_version):
        return
    event.listen(session_class, "before_flush", _note_flush)
    event.listen(session_class, "do_orm_execute", _note_statement)
    event.listen(session_class, "before_commit", _write_version)
    event.listen(session_class, "after_commit", _committed)
    event.listen(session_class, "after_rollback", _rolled_back)


# ---------------------------------------------------------------------------------------------------------------
# The demo's seeding


async def codes_and_numbers(session: AsyncSession) -> tuple[dict[str, int], dict[str, int]]:
    """Every organisation's id by code, every member's id by roster number."""
    orgs = {code: org_id for org_id, code in await session.execute(select(Organisation.id, Organisation.code))}
    members = {number: member_id for member_id, number in await session.execute(select(Member.id, Member.member_no))}
    return orgs, members


async def members_by_number(session: AsyncSession) -> dict[str, Member]:
    return {m.member_no: m for m in (await session.scalars(select(Member))).all()}


async def last_outbox_id(session: AsyncSession) -> int:
    return await session.scalar(select(func.max(OutboxMessage.id))) or 0


async def settle_outbox_after(session: AsyncSession, last_id: int, now: datetime) -> None:
    """Record the pushes queued after ``last_id`` as sent (the demo starts from a quiet outbox)."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id > last_id, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.SENT, sent_at=now)
    )
