"""How long N members take to check in at the same second: ``python benchmarks/bench_checkin.py [N] [URL]``.

Prints the wall time and the rate; every check-in runs in its own session, as N phones would. Defaults:
200 members, a scratch SQLite file. Pass a ``postgresql+asyncpg://`` URL of an empty database to try PostgreSQL.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bot.clock import now_utc
from bot.config import load_settings
from bot.db import Database
from bot.demo import seed_demo
from bot.environment import ServiceEnv
from bot.services.meetings import checkin
from storage.meetings import Meeting
from storage.models import Member, Organisation


async def main(count: int, url: str) -> None:
    """Seed a branch of ``count`` members and a meeting, then check them all in at once."""
    settings = load_settings(DATABASE_URL=url)
    env = ServiceEnv.from_settings(settings)
    db = Database(url)
    await db.upgrade()
    async with db.session() as session:
        ids = await seed_demo(session)
        branch = Organisation(code=f"BENCH-{time.time_ns()}", name="benchmark", kind="branch", parent_id=ids.unit)
        session.add(branch)
        await session.flush()
        members = [Member(member_no=f"{branch.code}-{i}", name=f"m{i}", org_id=branch.id) for i in range(count)]
        session.add_all(members)
        start = now_utc() + timedelta(minutes=5)
        meeting = Meeting(org_id=branch.id, kind="theme_day", starts_at=start, ends_at=start + timedelta(hours=1))
        session.add(meeting)
        await session.flush()
        member_ids, meeting_id = [m.id for m in members], meeting.id

    async def one(member_id: int) -> None:
        async with db.session() as session:
            found = await session.get(Meeting, meeting_id)
            assert found is not None
            await checkin.check_in(session, member_id, found, method=checkin.Method.BUTTON, env=env, settings=settings)

    began = time.perf_counter()
    await asyncio.gather(*(one(m) for m in member_ids))
    elapsed = time.perf_counter() - began
    print(f"{count} check-ins on {db.dialect}: {elapsed:.2f} s, {count / elapsed:.0f} per second")
    await db.dispose()


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    if len(sys.argv) > 2:
        asyncio.run(main(n, sys.argv[2]))
    else:
        with tempfile.TemporaryDirectory() as scratch:
            asyncio.run(main(n, f"sqlite+aiosqlite:///{Path(scratch) / 'bench.sqlite3'}"))
