"""The durable update queue on SQLite and PostgreSQL: stored before it is queued, replayed until handled."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from telegram import Bot, Update

from bot.db import Database
from bot.unit import Unit
from bot.updates import DurableUpdateQueue, QuietMarkers, wait_for_earlier
from storage.base import utcnow
from storage.flows import PRUNE_EVERY, HandledUpdate
from storage.updates import ReceivedUpdate, count_unhandled, earlier_unhandled
from tests.db_templates import sqlite_url

BOT = Bot("123456:TEST-token_for_the_fake_bot_api")


def _update(update_id: int, text: str) -> Update:
    data = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "text": text,
            "chat": {"id": 77, "type": "private"},
            "from": {"id": 77, "is_bot": False, "first_name": "张伟"},
        },
    }
    update = Update.de_json(data, BOT)
    assert update is not None
    return update


async def _stored(db: Database) -> int:
    """Updates stored and not handled."""
    async with db.session() as session:
        return await count_unhandled(session)


async def test_an_update_is_stored_before_it_is_queued_and_replayed_until_handled(any_db: Database) -> None:
    queue = DurableUpdateQueue(any_db)
    for update_id, text in ((12, "第二条"), (11, "第一条"), (13, "第三条")):
        await queue.put(_update(update_id, text))
    await queue.put(_update(11, "第一条"))  # delivered twice (a webhook retried): stored once
    assert await _stored(any_db) == 3 and queue.qsize() == 4

    # Update 11 is handled: its marker is written in the unit's transaction; its copy counts as handled.
    unit = Unit(any_db, 11, 77)
    assert await unit.load()
    await unit.finish()
    await unit.close()
    assert await _stored(any_db) == 2

    # A restart: the stored updates not handled come back first, oldest first, with their content.
    again = DurableUpdateQueue(any_db)
    assert await again.replay(BOT) == 2
    replayed = [again.get_nowait() for _ in range(2)]
    assert [(u.update_id, u.message.text if u.message else None) for u in replayed] == [(12, "第二条"), (13, "第三条")]
    assert again.may_be_handled(13) and not again.may_be_handled(14)

    # Handled meanwhile (by the process before the crash, or a replica): a unit that checks skips it.
    unit = Unit(any_db, 12, 77)
    await unit.load()
    await unit.finish()
    await unit.close()
    late = Unit(any_db, 12, 77)
    assert not await late.load(check_handled=True)
    await late.close()
    assert await _stored(any_db) == 1


async def test_a_persons_update_waits_for_their_earlier_one(any_db: Database) -> None:
    """Replicas: update 22 of a person is not handled while their update 21 is stored and not handled."""
    queue = DurableUpdateQueue(any_db)
    await queue.put(_update(21, "第一步"))
    await queue.put(_update(22, "第二步"))
    async with any_db.session() as session:
        assert await earlier_unhandled(session, 77, 22)
        assert not await earlier_unhandled(session, 77, 21)
        assert not await earlier_unhandled(session, 78, 22)  # someone else's updates do not wait
    began = time.monotonic()
    await wait_for_earlier(any_db, 77, 22, limit=0.2)  # gives up after the limit (a replica killed holding 21)
    assert time.monotonic() - began >= 0.2
    unit = Unit(any_db, 21, 77)
    assert await unit.load()
    await unit.finish()
    await unit.close()
    async with any_db.session() as session:
        assert not await earlier_unhandled(session, 77, 22)


async def test_the_copies_of_handled_updates_are_dropped_together_and_never_replayed(any_db: Database) -> None:
    """A handled update's stored copy stays until the periodic drop, then goes before its marker can be pruned."""
    queue = DurableUpdateQueue(any_db)
    await queue.put(_update(PRUNE_EVERY - 1, "早就处理了"))
    await queue.put(_update(PRUNE_EVERY + 1, "还没处理"))
    unit = Unit(any_db, PRUNE_EVERY - 1, 77)
    assert await unit.load()
    await unit.finish()
    await unit.close()
    async with any_db.session() as session:  # handled three days ago: its marker is due to be pruned
        await session.execute(update(HandledUpdate).values(handled_at=utcnow() - timedelta(days=3)))
    assert await _stored(any_db) == 1 and await _copies(any_db) == 2

    unit = Unit(any_db, PRUNE_EVERY, 78)  # the update on which the drop and the prune run
    assert await unit.load()
    await unit.finish()
    await unit.close()
    assert await _copies(any_db) == 1  # the old one's copy went with (before) its marker
    async with any_db.session() as session:
        assert await session.scalar(select(func.count()).select_from(HandledUpdate)) == 1
    again = DurableUpdateQueue(any_db)
    assert await again.replay(BOT) == 1
    assert again.get_nowait().update_id == PRUNE_EVERY + 1


async def _copies(db: Database) -> int:
    async with db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(ReceivedUpdate)) or 0)


async def test_markers_of_updates_that_changed_nothing_are_written_together(db: Database) -> None:
    """SQLite: an update with no effects leaves its marker to a batch, written within the delay or at once when
    the batch is full; until then its stored copy counts as not handled (a crash replays it)."""
    queue = DurableUpdateQueue(db)
    for update_id in (31, 32, 33):
        await queue.put(_update(update_id, "/help"))
    markers = QuietMarkers(db, delay=0.2, limit=3)
    for update_id in (31, 32):
        unit = Unit(db, update_id, 77)
        assert await unit.load()
        await unit.finish(markers)
        await unit.close()
    assert await _stored(db) == 3  # nothing written yet
    await asyncio.sleep(0.5)  # the delay passed: both markers in one go
    assert await _stored(db) == 1

    unit = Unit(db, 33, 77)
    assert await unit.load()
    await unit.finish(markers)
    await unit.close()
    await markers.close()  # shutdown writes what waits
    assert await _stored(db) == 0
    async with db.session() as session:
        assert set((await session.scalars(select(HandledUpdate.update_id))).all()) == {31, 32, 33}


async def test_a_full_batch_of_markers_is_written_at_once_and_kept_when_the_write_fails(
    db: Database, tmp_path: Path
) -> None:
    markers = QuietMarkers(db, delay=60, limit=2)
    markers.add(41)
    markers.add(42)  # full: written now, not in a minute
    await markers.close()
    async with db.session() as session:
        assert set((await session.scalars(select(HandledUpdate.update_id))).all()) == {41, 42}

    failing = QuietMarkers(Database(sqlite_url(tmp_path / "not-migrated.sqlite3")), delay=60, limit=10)
    failing.add(43)
    await failing.flush()  # cannot be written (no table): kept for the next try, not lost
    assert failing._waiting == [43]
    failing._waiting.clear()
    await failing.close()
    await failing.db.dispose()


async def test_after_shutdown_an_update_that_changed_nothing_writes_its_own_marker(db: Database) -> None:
    """Nothing is scheduled past the markers' close (the database is closed next): a late update marks itself."""
    markers = QuietMarkers(db, delay=60, limit=10)
    await markers.close()
    with pytest.raises(RuntimeError):
        markers.add(51)
    queue = DurableUpdateQueue(db)
    await queue.put(_update(52, "/help"))
    unit = Unit(db, 52, 77)
    assert await unit.load()
    await unit.finish(markers)
    await unit.close()
    assert await _stored(db) == 0  # marked at once, in the unit's own transaction
