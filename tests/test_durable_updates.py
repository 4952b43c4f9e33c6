"""The durable update queue on SQLite and PostgreSQL: stored before it is queued, replayed until handled."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import func, select, update
from telegram import Bot, Update

from bot.db import Database
from bot.unit import Unit
from bot.updates import DurableUpdateQueue, wait_for_earlier
from storage.base import utcnow
from storage.flows import PRUNE_EVERY, HandledUpdate
from storage.updates import ReceivedUpdate, count_unhandled, earlier_unhandled

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
