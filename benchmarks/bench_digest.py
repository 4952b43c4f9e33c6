"""Replies while a city's monthly digests are built: ``python benchmarks/bench_digest.py [--units N] [--keep FILE]``.

Issue 13: the files and pictures of the monthly digest are built off the event loop and ahead of time, so replies
stay fast — goal: reply p95 ≤ 1 s while the digests are being made.

The city is bench_ledger.py's generator at the same density, ``--units`` units of 20 branches of 30 members
(default 10: 200 branches, 6,000 members, 200,000 attendance rows in the year), in a scratch SQLite file; each
branch's secretary and an administrator of each unit and of the working committee have Telegram accounts, so the
digest of March (run as on 1 April, what the ``ledger-monthly-digest`` job does at 06:00) builds a picture and a
ledger for every branch, every unit and the city, and queues them. Meanwhile secretaries send ``/help`` and
``/meetings`` to the real application (bot/offline.py's Bot API: no network), ten a second, each an independent
arrival; a reply's time is from its arrival to its last Bot API call.

Anchor, same run, same database and process: the reply times of the same stream with no digest being built. Also
printed: the longest the event loop went without running a 10 ms ticker (what a stalled loop costs every reply).
``--keep FILE`` keeps the generated city in FILE and reuses it (a copy is used, the digest writes to it).
"""

from __future__ import annotations

import asyncio
import os
import random
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_ledger import generate  # noqa: E402

from bot.app import started_offline  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.environment import ServiceEnv  # noqa: E402
from bot.offline import UpdateFactory  # noqa: E402
from bot.services.ledger import digest as digest_module  # noqa: E402
from bot.services.ledger.digest import queue_digests  # noqa: E402

RATE = 10  # commands a second
ANCHOR_SECONDS = 10.0
TODAY = date(2025, 4, 1)  # the digest of March 2025 (the generated year)
TELEGRAM_BASE = 800_000_000


def _accounts(path: Path) -> list[int]:
    """Give each secretary a Telegram account and add administrators (the city's and each unit's); returns the
    secretaries' Telegram ids (the ones who send commands)."""
    con = sqlite3.connect(path)
    try:
        con.execute(f"UPDATE members SET telegram_id = {TELEGRAM_BASE} + id WHERE role = 'secretary'")
        now = "2025-01-01 00:00:00.000000"
        units = con.execute("SELECT id, code FROM organisations WHERE kind = 'unit_committee'").fetchall()
        admins = [(1, "WC"), *units]
        con.executemany(
            "INSERT INTO members (member_no, name, org_id, role, delegated, join_date, probationary, active,"
            " telegram_id, created_at, updated_at) VALUES (?, ?, ?, 'admin', 0, '2000-01-01', 0, 1, ?, ?, ?)",
            [(f"ADM-{code}", f"管理员{code}", org, 700_000_000 + org, now, now) for org, code in admins],
        )
        con.commit()
        return [row[0] for row in con.execute("SELECT telegram_id FROM members WHERE role = 'secretary'")]
    finally:
        con.close()


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _stream(
    app: object, updates: UpdateFactory, senders: list[int], until: asyncio.Event | float
) -> list[tuple[float, float]]:
    """Commands arriving at :data:`RATE` a second until ``until`` (an event set, or a number of seconds): each
    handled as its own task; returns (arrival, reply time in seconds) of each."""
    rng = random.Random(16)
    times: list[tuple[float, float]] = []
    tasks: set[asyncio.Task[None]] = set()

    async def one(text: str, user: int, arrived: float) -> None:
        await app.process_update(updates.message(user, text))  # type: ignore[attr-defined]
        times.append((arrived, time.perf_counter() - arrived))

    began = time.perf_counter()
    n = 0
    while True:
        if isinstance(until, asyncio.Event) and until.is_set():
            break
        if isinstance(until, float) and time.perf_counter() - began >= until:
            break
        due = began + n / RATE
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        text = "/help" if n % 2 else "/meetings"
        task = asyncio.create_task(one(text, rng.choice(senders), time.perf_counter()))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        n += 1
    if tasks:
        await asyncio.gather(*tasks)
    return times


async def _ticker(stop: asyncio.Event) -> float:
    """The longest the loop let a 10 ms sleep overrun: how long it was held by something else."""
    worst = 0.0
    while not stop.is_set():
        began = time.perf_counter()
        await asyncio.sleep(0.01)
        worst = max(worst, time.perf_counter() - began - 0.01)
    return worst


def _line(label: str, replies: list[tuple[float, float]]) -> str:
    times = [t for _, t in replies]
    if not times:
        return f"{label}: no replies"
    return (
        f"{label}: p50 {1000 * statistics.median(times):.0f} ms, p95 {1000 * _p(times, 0.95):.0f} ms, "
        f"max {1000 * max(times):.0f} ms ({len(times)} replies)"
    )


async def run(db_path: Path, folder: Path) -> None:
    senders = _accounts(db_path)
    url = f"sqlite+aiosqlite:///{db_path}"
    settings = load_settings(DATABASE_URL=url, LEDGER_DIR=str(folder / "ledgers"))
    db = Database(url)
    app, offline = await started_offline(settings, db)
    updates = UpdateFactory(app.bot)
    for text in ("/help", "/meetings"):  # the first of each: templates, the caller
        await app.process_update(updates.message(senders[0], text))

    stop = asyncio.Event()
    ticker = asyncio.create_task(_ticker(stop))
    anchor = await _stream(app, updates, senders, ANCHOR_SECONDS)
    stop.set()
    anchor_stall = await ticker

    done, stop = asyncio.Event(), asyncio.Event()
    ticker = asyncio.create_task(_ticker(stop))
    env = ServiceEnv.from_settings(settings)
    load_before = os.getloadavg()[0]
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    began, cpu_began = time.perf_counter(), time.process_time()

    async def digest() -> int:
        try:
            return await queue_digests(db, TODAY, folder / "ledgers", env=env)
        finally:
            done.set()

    built_at: list[float] = []
    in_worker = digest_module.build_digests_in_worker

    async def timed_build(*args: object) -> object:  # notes when the files are built and the queueing begins
        try:
            return await in_worker(*args)  # type: ignore[arg-type]
        finally:
            built_at.append(time.perf_counter())

    digest_module.build_digests_in_worker = timed_build  # type: ignore[assignment]
    build = asyncio.create_task(digest())
    during = await _stream(app, updates, senders, done)
    queued = await build
    ended = time.perf_counter()
    files_phase = [r for r in during if r[0] < built_at[0]]
    queue_phase = [r for r in during if r[0] >= built_at[0]]
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    stop.set()
    stall = await ticker
    files = len(list((folder / "ledgers").rglob("*.xlsx")))
    await app.shutdown()
    await db.dispose()

    print(
        f"digest of {TODAY:%Y-%m} built: {queued} digests queued, {files} ledgers and as many pictures written in "
        f"{seconds:.1f} s ({cpu:.1f} s of the bot process's CPU, the worker process's not included)"
    )
    print(f"goal: reply p95 <= 1 s while the digests are built; measured {_line('during the build', during)}")
    print(f"  while the files were built ({built_at[0] - began:.1f} s): {_line('replies', files_phase)}")
    print(f"  while the digests were queued ({ended - built_at[0]:.1f} s): {_line('replies', queue_phase)}")
    print(f"  the event loop's longest stall during the build: {1000 * stall:.0f} ms")
    answered = len(offline.sent(method="sendMessage"))
    print(f"  commands sent {2 + len(anchor) + len(during)}, replies sent {answered}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  the bot process's peak resident memory: {peak_before:.0f} MB before the build, {peak:.0f} MB after")
    print(f"anchor, same run: {_line('no digest being built', anchor)}; longest stall {1000 * anchor_stall:.0f} ms")
    print(f"load average {load_before:.1f} before the build, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} CPUs")


def main() -> None:
    units = int(sys.argv[sys.argv.index("--units") + 1]) if "--units" in sys.argv else 10
    keep = Path(sys.argv[sys.argv.index("--keep") + 1]) if "--keep" in sys.argv else None
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        db_path = folder / "city.sqlite3"
        if keep is not None and keep.exists():
            print(f"reusing the city generated earlier in {keep}")
        else:
            began = time.perf_counter()
            facts = generate(keep or db_path, units)
            print(
                f"generated {units * 20} branches, {facts['members']} members, {facts['attendance']} attendance rows "
                f"in {time.perf_counter() - began:.0f} s"
            )
        if keep is not None:
            shutil.copyfile(keep, db_path)
        asyncio.run(run(db_path, folder))


if __name__ == "__main__":
    main()
