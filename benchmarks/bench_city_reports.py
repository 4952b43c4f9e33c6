"""Every administrator's report for the whole city: ``python benchmarks/bench_city_reports.py [--keep FILE]
[URL | --postgres] [--no-bot]`` (one command).

Goals (issue 16, item 3): every report screen an administrator can open — the compliance summary (``/compliance``),
the city's attendance for a year (``/attendance year``), volunteer service totals (``/service``), the first agenda
report (``/firstagenda``), the month's political birthdays by branch (``/birthdays``) and the points
(``/points``) — ≤ 2 s for the city and ≤ 10 ms for one branch, on SQLite and PostgreSQL, with the indexes they need.

The city is bench_ledger.py's (1,000 branches in 50 units, 30,000 members, 33,334 meetings of 2025, 1,000,000
attendance rows, first agenda items, dispatched materials, volunteer service), generated into a scratch file or
reused from ``--keep FILE``; the benchmark adds the working committee's administrator and the points rules, and
builds the points' tallies of the closed months as the hourly job would (bot/jobs/points.py; printed with its
time, nothing to do on a kept city already built). "Today"
is 15 December 2025, the city's year. For each backend (SQLite always; PostgreSQL with a ``postgresql+asyncpg://``
URL of a database, which is filled with a copy of the city when empty, or ``--postgres``: a throwaway local
PostgreSQL 15 cluster as the tests start it), it prints:

- each report as the service layer computes it for the administrator (the whole city) and for the first branch's
  secretary (one branch), median of 3 warm runs, each in its own session, with its number of SQL statements;
- each screen as the person gets it (``--no-bot`` skips this): the command sent to the real application offline
  (bot/offline.py), caller resolution, the service, the template and the send boundary included, median of 3;
- the plans: every statement of each report, run once more under ``EXPLAIN QUERY PLAN`` (SQLite) / ``EXPLAIN``
  (PostgreSQL): how many use an index, and every full scan of a large table (attendance, members, meetings). For
  the city such a scan can be inherent — the administrator's subtree is the whole city and the year all of its
  meetings, so a report of the year reads every attendance row; for one branch none is: it is flagged as a miss.

Anchors, in the same run on the same database: one ``GROUP BY`` over the attendance table (the floor of any
report that reads the city's attendance), a fixed pure-Python loop (about 19 ms on a quiet machine) and the load.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import re
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_branch_reports import median_seconds  # noqa: E402
from benchmarks.bench_ledger import YEAR, _city, anchor_loop_ms  # noqa: E402

TODAY = date(YEAR, 12, 15)
NOW = datetime(YEAR, 12, 15, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
RUNS, BRANCH_RUNS = 3, 15  # the city's reports take seconds; one branch's milliseconds, noisier on a shared machine
CITY_GOAL_S, BRANCH_GOAL_MS = 2.0, 10.0
ADMIN_NO, ADMIN_TG = "BENCH-ADMIN", 990_000_001
SECRETARY_TG = 990_000_002
LARGE = ("attendance", "members", "meetings")
Work = Callable[[Any], Awaitable[Any]]


@dataclass
class Report:
    """One report: its name, the admin's command, the secretary's command, and the service calls behind each."""

    name: str
    command: str
    branch_command: str
    city: Work
    branch: Work


@dataclass
class Figures:
    """One report's figures on one backend."""

    city_s: float = 0.0
    city_statements: int = 0
    branch_ms: float = 0.0
    branch_statements: int = 0
    screen_s: float | None = None
    branch_screen_ms: float | None = None
    plans: list[str] = field(default_factory=list)


# --- the city: the administrator, the points rules, a copy into PostgreSQL ----------------------------------------


async def prepare(url: str) -> None:
    """Add the working committee's administrator, bind the first branch's secretary and put the default points
    rules in force (each only once: a kept city is reused as it is)."""
    from sqlalchemy import func, select, update

    from bot.db import Database
    from bot.services.points.rules import default_rules_text
    from bot.services.points.versions import apply_rules
    from storage import points as points_store
    from storage.models import Member, Role

    db = Database(url)
    async with db.session() as session:
        if await session.scalar(select(Member.id).where(Member.member_no == ADMIN_NO)) is None:
            session.add(Member(member_no=ADMIN_NO, name="管理员", org_id=1, role=Role.ADMIN, telegram_id=ADMIN_TG))
            secretary = await session.scalar(select(func.min(Member.id)).where(Member.role == Role.SECRETARY))
            await session.execute(update(Member).where(Member.id == secretary).values(telegram_id=SECRETARY_TG))
        if await points_store.latest_rules_version(session, 1) == 0:
            await apply_rules(session, None, "WC", default_rules_text())
    await tally(db)
    await db.dispose()


async def tally(db: Any) -> None:
    """What the hourly job (bot/jobs/points.py) keeps up to date: the attendance tallies of the closed months, here
    January … November of the city's year (today being 15 December); a kept city built once is only checked."""
    from bot.config import load_settings
    from bot.environment import ServiceEnv
    from bot.services.points import tallies

    tz = ServiceEnv.from_settings(load_settings(DATABASE_URL=db.url)).tz
    began, built = time.perf_counter(), set[tuple[int, int]]()
    while True:  # as the job does: some branches per transaction
        async with db.session() as session:
            done = await tallies.refresh(session, TODAY, tz, datetime.now(UTC), skip=built)
        built.update(done)
        if not done:
            break
    seconds = time.perf_counter() - began
    print(f"points tallies: {len(built)} branch-years built in {seconds:.1f} s (the hourly job's work)")


async def copy_to_postgres(sqlite_url: str, pg_url: str) -> str:
    """Fill an empty PostgreSQL database with the SQLite city, table by table (the same rows, the same ids)."""
    from sqlalchemy import func, insert, select, text

    from bot.db import Database
    from storage.registry import metadata

    source, target = Database(sqlite_url), Database(pg_url)
    await target.upgrade()
    async with target.engine.connect() as conn:
        found = await conn.scalar(select(func.count()).select_from(metadata.tables["attendance"]))
    if found:
        await source.dispose()
        await target.dispose()
        return f"reusing the {found} attendance rows already there"
    began = time.perf_counter()
    tables = metadata.sorted_tables
    async with target.engine.begin() as out:
        await out.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        for table in tables:
            async with source.engine.connect() as src:
                result = await src.stream(select(table))
                async for part in result.partitions(10_000):
                    await out.execute(insert(table), [dict(row._mapping) for row in part])
            if "id" in table.c and table.c.id.primary_key:
                await out.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'),"
                        f' coalesce(max(id), 0) + 1, false) FROM "{table.name}"'
                    )
                )
    async with target.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.exec_driver_sql("ANALYZE")
    await source.dispose()
    await target.dispose()
    return f"copied the city into PostgreSQL in {time.perf_counter() - began:.0f} s"


# --- the reports, as the handlers call the services -----------------------------------------------------------------


def reports(admin: Any, secretary: Any, branch_id: int, env: Any) -> list[Report]:
    from bot.services import birthdays
    from bot.services import first_agenda as fa
    from bot.services.meetings import compliance, stats
    from bot.services.points import service as points
    from bot.services.volunteer import totals

    year = stats.parse_period("year", TODAY).utc_bounds(env.tz)
    fa_start, fa_end = fa.period_bounds("year", TODAY)

    async def first_agenda_admin(session: Any) -> Any:  # handlers/first_agenda/report.py, an administrator
        rows = await fa.compliance(session, admin, fa_start, fa_end, env=env)
        entries = [e for e in await fa.catalog(session, admin, limit=20) if e.branches][:5]
        return rows, await fa.study_progress(session, admin, [e.material.id for e in entries], env=env)

    async def first_agenda_branch(session: Any) -> Any:  # the same, a secretary
        rows = await fa.compliance(session, secretary, fa_start, fa_end, env=env)
        return await fa.materials_by_id(session, rows[0].dispatched)

    return [
        Report(
            "compliance (month, quarter, year)",
            "/compliance",
            "/compliance",
            lambda s: compliance.compliance_overview(s, admin, TODAY, env=env),
            lambda s: compliance.compliance_overview(s, secretary, TODAY, env=env),
        ),
        Report(
            "attendance for the year",
            "/attendance year",
            "/attendance year",
            lambda s: stats.attendance_overview(s, admin, *year),
            lambda s: stats.attendance_overview(s, secretary, *year),
        ),
        Report(
            "volunteer service, quarter",
            "/service",
            "/service",
            lambda s: totals.branch_totals(s, admin, "quarter", TODAY, env=env),
            lambda s: totals.branch_totals(s, secretary, "quarter", TODAY, env=env),
        ),
        Report(
            "volunteer service, year",
            "",
            "",
            lambda s: totals.branch_totals(s, admin, "year", TODAY, env=env),
            lambda s: totals.branch_totals(s, secretary, "year", TODAY, env=env),
        ),
        Report("first agenda, year", "/firstagenda", "/firstagenda", first_agenda_admin, first_agenda_branch),
        Report(
            "political birthdays, month",
            "/birthdays",
            "/birthdays",
            lambda s: birthdays.subtree_counts(s, admin, TODAY.year, TODAY.month, TODAY),
            lambda s: birthdays.branch_month(s, secretary, branch_id, TODAY.year, TODAY.month, TODAY),
        ),
        Report(
            "points, year to date",
            "/points",
            "/points branch",
            lambda s: points.report(s, admin, None, date(YEAR, 1, 1), TODAY, env.tz),
            lambda s: points.report(s, secretary, str(branch_id), date(YEAR, 1, 1), TODAY, env.tz),
        ),
    ]


@contextmanager
def capturing(db: Any) -> Iterator[list[tuple[str, Any]]]:
    """The SQL statements (with their parameters) run on ``db`` inside the block."""
    from sqlalchemy import event

    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        statements.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


async def time_service(db: Any, work: Work, repeat: int) -> tuple[float, list[tuple[str, Any]]]:
    async def once() -> None:
        async with db.session() as session:
            await work(session)

    # The previous report's garbage collected first, untimed: a city's points (computed with the collector paused)
    # leave a full collection due, which otherwise lands in the next report's runs — one branch's points measured
    # right after the city's read 6.8-10.8 ms on PostgreSQL, 4.3-7.4 ms alone.
    gc.collect()
    seconds = await median_seconds(once, repeat)
    with capturing(db) as statements:
        await once()
    return seconds, statements


# --- the plans --------------------------------------------------------------------------------------------------

_ALIAS = re.compile(r'\b(?:FROM|JOIN)\s+"?(\w+)"?\s+(?:AS\s+)?"?(\w+)"?', re.IGNORECASE)


def _table(name: str, aliases: dict[str, str]) -> str:
    name = aliases.get(name, name)
    return re.sub(r"_\d+$", "", name)  # SQLAlchemy's anonymous aliases: attendance_1


async def plan_notes(db: Any, statements: list[tuple[str, Any]], *, city: bool) -> tuple[int, int, list[str]]:
    """(statements explained, statements using an index, a note per full scan of a large table)."""
    explained = indexed = 0
    notes: list[str] = []
    sqlite = db.dialect == "sqlite"
    async with db.engine.connect() as conn:
        for number, (sql, params) in enumerate(statements, 1):
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
            rows = (await conn.exec_driver_sql(prefix + sql, params)).fetchall()
            lines = [str(r[3]) if sqlite else str(r[0]) for r in rows]
            explained += 1
            aliases = {alias: table for table, alias in _ALIAS.findall(sql)}
            uses_index = any(("USING" in line and "INDEX" in line) or "PRIMARY KEY" in line for line in lines) or any(
                "Index" in line for line in lines
            )
            indexed += uses_index
            for line in lines:
                found = re.search(r"\bSCAN (\w+)", line) if sqlite else re.search(r"Seq Scan on (\w+)", line)
                if not found or line.strip().startswith(("SCAN CTE", "SCAN SUBQUERY")):
                    continue
                table = _table(found.group(1), aliases)
                if table in LARGE:
                    how = "whole index" if "INDEX" in line else "whole table"
                    verdict = "inherent: the city and its year are the whole table" if city else "MISS for one branch"
                    notes.append(f"statement {number}: {line.strip()} ({table}, {how}; {verdict})")
    return explained, indexed, notes


# --- the screens, through the real application offline -------------------------------------------------------------


def settle_collector() -> None:
    """Set what the process holds so far aside from the cyclic collector, as ``branchbot run`` does once assembled
    (bot/collector.py): otherwise each full collection walks the hundreds of thousands of objects of the imports,
    and one branch's figures (a few milliseconds) move 2-4x from run to run with where the collections fall."""
    gc.collect()
    gc.freeze()


async def time_screens(url: str, commands: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[float, int]]:
    """Each (who, command) sent to the application as a private message; median seconds and the reply's length."""
    import time_machine

    from bot.app import started_offline
    from bot.config import load_settings
    from bot.db import Database
    from bot.offline import UpdateFactory

    results: dict[tuple[str, str], tuple[float, int]] = {}
    with time_machine.travel(NOW, tick=True):
        db = Database(url)
        settings = load_settings(DATABASE_URL=url)
        app, request = await started_offline(settings, db)
        settle_collector()
        updates = UpdateFactory(app.bot)
        for who, command in commands:
            user = ADMIN_TG if who == "admin" else SECRETARY_TG
            sent = 0

            async def once(user: int = user, command: str = command) -> None:
                nonlocal sent
                before = len(request.calls)
                await app.process_update(updates.message(user, command))
                sent = sum(len(c.text) for c in request.calls[before:])

            results[(who, command)] = (await median_seconds(once, RUNS if who == "admin" else BRANCH_RUNS), sent)
        await app.shutdown()
        await db.dispose()
    if request.invalid:
        print(f"  note: {len(request.invalid)} message(s) Telegram would refuse: {request.invalid[:1]}")
    return results


# --- one backend --------------------------------------------------------------------------------------------------


async def measure(url: str, bot: bool) -> tuple[dict[str, Figures], str]:
    from sqlalchemy import select, text

    from bot.config import load_settings
    from bot.db import Database
    from bot.environment import ServiceEnv
    from bot.services.access import Actor
    from storage.models import Member, Role

    db = Database(url)
    env = ServiceEnv.from_settings(load_settings(DATABASE_URL=url))
    async with db.session() as session:
        admin_row = (await session.execute(select(Member).where(Member.member_no == ADMIN_NO))).scalar_one()
        secretary_row = (await session.execute(select(Member).where(Member.telegram_id == SECRETARY_TG))).scalar_one()
        admin, secretary = Actor.of(admin_row, "zh_CN"), Actor.of(secretary_row, "zh_CN")
        assert admin.role is Role.ADMIN
    group_by = text("SELECT meeting_id, status, count(*) FROM attendance GROUP BY meeting_id, status")
    settle_collector()

    async def anchor_once() -> None:
        async with db.session() as session:
            (await session.execute(group_by)).fetchall()

    async def session_once() -> None:
        async with db.session() as session:
            await session.execute(text("SELECT 1"))

    anchor = await median_seconds(anchor_once, RUNS)
    empty_session = await median_seconds(session_once, RUNS)
    loop_before = anchor_loop_ms()
    figures: dict[str, Figures] = {}
    for report in reports(admin, secretary, secretary.org_id, env):
        f = figures[report.name] = Figures()
        f.city_s, city_sql = await time_service(db, report.city, RUNS)
        branch_s, branch_sql = await time_service(db, report.branch, BRANCH_RUNS)
        f.branch_ms, f.city_statements, f.branch_statements = 1000 * branch_s, len(city_sql), len(branch_sql)
        for scope, sql in (("city", city_sql), ("one branch", branch_sql)):
            explained, indexed, notes = await plan_notes(db, sql, city=scope == "city")
            f.plans.append(f"{scope}: {indexed} of {explained} statements use an index")
            f.plans += [f"  {note}" for note in notes]
    await db.dispose()
    if bot:
        commands = [
            (who, c)
            for r in reports(admin, secretary, 0, env)
            for who, c in (("admin", r.command), ("secretary", r.branch_command))
            if c
        ]
        screens = await time_screens(url, commands)
        for r in reports(admin, secretary, 0, env):
            if r.command:
                figures[r.name].screen_s = screens[("admin", r.command)][0]
                figures[r.name].branch_screen_ms = 1000 * screens[("secretary", r.branch_command)][0]
    loop_after = anchor_loop_ms()
    anchors = (
        f"GROUP BY over the attendance table {anchor:.2f} s; a session with one SELECT 1 "
        f"{1000 * empty_session:.1f} ms (in every figure above); fixed pure-Python loop {loop_before:.0f} ms before, "
        f"{loop_after:.0f} ms after (about 19 ms quiet); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    return figures, anchors


def show(backend: str, figures: dict[str, Figures], anchors: str) -> None:
    print(f"\n== {backend} (today {TODAY}; medians of {RUNS} warm runs for the city, {BRANCH_RUNS} for one branch) ==")
    print(f"{'report':36} {'city goal ≤ 2 s':>22} {'screen':>9} {'one branch ≤ 10 ms':>22} {'screen':>10}")
    for name, f in figures.items():
        city = f"{f.city_s:6.2f} s {'✓' if f.city_s <= CITY_GOAL_S else '✗'} ({f.city_statements} SQL)"
        branch = f"{f.branch_ms:6.1f} ms {'✓' if f.branch_ms <= BRANCH_GOAL_MS else '✗'} ({f.branch_statements} SQL)"
        screen = f"{f.screen_s:6.2f} s" if f.screen_s is not None else "—"
        branch_screen = f"{f.branch_screen_ms:6.1f} ms" if f.branch_screen_ms is not None else "—"
        print(f"{name:36} {city:>22} {screen:>9} {branch:>22} {branch_screen:>10}")
    print(f"anchor: {anchors}")
    print("plans:")
    for name, f in figures.items():
        print(f" {name}")
        for line in f.plans:
            print(f"   {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("url", nargs="?", help="a postgresql+asyncpg:// URL (empty: the city is copied in)")
    parser.add_argument("--keep", type=Path, help="keep the generated city in this SQLite file and reuse it")
    parser.add_argument("--postgres", action="store_true", help="start a throwaway PostgreSQL 15 cluster too")
    parser.add_argument("--no-bot", action="store_true", help="time the services and plans only, not the screens")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path, facts = _city(Path(scratch), args.keep)
        sqlite_url = f"sqlite+aiosqlite:///{path}"
        asyncio.run(prepare(sqlite_url))
        print(
            f"the city: {facts['members']} members, {facts['meetings']} meetings, {facts['attendance']} attendance rows"
        )
        show("SQLite", *asyncio.run(measure(sqlite_url, not args.no_bot)))
        server = None
        pg_url = args.url
        if args.postgres and pg_url is None:
            from tests.pg import PostgresServer, find_bin_dir

            bin_dir = find_bin_dir()
            if bin_dir is None:
                sys.exit("no PostgreSQL binaries (initdb, pg_ctl) found")
            server = PostgresServer(bin_dir)
            pg_url = server.start()
        try:
            if pg_url is not None:
                print(asyncio.run(copy_to_postgres(sqlite_url, pg_url)))
                show("PostgreSQL", *asyncio.run(measure(pg_url, not args.no_bot)))
        finally:
            if server is not None:
                server.stop()


if __name__ == "__main__":
    main()
