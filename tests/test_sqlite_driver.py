"""The SQLite driver (bot/sqlite_driver.py): one trip per statement, the update's first read on the loop's thread,
and that read going to the connection's thread (never blocking the loop) when SQLite is busy."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from sqlalchemy import text

from bot.db import Database
from bot.sqlite_driver import _inline_read
from bot.unit import Unit
from storage.base import BUSY_TIMEOUT_MS
from storage.flows import person_state_and_roster


async def test_the_first_read_waits_in_the_thread_not_on_the_loop_when_sqlite_is_busy(db: Database) -> None:
    async with db.session() as session:
        assert await session.scalar(text("PRAGMA journal_mode")) == "wal"
    path = db.engine.url.database
    assert path is not None
    await db.dispose()  # no connection of ours open: the holder can take the whole file
    # Another program holds the database exclusively (a lock a WAL reader must wait for), for 0.3 s.
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("CREATE TABLE IF NOT EXISTS held (x)")
    ticks = 0

    async def tick() -> None:  # runs only while the loop is free
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    ticker = asyncio.create_task(tick())
    asyncio.get_running_loop().call_later(0.3, lambda: (holder.execute("COMMIT"), holder.close()))
    began = time.monotonic()
    unit = Unit(db, 1, 42)
    try:
        assert await unit.load()
    finally:
        await unit.close()
        ticker.cancel()
    assert time.monotonic() - began >= 0.25  # it waited for the lock …
    assert ticks >= 10  # … in the connection's thread: the loop kept running meanwhile
    async with db.session() as session:  # and the connection's own busy timeout is back
        assert await session.scalar(text("PRAGMA busy_timeout")) == 15000
        state, _version = await person_state_and_roster(session, 42)
        assert state.flow is None


def test_a_small_read_gives_way_at_once_when_sqlite_is_busy(tmp_path: Path) -> None:
    """On the loop's thread a read never waits: busy, it returns None (and takes the trip to the thread instead)."""
    path = tmp_path / "busy.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("INSERT INTO t VALUES (1)")
    reader = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    found = _inline_read(reader, "SELECT x FROM t", ())
    assert found is not None and found[1] == [(1,)]
    holder.execute("BEGIN EXCLUSIVE")  # a rollback-journal database: readers must wait now
    began = time.monotonic()
    assert _inline_read(reader, "SELECT x FROM t", ()) is None
    assert time.monotonic() - began < 1
    assert reader.execute("PRAGMA busy_timeout").fetchone() == (BUSY_TIMEOUT_MS,)
    holder.execute("COMMIT")
    assert _inline_read(reader, "SELECT x FROM t", ()) is not None
    holder.close()
    reader.close()
