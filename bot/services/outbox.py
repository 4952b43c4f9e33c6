"""The outbox: messages the bot sends on its own initiative, written in the transaction that causes them.

A row's ``dedup_key`` is unique, so enqueuing the same greeting or reminder twice (a job that fires twice,
two replicas, a restart) stores it once. Workers claim rows with a compare-and-set on ``status``, so two
processes never send the same row; only a crash between "sent" and "marked" can repeat one.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import now_utc
from storage.models import OutboxMessage, OutboxStatus
from storage.queries import upsert_insert

STALE_CLAIM = timedelta(minutes=5)  # a claim older than this belongs to a worker that died


def inline_keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> dict[str, Any]:
    """Inline buttons from ``(label, callback_data)`` rows, as the Bot API's JSON (stored in an outbox row as is)."""
    return {"inline_keyboard": [[{"text": label, "callback_data": data} for label, data in row] for row in rows if row]}


async def enqueue(
    session: AsyncSession,
    *,
    dedup_key: str,
    chat_id: int,
    text: str | None = None,
    kind: str = "notice",
    member_id: int | None = None,
    reply_markup: dict[str, Any] | None = None,
    method: str = "sendMessage",
    payload: dict[str, Any] | None = None,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
) -> bool:
    """Add a message unless one with ``dedup_key`` exists; True when it was added."""
    body: dict[str, Any] = dict(payload or {})
    if text is not None:
        body.setdefault("text", text)
        body.setdefault("parse_mode", "HTML")
    if reply_markup is not None:
        body["reply_markup"] = reply_markup
    values = {
        "dedup_key": dedup_key,
        "chat_id": chat_id,
        "member_id": member_id,
        "kind": kind,
        "method": method,
        "payload": body,
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "not_before": not_before or now_utc(),
        "expires_at": expires_at,
        "created_at": now_utc(),
    }
    insert = upsert_insert(session)
    stmt = insert(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=["dedup_key"])
    result = await session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def claim_batch(session: AsyncSession, limit: int) -> Sequence[OutboxMessage]:
    """Claim up to ``limit`` due rows for this worker; other workers skip them."""
    now = now_utc()
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_at < now - STALE_CLAIM)
        .values(status=OutboxStatus.PENDING, claim_token=None)
    )
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.not_before <= now)
        .order_by(OutboxMessage.not_before, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL: another worker takes the next rows; SQLite ignores it
        .scalar_subquery()
    )
    token = secrets.token_hex(8)
    # The status test is repeated outside the subquery: on PostgreSQL a row another worker claimed
    # meanwhile fails it after the lock wait, so it is not claimed twice.
    await session.execute(
        update(OutboxMessage)
        .where(and_(OutboxMessage.id.in_(due), OutboxMessage.status == OutboxStatus.PENDING))
        .values(status=OutboxStatus.SENDING, claim_token=token, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    return (
        await session.scalars(
            select(OutboxMessage).where(OutboxMessage.claim_token == token).order_by(OutboxMessage.id)
        )
    ).all()


def _finish(row: OutboxMessage, status: OutboxStatus, error: str | None = None) -> None:
    row.status = status
    row.claim_token = None
    row.last_error = error


def mark_sent(row: OutboxMessage, telegram_message_id: int | None) -> None:
    """The message went out."""
    _finish(row, OutboxStatus.SENT)
    row.sent_at = now_utc()
    row.telegram_message_id = telegram_message_id


def mark_retry(row: OutboxMessage, delay: timedelta, error: str, *, count_attempt: bool = True) -> None:
    """Try again after ``delay``."""
    _finish(row, OutboxStatus.PENDING, error)
    row.not_before = now_utc() + delay
    if count_attempt:
        row.attempts += 1


def mark_undeliverable(row: OutboxMessage, error: str) -> None:
    """The user blocked the bot or the chat is gone."""
    _finish(row, OutboxStatus.UNDELIVERABLE, error)


def mark_failed(row: OutboxMessage, error: str) -> None:
    """Given up."""
    _finish(row, OutboxStatus.FAILED, error)


def mark_dropped(row: OutboxMessage, reason: str) -> None:
    """Too late to be useful."""
    _finish(row, OutboxStatus.DROPPED, reason)


async def pending_count(session: AsyncSession) -> int:
    """Rows still to send."""
    from sqlalchemy import func

    return int(
        await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING)
        )
        or 0
    )
