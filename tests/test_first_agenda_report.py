"""The first agenda report for administrators is set-based (issue 16 item 3): the same number of SQL statements
for 3 branches as for 30, on SQLite and PostgreSQL; and a material studied before it was dispatched says so
(issue 12 item 7) instead of "after 0 days"."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import event

from bot.db import Database
from bot.demo import DemoIds, seed_demo
from bot.services import first_agenda as fa
from storage.first_agenda import FirstAgendaItem, FirstAgendaMaterial, MaterialDispatch
from storage.models import Organisation, OrgKind
from tests.conftest import BotHarness
from tests.first_agenda_support import ENV, NOW, TODAY, actor, at, material, meeting

ADMIN = 100001  # 郑管理 (ADM1), the demo administrator


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Coordinates]:
    """Monday 15 June 2026 in Shanghai; time moves on."""
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


async def _seed_branches(db: Database, demo: DemoIds, extra: int) -> None:
    """``extra`` more branches under the unit, each with a held meeting that studied a dispatched material, and two
    materials dispatched to every branch (so every query of the report has rows to read)."""
    async with db.session() as session:
        admin = await actor(session, "ADM1")
        branches = [
            Organisation(code=f"fa-x{i}", name=f"第{i}支部", kind=OrgKind.BRANCH, parent_id=demo.unit)
            for i in range(extra)
        ]
        session.add_all(branches)
        await session.flush()
        first = await material(session, admin, "材料一")
        second = await material(session, admin, "材料二", issued_on=TODAY - timedelta(days=20))
        await fa.dispatch_material(session, admin, first.id, env=ENV)
        await fa.dispatch_material(session, admin, second.id, env=ENV)
        for branch in branches:
            held = await meeting(session, branch.id, "committee_meeting")
            item = FirstAgendaItem(meeting_id=held.id, form="discussion", led_by_name="领学人")
            session.add(item)
            await session.flush()
            session.add(FirstAgendaMaterial(item_id=item.id, material_id=first.id, position=1))
        await session.commit()


def _counting(db: Database) -> tuple[list[str], Any]:
    """A listener recording each statement with its number of bound parameters (``statement #n``): neither may
    grow with the number of branches (no list of ids bound one parameter each)."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        bound = len(parameters) if isinstance(parameters, (list, tuple, dict)) else 0
        statements.append(f"{statement} #{bound}")

    return statements, count


async def _statements_of_the_admin_report(bot: BotHarness) -> tuple[int, str]:
    # Once before counting: the first update after the roster changed also re-reads the caller (the caller cache is
    # keyed by the roster version), a statement per update that does not depend on the number of branches.
    await bot.say(ADMIN, "/firstagenda")
    statements, count = _counting(bot.db)
    sync_engine = bot.db.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", count)
    try:
        texts = await bot.say(ADMIN, "/firstagenda")
    finally:
        event.remove(sync_engine, "before_cursor_execute", count)
    reads = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    return len(reads), texts[0]


async def _statements_of_the_cli_report(db: Database) -> tuple[int, int]:
    statements, count = _counting(db)
    sync_engine = db.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", count)
    try:
        async with db.session() as session:
            rows = await fa.compliance(session, None, date(2026, 1, 1), TODAY, env=ENV)
    finally:
        event.remove(sync_engine, "before_cursor_execute", count)
    assert len(rows) >= 2
    return len(statements), sum(int(s.rsplit("#", 1)[1]) for s in statements)


async def test_the_admin_report_runs_as_many_statements_for_30_branches_as_for_3(bot: BotHarness) -> None:
    await _seed_branches(bot.db, bot.ids, 1)  # the demo's two branches and one more: 3
    few, text = await _statements_of_the_admin_report(bot)
    cli_few = await _statements_of_the_cli_report(bot.db)
    assert "第0支部" in text
    await _seed_branches_more(bot.db, bot.ids, 27)  # 30 branches
    many, text = await _statements_of_the_admin_report(bot)
    cli_many = await _statements_of_the_cli_report(bot.db)
    assert "新26支部" in text
    assert many == few
    assert cli_many == cli_few


async def _seed_branches_more(db: Database, demo: DemoIds, extra: int) -> None:
    """More branches (with meetings that studied the latest material) under the unit."""
    async with db.session() as session:
        branches = [
            Organisation(code=f"fa-y{i}", name=f"新{i}支部", kind=OrgKind.BRANCH, parent_id=demo.unit)
            for i in range(extra)
        ]
        session.add_all(branches)
        await session.flush()
        for branch in branches:
            await meeting(session, branch.id, "committee_meeting")
        await session.commit()


async def test_the_report_counts_statements_on_both_databases(any_db: Database) -> None:
    """The command line's report: the same statements for 3 and for 30 branches, on SQLite and PostgreSQL."""
    async with any_db.session() as session:
        demo = await seed_demo(session)
        await session.commit()
    await _seed_branches(any_db, demo, 1)
    few = await _statements_of_the_cli_report(any_db)
    await _seed_branches_more(any_db, demo, 27)
    many = await _statements_of_the_cli_report(any_db)
    assert many == few


async def test_a_material_studied_before_its_dispatch_says_so(bot: BotHarness) -> None:
    async with bot.db.session() as session:
        admin = await actor(session, "ADM1")
        speech = await material(session, admin, "先学后发的讲话")
        held = await meeting(session, bot.ids.branch_a, "committee_meeting", TODAY - timedelta(days=10))
        item = FirstAgendaItem(meeting_id=held.id, form="discussion", led_by_name="王建国")
        session.add(item)
        await session.flush()
        session.add(FirstAgendaMaterial(item_id=item.id, material_id=speech.id, position=1))
        session.add(
            MaterialDispatch(
                material_id=speech.id, branch_id=bot.ids.branch_a, dispatched_at=at(TODAY - timedelta(days=3))
            )
        )
        await session.commit()
        status = await fa.material_status(session, admin, speech.id, env=ENV)
    assert [s.early for s in status.studied] == [True]
    branch_report = (await bot.say("A01", "/firstagenda"))[0]
    assert "✅ 先学后发的讲话\n   下发前已学习" in branch_report and "下发后0天学习" not in branch_report
    texts = await bot.press(ADMIN, f"fa-mat:{speech.id}:ms")
    assert any("下发前已学习" in t for t in texts) and not any("0天后" in t for t in texts)


async def test_one_branch_report_reads_in_three_statements_the_rows_of_the_separate_queries(any_db: Database) -> None:
    """A secretary's report (as /firstagenda shows it: the compliance row and the dispatched materials' titles) runs
    three statements — the branch's organisations, one for its meetings, dispatches and studies, the titles — and
    the combined statement returns exactly what the three separate queries return, for one branch (its
    organisations looked up, or named as read) and for a subtree, on SQLite and PostgreSQL; the secretary's row is the administrator's row for that branch."""
    from storage import first_agenda as store

    async with any_db.session() as session:
        demo = await seed_demo(session)
        await session.commit()
    await _seed_branches(any_db, demo, 2)
    async with any_db.session() as session:
        admin = await actor(session, "ADM1")
        studied = await material(session, admin, "已学的讲话")
        await fa.dispatch_material(session, admin, studied.id, env=ENV)
        for day, kind, recorded in (
            (TODAY - timedelta(days=30), "committee_meeting", True),
            (TODAY - timedelta(days=12), "committee_meeting", False),
            (TODAY - timedelta(days=3), "general_meeting", False),
            (TODAY + timedelta(days=3), "committee_meeting", False),  # not held yet
        ):
            held = await meeting(session, demo.branch_a, kind, day)
            if recorded:
                item = FirstAgendaItem(meeting_id=held.id, form="discussion", led_by_name="领学人")
                session.add(item)
                await session.flush()
                session.add(FirstAgendaMaterial(item_id=item.id, material_id=studied.id, position=1))
        await session.commit()
    start, end = ENV.day_start(date(2026, 1, 1)), ENV.day_end(TODAY)
    now = ENV.now()
    async with any_db.session() as session:
        branch = store.OneBranch(demo.branch_a)
        known = store.BranchOrgs(o.id for o in await store.orgs_under(session, branch))  # as compliance names them
        for roots in (branch, known, [demo.unit]):
            together = await store.report_records(session, roots, start, end, now)
            # In the same order within each organisation (ties between organisations come in either order).
            held = await store.held_meetings(session, roots, start, end, now)
            assert _by_org(together.held) == _by_org(held)
            dispatches = await store.branch_dispatches(session, roots, start, end)
            assert _by_org(together.dispatches) == _by_org(dispatches)
            assert together.studied == await store.first_studied(session, now=now, roots=roots)
        assert len(together.held) > 2 and len(together.dispatches) > 3 and together.studied
    statements, count = _counting(any_db)
    event.listen(any_db.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with any_db.session() as session:
            secretary = await actor(session, "A01")
            statements.clear()
            rows = await fa.compliance(session, secretary, date(2026, 1, 1), TODAY, env=ENV)
            titles = await fa.materials_by_id(session, rows[0].dispatched)
    finally:
        event.remove(any_db.engine.sync_engine, "before_cursor_execute", count)
    assert len(statements) == 3, statements
    [mine] = rows
    assert mine.needed == 3 and mine.recorded == 1 and len(mine.missing) == 2
    assert sorted(m.title for m in titles.values()) == sorted(["材料一", "材料二", "已学的讲话"])
    async with any_db.session() as session:
        admin = await actor(session, "ADM1")
        city = await fa.compliance(session, admin, date(2026, 1, 1), TODAY, env=ENV)
    [theirs] = [row for row in city if row.org.id == demo.branch_a]
    assert (mine.needed, mine.recorded, mine.optional_recorded, mine.missing) == (
        theirs.needed,
        theirs.recorded,
        theirs.optional_recorded,
        theirs.missing,
    )
    assert (mine.dispatched, mine.unstudied, mine.lag_by_material, mine.waiting, mine.early) == (
        theirs.dispatched,
        theirs.unstudied,
        theirs.lag_by_material,
        theirs.waiting,
        theirs.early,
    )


def _by_org(rows: list[Any]) -> list[Any]:
    """The rows grouped by their organisation (the first column), each group in its order."""
    return sorted(rows, key=lambda row: row[0])
