"""200 members checking in at the same second, through the bot: ``python benchmarks/bench_checkin_bot.py [N]``.

Goals (issue 16, item 2): all N check-ins stored within 1 s; the group button's pop-up answer (answerCallbackQuery,
not rate-limited) confirmed within 2 s for the last member; the typed-code replies (private messages, at
Telegram's 30/s) in arrival order, the N-th within 7.5 s (N = 200). The real application, in this process, talks
over HTTP to the fake Bot API (tests/fake_bot_api.py: 30 ms latency, counts every message past Telegram's
limits), replies paced by the bot's own limiter. Anchor, same run, same fake API: a bare python-telegram-bot
application with PTB's AIORateLimiter answering N commands at once (the N-th reply).
(``bench_checkin.py`` measures the service alone: N check-ins, each in its own session, no Telegram.)
"""

from __future__ import annotations

import asyncio
import gc
import os
import sqlite3
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Integer  # noqa: E402
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column  # noqa: E402
from telegram import Update  # noqa: E402
from telegram.ext import (  # noqa: E402
    AIORateLimiter,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from bot.app import _post_init, build_application  # noqa: E402
from bot.clock import now_utc  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.demo import seed_demo  # noqa: E402
from bot.offline import UpdateFactory  # noqa: E402
from storage.meetings import Meeting  # noqa: E402
from storage.models import Member, Organisation  # noqa: E402
from tests.fake_bot_api import FakeBotApi  # noqa: E402

TOKEN = "123456:TEST-token_for_the_fake_bot_api"
GROUP = -100_777_000_001
CODE = "246810"


async def _stored_at(path: Path, meeting_id: int, count: int, began: float) -> float:
    """Seconds until ``count`` check-ins of the meeting are stored (polled every 10 ms). The standard library's
    sqlite3 on the file, read-only: a poll through the bot's own engine cost a millisecond of the bot's CPU."""
    reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        while True:
            stored = reader.execute(
                "SELECT count(*) FROM attendance WHERE meeting_id = ? AND checked_in_at IS NOT NULL", (meeting_id,)
            ).fetchone()[0]
            if stored >= count:
                return time.monotonic() - began
            if time.monotonic() - began > 120:
                return float("nan")
            await asyncio.sleep(0.01)
    finally:
        reader.close()


def _nth_at(api: FakeBotApi, method: str, chats: set[int], n: int, since: float) -> float:
    """When the n-th call of ``method`` to one of ``chats`` (None: any) was answered, in seconds after ``since``."""
    times = sorted(
        c.at for c in list(api.calls) if c.method == method and c.at >= since and (not chats or _chat(c) in chats)
    )
    return times[n - 1] - since if len(times) >= n else float("nan")


def _chat(call: object) -> int | None:
    params = getattr(call, "params", {})
    value = params.get("chat_id")
    return int(value) if value is not None else None


async def _bot(folder: Path, api: FakeBotApi, count: int) -> tuple[float, float, float, float, int, int]:
    url = f"sqlite+aiosqlite:///{folder / 'bot.sqlite3'}"
    settings = load_settings(
        DATABASE_URL=url, BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=api.base_url, TELEGRAM_BASE_FILE_URL=api.base_url
    )
    db = Database(url)
    await db.upgrade()
    base = 810_000_000
    async with db.session() as session:
        ids = await seed_demo(session)
        branch = Organisation(code="BENCH", name="benchmark", kind="branch", parent_id=ids.unit, chat_id=GROUP)
        session.add(branch)
        await session.flush()
        session.add_all(
            Member(member_no=f"BENCH-{i}", name=f"m{i}", org_id=branch.id, telegram_id=base + i) for i in range(count)
        )
        start = now_utc() + timedelta(minutes=5)
        meetings = [
            Meeting(org_id=branch.id, kind=kind, starts_at=start, ends_at=start + timedelta(hours=1), checkin_code=c)
            for kind, c in (("theme_day", None), ("party_lesson", CODE))
        ]
        session.add_all(meetings)
        await session.flush()
        button_meeting, typed_meeting = meetings[0].id, meetings[1].id
    app = build_application(settings, db=db, start_jobs=False)
    await app.initialize()
    await _post_init(app)
    gc.freeze()  # as `branchbot run` does once assembled (bot/collector.py): later collections skip these objects
    updates = UpdateFactory(app.bot)
    members = [base + i for i in range(count)]

    began = time.monotonic()
    press = [updates.callback(m, f"mt:{button_meeting}:ck", chat_id=GROUP) for m in members]
    watcher = asyncio.create_task(_stored_at(folder / "bot.sqlite3", button_meeting, count, began))
    await asyncio.gather(*(app.process_update(u) for u in press))
    button_stored = await watcher
    button_confirmed = _nth_at(api, "answerCallbackQuery", set(), count, began)
    batches = app.bot_data["resources"].checkins  # how many transactions wrote them (bot/checkin_batches.py)
    button_batches = batches.batches

    began = time.monotonic()
    typed = [updates.message(m, f"/checkin {CODE}") for m in members]
    watcher = asyncio.create_task(_stored_at(folder / "bot.sqlite3", typed_meeting, count, began))
    await asyncio.gather(*(app.process_update(u) for u in typed))
    typed_stored = await watcher
    # Every handler has returned: its reply was sent (paced by the bot's limiter) before that.
    typed_last = _nth_at(api, "sendMessage", set(members), count, began)
    typed_batches = batches.batches - button_batches
    await app.shutdown()
    await db.dispose()
    return button_stored, button_confirmed, typed_stored, typed_last, button_batches, typed_batches


async def _anchor(api: FakeBotApi, count: int) -> float:
    async def reply(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text("ok")

    builder = ApplicationBuilder().token(TOKEN).base_url(api.base_url).rate_limiter(AIORateLimiter())
    app = builder.concurrent_updates(True).build()
    app.add_handler(CommandHandler("checkin", reply))
    await app.initialize()
    updates = UpdateFactory(app.bot)
    members = [820_000_000 + i for i in range(count)]
    began = time.monotonic()
    await asyncio.gather(*(app.process_update(updates.message(m, f"/checkin {CODE}")) for m in members))
    last = _nth_at(api, "sendMessage", set(members), count, began)
    await app.shutdown()
    return last


class _Base(DeclarativeBase):
    pass


class _Press(_Base):
    """The button anchor's one row per press."""

    __tablename__ = "anchor_presses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer)


async def _button_anchor(folder: Path, api: FakeBotApi, count: int, *, answer: bool = True) -> tuple[float, float]:
    """The floor of the button burst on this machine: a bare PTB application whose button handler inserts one row
    (SQLAlchemy, aiosqlite, WAL as the bot's) and answers the press (``answer``; without it, the floor of the
    stores alone). Seconds until all rows are stored, and until the last pop-up is answered."""
    engine = create_async_engine(f"sqlite+aiosqlite:///{folder / f'anchor-{answer}.sqlite3'}")
    async with engine.begin() as connection:
        await connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        await connection.run_sync(_Base.metadata.create_all)
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def press(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None and update.effective_user is not None
        async with sessions() as session:
            session.add(_Press(user_id=update.effective_user.id))
            await session.commit()
        if answer:
            await update.callback_query.answer("ok")

    app = ApplicationBuilder().token(TOKEN).base_url(api.base_url).concurrent_updates(True).build()
    app.add_handler(CallbackQueryHandler(press))
    await app.initialize()
    updates = UpdateFactory(app.bot)
    presses = [updates.callback(830_000_000 + i, "anchor", chat_id=GROUP) for i in range(count)]
    began = time.monotonic()
    await asyncio.gather(*(app.process_update(u) for u in presses))
    stored = time.monotonic() - began  # each handler stored its row before answering, and all have returned
    answered = _nth_at(api, "answerCallbackQuery", set(), count, began) if count and answer else float("nan")
    await app.shutdown()
    await engine.dispose()
    return stored, answered


async def main(count: int) -> None:
    api = FakeBotApi(latency=0.03).start()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            stored, confirmed, typed_stored, typed_last, button_batches, typed_batches = await _bot(
                Path(scratch), api, count
            )
            ours = api.violations()
            anchor = await _anchor(api, count)
            theirs = api.violations()
            api.calls.clear()
            floor_stored, floor_answered = await _button_anchor(Path(scratch), api, count)
            stores_only, _ = await _button_anchor(Path(scratch), api, count, answer=False)
    finally:
        api.stop()
    print(f"anchor: bare PTB + AIORateLimiter, {count}th reply to a command   {anchor:6.2f} s")
    print(
        f"anchor: bare PTB, {count} presses each inserting a row and answering: stored {floor_stored:.2f} s, "
        f"{count}th answered {floor_answered:.2f} s"
    )
    print(f"anchor: the same, inserting without answering: all {count} stored {stores_only:.2f} s")
    print(f"group button: all {count} stored          goal ≤ 1.00 s   measured {stored:6.2f} s")
    print(f"group button: {count}th pop-up answered   goal ≤ 2.00 s   measured {confirmed:6.2f} s")
    print(f"typed code: all {count} stored            goal ≤ 1.00 s   measured {typed_stored:6.2f} s")
    print(f"typed code: {count}th reply (30/s)        goal ≤ 7.50 s   measured {typed_last:6.2f} s")
    print(f"check-ins written in {button_batches} transactions (buttons) and {typed_batches} (typed codes)")
    print(f"limit violations at the fake API: the bot {ours.total}; the anchor {theirs.total - ours.total}")
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200))
