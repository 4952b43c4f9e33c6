"""A meeting typed in one line as secretaries write it (a place with spaces too), and a meeting recorded after
it was held: no notices, everyone marked present in one press, the first agenda item, closed."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select

from bot.clock import now_utc
from bot.config import Settings
from bot.console import Console
from bot.db import Database
from bot.demo import seed_demo
from bot.errors import InvalidInput
from bot.services import meetings
from storage.meetings import Meeting
from storage.models import OutboxMessage
from tests.conftest import BotHarness, study_first_agenda
from tests.meetings_helpers import env_of, get, schedule, statuses

TZ = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("line", "start", "end", "place", "topic"),
    [
        ("主题党日 2026-12-15 14:30-16:00 三楼会议室 重温入党誓词", "14:30", "16:00", "三楼会议室", "重温入党誓词"),
        ("支委会 12月15日 9点 党员活动室", "09:00", None, "党员活动室", None),
        (
            "general 2026-12-15 14:30 - 16:00 | Room 301 | Quarterly review",
            "14:30",
            "16:00",
            "Room 301",
            "Quarterly review",
        ),
        ('theme 2026/12/15 1430至1600 "Room 301" Oath renewal', "14:30", "16:00", "Room 301", "Oath renewal"),
        ("lesson 2026-12-15 14:30", "14:30", None, None, None),
    ],
)
def test_one_line_as_secretaries_type_it(
    line: str, start: str, end: str | None, place: str | None, topic: str | None
) -> None:
    draft = meetings.parse_meeting_line(line, TZ, TODAY)
    assert draft.starts_at == datetime.combine(date(2026, 12, 15), time.fromisoformat(start), tzinfo=TZ)
    assert (draft.ends_at.strftime("%H:%M") if draft.ends_at else None) == end
    assert (draft.place, draft.topic) == (place, topic)


def test_one_line_refusals_name_what_is_wrong() -> None:
    with pytest.raises(InvalidInput, match="Write it like"):
        meetings.parse_meeting_line("主题党日 2026-12-15", TZ, TODAY)
    with pytest.raises(InvalidInput, match="Unknown meeting kind"):
        meetings.parse_meeting_line("茶话会 2026-12-15 14:30", TZ, TODAY)
    with pytest.raises(InvalidInput, match="could not read the time"):
        meetings.parse_meeting_line("主题党日 2026-12-15 下午", TZ, TODAY)


async def test_a_meeting_held_last_week_is_recorded_and_closed_with_everyone_present(bot: BotHarness) -> None:
    held = (now_utc() - timedelta(days=7)).astimezone(TZ).date()
    texts = await bot.say("A01", f"/newmeeting 支部党员大会 {held.isoformat()} 14:30-16:00 | 三楼 会议室 | 学习党章")
    assert texts[0].startswith("✅ 会议已补录。请在此卡片上登记出勤情况")
    # A meeting already held is not "scheduled" and offers no check-in code, QR code or location check.
    assert "状态：已召开，待结束" in texts[0] and "已安排" not in texts[0] and "签到码" not in texts[0]
    card_buttons = [label for label, _data in bot.request.calls[-1].buttons]
    assert "✔️ 代为签到" in card_buttons and "🏁 结束会议" in card_buttons
    assert "📷 签到二维码" not in card_buttons and "📡 位置核验" not in card_buttons
    async with bot.db.session() as session:
        meeting = await session.scalar(select(Meeting))
        assert meeting is not None and meeting.place == "三楼 会议室" and meeting.topic == "学习党章"
        assert (await session.scalars(select(OutboxMessage))).all() == []  # nobody is told of a past meeting
        await study_first_agenda(session, meeting.id)
    await bot.press("A01", f"mt:{meeting.id}:cl")
    assert ("☑️ 全部记为已到", "mc:all") in bot.request.calls[-1].buttons
    assert "以下党员尚未签到" in bot.request.calls[-1].text
    await bot.press("A01", "mc:all")
    # Everyone is marked present now: the heading no longer says they will be recorded absent.
    assert "以下党员尚未签到" not in bot.request.calls[-1].text and "记为缺席" not in bot.request.calls[-1].text
    assert "未签到党员已按您的标记记录" in bot.request.calls[-1].text
    marks = [label for label, data in bot.request.calls[-1].buttons if data.startswith("mc:m:")]
    assert len(marks) == 7 and all(label.endswith("· 已到") for label in marks)
    a07 = next(data for label, data in bot.request.calls[-1].buttons if label.startswith("赵磊"))
    await bot.press("A01", a07)  # 赵磊 was not there after all: present → on leave
    await bot.press("A01", "mc:next")
    await bot.press("A01", "mc:done")
    assert "出勤：应到6人，实到6人（100%）" in (await bot.press("A01", "mc:ok"))[0]
    result = await statuses(bot.db, meeting.id)
    assert result.pop("A07") == "on_leave" and set(result.values()) == {"present"}
    assert (await get(bot.db, meeting.id)).status == "closed"


async def test_a_meeting_called_at_short_notice_gets_the_notice_not_also_a_reminder(bot: BotHarness) -> None:
    settings = bot.application.bot_data["resources"].settings
    texts = await bot.say(
        "A01", f"/newmeeting 主题党日 {(now_utc() + timedelta(minutes=40)).astimezone(TZ):%Y-%m-%d %H:%M} 三楼"
    )
    assert texts[0].startswith("✅ 会议已安排")
    async with bot.db.session() as session:
        await meetings.send_due_reminders(session, env=env_of(settings), settings=settings)
        keys = (await session.scalars(select(OutboxMessage.dedup_key))).all()
    assert any(":notice:" in k for k in keys) and not any(":remind-" in k for k in keys)
    async with bot.db.session() as session:  # half an hour after the notice, the reminder is due again
        await meetings.send_due_reminders(
            session, env=env_of(settings), settings=settings, now=now_utc() + timedelta(minutes=31)
        )
        keys = (await session.scalars(select(OutboxMessage.dedup_key))).all()
    assert any(":remind-hour:" in k for k in keys)


async def test_the_live_qr_code_is_redrawn_in_the_console(settings: Settings, db: Database, tmp_path: Path) -> None:
    async with db.session() as session:
        ids = await seed_demo(session)
    meeting_id = await schedule(db, settings, branch_id=ids.branch_a, starts_in=timedelta(minutes=10))
    async with db.session() as session:  # the notices are not this test's subject: "#1" must press the list's button
        await session.execute(delete(OutboxMessage))
    out = io.StringIO()
    script = "/meetings\n#1\n#3\n#1\n:quit\n"
    await Console(settings, db, out=out, files_dir=tmp_path / "files").run("A01", lines=io.StringIO(script))
    output = out.getvalue()
    assert output.count("[图片已保存到") == 2  # the QR code, then the same photo redrawn by "new code"
    assert "error" not in output.lower() and "主题党日" in output and f"第 {meeting_id} 号" not in output
