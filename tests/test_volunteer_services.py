"""Volunteer services on SQLite: communities, registrations, activities, sign-ups, check-in/out, hours, reports."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.demo import DemoIds
from bot.environment import ServiceEnv
from bot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.services import volunteer
from bot.services.tabular import ImportRejected
from bot.services.tokens import installation_secret, make_token
from bot.services.volunteer import reports
from bot.services.volunteer import totals as volunteer_totals
from bot.services.volunteer.timing import (
    day_minutes_outside,
    outside_work_seconds,
    parse_clock_span,
    parse_day,
    parse_hours,
    parse_span,
    period_bounds,
    span_minutes,
)
from storage.models import AuditEntry, Member, OutboxMessage
from storage.volunteer import Activity, Community, CommunityRegistration, ReportStatus, ServiceReport, SignUp
from tests.volunteer_helpers import CFG, ENV, GARDEN, actor_of, add_activity, add_communities

SH = ENV.tz
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "communities.csv"


def local(*args: int) -> datetime:
    """A Shanghai wall-clock time as UTC."""
    return datetime(*args, tzinfo=SH).astimezone(UTC)  # type: ignore[misc]


# Time arithmetic ----------------------------------------------------------------------------------------


def test_outside_work_hours_counts_exactly_across_the_boundaries() -> None:
    # Thursday 2026-06-04, 17:00–20:00: one hour inside 09–18, two outside.
    assert outside_work_seconds(local(2026, 6, 4, 17), local(2026, 6, 4, 20), ENV) == 2 * 3600
    # 08:30–09:30: half an hour before work.
    assert outside_work_seconds(local(2026, 6, 4, 8, 30), local(2026, 6, 4, 9, 30), ENV) == 1800
    # Saturday: all of it.
    assert outside_work_seconds(local(2026, 6, 6, 10), local(2026, 6, 6, 12), ENV) == 7200
    # Friday 17:00 to Saturday 10:00 (17 h): one hour inside.
    assert outside_work_seconds(local(2026, 6, 5, 17), local(2026, 6, 6, 10), ENV) == 16 * 3600
    # Within working hours: none.
    assert span_minutes(local(2026, 6, 4, 10), local(2026, 6, 4, 11, 30), ENV) == (90, 0)
    # A configured working day of 08:30-17:30.
    other = ServiceEnv(work_start=datetime(2000, 1, 1, 8, 30).time(), work_end=datetime(2000, 1, 1, 17, 30).time())
    assert span_minutes(local(2026, 6, 4, 17), local(2026, 6, 4, 18), other) == (60, 30)


def test_outside_work_hours_follows_china_s_working_day_calendar() -> None:
    # Thursday 1 October 2026 is National Day: a public holiday is outside working hours all day.
    assert span_minutes(local(2026, 10, 1, 10), local(2026, 10, 1, 12), ENV) == (120, 120)
    # Saturday 10 October 2026 is a make-up workday (调休): 10:00-12:00 is inside working hours.
    assert span_minutes(local(2026, 10, 10, 10), local(2026, 10, 10, 12), ENV) == (120, 0)
    # Hours reported without times: a holiday counts whole, a make-up workday none.
    assert day_minutes_outside(date(2026, 10, 1), 90, ENV) == 90
    assert day_minutes_outside(date(2026, 10, 10), 90, ENV) == 0


def test_typed_times_and_working_hours_follow_the_configured_zone() -> None:
    berlin = ServiceEnv(tz=ZoneInfo("Europe/Berlin"))
    start, end = parse_span("2026-06-04 17:00-19:00", berlin)  # a Thursday, UTC+2 in summer
    assert (start, end) == (datetime(2026, 6, 4, 15, tzinfo=UTC), datetime(2026, 6, 4, 17, tzinfo=UTC))
    assert span_minutes(start, end, berlin) == (120, 60)  # the hour after 18:00 in Berlin
    assert span_minutes(start, end, ENV) == (120, 120)  # 23:00–01:00 in Shanghai


def test_periods_and_typed_input() -> None:
    assert period_bounds("quarter", date(2026, 11, 26)) == (date(2026, 10, 1), date(2027, 1, 1))
    assert period_bounds("month", date(2026, 12, 5)) == (date(2026, 12, 1), date(2027, 1, 1))
    assert period_bounds("year", date(2026, 2, 1)) == (date(2026, 1, 1), date(2027, 1, 1))
    assert parse_span("2026-06-01 09:00-11:30", ENV) == (local(2026, 6, 1, 9), local(2026, 6, 1, 11, 30))
    assert parse_span("2026/6/1 22:00 - 2026/6/2 01:00", ENV) == (local(2026, 6, 1, 22), local(2026, 6, 2, 1))
    assert parse_clock_span("19:00-21:30", date(2026, 6, 1), ENV) == (local(2026, 6, 1, 19), local(2026, 6, 1, 21, 30))
    assert parse_clock_span("2.5", date(2026, 6, 1), ENV) is None
    assert parse_hours("2,5小时") == 2.5
    assert parse_day("昨天", date(2026, 6, 2)) == date(2026, 6, 1)
    assert parse_day("2026年5月1日", date(2026, 6, 2)) == date(2026, 5, 1)
    # The shared parser's forms (bot.dates): a report's day without a year is the last such day.
    assert parse_day("12月30日", date(2026, 6, 2)) == date(2025, 12, 30)
    assert parse_clock_span("晚上7点到9点半", date(2026, 6, 1), ENV) == (
        local(2026, 6, 1, 19),
        local(2026, 6, 1, 21, 30),
    )
    assert parse_span("2026年6月1日 下午2点到4点", ENV) == (local(2026, 6, 1, 14), local(2026, 6, 1, 16))
    for bad in ("2026-06-01 11:00-09:00", "tomorrow morning", "2026-02-30 09:00-10:00"):
        with pytest.raises(InvalidInput):
            parse_span(bad, ENV)
    for bad in ("two", "nan", "inf"):
        with pytest.raises(InvalidInput):
            parse_hours(bad)
    with pytest.raises(InvalidInput):
        parse_clock_span("21:00-19:00", date(2026, 6, 1), ENV)


# Communities and registration ---------------------------------------------------------------------------


async def test_community_import_is_all_or_nothing_and_idempotent(db: Database, tmp_path: Path) -> None:
    good = tmp_path / "communities.csv"
    good.write_text(
        "name,town,latitude,longitude,contact\n花园社区,东城街道,23.02,113.76,0769-1\n西隅社区,莞城街道,,,\n",
        encoding="utf-8",
    )
    async with db.session() as session:
        result = await volunteer.import_communities(session, good)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    async with db.session() as session:
        again = await volunteer.import_communities(session, good)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "name,town,latitude,longitude\n新社区,东城街道,,\n,东城街道,,\n花园社区,东城街道,95,113\n新社区,东城街道,,\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as rejected:
        async with db.session() as session:
            await volunteer.import_communities(session, bad)
    assert [e.row for e in rejected.value.errors] == [3, 4, 5]
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Community)) == 2


async def test_shipped_example_communities_import(db: Database) -> None:
    async with db.session() as session:
        result = await volunteer.import_communities(session, EXAMPLE)
    assert result.created >= 5


async def test_search_nearest_and_registration_history(db: Database, demo: DemoIds) -> None:
    async with db.session() as session:
        ids = await add_communities(session)
        assert [c.id for c in await volunteer.search_communities(session, "花园")] == [ids["garden"], ids["garden_new"]]
        assert await volunteer.search_communities(session, "100%") == []
        near = await volunteer.nearest_communities(session, GARDEN[0] - 0.009, GARDEN[1])  # ~1 km south
        assert [c.id for c, _ in near] == [ids["garden"], ids["garden_new"]]  # 西隅 has no position
        assert 900 < near[0][1] < 1100
        with pytest.raises(NotFound):
            await volunteer.resolve_community(session, "不存在社区")
        with pytest.raises(InvalidInput):
            await volunteer.resolve_community(session, "花园")  # two fit
        assert (await volunteer.resolve_community(session, "花园社区")).id == ids["garden"]
        me = await actor_of(session, "A03")
        await volunteer.register_community(session, me, ids["garden"], date(2026, 1, 5))
        with pytest.raises(Conflict):
            await volunteer.register_community(session, me, ids["garden"], date(2026, 2, 1))
        await volunteer.register_community(session, me, ids["xiyu"], date(2026, 3, 1))
        history = await volunteer.registration_history(session, me.member_id)
        member = await session.get(Member, me.member_id)
        assert member is not None and member.community == "西隅社区"
    assert [(h.community.name, h.registered_on, h.ended_on) for h in history] == [
        ("西隅社区", date(2026, 3, 1), None),
        ("花园社区", date(2026, 1, 5), date(2026, 3, 1)),
    ]
    async with db.session() as session:
        current = await session.scalar(
            select(func.count()).select_from(CommunityRegistration).where(CommunityRegistration.ended_on.is_(None))
        )
        assert current == 1


async def test_who_has_registered_and_counts_per_community(db: Database, demo: DemoIds) -> None:
    async with db.session() as session:
        ids = await add_communities(session)
        for number in ("A03", "A04", "B02"):
            await volunteer.register_community(
                session, await actor_of(session, number), ids["garden"], date(2026, 1, 5)
            )
        secretary = await actor_of(session, "A01")
        lines = await volunteer.branch_registrations(session, secretary, demo.branch_a)
        registered = {line.member.member_no for line in lines if line.registration}
        assert registered == {"A03", "A04"} and len(lines) == 7
        with pytest.raises(PermissionDenied):
            await volunteer.branch_registrations(session, await actor_of(session, "A03"), demo.branch_a)
        with pytest.raises(PermissionDenied):
            await volunteer.branch_registrations(session, secretary, demo.branch_b)
        counts = await volunteer.community_counts(session, await actor_of(session, "ADM1"))
        assert [(c.name, n) for c, n in counts] == [("花园社区", 3)]
        with pytest.raises(PermissionDenied):
            await volunteer.community_counts(session, secretary)


# Activities, sign-up, dispatch ----------------------------------------------------------------------------


async def test_posting_validates_and_dispatches_with_notices(db: Database, demo: DemoIds) -> None:
    async with db.session() as session:
        ids = await add_communities(session)
        secretary = await actor_of(session, "A01")
        member = await actor_of(session, "A03")
        with pytest.raises(PermissionDenied):
            await add_activity(session, member, ids["garden"])
        with pytest.raises(InvalidInput):
            await add_activity(session, secretary, ids["garden"], starts_in=timedelta(hours=-1))
        with pytest.raises(InvalidInput):
            await add_activity(session, secretary, ids["garden"], slots=0)
        with pytest.raises(InvalidInput):
            await add_activity(session, secretary, ids["garden"], hours=-1)
        with pytest.raises(NotFound):
            await add_activity(session, secretary, 9999)
        with pytest.raises(PermissionDenied):  # a secretary sends only to their own branch
            await add_activity(session, secretary, ids["garden"], dispatch_to=[demo.branch_b])
        activity = await add_activity(session, secretary, ids["garden"])
        notices = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.like("vol:notice:%")))
        ).all()
        # Branch A's bound members (A01–A05) are told, with a sign-up button.
        assert len(notices) == 5
        assert notices[0].payload["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == f"va:{activity.id}:join"
        with pytest.raises(NotFound):  # not sent to branch B
            await volunteer.sign_up(session, await actor_of(session, "B02"), activity.id)
        admin = await actor_of(session, "ADM1")
        wide = await add_activity(session, admin, ids["xiyu"], dispatch_to=[demo.unit])
        assert {
            v.activity.id for v in await volunteer.upcoming_activities(session, await actor_of(session, "B02"))
        } == {wide.id}
        assert (
            await volunteer.dispatch_activity(session, admin, wide.id, [demo.branch_a], env=ENV) == []
        )  # already there
        audit = (await session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "activity"))).all()
        assert audit.count("create") == 2 and audit.count("dispatch") == 2


async def test_waiting_list_moves_up_on_cancellation(db: Database, demo: DemoIds) -> None:
    async with db.session() as session:
        ids = await add_communities(session)
        activity = await add_activity(session, await actor_of(session, "A01"), ids["garden"], slots=1)
        first, second, third = [await actor_of(session, n) for n in ("A03", "A04", "A05")]
        assert (await volunteer.sign_up(session, first, activity.id)).confirmed
        with pytest.raises(Conflict):
            await volunteer.sign_up(session, first, activity.id)
        waiting = await volunteer.sign_up(session, second, activity.id)
        assert not waiting.confirmed and waiting.waiting_position == 1
        assert (await volunteer.sign_up(session, third, activity.id)).waiting_position == 2
        with pytest.raises(Conflict):
            await volunteer.sign_up(session, second, activity.id)
        outcome = await volunteer.cancel_signup(session, first, activity.id, env=ENV)
        assert outcome.promoted is not None and outcome.promoted.member_no == "A04"
        view = await volunteer.activity_view(session, third, activity.id)
        assert view.waiting_position == 1 and view.activity.taken == 1
        # The waiting member leaves: no place changes hands.
        assert (await volunteer.cancel_signup(session, third, activity.id, env=ENV)).promoted is None
        # Cancelled, then signing up again: back at the end of the list.
        again = await volunteer.sign_up(session, first, activity.id)
        assert not again.confirmed and again.waiting_position == 1
        with pytest.raises(Conflict):
            await volunteer.cancel_signup(session, third, activity.id, env=ENV)
        promoted = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.like("vol:promoted:%")))
        ).all()
        assert len(promoted) == 1


# Check-in and check-out -------------------------------------------------------------------------------


async def test_check_in_and_out_by_qr_and_location(db: Database, demo: DemoIds) -> None:
    async with db.session() as session:
        ids = await add_communities(session)
        activity = await add_activity(session, await actor_of(session, "A01"), ids["garden"], slots=2, radius_m=200)
        me = await actor_of(session, "A03")
        await volunteer.sign_up(session, me, activity.id)
        secret = await installation_secret(session)
        assert await volunteer.activity_from_token(session, make_token(secret, "v", activity.id)) == activity.id
        with pytest.raises(InvalidInput):
            await volunteer.activity_from_token(session, make_token(secret, "m", activity.id))  # a meeting's code
        start = activity.starts_at
        with pytest.raises(InvalidInput):  # too early
            await volunteer.check_in(session, me, activity.id, env=ENV, method="qr", now=start - timedelta(hours=2))
        with pytest.raises(InvalidInput):  # too far (about 1 km)
            await volunteer.check_in(
                session, me, activity.id, env=ENV, method="location", location=(GARDEN[0] + 0.009, GARDEN[1]), now=start
            )
        checked = await volunteer.check_in(
            session,
            me,
            activity.id,
            env=ENV,
            method="location",
            location=(GARDEN[0] + 0.001, GARDEN[1]),
            now=start - timedelta(minutes=10),
        )
        assert checked.action == "in"
        again = await volunteer.check_in(session, me, activity.id, env=ENV, method="qr", now=start)
        assert again.action == "already_in"
        out = await volunteer.check_out(
            session, me, activity.id, env=ENV, method="qr", now=start + timedelta(minutes=75)
        )
        assert out.signup.minutes == 75  # counted from the start, not from the early check-in
        with pytest.raises(Conflict):
            await volunteer.check_in(session, me, activity.id, env=ENV, method="qr", now=start + timedelta(minutes=80))
        with pytest.raises(Conflict):
            await volunteer.check_out(session, me, activity.id, env=ENV, method="qr", now=start + timedelta(minutes=80))
        # A walk-in gets a free place; when none is left, they are refused.
        walk_in = await actor_of(session, "A04")
        assert (await volunteer.check_in(session, walk_in, activity.id, env=ENV, method="qr", now=start)).action == "in"
        late = await actor_of(session, "A05")
        with pytest.raises(Conflict):
            await volunteer.check_in(session, late, activity.id, env=ENV, method="qr", now=start)
        with pytest.raises(InvalidInput):  # after the end
            await volunteer.check_in(
                session, late, activity.id, env=ENV, method="qr", now=activity.ends_at + timedelta(1)
            )
        rows = await session.scalar(select(func.count()).select_from(SignUp).where(SignUp.activity_id == activity.id))
        assert rows == 3


async def test_forgotten_check_out_is_closed_flagged_and_corrected(db: Database, demo: DemoIds) -> None:
    async with db.session() as session:
        ids = await add_communities(session)
        activity = await add_activity(session, await actor_of(session, "A01"), ids["garden"], hours=3)
        me = await actor_of(session, "A03")
        await volunteer.sign_up(session, me, activity.id)
        await volunteer.check_in(
            session, me, activity.id, env=ENV, method="qr", now=activity.starts_at + timedelta(hours=1)
        )
        assert await volunteer.close_forgotten_checkouts(session, env=ENV, now=activity.ends_at) == 0  # grace time
        later = activity.ends_at + timedelta(hours=2)
        assert await volunteer.close_forgotten_checkouts(session, env=ENV, now=later) == 1
        assert await volunteer.close_forgotten_checkouts(session, env=ENV, now=later) == 0
        signup = await session.scalar(select(SignUp).where(SignUp.activity_id == activity.id))
        assert signup is not None and signup.auto_closed and signup.minutes == 120
        told = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.like("vol:autoclosed:%")))
        ).all()
        assert len(told) == 2  # the secretary and the delegated committee member
        secretary = await actor_of(session, "A01")
        assert [line.member.member_no for line in await volunteer.flagged_checkouts(session, secretary)] == ["A03"]
        with pytest.raises(PermissionDenied):
            await volunteer.confirm_hours(session, await actor_of(session, "B01"), signup.id)
        with pytest.raises(InvalidInput):
            await volunteer.correct_hours(session, secretary, signup.id, 1.5, "  ", env=ENV)
        with pytest.raises(InvalidInput):
            await volunteer.correct_hours(session, secretary, signup.id, 4, "longer", env=ENV)
        fixed = await volunteer.correct_hours(session, secretary, signup.id, 1.5, "离开较早", env=ENV)
        assert fixed.minutes == 90 and fixed.confirmed_at is not None
        assert await volunteer.flagged_checkouts(session, secretary) == []
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "correct_hours"))
        assert entry is not None and entry.details["old_minutes"] == 120 and entry.details["reason"] == "离开较早"
        with pytest.raises(Conflict):
            await volunteer.confirm_hours(session, secretary, signup.id)


async def test_day_before_reminder_once_at_the_configured_hour(db: Database, demo: DemoIds) -> None:
    now = local(2030, 6, 3, 7)  # Monday 07:00 in Shanghai
    async with db.session() as session:
        ids = await add_communities(session)
        secretary = await actor_of(session, "A01")
        tomorrow = await add_activity(session, secretary, ids["garden"], starts_in=timedelta(hours=26), now=now)
        await add_activity(session, secretary, ids["garden"], starts_in=timedelta(days=3), now=now, title="后天以后")
        for number in ("A03", "A04"):
            await volunteer.sign_up(session, await actor_of(session, number), tomorrow.id, now=now)
        assert await volunteer.queue_reminders(session, CFG, env=ENV, now=now) == 2
        assert await volunteer.queue_reminders(session, CFG, env=ENV, now=now + timedelta(hours=11)) == 0
        rows = (await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder"))).all()
    assert {r.not_before for r in rows} == {local(2030, 6, 3, 18)}
    assert all("明天" in r.payload["text"] for r in rows)


async def test_a_place_taken_after_the_reminder_run_is_reminded_at_the_next_run(db: Database, demo: DemoIds) -> None:
    """The reminder job runs every quarter of an hour: a late sign-up still hears the day before, once."""
    now = local(2030, 6, 3, 18)  # Monday, the reminder hour
    async with db.session() as session:
        ids = await add_communities(session)
        secretary = await actor_of(session, "A01")
        tomorrow = await add_activity(session, secretary, ids["garden"], starts_in=timedelta(hours=15), now=now)
        await volunteer.sign_up(session, await actor_of(session, "A03"), tomorrow.id, now=now)
        assert await volunteer.queue_reminders(session, CFG, env=ENV, now=now) == 1
        late = now + timedelta(minutes=40)
        await volunteer.sign_up(session, await actor_of(session, "A04"), tomorrow.id, now=late)
        assert await volunteer.queue_reminders(session, CFG, env=ENV, now=late + timedelta(minutes=5)) == 1
        rows = (await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder"))).all()
    assert sorted(r.member_id for r in rows) == sorted([demo.members_a[2], demo.members_a[3]])
    assert max(r.not_before for r in rows) == late + timedelta(minutes=5)  # sent at once, the hour has passed


# Self-reports and totals -------------------------------------------------------------------------------


async def test_self_report_rules_queue_and_decisions(db: Database, demo: DemoIds) -> None:
    now = local(2030, 6, 5, 22)  # Wednesday evening
    today = date(2030, 6, 5)
    async with db.session() as session:
        ids = await add_communities(session)
        me = await actor_of(session, "A03")
        secretary = await actor_of(session, "A01")

        def entry(**kw: object) -> reports.ReportInput:
            base: dict[str, object] = {"day": today, "description": "清理楼道", "community_id": ids["garden"]}
            base.update(kw)
            return reports.ReportInput(**base)  # type: ignore[arg-type]

        for bad in (
            entry(hours=0.25),
            entry(hours=13),
            entry(day=today + timedelta(days=1), hours=2),
            entry(span=(local(2030, 6, 5, 21), local(2030, 6, 5, 23))),  # ends in the future
            entry(hours=2, description="  "),
            entry(hours=2, community_id=None),
            entry(hours=2, photo_sizes=[11 * 1024 * 1024]),
        ):
            with pytest.raises(InvalidInput):
                await reports.submit_report(session, me, bad, CFG, env=ENV, now=now)
        with pytest.raises(NotFound):
            await reports.submit_report(session, me, entry(hours=2, community_id=999), CFG, env=ENV, now=now)
        evening = await reports.submit_report(
            session,
            me,
            entry(span=(local(2030, 6, 5, 17), local(2030, 6, 5, 20)), photos=["f1"]),
            CFG,
            env=ENV,
            now=now,
            ref="r1",
        )
        assert (evening.minutes, evening.outside_minutes) == (180, 120)
        with pytest.raises(Conflict):
            await reports.submit_report(session, me, entry(hours=1), CFG, env=ENV, now=now, ref="r1")
        with pytest.raises(InvalidInput):  # 3 + 10 > 12 hours that day
            await reports.submit_report(session, me, entry(hours=10), CFG, env=ENV, now=now)
        weekday_hours = await reports.submit_report(
            session,
            me,
            entry(day=today - timedelta(days=1), hours=2, community_id=None, place="敬老院"),
            CFG,
            env=ENV,
            now=now,
        )
        assert weekday_hours.outside_minutes == 0  # no times given on a workday
        told = (await session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.like("vol:report:%")))).all()
        assert len(told) == 4  # two reports, two leaders each
        # Another branch's secretary may not decide; nobody decides on their own report.
        with pytest.raises(PermissionDenied):
            await reports.approve_reports(session, await actor_of(session, "B01"), [evening.id], env=ENV)
        with pytest.raises(PermissionDenied):
            await reports.approve_reports(session, me, [evening.id], env=ENV)
        queue = await reports.approval_queue(session, secretary)
        assert [r.id for r, _ in queue.items] == [evening.id, weekday_hours.id] and queue.total == 2
        approved = await reports.approve_range(session, secretary, evening.id, weekday_hours.id, env=ENV)
        assert len(approved) == 2
        with pytest.raises(Conflict):
            await reports.approve_reports(session, secretary, [evening.id], env=ENV)
        with pytest.raises(Conflict):
            await reports.reject_report(session, secretary, evening.id, "太晚", env=ENV)
        third = await reports.submit_report(
            session, me, entry(day=today - timedelta(days=2), hours=1), CFG, env=ENV, now=now
        )
        with pytest.raises(InvalidInput):
            await reports.reject_report(session, secretary, third.id, " ", env=ENV)
        await reports.reject_report(session, secretary, third.id, "没有照片", env=ENV)
        outcomes = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.dedup_key.like("vol:outcome:%")))
        ).all()
        assert len(outcomes) == 3 and "没有照片" in outcomes[-1].payload["text"]
        statuses = dict((await session.execute(select(ServiceReport.id, ServiceReport.status))).all())
        assert statuses == {evening.id: "approved", weekday_hours.id: "approved", third.id: ReportStatus.REJECTED}


async def test_totals_count_activities_and_approved_reports_only(db: Database, demo: DemoIds) -> None:
    async with db.session() as session:
        ids = await add_communities(session)
        secretary = await actor_of(session, "A01")
        me = await actor_of(session, "A03")
        activity = await add_activity(session, secretary, ids["garden"], hours=3)
        await volunteer.sign_up(session, me, activity.id)
        await volunteer.check_in(session, me, activity.id, env=ENV, method="qr", now=activity.starts_at)
        await volunteer.check_out(
            session, me, activity.id, env=ENV, method="qr", now=activity.starts_at + timedelta(hours=2)
        )
        day = activity.starts_at.astimezone(SH).date()
        pending = await reports.submit_report(
            session,
            me,
            reports.ReportInput(day=day - timedelta(days=3), hours=1, description="宣讲", place="广场"),
            CFG,
            env=ENV,
        )
        await reports.submit_report(
            session,
            await actor_of(session, "A04"),
            reports.ReportInput(day=day - timedelta(days=3), hours=1.5, description="宣讲", place="广场"),
            CFG,
            env=ENV,
        )
        first, following = day.replace(day=1), day + timedelta(days=40)
        totals = await volunteer_totals.totals_for(
            session, {demo.branch_a}, day - timedelta(days=10), following, env=ENV
        )
        by_no = {t.member.member_no: t for t in totals.members}
        assert by_no["A03"].minutes == 120 and by_no["A03"].activities == 1 and by_no["A04"].minutes == 0
        await reports.approve_reports(session, secretary, [pending.id], env=ENV)
        totals = await volunteer_totals.totals_for(
            session, {demo.branch_a}, day - timedelta(days=10), following, env=ENV
        )
        by_no = {t.member.member_no: t for t in totals.members}
        assert by_no["A03"].minutes == 180 and by_no["A03"].reported_minutes == 60
        assert "A04" in {m.member_no for m in totals.without_service}
        assert first <= day
        branch = await volunteer_totals.branch_totals(session, secretary, "year", day, env=ENV)
        assert {t.member.org_id for t in branch.members} == {demo.branch_a}
        admin = await volunteer_totals.branch_totals(session, await actor_of(session, "ADM1"), "year", day, env=ENV)
        assert {b.id for b, *_ in admin.by_branch()} >= {demo.branch_a, demo.branch_b}
        with pytest.raises(PermissionDenied):
            await volunteer_totals.branch_totals(session, me, "year", day, env=ENV)
        mine = await volunteer_totals.my_service(session, me, env=ENV, now=activity.ends_at + timedelta(hours=1))
        assert mine.periods["year"].minutes >= 120 and [a.id for a, _ in mine.recent] == [activity.id]
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Activity)) == 1


async def test_community_import_reads_xlsx(db: Database, tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["name", "town", "latitude", "longitude", "contact"])
    sheet.append(["花园社区", "东城街道", 23.02, 113.76, "0769-1"])
    sheet.append(["主山社区", "东城街道", None, None, None])
    path = tmp_path / "communities.xlsx"
    workbook.save(path)
    async with db.session() as session:
        result = await volunteer.import_communities(session, path)
        garden = await session.scalar(select(Community).where(Community.name == "花园社区"))
    assert result.created == 2 and garden is not None and garden.latitude == 23.02
