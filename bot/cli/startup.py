"""What ``branchbot run`` checks before it starts, and the demo's own database.

A newcomer's first hour: the demo must not share the real installation's database (a real ``run`` would push to
the demo's fake members), and a machine with no route to Telegram gets one line and a retry, not a traceback.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import tr_cli
from bot.config import Settings
from bot.db import Database
from storage import core as core_store
from storage import queries

if TYPE_CHECKING:
    from telegram import Bot

# ``branchbot demo`` keeps its organisation here, apart from DATABASE_URL's real one.
DEMO_DATABASE_URL = "sqlite+aiosqlite:///./data/demo.sqlite3"
DEMO_MARK = "demo_seeded"  # an audit entry written by ``branchbot demo``: this database is the demo's
MAX_BACKOFF_SECONDS = 60.0

sleep: Callable[[float], None] = time.sleep  # replaced in tests


async def mark_demo(session: AsyncSession) -> None:
    """Mark the database as the demo's (``branchbot demo`` calls this after seeding it), once."""
    if not await core_store.audit_action_exists(session, DEMO_MARK):
        queries.audit(session, actor=None, action=DEMO_MARK, entity="database", label="demo")


async def holds_demo_data(url: str) -> bool:
    """Whether the (migrated) database was seeded by ``branchbot demo``. (Tests and benchmarks that seed the
    demo organisation themselves do not mark it, and may run the bot over it.)"""
    db = Database(url)  # its own engine: pooled connections belong to the event loop that opened them
    try:
        async with db.session() as session:
            return await core_store.audit_action_exists(session, DEMO_MARK)
    finally:
        await db.dispose()


def refuse_demo_database(settings: Settings) -> None:
    """Stop ``run`` with one line when its database is the demo's: its members are made up."""
    if asyncio.run(holds_demo_data(settings.DATABASE_URL)):
        typer.echo(
            tr_cli(settings).gettext(
                "This database holds the demo organisation (its members are made up), so I will not run the real "
                "bot on it. Point DATABASE_URL at a database of your own, then import your organisation and roster."
            ),
            err=True,
        )
        raise typer.Exit(2)


def wait_for_telegram(settings: Settings, *, attempts: int | None = None, bot: Bot | None = None) -> str:
    """Ask Telegram who the bot is (getMe) until it answers, with one line per failure and a growing pause
    (1, 2, 4 … 60 seconds); a refused token stops at once. Returns the bot's username.

    ``bot``: the application's own bot, initialized here on the current event loop (the one the application
    then runs on), so that starting the application asks Telegram nothing again: one round trip, one HTTP
    client and one event loop less at every start. Without it, a bot of its own is opened and closed."""
    from telegram import Bot
    from telegram.error import InvalidToken, NetworkError, TelegramError

    tr = tr_cli(settings)

    from bot.app import telegram_request

    async def ask() -> str:
        if bot is not None:
            await bot.initialize()  # getMe; PTB's Application.initialize finds the bot initialized
            return bot.username
        request = telegram_request(1)  # one client (getMe needs no other), on the bot's shared TLS context
        own = Bot(
            settings.BOT_TOKEN or "", base_url=settings.TELEGRAM_BASE_URL, request=request, get_updates_request=request
        )
        async with own:
            return own.username

    def run(work: Coroutine[Any, Any, str]) -> str:
        return asyncio.run(work) if bot is None else asyncio.get_event_loop().run_until_complete(work)

    delay = 1.0
    tried = 0
    while True:
        tried += 1
        try:
            return run(ask())
        except InvalidToken:
            typer.echo(
                tr.gettext("Telegram refused BOT_TOKEN: check it with @BotFather (/mybots → API Token)."), err=True
            )
            raise typer.Exit(2) from None
        except (NetworkError, TelegramError, OSError) as exc:
            reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            typer.echo(
                tr.gettext(
                    "Cannot reach Telegram at %(url)s (%(reason)s). Check the network, a proxy, or "
                    "TELEGRAM_BASE_URL. Trying again in %(seconds)d s…",
                    url=settings.TELEGRAM_BASE_URL,
                    reason=reason,
                    seconds=int(delay),
                ),
                err=True,
            )
            if attempts is not None and tried >= attempts:
                raise typer.Exit(3) from None
            sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF_SECONDS)
