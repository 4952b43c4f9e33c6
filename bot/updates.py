"""The durable update queue: an update Telegram considers delivered is handled, even after a crash.

In PTB 22 both the polling Updater and the webhook handler ``await update_queue.put(update)`` before they confirm
the update to Telegram (the next getUpdates' offset, or the webhook's 200). :class:`DurableUpdateQueue` is that
queue: its ``put`` commits the update's JSON to ``received_updates`` before returning. The update's handled marker
is written in the transaction of its effects (bot/unit.py), so the rows without a marker after a crash are exactly
the updates to handle again; :meth:`DurableUpdateQueue.replay` puts them first in the queue at start, oldest first
(the rows of handled updates are dropped in bulk: storage/updates.py).

After a crash between storing updates and confirming them, Telegram delivers them again besides the replay: an
update whose id is not above the last one replayed is therefore checked against its handled marker first
(``Unit.load``), and skipped when handled. Newer updates need no check (Telegram's ids only grow).

Replicas without sticky routing (PostgreSQL): before handling a person's update, a replica waits while an earlier
update of theirs is stored and not handled (:func:`wait_for_earlier`), by whichever replica took it. So one
person's updates are handled one at a time and in order across replicas; no connection is held meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from telegram import Bot, Update

from bot.db import Database
from storage.updates import earlier_unhandled, note_handled, store_received, unhandled

log = logging.getLogger(__name__)


class DurableUpdateQueue(asyncio.Queue[object]):
    """An ``asyncio.Queue`` whose ``put`` stores an update in the database before it returns."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db
        self.replayed_upto: int | None = None  # the highest update id replayed at start

    def may_be_handled(self, update_id: int) -> bool:
        """Whether the update may have been handled already (replayed, or delivered again after a crash)."""
        return self.replayed_upto is not None and update_id <= self.replayed_upto

    async def put(self, item: object) -> None:
        """Store ``item`` if it is an update (one short transaction), then queue it."""
        if isinstance(item, Update):
            async with self.db.session() as session:
                user = item.effective_user
                await store_received(session, item.update_id, user.id if user else None, item.to_json())
        await super().put(item)

    async def replay(self, bot: Bot) -> int:
        """Queue the stored updates that were not handled (before any new one); how many."""
        async with self.db.session() as session:
            rows = await unhandled(session)
        for update_id, payload in rows:
            data: dict[str, Any] = json.loads(payload)
            update = Update.de_json(data, bot)
            if update is None:  # pragma: no cover - a stored update always has its id
                log.warning("stored update %s could not be read back", update_id)
                continue
            self.replayed_upto = max(self.replayed_upto or 0, update_id)
            await super().put(update)  # already stored
        if rows:
            log.info("replaying %d update(s) received before a restart and not handled", len(rows))
        return len(rows)


# How long a person's update waits for an earlier one: long enough for any handler; a replica killed with the
# earlier one in hand must not hold the person up for ever (its update is replayed when a replica starts).
EARLIER_WAIT_SECONDS = 30.0


async def wait_for_earlier(db: Database, user_id: int, update_id: int, *, limit: float = EARLIER_WAIT_SECONDS) -> None:
    """Wait until no earlier update of the person is stored unhandled (PostgreSQL replicas; SQLite has one
    process, whose own turns keep the order)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    pause = 0.02
    while True:
        async with db.session() as session:
            if not await earlier_unhandled(session, user_id, update_id):
                return
        if loop.time() >= deadline:
            log.warning(
                "update %s of user %s goes ahead of an earlier one not handled in %.0f s", update_id, user_id, limit
            )
            return
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.2)


class QuietMarkers:
    """The handled markers of updates that changed nothing (a /help, a screen), written together: at most
    :attr:`delay` seconds late, or at once when :attr:`limit` are waiting, and at shutdown.

    Only for SQLite, where one process handles every update (replicas need PostgreSQL): on PostgreSQL another
    replica waits for a person's earlier marker (:func:`wait_for_earlier`), so each is written at once there. Each
    update's own transaction would be one commit (a WAL write) on every update for a marker whose only use is the
    replay after a crash; an update that changed nothing and lost its marker in a crash is answered again on the
    replay, as a reply sent just before a crash may be (README, "Crashes").
    """

    def __init__(self, db: Database, *, delay: float = 1.0, limit: int = 256) -> None:
        self.db = db
        self.delay = delay
        self.limit = limit
        self._waiting: list[int] = []
        self._timer: asyncio.TimerHandle | None = None
        self._writing: set[asyncio.Task[None]] = set()
        self.closed = False  # shut down: an update finishing now writes its own marker (Unit.finish)

    def add(self, update_id: int) -> None:
        """The update was handled and changed nothing: its marker goes with the next batch."""
        if self.closed:  # nothing may be scheduled past shutdown: the database is about to be closed
            raise RuntimeError("quiet markers are closed")
        self._waiting.append(update_id)
        if len(self._waiting) >= self.limit:
            self._write_soon()
        else:
            self._write_later()

    def _write_later(self) -> None:
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.delay, self._write_soon)

    def _write_soon(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        task = asyncio.get_running_loop().create_task(self.flush())
        self._writing.add(task)
        task.add_done_callback(self._writing.discard)

    async def flush(self) -> None:
        """Write the waiting markers now (one transaction); kept for the next try if that fails."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        waiting, self._waiting = self._waiting, []
        if not waiting:
            return
        try:
            async with self.db.session() as session:
                await note_handled(session, *waiting)
        except Exception:
            log.exception("%d handled marker(s) not written; trying again later", len(waiting))
            self._waiting[:0] = waiting
            self._write_later()

    async def close(self) -> None:
        """At shutdown: the batches being written, then what still waits; nothing is accepted afterwards."""
        self.closed = True
        if self._writing:
            await asyncio.gather(*self._writing, return_exceptions=True)
        await self.flush()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
