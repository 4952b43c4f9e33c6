"""Check-ins that arrive together are written together (group commit): a group's 200 presses in the same second.

Each check-in in a transaction of its own made SQLite's writers queue for the file's one write lock, each waking
from the busy handler's sleep to find it taken again: 200 presses took 2–4 s to store on the 2-core machine, more
than a bare application inserting one row per press (0.7–1.7 s). Here a check-in waits for the batch being
written, if any, and goes with the next one: one multi-row conditional write (storage.checkins.record_check_ins) and
the updates' handled markers, in one transaction, on a connection of its own (bot/db.py ``side_sessionmaker``: the
updates waiting here may hold the pool's connections). With no batch being written, a check-in is written at once;
with many arriving, the batches grow by themselves.

Each check-in is still decided by its own row's conditional write, and its update is told only once the batch has
committed (the update's unit counts it as committed and marked). If a batch fails for a reason that is not
passing, its check-ins are written again one by one, so a bad one refuses only itself.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database, saved_in_this_update
from bot.unit import current_unit, transient_database_error
from storage.checkins import CheckIn, record_check_ins
from storage.updates import note_handled

log = logging.getLogger(__name__)


@dataclass
class _Waiting:
    check_in: CheckIn
    update_id: int | None  # its update's handled marker goes with it
    done: asyncio.Future[bool] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class CheckInBatches:
    """The process's writer of meeting check-ins; :meth:`record` is ``check_in``'s ``record`` (bot/services)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._waiting: list[_Waiting] = []  # for the next batch
        self._writing: list[_Waiting] = []  # the batch being written
        self._writer: asyncio.Task[None] | None = None
        self.batches = 0  # how many transactions were written (tests and benchmarks read it)

    async def record(self, _session: AsyncSession, meeting_id: int, member_id: int, values: dict[str, Any]) -> bool:
        """Check the member in with the next batch; whether this check-in did (False: already checked in). The
        caller's session is not used: the batch has its own transaction."""
        unit = current_unit()
        waiting = _Waiting(CheckIn(meeting_id, member_id, values), unit.update_id if unit is not None else None)
        self._waiting.append(waiting)
        if self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._write_all())
            self._writer.add_done_callback(self._stopped)
        checked_in = await waiting.done
        if unit is not None:
            unit.committed_elsewhere(marked=waiting.update_id is not None)
        saved_in_this_update.set(True)
        return checked_in

    async def _write_all(self) -> None:
        while self._waiting:
            await asyncio.sleep(0)  # the check-ins of this turn of the loop join the batch
            self._writing, self._waiting = self._waiting, []
            await self._write(self._writing)
            self._writing = []
        self._writer = None  # at once, with nothing waiting: the next check-in starts a writer of its own

    def _stopped(self, writer: asyncio.Task[None]) -> None:
        """The writer ended: if it was cancelled (the loop is closing, perhaps before it started), no update is left
        waiting for an answer."""
        if self._writer is writer:
            self._writer = None
        if writer.cancelled() or writer.exception() is not None:
            for waiting in [*self._writing, *self._waiting]:
                if not waiting.done.done():
                    waiting.done.cancel()
            self._writing, self._waiting = [], []

    async def _write(self, batch: list[_Waiting]) -> None:
        try:
            results = await self._transaction(batch)
        except Exception as error:
            if len(batch) == 1 or transient_database_error(error):
                for waiting in batch:  # each update decides: a passing error runs it again (bot/unit.py)
                    if not waiting.done.done():  # (done: its update was cancelled while it waited)
                        waiting.done.set_exception(error)
                return
            log.warning("a batch of %d check-ins failed (%s); writing them one by one", len(batch), error)
            for waiting in batch:
                await self._write([waiting])
            return
        for waiting, checked_in in zip(batch, results, strict=True):
            if not waiting.done.done():
                waiting.done.set_result(checked_in)

    async def _transaction(self, batch: list[_Waiting]) -> list[bool]:
        async with self.db.side_sessionmaker() as session:
            try:
                results = await record_check_ins(session, [waiting.check_in for waiting in batch])
                markers = [waiting.update_id for waiting in batch if waiting.update_id is not None]
                if markers:
                    await note_handled(session, *markers)
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
        self.batches += 1
        return results

    async def close(self) -> None:
        """At shutdown: the batches being written are finished (their updates are waiting for them)."""
        while self._writer is not None:
            await asyncio.wait({self._writer})  # its updates are told how it went; nothing is raised here
