"""One limiter for everything the bot sends: replies (through PTB's bot) and pushes (the outbox) alike.

Telegram allows about 30 messages a second in all, one a second in a chat and 20 a minute in a group; past
that it answers 429 (``RetryAfter``) and the bot must be quiet for the time it says. One :class:`SendLimiter`
per process knows all three limits and every message in flight, so pushes use what replies leave:

- a message waits first for its chat, then for a slot of the overall budget; slots go out evenly spaced
  (``1 / rate`` apart, never more than 30 in any second), so a reply arriving behind a full backlog of pushes
  waits about one spacing, not a burst;
- when several wait for a slot, the highest priority goes first: replies, then time-critical pushes, then the
  rest (the outbox passes its row's priority);
- a ``RetryAfter`` pauses every sender of the process for the time Telegram asked.

We cannot know when a message reaches Telegram, only that it is between the moment we send it and the moment
its answer comes back, less the answer's own trip (at least half the fastest round trip seen). So a message
counts against the limits from the moment it is sent until a second (a minute, for a group's 20) after that
latest possible arrival: however late a busy machine or the network delays a request, no second at Telegram
holds more than 30 (at 30 ms a round trip that allows 29.5 a second; at 300 ms, 26). Until a second's worth of
answers has come back (:data:`WARM_UP`), the fastest round trip seen is no measure of the way back: the first
requests open connections and leave a process still busy starting, so they spend most of their round trip on the
way out, and taking half of it off their arrival let 31 messages into one second of a loaded machine's first.
Those first answers count as arriving when they come back.

Replicas share the budget through the database: each sender counts the live ones at its heartbeat and takes its
equal share (:attr:`SendLimiter.share`). The per-chat limits are kept per process (a chat's replies and its pushes
usually leave from one replica; two replicas may each send one message to the same chat in one second).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import contextvars
import heapq
import itertools
import math
import time
from collections import deque
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

TELEGRAM_PER_SECOND = 30  # Telegram's overall limit: never more than this in any one-second window
WINDOW = 1.0
CHAT_GAP = 1.0  # one message a second in a chat (private or group)
GROUP_PER_MINUTE = 20
GROUP_WINDOW = 60.0
# Slots are spaced 1 / rate apart on a schedule; a sender that wakes late (a busy machine) may catch up on at
# most this much of the schedule at once, within the limits, rather than lose the time for good.
CATCH_UP = 0.25
BUSY_POLL = 0.01  # how often a waiter looks again while the limit is taken by messages still in flight
WARM_UP = TELEGRAM_PER_SECOND  # answers seen before the fastest round trip is trusted (see the module)

REPLY_PRIORITY = 1000  # above every outbox priority
MAX_REPLY_RETRIES = 2

# Methods that send or change a message: they count against Telegram's limits. (sendChatAction does not.)
_MESSAGE_METHOD_PREFIXES = ("send", "edit", "copyMessage", "forwardMessage")

# Set by the outbox around its own calls: it has already taken its slot from the limiter.
_PACED: contextvars.ContextVar[bool] = contextvars.ContextVar("already_paced", default=False)


def mark_paced() -> None:
    """The calls made from here on in this task have already been paced (the outbox's sends)."""
    _PACED.set(True)


def counts_against_limits(endpoint: str) -> bool:
    """Whether a Bot API method sends a message (and so uses the budget)."""
    return endpoint.startswith(_MESSAGE_METHOD_PREFIXES) and endpoint != "sendChatAction"


def seconds_of(retry_after: timedelta | float | int) -> float:
    """``RetryAfter.retry_after`` as seconds (PTB gives an int or a timedelta depending on its settings)."""
    return retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)


class SendLimiter:
    """Telegram's three limits and the ``RetryAfter`` pause, for one process; ``paced=False`` only counts.

    Use as ``await acquire(chat, priority)``, send, then ``release(chat)`` once the answer (or error) is back."""

    def __init__(self, rate_per_second: float = 30.0, *, paced: bool = True) -> None:
        self.rate_per_second = min(rate_per_second, TELEGRAM_PER_SECOND)
        self.paced = paced
        self.share = 1.0  # this process's part of the budget (1 / live replicas)
        self.granted = 0
        self._in_flight = 0
        self._done: list[float] = []  # the latest possible arrivals within the last WINDOW, in order
        self._fastest = math.inf  # the fastest round trip seen
        self._answers = 0  # answers seen (the fastest round trip counts from WARM_UP on)
        self._next = -math.inf  # when the next slot is due on the schedule
        self._chats: dict[int, deque[float]] = {}  # per chat, when its last answers came back
        self._chats_busy: dict[int, int] = {}  # per chat, messages in flight
        self._paused_until = 0.0
        self._queue: list[tuple[int, int]] = []  # waiters for a slot: (-priority, arrival)
        self._arrivals = itertools.count()
        self._condition: asyncio.Condition | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- what may go now -----------------------------------------------------------------------------------

    def chat_wait(self, chat_id: int | None, now: float | None = None) -> float:
        """Seconds until ``chat_id`` may receive another message (0: now)."""
        if not self.paced or chat_id is None:
            return 0.0
        if self._chats_busy.get(chat_id):
            return BUSY_POLL + CHAT_GAP  # at least a second after the answer still awaited
        log = self._chats.get(chat_id)
        if not log:
            return 0.0
        now = time.monotonic() if now is None else now
        wait = log[-1] + CHAT_GAP - now
        if chat_id < 0 and len(log) >= GROUP_PER_MINUTE:
            wait = max(wait, log[-GROUP_PER_MINUTE] + GROUP_WINDOW - now)
        return max(0.0, wait)

    def global_wait(self, now: float | None = None) -> float:
        """Seconds until the next slot of the overall budget (0: now), the ``RetryAfter`` pause included."""
        now = time.monotonic() if now is None else now
        wait = self._paused_until - now
        if self.paced:
            capacity = max(1, math.floor(TELEGRAM_PER_SECOND * self.share))
            expired = bisect.bisect_right(self._done, now - WINDOW)
            if expired:
                del self._done[:expired]
            wait = max(wait, self._next - now)
            taken = self._in_flight + len(self._done)
            if taken >= capacity:
                free_after = taken - capacity  # how many of the answers must age out of the window first
                wait = max(wait, self._done[free_after] + WINDOW - now if free_after < len(self._done) else BUSY_POLL)
        return max(0.0, wait)

    def paused_for(self) -> float:
        """Seconds left of a ``RetryAfter`` pause."""
        return max(0.0, self._paused_until - time.monotonic())

    def pause(self, seconds: float) -> None:
        """Telegram said to wait: nothing is sent by this process until then."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    def forget_chats(self) -> None:
        """Forget when each chat last received a message (tests that drive time by hand)."""
        self._chats.clear()

    def _grant(self, chat_id: int | None, now: float) -> None:
        self.granted += 1
        self._in_flight += 1
        if chat_id is not None:
            self._chats_busy[chat_id] = self._chats_busy.get(chat_id, 0) + 1
        if self.paced:
            rate = max(self.rate_per_second * self.share, 0.1)
            self._next = max(self._next, now - CATCH_UP) + 1.0 / rate

    def release(self, chat_id: int | None, granted: float) -> None:
        """The answer to a message granted at ``granted`` by :meth:`acquire` came back (or its request failed)."""
        now = time.monotonic()
        self._in_flight = max(0, self._in_flight - 1)
        self._fastest = min(self._fastest, now - granted)
        self._answers += 1
        # It reached Telegram by then at the latest (its answer's trip took at least half the fastest round trip).
        arrived_by = now - min(self._fastest, now - granted) / 2 if self._answers > WARM_UP else now
        bisect.insort(self._done, arrived_by)
        now = arrived_by
        if chat_id is None:
            return
        busy = self._chats_busy.get(chat_id, 0) - 1
        if busy > 0:
            self._chats_busy[chat_id] = busy
        else:
            self._chats_busy.pop(chat_id, None)
        log = self._chats.setdefault(chat_id, deque(maxlen=GROUP_PER_MINUTE))
        log.append(now)
        if len(self._chats) > 50_000:  # forget chats quiet for longer than any limit remembers
            for chat in [c for c, entries in self._chats.items() if entries[-1] < now - GROUP_WINDOW]:
                del self._chats[chat]

    # --- waiting for a slot ----------------------------------------------------------------------------------

    async def acquire(self, chat_id: int | None, priority: int) -> float:
        """Wait until ``chat_id`` may receive a message and a slot of the budget is free (by ``priority``), and
        take both; :meth:`release` must follow, given the time returned (when the slot was granted). Returns at
        once when both are free and nobody with a higher priority waits."""
        while True:
            wait = self.chat_wait(chat_id)
            if wait > 0:
                await asyncio.sleep(BUSY_POLL if self._chats_busy.get(chat_id or 0) else wait)
                continue
            granted = await self._take_slot(chat_id, priority)
            if granted is not None:
                return granted

    def _the_condition(self) -> asyncio.Condition:
        loop = asyncio.get_running_loop()
        if self._condition is None or self._loop is not loop:  # a new event loop (tests): start afresh
            self._condition, self._loop, self._queue = asyncio.Condition(), loop, []
        return self._condition

    async def _take_slot(self, chat_id: int | None, priority: int) -> float | None:
        """Queue for the next slot; None when the chat was taken meanwhile (the caller waits for it again)."""
        condition = self._the_condition()
        ticket = (-priority, next(self._arrivals))
        async with condition:
            heapq.heappush(self._queue, ticket)
            condition.notify_all()  # a waiter of lower priority sleeping on its slot must let this one by
            try:
                while True:
                    now = time.monotonic()
                    if self._queue[0] != ticket:
                        await condition.wait()
                        continue
                    wait = self.global_wait(now)
                    if wait > 0:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(condition.wait(), wait)
                        continue
                    heapq.heappop(self._queue)
                    condition.notify_all()
                    if self.chat_wait(chat_id, now) > 0:
                        return None
                    self._grant(chat_id, now)
                    return now
            except BaseException:
                if ticket in self._queue:
                    self._queue.remove(ticket)
                    heapq.heapify(self._queue)
                    condition.notify_all()
                raise


class SharedRateLimiter(BaseRateLimiter[None]):
    """PTB's rate limiter for the application's bot: replies take their slots from the shared
    :class:`SendLimiter` at the highest priority; a ``RetryAfter`` pauses every sender and is retried."""

    def __init__(self, limiter: SendLimiter) -> None:
        self.limiter = limiter

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Pace a message-sending call (the outbox's own calls are paced already); pass others through."""
        if _PACED.get() or not counts_against_limits(endpoint):
            return await callback(*args, **kwargs)
        chat = data.get("chat_id")
        chat_id = int(chat) if isinstance(chat, int) or (isinstance(chat, str) and chat.lstrip("-").isdigit()) else None
        attempt = 0
        while True:
            granted = await self.limiter.acquire(chat_id, REPLY_PRIORITY)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                self.limiter.pause(seconds_of(exc.retry_after))
                attempt += 1
                if attempt > MAX_REPLY_RETRIES:
                    raise
            finally:
                self.limiter.release(chat_id, granted)
