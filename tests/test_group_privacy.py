"""A branch's group chat sees no member's own records and runs no guided flow (issue 11 item 1, from the walk).

/my and /myservice are the member's own screens (declared private, so the send boundary answers a group with the
button that opens the private chat); a guided flow tracked per chat does not start in a group (handlers.flows);
an administrator's /linkgroup says who links a group instead of "no such branch".
"""

from __future__ import annotations

from sqlalchemy import func, select

from bot.demo import telegram_id_of
from bot.templates import TEMPLATES_DIR
from storage.first_agenda import StudyMaterial
from storage.models import Organisation
from storage.volunteer import Activity, SignUp
from tests.conftest import BotHarness
from tests.meetings_helpers import schedule
from tests.volunteer_helpers import actor_of, add_activity, add_communities

GROUP = -100500
ADMIN = 100001  # 郑管理 (ADM1), the demo administrator
NOTICE = "这个页面含有个人信息，只在与我的私聊中显示。"
PRIVATE_BUTTON = [("打开私聊", "https://t.me/branch_assistant_bot?start=private")]
FLOW_REFUSAL = "请在与我的私聊中进行此操作。"
FLOW_BUTTON = PRIVATE_BUTTON  # one button opens the private chat, whoever refuses


async def _link(bot: BotHarness) -> None:
    assert await bot.say("A01", "/linkgroup", chat_id=GROUP) == ["本群已关联到第一党支部。"]


async def test_a_members_own_records_are_not_shown_in_the_group(bot: BotHarness) -> None:
    await _link(bot)
    settings = bot.application.bot_data["resources"].settings
    await schedule(bot.db, settings, branch_id=bot.ids.branch_a)
    async with bot.db.session() as session:
        ids = await add_communities(session)
        activity = await add_activity(session, await actor_of(session, "A01"), ids["garden"], title="敬老院探访")
    await bot.press("A03", f"va:{activity.id}:join")
    for command in ("/my", "/myservice"):
        before = len(bot.request.calls)
        assert await bot.say("A03", command, chat_id=GROUP) == [NOTICE], command
        assert bot.request.calls[-1].buttons == PRIVATE_BUTTON
        shown = [c.text or "" for c in bot.request.calls[before:]]
        assert not any("张伟" in text or "敬老院探访" in text for text in shown), command
    # in the private chat both screens are shown as before
    assert "张伟" in (await bot.say("A03", "/my"))[0]
    assert "敬老院探访" in (await bot.say("A03", "/myservice"))[0]
    for template in ("meetings/my", "volunteer/myservice"):
        first_line = (TEMPLATES_DIR / f"{template}.html.j2").read_text(encoding="utf-8").splitlines()[0]
        assert first_line.startswith("{# private:"), template


async def test_guided_flows_do_not_start_in_a_group(bot: BotHarness) -> None:
    await _link(bot)
    async with bot.db.session() as session:
        materials = await session.scalar(select(func.count()).select_from(StudyMaterial))
        ids = await add_communities(session)
        activity = await add_activity(session, await actor_of(session, "A01"), ids["garden"])
    for user in ("A01", ADMIN):
        assert await bot.say(user, "/addmaterial", chat_id=GROUP) == [FLOW_REFUSAL]
        assert bot.request.calls[-1].buttons == FLOW_BUTTON
        assert await bot.say(user, "党章学习材料", chat_id=GROUP) == []  # not taken as the title
        assert await bot.press(user, "fa:add", chat_id=GROUP) == [FLOW_REFUSAL]  # the materials list's button
    for field in ("title", "when", "slots", "place", "skills", "description"):  # the activity card's edit menu
        assert await bot.press("A01", f"vae:{activity.id}:{field}", chat_id=GROUP) == [FLOW_REFUSAL], field
    assert await bot.say("A01", "敬老院探访", chat_id=GROUP) == []
    async with bot.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(StudyMaterial)) == materials
        stored = await session.get(Activity, activity.id)
        assert stored is not None and stored.title == "社区环境整治"
    # in the private chat the flow starts as before
    assert await bot.say("A01", "/addmaterial") == ["材料标题是什么？（发送 /cancel 可退出）"]


async def test_an_administrators_linkgroup_says_who_links_a_group(bot: BotHarness) -> None:
    group = -100600  # not linked yet
    replies = await bot.say(ADMIN, "/linkgroup", chat_id=group)
    assert replies == ["支部的群聊由支部书记关联。\n请支部书记在本群发送 /linkgroup。"]
    async with bot.db.session() as session:
        assert await session.scalar(select(func.count()).where(Organisation.chat_id == group)) == 0
    await _link(bot)  # the secretary still links the branch's group


async def test_a_command_with_several_private_screens_gets_one_notice_in_the_group(bot: BotHarness) -> None:
    """/service answers with the totals and the approval queue, both private: the group gets one notice."""
    await _link(bot)
    assert await bot.say("A01", "/service", chat_id=GROUP) == [NOTICE]
    assert bot.request.calls[-1].buttons == PRIVATE_BUTTON
    assert len(await bot.say("A01", "/service")) >= 1  # in the private chat the screens are sent


async def test_an_activitys_check_in_code_pressed_in_the_group_goes_to_the_private_chat(bot: BotHarness) -> None:
    """A code posted in the group could be scanned from anywhere: a check-in without being there."""
    await _link(bot)
    async with bot.db.session() as session:
        ids = await add_communities(session)
        activity = await add_activity(session, await actor_of(session, "A01"), ids["garden"])
    assert (await bot.press("A01", f"va:{activity.id}:qr", chat_id=GROUP))[0] == "签到二维码已私聊发给您。"
    assert not [c for c in bot.request.sent(GROUP) if c.method == "sendPhoto" or "vk_" in (c.text or "")]
    photo = bot.request.sent(telegram_id_of("A01"), method="sendPhoto")[-1]
    assert "vk_" in (photo.text or "")


async def test_an_activity_card_in_the_group_is_not_redrawn_for_the_member_who_pressed_it(bot: BotHarness) -> None:
    await _link(bot)
    async with bot.db.session() as session:
        ids = await add_communities(session)
        activity = await add_activity(session, await actor_of(session, "A01"), ids["garden"], title="敬老院探访")
    before = len(bot.request.calls)
    await bot.press("A03", f"va:{activity.id}:join", chat_id=GROUP)
    calls = bot.request.calls[before:]
    # The presser is answered (an alert only they see); the group's card is not edited to "you have a place".
    assert [c.method for c in calls] == ["answerCallbackQuery"]
    assert calls[0].params.get("text") == "报名成功。" and calls[0].params.get("show_alert") is True
    async with bot.db.session() as session:  # the place is taken all the same
        signed = await session.scalar(select(func.count()).select_from(SignUp).where(SignUp.activity_id == activity.id))
    assert signed == 1
    # opening the card from the group: a hint, and the card stays as it is
    before = len(bot.request.calls)
    await bot.press("A04", f"va:{activity.id}", chat_id=GROUP)
    assert [c.method for c in bot.request.calls[before:]] == ["answerCallbackQuery"]
