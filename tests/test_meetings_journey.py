"""The integrated journey of a meeting that needs the first agenda item (第一议题), through the real handlers:
a material dispatched by the administrator, a committee meeting scheduled in chat, notices, check-in four ways
(and the refusals on the way), closing refused with exactly what is missing, the "第一议题" button on the card,
and closing; then the same from the command line: ``meeting add … --first-agenda ID`` and ``meeting show --json``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Settings
from bot.demo import DemoIds, telegram_id_of
from bot.services import tokens
from bot.services.meetings import checkin
from storage.first_agenda import StudyMaterial
from storage.meetings import Meeting
from storage.models import AuditEntry
from tests.conftest import BotHarness
from tests.meetings_helpers import audit_actions, drain, get, statuses

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 6, 15)  # a Monday
ADMIN = 100001  # 郑管理 (ADM1)
SPEECH = "习近平在中央政治局第二十次集体学习时的重要讲话"


def local(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    """A local moment on the journey's day."""
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    """08:00 on the day of the meeting; time moves on."""
    with time_machine.travel(local(8), tick=True) as traveller:
        yield traveller


async def _payload(bot: BotHarness, meeting_id: int, *, slots_ago: int = 0) -> str:
    """The ``ck_…`` payload of the live QR code the secretary's phone shows (``slots_ago``: an old photo of it)."""
    async with bot.db.session() as session:
        meeting = await get(bot.db, meeting_id)
        if not slots_ago:
            link, _slot = await checkin.checkin_link(session, meeting, "bot", live=True)
            return link.rsplit("start=", 1)[1]
        secret = await tokens.installation_secret(session)
        token = tokens.make_token(secret, checkin.TOKEN_KIND, meeting_id, tokens.current_slot() - slots_ago)
        return checkin.CHECKIN_PREFIX + token


async def test_committee_meeting_from_dispatch_to_closing_with_the_first_agenda_item(
    bot: BotHarness, clock: time_machine.Coordinates
) -> None:
    # The administrator adds a speech to the catalog and dispatches it to the branches; the secretary is told.
    await bot.say(ADMIN, f"/addmaterial {SPEECH} | 新华社 | 2026-06-10 | 重要讲话")
    async with bot.db.session() as session:
        speech = await session.scalar(select(StudyMaterial).where(StudyMaterial.title == SPEECH))
        assert speech is not None
    await bot.press(ADMIN, f"fa-mat:{speech.id}:dsp")
    await bot.press(ADMIN, f"fa-mat:{speech.id}:dsy")
    await drain(bot)
    assert any("第一议题学习材料" in t for t in bot.request.texts(telegram_id_of("A01")))

    # The secretary schedules a committee meeting step by step: kind → day → time → place → topic.
    assert (await bot.say("A01", "/newmeeting"))[0] == "请选择会议类型："
    await bot.press("A01", "mn:k:committee_meeting")
    await bot.press("A01", f"mn:d:{DAY.isoformat()}")
    await bot.say("A01", "9:00-10:00")
    await bot.say("A01", "党员活动室")
    draft = (await bot.say("A01", "研究七月主题党日安排"))[0]
    assert "支部委员会会议" in draft and "将向2名党员发送会议通知" in draft
    scheduled = (await bot.press("A01", "mn:ok"))[0]
    async with bot.db.session() as session:
        meeting = await session.scalar(select(Meeting))
        assert meeting is not None
    meeting_id, code = meeting.id, meeting.checkin_code
    assert "✅ 会议已安排" in scheduled and "📖 第一议题：尚未记录（结束会议前须记录）" in scheduled
    assert ("第一议题", f"fa-m:{meeting_id}") in bot.request.calls[-1].buttons

    # Notices: the committee (the secretary and the committee member) privately, nobody else.
    await drain(bot)
    for member_no in ("A01", "A02"):
        notice = bot.request.sent(chat_id=telegram_id_of(member_no), method="sendMessage")[-1]
        assert "第一党支部会议通知" in notice.text and "党员活动室" in notice.text
        assert [data for _label, data in notice.buttons] == [f"mt:{meeting_id}:att", f"mt:{meeting_id}:lv"]
    assert not any("会议通知" in t for t in bot.request.texts(telegram_id_of("A03")))
    assert (await bot.press("A02", f"mt:{meeting_id}:att"))[
        0
    ] == "✅ 已记录：您将参加6月15日（周一）09:00的支部委员会会议。"
    assert await bot.press("A03", f"mt:{meeting_id}:att") == ["本次会议仅限支部委员会成员参加。"]

    # Check-in opens half an hour before the start. The committee member scans the live QR code once.
    clock.move_to(local(8, 40))
    await bot.press("A01", f"mt:{meeting_id}:qr")
    assert bot.request.sent(method="sendPhoto")[-1].chat_id == telegram_id_of("A01")
    payload = await _payload(bot, meeting_id)
    assert (await bot.say("A02", f"/start {payload}"))[0] == "✅ 已签到：支部委员会会议（08:40）。"
    assert (await bot.say("A02", f"/start {payload}"))[0] == "您已签到（08:40）。"
    # Refused, and nothing stored: another branch's member, an ordinary member, an old photo of the code.
    assert await bot.say("B02", f"/start {payload}") == ["该签到码属于其他支部的会议。"]
    assert await bot.say("A03", f"/start {payload}") == ["本次会议仅限支部委员会成员参加。"]
    stale = await _payload(bot, meeting_id, slots_ago=3)
    assert "已过期" in (await bot.say("A01", f"/start {stale}"))[0]
    # The secretary comes late and checks in with the short code.
    clock.move_to(local(9, 7))
    assert "记为迟到" in (await bot.say("A01", f"/checkin {code}"))[0]
    assert await statuses(bot.db, meeting_id) == {"A01": "late", "A02": "present"}

    # After the meeting, closing is refused with exactly what is missing, and offers the button to record it.
    clock.move_to(local(10, 5))
    assert await bot.say("A02", f"/checkin {code}") == ["本次会议签到已结束。"]
    blocked = (await bot.press("A01", f"mt:{meeting_id}:cl"))[0]
    assert "🏁 暂不能结束会议" in blocked
    assert "尚缺：\n• 尚未记录第一议题：学习的材料、学习形式和领学人。" in blocked
    assert bot.request.calls[-1].buttons == [("第一议题", f"fa-m:{meeting_id}"), ("« 返回", f"mt:{meeting_id}:card")]
    assert (await get(bot.db, meeting_id)).status == "scheduled"

    # The secretary presses 第一议题: the dispatched speech comes first; picks it, the form, who led it; saves.
    pick = (await bot.press("A01", f"fa-m:{meeting_id}"))[0]
    assert "支部委员会会议，6月15日（周一）09:00" in pick
    assert bot.request.calls[-1].buttons[0] == (f"📌 {SPEECH}", f"fa-pk:{speech.id}")
    await bot.press("A01", f"fa-pk:{speech.id}")
    await bot.press("A01", "fa:pd")
    await bot.press("A01", "fa-fm:conveying")
    await bot.press("A01", f"fa-ld:{bot.ids.secretary_a}")
    await bot.press("A01", "fa:ns")
    saved = (await bot.press("A01", "fa:sv"))[0]
    assert "✅ 第一议题已记录" in saved and f"1. {SPEECH}" in saved and "领学人：王建国" in saved
    assert bot.request.calls[-1].buttons == [("« 返回会议", f"mt:{meeting_id}:card")]
    assert await bot.press("A01", "fa:sv") == ["操作已过期，请重新开始。"]  # an old button: saved once only
    card = (await bot.press("A01", f"mt:{meeting_id}:card"))[0]
    assert f"📖 第一议题：\n{SPEECH}\n传达学习 · 领学：王建国" in card

    # Now it closes: both checked in, a short record, no tags.
    review = (await bot.press("A01", f"mt:{meeting_id}:cl"))[0]
    assert "应到人员均已签到或已请假" in review and "尚缺" not in review
    await bot.press("A01", "mc:next")
    await bot.say("A01", "传达学习重要讲话精神；研究七月主题党日安排。")
    await bot.press("A01", "mc:done")
    closed = (await bot.press("A01", "mc:ok"))[0]
    assert "🏁 会议已结束" in closed and "出勤：应到2人，实到2人（100%）" in closed
    meeting = await get(bot.db, meeting_id)
    assert meeting.status == "closed" and meeting.record == "传达学习重要讲话精神；研究七月主题党日安排。"
    assert await statuses(bot.db, meeting_id) == {"A01": "late", "A02": "present"}
    assert await audit_actions(bot.db, meeting_id) == ["meeting_create", "first_agenda.record", "meeting_close"]

    # A closed meeting changes no more; the branch's first agenda record counts it, with the speech studied.
    assert await bot.press("A01", f"fa-m:{meeting_id}") == ["本次会议已结束归档，记录不能再修改。"]
    assert await bot.press("A01", f"mte:{meeting_id}:place") == ["该会议已结束，不能再修改。"]
    report = (await bot.say("A01", "/firstagenda"))[0]
    assert "应安排第一议题的会议1次，已记录1次（100%）" in report and f"✅ {SPEECH}\n   下发后0天学习" in report
    async with bot.db.session() as session:
        after = (await session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "meeting"))).all()
    assert len(after) == 3  # the refusals wrote nothing


runner = CliRunner()


def _cli(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_meeting_added_on_the_command_line_with_its_first_agenda_item(
    settings: Settings, demo: DemoIds, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.DATABASE_URL)
    material = json.loads(
        _cli(["material", "add", "--title", SPEECH, "--source", "新华社", "--date", "2026-06-10", "--json"])
    )
    held = (datetime.now(TZ) - timedelta(days=2)).strftime("%Y-%m-%d 09:00")
    added = json.loads(
        _cli(
            [
                "meeting",
                "add",
                "--branch",
                "DEMO-B1",
                "--kind",
                "committee_meeting",
                "--at",
                held,
                "--first-agenda",
                str(material["id"]),
                "--json",
            ]
        )
    )
    assert (
        added["checkin_link"].startswith("https://t.me/") and added["first_agenda"]["materials"][0]["title"] == SPEECH
    )
    shown = json.loads(_cli(["meeting", "show", str(added["id"]), "--json"]))
    assert shown["first_agenda_required"] == "required"
    assert [(m["id"], m["title"]) for m in shown["first_agenda"]["materials"]] == [(material["id"], SPEECH)]
    # The form of study and who led it are for the secretary to add before closing; the JSON says so.
    assert shown["first_agenda"]["form"] is None and shown["first_agenda_missing"] == ["form", "led_by"]
    assert {a["member_no"]: a["status"] for a in shown["attendance"]} == {"A01": "no_answer", "A02": "no_answer"}
    text = _cli(["meeting", "show", str(added["id"])])
    assert "：支部委员会会议，" in text and "09:00–10:30（已安排）" in text and f"📖 第一议题：\n{SPEECH}" in text
    # The unit's Party body records its central study group session the same way, without check-in.
    text = _cli(["meeting", "add", "--org", "DEMO-U1", "--kind", "study_group_session", "--at", held])
    assert "为市民政局机关党委安排" in text and "理论学习中心组学习" in text and "签到码" not in text
    # An unknown material: a clear refusal, and no meeting is left behind.
    refused = runner.invoke(
        app,
        ["meeting", "add", "--branch", "DEMO-B1", "--kind", "general_meeting", "--at", held, "--first-agenda", "999"],
    )
    assert refused.exit_code == 1 and "找不到这份学习材料" in refused.output
    assert runner.invoke(app, ["meeting", "show", str(added["id"] + 2)]).exit_code == 1


async def test_another_branchs_secretary_can_neither_record_nor_close(
    bot: BotHarness, clock: time_machine.Coordinates
) -> None:
    assert "会议已补录" in (await bot.say("A01", f"/newmeeting 支委会 {DAY.isoformat()} 07:00 党员活动室"))[0]
    async with bot.db.session() as session:
        mine = await session.scalar(select(Meeting))
        assert mine is not None
    refusal = "只有支部书记（或受委托的支部委员）才能进行此操作。"
    assert await bot.press("B01", f"fa-m:{mine.id}") == [refusal]
    assert await bot.press("B01", f"mt:{mine.id}:cl") == [refusal]
    assert (await get(bot.db, mine.id)).status == "scheduled"


async def test_a_flow_left_half_way_does_not_take_the_text_meant_for_the_next(
    bot: BotHarness, clock: time_machine.Coordinates
) -> None:
    assert "会议已补录" in (await bot.say("A01", f"/newmeeting 支部党员大会 {DAY.isoformat()} 07:00 党员活动室"))[0]
    async with bot.db.session() as session:
        held = await session.scalar(select(Meeting))
        assert held is not None
    # The secretary starts scheduling another meeting and stops at "Where?"…
    await bot.say("A01", "/newmeeting")
    await bot.press("A01", "mn:k:theme_day")
    await bot.press("A01", f"mn:d:{(DAY + timedelta(days=3)).isoformat()}")
    await bot.press("A01", "mn:t:1430")
    assert "在哪里开" in bot.request.calls[-1].text
    # …then records the first agenda item of the meeting held this morning: the typed title goes there.
    await bot.press("A01", f"fa-m:{held.id}")
    texts = await bot.say("A01", "《习近平谈治国理政》第五卷")
    assert "已选：\n• 《习近平谈治国理政》第五卷" in texts[0]
    # The scheduling flow was ended, as if cancelled: its buttons have expired, nothing was created.
    assert await bot.press("A01", "mn:p:skip") == ["操作已过期，请重新开始。"]
    async with bot.db.session() as session:
        assert len((await session.scalars(select(Meeting))).all()) == 1
