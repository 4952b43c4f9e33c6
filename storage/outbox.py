"""The outbox's queries: claiming due rows in one statement, renewing and taking over claims (the lease),
recording many outcomes at once, and the live senders that share Telegram's budget.

Every function takes a session and never commits: the caller's transaction decides.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import utcnow
from storage.models import MemberMenu, OutboxMessage, OutboxSender, OutboxStatus
from storage.queries import upsert_insert

_OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]
CHUNK = 1000  # rows per multi-row statement


async def claim(
    session: AsyncSession,
    token: str,
    limit: int,
    *,
    now: datetime,
    skip_chats: Collection[int] = (),
) -> Sequence[OutboxMessage]:
    """Claim up to ``limit`` due rows for the sender holding ``token``, most urgent first, then oldest: one
    ``UPDATE … RETURNING``. ``skip_chats`` are chats whose earlier rows the sender still holds back for their
    chat's limit (claiming more of them would only fill its hands). Other senders skip locked rows."""
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.not_before <= now)
        .order_by(OutboxMessage.priority.desc(), OutboxMessage.not_before, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL: another sender takes the next rows; SQLite ignores it
    )
    if skip_chats:
        due = due.where(OutboxMessage.chat_id.not_in(list(skip_chats)))
    # The status test is repeated outside the subquery: on PostgreSQL a row another sender claimed meanwhile
    # fails it after the lock wait, so it is not claimed twice.
    statement = (
        update(OutboxMessage)
        .where(and_(OutboxMessage.id.in_(due.scalar_subquery()), OutboxMessage.status == OutboxStatus.PENDING))
        .values(status=OutboxStatus.SENDING, claim_token=token, claimed_at=now)
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False)
    )
    rows = list((await session.scalars(statement)).all())
    rows.sort(key=lambda r: (-r.priority, r.not_before, r.id))
    return rows


async def renew(session: AsyncSession, token: str, *, now: datetime) -> set[int]:
    """Heartbeat: extend the lease of every row ``token`` holds; returns their ids (a row missing was taken
    over by another sender after this one stalled past the lease, and must not be sent by this one)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.claim_token == token, OutboxMessage.status == OutboxStatus.SENDING)
        .values(claimed_at=now)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    return {row_id for (row_id,) in result.all()}


async def release_expired_claims(session: AsyncSession, *, lease: timedelta, now: datetime) -> int:
    """Give back the rows of senders that stopped renewing (killed, or hung): due again at their old place."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_at < now - lease)
        .values(status=OutboxStatus.PENDING, claim_token=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def release(session: AsyncSession, token: str, ids: Collection[int]) -> None:
    """Give back rows this sender holds and will not send now; they keep their place (``not_before`` as was)."""
    if not ids:
        return
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(list(ids)), OutboxMessage.claim_token == token)
        .values(status=OutboxStatus.PENDING, claim_token=None)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed row; recorded with many others in one transaction."""

    row_id: int
    status: OutboxStatus
    error: str | None = None
    telegram_message_id: int | None = None
    retry_at: datetime | None = None  # PENDING only: when it is due again
    count_attempt: bool = False


async def record(session: AsyncSession, token: str, outcomes: Sequence[Outcome], *, now: datetime) -> None:
    """Record ``outcomes`` with one executemany per kind, each only where ``token`` still holds the row."""
    sent = [o for o in outcomes if o.status == OutboxStatus.SENT]
    retried = [o for o in outcomes if o.status == OutboxStatus.PENDING]
    final = [o for o in outcomes if o.status not in (OutboxStatus.SENT, OutboxStatus.PENDING)]
    held = and_(_OUTBOX.c.id == bindparam("b_id"), _OUTBOX.c.claim_token == token)
    if sent:
        await session.execute(
            update(_OUTBOX)
            .where(held)
            .values(
                status=OutboxStatus.SENT,
                claim_token=None,
                last_error=None,
                sent_at=now,
                telegram_message_id=bindparam("b_message"),
            ),
            [{"b_id": o.row_id, "b_message": o.telegram_message_id} for o in sent],
        )
    if retried:
        await session.execute(
            update(_OUTBOX)
            .where(held)
            .values(
                status=OutboxStatus.PENDING,
                claim_token=None,
                last_error=bindparam("b_error"),
                not_before=bindparam("b_at"),
                attempts=_OUTBOX.c.attempts + bindparam("b_inc"),
            ),
            [
                {"b_id": o.row_id, "b_error": o.error, "b_at": o.retry_at or now, "b_inc": int(o.count_attempt)}
                for o in retried
            ],
        )
    if final:
        await session.execute(
            update(_OUTBOX)
            .where(held)
            .values(status=bindparam("b_status"), claim_token=None, last_error=bindparam("b_error")),
            [{"b_id": o.row_id, "b_status": o.status.value, "b_error": o.error} for o in final],
        )


async def mark_chat_unreachable(session: AsyncSession, chat_id: int, error: str) -> None:
    """Everything still waiting for a chat that cannot be reached would fail the same way."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.chat_id == chat_id, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.UNDELIVERABLE, last_error=error)
        .execution_options(synchronize_session=False)
    )


async def pending_count(session: AsyncSession) -> int:
    """Rows still to send."""
    return int(
        await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING)
        )
        or 0
    )


async def drop_pending_of_kind(session: AsyncSession, member_id: int, kind: str, reason: str) -> None:
    """A newer row supersedes what is still waiting of this kind for the member (an older menu, say)."""
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.member_id == member_id,
            OutboxMessage.kind == kind,
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.DROPPED, last_error=reason)
        .execution_options(synchronize_session=False)
    )


async def drop_pending_keyed(session: AsyncSession, patterns: Sequence[str], reason: str) -> None:
    """Drop the rows not sent yet whose dedup keys match one of ``patterns`` (SQL LIKE): what was queued about
    something that changed or was called off is not sent late."""
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            or_(*(OutboxMessage.dedup_key.like(pattern) for pattern in patterns)),
        )
        .values(status=OutboxStatus.DROPPED, last_error=reason)
        .execution_options(synchronize_session=False)
    )


# ---------------------------------------------------------------------------------------------------------------
# The live senders (one per process): they share Telegram's budget equally.


async def sender_alive(session: AsyncSession, sender_id: str, *, now: datetime, lease: timedelta) -> int:
    """Note that ``sender_id`` is alive, forget senders silent for longer than ``lease``; returns how many live."""
    insert = upsert_insert(session)
    await session.execute(
        insert(OutboxSender)
        .values(sender_id=sender_id, seen_at=now)
        .on_conflict_do_update(index_elements=["sender_id"], set_={"seen_at": now})
    )
    await session.execute(delete(OutboxSender).where(OutboxSender.seen_at < now - lease))
    return int(await session.scalar(select(func.count()).select_from(OutboxSender)) or 1)


async def sender_gone(session: AsyncSession, sender_id: str) -> None:
    """A sender stopping cleanly leaves its share to the others at once."""
    await session.execute(delete(OutboxSender).where(OutboxSender.sender_id == sender_id))


# ---------------------------------------------------------------------------------------------------------------
# The members' menus: the digest last queued per member.


async def menu_digests(session: AsyncSession, member_ids: Collection[int] | None = None) -> dict[int, str]:
    """The digest of the menu last queued, per member (all members when ``member_ids`` is None)."""
    query = select(MemberMenu.member_id, MemberMenu.digest)
    if member_ids is not None:
        query = query.where(MemberMenu.member_id.in_(list(member_ids)))
    return {member_id: digest for member_id, digest in (await session.execute(query)).all()}


async def store_menu_digests(session: AsyncSession, digests: dict[int, str]) -> None:
    """Remember the menus just queued (insert or replace), in statements of at most CHUNK rows (asyncpg allows
    32,767 parameters in one statement)."""
    insert = upsert_insert(session)
    items = list(digests.items())
    for start in range(0, len(items), CHUNK):
        rows: list[dict[str, Any]] = [
            {"member_id": m, "digest": d, "updated_at": utcnow()} for m, d in items[start : start + CHUNK]
        ]
        statement = insert(MemberMenu).values(rows)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["member_id"],
                set_={"digest": statement.excluded.digest, "updated_at": statement.excluded.updated_at},
            )
        )
