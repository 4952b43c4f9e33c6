"""The closed months' attendance tallies (storage/points/tallies.py) give exactly the points computed from the records
alone — for periods of whole and part months, members who moved branch within the year, and after edits of past
months by every kind of write (ORM, a conditional UPDATE, the check-in upsert), which make a branch's tallies unusable
until the job builds them again. On SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import event, select

from bot.db import Database
from bot.services.access import Actor
from bot.services.points import service as points
from bot.services.points import tallies
from storage.checkins import record_check_in
from storage.meetings import Attendance, Meeting, MeetingStatus, decide_attendance
from storage.membership import Membership
from storage.models import Member, Organisation, OrgKind, Role
from storage.points import tallies as tally_store

TZ = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 20)
SEEDED = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
KINDS = ("general_meeting", "party_lesson", "theme_day", "group_meeting")
STATUSES = ("present", "present", "late", "absent", "on_leave", "no_answer")
PERIODS = [
    (date(2026, 1, 1), TODAY),  # the year so far: January … October tallied, November live
    (date(2026, 3, 1), date(2026, 6, 30)),  # whole months in the middle: two tally rows per member
    (date(2026, 2, 10), TODAY),  # a part-month at the start
    (date(2026, 4, 1), date(2026, 4, 30)),  # one month
    (date(2026, 1, 1), date(2026, 12, 31)),  # the whole year, past the tallies' last month
]


async def _seed(db: Database) -> Actor:
    """A unit of three branches of six members, a closed or scheduled meeting or two a month in each, random
    attendance; one member moved from the first branch to the second on 15 May."""
    rng = random.Random(16)
    async with db.session() as session:
        unit = Organisation(code="U", name="机关党委", kind=OrgKind.UNIT_COMMITTEE)
        session.add(unit)
        await session.flush()
        admin = Member(member_no="ADM", name="管理员", org_id=unit.id, role=Role.ADMIN, telegram_id=900001)
        session.add(admin)
        branches: list[tuple[Organisation, list[Member]]] = []
        for b in range(3):
            branch = Organisation(code=f"B{b}", name=f"第{b}党支部", kind=OrgKind.BRANCH, parent_id=unit.id)
            session.add(branch)
            await session.flush()
            members = [
                Member(member_no=f"{b}-{m}", name=f"党员{b}{m}", org_id=branch.id, join_date=date(2015, 1, 1))
                for m in range(6)
            ]
            session.add_all(members)
            branches.append((branch, members))
        await session.flush()
        mover = branches[0][1][0]
        mover.org_id = branches[1][0].id
        session.add_all(
            [
                Membership(
                    member_id=mover.id,
                    org_id=branches[0][0].id,
                    started_on=date(2015, 1, 1),
                    ended_on=date(2026, 5, 15),
                    reason="transfer",
                ),
                Membership(member_id=mover.id, org_id=branches[1][0].id, started_on=date(2026, 5, 15)),
            ]
        )
        for branch, members in branches:
            for month in range(1, 12):
                for _ in range(rng.randint(1, 2)):
                    day = rng.randint(1, 28)
                    # Some at 23:30 local on the last evening of a month: the local month is not the UTC one.
                    at = datetime.combine(date(2026, month, day), time(23, 30) if day > 26 else time(9), tzinfo=TZ)
                    status = MeetingStatus.CLOSED if rng.random() < 0.85 else MeetingStatus.SCHEDULED
                    meeting = Meeting(
                        org_id=branch.id,
                        kind=rng.choice(KINDS),
                        starts_at=at,
                        ends_at=at + timedelta(hours=1),
                        status=status,
                        tags=["political_birthdays"] if rng.random() < 0.3 else [],
                    )
                    session.add(meeting)
                    await session.flush()
                    moved = at.date() >= date(2026, 5, 15)
                    here = branch is (branches[1][0] if moved else branches[0][0])
                    present = [m for m in members if m is not mover] + ([mover] if here else [])
                    session.add_all(
                        Attendance(meeting_id=meeting.id, member_id=m.id, status=rng.choice(STATUSES)) for m in present
                    )
        await session.flush()
        return Actor.of(admin, "zh_CN")


async def _report(db: Database, admin: Actor, start: date, end: date) -> list[dict[str, Any]]:
    async with db.session() as session:
        return [r.as_json() for r in await points.report(session, admin, None, start, end, TZ)]


async def _all_periods(db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], list[Any]]:
    """(with the tallies, from the records alone) for every period."""
    monkeypatch.setattr(tally_store, "TALLIES_FROM_BRANCHES", 1)
    tallied = [await _report(db, admin, start, end) for start, end in PERIODS]
    monkeypatch.setattr(tally_store, "TALLIES_FROM_BRANCHES", 10**9)
    live = [await _report(db, admin, start, end) for start, end in PERIODS]
    monkeypatch.setattr(tally_store, "TALLIES_FROM_BRANCHES", 1)
    return tallied, live


async def _usable(db: Database) -> int:
    """How many branches have tallies of 2026 that the reports would use."""
    from bot.services.points.member_points import attendance_rules
    from bot.services.points.versions import rules_for

    async with db.session() as session:
        ids = list((await session.scalars(select(Organisation.id).where(Organisation.kind == OrgKind.BRANCH))).all())
        rules = attendance_rules((await rules_for(session, ids))[ids[0]].rules)
        return len(await tally_store.usable_builds(session, ids, 2026, tally_store.digest_of(rules, TZ), TZ))


async def _refresh(db: Database, now: datetime) -> int:
    """The job's work: branch-years built, two per transaction, until none is left."""
    built: set[tuple[int, int]] = set()
    with time_machine.travel(now, tick=False):
        while True:
            async with db.session() as session:
                done = await tallies.refresh(session, TODAY, TZ, now, limit=2, skip=built)
            if not done:
                return len(built)
            built.update(done)


async def test_the_tallies_give_the_same_points_as_the_records_before_and_after_edits_of_past_months(
    any_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with time_machine.travel(SEEDED, tick=False):
        admin = await _seed(any_db)
    assert (
        await _refresh(any_db, SEEDED + timedelta(hours=1)) == 6
    )  # three branches, this year's closed months and last year
    assert await _usable(any_db) == 3
    tallied, live = await _all_periods(any_db, admin, monkeypatch)
    assert tallied == live
    assert any(item["count"] for rows in live for row in rows for item in row["items"] if item["key"] == "absent")
    async with any_db.session() as session:
        results = await points.report(session, admin, None, date(2026, 1, 1), TODAY, TZ)
    totals = [r.points for r in results]  # without the items (total_of), then from them (points_of)
    assert totals == [sum(item.points for item in r.items) for r in results]
    assert len(set(totals)) > 5

    # Edits of past months, each by another kind of write, two hours after the build.
    with time_machine.travel(SEEDED + timedelta(hours=2), tick=False):
        async with any_db.session() as session:
            branch_ids = list(
                (await session.scalars(select(Organisation.id).where(Organisation.kind == OrgKind.BRANCH))).all()
            )
            march = (
                await session.scalars(
                    select(Attendance)
                    .join(Meeting, Meeting.id == Attendance.meeting_id)
                    .where(
                        Meeting.org_id == branch_ids[0],
                        Meeting.status == MeetingStatus.CLOSED,
                        Meeting.starts_at < datetime(2026, 4, 1, tzinfo=TZ),
                        Attendance.status == "absent",
                    )
                )
            ).first()
            assert march is not None
            march.status = "present"  # the ORM
            april = await session.scalar(
                select(Meeting).where(Meeting.org_id == branch_ids[1], Meeting.status == MeetingStatus.SCHEDULED)
            )
            assert april is not None
            april.status = MeetingStatus.CLOSED  # a meeting closed late
            row = await session.scalar(
                select(Attendance)
                .join(Meeting, Meeting.id == Attendance.meeting_id)
                .where(
                    Meeting.org_id == branch_ids[2],
                    Meeting.status == MeetingStatus.CLOSED,
                    Attendance.status == "on_leave",
                )
            )
            assert row is not None
            assert await decide_attendance(session, row.id, expected="on_leave", status="absent", decided_by_id=None)
            other = await session.scalar(
                select(Attendance)
                .join(Meeting, Meeting.id == Attendance.meeting_id)
                .where(
                    Meeting.org_id == branch_ids[2],
                    Meeting.status == MeetingStatus.CLOSED,
                    Attendance.status == "no_answer",
                )
            )
            assert other is not None
            now = datetime.now(UTC)
            values = {"status": "late", "checked_in_at": now, "checkin_method": "secretary", "updated_at": now}
            assert await record_check_in(session, other.meeting_id, other.member_id, values)
    assert await _usable(any_db) == 0  # every branch had a write to a built month: counted live until rebuilt
    edited, live_after = await _all_periods(any_db, admin, monkeypatch)
    assert edited == live_after != live

    assert await _refresh(any_db, SEEDED + timedelta(hours=3)) == 3  # this year's, written to
    assert await _usable(any_db) == 3
    rebuilt, live_again = await _all_periods(any_db, admin, monkeypatch)
    assert rebuilt == live_again == live_after
    assert await _refresh(any_db, SEEDED + timedelta(hours=4)) == 0  # nothing to do


async def test_a_correction_just_before_the_job_is_built_once_a_run_not_over_and_over(any_db: Database) -> None:
    """A write stamped a few minutes before a build leaves that build unusable for CHANGE_MARGIN (a transaction
    may still have been open); the job builds the branch once in that run, not again and again (the clock stands
    still here, so building it again at once would never end)."""
    with time_machine.travel(SEEDED, tick=False):
        await _seed(any_db)
    assert await _refresh(any_db, SEEDED + timedelta(hours=1)) == 6
    corrected = SEEDED + timedelta(hours=2)
    with time_machine.travel(corrected, tick=False):
        async with any_db.session() as session:
            row = await session.scalar(
                select(Attendance)
                .join(Meeting, Meeting.id == Attendance.meeting_id)
                .where(Meeting.status == MeetingStatus.CLOSED, Meeting.starts_at < datetime(2026, 4, 1, tzinfo=TZ))
            )
            assert row is not None
            row.status = "absent" if row.status != "absent" else "present"
            await session.commit()
    assert await _refresh(any_db, corrected + timedelta(minutes=5)) == 1  # its branch, this year: once
    assert await _usable(any_db) == 2  # still within the margin: counted live meanwhile
    assert await _refresh(any_db, corrected + timedelta(hours=1)) == 1  # the next run: built again, now usable
    assert await _usable(any_db) == 3


async def test_the_tallied_points_take_as_many_statements_for_30_branches_as_for_3(
    any_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The statement count of the tallied path does not grow with the branches (and reads the tallies)."""
    from tests.test_birthdays_points_statements import _add_branches, _points_report, _selects, _unit

    monkeypatch.setattr(tally_store, "TALLIES_FROM_BRANCHES", 1)
    with time_machine.travel(SEEDED, tick=False):
        async with any_db.session() as session:
            unit_id, admin = await _unit(session)
            await _add_branches(session, unit_id, 0, 3)
    await _refresh(any_db, SEEDED + timedelta(hours=1))
    seen: list[str] = []

    def watch(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    event.listen(any_db.engine.sync_engine, "before_cursor_execute", watch)
    few, three = await _selects(any_db, admin, _points_report)
    event.remove(any_db.engine.sync_engine, "before_cursor_execute", watch)
    assert any("point_tallies" in s for s in seen)
    with time_machine.travel(SEEDED + timedelta(hours=2), tick=False):
        async with any_db.session() as session:
            await _add_branches(session, unit_id, 3, 30)
    await _refresh(any_db, SEEDED + timedelta(hours=3))
    many, thirty = await _selects(any_db, admin, _points_report)
    assert (three, thirty) == (3, 30)
    assert few == many, f"{few} statements for 3 branches, {many} for 30"
