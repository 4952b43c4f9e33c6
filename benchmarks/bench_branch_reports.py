"""One branch's reports on the city database: ``python benchmarks/bench_branch_reports.py``.

Goal (issue 16, item 3): one branch's compliance (the requirements of its month, quarter and year) and its
attendance for the year, each ≤ 10 ms, on the generated city of bench_ledger.py (1,000 branches, 30,000 members,
1,000,000 attendance rows; SQLite). Anchor, in the same run on the same file and session: one statement counting
the branch's attendance rows of the year (what any such report reads at least). Medians of 30 runs, warm.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_ledger import YEAR, generate  # noqa: E402

RUNS = 30


async def median_seconds(work: Callable[[], Awaitable[Any]], repeat: int) -> float:
    """The median of ``repeat`` timed runs of ``work``, after one to warm (the pages in the cache, the statements
    compiled). bench_city_reports.py times its reports with it too."""
    await work()
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        await work()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


async def _median_ms(work: Callable[[], Awaitable[Any]]) -> float:
    return 1000 * await median_seconds(work, RUNS)


async def measure(path: Path, branch_id: int) -> tuple[float, float, float]:
    from sqlalchemy import text

    from bot.config import load_settings
    from bot.db import Database
    from bot.environment import ServiceEnv
    from bot.services.meetings.compliance import branch_compliance
    from bot.services.meetings.stats import branch_rates
    from storage.models import Organisation

    url = f"sqlite+aiosqlite:///{path}"
    settings = load_settings(DATABASE_URL=url)
    env = ServiceEnv.from_settings(settings)
    db = Database(url)
    start, end = datetime(YEAR, 1, 1, tzinfo=UTC), datetime(YEAR + 1, 1, 1, tzinfo=UTC)
    anchor_sql = text(
        "SELECT count(*) FROM attendance JOIN meetings ON meetings.id = attendance.meeting_id"
        " WHERE meetings.org_id = :branch AND meetings.starts_at >= :start AND meetings.starts_at < :end"
    )
    async with db.session() as session:
        branch = await session.get(Organisation, branch_id)
        assert branch is not None
        params = {"branch": branch_id, "start": start.strftime("%Y-%m-%d"), "end": end.strftime("%Y-%m-%d")}
        anchor = await _median_ms(lambda: session.execute(anchor_sql, params))
        compliance = await _median_ms(lambda: branch_compliance(session, branch, date(YEAR, 12, 31), env=env))
        attendance = await _median_ms(lambda: branch_rates(session, branch_id, start, end))
    await db.dispose()
    return anchor, compliance, attendance


def main() -> None:
    """``bench_branch_reports.py [CITY.sqlite3]``: a city file given is generated once and kept for later runs."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(scratch) / "city.sqlite3"
        if path.exists():
            facts = {"branch": 3}  # the generator's first branch
        else:
            began = time.perf_counter()
            facts = generate(path)
            print(f"city generated in {time.perf_counter() - began:.0f} s: {facts}")
        anchor, compliance, attendance = asyncio.run(measure(path, facts["branch"]))
    print(f"anchor: one statement counting the branch's attendance rows of the year  {anchor:6.2f} ms")
    print(
        f"one branch's compliance     goal ≤ 10 ms   measured {compliance:6.2f} ms  ({compliance / anchor:.1f}× anchor)"
    )
    print(
        f"one branch's attendance year goal ≤ 10 ms  measured {attendance:6.2f} ms  ({attendance / anchor:.1f}× anchor)"
    )
    print(f"(median of {RUNS}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
