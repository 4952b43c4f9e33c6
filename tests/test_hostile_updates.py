"""Hostile input (issue 11, "Done when"): thousands of random and forged updates through the real application.

Every update kind (messages, commands with hostile arguments, edited messages, button presses with every
registered prefix and the legacy ones the handlers match, contacts, locations, photos), in private chats and
groups, from strangers and from members, on SQLite and PostgreSQL. Asserted: no unhandled exception (nothing
logged at ERROR: refusals are DomainErrors, answered kindly), every outgoing message one Telegram accepts (the
OfflineRequest validates each call; the boundary corrected nothing), and no database change from strangers'
updates or forged buttons.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import re
import traceback
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import inspect, text
from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import callbacks
from bot.app import started_offline
from bot.config import Settings
from bot.db import Database
from bot.demo import seed_demo, telegram_id_of
from bot.offline import UpdateFactory
from bot.outgoing import OutgoingBot
from tests.conftest import BotHarness

# 1,000 strangers' and 1,000 members' updates per backend, 16 at a time (see send_all). Measured 2026-12-02 on the
# shared 2-core machine (load 9-11): 2,000 per backend took 66 s on SQLite and 125 s on PostgreSQL (203 s in all
# with set-up), where 600 per backend one at a time had taken 52 s and 59 s (130 s); a second run, with more of
# the machine busy, 65 s and 219 s. 600 per backend at 2, 4, 8, 16 at a time: 26-41 s on PostgreSQL and 26 s on
# SQLite, the spread being the machine's load more than the concurrency. HOSTILE_UPDATES=5000
# HOSTILE_SEED=… explore further (the crashes they found are fixed, see the report of issue 11).
SEED = int(os.environ.get("HOSTILE_SEED", "20261201"))
STRANGER_UPDATES = MEMBER_UPDATES = int(os.environ.get("HOSTILE_UPDATES", "1000"))
CONCURRENCY = int(os.environ.get("HOSTILE_CONCURRENCY", "16"))
MEMBERS = ("A01", "A02", "A03", "A04", "A05", "A06", "B01", "B02", "B03")
GROUPS = (-1001000000001, -1001000000002)
HUGE = ("0", "-1", "9223372036854775807", "9223372036854775808", "99999999999999999999999999", "1e9", "0x10")
HOSTILE = (
    "<",
    "&",
    "</b>",
    "<script>alert(1)</script>",
    "<b>粗",
    "&amp;&lt;&#0;&#xD800;",
    "x" * 5000,
    "党" * 4097,
    "😀👍🏽🇨🇳",
    "\x01\x07\x1b\x7f\u200b\u202e",
    " ",
    "１２３",
    "2026-13-45",
    "明天下午3点",
    "2月30日 25:61",
    "%s %(name)s {0} %d",
    "'; DROP TABLE members;--",
    "A01",
    "13800000000",
    "@everyone",
)
# Tables a refused update may still write: the person's flow state and "this update was handled".
BOOKKEEPING = {"flow_state", "handled_updates", "alembic_version"}


def hostile(rng: random.Random) -> str:
    return rng.choice(HOSTILE) if rng.random() < 0.7 else "".join(rng.choice(HOSTILE) for _ in range(3))[:6000]


def commands_of(harness: BotHarness) -> list[str]:
    names = {"start", "help", "cancel", "lang"}
    for handlers in harness.application.handlers.values():
        for handler in handlers:
            if isinstance(handler, CommandHandler):
                names |= set(handler.commands)
    return sorted(names)


def button_prefixes(harness: BotHarness) -> list[str]:
    """Every registered button prefix, and the literal start of every legacy pattern the handlers match."""
    prefixes = {f"{prefix}:" for prefix in callbacks.registry()}
    for handlers in harness.application.handlers.values():
        for handler in handlers:
            pattern = getattr(handler, "pattern", None) if isinstance(handler, CallbackQueryHandler) else None
            if isinstance(pattern, re.Pattern):
                literal = re.match(r"\^?([\w:]*)", pattern.pattern)
                if literal and literal.group(1):
                    prefixes.add(literal.group(1))
    return sorted(prefixes)


def forged(rng: random.Random, prefixes: list[str]) -> str:
    """Button data nobody was given: huge or absent ids, garbage, empty, over 64 bytes."""
    prefix = rng.choice(prefixes)
    parts = [rng.choice((*HUGE, "", "x", "::", "ok", "<b>", "😀", "y" * 70)) for _ in range(rng.randint(0, 3))]
    return rng.choice(("", prefix, prefix + ":".join(parts), prefix + rng.choice(HUGE), "😀" * 30))


def random_update(rng: random.Random, factory: UpdateFactory, user: int, commands: list[str], data: str) -> Update:
    chat = rng.choice((None, None, *GROUPS))
    language = rng.choice(("zh-hans", "en", None, "fr"))
    kind = rng.randrange(8)
    if kind == 0:
        return factory.message(user, f"/{rng.choice(commands)} {hostile(rng)}", chat_id=chat, language_code=language)
    if kind == 1:
        return factory.message(user, hostile(rng), chat_id=chat, language_code=language)
    if kind == 2:
        return factory.edited(user, rng.choice((f"/{rng.choice(commands)}", hostile(rng))), chat_id=chat)
    if kind == 3:
        phone = rng.choice(("13800000000", "+8613812345678", "<b>", "", "1" * 40))
        other = rng.choice((None, user, 1, 2**40))
        return factory.contact(user, phone, contact_user_id=other, chat_id=chat)
    if kind == 4:
        return factory.location(user, rng.uniform(-90, 90), rng.uniform(-180, 180), chat_id=chat)
    if kind == 5:
        return factory.photo(user, caption=rng.choice((None, hostile(rng))), chat_id=chat)
    return factory.callback(user, data, chat_id=chat, language_code=language, message_text=hostile(rng)[:100])


async def send_all(harness: BotHarness, updates: list[Update]) -> None:
    """The updates in order, ``CONCURRENCY`` at a time, as the running bot takes them (``concurrent_updates``:
    one person's updates take turns, different people's overlap): the database round trips of one overlap
    another's work, which keeps thousands of updates affordable, and races are part of the test."""
    for start in range(0, len(updates), CONCURRENCY):
        await asyncio.gather(*(harness.send(update) for update in updates[start : start + CONCURRENCY]))


def where(record: logging.LogRecord) -> str:
    """An error, once per place: the exception and the project's innermost frame that raised it."""
    if not record.exc_info or record.exc_info[1] is None:
        return f"{record.name}: {record.getMessage()}"
    error = record.exc_info[1]
    frames = [f for f in traceback.extract_tb(error.__traceback__) if "/.venv/" not in f.filename]
    last = f"{frames[-1].filename.rsplit('/', 2)[-2:]}:{frames[-1].lineno}" if frames else "?"
    return f"{type(error).__name__} at {last}: {str(error)[:120]}"


async def snapshot(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows (but the bookkeeping ones), in a stable order."""
    async with db.session() as session:
        connection = await session.connection()
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        tables: dict[str, list[tuple[Any, ...]]] = {}
        for name in sorted(set(names) - BOOKKEEPING):
            rows = (await session.execute(text(f'SELECT * FROM "{name}"'))).all()
            tables[name] = sorted((tuple(row) for row in rows), key=repr)
    return tables


@pytest.fixture
async def harness(settings: Settings, any_db: Database) -> AsyncIterator[BotHarness]:
    """The real application over the demo organisation, on each backend."""
    async with any_db.session() as session:
        ids = await seed_demo(session)
    application, request = await started_offline(settings, any_db)
    yield BotHarness(application, request, UpdateFactory(application.bot), any_db, ids)
    await application.shutdown()


async def test_hostile_updates(harness: BotHarness, caplog: pytest.LogCaptureFixture) -> None:
    rng = random.Random(SEED)
    commands, prefixes = commands_of(harness), button_prefixes(harness)
    assert len(prefixes) > 20  # the registry and the handlers' patterns were found
    members = [telegram_id_of(number) for number in MEMBERS]
    caplog.set_level(logging.ERROR)

    # Strangers (anything) and members pressing forged buttons: nothing may change.
    before = await snapshot(harness.db)
    strangers = []
    for n in range(STRANGER_UPDATES):
        if n % 3 == 0:
            update = harness.updates.callback(
                rng.choice(members), forged(rng, prefixes), chat_id=rng.choice((None, *GROUPS))
            )
        else:
            stranger = rng.choice((1, 777, 2**31, 2**40, rng.randint(10**9, 9 * 10**9)))
            update = random_update(rng, harness.updates, stranger, commands, forged(rng, prefixes))
        strangers.append(update)
    await send_all(harness, strangers)
    assert await snapshot(harness.db) == before

    # Members typing, sharing and pressing anything, anywhere: no crash, nothing Telegram would refuse.
    mine = []
    for _ in range(MEMBER_UPDATES):
        data = forged(rng, prefixes) if rng.random() < 0.5 else rng.choice(prefixes) + rng.choice(("1", "ok", "x"))
        mine.append(random_update(rng, harness.updates, rng.choice(members), commands, data))
    await send_all(harness, mine)

    found = sorted({where(record) for record in caplog.records})
    assert not found, "\n".join(found)
    assert harness.request.invalid == []
    bot = harness.application.bot
    assert isinstance(bot, OutgoingBot)
    assert bot.stats.invalid == 0 and bot.stats.bad_markup == 0, bot.stats.problems[:10]
