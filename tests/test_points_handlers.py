"""/points and /stars in chat over the demo organisation: own points with a rank band, the branch for its
leaders, the stars screen and self-assessment, private chats only; the screens show what the CLI's JSON says."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.clock import today
from bot.services.points import service
from bot.services.points.rules import tenths_text
from storage.points import StarRating
from tests.conftest import BotHarness

GROUP = -100777
TZ = ZoneInfo("Asia/Shanghai")


async def test_a_member_sees_own_points_and_band_not_others(bot: BotHarness) -> None:
    [text] = await bot.say("A03", "/points")
    assert "我的积分" in text and "基础分" in text and "支部内排名段" in text
    assert "王建国" not in text  # no other names: the example rules do not publish them
    local = today()
    async with bot.db.session() as session:
        rows = await service.report(session, None, str(bot.ids.branch_a), date(local.year, 1, 1), local, TZ)
    mine = next(r for r in rows if r.member_no == "A03")
    assert f"第一党支部：{tenths_text(mine.points)}分" in text  # the chat shows what the report says
    [details] = await bot.press("A03", "pt:ev")
    assert "积分明细" in details


async def test_leaders_see_their_branch_in_private_only(bot: BotHarness) -> None:
    [text] = await bot.say("A01", "/points branch")
    assert "第一党支部党员积分" in text and "张伟（A03）" in text
    await bot.say("A01", "/linkgroup", chat_id=GROUP)
    assert await bot.say("A01", "/points branch", chat_id=GROUP) == ["积分属于个人信息：请在私聊中查询。"]
    refused = await bot.say("A01", "/points add A03 commendation 9 太多了")
    assert refused == ["“commendation”每次记分范围为0.5至5分，不能记9分。"]
    saved = await bot.say("A01", "/points add A03 commendation 2 抗洪抢险表现突出")
    assert saved == ["已保存：A03“commendation”记2分。"]
    refused = await bot.say("A01", "/points add B03 commendation 2 跨支部")
    assert refused == ["吴强是其他支部的党员。"]


async def test_stars_for_the_secretary(bot: BotHarness) -> None:
    [text] = await bot.say("A01", "/stars")
    assert "评星定级" in text and "创新项目：0/5（待自评）" in text
    [after] = await bot.say("A01", "/stars 自评 innovation 4 开展红色驿站项目")  # typed, as before the buttons
    assert "自评4分：开展红色驿站项目" in after
    async with bot.db.session() as session:
        row = await session.scalar(select(StarRating))
        assert row is not None and row.self_scores["innovation"]["score"] == 40
    assert await bot.say("A03", "/stars") == ["抱歉，您的角色不能使用 /stars。"]
