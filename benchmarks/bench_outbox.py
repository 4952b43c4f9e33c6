"""Pushes at Telegram's limit, replies first: 10,000 pushes waiting, against a fake Bot API that checks the limits.

Runs the real `branchbot run` process against the fake Bot API server on 127.0.0.1 (every send takes LATENCY
seconds, like a network round trip; the server counts every message past one of Telegram's limits: 30 a second
in all, one a second per private chat, 20 a minute per group). The outbox holds 10,000 pushes to distinct
members and, among its first hundred rows, 30 notices to one group; a time-critical push is queued 10 s in.
While the backlog drains, a member sends /help every 1.5 s. Printed: pushes per second, limit violations,
the replies' wait (p50, p95), when the group's notices and the time-critical push went out, each beside its
goal; and, in the same run, the anchors: a plain one-at-a-time sender and PTB's AIORateLimiter, each sending
pushes against their own fake API for ANCHOR_SECONDS.

    .venv/bin/python benchmarks/bench_outbox.py            # about two minutes
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram import Bot  # noqa: E402
from telegram.ext import AIORateLimiter, ExtBot  # noqa: E402
from telegram.request import HTTPXRequest  # noqa: E402

from bot.db import Database  # noqa: E402
from bot.demo import seed_demo, telegram_id_of  # noqa: E402
from bot.services import outbox  # noqa: E402
from tests.fake_bot_api import FakeBotApi, Violations  # noqa: E402

PUSHES = 10_000
GROUP = -1_001_234_567
GROUP_NOTICES = 30  # among the first hundred rows
PRIVATE_BASE = 3_000_000
URGENT_CHAT = 2_999_999
URGENT_AT = 10.0  # seconds after the first push
RUN_SECONDS = 75.0  # long enough for the group's second minute
PROBE_EVERY = 1.5
LATENCY = 0.03
ANCHOR_SECONDS = 12.0
TOKEN = "123456:BENCH-token_for_the_fake_api"


async def prepare(url: str) -> None:
    """Demo organisation, 10,000 pending pushes to distinct chats, 30 group notices among the first hundred."""
    db = Database(url)
    await db.upgrade()
    async with db.session() as session:
        await seed_demo(session)
        group_sent = 0
        for i in range(PUSHES):
            if i % 3 == 0 and group_sent < GROUP_NOTICES:
                await outbox.enqueue(
                    session, dedup_key=f"group:{group_sent}", chat_id=GROUP, text=f"支部通知 {group_sent}"
                )
                group_sent += 1
            await outbox.enqueue(session, dedup_key=f"bench:{i}", chat_id=PRIVATE_BASE + i, text=f"推送 {i}")
    await db.dispose()


async def enqueue_urgent(url: str) -> None:
    """A time-critical push (check-in is open) queued behind the whole backlog."""
    db = Database(url)
    async with db.session() as session:
        await outbox.enqueue(
            session, dedup_key="urgent", chat_id=URGENT_CHAT, text="签到已开始", priority=outbox.Priority.URGENT
        )
    await db.dispose()


def _pushes(api: FakeBotApi, member: int) -> list[float]:
    """When each push arrived: every message but the replies to the probing member (the 10,000, the group's
    notices and the time-critical one are all the outbox's)."""
    return [c.arrived for c in api.calls if c.method == "sendMessage" and int(c.params["chat_id"]) != member]


def run_bot() -> dict[str, object]:
    """The bot with its backlog: the figures of one run."""
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite+aiosqlite:///{Path(scratch) / 'bench.sqlite3'}"
        asyncio.run(prepare(url))
        api = FakeBotApi(latency=LATENCY).start()
        env = {**os.environ, "BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": api.base_url, "DATABASE_URL": url}
        env["PYTHONPATH"] = str(ROOT)
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=scratch,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            first = api.wait_for(lambda c: c.method == "sendMessage" and int(c.params["chat_id"]) >= PRIVATE_BASE, 60)
            started = first.arrived
            member = telegram_id_of("A03")
            waits: list[float] = []
            urgent_queued = None
            while time.monotonic() - started < RUN_SECONDS:
                time.sleep(PROBE_EVERY)
                if urgent_queued is None and time.monotonic() - started >= URGENT_AT:
                    asyncio.run(enqueue_urgent(url))
                    urgent_queued = time.monotonic()
                before = len(api.calls)
                sent_at = time.monotonic()
                api.message_from(member, "/help")
                reply = api.wait_for(
                    lambda c, n=before: (
                        c in api.calls[n:] and c.method == "sendMessage" and int(c.params["chat_id"]) == member
                    ),
                    timeout=60,
                )
                waits.append(reply.arrived - sent_at)
            ended = time.monotonic()
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
            api.stop()
        pushes = [t for t in _pushes(api, member) if started <= t <= ended]
        private = [
            c.arrived
            for c in api.calls
            if c.method == "sendMessage" and int(c.params["chat_id"]) >= PRIVATE_BASE and started <= c.arrived <= ended
        ]
        replies = len(waits)
        group = sorted(
            c.arrived - started for c in api.calls if c.method == "sendMessage" and int(c.params["chat_id"]) == GROUP
        )
        urgent = next((c.arrived for c in api.calls if int(c.params.get("chat_id", 0)) == URGENT_CHAT), None)
        return {
            "rate": len(pushes) / (ended - started),
            "private_rate": len(private) / (ended - started),
            "replies_rate": replies / (ended - started),
            "violations": api.violations(),
            "waits": sorted(waits),
            "group": group,
            "urgent": None if urgent is None or urgent_queued is None else urgent - urgent_queued,
        }


async def _anchor_one_at_a_time(api: FakeBotApi) -> float:
    """A plain sender: one message, wait for the answer, the next (no limiter)."""
    bot = Bot(TOKEN, base_url=api.base_url, request=HTTPXRequest(connection_pool_size=8))
    sent = 0
    async with bot:
        started = time.monotonic()
        while time.monotonic() - started < ANCHOR_SECONDS:
            await bot.send_message(PRIVATE_BASE + sent, f"推送 {sent}")
            sent += 1
        return sent / (time.monotonic() - started)


async def _anchor_aio(api: FakeBotApi) -> tuple[float, float]:
    """PTB's AIORateLimiter (30/s overall, 20/min per group) given the backlog at once, a reply queued behind
    it after a second: pushes per second and the reply's wait."""
    bot = ExtBot(
        TOKEN,
        base_url=api.base_url,
        rate_limiter=AIORateLimiter(max_retries=0),
        request=HTTPXRequest(connection_pool_size=256),  # as ApplicationBuilder gives the application's bot
    )
    async with bot:
        started = time.monotonic()
        backlog = int(ANCHOR_SECONDS * 30)
        tasks = [asyncio.create_task(bot.send_message(PRIVATE_BASE + i, f"推送 {i}")) for i in range(backlog)]
        await asyncio.sleep(1.0)
        asked = time.monotonic()
        await bot.send_message(telegram_id_of("A03"), "回复")
        reply_wait = time.monotonic() - asked
        results = await asyncio.gather(*tasks, return_exceptions=True)
        sent = sum(1 for r in results if not isinstance(r, BaseException))
        return sent / (time.monotonic() - started), reply_wait


def anchors() -> dict[str, tuple[float, Violations, float | None]]:
    """The anchors, each against its own fake API with the same latency."""
    found: dict[str, tuple[float, Violations, float | None]] = {}
    api = FakeBotApi(latency=LATENCY).start()
    try:
        rate = asyncio.run(_anchor_one_at_a_time(api))
        found["one-at-a-time sender"] = (rate, api.violations(), None)
    finally:
        api.stop()
    api = FakeBotApi(latency=LATENCY).start()
    try:
        rate, reply_wait = asyncio.run(_anchor_aio(api))
        found["PTB AIORateLimiter"] = (rate, api.violations(), reply_wait)
    finally:
        api.stop()
    return found


def _violations(v: Violations) -> str:
    return f"{v.total} (overall {v.overall}, private {v.private}, group {v.group})"


def main() -> None:
    """Run the measurement and print it."""
    found = run_bot()
    reference = anchors()
    waits: list[float] = found["waits"]  # type: ignore[assignment]
    group: list[float] = found["group"]  # type: ignore[assignment]
    p95 = waits[max(0, round(0.95 * len(waits)) - 1)]
    print(
        f"outbox backlog: {PUSHES:,} pushes + {GROUP_NOTICES} notices to one group; "
        f"fake Bot API {LATENCY * 1000:.0f} ms"
    )
    print(f"{'figure':44} {'goal':>22}  measured")
    print(
        f"{'pushes drained (all the outbox sent)':44} {'>= 28.5/s':>22}  {found['rate']:.2f}/s over {RUN_SECONDS:.0f} s"
        f" (to members {found['private_rate']:.2f}/s; replies meanwhile {found['replies_rate']:.2f}/s)"
    )
    print(f"{'limit violations (1-s, per chat, 60-s)':44} {'0':>22}  {_violations(found['violations'])}")  # type: ignore[arg-type]
    print(
        f"{'reply to /help while pushes wait':44} {'p95 <= 1000 ms':>22}  "
        f"p50 {statistics.median(waits) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms over {len(waits)} probes"
    )
    urgent = found["urgent"]
    print(
        f"{'time-critical push queued behind backlog':44} {'<= 2 s':>22}  "
        + (f"{urgent:.2f} s" if isinstance(urgent, float) else "not sent")
    )

    def at(n: int) -> str:
        return f"{group[n - 1]:.1f} s" if len(group) >= n else "not sent"

    print(
        f"{'group notices (20/min allowed)':44} {'20th <= 25 s, 30th <= 75 s':>22}  "
        f"1st {at(1)}, 20th {at(20)}, 30th {at(30)} ({len(group)} sent)"
    )
    print("anchors, same run, same fake API:")
    for name, (rate, violations, reply_wait) in reference.items():
        extra = f", a reply queued behind the backlog waited {reply_wait:.1f} s" if reply_wait is not None else ""
        print(f"  {name:42} {rate:.1f}/s, violations {_violations(violations)}{extra}")


if __name__ == "__main__":
    main()
