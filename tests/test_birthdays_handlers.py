"""Political birthdays in chat: /birthdays for leaders and administrators, /mybirthday, the buttons, the greeting."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from bot.demo import telegram_id_of
from bot.jobs.birthdays import run_birthdays
from storage.birthdays import BirthdayPreference, BirthdayWish
from storage.models import AuditEntry, Member
from tests.conftest import BotHarness

SHANGHAI = ZoneInfo("Asia/Shanghai")
GROUP = -100_555


@pytest.fixture(autouse=True)
def on_26_november() -> Iterator[None]:
    """Every test here happens on 26 November 2026, 10:00 in Dongguan: 张伟's and 吴强's political birthday."""
    with time_machine.travel(datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


async def change(bot: BotHarness, member_no: str, **values: object) -> None:
    async with bot.db.session() as session:
        member = await session.scalar(select(Member).where(Member.member_no == member_no))
        assert member is not None
        for key, value in values.items():
            setattr(member, key, value)


async def drain(bot: BotHarness) -> int:
    """Send the outbox, as the scheduler would."""
    return await bot.drain_outbox()


def last_alert(bot: BotHarness) -> str:
    call = bot.request.calls[-1]
    assert call.method == "answerCallbackQuery" and call.params.get("show_alert")
    return str(call.params["text"])


async def test_secretary_sees_the_month_and_pages_through_months(bot: BotHarness) -> None:
    a = bot.ids.branch_a
    [text] = await bot.say("A01", "/birthdays")
    assert text.startswith("<b>第一党支部2026年11月政治生日</b>")
    assert "11月26日 · 张伟 · 2014年11月26日入党 · 第12周年" in text
    assert "赵磊：未录入入党日期" in text
    assert bot.request.calls[-1].buttons == [("◀ 上个月", f"bd:l:2026:10:{a}"), ("下个月 ▶", f"bd:l:2026:12:{a}")]
    [edited] = await bot.press("A01", f"bd:l:2026:12:{a}")
    assert bot.request.calls[-1].method == "editMessageText"
    assert "2026年12月" in edited and "陈静" in edited and "张伟" not in edited
    [february] = await bot.say("A02", "/birthdays 2027-02")  # the delegated committee member, another month
    assert "2月28日 · 刘洋 · 2008年2月29日入党 · 第19周年" in february
    assert await bot.say("A01", "/birthdays 2026-13") == ["请写月份，例如“12月”或2026-11。"]


async def test_members_may_not_see_branch_lists_even_with_a_forged_button(bot: BotHarness) -> None:
    assert await bot.say("A03", "/birthdays") == ["抱歉，您的角色不能使用 /birthdays。"]
    await bot.press("A03", f"bd:l:2026:11:{bot.ids.branch_a}")
    assert last_alert(bot) == "只有支部书记（或受委托的支部委员）才能进行此操作。"
    await bot.press("B01", f"bd:l:2026:11:{bot.ids.branch_a}")  # another branch's secretary
    assert last_alert(bot) == "只有支部书记（或受委托的支部委员）才能进行此操作。"
    await bot.press("A01", "bd:c:2026:11")  # counts are for administrators
    assert last_alert(bot) == "只有管理员可以查看多个支部的统计。"
    await bot.press("A01", f"bd:l:2026:13:{bot.ids.branch_a}")
    assert last_alert(bot) == "该按钮已失效，请重新发送 /birthdays。"
    await bot.press("A01", "bd:whatever")
    assert last_alert(bot) == "该按钮已失效，请重新发送 /birthdays。"
    assert not bot.request.sent(method="editMessageText")


async def test_administrator_gets_counts_and_opens_a_branch(bot: BotHarness) -> None:
    [text] = await bot.say(100001, "/birthdays")  # ADM1
    assert "2026年11月各支部政治生日" in text
    assert "第一党支部：政治生日1人" in text and "1人入党日期待更正" in text
    assert "合计：政治生日2人。" in text
    buttons = bot.request.calls[-1].buttons
    assert ("第二党支部（1）", f"bd:l:2026:11:{bot.ids.branch_b}") in buttons
    [branch] = await bot.press(100001, f"bd:l:2026:11:{bot.ids.branch_b}")
    assert "第二党支部2026年11月政治生日" in branch and "吴强" in branch
    assert ("« 全部支部", "bd:c:2026:11") in bot.request.calls[-1].buttons
    [back] = await bot.press(100001, "bd:c:2026:12")
    assert "2026年12月各支部政治生日" in back


async def test_lists_are_only_given_in_private(bot: BotHarness) -> None:
    await bot.say("A01", "/linkgroup", chat_id=GROUP)
    assert await bot.say("A01", "/birthdays", chat_id=GROUP) == ["政治生日涉及个人信息，请在与我的私聊中查询。"]
    assert await bot.say("A03", "/mybirthday", chat_id=GROUP) == ["政治生日涉及个人信息，请在与我的私聊中查询。"]
    assert bot.request.calls[-1].buttons == [("打开私聊", "https://t.me/branch_assistant_bot?start=private")]


async def test_member_sees_their_birthday_and_turns_the_greeting_off_and_on(bot: BotHarness) -> None:
    [text] = await bot.say("A03", "/mybirthday")
    assert "您于2014年11月26日加入中国共产党。" in text
    assert "今天是您的政治生日——入党第12周年！" in text
    assert bot.request.calls[-1].buttons == [("关闭政治生日祝福", "bd:off")]
    [edited] = await bot.press("A03", "bd:off")
    assert "政治生日当天的祝福已关闭" in edited
    assert bot.request.calls[-1].buttons == [("开启政治生日祝福", "bd:on")]
    async with bot.db.session() as session:
        preference = await session.get(BirthdayPreference, bot.ids.members_a[2])
        assert preference is not None and not preference.greetings_enabled
    resources = bot.application.bot_data["resources"]
    await run_birthdays(bot.db, resources.settings, resources.env)
    await drain(bot)
    assert not [t for t in bot.request.texts(telegram_id_of("A03")) if "政治生日快乐" in t]
    [text] = await bot.say("A03", "/mybirthday on")
    assert "政治生日当天我会向您送上祝福" in text
    assert await bot.say("A03", "/mybirthday maybe") == [
        "发送“/mybirthday 开启”或“/mybirthday 关闭”可更改政治生日祝福。"
    ]
    async with bot.db.session() as session:
        actions = (await session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "member"))).all()
    assert actions == ["birthday_greetings_off", "birthday_greetings_on"]


async def test_member_next_birthday_and_missing_join_date(bot: BotHarness) -> None:
    [text] = await bot.say("A04", "/mybirthday")
    assert "您的下一个政治生日是2027年2月28日（周日），入党第19周年。" in text
    await change(bot, "A05", join_date=None)
    [text] = await bot.say("A05", "/mybirthday")
    assert "花名册中没有您的入党日期，请联系支部书记补录。" in text
    await change(bot, "A05", join_date=date(2031, 1, 1))
    [text] = await bot.say("A05", "/mybirthday")
    assert "花名册中您的入党日期（2031-01-01）有误" in text


async def test_the_greeting_arrives_in_the_members_language_with_the_oath(bot: BotHarness) -> None:
    await change(bot, "A03", language="en")
    resources = bot.application.bot_data["resources"]
    await run_birthdays(bot.db, resources.settings, resources.env)
    assert await drain(bot) == 2
    [greeting] = bot.request.sent(chat_id=telegram_id_of("A03"), method="sendMessage")
    assert "<b>Happy political birthday, 张伟!</b>" in greeting.text
    assert "On 26 Nov 2014 you joined the Communist Party of China." in greeting.text
    assert "Today marks 12 years since you joined the Party." in greeting.text
    assert greeting.buttons == [("Re-read the Party oath", "bd:oath")]
    [oath] = await bot.press("A03", "bd:oath")
    assert oath.startswith("<b>The oath of admission to the Party</b>")
    [chinese] = bot.request.sent(chat_id=telegram_id_of("B03"), method="sendMessage")
    assert "吴强同志，政治生日快乐！" in chinese.text and chinese.buttons == [("重温入党誓词", "bd:oath")]
    [oath] = await bot.press("B03", "bd:oath")
    assert "我志愿加入中国共产党，拥护党的纲领" in oath


async def test_the_branch_wish_goes_into_the_greetings(bot: BotHarness) -> None:
    [text] = await bot.say("A01", "/birthdays wish")
    assert "第一党支部在党员政治生日祝福中使用标准祝福语。" in text
    [text] = await bot.say("A01", "/birthdays wish 愿你<初心>如磐，使命在肩！")
    assert text.startswith("已保存。") and "愿你&lt;初心&gt;如磐，使命在肩！" in text
    resources = bot.application.bot_data["resources"]
    await run_birthdays(bot.db, resources.settings, resources.env)
    await drain(bot)
    [greeting] = bot.request.texts(telegram_id_of("A03"))[-1:]
    assert "愿你&lt;初心&gt;如磐，使命在肩！\n— 第一党支部" in greeting
    assert "第二党支部祝您政治生日快乐" in bot.request.texts(telegram_id_of("B03"))[-1]  # B keeps the standard
    [text] = await bot.say("A02", "/birthdays wish -")  # the delegated committee member may reset it
    assert "标准祝福语" in text
    async with bot.db.session() as session:
        assert await session.get(BirthdayWish, bot.ids.branch_a) is None
    too_long = "长" * 301
    assert await bot.say("A01", f"/birthdays wish {too_long}") == ["寄语太长了，最多300个字。"]
    # An administrator has no branch of their own: told whose it is to write, nothing stored.
    assert await bot.say(100001, "/birthdays wish 你好") == ["每个支部的寄语由本支部书记发送“/birthdays 寄语”设置。"]
    async with bot.db.session() as session:
        assert (await session.scalars(select(BirthdayWish))).all() == []


async def test_menus_show_the_commands_to_the_right_roles(bot: BotHarness) -> None:
    await bot.say("A03", "/help")  # the birthdays are in /help's 查询 group
    member_help = (await bot.press("A03", "help:records"))[0]
    assert "/mybirthday — 我的政治生日" in member_help and "/birthdays" not in member_help
    await bot.say("A01", "/help")
    secretary_help = (await bot.press("A01", "help:records"))[0]
    assert "/birthdays — 本月政治生日" in secretary_help and "/mybirthday" in secretary_help


async def test_a_branch_list_asked_for_in_a_group_shows_no_name_there(bot: BotHarness) -> None:
    await bot.say("A01", "/linkgroup", chat_id=GROUP)
    typed = await bot.say("A01", "/birthdays", chat_id=GROUP)
    before = len(bot.request.calls)
    pressed = await bot.press("A01", f"bd:l:2026:11:{bot.ids.branch_a}", chat_id=GROUP)
    in_group = " ".join(typed + pressed + [c.text or "" for c in bot.request.calls[before:]])
    assert "政治生日涉及个人信息" in in_group
    for name in ("张伟", "赵磊"):  # branch A: a November birthday, a join date to fix
        assert name not in in_group
    assert not bot.request.sent(method="editMessageText")
