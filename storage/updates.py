"""Updates received from Telegram and not yet handled: the durable update queue's table.

Each update is stored (its raw JSON) before Telegram is told it was delivered. A stored update with a handled
marker (``handled_updates``, written in the transaction of the update's effects) is handled; one without is not.
So after a crash, the rows without a marker are exactly the updates Telegram considers delivered that this bot has
not handled yet: they are replayed at start, in update_id order. The rows of handled updates are dropped in bulk
(now and then, and at start) rather than one by one: that was one statement more on every update.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Text, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, utcnow
from storage.flows import PRUNE_EVERY, HandledUpdate, mark_many_handled
from storage.queries import upsert_insert


class ReceivedUpdate(Base):
    """An update Telegram delivered (its JSON), kept until it is handled."""

    __tablename__ = "received_updates"
    __table_args__ = (Index("ix_received_updates_user_id_update_id", "user_id", "update_id"),)

    update_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    user_id: Mapped[int | None] = mapped_column()  # the person it is from: their updates are handled in order
    payload: Mapped[str] = mapped_column(Text)  # Update.to_json(), read back with Update.de_json
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


async def store_received(session: AsyncSession, update_id: int, user_id: int | None, payload: str) -> None:
    """Keep the update (idempotent: Telegram may deliver an update twice, a webhook after a timeout)."""
    stmt = upsert_insert(session)(ReceivedUpdate).values(
        update_id=update_id, user_id=user_id, payload=payload, received_at=utcnow()
    )
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["update_id"]))


def _handled() -> Any:
    """Whether the stored update has its handled marker (a correlated EXISTS)."""
    return select(HandledUpdate.update_id).where(HandledUpdate.update_id == ReceivedUpdate.update_id).exists()


async def forget_received(session: AsyncSession, update_id: int) -> None:
    """Drop the stored copy of a handled update at once (one replayed or delivered again after a crash)."""
    await session.execute(delete(ReceivedUpdate).where(ReceivedUpdate.update_id == update_id))


async def note_handled(session: AsyncSession, *update_ids: int) -> None:
    """The updates are handled: their markers, in the transaction of their effects. Their stored copies now
    count as handled; the copies of handled updates are dropped together on one update in :data:`PRUNE_EVERY`."""
    if any(update_id % PRUNE_EVERY == 0 for update_id in update_ids):
        # Before the markers' prune: a copy whose marker went first would count as unhandled.
        await session.execute(delete(ReceivedUpdate).where(_handled()))
    await mark_many_handled(session, update_ids)


async def unhandled(session: AsyncSession) -> list[tuple[int, str]]:
    """Stored updates without a handled marker, oldest first; rows that have one are dropped on the way."""
    await session.execute(delete(ReceivedUpdate).where(_handled()))
    rows = await session.execute(
        select(ReceivedUpdate.update_id, ReceivedUpdate.payload).order_by(ReceivedUpdate.update_id)
    )
    return [(int(update_id), str(payload)) for update_id, payload in rows]


async def earlier_unhandled(session: AsyncSession, user_id: int, update_id: int) -> bool:
    """Whether an earlier update of this person is stored and not handled yet (by this or another replica)."""
    found = await session.scalar(
        select(ReceivedUpdate.update_id)
        .where(ReceivedUpdate.user_id == user_id, ReceivedUpdate.update_id < update_id, ~_handled())
        .limit(1)
    )
    return found is not None


async def count_unhandled(session: AsyncSession) -> int:
    """How many stored updates have no handled marker."""
    return int(await session.scalar(select(func.count()).select_from(ReceivedUpdate).where(~_handled())) or 0)
