"""Sends the outbox at Telegram's limit, replies first, without letting one chat's limit hold up the others.

One long-running loop per process (started in post_init, stopped with the application):

- it **claims** due rows in batches (one ``UPDATE … RETURNING``; ``SKIP LOCKED`` on PostgreSQL, so replicas
  share the outbox) and keeps them in hand, most urgent first, then oldest;
- it sends the first row in hand whose **chat** allows a message now, with several messages **in flight**, each
  taking its slot from the process's one :class:`~bot.send_limiter.SendLimiter` (which replies use too, at a
  higher priority), so pushes fill what replies leave. A row held back by its own chat's limit keeps its place
  in hand and goes as soon as its chat allows; the others go ahead meanwhile;
- **outcomes** are written in batches, each only where this sender still holds the claim;
- its claims are a short **lease** renewed by a heartbeat: if the process dies, another takes its rows over
  within ``lease`` seconds. A message sent just before a crash, whose outcome was not written yet, is sent
  again by the next sender (the only window for a repeat; tests/test_outbox_lease.py counts them).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import html
import logging
import math
import secrets
import time
from datetime import timedelta
from pathlib import Path

from telegram import Bot, BotCommand, BotCommandScopeChat, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.clock import now_utc
from bot.db import Database
from bot.i18n import translator
from bot.screens import private
from bot.send_limiter import SendLimiter, mark_paced, seconds_of
from bot.services import outbox
from storage import outbox as store
from storage import queries
from storage.models import Member, OutboxMessage, OutboxStatus
from storage.outbox import Outcome

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
CLAIM_SIZE = 40  # rows claimed at once: over a second's worth at the limit
CLAIM_BELOW = 20  # claim more (a new urgent row among them) when fewer rows in hand could go within a second
IN_FLIGHT = 16  # messages awaiting Telegram's answer at once (30/s at up to ~0.5 s a round trip)


def _order(row: OutboxMessage) -> tuple[int, float, int]:
    return (-row.priority, row.not_before.timestamp(), row.id)


class OutboxWorker:
    """Sends the outbox: :meth:`start` / :meth:`stop` run it continuously; :meth:`drain` sends what is due
    now and returns (tests, the console)."""

    def __init__(
        self,
        db: Database,
        bot: Bot,
        *,
        limiter: SendLimiter | None = None,
        rate_per_second: float = 30.0,
        default_locale: str | None = None,
        lease_seconds: float = 30.0,
        poll_seconds: float = 0.5,
    ) -> None:
        self.db = db
        self.bot = bot
        self.limiter = limiter or SendLimiter(rate_per_second)
        self.default_locale = default_locale  # for people who chose no language (None: the built-in default)
        self.lease = timedelta(seconds=lease_seconds)
        self.poll_seconds = poll_seconds
        self.token = secrets.token_hex(8)  # this sender's claims (and its name among the live senders)
        self.sent = 0
        self._hand: list[OutboxMessage] = []  # claimed, not yet sent, in order
        self._hand_keys: list[tuple[int, float, int]] = []
        self._in_flight: set[asyncio.Task[None]] = set()
        self._outcomes: list[Outcome] = []
        self._unreachable_chats: set[int] = set()  # answered Forbidden during this process's life
        self._stopping = False
        self._task: asyncio.Task[int] | None = None
        self._wake: asyncio.Event | None = None  # set by stop() and by a finished send: look again
        self._flush_due: asyncio.Event | None = None  # set when there are outcomes to write
        self._next_heartbeat = 0.0
        self._next_claim = 0.0
        self._flusher: asyncio.Task[None] | None = None
        self._claiming: asyncio.Task[None] | None = None  # a claim made beside the sends (continuous sender)

    # --- running ---------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Run continuously in the background until :meth:`stop`."""
        self._stopping = False
        self._task = asyncio.create_task(self._run(deadline=None), name="outbox-sender")

    async def stop(self) -> None:
        """Finish the messages in flight, record them, give back the rest and leave the live senders."""
        if self._task is None:
            return
        self._stopping = True
        if self._wake is not None:
            self._wake.set()
        task, self._task = self._task, None
        await task

    @property
    def running(self) -> bool:
        """Whether the background loop runs."""
        return self._task is not None and not self._task.done()

    async def drain(self, budget_seconds: float = 1.0) -> int:
        """Send what can go now, for at most ``budget_seconds``; returns how many messages went out. Rows held
        back by their chat's limit are given back at their place."""
        if self.running:
            return 0
        self._stopping = False
        return await self._run(deadline=time.monotonic() + budget_seconds)

    async def _run(self, deadline: float | None) -> int:
        sent_before = self.sent
        self._wake, self._flush_due = asyncio.Event(), asyncio.Event()
        finished = asyncio.Event()
        self._flusher = flusher = asyncio.create_task(self._flush_loop(finished))
        slots = asyncio.Semaphore(IN_FLIGHT)
        self._next_heartbeat = self._next_claim = 0.0
        try:
            while not self._stopping and (deadline is None or time.monotonic() < deadline):
                try:
                    if not await self._step(deadline, slots):
                        break
                except Exception:  # the database is unreachable, say: the sender carries on once it is back
                    if deadline is not None:
                        raise
                    log.exception("the outbox sender failed; trying again in a second")
                    await asyncio.sleep(1.0)
        finally:
            await self._claimed()  # its rows are in hand before the rest is given back
            if self._in_flight:
                await asyncio.gather(*self._in_flight, return_exceptions=True)
            await self._give_back()
            finished.set()
            self._flush_due.set()  # the flusher writes what is left and ends
            await flusher
            if deadline is None:
                await self._leave()
        return self.sent - sent_before

    async def _step(self, deadline: float | None, slots: asyncio.Semaphore) -> bool:
        """Send (start) the next message that may go, or wait for one; False when a drain has nothing left."""
        now = time.monotonic()
        if now >= self._next_heartbeat:
            await self._claimed()  # the heartbeat keeps in hand only the rows the database says are ours
            await self._heartbeat(register=deadline is None)
            self._next_heartbeat = now + self.lease.total_seconds() / 3
        claimed = None
        if now >= self._next_claim and self._soon_ready(now) < CLAIM_BELOW:
            if deadline is None and self._hand:
                self._claim_beside()
            else:
                claimed = await self._claim()
                self._next_claim = now + (self.poll_seconds if claimed == 0 else 0.0)
        paused = self.limiter.paused_for()
        row = self._next_ready(time.monotonic()) if paused <= 0 else None
        if row is None:
            if deadline is not None and (claimed == 0 or time.monotonic() + paused >= deadline):
                if self._in_flight:  # a drain: wait for what is in flight, then look once more
                    await asyncio.wait(self._in_flight, return_when=asyncio.FIRST_COMPLETED)
                    self._next_claim = 0.0
                    return True
                if paused > 0 or not self._hand or self._earliest_chat() >= deadline:
                    return False  # nothing more can go within the drain's budget
            await self._idle(now, deadline, paused)
            return True
        if not await self._precheck(row):
            return True
        await slots.acquire()
        try:
            granted = await self.limiter.acquire(row.chat_id, row.priority)
        except BaseException:
            slots.release()
            self._keep(row)
            raise
        task = asyncio.create_task(self._send(row, slots, granted))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        return True

    async def _idle(self, now: float, deadline: float | None, paused: float) -> None:
        """Sleep until a row in hand may go, more may be claimed, the heartbeat is due, or :meth:`stop`."""
        waits = [self.poll_seconds, self._next_heartbeat - now, max(self._next_claim - now, 0.01)]
        if paused > 0:
            waits.append(paused)
        else:
            waits += [self.limiter.chat_wait(r.chat_id, now) for r in self._hand[:200]]
        if deadline is not None:
            waits.append(deadline - now)
        assert self._wake is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), max(0.005, min(waits)))
        self._wake.clear()

    # --- the rows in hand --------------------------------------------------------------------------------------

    def _keep(self, row: OutboxMessage) -> None:
        key = _order(row)
        at = bisect.bisect(self._hand_keys, key)
        self._hand_keys.insert(at, key)
        self._hand.insert(at, row)

    def _take(self, index: int) -> OutboxMessage:
        del self._hand_keys[index]
        return self._hand.pop(index)

    def _next_ready(self, now: float) -> OutboxMessage | None:
        """The first row in hand whose chat allows a message now (taken out of hand)."""
        for index, row in enumerate(self._hand):
            if self.limiter.chat_wait(row.chat_id, now) <= 0:
                return self._take(index)
        return None

    def _earliest_chat(self) -> float:
        """When the first row in hand may go (monotonic time)."""
        now = time.monotonic()
        return now + min(self.limiter.chat_wait(r.chat_id, now) for r in self._hand)

    def _soon_ready(self, now: float) -> int:
        return sum(1 for r in self._hand if self.limiter.chat_wait(r.chat_id, now) < 1.0)

    async def _claim(self) -> int:
        """Claim more rows (one statement), leaving out the chats whose rows in hand wait for their limit."""
        waiting = {r.chat_id for r in self._hand}
        async with self.db.session() as session:
            rows = await store.claim(session, self.token, CLAIM_SIZE, now=now_utc(), skip_chats=waiting)
        for row in rows:
            self._keep(row)
        return len(rows)

    def _claim_beside(self) -> None:
        """Claim more while the rows in hand keep going out: a claim awaited in the send loop left every slot that
        came free meanwhile unused (a quarter of a push a second at the limit, more on a busy machine)."""
        self._next_claim = math.inf  # until this claim is in

        async def claim() -> None:
            try:
                claimed = await self._claim()
            except Exception:  # the database is busy or gone: the next claim tries again
                log.exception("the outbox sender could not claim rows; trying again in a second")
                claimed, pause = 0, 1.0
            else:
                pause = self.poll_seconds if claimed == 0 else 0.0
            self._next_claim = time.monotonic() + pause
            if self._wake is not None:
                self._wake.set()

        self._claiming = asyncio.create_task(claim(), name="outbox-claim")

    async def _claimed(self) -> None:
        """Wait for a claim made beside the sends, if one is under way."""
        if self._claiming is not None:
            claiming, self._claiming = self._claiming, None
            await claiming

    async def _give_back(self) -> None:
        """Rows in hand not sent go back to the outbox at their place."""
        if not self._hand:
            return
        ids = [r.id for r in self._hand]
        self._hand, self._hand_keys = [], []
        async with self.db.session() as session:
            await store.release(session, self.token, ids)

    async def _heartbeat(self, *, register: bool) -> None:
        """Renew this sender's lease, take over the rows of senders that stopped, and (a continuous sender)
        learn its share of the budget from the number of live senders."""
        async with self.db.session() as session:
            now = now_utc()
            live = await store.sender_alive(session, self.token, now=now, lease=self.lease) if register else 1
            released = await store.release_expired_claims(session, lease=self.lease, now=now)
            ours = await store.renew(session, self.token, now=now)
        if released:
            log.warning("took over %d outbox rows whose sender stopped renewing its claim", released)
        if register:
            self.limiter.share = 1.0 / max(1, live)
        lost = [r for r in self._hand if r.id not in ours]
        if lost:  # this process stalled past its lease and another sender has them now
            log.warning("%d outbox rows were taken over by another sender", len(lost))
            self._hand = [r for r in self._hand if r.id in ours]
            self._hand_keys = [_order(r) for r in self._hand]

    async def _leave(self) -> None:
        async with self.db.session() as session:
            await store.sender_gone(session, self.token)

    # --- sending one row ------------------------------------------------------------------------------------------

    async def _precheck(self, row: OutboxMessage) -> bool:
        """Whether the row is still worth sending (too late, or its chat is known to be unreachable)."""
        if row.expires_at is not None and row.expires_at <= now_utc():
            log.warning("outbox %s (%s) expired before it could be sent; dropped", row.id, row.dedup_key)
            self._outcome(Outcome(row.id, OutboxStatus.DROPPED, "expired"))
            return False
        if row.chat_id in self._unreachable_chats:
            self._outcome(Outcome(row.id, OutboxStatus.UNDELIVERABLE, "the chat cannot be reached"))
            return False
        return True

    async def _send(self, row: OutboxMessage, slots: asyncio.Semaphore, granted: float) -> None:
        mark_paced()  # this task's calls took their slot already
        try:
            try:
                message_id = await self._call(row)
            finally:
                self.limiter.release(row.chat_id, granted)
        except RetryAfter as exc:
            self.limiter.pause(seconds_of(exc.retry_after))
            self._keep(row)  # at its place, once the pause is over
            return
        except Forbidden as exc:
            await self._unreachable(row, str(exc))
            return
        except ChatMigrated as exc:
            self._outcome(Outcome(row.id, OutboxStatus.FAILED, str(exc)))
            return
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                await self._unreachable(row, str(exc))
            else:
                log.error("outbox %s rejected by Telegram: %s", row.id, exc)
                self._outcome(Outcome(row.id, OutboxStatus.FAILED, str(exc)))
            return
        except (NetworkError, TelegramError) as exc:  # NetworkError covers TimedOut
            if row.attempts + 1 >= MAX_ATTEMPTS:
                self._outcome(Outcome(row.id, OutboxStatus.FAILED, str(exc)))
            else:
                retry_at = now_utc() + timedelta(seconds=min(300, 2 ** (row.attempts + 1)))
                self._outcome(Outcome(row.id, OutboxStatus.PENDING, str(exc), retry_at=retry_at, count_attempt=True))
            return
        except Exception as exc:  # a row the bot cannot even build a request from: never retried forever
            log.exception("outbox %s could not be sent", row.id)
            self._outcome(Outcome(row.id, OutboxStatus.FAILED, repr(exc)))
            return
        finally:
            slots.release()
            if self._wake is not None:
                self._wake.set()
        self.sent += 1
        self._outcome(Outcome(row.id, OutboxStatus.SENT, telegram_message_id=message_id))

    async def _call(self, row: OutboxMessage) -> int | None:
        """Make the Bot API call a row describes; returns the sent message's id, if any."""
        payload = dict(row.payload)
        markup = payload.get("reply_markup")
        reply_markup = InlineKeyboardMarkup.de_json(markup, self.bot) if markup else None
        if row.method == "sendMessage":
            text = payload["text"]
            if payload.get("private"):  # a private screen queued: the send boundary keeps it out of groups
                text = private(text, str(payload["private"]))
            message = await self.bot.send_message(
                row.chat_id, text, parse_mode=payload.get("parse_mode"), reply_markup=reply_markup
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

    # --- outcomes ---------------------------------------------------------------------------------------------------

    def _outcome(self, outcome: Outcome) -> None:
        self._outcomes.append(outcome)
        if self._flush_due is not None:
            self._flush_due.set()

    async def _flush_loop(self, finished: asyncio.Event) -> None:
        """Write outcomes as they come, many per transaction; ends once ``finished`` is set and all is written."""
        assert self._flush_due is not None
        while True:
            if not self._outcomes:
                if finished.is_set():
                    return
                await self._flush_due.wait()
                self._flush_due.clear()
                continue
            batch, self._outcomes = self._outcomes, []
            try:
                async with self.db.session() as session:
                    await store.record(session, self.token, batch, now=now_utc())
            except Exception:  # the database is busy or gone: try again shortly, nothing is lost meanwhile
                log.exception("could not record %d outbox outcomes; retrying", len(batch))
                self._outcomes[:0] = batch
                await asyncio.sleep(0.5)

    # --- chats that cannot be reached --------------------------------------------------------------------------

    async def _unreachable(self, row: OutboxMessage, error: str) -> None:
        """Mark the row, and everything else for the chat (in hand and waiting), undeliverable; tell the leaders."""
        self._unreachable_chats.add(row.chat_id)
        self._outcome(Outcome(row.id, OutboxStatus.UNDELIVERABLE, error))
        for index in reversed(range(len(self._hand))):
            if self._hand[index].chat_id == row.chat_id:
                other = self._take(index)
                self._outcome(Outcome(other.id, OutboxStatus.UNDELIVERABLE, "the chat cannot be reached"))
        await self._report_unreachable(row)

    async def _report_unreachable(self, row: OutboxMessage) -> None:
        """Mark the member unreachable and tell their branch's leaders once, so they can reach them in person.

        What else waits for the same chat would fail the same way: it is marked undeliverable at once."""
        async with self.db.session() as session:
            await store.mark_chat_unreachable(session, row.chat_id, "the chat cannot be reached")
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
