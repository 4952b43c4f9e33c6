"""What one update costs, offline: ``python benchmarks/bench_updates.py [N]``.

Goals (issue 16, item 2), each against an anchor measured in the same run on the same offline Bot API
(bot/offline.py: no network, every call recorded):

- a check-in (``/start ck_…`` from a member of the branch, handled through every pre-check, the unit of work,
  the check-in service and the reply) at ≥ 0.5× a bare python-telegram-bot application that does one async ORM
  insert per update (SQLAlchemy, aiosqlite, the same kind of SQLite file) and replies;
- ``/help`` from a member at ≥ 25 % of a bare python-telegram-bot application answering a command.

Updates are handled one after another (each rate is 1 / the cost of one update). N check-ins need N members:
a branch of N bound members is added to the demo organisation. Defaults: N = 300, SQLite in a scratch folder.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Integer, String  # noqa: E402
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine  # noqa: E402
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column  # noqa: E402
from telegram import Update  # noqa: E402
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes  # noqa: E402

from bot.app import started_offline  # noqa: E402
from bot.clock import now_utc  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.demo import seed_demo, telegram_id_of  # noqa: E402
from bot.offline import OfflineRequest, UpdateFactory  # noqa: E402
from bot.services.meetings import checkin  # noqa: E402
from storage.meetings import Attendance, Meeting  # noqa: E402
from storage.models import Member, Organisation  # noqa: E402

TOKEN = "123456:TEST-token_for_the_offline_bot_api"
REPEATS = 3


class _Base(DeclarativeBase):
    pass


class _Row(_Base):
    """The anchor's one insert per update."""

    __tablename__ = "anchor_rows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(100))


async def _rate(send: Callable[[int], Awaitable[Any]], count: int) -> float:
    """Updates per second, handled one after another."""
    began = time.perf_counter()
    for i in range(count):
        await send(i)
    return count / (time.perf_counter() - began)


async def _bare(folder: Path, count: int) -> tuple[float, float]:
    """A bare PTB application: /help answered from memory, /start inserting one row then replying."""
    engine = create_async_engine(f"sqlite+aiosqlite:///{folder / 'anchor.sqlite3'}")
    async with engine.begin() as connection:
        await connection.run_sync(_Base.metadata.create_all)
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def help_command(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text("Help: /start, /help")

    async def start(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and update.effective_user is not None
        async with sessions() as session:
            session.add(_Row(user_id=update.effective_user.id, text=update.message.text or ""))
            await session.commit()
        await update.message.reply_text("Checked in.")

    application = ApplicationBuilder().token(TOKEN).request(OfflineRequest()).get_updates_request(OfflineRequest())
    app = application.build()
    app.add_handlers([CommandHandler("help", help_command), CommandHandler("start", start)])
    await app.initialize()
    updates = UpdateFactory(app.bot)
    helps = await _rate(lambda i: app.process_update(updates.message(1000 + i % 50, "/help")), count)
    inserts = await _rate(lambda i: app.process_update(updates.message(1000 + i, "/start ck_x")), count)
    await app.shutdown()
    await engine.dispose()
    return helps, inserts


async def _ours(folder: Path, count: int, run: int) -> tuple[float, float, int]:
    """The bot: /help from a member, then ``count`` members checking in by the printed link."""
    url = f"sqlite+aiosqlite:///{folder / f'bot{run}.sqlite3'}"
    settings = load_settings(DATABASE_URL=url)
    db = Database(url)
    await db.upgrade()
    async with db.session() as session:
        ids = await seed_demo(session)
        branch = Organisation(code=f"BENCH{run}", name="benchmark", kind="branch", parent_id=ids.unit)
        session.add(branch)
        await session.flush()
        base = 800_000_000 + run * 100_000
        session.add_all(
            Member(member_no=f"BENCH{run}-{i}", name=f"m{i}", org_id=branch.id, telegram_id=base + i)
            for i in range(count)
        )
        start = now_utc() + timedelta(minutes=5)
        meeting = Meeting(org_id=branch.id, kind="theme_day", starts_at=start, ends_at=start + timedelta(hours=1))
        session.add(meeting)
        await session.flush()
        link, _slot = await checkin.checkin_link(session, meeting, "bot", live=False)
        meeting_id = meeting.id
    payload = "/start " + link.rsplit("start=", 1)[1]
    app, _request = await started_offline(settings, db)
    updates = UpdateFactory(app.bot)
    member = telegram_id_of("A03")
    await app.process_update(updates.message(member, "/help"))  # the first: templates, the caller
    helps = await _rate(lambda i: app.process_update(updates.message(member, "/help")), count)
    checkins = await _rate(lambda i: app.process_update(updates.message(base + i, payload)), count)
    async with db.session() as session:
        from sqlalchemy import func, select

        stored = await session.scalar(
            select(func.count())
            .select_from(Attendance)
            .where(Attendance.meeting_id == meeting_id, Attendance.checked_in_at.is_not(None))
        )
    await app.shutdown()
    await db.dispose()
    return helps, checkins, int(stored or 0)


async def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        anchors, ours = [], []
        for run in range(REPEATS):  # interleaved, so that a change of load touches both alike
            (folder / f"a{run}").mkdir()
            anchors.append(await _bare(folder / f"a{run}", count))
            ours.append(await _ours(folder, count, run))
    bare_help = statistics.median(a[0] for a in anchors)
    bare_insert = statistics.median(a[1] for a in anchors)
    help_rate = statistics.median(o[0] for o in ours)
    checkin_rate = statistics.median(o[1] for o in ours)
    stored = min(o[2] for o in ours)
    print(f"anchor: bare PTB answering a command          {bare_help:7.0f}/s")
    print(f"anchor: bare PTB, one async ORM insert + reply {bare_insert:7.0f}/s")
    print(
        f"check-in handled offline   goal ≥ 0.50× anchor   measured {checkin_rate:5.0f}/s = "
        f"{checkin_rate / bare_insert:.2f}× ({stored} of {count} stored)"
    )
    print(
        f"/help handled offline      goal ≥ 25 % of anchor measured {help_rate:5.0f}/s = "
        f"{100 * help_rate / bare_help:.1f} %"
    )
    print(
        f"(median of {REPEATS}, {count} updates each; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 300))
