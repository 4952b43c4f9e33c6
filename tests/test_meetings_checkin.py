"""Check-in: tokens, codes, the window, lateness, location, duplicates, and concurrency on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from bot.clock import now_utc
from bot.config import Settings
from bot.db import Database
from bot.demo import DemoIds, seed_demo
from bot.errors import Conflict, InvalidInput, PermissionDenied
from bot.services import meetings, tokens
from bot.services.meetings import checkin
from bot.services.meetings.checkin import Method
from storage.meetings import Attendance, Meeting
from storage.models import Member, Organisation, Role
from tests.meetings_helpers import actor, env_of, get, member_id, schedule, statuses


async def _token(db: Database, meeting_id: int, *, live: bool) -> str:
    async with db.session() as session:
        link, _ = await checkin.checkin_link(session, await get(db, meeting_id), "bot", live=live)
    return link.rsplit("ck_", 1)[1]


async def _check_in_with_token(db: Database, settings: Settings, member_no: str, token: str) -> checkin.Outcome:
    async with db.session() as session:
        meeting = await checkin.meeting_from_token(session, token)
        return await checkin.check_in(
            session,
            await member_id(session, member_no),
            meeting,
            method=Method.QR,
            env=env_of(settings),
            settings=settings,
        )


async def test_scanning_the_live_code_checks_in_once(db: Database, demo: DemoIds, settings: Settings) -> None:
    meeting_id = await schedule(db, settings, branch_id=demo.branch_a, starts_in=timedelta(minutes=10))
    token = await _token(db, meeting_id, live=True)
    assert len("ck_" + token) <= 64
    outcome = await _check_in_with_token(db, settings, "A03", token)
    assert outcome.status == "present"
    with pytest.raises(Conflict, match="already checked in"):
        await _check_in_with_token(db, settings, "A03", token)
    async with db.session() as session:
        row = await session.scalar(
            select(Attendance).where(Attendance.meeting_id == meeting_id, Attendance.member_id == outcome.member.id)
        )
        assert row is not None and row.checkin_method == "qr" and row.checked_in_at is not None
    assert (await statuses(db, meeting_id))["A03"] == "present"


async def test_a_photo_of_the_live_code_stops_working_within_a_minute(
    db: Database, demo: DemoIds, settings: Settings
) -> None:
    meeting_id = await schedule(db, settings, branch_id=demo.branch_a, starts_in=timedelta(minutes=10))
    token = await _token(db, meeting_id, live=True)
    later = now_utc() + timedelta(seconds=2 * tokens.SLOT_SECONDS + 1)
    with time_machine.travel(later, tick=False), pytest.raises(InvalidInput, match="expired"):
        await _check_in_with_token(db, settings, "A03", token)
    assert (await statuses(db, meeting_id))["A03"] == "no_answer"


async def test_tokens_of_another_branch_forged_or_outside_the_window_are_refused(
    db: Database, demo: DemoIds, settings: Settings
) -> None:
    soon = await schedule(db, settings, branch_id=demo.branch_a, starts_in=timedelta(minutes=10))
    later = await schedule(db, settings, branch_id=demo.branch_a, starts_in=timedelta(hours=3), kind="party_lesson")
    other = await schedule(db, settings, branch_id=demo.branch_b, by="B01", starts_in=timedelta(minutes=5))
    with pytest.raises(PermissionDenied, match="another branch"):
        await _check_in_with_token(db, settings, "A03", await _token(db, other, live=False))
    with pytest.raises(InvalidInput, match="Check-in opens at"):
        await _check_in_with_token(db, settings, "A03", await _token(db, later, live=False))
    with pytest.raises(InvalidInput, match="not valid"):
        await _check_in_with_token(db, settings, "A03", "A" * 34)
    printed = await _token(db, soon, live=False)
    with time_machine.travel(now_utc() + timedelta(hours=3), tick=False), pytest.raises(InvalidInput, match="closed"):
        await _check_in_with_token(db, settings, "A03", printed)
    async with db.session() as session:
        await meetings.cancel_meeting(session, None, later, env=env_of(settings))
    cancelled_token = await _token(db, later, live=False)
    with time_machine.travel(now_utc() + timedelta(hours=3), tick=False), pytest.raises(InvalidInput, match="cancel"):
        await _check_in_with_token(db, settings, "A03", cancelled_token)
    assert set((await statuses(db, soon)).values()) == {"no_answer"}


async def test_late_arrivals_are_marked_late(db: Database, demo: DemoIds, settings: Settings) -> None:
    meeting_id = await schedule(db, settings, branch_id=demo.branch_a, starts_in=timedelta(minutes=1))
    printed = await _token(db, meeting_id, live=False)
    with time_machine.travel(now_utc() + timedelta(minutes=1 + settings.CHECKIN_LATE_MINUTES - 1), tick=False):
        assert (await _check_in_with_token(db, settings, "A03", printed)).status == "present"
    with time_machine.travel(now_utc() + timedelta(minutes=1 + settings.CHECKIN_LATE_MINUTES + 1), tick=False):
        assert (await _check_in_with_token(db, settings, "A04", printed)).status == "late"
    result = await statuses(db, meeting_id)
    assert (result["A03"], result["A04"]) == ("present", "late")


async def test_the_short_code_finds_the_open_meeting_of_the_members_branch(
    db: Database, demo: DemoIds, settings: Settings
) -> None:
    meeting_id = await schedule(db, settings, branch_id=demo.branch_a, starts_in=timedelta(minutes=5))
    code = (await get(db, meeting_id)).checkin_code
    assert code is not None
    async with db.session() as session:
        meeting, member = await checkin.meeting_from_code(
            session, await member_id(session, "A03"), code, env=env_of(settings), settings=settings
        )
        assert meeting.id == meeting_id and member.member_no == "A03"
        with pytest.raises(InvalidInput, match="6 digits"):
            await checkin.meeting_from_code(
                session, await member_id(session, "A03"), "12ab", env=env_of(settings), settings=settings
            )
        # The same code means nothing to another branch's member.
        with pytest.raises(InvalidInput, match="No meeting of your branch"):
            await checkin.meeting_from_code(
                session, await member_id(session, "B02"), code, env=env_of(settings), settings=settings
            )


async def test_a_meeting_with_a_location_check_needs_the_member_nearby(
    db: Database, demo: DemoIds, settings: Settings
) -> None:
    meeting_id = await schedule(db, settings, branch_id=demo.branch_a, starts_in=timedelta(minutes=5))
    async with db.session() as session:
        secretary = await actor(session, "A01")
        with pytest.raises(InvalidInput, match="radius"):
            await meetings.set_location_check(
                session, secretary, meeting_id, latitude=23.02, longitude=113.75, radius_m=5
            )
        with pytest.raises(PermissionDenied):
            await meetings.set_location_check(
                session, await actor(session, "A03"), meeting_id, latitude=23.02, longitude=113.75, radius_m=200
            )
        await meetings.set_location_check(
            session, secretary, meeting_id, latitude=23.0207, longitude=113.7518, radius_m=200
        )
    async with db.session() as session:
        meeting = await session.get(Meeting, meeting_id)
        assert meeting is not None
        a03 = await member_id(session, "A03")
        asked = await checkin.check_in(
            session, a03, meeting, method=Method.CODE, env=env_of(settings), settings=settings
        )
        assert asked.needs_location and asked.status == ""
        with pytest.raises(InvalidInput, match="1112 m from the meeting place") as far:
            await checkin.check_in(
                session,
                a03,
                meeting,
                method=Method.CODE,
                env=env_of(settings),
                settings=settings,
                location=(23.0307, 113.7518),
            )
        assert "200" in str(far.value)
    assert (await statuses(db, meeting_id))["A03"] == "no_answer"
    async with db.session() as session:
        meeting = await session.get(Meeting, meeting_id)
        assert meeting is not None
        near = await checkin.check_in(
            session,
            a03,
            meeting,
            method=Method.CODE,
            env=env_of(settings),
            settings=settings,
            location=(23.0208, 113.7519),
        )
        assert near.status == "present"


async def test_a_member_added_to_the_roster_after_scheduling_can_check_in(
    db: Database, demo: DemoIds, settings: Settings
) -> None:
    meeting_id = await schedule(db, settings, branch_id=demo.branch_a, starts_in=timedelta(minutes=5))
    async with db.session() as session:
        newcomer = Member(member_no="A08", name="新党员", org_id=demo.branch_a, role=Role.MEMBER, telegram_id=100108)
        session.add(newcomer)
        await session.flush()
        meeting = await session.get(Meeting, meeting_id)
        assert meeting is not None
        assert (
            await checkin.check_in(
                session, newcomer.id, meeting, method=Method.CODE, env=env_of(settings), settings=settings
            )
        ).status
    assert (await statuses(db, meeting_id))["A08"] == "present"


# --- concurrency, on both backends --------------------------------------------------------------------------


async def _many_members(database: Database, count: int) -> tuple[int, list[int]]:
    """A branch with ``count`` members and a meeting starting now; the token secret exists."""
    async with database.session() as session:
        ids = await seed_demo(session)
        branch = Organisation(code="BIG", name="大支部", kind="branch", parent_id=ids.unit)
        session.add(branch)
        await session.flush()
        members = [Member(member_no=f"Z{i:03d}", name=f"党员{i:03d}", org_id=branch.id) for i in range(count)]
        session.add_all(members)
        await session.flush()
        start = now_utc() + timedelta(minutes=5)
        meeting = Meeting(
            org_id=branch.id, kind="theme_day", starts_at=start, ends_at=start + timedelta(hours=1), tags=[]
        )
        session.add(meeting)
        await session.flush()
        await tokens.installation_secret(session)
        return meeting.id, [m.id for m in members]


async def _attempt(database: Database, settings: Settings, meeting_id: int, member: int) -> str:
    async with database.session() as session:
        meeting = await session.get(Meeting, meeting_id)
        assert meeting is not None
        try:
            outcome = await checkin.check_in(
                session, member, meeting, method=Method.BUTTON, env=env_of(settings), settings=settings
            )
        except Conflict:
            return "already"
        return outcome.status


async def test_the_same_member_checking_in_at_the_same_second_is_stored_once(
    any_db: Database, settings: Settings
) -> None:
    meeting_id, members = await _many_members(any_db, 3)
    # The meeting was scheduled before the member joined: no row yet, so the INSERT path races too.
    results = await asyncio.gather(*(_attempt(any_db, settings, meeting_id, members[0]) for _ in range(12)))
    assert sorted(results) == ["already"] * 11 + ["present"]
    async with any_db.session() as session:
        rows = await session.scalar(
            select(func.count()).select_from(Attendance).where(Attendance.meeting_id == meeting_id)
        )
    assert rows == 1


async def test_200_members_checking_in_at_the_same_second_are_all_stored_once(
    any_db: Database, settings: Settings
) -> None:
    meeting_id, members = await _many_members(any_db, 200)
    async with any_db.session() as session:  # half of them already have a row (answered the notice)
        session.add_all(Attendance(meeting_id=meeting_id, member_id=m, status="attending") for m in members[::2])
    attempts = [*members, *members[:20]]  # twenty of them press twice
    results = await asyncio.gather(*(_attempt(any_db, settings, meeting_id, m) for m in attempts))
    assert results.count("present") == 200 and results.count("already") == 20
    async with any_db.session() as session:
        stored = (
            await session.execute(
                select(Attendance.member_id, Attendance.status).where(Attendance.meeting_id == meeting_id)
            )
        ).all()
    assert len(stored) == 200 and {m for m, _ in stored} == set(members)
    assert {s for _, s in stored} == {"present"}


async def test_a_typed_code_is_refused_after_five_wrong_ones_on_either_backend(
    any_db: Database, settings: Settings
) -> None:
    # The member, the code's meetings and the recent wrong codes come in one statement (storage.checkins.typed_code);
    # the cool-down's end is the oldest wrong code plus the window, as an aware time on both backends.
    meeting_id, members = await _many_members(any_db, 2)
    async with any_db.session() as session:
        meeting = await session.get(Meeting, meeting_id)
        assert meeting is not None
        meeting.checkin_code = "135790"
    start = now_utc()
    with time_machine.travel(start, tick=False):
        for n in range(5):
            async with any_db.session() as session:
                with pytest.raises(InvalidInput, match="No meeting of your branch"):
                    await checkin.meeting_from_code(
                        session, members[0], f"24680{n}", env=env_of(settings), settings=settings
                    )
            async with any_db.session() as session:
                await checkin.record_wrong_code(session, members[0], f"24680{n}", now=start - timedelta(minutes=n))
        async with any_db.session() as session:
            with pytest.raises(InvalidInput, match="Too many wrong") as refused:
                await checkin.meeting_from_code(session, members[0], "135790", env=env_of(settings), settings=settings)
            until = (start - timedelta(minutes=4) + checkin.WRONG_CODE_WINDOW).astimezone(env_of(settings).tz)
            assert refused.value.params["time"] == until.strftime("%H:%M")
            found, member = await checkin.meeting_from_code(
                session, members[1], "135790", env=env_of(settings), settings=settings
            )
            assert found.id == meeting_id and member.id == members[1]  # another member is not locked out
