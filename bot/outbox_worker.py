"""Sends the outbox, paced under Telegram's limits, leaving headroom for replies to people in conversation.

The worker sends one message at a time, at most ``rate`` per second overall, one per second per private
chat and one per three seconds per group (20 a minute). It never hands its backlog to the rate limiter,
so a reply to someone talking to the bot waits behind at most one push, not ten thousand.
"""

from __future__ import annotations

import asyncio
import html
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update
from telegram import Bot, BotCommand, BotCommandScopeChat, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.clock import now_utc
from bot.db import Database
from bot.i18n import translator
from bot.services import outbox
from storage import queries
from storage.models import Member, OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
MAX_BATCH = 100  # rows claimed at once: what one drain can send before its claims go stale
PRIVATE_CHAT_INTERVAL = 1.0
GROUP_CHAT_INTERVAL = 3.0


class OutboxWorker:
    """Drains the outbox; ``drain`` is called by a repeating JobQueue job (fixed id, one instance)."""

    def __init__(
        self, db: Database, bot: Bot, *, rate_per_second: float = 20.0, default_locale: str | None = None
    ) -> None:
        self.db = db
        self.bot = bot
        self.default_locale = default_locale  # for people who chose no language (None: the built-in default)
        self.interval = 1.0 / rate_per_second
        self._last_send = 0.0
        self._chat_ready: dict[int, float] = {}
        self._paused_until = 0.0
        self._unreachable_chats: set[int] = set()  # answered Forbidden during this process's life

    async def drain(self, budget_seconds: float = 1.0) -> int:
        """Send what is due for about ``budget_seconds``; returns how many messages went out."""
        deadline = time.monotonic() + budget_seconds
        sent = 0
        while time.monotonic() < deadline and time.monotonic() >= self._paused_until:
            batch_size = max(1, min(MAX_BATCH, int(budget_seconds / max(self.interval, 0.001))))
            async with self.db.session() as session:
                rows = await outbox.claim_batch(session, batch_size)
            if not rows:
                break
            for row in rows:
                if time.monotonic() >= deadline or time.monotonic() < self._paused_until:
                    async with self.db.session() as session:  # give back what this run will not send
                        fresh = await session.get(OutboxMessage, row.id)
                        if fresh is not None and fresh.claim_token == row.claim_token:
                            outbox.mark_retry(fresh, timedelta(0), fresh.last_error or "", count_attempt=False)
                    continue
                sent += await self._deliver(row)
        return sent

    async def _deliver(self, row: OutboxMessage) -> int:
        """Send one claimed row and record the outcome in its own transaction."""
        if row.expires_at is not None and row.expires_at <= now_utc():
            log.warning("outbox %s (%s) expired before it could be sent; dropped", row.id, row.dedup_key)
            await self._record(row, outbox.mark_dropped, "expired")
            return 0
        if row.chat_id in self._unreachable_chats:
            await self._record(row, outbox.mark_undeliverable, "the chat cannot be reached")
            return 0
        wait = self._chat_ready.get(row.chat_id, 0.0) - time.monotonic()
        if wait > 0:
            await self._record(row, outbox.mark_retry, timedelta(seconds=wait), "paced", count_attempt=False)
            return 0
        pause = self._last_send + self.interval - time.monotonic()
        if pause > 0:
            await asyncio.sleep(pause)
        self._last_send = time.monotonic()
        self._chat_ready[row.chat_id] = self._last_send + (
            GROUP_CHAT_INTERVAL if row.chat_id < 0 else PRIVATE_CHAT_INTERVAL
        )
        try:
            message_id = await self._call(row)
        except RetryAfter as exc:
            delay = exc.retry_after if isinstance(exc.retry_after, timedelta) else timedelta(seconds=exc.retry_after)
            self._paused_until = time.monotonic() + delay.total_seconds()
            await self._record(row, outbox.mark_retry, delay, str(exc), count_attempt=False)
            return 0
        except Forbidden as exc:
            self._unreachable_chats.add(row.chat_id)
            await self._record(row, outbox.mark_undeliverable, str(exc))
            await self._report_unreachable(row)
            return 0
        except ChatMigrated as exc:
            await self._record(row, outbox.mark_failed, str(exc))
            return 0
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                await self._record(row, outbox.mark_undeliverable, str(exc))
                await self._report_unreachable(row)
            else:
                log.error("outbox %s rejected by Telegram: %s", row.id, exc)
                await self._record(row, outbox.mark_failed, str(exc))
            return 0
        except (NetworkError, TelegramError) as exc:  # NetworkError covers TimedOut
            if row.attempts + 1 >= MAX_ATTEMPTS:
                await self._record(row, outbox.mark_failed, str(exc))
            else:
                delay = timedelta(seconds=min(300, 2 ** (row.attempts + 1)))
                await self._record(row, outbox.mark_retry, delay, str(exc))
            return 0
        await self._record(row, outbox.mark_sent, message_id)
        return 1

    async def _call(self, row: OutboxMessage) -> int | None:
        """Make the Bot API call a row describes; returns the sent message's id, if any."""
        payload = dict(row.payload)
        markup = payload.get("reply_markup")
        reply_markup = InlineKeyboardMarkup.de_json(markup, self.bot) if markup else None
        if row.method == "sendMessage":
            message = await self.bot.send_message(
                row.chat_id, payload["text"], parse_mode=payload.get("parse_mode"), reply_markup=reply_markup
            )
            return message.message_id
        if row.method in ("sendPhoto", "sendDocument"):
            path = payload.get("photo_path") or payload.get("document_path")
            if path:
                content: InputFile | str = InputFile(
                    await asyncio.to_thread(Path(path).read_bytes), filename=Path(path).name
                )
            else:
                content = payload["file_id"]
            send = self.bot.send_photo if row.method == "sendPhoto" else self.bot.send_document
            message = await send(
                row.chat_id,
                content,
                caption=payload.get("caption"),
                parse_mode=payload.get("parse_mode"),
                reply_markup=reply_markup,
            )
            return message.message_id
        if row.method == "setMyCommands":
            commands = [BotCommand(c["command"], c["description"]) for c in payload["commands"]]
            await self.bot.set_my_commands(commands, scope=BotCommandScopeChat(row.chat_id))
            return None
        raise ValueError(f"outbox method {row.method!r} is not supported")

    async def _record(self, row: OutboxMessage, change: Callable[..., None], *args: Any, **kwargs: Any) -> None:
        """Apply ``change`` to the row in its own transaction, if this worker still holds the claim."""
        async with self.db.session() as session:
            fresh = await session.get(OutboxMessage, row.id)
            if fresh is not None and fresh.claim_token == row.claim_token:
                change(fresh, *args, **kwargs)

    async def _report_unreachable(self, row: OutboxMessage) -> None:
        """Mark the member unreachable and tell their branch's leaders once, so they can reach them in person.

        What else waits for the same chat would fail the same way: it is marked undeliverable at once."""
        async with self.db.session() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.chat_id == row.chat_id, OutboxMessage.status == OutboxStatus.PENDING)
                .values(status=OutboxStatus.UNDELIVERABLE, last_error="the chat cannot be reached")
            )
        if row.member_id is None:
            return
        async with self.db.session() as session:
            member = await session.get(Member, row.member_id)
            if member is None or member.unreachable_since is not None:
                return
            member.unreachable_since = now_utc()
            stamp = int(member.unreachable_since.timestamp())
            for leader in await queries.branch_leaders(session, member.org_id):
                if leader.telegram_id is None or leader.id == member.id:
                    continue
                text = translator(leader.language or self.default_locale).gettext(
                    "%(name)s cannot be reached on Telegram (they blocked the bot or left). "
                    "Please pass on messages in person.",
                    name=html.escape(member.name),
                )
                await outbox.enqueue(
                    session,
                    dedup_key=f"unreachable:{member.id}:{stamp}:{leader.id}",
                    chat_id=leader.telegram_id,
                    member_id=leader.id,
                    text=text,
                    kind="unreachable",
                )
