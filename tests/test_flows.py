"""One guided flow at a time, across features: starting a flow or sending a new command ends the person's
unfinished flows (meetings, first agenda, volunteer), so what they type next goes where they meant it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import select
from telegram.ext import ConversationHandler

from bot.app import started_offline
from bot.demo import telegram_id_of
from bot.offline import UpdateFactory
from handlers.flows import Flow
from storage.flows import FlowState
from tests.conftest import BotHarness

SECRETARY = "A01"
GROUP = -100500
CANCELLED = "已取消，未保存任何内容。"  # each flow's own reply to /cancel
NOTHING_TO_CANCEL = "当前没有可取消的操作。"  # the reply outside any flow
NO_MEASURE = "没有找到能回答这个问题的措施"  # plain text outside any flow is a question on the measures
REPORT_HOURS = "服务了多长时间"  # the report flow's question after the day
MATERIAL_SOURCE = "发布来源"  # the add-material flow's question after the title


async def _user_data(bot: BotHarness, member_no: str) -> dict[str, object]:
    """What the person's flows keep, as stored (nothing about a person is held in the process)."""
    async with bot.db.session() as session:
        data = await session.scalar(select(FlowState.data).where(FlowState.user_id == telegram_id_of(member_no)))
    return dict(data or {})


@asynccontextmanager
async def _restarted(bot: BotHarness) -> AsyncIterator[BotHarness]:
    """Another process on the same database (the first one stored everything as each update was handled)."""
    settings = bot.application.bot_data["resources"].settings
    application, request = await started_offline(settings, bot.db)
    try:
        yield BotHarness(application, request, UpdateFactory(application.bot), bot.db, bot.ids)
    finally:
        await application.shutdown()


async def test_every_guided_flow_follows_the_app_wide_rule(bot: BotHarness) -> None:
    handlers = [h for group in bot.application.handlers.values() for h in group]
    flows = [h for h in handlers if isinstance(h, Flow)]
    assert {f.name for f in flows} >= {"meeting_new", "first_agenda_material", "volunteer_report"}
    assert not any(isinstance(h, ConversationHandler) for h in handlers)  # no flow state held in the process


async def test_starting_a_meeting_flow_ends_an_unfinished_report(bot: BotHarness) -> None:
    assert "是哪一天" in (await bot.say(SECRETARY, "/report"))[0]
    assert "vp" in await _user_data(bot, SECRETARY)  # stored as the update was handled
    await bot.say(SECRETARY, "/newmeeting")
    await bot.press(SECRETARY, "mn:k:theme_day")
    # The typed date answers the meeting flow, not the report's day question.
    assert "几点开始" in (await bot.say(SECRETARY, "2099-01-01"))[0]
    assert await bot.say(SECRETARY, "/cancel") == [CANCELLED]
    # The report was ended too, and what it kept is gone: the next text is a question again.
    assert "vp" not in await _user_data(bot, SECRETARY)
    replies = await bot.say(SECRETARY, "昨天")
    assert replies[0].startswith(NO_MEASURE) and not any(REPORT_HOURS in r for r in replies)


async def test_a_flow_started_by_a_button_ends_another_features_flow(bot: BotHarness) -> None:
    await bot.say(SECRETARY, "/report")
    assert await bot.press(SECRETARY, "mn:new") == ["请选择会议类型："]  # no command: the flow's own start ends it
    assert "vp" not in await _user_data(bot, SECRETARY)
    await bot.press(SECRETARY, "mn:x")  # the meeting flow's Cancel button
    replies = await bot.say(SECRETARY, "昨天")
    assert replies[0].startswith(NO_MEASURE) and not any(REPORT_HOURS in r for r in replies)


async def test_a_new_command_ends_an_unfinished_material_flow(bot: BotHarness) -> None:
    await bot.say(SECRETARY, "/addmaterial")
    # Another feature's flow: the typed text is a community search, no longer the material's title.
    assert "请发送社区名称的一部分" in (await bot.say(SECRETARY, "/community"))[-1]
    assert await bot.say(SECRETARY, "党章") == ["没有与“党章”相符的社区，请换个名称试试。"]
    # A command that starts no flow ends it all the same.
    await bot.say(SECRETARY, "/addmaterial")
    await bot.say(SECRETARY, "/materials")
    assert "fa_add" not in await _user_data(bot, SECRETARY)
    replies = await bot.say(SECRETARY, "习近平关于加强党的作风建设论述摘编")
    assert not any(MATERIAL_SOURCE in r for r in replies)


async def test_a_command_in_a_group_ends_the_flow_of_the_private_chat(bot: BotHarness) -> None:
    await bot.say(SECRETARY, "/addmaterial")
    await bot.say(SECRETARY, "/linkgroup", chat_id=GROUP)
    replies = await bot.say(SECRETARY, "习近平关于加强党的作风建设论述摘编")
    assert not any(MATERIAL_SOURCE in r for r in replies)


async def test_cancel_and_help_leave_the_flow_to_answer(bot: BotHarness) -> None:
    await bot.say(SECRETARY, "/addmaterial")
    await bot.say(SECRETARY, "/help")  # a look at the commands keeps the flow
    assert MATERIAL_SOURCE in (await bot.say(SECRETARY, "习近平关于加强党的作风建设论述摘编"))[0]
    assert await bot.say(SECRETARY, "/cancel") == [CANCELLED]  # the flow's own reply
    assert "fa_add" not in await _user_data(bot, SECRETARY)
    # The flow is over: the next text is a question about the measures, not the material's source.
    after = (await bot.say(SECRETARY, "中央文献出版社"))[0]
    assert MATERIAL_SOURCE not in after and (after.startswith(NO_MEASURE) or "第" in after)
    await bot.say(SECRETARY, "/report")
    assert await bot.say(SECRETARY, "/cancel") == [CANCELLED]
    assert await bot.say(SECRETARY, "/cancel") == [NOTHING_TO_CANCEL]


async def test_a_lone_slash_is_no_command(bot: BotHarness) -> None:
    await bot.say(SECRETARY, "/addmaterial")
    assert await bot.say(SECRETARY, "/") == []  # neither fails nor ends the flow
    assert MATERIAL_SOURCE in (await bot.say(SECRETARY, "习近平关于加强党的作风建设论述摘编"))[0]


async def test_a_flow_ended_by_a_command_stays_ended_after_a_restart(bot: BotHarness) -> None:
    await bot.say(SECRETARY, "/report")
    async with _restarted(bot) as again:
        assert REPORT_HOURS in (await again.say(SECRETARY, "昨天"))[0]  # the flow survived the restart
        await again.say(SECRETARY, "/myservice")
        async with _restarted(again) as third:
            # "2" is no longer the hours of the report but a question: measure 2.
            assert (await third.say(SECRETARY, "2"))[0].startswith("<b>第2条")
            assert "vp" not in await _user_data(third, SECRETARY)
