"""Replies keep priority over pushes: with 10,000 messages waiting in the outbox, how fast is a reply?

Runs the real `branchbot run` process against the fake Bot API server on 127.0.0.1 (every send takes
LATENCY seconds, like a network round trip), fills the outbox with 10,000 pushes, then sends /help from a
member every two seconds and measures the time until the reply goes out. Prints the figures.

    .venv/bin/python benchmarks/bench_outbox.py
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

from bot.db import Database  # noqa: E402
from bot.demo import seed_demo, telegram_id_of  # noqa: E402
from bot.services import outbox  # noqa: E402
from tests.fake_bot_api import FakeBotApi  # noqa: E402

PUSHES = 10_000
PROBES = 10
LATENCY = 0.03


async def prepare(url: str) -> None:
    """Demo organisation and 10,000 pending pushes to distinct chats."""
    db = Database(url)
    await db.upgrade()
    async with db.session() as session:
        await seed_demo(session)
        for i in range(PUSHES):
            await outbox.enqueue(session, dedup_key=f"bench:{i}", chat_id=3_000_000 + i, text=f"推送 {i}")
    await db.dispose()


def main() -> None:
    """Run the measurement and print it."""
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite+aiosqlite:///{Path(scratch) / 'bench.sqlite3'}"
        asyncio.run(prepare(url))
        api = FakeBotApi(latency=LATENCY).start()
        env = {
            **os.environ,
            "BOT_TOKEN": "123456:BENCH-token_for_the_fake_api",
            "TELEGRAM_BASE_URL": api.base_url,
            "DATABASE_URL": url,
            "PYTHONPATH": str(ROOT),
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=scratch,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            api.wait_for(lambda c: c.method == "sendMessage" and int(c.params["chat_id"]) >= 3_000_000, timeout=60)
            started = time.monotonic()
            member = telegram_id_of("A03")
            waits = []
            for _ in range(PROBES):
                time.sleep(2)
                before = len(api.calls)
                sent_at = time.monotonic()
                api.message_from(member, "/help")
                reply = api.wait_for(
                    lambda c, n=before: (
                        c in api.calls[n:] and c.method == "sendMessage" and int(c.params["chat_id"]) == member
                    ),
                    timeout=30,
                )
                waits.append(reply.at - sent_at)
            elapsed = time.monotonic() - started
            pushed = sum(1 for c in api.calls if c.method == "sendMessage" and int(c.params["chat_id"]) >= 3_000_000)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
            api.stop()
    print(f"outbox backlog: {PUSHES} pushes; simulated Bot API latency {LATENCY * 1000:.0f} ms per send")
    print(
        f"interactive reply time over {PROBES} probes: p50 {statistics.median(waits) * 1000:.0f} ms, "
        f"max {max(waits) * 1000:.0f} ms (target: under 1000 ms)"
    )
    print(f"pushes sent meanwhile: {pushed} in {elapsed:.1f} s = {pushed / elapsed:.1f}/s (cap 20/s, Telegram ~30/s)")


if __name__ == "__main__":
    main()
