"""Who a meeting is for: a committee meeting is the branch committee's, a unit-level meeting (党组会议, 中心组学习)
is its unit Party body's, recorded by the unit's administrators for the first agenda item."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.db import Database
from bot.demo import DemoIds, telegram_id_of
from bot.environment import ServiceEnv
from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.features import meeting_hooks
from bot.i18n import translator
from bot.services import first_agenda, meetings
from bot.services.meetings import checkin
from storage.meetings import Attendance, Meeting
from storage.models import Organisation
from tests.conftest import BotHarness
from tests.meetings_helpers import actor, audit_actions, env_of, get, outbox_rows, schedule, statuses


async def _link_group(db: Database, branch_id: int, chat_id: int = -100777) -> None:
    async with db.session() as session:
        branch = await session.get(Organisation, branch_id)
        assert branch is not None
        branch.chat_id = chat_id


async def test_a_committee_meeting_is_for_the_committee_only(db: Database, demo: DemoIds, settings: Settings) -> None:
    await _link_group(db, demo.branch_a)
    meeting_id = await schedule(db, settings, branch_id=demo.branch_a, kind="committee_meeting", place="书记办公室")
    # The secretary and the committee member are expected; ordinary members are not asked, nor is the group.
    assert sorted(await statuses(db, meeting_id)) == ["A01", "A02"]
    notices = await outbox_rows(db, f"mt:{meeting_id}:notice:")
    assert {row.chat_id for row in notices} == {telegram_id_of("A01"), telegram_id_of("A02")}
    async with db.session() as session:
        with pytest.raises(PermissionDenied) as refused:
            await meetings.answer_attend(session, await actor(session, "A03"), meeting_id)
        assert refused.value.localized(translator("zh_CN")) == "本次会议仅限支部委员会成员参加。"
        meeting = await meetings.get_meeting(session, meeting_id)
        with pytest.raises(PermissionDenied, match="branch committee only"):
            await checkin.check_in(
                session,
                (await actor(session, "A03")).member_id,
                meeting,
                method=checkin.Method.CODE,
                env=env_of(settings),
                settings=settings,
                now=meeting.starts_at,
            )
        # The secretary cannot record an ordinary member at it either.
        with pytest.raises(NotFound):
            await meetings.mark_attendance(
                session, None, meeting_id, (await actor(session, "A03")).member_id, "on_leave"
            )
    # Nothing was written by the refusals; the reminders and the check-in announcement skip the group too.
    assert sorted(await statuses(db, meeting_id)) == ["A01", "A02"]
    async with db.session() as session:
        meeting = await meetings.get_meeting(session, meeting_id)
        await meetings.send_due_reminders(
            session, env=env_of(settings), settings=settings, now=meeting.starts_at - timedelta(minutes=20)
        )
    assert [r for r in await outbox_rows(db, f"mt:{meeting_id}:") if r.chat_id == -100777] == []
    assert {r.chat_id for r in await outbox_rows(db, f"mt:{meeting_id}:open:")} == {
        telegram_id_of("A01"),
        telegram_id_of("A02"),
    }


async def test_a_unit_body_records_its_own_meetings(db: Database, demo: DemoIds, settings: Settings) -> None:
    # The unit's administrator records the central study group session; nobody on the roster is notified.
    held = await schedule(
        db, settings, branch_id=demo.unit, by="ADM1", kind="study_group_session", starts_in=-timedelta(days=2)
    )
    coming = await schedule(db, settings, branch_id=demo.unit, by=None, kind="leading_group_meeting")
    assert await statuses(db, held) == {} and await outbox_rows(db, f"mt:{coming}:") == []
    assert await audit_actions(db, held) == ["meeting_create"]
    # A branch cannot hold them, a unit cannot hold a branch's meeting, a secretary cannot record the unit's.
    with pytest.raises(InvalidInput, match="unit's Party body"):
        await schedule(db, settings, branch_id=demo.branch_a, kind="leading_group_meeting")
    with pytest.raises(NotFound, match="No such branch"):
        await schedule(db, settings, branch_id=demo.unit, by="ADM1", kind="general_meeting")
    with pytest.raises(PermissionDenied):
        await schedule(db, settings, branch_id=demo.unit, by="A01", kind="study_group_session")
    async with db.session() as session:
        with pytest.raises(PermissionDenied):
            await meetings.closing_preview(session, await actor(session, "A01"), held, hooks=meeting_hooks())
        admin = await actor(session, "ADM1")
        preview = await meetings.closing_preview(session, admin, held, hooks=meeting_hooks())
        assert preview.unconfirmed == [] and len(preview.missing) == 1  # the first agenda item is required
        await first_agenda.record_first_agenda(
            session,
            admin,
            held,
            typed_titles=("习近平总书记在二十届四中全会上的重要讲话",),
            form="conveying",
            led_by_name="局党组书记",
        )
        await meetings.close_meeting(session, admin, held, record="中心组集体学习", hooks=meeting_hooks())
    assert (await get(db, held)).status == "closed"
    async with db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Attendance)) == 0
        today = (await get(db, held)).starts_at.astimezone(settings.tz).date()
        rows = await first_agenda.compliance(
            session, None, today, today, org_id=demo.unit, env=ServiceEnv.from_settings(settings)
        )
    unit_row = next(r for r in rows if r.org.id == demo.unit)
    assert (unit_row.needed, unit_row.recorded) == (1, 1)


async def test_meetings_are_run_from_the_private_chat_not_the_group(bot: BotHarness) -> None:
    """The guided flows read typed answers in the private chat only. (The screens with names and reasons are
    private screens the send boundary keeps out of groups: tests/test_meetings_private.py.)"""
    group = -100500
    assert await bot.say("A01", "/linkgroup", chat_id=group) == ["本群已关联到第一党支部。"]
    settings = bot.application.bot_data["resources"].settings
    meeting_id = await schedule(bot.db, settings, branch_id=bot.ids.branch_a)
    private = "请在与我的私聊中进行此操作。"
    for command in ("/newmeeting", "/newmeeting 主题党日 2026-12-15 14:30 三楼"):
        assert await bot.say("A01", command, chat_id=group) == [private]
        assert bot.request.calls[-1].buttons == [("打开私聊", "https://t.me/branch_assistant_bot?start=private")]
    assert await bot.press("A01", f"mt:{meeting_id}:cl", chat_id=group) == [private]  # closing
    assert await bot.press("A01", f"mte:{meeting_id}:place", chat_id=group) == [private]  # the edit menu's field
    notice = "这个页面含有个人信息，只在与我的私聊中显示。"
    for action in ("card", "ls", "mk", "cx"):
        assert await bot.press("A01", f"mt:{meeting_id}:{action}", chat_id=group) == [notice]
    assert "已记录" in (await bot.press("A03", f"mt:{meeting_id}:att", chat_id=group))[0]
    async with bot.db.session() as session:
        assert len((await session.scalars(select(Meeting))).all()) == 1
