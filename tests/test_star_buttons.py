"""The star rating's decisions as buttons (issue 14): submit under the secretary's /stars screen, announce and
publish under an administrator's. A press is one conditional write: of two at once one wins and the other is
told why nothing happened; forged data is a quiet refusal; pressed in a group, the screen stays private."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.clock import today
from bot.services.points.star_buttons import StarButton, StarStep
from storage.outbox import OutboxMessage
from storage.points import StarRating, StarStatus
from tests.conftest import BotHarness

GROUP = -100777
TZ = ZoneInfo("Asia/Shanghai")
SUBMITTED = "已提交，等待管理员审核。"
ALREADY = "评星自评已提交。"


def _year(bot: BotHarness) -> int:
    day = today(bot.application.bot_data["resources"].settings.tz)
    return day.year - 1 if day.month <= 3 else day.year


async def _status(bot: BotHarness) -> str | None:
    async with bot.db.session() as session:
        return await session.scalar(select(StarRating.status))


async def _admin_notices(bot: BotHarness) -> int:
    async with bot.db.session() as session:
        return int(await session.scalar(select(func.count()).where(OutboxMessage.kind == "stars")) or 0)


async def _self_assessed(bot: BotHarness) -> str:
    await bot.say("A01", "/stars self innovation 4 开展红色驿站项目")
    for key in ("leadership", "venue", "performance", "public"):  # the example rules' other manual criteria
        await bot.say("A01", f"/stars self {key} 1 按实际情况自评")
    return StarButton(step=StarStep.SUBMIT, branch=bot.ids.branch_a, year=_year(bot)).pack()


async def test_the_secretary_submits_with_a_button_and_a_second_press_is_told(bot: BotHarness) -> None:
    await bot.say("A01", "/stars")
    assert ("📤 提交审核", StarButton(step=StarStep.SUBMIT, branch=bot.ids.branch_a, year=_year(bot)).pack()) in (
        bot.request.calls[-1].buttons
    )
    submit = await _self_assessed(bot)
    texts = await bot.press("A01", submit)
    assert texts[0] == SUBMITTED and await _status(bot) == StarStatus.SUBMITTED
    edited = bot.request.sent(method="editMessageText")[-1]
    assert "已提交审核" in edited.text or "提交" in edited.text
    assert [data for _label, data in edited.buttons if not data.startswith("sv:y:")] == []  # nothing to decide
    notices = await _admin_notices(bot)
    assert await bot.press("A01", submit) == [ALREADY]  # a stale screen: told, nothing changes
    assert await _status(bot) == StarStatus.SUBMITTED and await _admin_notices(bot) == notices


async def test_two_leaders_pressing_at_once_one_wins(bot: BotHarness) -> None:
    submit = await _self_assessed(bot)
    before = len(bot.request.calls)
    await asyncio.gather(bot.press("A01", submit), bot.press("A02", submit))
    answers = [c.text for c in bot.request.calls[before:] if c.method == "answerCallbackQuery"]
    assert sorted(answers) == sorted([SUBMITTED, ALREADY])  # the winner confirmed, the loser told
    assert await _status(bot) == StarStatus.SUBMITTED
    assert await _admin_notices(bot) == 1  # the administrators are told once


async def test_refusals_change_nothing(bot: BotHarness) -> None:
    submit = await _self_assessed(bot)
    # another branch's secretary, a member, forged data: refused
    assert await bot.press("B01", submit) and await _status(bot) == StarStatus.DRAFT
    assert await bot.press("A03", submit) and await _status(bot) == StarStatus.DRAFT
    for forged in ("sr:submit:0:2026", "sr:submit:99999999999999999999:2026", "sr:nope:1:2026", "sr:"):
        await bot.press("A01", forged)
    assert await _status(bot) == StarStatus.DRAFT
    # an administrator cannot announce a year not over yet (nor under the shipped example rules)
    announce = StarButton(step=StarStep.ANNOUNCE, branch=bot.ids.branch_a, year=_year(bot)).pack()
    await bot.press("A01", submit)
    texts = await bot.press(100001, announce)  # the demo administrator (ADM1)
    assert texts and await _status(bot) == StarStatus.SUBMITTED


async def test_pressed_in_a_group_the_screen_stays_private(bot: BotHarness) -> None:
    submit = await _self_assessed(bot)
    texts = await bot.press("A01", submit, chat_id=GROUP)
    assert texts[0] == SUBMITTED and await _status(bot) == StarStatus.SUBMITTED
    assert all("开展红色驿站项目" not in call.text for call in bot.request.sent(GROUP))


async def _announced(bot: BotHarness, year: int) -> None:
    """The branch's rating for ``year`` under public notice until a week from today (as an administrator's
    announcement leaves it; announcing itself needs the unit's own rules and a year that is over)."""
    async with bot.db.session() as session:
        row = StarRating(
            branch_id=bot.ids.branch_a,
            year=year,
            status=StarStatus.ANNOUNCED,
            result={"stars": 2, "score": 468},
            announced_on=today(TZ),
            notice_ends_on=today(TZ) + timedelta(days=7),
        )
        session.add(row)


async def test_an_objection_and_its_answer_are_asked_for_after_the_press(bot: BotHarness) -> None:
    year = _year(bot) - 1
    await _announced(bot, year)
    objection = StarButton(step=StarStep.OBJECT, branch=bot.ids.branch_a, year=year).pack()
    assert await bot.press("A01", objection) == ["请填写异议理由（或发送 /cancel 取消）。"]
    assert await bot.say("A01", "志愿服务比例统计有误") == ["您的异议已提交给管理员。"]
    async with bot.db.session() as session:
        row = await session.scalar(select(StarRating))
        assert row is not None and (row.status, row.objection) == (StarStatus.OBJECTED, "志愿服务比例统计有误")
    assert await bot.press("A01", objection) == ["请填写异议理由（或发送 /cancel 取消）。"]  # a stale screen
    assert await bot.say("A01", "再提一次") == ["没有正在公示的结果可以提出异议。"]  # told; nothing changes
    answer = StarButton(step=StarStep.ANSWER, branch=bot.ids.branch_a, year=year).pack()
    assert await bot.press("A01", answer)  # not an administrator: refused
    await bot.press(100001, answer)
    assert await bot.say(100001, "经复核，统计无误") == ["已发布。"]
    async with bot.db.session() as session:
        row = await session.scalar(select(StarRating))
        assert row is not None and (row.status, row.answer) == (StarStatus.PUBLISHED, "经复核，统计无误")
