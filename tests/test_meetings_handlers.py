"""Meetings in chat, offline: the guided and one-line scheduling, notices and answers, leave, check-in by QR,
code, group button and location, the live QR, closing, /my, /compliance, /attendance, and the refusals."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import Connection, Engine, event, select

from bot.clock import now_utc, today
from bot.db import Database
from bot.demo import telegram_id_of
from bot.features import meeting_hooks
from bot.services import meetings
from bot.services.meetings import checkin
from bot.services.meetings.hooks import MeetingHooks
from storage.meetings import Attendance, Meeting, MeetingQrDisplay
from storage.models import AuditEntry, Member, Organisation, OutboxMessage
from tests.conftest import BotHarness, study_first_agenda
from tests.meetings_helpers import drain, get, outbox_rows, schedule, statuses

GROUP = -100500
ADMIN = 100001  # ADM1's Telegram id
TZ = ZoneInfo("Asia/Shanghai")


def _settings(bot: BotHarness) -> Any:
    return bot.application.bot_data["resources"].settings


async def _latest(bot: BotHarness) -> Meeting:
    async with bot.db.session() as session:
        meeting = await session.scalar(select(Meeting).order_by(Meeting.id.desc()))
        assert meeting is not None
        return meeting


async def _link_group(bot: BotHarness) -> None:
    assert await bot.say("A01", "/linkgroup", chat_id=GROUP) == ["本群已关联到第一党支部。"]


def _alerts(bot: BotHarness, since: int) -> list[str]:
    return [c.params.get("text", "") for c in bot.request.calls[since:] if c.method == "answerCallbackQuery"]


# --- scheduling ---------------------------------------------------------------------------------------------


async def test_guided_scheduling_from_kind_to_topic(bot: BotHarness) -> None:
    await _link_group(bot)
    await bot.say("A01", "/newmeeting")
    kinds = bot.request.calls[-1].buttons
    assert ("主题党日", "mn:k:theme_day") in kinds and ("支部党员大会", "mn:k:general_meeting") in kinds
    await bot.press("A01", "mn:k:theme_day")
    days = bot.request.calls[-1].buttons
    assert len([d for d in days if d[1].startswith("mn:d:")]) == 14
    day = today(_settings(bot).tz) + timedelta(days=3)
    await bot.press("A01", f"mn:d:{day.isoformat()}")
    assert ("14:30", "mn:t:1430") in bot.request.calls[-1].buttons
    await bot.say("A01", "14:30-16:00")
    assert "在哪里开" in bot.request.calls[-1].text
    await bot.say("A01", "三楼会议室")
    await bot.press("A01", "mn:o:skip")
    summary = bot.request.calls[-1]
    assert "请核对会议信息" in summary.text and "三楼会议室" in summary.text and "5名党员" in summary.text
    await bot.press("A01", "mn:ok")
    card = bot.request.calls[-1]
    assert card.method == "editMessageText" and "会议已安排" in card.text and "签到码" in card.text
    meeting = await _latest(bot)
    local = meeting.starts_at.astimezone(_settings(bot).tz)
    assert (local.date(), local.strftime("%H:%M"), meeting.ends_at.astimezone(_settings(bot).tz).strftime("%H:%M")) == (
        day,
        "14:30",
        "16:00",
    )
    assert (meeting.kind, meeting.place, meeting.topic) == ("theme_day", "三楼会议室", None)
    assert ("📋 回执情况", f"mt:{meeting.id}:ls") in card.buttons
    # The notices go out privately and to the group, with the answer buttons.
    await drain(bot)
    private = bot.request.sent(chat_id=telegram_id_of("A03"), method="sendMessage")[-1]
    assert "会议通知" in private.text and private.buttons == [
        ("✅ 参加", f"mt:{meeting.id}:att"),
        ("🙋 请假", f"mt:{meeting.id}:lv"),
    ]
    assert bot.request.sent(chat_id=GROUP, method="sendMessage")[-1].buttons == private.buttons


async def test_one_line_scheduling_and_its_refusals(bot: BotHarness) -> None:
    day = (today(_settings(bot).tz) + timedelta(days=5)).isoformat()
    replies = await bot.say("A01", f"/newmeeting 支委会 {day} 09:00 党员活动室 研究发展党员工作")
    assert "会议已安排" in replies[0] and "研究发展党员工作" in replies[0]
    meeting = await _latest(bot)
    assert (meeting.kind, meeting.place, meeting.topic) == ("committee_meeting", "党员活动室", "研究发展党员工作")
    assert await bot.say("A01", f"/newmeeting 支委会 {day} 16:00-15:00") == ["会议结束时间必须晚于开始时间。"]
    assert "未知的会议类型“茶话会”" in (await bot.say("A01", f"/newmeeting 茶话会 {day} 09:00"))[0]
    assert "可以一行写完，例如：" in (await bot.say("A01", "/newmeeting 支委会"))[0]
    # The same meeting again: its card, not a number to look up.
    [duplicate] = await bot.say("A01", f"/newmeeting 支委会 {day} 09:00")
    assert duplicate.startswith("该会议已经安排过了。") and "党员活动室" in duplicate and "号" not in duplicate
    assert ("📋 回执情况", f"mt:{meeting.id}:ls") in bot.request.calls[-1].buttons
    # A member's menu has no /newmeeting; another branch's secretary schedules only for their own branch.
    assert await bot.say("A03", "/newmeeting") == ["抱歉，您的角色不能使用 /newmeeting。"]
    async with bot.db.session() as session:
        assert len((await session.scalars(select(Meeting))).all()) == 1


async def test_an_undelegated_committee_member_is_refused(bot: BotHarness) -> None:
    async with bot.db.session() as session:
        from storage.models import Member

        member = await session.get(Member, bot.ids.committee_a)
        assert member is not None
        member.delegated = False
    assert await bot.say("A02", "/newmeeting") == ["只有支部书记（或受委托的支部委员）才能进行此操作。"]


async def test_an_administrator_chooses_the_branch(bot: BotHarness) -> None:
    await bot.say(ADMIN, "/newmeeting")
    assert [label for label, _ in bot.request.calls[-1].buttons][:2] == ["第一党支部", "第二党支部"]
    await bot.press(ADMIN, f"mn:b:{bot.ids.branch_b}")
    assert "请选择会议类型" in bot.request.calls[-1].text


# --- answers and leave --------------------------------------------------------------------------------------


async def test_members_answer_privately_and_in_the_group(bot: BotHarness) -> None:
    await _link_group(bot)
    meeting_id = await schedule(bot.db, _settings(bot), branch_id=bot.ids.branch_a)
    replies = await bot.press("A03", f"mt:{meeting_id}:att")
    assert any("已记录：您将参加" in r for r in replies)
    assert "您已确认参加。" in await bot.press("A03", f"mt:{meeting_id}:att")
    before = len(bot.request.calls)
    await bot.press("A05", f"mt:{meeting_id}:att", chat_id=GROUP)
    assert any("已记录：您将参加" in a for a in _alerts(bot, before))
    assert not bot.request.sent(chat_id=GROUP, method="sendMessage")[1:]  # no chatter in the group
    # A member of another branch pressing the group's button is refused; nothing is stored for them.
    before = len(bot.request.calls)
    await bot.press("B02", f"mt:{meeting_id}:att", chat_id=GROUP)
    assert _alerts(bot, before) == ["该会议不属于您的支部。"]
    result = await statuses(bot.db, meeting_id)
    assert (result["A03"], result["A05"], "B02" in result) == ("attending", "attending", False)


async def test_leave_needs_a_reason_and_the_secretary_decides(bot: BotHarness) -> None:
    await _link_group(bot)
    meeting_id = await schedule(bot.db, _settings(bot), branch_id=bot.ids.branch_a)
    before = len(bot.request.calls)
    await bot.press("A04", f"mt:{meeting_id}:lv", chat_id=GROUP)
    assert _alerts(bot, before) == ["我已在私聊中请您填写请假事由。"]
    assert "请写明请假事由" in bot.request.sent(chat_id=telegram_id_of("A04"))[-1].text
    assert await bot.say("A04", "x") == ["请填写请假事由。"]
    assert (await statuses(bot.db, meeting_id))["A04"] == "no_answer"
    assert "已提交支部书记" in (await bot.say("A04", "到市委党校参加培训"))[0]
    assert (await statuses(bot.db, meeting_id))["A04"] == "leave_requested"
    await drain(bot)
    request = bot.request.sent(chat_id=telegram_id_of("A01"))[-1]
    assert "刘洋申请请假" in request.text and "到市委党校参加培训" in request.text
    approve = request.buttons[0][1]
    replies = await bot.press("A01", approve)
    assert "已批准刘洋的请假。" in replies
    answers = bot.request.sent(method="editMessageText")[-1]
    assert "已准假" in answers.text and "到市委党校参加培训" in answers.text
    assert (await statuses(bot.db, meeting_id))["A04"] == "on_leave"
    await drain(bot)
    assert "已获批准" in bot.request.sent(chat_id=telegram_id_of("A04"))[-1].text
    # Pressing the stale button again changes nothing.
    assert "刘洋没有待审批的请假申请。" in await bot.press("A01", approve)
    # A member cannot decide leave.
    assert "只有支部书记" in (await bot.press("A03", approve))[0]


async def test_cancel_leaves_the_leave_flow_without_saving(bot: BotHarness) -> None:
    meeting_id = await schedule(bot.db, _settings(bot), branch_id=bot.ids.branch_a)
    await bot.press("A05", f"mt:{meeting_id}:lv")
    assert await bot.say("A05", "/cancel") == ["已取消，未保存任何内容。"]
    # The flow has ended: the text is not a reason any more, just a question on the measures. (Not "家里有事": since
    # round 12 the measures read it as a member's family trouble, measures 9 and 28.)
    replies = await bot.say("A05", "孩子发烧要去医院")
    assert len(replies) == 1 and replies[0].startswith("没有找到能回答这个问题的措施")
    assert (await statuses(bot.db, meeting_id))["A05"] == "no_answer"


# --- check-in -----------------------------------------------------------------------------------------------


@contextmanager
def _statements(db: Database) -> Iterator[list[str]]:
    """The SQL the block runs on any of the database's engines, each on one line: "loop " before those read on the
    event loop's own thread (bot/db.py, ``read_on_loop``; the others go to aiosqlite's thread, the check-in batches'
    through a connection of their own)."""
    seen: list[str] = []

    def statement(conn: Connection, _cursor: object, sql: str, *_args: object) -> None:
        if conn.engine.url.database == db.engine.url.database:
            seen.append(("loop " if conn.engine.driver == "pysqlite" else "") + " ".join(sql.split()))

    event.listen(Engine, "before_cursor_execute", statement)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", statement)


async def test_qr_code_deep_link_code_and_group_button(bot: BotHarness) -> None:
    await _link_group(bot)
    meeting_id = await schedule(bot.db, _settings(bot), branch_id=bot.ids.branch_a, starts_in=timedelta(minutes=10))
    await bot.press("A01", f"mt:{meeting_id}:qr")
    photo = bot.request.sent(method="sendPhoto")[-1]
    assert photo.chat_id == telegram_id_of("A01") and photo.files and "每30秒更换" in photo.text
    assert photo.buttons == [("🔄 刷新二维码", f"mt:{meeting_id}:qrr")]
    async with bot.db.session() as session:
        display = await session.scalar(select(MeetingQrDisplay))
        assert display is not None and display.meeting_id == meeting_id and display.slot > 0
        link, _ = await checkin.checkin_link(session, await get(bot.db, meeting_id), "bot", live=True)
    payload = link.rsplit("start=", 1)[1]
    replies = await bot.say("A03", f"/start {payload}")
    assert replies and replies[0].startswith("✅") and "已签到：主题党日" in replies[0]
    assert (await bot.say("A03", f"/start {payload}"))[0].startswith("您已签到（")
    # The short code, typed after /checkin or on its own line.
    code = (await get(bot.db, meeting_id)).checkin_code
    with _statements(bot.db) as seen:
        assert "已签到" in (await bot.say("A04", f"/checkin {code}"))[0]
    # The caller with their state, then the member (held for check_in) with their branch's meetings of that code and
    # their recent wrong codes, both read on the event loop's thread; the conditional write and the marker, in the
    # check-in batches' transaction (bot/checkin_batches.py).
    assert [
        " ".join(s.split(" ")[:3]) if s.startswith("INSERT") else s.split(" (")[0].split(" members.id")[0] for s in seen
    ] == [
        "loop SELECT",
        "loop SELECT",
        "INSERT INTO attendance",
        "INSERT INTO handled_updates",
    ]
    assert "FROM members LEFT OUTER JOIN meetings" in seen[1] and "audit_log" in seen[1]
    assert "ON CONFLICT" in seen[2] and "NOT IN" in seen[2]  # the conditional write
    assert "签到码" in (await bot.say("A05", "/checkin"))[0]
    assert await bot.say("A05", "999999") == ["本支部没有签到码为999999的会议。"]
    assert "已签到" in (await bot.say("A05", code or ""))[0]
    # The group button: one of ours checks in, a member of another branch is refused.
    before = len(bot.request.calls)
    with _statements(bot.db) as seen:
        await bot.press("A02", f"mt:{meeting_id}:ck", chat_id=GROUP)
    # A group's burst of presses: each is the caller with their state and the group's branch (a first press in this
    # chat), and the meeting with the member, read on the event loop's thread; then the conditional write and the
    # marker, written with the other presses of the moment.
    assert [s.split(" (")[0].split(" meetings.id")[0] for s in seen] == [
        "loop SELECT",
        "loop SELECT",
        "INSERT INTO attendance",
        "INSERT INTO handled_updates",
    ]
    assert "JOIN meetings" in seen[1] and "JOIN members" in seen[1]
    await bot.press("B02", f"mt:{meeting_id}:ck", chat_id=GROUP)
    alerts = _alerts(bot, before)
    assert "已签到：主题党日" in alerts[0] and alerts[1] == "该签到码属于其他支部的会议。"
    result = await statuses(bot.db, meeting_id)
    assert [result[n] for n in ("A02", "A03", "A04", "A05")] == ["present"] * 4
    async with bot.db.session() as session:
        methods = {
            row.checkin_method
            for row in (await session.scalars(select(Attendance).where(Attendance.meeting_id == meeting_id)))
        }
    assert methods >= {"qr", "code", "button"}
    # Asked for in the group, the live code still goes to the leader's private chat only.
    before = len(bot.request.calls)
    await bot.press("A02", f"mt:{meeting_id}:qr", chat_id=GROUP)
    assert _alerts(bot, before) == ["签到二维码已私聊发给您。"]
    assert bot.request.sent(method="sendPhoto")[-1].chat_id == telegram_id_of("A02")
    assert not bot.request.sent(chat_id=GROUP, method="sendPhoto")
    # A guest scanning the code is asked to join first.
    assert await bot.say(555_000_111, f"/start {payload}") == ["请先通过邀请链接加入。"]


async def test_new_code_button_and_the_job_redraw_the_live_qr(bot: BotHarness) -> None:
    from bot.jobs.meetings import refresh_live_qr

    meeting_id = await schedule(bot.db, _settings(bot), branch_id=bot.ids.branch_a, starts_in=timedelta(minutes=10))
    await bot.press("A01", f"mt:{meeting_id}:qr")
    await bot.press("A01", f"mt:{meeting_id}:qrr")
    edit = bot.request.sent(method="editMessageMedia")[-1]
    assert edit.buttons == [("🔄 刷新二维码", f"mt:{meeting_id}:qrr")]
    # A member cannot get the code.
    assert "只有支部书记" in (await bot.press("A03", f"mt:{meeting_id}:qr"))[0]

    from bot.context import BranchContext

    with time_machine.travel(now_utc() + timedelta(minutes=1), tick=False):
        context = BranchContext(bot.application)
        edits = len(bot.request.sent(method="editMessageMedia"))
        await refresh_live_qr(context)
        assert len(bot.request.sent(method="editMessageMedia")) == edits + 1
        await refresh_live_qr(context)
        assert len(bot.request.sent(method="editMessageMedia")) == edits + 1  # same slot: nothing to redraw
    with time_machine.travel(now_utc() + timedelta(hours=3), tick=False):
        await refresh_live_qr(BranchContext(bot.application))
    async with bot.db.session() as session:
        assert (await session.scalars(select(MeetingQrDisplay))).all() == []  # the meeting is over: forgotten


async def test_location_check_in_in_the_private_chat(bot: BotHarness) -> None:
    await _link_group(bot)
    meeting_id = await schedule(bot.db, _settings(bot), branch_id=bot.ids.branch_a, starts_in=timedelta(minutes=10))
    # The secretary sets the place's location and the radius through the card's flow.
    await bot.press("A01", f"mt:{meeting_id}:geo")
    keyboard = bot.request.calls[-1].params["reply_markup"]
    assert keyboard["keyboard"][0][0]["request_location"] is True
    await bot.send(bot.updates.location(telegram_id_of("A01"), 23.0207, 113.7518))
    assert ("300米", "mg:300") in bot.request.calls[-1].buttons
    await bot.press("A01", "mg:300")
    assert "仅限会场300米范围内签到" in bot.request.calls[-1].text
    meeting = await get(bot.db, meeting_id)
    assert (meeting.latitude, meeting.radius_m) == (23.0207, 300)
    # The group button asks for the location privately; far away is refused; near is accepted.
    await bot.press("A03", f"mt:{meeting_id}:ck", chat_id=GROUP)
    prompt = bot.request.sent(chat_id=telegram_id_of("A03"))[-1]
    assert "分享您的位置" in prompt.text and prompt.params["reply_markup"]["keyboard"][0][0]["request_location"]
    await bot.send(bot.updates.location(telegram_id_of("A03"), 23.0307, 113.7518))
    assert bot.request.calls[-1].text == "您距离会场1112米，需在300米范围内才能签到。"
    assert (await statuses(bot.db, meeting_id))["A03"] == "no_answer"
    await bot.send(bot.updates.location(telegram_id_of("A03"), 23.0208, 113.7519))
    assert "已签到" in bot.request.calls[-1].text
    assert (await statuses(bot.db, meeting_id))["A03"] == "present"


async def test_checkin_outside_the_window_is_refused(bot: BotHarness) -> None:
    meeting_id = await schedule(bot.db, _settings(bot), branch_id=bot.ids.branch_a, starts_in=timedelta(hours=5))
    code = (await get(bot.db, meeting_id)).checkin_code
    replies = await bot.say("A03", f"/checkin {code}")
    assert replies[0].startswith("签到将于") and replies[0].endswith("开始。") and " " not in replies[0]
    assert (await statuses(bot.db, meeting_id))["A03"] == "no_answer"


# --- the secretary's card -----------------------------------------------------------------------------------


async def test_card_edit_cancel_and_mark_present(bot: BotHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    resources = bot.application.bot_data["resources"]
    monkeypatch.setattr(
        resources,
        "meeting_hooks",
        MeetingHooks(button_providers=(lambda meeting, locale: [("📖 第一议题", f"fa:{meeting.id}")],)),
    )
    meeting_id = await schedule(bot.db, _settings(bot), branch_id=bot.ids.branch_a, starts_in=timedelta(minutes=20))
    await bot.say("A01", "/meetings")
    assert ("mn:new") in [data for _, data in bot.request.calls[-1].buttons]
    await bot.press("A01", f"mt:{meeting_id}:card")
    card = bot.request.calls[-1]
    assert ("📖 第一议题", f"fa:{meeting_id}") in card.buttons  # other features' buttons are appended
    await bot.press("A01", f"mt:{meeting_id}:ed")
    await bot.press("A01", f"mte:{meeting_id}:place")
    assert "新的会议地点" in bot.request.calls[-1].text
    replies = await bot.say("A01", "党员活动室")
    assert "已修改，并已通知党员" in replies[0] and "党员活动室" in replies[0]
    assert len(await outbox_rows(bot.db, f"mt:{meeting_id}:change:1:")) == 5
    # Mark a member without a phone present.
    async with bot.db.session() as session:
        from storage import queries

        a07 = await queries.member_by_no(session, "A07")
        assert a07 is not None
    await bot.press("A01", f"mt:{meeting_id}:mk")
    assert ("赵磊 · 未回复", f"mt:{meeting_id}:mk:{a07.id}") in bot.request.calls[-1].buttons
    assert "已标记到会：赵磊。" in await bot.press("A01", f"mt:{meeting_id}:mk:{a07.id}")
    assert (await statuses(bot.db, meeting_id))["A07"] == "present"
    # Cancel, with a confirmation.
    await bot.press("A01", f"mt:{meeting_id}:cx")
    assert "确定取消这次会议吗" in bot.request.calls[-1].text
    await bot.press("A01", f"mt:{meeting_id}:cxy")
    assert (await get(bot.db, meeting_id)).status == "cancelled"
    assert "本次会议已取消。" in await bot.press("A01", f"mte:{meeting_id}:topic")
    async with bot.db.session() as session:
        actions = (await session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "meeting"))).all()
    assert actions == ["meeting_create", "meeting_edit", "attendance_mark", "meeting_cancel"]
    # Another branch's secretary cannot open the card.
    assert "只有支部书记" in (await bot.press("B01", f"mt:{meeting_id}:card"))[0]


async def test_closing_flow_absences_record_photos_and_tags(bot: BotHarness) -> None:
    meeting_id = await schedule(bot.db, _settings(bot), branch_id=bot.ids.branch_a, starts_in=-timedelta(minutes=90))
    async with bot.db.session() as session:
        from storage import queries

        ids = {n: (await queries.member_by_no(session, n)).id for n in ("A03", "A06", "A07")}  # type: ignore[union-attr]
        await meetings.mark_attendance(session, None, meeting_id, ids["A03"], "present")
    await bot.press("A01", f"mt:{meeting_id}:cl")
    review = bot.request.calls[-1]
    assert "将记为缺席" in review.text and ("杨帆 · 缺席", f"mc:m:{ids['A06']}") in review.buttons
    await bot.press("A01", f"mc:m:{ids['A06']}")  # absent → present
    await bot.press("A01", f"mc:m:{ids['A07']}")
    await bot.press("A01", f"mc:m:{ids['A07']}")  # absent → present → on leave
    assert ("赵磊 · 已准假", f"mc:m:{ids['A07']}") in bot.request.calls[-1].buttons
    await bot.press("A01", "mc:next")
    assert "简要会议记录" in bot.request.calls[-1].text
    await bot.say("A01", "学习党章第一章，重温入党誓词。")
    await bot.send(bot.updates.photo(telegram_id_of("A01"), "file-1", caption="合影"))
    assert "已记录：18字，1张照片" in bot.request.calls[-1].text
    await bot.press("A01", "mc:done")
    await bot.press("A01", "mc:t:constitution_study")
    assert ("✓ 党章学习", "mc:t:constitution_study") in bot.request.calls[-1].buttons
    await bot.press("A01", "mc:ok")
    closed = bot.request.calls[-1]
    assert "会议已结束" in closed.text and "缺席：" in closed.text
    meeting = await get(bot.db, meeting_id)
    assert meeting.status == "closed" and meeting.tags == ["constitution_study"]
    assert meeting.record == "学习党章第一章，重温入党誓词。\n合影" and meeting.record_photos == ["file-1"]
    result = await statuses(bot.db, meeting_id)
    assert (result["A03"], result["A06"], result["A07"], result["A05"]) == ("present", "present", "on_leave", "absent")
    assert "操作已过期，请重新开始。" in await bot.press("A01", "mc:ok")


async def test_closing_is_refused_while_another_feature_misses_something(
    bot: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def missing(session: object, meeting: Meeting) -> list[tuple[str, dict[str, object]]]:
        return [("No such meeting.", {})]

    resources = bot.application.bot_data["resources"]
    monkeypatch.setattr(resources, "meeting_hooks", MeetingHooks(closing_checks=(missing,)))
    meeting_id = await schedule(bot.db, _settings(bot), branch_id=bot.ids.branch_a, starts_in=-timedelta(minutes=90))
    # Refused at once, with exactly what is missing, before any absences are confirmed; no flow is started.
    await bot.press("A01", f"mt:{meeting_id}:cl")
    blocked = bot.request.calls[-1]
    assert "暂不能结束会议" in blocked.text and "• 没有这个会议。" in blocked.text
    assert blocked.buttons[-1] == ("« 返回", f"mt:{meeting_id}:card")
    assert await bot.press("A01", "mc:next") == ["操作已过期，请重新开始。"]
    # Something that goes missing during the flow still stops the confirmation, and the flow keeps its place.
    monkeypatch.setattr(resources, "meeting_hooks", MeetingHooks())
    await bot.press("A01", f"mt:{meeting_id}:cl")
    await bot.press("A01", "mc:next")
    await bot.press("A01", "mc:done")
    monkeypatch.setattr(resources, "meeting_hooks", MeetingHooks(closing_checks=(missing,)))
    assert await bot.press("A01", "mc:ok") == ["暂不能结束会议，尚缺：没有这个会议。"]
    assert (await get(bot.db, meeting_id)).status == "scheduled"
    monkeypatch.setattr(resources, "meeting_hooks", MeetingHooks())
    await bot.press("A01", "mc:ok")  # fixed, it closes
    assert (await get(bot.db, meeting_id)).status == "closed"


# --- /my, /compliance, /attendance --------------------------------------------------------------------------


@time_machine.travel(datetime(2026, 11, 18, 15, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=True)
async def test_my_compliance_and_attendance(bot: BotHarness) -> None:
    settings = _settings(bot)
    past = await schedule(
        bot.db, settings, branch_id=bot.ids.branch_a, kind="general_meeting", starts_in=-timedelta(hours=3)
    )
    coming = await schedule(bot.db, settings, branch_id=bot.ids.branch_a, starts_in=timedelta(days=2))
    async with bot.db.session() as session:
        from storage import queries

        a03 = await queries.member_by_no(session, "A03")
        assert a03 is not None
        await meetings.mark_attendance(session, None, past, a03.id, "present")
        a04 = await queries.member_by_no(session, "A04")
        assert a04 is not None
        await meetings.mark_attendance(session, None, past, a04.id, "on_leave")
        branch_members = await session.scalars(select(Member).where(Member.org_id == bot.ids.branch_a))
        roster = [m.name for m in sorted(branch_members, key=lambda m: m.member_no)]
        await study_first_agenda(session, past)
        await meetings.close_meeting(session, None, past, hooks=meeting_hooks())
    my = (await bot.say("A03", "/my"))[0]
    assert "张伟的会议" in my and "主题党日" in my and "支部党员大会" in my and "（100%）" in my
    assert ("✅ 参加：" in bot.request.calls[-1].buttons[0][0]) and bot.request.calls[-1].buttons[0][
        1
    ] == f"mt:{coming}:att"
    compliance = (await bot.say("A01", "/compliance"))[0]
    assert "第一党支部组织生活落实情况" in compliance
    assert "✅ 支部党员大会：已开1次，应开1次" in compliance and "⚠️ 支部委员会会议：已开0次，应开1次" in compliance
    assert "⚠️ 党小组会" in compliance and "（每个党小组一次）" in compliance and "截止" in compliance
    summary = (await bot.say(ADMIN, "/compliance"))[0]
    assert "2个支部" in summary and "第二党支部" in summary
    # A button per branch with a gap opens its full table; another branch's secretary cannot open it.
    assert ("⚠️ 第二党支部", f"mcp:{bot.ids.branch_b}") in bot.request.calls[-1].buttons
    detail = (await bot.press(ADMIN, f"mcp:{bot.ids.branch_b}"))[0]
    assert "第二党支部组织生活落实情况" in detail and "截止" in detail
    assert await bot.press("A01", f"mcp:{bot.ids.branch_b}") == ["只有该组织的管理员才能进行此操作。"]
    assert await bot.say("A03", "/compliance") == ["抱歉，您的角色不能使用 /compliance。"]
    attendance = (await bot.say("A01", "/attendance month"))[0]
    assert "第一党支部出勤情况" in attendance and "张伟：应到1次，实到1次（100%）" in attendance
    # Approved leave is said in words, not a bare 0/0; members are listed in the roster's order (编号), not by code point.
    assert f"{a04.name}：请假1次" in attendance and "0/0" not in attendance
    listed = [line[2:].split("：")[0] for line in attendance.splitlines() if line.startswith("• ") and "：" in line]
    listed = [name for name in listed if name in roster]
    assert listed == [name for name in roster if name in listed] and len(listed) >= 2
    assert await bot.say("A01", "/attendance decade") == ["请选择统计期间：本月、本季度或本年。"]


async def test_stale_flow_buttons_are_answered(bot: BotHarness) -> None:
    assert await bot.press("A01", "mc:next") == ["操作已过期，请重新开始。"]
    assert await bot.press("A01", "mn:ok") == ["操作已过期，请重新开始。"]


async def test_the_menu_shows_meetings_commands_by_role(bot: BotHarness) -> None:
    member_help = (await bot.say("A03", "/help"))[0]
    leader_help = (await bot.say("A01", "/help"))[0]
    assert "/my" in member_help and "/checkin" in member_help and "/newmeeting" not in member_help
    # The short menu fits a phone: the most used commands, the rest by group behind buttons (开会, 学习 …).
    assert "/newmeeting" in leader_help and "/compliance" not in leader_help
    assert len(leader_help.splitlines()) <= 14
    buttons = bot.request.calls[-1].buttons
    assert ("开会", "help:meetings") in buttons and ("学习", "help:study") in buttons
    meetings_group = (await bot.press("A01", "help:meetings"))[0]
    assert (
        meetings_group.startswith("<b>开会</b>") and "/compliance" in meetings_group and "/attendance" in meetings_group
    )
    assert bot.request.calls[-1].buttons == [("« 返回", "help:top")]
    await bot.press("A03", "help:top")
    member_groups = [data for _label, data in bot.request.calls[-1].buttons]
    assert "help:meetings" in member_groups and "help:branch" not in member_groups  # no leaders' tools for a member


async def test_audit_and_outbox_hold_nothing_after_a_refused_group_press(bot: BotHarness) -> None:
    await _link_group(bot)
    meeting_id = await schedule(bot.db, _settings(bot), branch_id=bot.ids.branch_a)
    async with bot.db.session() as session:
        before = len((await session.scalars(select(OutboxMessage))).all())
    await bot.press("B02", f"mt:{meeting_id}:lv", chat_id=GROUP)
    async with bot.db.session() as session:
        assert len((await session.scalars(select(OutboxMessage))).all()) == before
        branch = await session.get(Organisation, bot.ids.branch_a)
        assert branch is not None and branch.chat_id == GROUP


async def test_a_restart_in_the_middle_of_a_flow_loses_nothing(bot: BotHarness) -> None:
    from bot.app import _post_init, build_application
    from bot.offline import OfflineRequest, UpdateFactory

    await bot.say("A01", "/newmeeting")
    await bot.press("A01", "mn:k:party_lesson")
    # Another process takes over: it has only the database.
    request = OfflineRequest()
    application = build_application(
        _settings(bot),
        db=bot.db,
        request=request,
        get_updates_request=OfflineRequest(),
        rate_limit=False,
        start_jobs=False,
    )
    await application.initialize()
    await _post_init(application)
    try:
        again = BotHarness(application, request, UpdateFactory(application.bot), bot.db, bot.ids)
        day = today(_settings(bot).tz) + timedelta(days=4)
        await again.press("A01", f"mn:d:{day.isoformat()}")
        assert "几点开始" in request.calls[-1].text
        await again.say("A01", "15:00")
        await again.press("A01", "mn:p:skip")
        await again.say("A01", "学习党章")
        await again.press("A01", "mn:ok")
        meeting = await _latest(again)
        assert (meeting.kind, meeting.topic) == ("party_lesson", "学习党章")
    finally:
        await application.shutdown()


async def test_the_meetings_list_pages_through_many_meetings(bot: BotHarness) -> None:
    settings = _settings(bot)
    for day in range(1, 12):  # eleven meetings: more than one page of eight
        await schedule(bot.db, settings, branch_id=bot.ids.branch_a, starts_in=timedelta(days=day, hours=1))
    await bot.say("A01", "/meetings")
    first = bot.request.calls[-1]
    cards = [data for _, data in first.buttons if data.endswith(":card")]
    assert len(cards) == 8
    assert ("下一页 ▶", "mtl:1") in first.buttons and not any(d == "mtl:-1" for _, d in first.buttons)
    await bot.press("A01", "mtl:1")
    second = bot.request.calls[-1]
    assert second.method == "editMessageText"
    rest = [data for _, data in second.buttons if data.endswith(":card")]
    assert len(rest) == 3 and not set(rest) & set(cards)
    assert ("◀ 上一页", "mtl:0") in second.buttons and not any(d == "mtl:2" for _, d in second.buttons)
    # A member cannot page through the branch's meetings with a forged button.
    replies = await bot.press("A03", "mtl:1")
    assert replies == ["只有支部书记（或受委托的支部委员）才能进行此操作。"]


async def test_guessing_check_in_codes_is_limited_per_member_and_audited(bot: BotHarness) -> None:
    """Five wrong codes in ten minutes, then a cool-down the member is told about; others are not locked out."""
    meeting_id = await schedule(bot.db, _settings(bot), branch_id=bot.ids.branch_a, starts_in=timedelta(minutes=10))
    code = (await get(bot.db, meeting_id)).checkin_code
    assert code is not None
    wrong = [f"{(int(code) + n) % 1_000_000:06d}" for n in range(1, 6)]
    start = now_utc()
    with time_machine.travel(start, tick=False):
        for guess in wrong:
            assert "没有签到码" in (await bot.say("A03", f"/checkin {guess}"))[0]
        # The sixth attempt is refused even with the right code, and says until when.
        refused = (await bot.say("A03", f"/checkin {code}"))[0]
        assert "错误次数过多" in refused and (start + timedelta(minutes=10)).astimezone(TZ).strftime("%H:%M") in refused
        assert (await statuses(bot.db, meeting_id)).get("A03") != "present"
        # A typo that is not a code at all is not a guess; another member is not affected.
        assert "已签到" in (await bot.say("A04", f"/checkin {code}"))[0]
    async with bot.db.session() as session:
        entries = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "checkin.wrong_code"))).all()
        assert sorted(e.details["code"] for e in entries) == sorted(wrong)
    with time_machine.travel(start + timedelta(minutes=10, seconds=1), tick=False):
        assert "已签到" in (await bot.say("A03", f"/checkin {code}"))[0]
