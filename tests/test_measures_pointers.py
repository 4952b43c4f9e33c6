"""An answer on the measures points to the assistant's own commands for what it is about (bot.measures.pointers)."""

from __future__ import annotations

from bot.features import menu
from bot.measures.pointers import POINTERS, SHOWN, pointed_commands
from tests.conftest import BotHarness

GUEST = 555_000_333
MEMBER, SECRETARY = "A03", "A01"  # the demo roster's 张伟 (a member) and 王建国 (the first branch's secretary)


def pointer_lines(text: str) -> list[str]:
    """The lines under the answer's "在支部助手里办理：" (or its English), [] when it has none."""
    lines = text.splitlines()
    for heading in ("在支部助手里办理：", "Do it with the assistant:"):
        if heading in lines:
            start = lines.index(heading)
            assert lines[start - 1] == "", lines  # a blank line above it
            return lines[start + 1 :]
    return []


def test_every_command_a_pointer_names_is_in_the_menu() -> None:
    known = {command.name for command in menu().commands}
    named = {command for pointer in POINTERS for command in pointer.commands}
    assert named <= known, named - known


def test_a_question_names_the_subject_of_a_feature_in_its_own_words() -> None:
    assert pointed_commands("政治生日怎么过")[:2] == ("birthdays", "mybirthday")
    assert "report" in pointed_commands("志愿服务时长怎么记录")
    assert pointed_commands("how do I log my volunteer hours")[:1] == ("service",)
    assert pointed_commands("机关在职党员要向居住地社区报到吗")[:1] == ("community",)
    # Not the measure alone: measure 5 is also the Party lesson, and dues have no command.
    assert pointed_commands("书记讲党课有什么要求") == ()
    assert pointed_commands("党费能用来干什么") == ()
    # The branch committee's meeting, not a Party committee's.
    assert pointed_commands("how often must the branch committee meeting be held")[:2] == ("compliance", "newmeeting")
    assert pointed_commands("what does the party committee meeting discuss") == ()
    # Points in the Party's sense only: 积分入学 is a school place.
    assert pointed_commands("党员积分由谁来打") == ("points",)
    assert pointed_commands("东莞积分入学需要哪些材料") == ()


async def test_a_member_is_pointed_to_the_members_command(bot: BotHarness) -> None:
    text = (await bot.say(MEMBER, "政治生日怎么过"))[0]
    assert "—— 第5条" in text
    assert pointer_lines(text) == ["/mybirthday — 我的政治生日"], text


async def test_a_secretary_is_pointed_to_the_branchs_commands_first(bot: BotHarness) -> None:
    text = (await bot.say(SECRETARY, "政治生日怎么过"))[0]
    assert pointer_lines(text) == ["/birthdays — 本月政治生日", "/mybirthday — 我的政治生日"], text
    # At most SHOWN, the most direct first: the volunteer service has five commands a secretary may use.
    lines = pointer_lines((await bot.say(SECRETARY, "志愿服务时长怎么记录"))[0])
    assert len(lines) == SHOWN and lines[0].startswith("/service — "), lines
    # What is due at the year's end, the issue's own example: the branch ledger the assistant keeps.
    text = (await bot.say(SECRETARY, "我刚当上支部书记，年底要交什么"))[0]
    assert "—— 第30条" in text and pointer_lines(text)[:1] == ["/ledger — 台账（Excel 文件）"], text


async def test_the_regulations_frequency_is_pointed_to_the_meetings(bot: BotHarness) -> None:
    # The how-often reply (the measures set no frequency) points to what is due and to scheduling a meeting.
    text = (await bot.say(SECRETARY, "支委会多久开一次"))[0]
    assert "支部委员会会议：每月至少1次" in text
    assert pointer_lines(text)[:2] == ["/compliance — 本月、本季度、本年度会议落实情况", "/newmeeting — 安排会议"], text


async def test_in_english_the_pointers_read_in_english(bot: BotHarness) -> None:
    text = (await bot.say(MEMBER, "how do I log my volunteer hours", language_code="en"))[0]
    lines = pointer_lines(text)
    assert "/report — Report volunteer service done elsewhere" in lines, text
    assert "/myservice — My volunteer hours" in lines, text


async def test_no_pointer_where_there_is_no_command_to_point_to(bot: BotHarness) -> None:
    # Someone not on the roster may use none of these commands; dues have no command; nor a group, where the answer
    # is read by all and the commands would be the asker's.
    assert pointer_lines((await bot.say(GUEST, "政治生日怎么过"))[0]) == []
    assert pointer_lines((await bot.say(MEMBER, "党费能用来干什么"))[0]) == []
    # A question declined as off-topic, with no measure near it: its subject word is not the branch's business.
    text = (await bot.say(MEMBER, "台风天的志愿者补贴怎么发"))[0]
    assert "没有找到" in text and pointer_lines(text) == [], text
    await bot.say(SECRETARY, "/linkgroup", chat_id=-100_999)
    text = (await bot.say(MEMBER, "/ask 政治生日怎么过", chat_id=-100_999))[0]
    assert "—— 第5条" in text and pointer_lines(text) == [], text
