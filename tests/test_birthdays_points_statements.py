"""The city's reports of political birthdays and of points run a constant number of SQL statements, whatever the
number of branches (issue 16 item 3): seeded with 3 and with 30 branches, the count is the same."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database
from bot.services import birthdays
from bot.services.access import Actor
from bot.services.points import service as points
from storage.models import Member, Organisation, OrgKind, Role

TZ = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 26)


async def _unit(session: AsyncSession) -> tuple[int, Actor]:
    """A unit committee and its administrator."""
    unit = Organisation(code="U", name="机关党委", kind=OrgKind.UNIT_COMMITTEE)
    session.add(unit)
    await session.flush()
    admin = Member(member_no="ADM", name="管理员", org_id=unit.id, role=Role.ADMIN, telegram_id=900001)
    session.add(admin)
    await session.flush()
    return unit.id, Actor.of(admin, "zh_CN")


async def _add_branches(session: AsyncSession, unit_id: int, first: int, last: int) -> None:
    """Branches ``first`` … ``last - 1`` of four members: two birthdays in November, one without a join date."""
    for b in range(first, last):
        branch = Organisation(code=f"B{b}", name=f"第{b}党支部", kind=OrgKind.BRANCH, parent_id=unit_id)
        session.add(branch)
        await session.flush()
        session.add_all(
            [
                Member(
                    member_no=f"{b}-1",
                    name=f"书记{b}",
                    org_id=branch.id,
                    role=Role.SECRETARY,
                    join_date=date(2010, 11, 3),
                ),
                Member(member_no=f"{b}-2", name=f"甲{b}", org_id=branch.id, join_date=date(2015, 11, 26)),
                Member(member_no=f"{b}-3", name=f"乙{b}", org_id=branch.id, join_date=date(2018, 4, 1)),
                Member(member_no=f"{b}-4", name=f"丙{b}", org_id=branch.id, join_date=None),
            ]
        )


async def _selects(
    db: Database, admin: Actor, report: Callable[[AsyncSession, Actor], Awaitable[int]]
) -> tuple[int, int]:
    """(statements run, branches in the report)."""
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with db.session() as session:
            branches = await report(session, admin)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    return len([s for s in seen if s.lstrip().upper().startswith(("SELECT", "WITH"))]), branches


async def _same_for_3_and_30(db: Database, report: Callable[[AsyncSession, Actor], Awaitable[int]]) -> None:
    async with db.session() as session:
        unit_id, admin = await _unit(session)
        await _add_branches(session, unit_id, 0, 3)
    few, three = await _selects(db, admin, report)
    async with db.session() as session:
        await _add_branches(session, unit_id, 3, 30)
    many, thirty = await _selects(db, admin, report)
    assert (three, thirty) == (3, 30)
    assert few == many, f"{few} statements for 3 branches, {many} for 30"


async def _birthday_counts(session: AsyncSession, admin: Actor) -> int:
    counts = await birthdays.subtree_counts(session, admin, 2026, 11, TODAY)
    assert all((c.birthdays, c.data_to_fix) == (2, 1) for c in counts)
    return len(counts)


async def _points_report(session: AsyncSession, admin: Actor) -> int:
    rows = await points.report(session, admin, None, date(2026, 1, 1), date(2026, 12, 31), TZ)
    return len({r.branch_id for r in rows})


async def test_the_birthday_counts_take_as_many_statements_for_30_branches_as_for_3(any_db: Database) -> None:
    await _same_for_3_and_30(any_db, _birthday_counts)


async def test_the_points_report_takes_as_many_statements_for_30_branches_as_for_3(any_db: Database) -> None:
    await _same_for_3_and_30(any_db, _points_report)
