"""The administrators' /service (a city's volunteer hours, branch by branch) runs a constant number of SQL statements
whatever the number of branches and members (issue 16 item 3), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import event, select

from bot.db import Database
from bot.demo import seed_demo
from bot.services.volunteer import reports
from bot.services.volunteer import totals as volunteer_totals
from bot.templates import render
from storage import queries
from storage.models import Member, Organisation, OrgKind
from storage.volunteer import ReportStatus, ServiceReport
from tests.volunteer_helpers import ENV, actor_of

TODAY = date(2030, 6, 5)


async def _city(db: Database, branches: int) -> None:
    """The demo tree plus ``branches`` city branches."""
    async with db.session() as session:
        await seed_demo(session)
    await _more_branches(db, 0, branches)


async def _admin_screen(db: Database) -> tuple[int, str, volunteer_totals.SubtreeTotals]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    async with db.session() as session:
        admin = await actor_of(session, "ADM1")
        event.listen(db.engine.sync_engine, "before_cursor_execute", record)
        try:
            totals = await volunteer_totals.branch_totals(session, admin, "year", TODAY, env=ENV)
            assert isinstance(totals, volunteer_totals.SubtreeTotals)
            scope = await session.get(Organisation, admin.org_id)
            text = render(
                "volunteer/service.html.j2",
                "zh_CN",
                totals=totals,
                branches=totals.by_branch(),
                more=0,
                period="year",
                scope=scope,
                admin=True,
                hours=reports.hours,
                last_day=date(2030, 12, 31),
            )
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", record)
    return len(statements), text, totals


async def test_the_city_screen_costs_the_same_for_3_and_30_branches(any_db: Database) -> None:
    await _city(any_db, 3)
    few, text, totals = await _admin_screen(any_db)
    assert "城区第000支部：3小时，6名党员中2名参加了服务" in text
    assert totals.minutes == 3 * 2 * 90 and totals.outside_minutes == 3 * 2 * 30
    await _more_branches(any_db, 3, 30)  # 27 more branches in the same database
    many, text, totals = await _admin_screen(any_db)
    assert "城区第029支部：3小时，6名党员中2名参加了服务" in text
    assert totals.minutes == 30 * 2 * 90
    assert many == few, (few, many)
    # The demo's own branches (7 and 4 active members, no service) and the 4 non-serving members of each city branch.
    assert totals.without_service_count == 11 + 30 * 4


async def _more_branches(db: Database, start: int, stop: int) -> None:
    """Branches ``start`` to ``stop`` - 1 of 6 members each; in each, two members served (approved reports)."""
    async with db.session() as session:
        unit = await queries.org_by_ref(session, "DEMO-U1")
        assert unit is not None
        for b in range(start, stop):
            branch = Organisation(
                code=f"CITY-{b:03d}", name=f"城区第{b:03d}支部", kind=OrgKind.BRANCH, parent_id=unit.id
            )
            session.add(branch)
            await session.flush()
            members = [Member(member_no=f"C{b:03d}{i}", name=f"党员{b:03d}{i}", org_id=branch.id) for i in range(6)]
            session.add_all(members)
            await session.flush()
            for member in members[:2]:
                session.add(_approved_report(member))


async def test_a_secretarys_totals_cost_three_statements_whatever_the_city(any_db: Database) -> None:
    """One branch's totals: the branch, its members, and their activities' and approved reports' minutes in one
    statement; the city around it does not change the count."""
    await _city(any_db, 3)
    async with any_db.session() as session:
        reporter = await session.scalar(select(Member).where(Member.member_no == "A03"))
        assert reporter is not None
        session.add(_approved_report(reporter))
    counts = []
    for more in (None, 30):
        if more:
            await _more_branches(any_db, 3, more)
        statements: list[str] = []

        def record(*args: Any, into: list[str] = statements) -> None:
            into.append(args[2])

        async with any_db.session() as session:
            secretary = await actor_of(session, "A01")
            event.listen(any_db.engine.sync_engine, "before_cursor_execute", record)
            try:
                totals = await volunteer_totals.branch_totals(session, secretary, "year", TODAY, env=ENV)
            finally:
                event.remove(any_db.engine.sync_engine, "before_cursor_execute", record)
        assert isinstance(totals, volunteer_totals.Totals)
        by_no = {t.member.member_no: t for t in totals.members}
        assert by_no["A03"].minutes == 90 and by_no["A03"].reported_minutes == 90 and by_no["A03"].activities == 0
        assert by_no["A03"].outside_minutes == 30 and by_no["A01"].minutes == 0
        assert {t.member.org_id for t in totals.members} == {secretary.org_id}
        assert totals.branches[secretary.org_id].name  # the branch's name, from the first statement
        counts.append(len(statements))
    assert counts == [3, 3], counts


def _approved_report(member: Member) -> ServiceReport:
    """An hour and a half served three days before TODAY (half an hour outside working hours), approved."""
    return ServiceReport(
        member_id=member.id,
        org_id=member.org_id,
        service_date=TODAY - timedelta(days=3),
        minutes=90,
        outside_minutes=30,
        description="清理楼道",
        photos=[],
        status=ReportStatus.APPROVED,
    )
