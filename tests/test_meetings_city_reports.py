"""City reports (issue 16 item 3): the administrators' compliance table and the city's attendance for a year run
a constant number of SQL statements, whatever the number of branches (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import event

from bot.config import Settings
from bot.db import Database
from bot.services.access import Actor
from bot.services.kinds_of_meeting import Period
from bot.services.meetings import compliance, stats
from storage.meetings import Attendance, AttendanceStatus, Meeting, MeetingStatus
from storage.models import Member, Organisation, OrgKind, Role
from tests.meetings_helpers import env_of

TODAY = date(2026, 11, 20)


async def _city(db: Database, branches: int) -> int:
    """A working committee with ``branches`` branches, each with a Party group, five members and two closed
    meetings this year with everyone's attendance; returns the administrator's member id."""
    async with db.session() as session:
        city = Organisation(code=f"city{branches}", name="市直机关工委", kind=OrgKind.WORKING_COMMITTEE)
        session.add(city)
        await session.flush()
        admin = Member(member_no=f"ADM{branches}", name="管理员", org_id=city.id, role=Role.ADMIN)
        session.add(admin)
        for b in range(branches):
            branch = Organisation(
                code=f"c{branches}b{b}", name=f"第{b:02d}支部", kind=OrgKind.BRANCH, parent_id=city.id
            )
            session.add(branch)
            await session.flush()
            session.add(
                Organisation(code=f"c{branches}b{b}g", name="第一党小组", kind=OrgKind.PARTY_GROUP, parent_id=branch.id)
            )
            members = [
                Member(member_no=f"c{branches}b{b}m{m}", name=f"党员{b}-{m}", org_id=branch.id) for m in range(5)
            ]
            session.add_all(members)
            await session.flush()
            for n, day in enumerate((date(2026, 3, 10), date(2026, 11, 5))):
                start = datetime(day.year, day.month, day.day, 6, 0, tzinfo=UTC)
                meeting = Meeting(
                    org_id=branch.id,
                    kind="general_meeting" if n else "party_lesson",
                    starts_at=start,
                    ends_at=start + timedelta(hours=1),
                    status=MeetingStatus.CLOSED,
                    checkin_code=f"{b:03d}{n:03d}",
                )
                session.add(meeting)
                await session.flush()
                for i, member in enumerate(members):
                    status = AttendanceStatus.ABSENT if i == 0 else AttendanceStatus.PRESENT
                    session.add(Attendance(meeting_id=meeting.id, member_id=member.id, status=status))
        await session.flush()
        return admin.id


@contextmanager
def _counting(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)


async def _measure(db: Database, settings: Settings, admin_id: int) -> tuple[int, int, int, int]:
    async with db.session() as session:
        admin = await session.get(Member, admin_id)
        assert admin is not None
        actor = Actor.of(admin, "zh_CN")
        with _counting(db) as statements:
            table = await compliance.compliance_overview(session, actor, TODAY, env=env_of(settings))
        compliance_count = len(statements)
        start, end = stats.period_range(Period.YEAR, TODAY).utc_bounds(settings.tz)
        with _counting(db) as statements:
            rates = await stats.attendance_overview(session, actor, start, end)
        attendance_count = len(statements)
        with _counting(db) as statements:  # one branch in full: per meeting and per member, counted by the database
            one = await stats.branch_rates(session, rates[-1][0].id, start, end)
        branch_count = len(statements)
    assert all(r.meetings == 2 and (r.overall.attended, r.overall.expected) == (8, 10) for _, r in rates)
    assert len(table) == len(rates)
    assert [(r.attended, r.expected) for _, r in one.per_meeting] == [(4, 5), (4, 5)]
    assert [(m.member_no[-2:], r.attended, r.expected) for m, r in one.per_member] == [
        ("m0", 0, 2),
        ("m1", 2, 2),
        ("m2", 2, 2),
        ("m3", 2, 2),
        ("m4", 2, 2),
    ]
    return compliance_count, attendance_count, len(table), branch_count


async def test_city_reports_run_a_constant_number_of_statements(any_db: Database, settings: Settings) -> None:
    small = await _measure(any_db, settings, await _city(any_db, 3))
    large = await _measure(any_db, settings, await _city(any_db, 30))
    assert (small[2], large[2]) == (3, 30)
    assert (small[0], small[1], small[3]) == (large[0], large[1], large[3]), (small, large)  # 3 branches as 30
    assert large[0] <= 5 and large[1] <= 4 and large[3] == 2, large
