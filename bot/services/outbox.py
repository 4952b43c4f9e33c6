"""The outbox: messages the bot sends on its own initiative, written in the transaction that causes them.

A row's ``dedup_key`` is unique, so enqueuing the same greeting or reminder twice (a job that fires twice,
two replicas, a restart) stores it once. Senders claim rows with a compare-and-set on ``status`` under a short
lease (bot.outbox_worker), so two processes never send the same row; only a crash between "sent" and
"recorded" can repeat one.

Rows go out by :class:`Priority` (higher first), then oldest first; replies to people are above them all.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import now_utc
from bot.screens import PrivateText
from storage.models import OutboxMessage, OutboxStatus
from storage.outbox import pending_count
from storage.queries import upsert_insert

__all__ = ["KIND_PRIORITY", "Priority", "enqueue", "inline_keyboard", "pending_count"]


class Priority(enum.IntEnum):
    """Which pushes go first when many wait (replies to people go before all of them)."""

    MENU = 0  # a member's command menu: whenever there is room
    NOTICE = 10  # notices, reminders a day ahead, reports
    URGENT = 20  # time-critical: check-in is open, the meeting is in an hour, a greeting on the day


# The priority of a kind when the enqueuer gives none.
KIND_PRIORITY: dict[str, Priority] = {"greeting": Priority.URGENT, "menu": Priority.MENU}


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
    priority: int | None = None,
) -> bool:
    """Add a message unless one with ``dedup_key`` exists; True when it was added. ``priority`` (see
    :class:`Priority`) defaults to the kind's."""
    body: dict[str, Any] = dict(payload or {})
    if text is not None:
        body.setdefault("text", text)
        body.setdefault("parse_mode", "HTML")
        if isinstance(text, PrivateText):  # stays private in the row: the send boundary keeps it out of groups
            body["private"] = text.reason or "private"
    if reply_markup is not None:
        body["reply_markup"] = reply_markup
    values = {
        "dedup_key": dedup_key,
        "chat_id": chat_id,
        "member_id": member_id,
        "kind": kind,
        "priority": int(priority if priority is not None else KIND_PRIORITY.get(kind, Priority.NOTICE)),
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
