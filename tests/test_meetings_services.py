"""Meetings services on SQLite: scheduling, permissions, edits, cancellation, answers and leave, reminders,
closing, and the bad input the issue lists."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bot import dates
from bot.clock import now_utc
from bot.config import Settings, load_settings
from bot.db import Database
from bot.demo import DemoIds, telegram_id_of
from bot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.features import meeting_hooks
from bot.i18n import translator
from bot.services import meetings
from bot.services.kinds_of_meeting import KINDS_BY_ID
from bot.services.meetings.hooks import MeetingHooks
from storage.meetings import Meeting
from tests.meetings_helpers import actor, audit_actions, env_of, get, member_id, outbox_rows, schedule, statuses

TZ = ZoneInfo("Asia/Shanghai")


# --- parsing ------------------------------------------------------------------------------------------------


def test_dates_and_times_as_secretaries_type_them() -> None:
    # The meetings' flows, one-line /newmeeting and the command line read them with bot.dates (the one parser).
    today = date(2026, 11, 26)
    assert dates.parse_date("2026-12-15", today) == date(2026, 12, 15)
    assert dates.parse_date("2026/12/5", today) == date(2026, 12, 5)
    assert dates.parse_date("2026年12月15日", today) == date(2026, 12, 15)
    assert dates.parse_date("12月15日", today) == date(2026, 12, 15)
    assert dates.parse_date("1-5", date(2026, 12, 28)) == date(2027, 1, 5)  # next week, not last January
    assert dates.parse_date("12-28", date(2027, 1, 3)) == date(2026, 12, 28)  # recorded after the fact
    assert dates.parse_time("14:30") == time(14, 30)
    assert dates.parse_time("14：30") == time(14, 30)
    assert dates.parse_time("0930") == time(9, 30)
    assert dates.parse_time("9点") == time(9, 0)
    assert dates.parse_time_range("14:30-16:00") == dates.TimeRange(time(14, 30), time(16, 0))
    assert dates.parse_time_range("14:30至16:00") == dates.TimeRange(time(14, 30), time(16, 0))
    assert dates.parse_time_range("14:30", open_end=True) == dates.TimeRange(time(14, 30))
    for bad in ("2026-02-30", "32/1"):
        with pytest.raises(InvalidInput):
            dates.parse_date(bad, today)
    for bad in ("25:00", "14:75"):
        with pytest.raises(InvalidInput):
            dates.parse_time(bad)
    when = dates.parse_when("2026-12-15 14:30", today, time_required=True)
    assert datetime.combine(when.day, when.start or time(), tzinfo=TZ).astimezone(UTC) == datetime(
        2026, 12, 15, 6, 30, tzinfo=UTC
    )
    line = meetings.parse_meeting_line("主题党日 2026-12-15 下午2点到4点 三楼会议室", TZ, today)
    assert (line.starts_at.hour, line.ends_at.hour if line.ends_at else None) == (14, 16)


def test_kinds_by_id_chinese_name_and_short_form() -> None:
    assert meetings.resolve_kind("theme_day").id == "theme_day"
    assert meetings.resolve_kind("主题党日").id == "theme_day"
    assert meetings.resolve_kind("支委会").id == "committee_meeting"
    assert meetings.resolve_kind("Party lesson").id == "party_lesson"
    with pytest.raises(InvalidInput) as refused:
        meetings.resolve_kind("tea_party")
    text = refused.value.localized(translator("zh_CN"))
    assert "未知的会议类型“tea_party”" in text and "general_meeting" in text


# --- scheduling ---------------------------------------------------------------------------------------------


async def test_scheduling_notifies_bound_members_and_the_group_and_is_audited(
    db: Database, demo: DemoIds, settings: Settings
) -> None:
    async with db.session() as session:
        from storage.models import Organisation

        branch = await session.get(Organisation, demo.branch_a)
        assert branch is not None
        branch.chat_id = -100777
    meeting_id = await schedule(db, settings, branch_id=demo.branch_a, place="三楼会议室", topic="重温入党誓词")
    meeting = await get(db, meeting_id)
    assert meeting.status == "scheduled" and meeting.checkin_code and len(meeting.checkin_code) == 6
    assert meeting.ends_at - meeting.starts_at == timedelta(minutes=90)
    # Every member of the branch has one row, bound or not; admins and other branches have none.
    assert set((await statuses(db, meeting_id)).values()) == {"no_answer"}
    assert sorted(await statuses(db, meeting_id)) == ["A01", "A02", "A03", "A04", "A05", "A06", "A07"]
    notices = await outbox_rows(db, f"mt:{meeting_id}:notice:")
    chats = {row.chat_id for row in notices}
    assert chats == {telegram_id_of(n) for n in ("A01", "A02", "A03", "A04", "A05")} | {-100777}
    private = next(r for r in notices if r.chat_id == telegram_id_of("A03"))
    assert "第一党支部会议通知" in private.payload["text"] and "三楼会议室" in private.payload["text"]
    buttons = private.payload["reply_markup"]["inline_keyboard"][0]
    assert [b["callback_data"] for b in buttons] == [f"mt:{meeting_id}:att", f"mt:{meeting_id}:lv"]
    assert await audit_actions(db, meeting_id) == ["meeting_create"]


async def test_a_member_or_another_branchs_secretary_cannot_schedule(
    db: Database, demo: DemoIds, settings: Settings
) -> None:
    with pytest.raises(PermissionDenied):
        await schedule(db, settings, branch_id=demo.branch_a, by="A03")
    with pytest.raises(PermissionDenied):
        await schedule(db, settings, branch_id=demo.branch_a, by="B01")
    # The delegated committee member and the unit's administrator may.
    assert await schedule(db, settings, branch_id=demo.branch_a, by="A02", kind="committee_meeting")
    assert await schedule(db, settings, branch_id=demo.branch_a, by="ADM1", kind="party_lesson")
    async with db.session() as session:
        from sqlalchemy import func, select

        assert await session.scalar(select(func.count()).select_from(Meeting)) == 2


async def test_bad_scheduling_input_is_refused_and_nothing_is_stored(
    db: Database, demo: DemoIds, settings: Settings
) -> None:
    start = (now_utc() + timedelta(days=2)).replace(second=0, microsecond=0)
    with pytest.raises(InvalidInput, match="end after it starts"):
        await schedule(db, settings, branch_id=demo.branch_a, starts_at=start, ends_at=start - timedelta(hours=1))
    with pytest.raises(InvalidInput, match="Unknown meeting kind"):
        await schedule(db, settings, branch_id=demo.branch_a, kind="banquet")
    with pytest.raises(InvalidInput, match="unit's Party body"):
        await schedule(db, settings, branch_id=demo.branch_a, kind="study_group_session")
    with pytest.raises(InvalidInput, match="no Party groups"):
        await schedule(db, settings, branch_id=demo.branch_b, by="B01", kind="group_meeting")
    with pytest.raises(InvalidInput, match="more than a year ahead"):
        await schedule(db, settings, branch_id=demo.branch_a, starts_in=timedelta(days=500))
    with pytest.raises(NotFound):
        await schedule(db, settings, branch_id=demo.unit, by=None)
    assert await outbox_rows(db, "mt:") == []
    first = await schedule(db, settings, branch_id=demo.branch_a, starts_at=start)
    with pytest.raises(Conflict, match="already scheduled") as refused:
        await schedule(db, settings, branch_id=demo.branch_a, starts_at=start)
    assert isinstance(refused.value, meetings.AlreadyScheduled) and refused.value.meeting_id == first


async def test_group_meeting_expects_only_the_groups_members(db: Database, demo: DemoIds, settings: Settings) -> None:
    async with db.session() as session:
        from storage.models import Member

        a05 = await session.get(Member, demo.members_a[4])
        assert a05 is not None
        a05.group_id = None  # 陈静 is in no group
    meeting_id = await schedule(db, settings, branch_id=demo.branch_a, kind="group_meeting")
    meeting = await get(db, meeting_id)
    assert meeting.group_id == demo.group_a1
    assert "A05" not in await statuses(db, meeting_id)
    async with db.session() as session:
        with pytest.raises(PermissionDenied, match="第一党小组"):
            await meetings.answer_attend(session, await actor(session, "A05"), meeting_id)


async def test_a_past_meeting_is_recorded_without_notices(db: Database, demo: DemoIds, settings: Settings) -> None:
    meeting_id = await schedule(db, settings, branch_id=demo.branch_a, starts_in=-timedelta(days=5))
    assert await outbox_rows(db, f"mt:{meeting_id}:") == []
    assert (await get(db, meeting_id)).notified_at is None


# --- editing, postponing, cancelling ------------------------------------------------------------------------


async def test_postponing_keeps_the_length_and_announces_each_change_once(
    db: Database, demo: DemoIds, settings: Settings
) -> None:
    meeting_id = await schedule(db, settings, branch_id=demo.branch_a, place="三楼会议室")
    before = await get(db, meeting_id)
    async with db.session() as session:
        changed = await meetings.edit_meeting(
            session,
            await actor(session, "A01"),
            meeting_id,
            env=env_of(settings),
            starts_at=before.starts_at + timedelta(days=1),
        )
    assert changed == ["starts_at", "ends_at"]
    after = await get(db, meeting_id)
    assert after.ends_at - after.starts_at == before.ends_at - before.starts_at
    async with db.session() as session:
        await meetings.edit_meeting(
            session, await actor(session, "A02"), meeting_id, env=env_of(settings), place="党员活动室"
        )
    changes = await outbox_rows(db, f"mt:{meeting_id}:change:")
    assert {r.dedup_key.split(":")[3] for r in changes} == {"1", "2"}
    moved = [r for r in changes if r.dedup_key.endswith(f":1:{await _id(db, 'A03')}")]
    assert len(moved) == 1 and "会议时间已调整" in moved[0].payload["text"]
    assert await audit_actions(db, meeting_id) == ["meeting_create", "meeting_postpone", "meeting_edit"]
    async with db.session() as session:
        with pytest.raises(InvalidInput, match="Nothing changed"):
            await meetings.edit_meeting(
                session, await actor(session, "A01"), meeting_id, env=env_of(settings), place="党员活动室"
            )
        with pytest.raises(PermissionDenied):
            await meetings.edit_meeting(
                session, await actor(session, "A03"), meeting_id, env=env_of(settings), place="x"
            )
        with pytest.raises(InvalidInput, match="end after it starts"):
            await meetings.edit_meeting(
                session, await actor(session, "A01"), meeting_id, env=env_of(settings), ends_at=after.starts_at
            )


async def _id(db: Database, member_no: str) -> int:
    async with db.session() as session:
        return await member_id(session, member_no)


async def test_cancelling_announces_and_refuses_further_changes(
    db: Database, demo: DemoIds, settings: Settings
) -> None:
    meeting_id = await schedule(db, settings, branch_id=demo.branch_a)
    async with db.session() as session:
        await meetings.cancel_meeting(session, await actor(session, "A01"), meeting_id, env=env_of(settings))
    cancelled = await outbox_rows(db, f"mt:{meeting_id}:cancel:")
    assert len(cancelled) == 5 and all("已取消" in r.payload["text"] for r in cancelled)
    assert all("reply_markup" not in r.payload for r in cancelled)
    async with db.session() as session:
        secretary = await actor(session, "A01")
        with pytest.raises(Conflict, match="already cancelled"):
            await meetings.cancel_meeting(session, secretary, meeting_id, env=env_of(settings))
        with pytest.raises(InvalidInput, match="cancelled"):
            await meetings.edit_meeting(session, secretary, meeting_id, env=env_of(settings), place="x")
        with pytest.raises(InvalidInput, match="cancelled"):
            await meetings.answer_attend(session, await actor(session, "A03"), meeting_id)
    assert await audit_actions(db, meeting_id) == ["meeting_create", "meeting_cancel"]


# --- answers and leave --------------------------------------------------------------------------------------


async def test_attend_leave_and_the_secretarys_decision(db: Database, demo: DemoIds, settings: Settings) -> None:
    meeting_id = await schedule(db, settings, branch_id=demo.branch_a)
    async with db.session() as session:
        await meetings.answer_attend(session, await actor(session, "A03"), meeting_id)
    async with db.session() as session:
        with pytest.raises(Conflict, match="already said you will attend"):
            await meetings.answer_attend(session, await actor(session, "A03"), meeting_id)
    for blank in ("", "   ", "x"):
        async with db.session() as session:
            with pytest.raises(InvalidInput, match="reason"):
                await meetings.request_leave(
                    session, await actor(session, "A04"), meeting_id, blank, env=env_of(settings)
                )
    assert (await statuses(db, meeting_id))["A04"] == "no_answer"
    async with db.session() as session:
        await meetings.request_leave(
            session, await actor(session, "A04"), meeting_id, "出差 去北京", env=env_of(settings)
        )
        await meetings.request_leave(session, await actor(session, "A05"), meeting_id, "家中有事", env=env_of(settings))
    async with db.session() as session:
        with pytest.raises(Conflict, match="already asked for leave"):
            await meetings.prepare_leave(session, await actor(session, "A04"), meeting_id)
    requests = await outbox_rows(db, f"mt:{meeting_id}:leave:")
    # Both leaders get each request with approve / refuse buttons; the reason is quoted.
    assert {r.chat_id for r in requests} == {telegram_id_of("A01"), telegram_id_of("A02")} and len(requests) == 4
    a04 = await _id(db, "A04")
    first = next(r for r in requests if "刘洋" in r.payload["text"])
    assert "出差 去北京" in first.payload["text"]
    assert [b["callback_data"] for b in first.payload["reply_markup"]["inline_keyboard"][0]] == [
        f"mt:{meeting_id}:ok:{a04}",
        f"mt:{meeting_id}:no:{a04}",
    ]
    async with db.session() as session:
        with pytest.raises(PermissionDenied):
            await meetings.decide_leave(
                session, await actor(session, "A03"), meeting_id, a04, True, env=env_of(settings)
            )
        await meetings.decide_leave(session, await actor(session, "A01"), meeting_id, a04, True, env=env_of(settings))
        await meetings.decide_leave(
            session,
            await actor(session, "A01"),
            meeting_id,
            await member_id(session, "A05"),
            False,
            env=env_of(settings),
        )
    async with db.session() as session:
        with pytest.raises(Conflict, match="already handled this: leave approved") as late:
            await meetings.decide_leave(
                session, await actor(session, "A02"), meeting_id, a04, False, env=env_of(settings)
            )
        assert late.value.localized(translator("zh_CN")) == "已由其他负责人处理：已批准刘洋的请假。"
    result = await statuses(db, meeting_id)
    assert (result["A03"], result["A04"], result["A05"]) == ("attending", "on_leave", "no_answer")
    decisions = await outbox_rows(db, f"mt:{meeting_id}:leave-decided:")
    texts = {r.chat_id: r.payload["text"] for r in decisions}
    assert "已获批准" in texts[telegram_id_of("A04")] and "未获批准" in texts[telegram_id_of("A05")]
    assert await audit_actions(db, meeting_id) == ["meeting_create", "leave_approve", "leave_refuse"]


async def test_members_of_another_branch_cannot_answer(db: Database, demo: DemoIds, settings: Settings) -> None:
    meeting_id = await schedule(db, settings, branch_id=demo.branch_a)
    async with db.session() as session:
        with pytest.raises(PermissionDenied) as refused:  # issue 11: the other branch is not named
            await meetings.answer_attend(session, await actor(session, "B02"), meeting_id)
        assert refused.value.localized(translator("zh_CN")) == "该会议不属于您的支部。"
        with pytest.raises(PermissionDenied):
            await meetings.prepare_leave(session, await actor(session, "B02"), meeting_id)


async def test_answers_close_when_the_meeting_begins(db: Database, demo: DemoIds, settings: Settings) -> None:
    meeting_id = await schedule(db, settings, branch_id=demo.branch_a, starts_in=timedelta(minutes=10))
    with time_machine.travel(now_utc() + timedelta(minutes=15), tick=False):
        async with db.session() as session:
            with pytest.raises(InvalidInput, match="already begun"):
                await meetings.answer_attend(session, await actor(session, "A03"), meeting_id)


# --- reminders ----------------------------------------------------------------------------------------------


async def test_reminders_the_day_before_and_the_hour_before_once_each(
    db: Database, demo: DemoIds, settings: Settings
) -> None:
    async with db.session() as session:
        from storage.models import Organisation

        branch = await session.get(Organisation, demo.branch_a)
        assert branch is not None
        branch.chat_id = -100777
    start = datetime(2026, 12, 15, 14, 30, tzinfo=TZ)
    with time_machine.travel(datetime(2026, 12, 10, 9, 0, tzinfo=TZ), tick=False):
        meeting_id = await schedule(db, settings, branch_id=demo.branch_a, starts_at=start)
        async with db.session() as session:
            await meetings.answer_attend(session, await actor(session, "A03"), meeting_id)
            await meetings.request_leave(session, await actor(session, "A04"), meeting_id, "出差", env=env_of(settings))
    for moment in (datetime(2026, 12, 14, 15, 0, tzinfo=TZ), datetime(2026, 12, 14, 15, 1, tzinfo=TZ)):
        with time_machine.travel(moment, tick=False):
            async with db.session() as session:
                await meetings.send_due_reminders(session, env=env_of(settings), settings=settings)
    day = await outbox_rows(db, f"mt:{meeting_id}:remind-day:")
    # Attending and silent members, once each; not the one who asked for leave.
    assert sorted(r.chat_id for r in day) == sorted(telegram_id_of(n) for n in ("A01", "A02", "A03", "A05"))
    assert all(r.expires_at == start for r in day)
    assert "明天有会议" in day[0].payload["text"]
    assert await outbox_rows(db, f"mt:{meeting_id}:remind-hour:") == []
    with time_machine.travel(datetime(2026, 12, 15, 14, 5, tzinfo=TZ), tick=False):
        async with db.session() as session:
            await meetings.send_due_reminders(session, env=env_of(settings), settings=settings)
            await meetings.send_due_reminders(session, env=env_of(settings), settings=settings)
    hour = await outbox_rows(db, f"mt:{meeting_id}:remind-hour:")
    assert len(hour) == 4 and "一小时内开始" in hour[0].payload["text"]
    # 14:05 is within 30 minutes of the start: check-in is open, announced in the group and to the leaders.
    opened = await outbox_rows(db, f"mt:{meeting_id}:open:")
    assert {r.chat_id for r in opened} == {-100777, telegram_id_of("A01"), telegram_id_of("A02")}
    group = next(r for r in opened if r.chat_id == -100777)
    assert group.payload["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == f"mt:{meeting_id}:ck"


async def test_a_postponed_meeting_is_reminded_again_for_its_new_time(
    db: Database, demo: DemoIds, settings: Settings
) -> None:
    start = datetime(2026, 12, 15, 14, 30, tzinfo=TZ)
    with time_machine.travel(datetime(2026, 12, 10, 9, 0, tzinfo=TZ), tick=False):
        meeting_id = await schedule(db, settings, branch_id=demo.branch_a, starts_at=start)
    with time_machine.travel(datetime(2026, 12, 15, 14, 0, tzinfo=TZ), tick=False):
        async with db.session() as session:
            await meetings.send_due_reminders(session, env=env_of(settings), settings=settings)
            await meetings.edit_meeting(
                session, None, meeting_id, env=env_of(settings), starts_at=start + timedelta(hours=1)
            )
    with time_machine.travel(datetime(2026, 12, 15, 15, 0, tzinfo=TZ), tick=False):
        async with db.session() as session:
            await meetings.send_due_reminders(session, env=env_of(settings), settings=settings)
    hour = await outbox_rows(db, f"mt:{meeting_id}:remind-hour:")
    assert len({r.dedup_key.split(":")[3] for r in hour}) == 2  # one round per start time


# --- closing ------------------------------------------------------------------------------------------------


async def test_closing_confirms_absences_keeps_the_record_and_refuses_edits(
    db: Database, demo: DemoIds, settings: Settings
) -> None:
    meeting_id = await schedule(db, settings, branch_id=demo.branch_a, starts_in=-timedelta(hours=2))
    async with db.session() as session:
        secretary = await actor(session, "A01")
        await meetings.mark_attendance(session, secretary, meeting_id, await member_id(session, "A03"), "present")
        await meetings.mark_attendance(session, secretary, meeting_id, await member_id(session, "A04"), "late")
        preview = await meetings.closing_preview(session, secretary, meeting_id, hooks=meeting_hooks())
        assert {m.member_no for m, _ in preview.unconfirmed} == {"A01", "A02", "A05", "A06", "A07"}
        result = await meetings.close_meeting(
            session,
            secretary,
            meeting_id,
            present=[await member_id(session, "A01"), await member_id(session, "A02")],
            on_leave=[await member_id(session, "A05")],
            record="学习了党章第一章。",
            photos=["photo-1"],
            tags=["constitution_study", "oath_renewal"],
            hooks=meeting_hooks(),
        )
    assert sorted(result.absent) == sorted(["杨帆", "赵磊"])
    result_statuses = await statuses(db, meeting_id)
    assert result_statuses == {
        "A01": "present",
        "A02": "present",
        "A03": "present",
        "A04": "late",
        "A05": "on_leave",
        "A06": "absent",
        "A07": "absent",
    }
    meeting = await get(db, meeting_id)
    assert meeting.status == "closed" and meeting.closed_at is not None
    assert meeting.tags == ["constitution_study", "oath_renewal"] and meeting.record_photos == ["photo-1"]
    assert await audit_actions(db, meeting_id) == [
        "meeting_create",
        "attendance_mark",
        "attendance_mark",
        "meeting_close",
    ]
    async with db.session() as session:
        secretary = await actor(session, "A01")
        with pytest.raises(InvalidInput, match="closed; it can no longer be changed"):
            await meetings.edit_meeting(session, secretary, meeting_id, env=env_of(settings), topic="改")
        with pytest.raises(InvalidInput, match="closed"):
            await meetings.close_meeting(session, secretary, meeting_id, hooks=meeting_hooks())
        with pytest.raises(InvalidInput, match="closed"):
            await meetings.mark_attendance(session, secretary, meeting_id, await member_id(session, "A06"), "present")


async def test_closing_is_refused_before_the_start_and_with_unknown_tags(
    db: Database, demo: DemoIds, settings: Settings
) -> None:
    future = await schedule(db, settings, branch_id=demo.branch_a)
    past = await schedule(db, settings, branch_id=demo.branch_a, starts_in=-timedelta(hours=2))
    async with db.session() as session:
        secretary = await actor(session, "A01")
        with pytest.raises(InvalidInput, match="not begun yet"):
            await meetings.close_meeting(session, secretary, future, hooks=meeting_hooks())
        with pytest.raises(InvalidInput, match="Unknown tag"):
            await meetings.close_meeting(session, secretary, past, tags=["karaoke"], hooks=meeting_hooks())
        with pytest.raises(PermissionDenied):
            await meetings.close_meeting(session, await actor(session, "B01"), past, hooks=meeting_hooks())
    assert (await get(db, past)).status == "scheduled"


async def test_closing_is_refused_with_the_localized_list_of_what_other_features_miss(
    db: Database, demo: DemoIds, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def first_agenda_missing(session: object, meeting: Meeting) -> list[tuple[str, dict[str, object]]]:
        if KINDS_BY_ID[meeting.kind].first_agenda.value == "required":
            return [("No such meeting.", {}), ("%(name)s is already marked so.", {"name": "<第一议题>"})]
        return []

    meeting_id = await schedule(
        db, settings, branch_id=demo.branch_a, kind="committee_meeting", starts_in=-timedelta(hours=2)
    )
    async with db.session() as session:
        with pytest.raises(meetings.ClosingBlocked) as refused:
            await meetings.close_meeting(
                session,
                await actor(session, "A01"),
                meeting_id,
                hooks=MeetingHooks(closing_checks=(first_agenda_missing,)),
            )
    text = refused.value.localized(translator("zh_CN"))
    assert text == "暂不能结束会议，尚缺：没有这个会议。；&lt;第一议题&gt;已是该状态。"
    assert (await get(db, meeting_id)).status == "scheduled"
    assert set((await statuses(db, meeting_id)).values()) == {"no_answer"}


async def test_secretary_marks_need_a_started_meeting_and_a_member_of_it(
    db: Database, demo: DemoIds, settings: Settings
) -> None:
    meeting_id = await schedule(db, settings, branch_id=demo.branch_a, starts_in=timedelta(days=2))
    async with db.session() as session:
        secretary = await actor(session, "A01")
        with pytest.raises(InvalidInput, match="not begun"):
            await meetings.mark_attendance(session, secretary, meeting_id, await member_id(session, "A03"), "present")
        with pytest.raises(NotFound):
            await meetings.mark_attendance(session, secretary, meeting_id, await member_id(session, "B02"), "on_leave")
        with pytest.raises(InvalidInput, match="not an attendance status"):
            await meetings.mark_attendance(session, secretary, meeting_id, await member_id(session, "A03"), "asleep")


async def test_notices_and_leave_requests_follow_the_configured_zone(
    db: Database, demo: DemoIds, settings: Settings
) -> None:
    # TIMEZONE reaches the meetings' services through ServiceEnv: 06:30 UTC is 07:30 (or 08:30 in summer) in
    # Berlin, not 14:30 as in Shanghai.
    berlin = load_settings(DATABASE_URL=settings.DATABASE_URL, TIMEZONE="Europe/Berlin")
    start = (now_utc() + timedelta(days=3)).replace(hour=6, minute=30, second=0, microsecond=0)
    local = start.astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M")
    meeting_id = await schedule(db, berlin, branch_id=demo.branch_a, starts_at=start)
    notices = await outbox_rows(db, f"mt:{meeting_id}:notice:")
    assert notices and all(local in row.payload["text"] and "14:30" not in row.payload["text"] for row in notices)
    async with db.session() as session:
        await meetings.request_leave(session, await actor(session, "A04"), meeting_id, "出差", env=env_of(berlin))
    asked = await outbox_rows(db, f"mt:{meeting_id}:leave:")
    assert asked and all(local in row.payload["text"] for row in asked)
