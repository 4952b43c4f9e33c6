"""Compliance with the required frequencies, the nudge before a period closes, and attendance rates."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from bot.config import Settings
from bot.db import Database
from bot.demo import DemoIds, seed_demo, telegram_id_of
from bot.errors import InvalidInput, PermissionDenied
from bot.features import meeting_hooks
from bot.services import meetings
from bot.services.kinds_of_meeting import Period
from bot.services.meetings import compliance, stats
from storage.meetings import member_history
from storage.models import Member, Organisation
from tests.conftest import study_first_agenda
from tests.meetings_helpers import actor, env_of, member_id, outbox_rows, schedule

TZ = ZoneInfo("Asia/Shanghai")


def test_periods_in_local_time() -> None:
    month = stats.period_range(Period.MONTH, date(2026, 12, 31))
    assert (month.start, month.end, month.key) == (date(2026, 12, 1), date(2026, 12, 31), "2026-12")
    quarter = stats.period_range(Period.QUARTER, date(2026, 11, 26))
    assert (quarter.start, quarter.end, quarter.key) == (date(2026, 10, 1), date(2026, 12, 31), "2026-Q4")
    first = stats.period_range(Period.QUARTER, date(2027, 2, 28))
    assert (first.start, first.end, first.key) == (date(2027, 1, 1), date(2027, 3, 31), "2027-Q1")
    year = stats.period_range(Period.YEAR, date(2028, 2, 29))
    assert (year.start, year.end) == (date(2028, 1, 1), date(2028, 12, 31))
    start, end = month.utc_bounds(TZ)
    assert start.isoformat() == "2026-11-30T16:00:00+00:00" and end.isoformat() == "2026-12-31T16:00:00+00:00"
    # 23:30 on 30 November in Beijing is still November, though it is 15:30 UTC.
    assert not month.contains(datetime(2026, 11, 30, 23, 30, tzinfo=TZ), TZ)
    assert month.contains(datetime(2026, 12, 1, 0, 10, tzinfo=TZ), TZ)
    assert stats.parse_period("季度", date(2026, 11, 26)).key == "2026-Q4"
    with pytest.raises(InvalidInput):
        stats.parse_period("decade", date(2026, 11, 26))


def test_rates_leave_out_approved_leave() -> None:
    rate = stats.rate_of(["present", "late", "absent", "on_leave"])
    assert (rate.attended, rate.expected, rate.percent) == (2, 3, 67)
    assert stats.rate_of([]).percent is None


async def _held(
    db: Database, settings: Settings, branch_id: int, kind: str, at: datetime, tags: tuple[str, ...] = ()
) -> int:
    """A meeting held at ``at``: scheduled, then closed with ``tags``."""
    with time_machine.travel(at - timedelta(days=1), tick=False):
        meeting_id = await schedule(db, settings, branch_id=branch_id, by=None, kind=kind, starts_at=at)
    with time_machine.travel(at + timedelta(hours=2), tick=False):
        async with db.session() as session:
            await study_first_agenda(session, meeting_id)
            await meetings.close_meeting(session, None, meeting_id, tags=tags, hooks=meeting_hooks())
    return meeting_id


async def test_compliance_counts_held_meetings_per_period_kind_group_and_tag(
    db: Database, demo: DemoIds, settings: Settings
) -> None:
    await _held(db, settings, demo.branch_a, "committee_meeting", datetime(2026, 12, 3, 9, 0, tzinfo=TZ))
    await _held(db, settings, demo.branch_a, "committee_meeting", datetime(2026, 11, 3, 9, 0, tzinfo=TZ))
    await _held(
        db,
        settings,
        demo.branch_a,
        "theme_day",
        datetime(2026, 10, 15, 9, 0, tzinfo=TZ),
        tags=("constitution_study",),
    )
    await _held(db, settings, demo.branch_a, "group_meeting", datetime(2026, 12, 8, 9, 0, tzinfo=TZ))
    # A scheduled meeting counts as planned, not held; a cancelled one not at all.
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=TZ), tick=False):
        await schedule(
            db, settings, branch_id=demo.branch_a, by=None, starts_at=datetime(2026, 12, 20, 9, 0, tzinfo=TZ)
        )
        cancelled = await schedule(
            db,
            settings,
            branch_id=demo.branch_a,
            by=None,
            kind="party_lesson",
            starts_at=datetime(2026, 12, 21, 9, 0, tzinfo=TZ),
        )
        async with db.session() as session:
            await meetings.cancel_meeting(session, None, cancelled, env=env_of(settings))
        async with db.session() as session:
            branch = await session.get(Organisation, demo.branch_a)
            assert branch is not None
            items = await compliance.branch_compliance(session, branch, date(2026, 12, 10), env=env_of(settings))
    by_id = {(i.id, i.period.period.value): i for i in items}
    committee = by_id["committee_meeting", "month"]
    assert (committee.held, committee.required, committee.ok, committee.due) == (1, 1, True, date(2026, 12, 31))
    group = by_id["group_meeting", "month"]
    assert (group.held, group.required, group.per_group) == (1, 1, True)
    theme = by_id["theme_day", "month"]
    assert (theme.held, theme.scheduled, theme.ok, theme.due) == (0, 1, False, date(2026, 12, 15))  # fixed day
    lesson = by_id["party_lesson", "quarter"]
    assert (lesson.held, lesson.scheduled, lesson.due) == (0, 0, date(2026, 12, 31))
    constitution = by_id["constitution_study", "year"]
    assert (constitution.is_tag, constitution.held, constitution.ok) == (True, 1, True)
    assert by_id["loyalty_life", "year"].held == 0
    assert ("oath_renewal", "year") not in by_id  # no required frequency
    assert {i.period.key for i in items} == {"2026-12", "2026-Q4", "2026"}


async def test_a_branch_without_groups_owes_no_group_meetings(db: Database, demo: DemoIds, settings: Settings) -> None:
    async with db.session() as session:
        branch = await session.get(Organisation, demo.branch_b)
        assert branch is not None
        items = await compliance.branch_compliance(session, branch, date(2026, 12, 10), env=env_of(settings))
    assert "group_meeting" not in {i.id for i in items}


async def test_who_sees_which_branches(db: Database, demo: DemoIds, settings: Settings) -> None:
    async with db.session() as session:
        secretary = await compliance.compliance_overview(
            session, await actor(session, "A01"), date(2026, 12, 10), env=env_of(settings)
        )
        admin = await compliance.compliance_overview(
            session, await actor(session, "ADM1"), date(2026, 12, 10), env=env_of(settings)
        )
        with pytest.raises(PermissionDenied):
            await compliance.compliance_overview(
                session, await actor(session, "A03"), date(2026, 12, 10), env=env_of(settings)
            )
    assert [b.name for b, _ in secretary] == ["第一党支部"]
    assert sorted(b.name for b, _ in admin) == ["第一党支部", "第二党支部"]


async def test_the_nudge_goes_once_per_period_to_the_leaders_when_a_gap_is_near(
    db: Database, demo: DemoIds, settings: Settings
) -> None:
    await _held(db, settings, demo.branch_b, "committee_meeting", datetime(2026, 12, 3, 9, 0, tzinfo=TZ))
    async with db.session() as session:
        queued = await compliance.send_nudges(
            session, date(2026, 12, 20), env=env_of(settings), days=settings.COMPLIANCE_NUDGE_DAYS
        )
    assert queued == 0  # 12 days before the month closes: too early with the default 7
    for _ in range(2):  # the job runs twice (a restart's catch-up): one nudge per period and leader
        async with db.session() as session:
            await compliance.send_nudges(
                session, date(2026, 12, 26), env=env_of(settings), days=settings.COMPLIANCE_NUDGE_DAYS
            )
    nudges = await outbox_rows(db, "mt-nudge:")
    keys = sorted(r.dedup_key for r in nudges)
    leaders_a = [telegram_id_of("A01"), telegram_id_of("A02")]
    assert sorted({r.chat_id for r in nudges}) == sorted([*leaders_a, telegram_id_of("B01")])
    assert len(keys) == 9 and len(set(keys)) == 9  # 3 leaders × month, quarter, year
    month_a = next(r for r in nudges if r.chat_id == telegram_id_of("A01") and ":2026-12:" in r.dedup_key)
    text = month_a.payload["text"]
    assert "本月将于12月31日结束" in text and "支部委员会会议" in text and "主题党日" in text
    month_b = next(r for r in nudges if r.chat_id == telegram_id_of("B01") and ":2026-12:" in r.dedup_key)
    assert "支部委员会会议" not in month_b.payload["text"]  # held: not a gap
    # A leader who reads English gets it in English.
    async with db.session() as session:
        secretary = await session.get(Member, demo.secretary_a)
        assert secretary is not None
        secretary.language = "en"
    async with db.session() as session:
        await compliance.send_nudges(
            session, date(2027, 3, 28), env=env_of(settings), days=settings.COMPLIANCE_NUDGE_DAYS
        )
    march = [r for r in await outbox_rows(db, "mt-nudge:") if ":2027-03:" in r.dedup_key]
    english = next(r for r in march if r.chat_id == telegram_id_of("A01"))
    assert "this month ends on 31 Mar 2027" in english.payload["text"]


async def test_the_nudge_days_are_configurable(db: Database, demo: DemoIds, settings: Settings) -> None:
    settings.COMPLIANCE_NUDGE_DAYS = 2
    async with db.session() as session:
        assert (
            await compliance.send_nudges(
                session, date(2026, 12, 26), env=env_of(settings), days=settings.COMPLIANCE_NUDGE_DAYS
            )
            == 0
        )
        assert (
            await compliance.send_nudges(
                session, date(2026, 12, 30), env=env_of(settings), days=settings.COMPLIANCE_NUDGE_DAYS
            )
            > 0
        )


async def test_branch_rates_per_member_and_per_meeting(any_db: Database, settings: Settings) -> None:
    """Counted by the database (GROUP BY), the same on SQLite and PostgreSQL."""
    db = any_db
    async with db.session() as session:
        demo = await seed_demo(session)
    first = datetime(2026, 11, 3, 9, 0, tzinfo=TZ)
    with time_machine.travel(first - timedelta(days=1), tick=False):
        one = await schedule(db, settings, branch_id=demo.branch_a, by=None, kind="general_meeting", starts_at=first)
        two = await schedule(db, settings, branch_id=demo.branch_a, by=None, starts_at=first + timedelta(days=10))
    with time_machine.travel(first + timedelta(days=11), tick=False):
        async with db.session() as session:
            a03, a04 = await member_id(session, "A03"), await member_id(session, "A04")
            await meetings.mark_attendance(session, None, one, a03, "present")
            await meetings.mark_attendance(session, None, one, a04, "on_leave")
            await study_first_agenda(session, one)
            await meetings.close_meeting(session, None, one, hooks=meeting_hooks())
            await meetings.mark_attendance(session, None, two, a04, "late")
            await study_first_agenda(session, two)
            await meetings.close_meeting(session, None, two, hooks=meeting_hooks())
    async with db.session() as session:
        start, end = stats.period_range(Period.MONTH, date(2026, 11, 1)).utc_bounds(TZ)
        rates = await stats.branch_rates(session, demo.branch_a, start, end)
        history = await member_history(session, a04, start, end)
    assert rates.meetings == 2
    per_member = {m.member_no: (r.attended, r.expected) for m, r in rates.per_member}
    assert per_member["A03"] == (1, 2) and per_member["A04"] == (1, 1)  # leave is not expected
    assert [(r.attended, r.expected) for _, r in rates.per_meeting] == [(1, 6), (1, 7)]
    assert (rates.overall.attended, rates.overall.expected) == (2, 13)
    assert [a.status for _, a in history] == ["on_leave", "late"]
    async with db.session() as session:
        counted = (await session.scalars(select(Member.member_no).where(Member.org_id == demo.branch_a))).all()
    assert len(counted) == 7
