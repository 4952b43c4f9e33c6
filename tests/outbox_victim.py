"""A sender in a process of its own, for the killed-sender test (tests/test_outbox_sender.py): it sends the outbox
of the database at argv[1] to the fake Bot API at argv[2] until the test kills it with SIGKILL, so what a killed
sender leaves behind (its claims, its unrecorded sends, its connections) is what a dead process leaves."""

from __future__ import annotations

import asyncio
import sys

from telegram import Bot

from bot.db import Database
from bot.outbox_worker import OutboxWorker
from bot.send_limiter import SendLimiter

TOKEN = "1:A" + "a" * 30


async def main(database_url: str, base_url: str) -> None:
    async with Bot(TOKEN, base_url=base_url) as bot:
        worker = OutboxWorker(Database(database_url), bot, limiter=SendLimiter(200.0), lease_seconds=1)
        worker.start()
        await asyncio.Event().wait()  # until killed


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
