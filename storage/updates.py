"""Updates received from Telegram and not yet handled: the durable update queue's table.

Each update is stored (its raw JSON) before Telegram is told it was delivered, and deleted in the transaction
that writes its handled marker (``handled_updates``). So after a crash, the rows left are exactly the updates
Telegram considers delivered that this bot has not handled yet: they are replayed at start, in update_id order.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Text, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, utcnow
from storage.flows import HandledUpdate
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


async def forget_received(session: AsyncSession, update_id: int) -> None:
    """The update is handled: drop its stored copy (in the transaction of its handled marker)."""
    await session.execute(delete(ReceivedUpdate).where(ReceivedUpdate.update_id == update_id))


async def unhandled(session: AsyncSession) -> list[tuple[int, str]]:
    """Stored updates without a handled marker, oldest first; rows that have one are dropped on the way."""
    handled = select(HandledUpdate.update_id).where(HandledUpdate.update_id == ReceivedUpdate.update_id)
    await session.execute(delete(ReceivedUpdate).where(handled.exists()))
    rows = await session.execute(
        select(ReceivedUpdate.update_id, ReceivedUpdate.payload).order_by(ReceivedUpdate.update_id)
    )
    return [(int(update_id), str(payload)) for update_id, payload in rows]


async def earlier_unhandled(session: AsyncSession, user_id: int, update_id: int) -> bool:
    """Whether an earlier update of this person is stored and not handled yet (by this or another replica)."""
    found = await session.scalar(
        select(ReceivedUpdate.update_id)
        .where(ReceivedUpdate.user_id == user_id, ReceivedUpdate.update_id < update_id)
        .limit(1)
    )
    return found is not None
