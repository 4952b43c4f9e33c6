"""A person's place in a guided flow, and which updates were handled; read and written in the update's session.

One row per person (``flow_state``): the flow they are in (if any), its step, and what the flows keep between
steps (``data``, what handlers see as ``context.user_data``). It is read afresh for every update and written
with a compare-and-set on ``version``, so any replica can take any update and two writers never both win.
``handled_updates`` notes each update that was handled, in the same transaction as the update's effects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, NamedTuple

from sqlalchemy import JSON, Connection, Integer, Select, String, and_, bindparam, delete, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, utcnow
from storage.models import ChatState, Member, Organisation
from storage.queries import upsert_insert

# Handled-update markers older than this are pruned: Telegram keeps an unconfirmed update for at most 24 hours,
# so a replay after a crash never needs an older marker.
HANDLED_KEPT_FOR = timedelta(days=2)
# Pruning runs on one insert in this many (update ids are consecutive), so it costs nothing per update.
PRUNE_EVERY = 1024


class FlowState(Base):
    """Where one person is in a guided flow, and what the flows keep for them between updates."""

    __tablename__ = "flow_state"

    user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # Telegram user id
    flow: Mapped[str | None] = mapped_column(String(64))  # None: in no flow
    chat_id: Mapped[int | None] = mapped_column()  # the flow's chat; None: any chat (or no flow)
    state: Mapped[str | None] = mapped_column(String(64))  # the step, as str(state key of the flow)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class HandledUpdate(Base):
    """An update that was handled: written in the transaction of its effects (or alone, if it had none)."""

    __tablename__ = "handled_updates"

    update_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    handled_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


@dataclass(frozen=True)
class PersonState:
    """One person's row as read (``version`` 0: no row yet)."""

    flow: str | None
    chat_id: int | None
    state: str | None
    data: dict[str, Any]
    version: int

    @property
    def empty(self) -> bool:
        """Nothing worth a row: no flow and no data."""
        return self.flow is None and not self.data


NO_STATE = PersonState(None, None, None, {}, 0)


class StaleFlowState(Exception):
    """Another update of the same person changed their flow state since this one read it; nothing is saved."""


# The key of the roster's version in chat_state (storage/core.py writes it; the caller cache compares it).
ROSTER_VERSION_KEY = "roster_version"


def _state_and_roster(with_member: bool = False, with_chat: bool = False) -> Select[Any]:
    roster = (
        select(ChatState.data)
        .where(ChatState.scope == "bot", ChatState.key == ROSTER_VERSION_KEY)
        .scalar_subquery()
        .label("roster")
    )
    one = select(literal(1).label("one")).subquery()  # one row, whether or not the person has a flow_state row
    user_id = bindparam("user_id", type_=FlowState.user_id.type)
    stmt = (
        select(roster, FlowState.flow, FlowState.chat_id, FlowState.state, FlowState.data, FlowState.version)
        .select_from(one)
        .outerjoin(FlowState, FlowState.user_id == user_id)
    )
    if with_member:  # the columns the caller cache keeps (CallerMember), not an ORM object: cheaper to read
        stmt = stmt.add_columns(
            Member.id.label("member_id"),
            Member.name.label("member_name"),
            Member.role.label("member_role"),
            Member.org_id.label("member_org_id"),
            Member.delegated.label("member_delegated"),
            Member.language.label("member_language"),
        ).outerjoin(Member, and_(Member.telegram_id == user_id, Member.active.is_(True)))
    if with_chat:  # the branch whose group chat the update came from
        chat_id = bindparam("chat_id", type_=Organisation.chat_id.type)
        stmt = stmt.add_columns(
            select(Organisation.id).where(Organisation.chat_id == chat_id).limit(1).scalar_subquery().label("chat_org")
        )
    return stmt


# Built once: every update runs it, and a statement built anew is compiled-cache-keyed anew (SQLAlchemy keeps
# the key of a statement object it has seen).
_STATE_AND_ROSTER = _state_and_roster()
_STATE_ROSTER_AND_MEMBER = _state_and_roster(with_member=True)
_STATE_ROSTER_MEMBER_AND_CHAT = _state_and_roster(with_member=True, with_chat=True)


class CallerMember(NamedTuple):
    """What the caller cache keeps of the active member bound to an account (bot/services/access.py's Actor.of)."""

    id: int
    name: str
    role: str
    org_id: int
    delegated: bool
    language: str | None


class CallerRead(NamedTuple):
    """The person's state and the roster version, with the member bound to the account (None: none) and, for an
    update from a group, the branch of that group (None: no branch's group; UNSET_CHAT: not asked)."""

    state: PersonState
    roster: str | None
    member: CallerMember | None
    chat_branch_id: int | object | None


UNSET_CHAT: Final = object()


def _caller_read(row: Any, chat_id: int | None) -> CallerRead:
    state, roster = _state_and_roster_of(row)
    member = None
    if row.member_id is not None:
        member = CallerMember(
            row.member_id,
            row.member_name,
            row.member_role,
            row.member_org_id,
            bool(row.member_delegated),
            row.member_language,
        )
    return CallerRead(state, roster, member, UNSET_CHAT if chat_id is None else row.chat_org)


def _caller_statement(chat_id: int | None) -> tuple[Select[Any], dict[str, Any]]:
    return (_STATE_ROSTER_AND_MEMBER, {}) if chat_id is None else (_STATE_ROSTER_MEMBER_AND_CHAT, {"chat_id": chat_id})


async def person_state_and_roster(session: AsyncSession, user_id: int | None) -> tuple[PersonState, str | None]:
    """The person's flow state (empty for None) and the roster's stored version (None until the first change), in
    one statement: every update reads both before its handlers run."""
    row = (await session.execute(_STATE_AND_ROSTER, {"user_id": user_id})).one()
    return _state_and_roster_of(row)


def person_state_and_roster_now(connection: Connection, user_id: int | None) -> tuple[PersonState, str | None]:
    """:func:`person_state_and_roster` on a synchronous connection (the event loop's own read: bot/db.py)."""
    row = connection.execute(_STATE_AND_ROSTER, {"user_id": user_id}).one()
    return _state_and_roster_of(row)


def person_state_roster_and_member_now(connection: Connection, user_id: int, chat_id: int | None = None) -> CallerRead:
    """:func:`person_state_roster_and_member` on a synchronous connection."""
    statement, params = _caller_statement(chat_id)
    return _caller_read(connection.execute(statement, {"user_id": user_id, **params}).one(), chat_id)


async def person_state_roster_and_member(session: AsyncSession, user_id: int, chat_id: int | None = None) -> CallerRead:
    """:func:`person_state_and_roster`, and the active member bound to the account (None if none) in the same
    statement — and, given the group chat the update came from, that group's branch: for a caller the process
    does not know yet."""
    statement, params = _caller_statement(chat_id)
    row = (await session.execute(statement, {"user_id": user_id, **params})).one()
    return _caller_read(row, chat_id)


def _state_and_roster_of(row: Any) -> tuple[PersonState, str | None]:
    return _state_of(row), None if row.roster is None else str(row.roster)


def _state_of(row: Any) -> PersonState:
    if row.version is None:
        return NO_STATE
    return PersonState(row.flow, row.chat_id, row.state, dict(row.data or {}), row.version)


async def write_person_state(session: AsyncSession, user_id: int, read: PersonState, new: PersonState) -> int:
    """Replace ``read`` with ``new`` if nobody changed it meanwhile; the new version (0: no row).

    Raises :class:`StaleFlowState` when another update got there first.
    """
    values = {"flow": new.flow, "chat_id": new.chat_id, "state": new.state, "data": new.data, "updated_at": utcnow()}
    if read.version == 0:
        if new.empty:
            return 0
        stmt = upsert_insert(session)(FlowState).values(user_id=user_id, version=1, **values)
        result = await session.execute(stmt.on_conflict_do_nothing(index_elements=["user_id"]))
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleFlowState(user_id)
        return 1
    where = (FlowState.user_id == user_id, FlowState.version == read.version)
    if new.empty:
        result = await session.execute(delete(FlowState).where(*where))
        version = 0
    else:
        version = read.version + 1
        result = await session.execute(update(FlowState).where(*where).values(version=version, **values))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleFlowState(user_id)
    return version


_MARK: dict[str, Any] = {}  # the marker's statement by dialect, built once (every update writes one)


async def mark_many_handled(session: AsyncSession, update_ids: Sequence[int]) -> None:
    """Note that the updates were handled (one statement, idempotent), pruning old notes now and then."""
    if not update_ids:
        return
    dialect = session.get_bind().dialect.name
    stmt = _MARK.get(dialect)
    if stmt is None:
        # The table's insert (not the entity's): one statement run with many rows, no ORM bulk bookkeeping.
        stmt = _MARK[dialect] = upsert_insert(session)(HandledUpdate.__table__).on_conflict_do_nothing(
            index_elements=["update_id"]
        )
    now = utcnow()
    rows = [{"update_id": update_id, "handled_at": now} for update_id in update_ids]
    await session.execute(stmt, rows[0] if len(rows) == 1 else rows)
    if any(update_id % PRUNE_EVERY == 0 for update_id in update_ids):
        await session.execute(delete(HandledUpdate).where(HandledUpdate.handled_at < now - HANDLED_KEPT_FOR))


async def was_handled(session: AsyncSession, update_id: int) -> bool:
    """Whether the update was handled already (for a replay after a crash)."""
    return await session.scalar(select(HandledUpdate.update_id).where(HandledUpdate.update_id == update_id)) is not None
