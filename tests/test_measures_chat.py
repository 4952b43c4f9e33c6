"""Questions on the measures in chat: answers with quotes and buttons, browsing, numbers, bad input."""

from __future__ import annotations

import pytest
from telegram.constants import MessageLimit

from tests.conftest import BotHarness

GUEST = 555_000_222


async def test_guest_question_in_private_chat_gets_the_measure_quoted_in_bold(bot: BotHarness) -> None:
    replies = await bot.say(GUEST, "党费能用来干什么")
    assert len(replies) == 1
    text = replies[0]
    assert text.startswith("<b>第16条 · 保障党内活动经费</b>")
    assert "<i>三、锻造全面过硬党组织</i>" in text
    assert "<b>党费</b>" in text and "<blockquote>" in text
    buttons = bot.request.calls[-1].buttons
    assert buttons[0] == ("第16条全文", "ms:m:16")
    assert buttons[-1] == ("措施目录", "ms:idx")
    assert len(buttons) <= 4  # full text, up to two related, the index


async def test_english_user_gets_the_english_rendering(bot: BotHarness) -> None:
    replies = await bot.say(GUEST, "what can party dues be used for", language_code="en")
    assert replies[0].startswith("<b>Measure 16 · Guarantee funds for Party activities</b>")
    assert bot.request.calls[-1].buttons[0] == ("Full text of measure 16", "ms:m:16")


async def test_ask_works_in_a_group_even_if_not_linked(bot: BotHarness) -> None:
    replies = await bot.say("A03", "/ask 支部一年要学几次党章", chat_id=-100777)
    assert "第5条" in replies[0] or "第10条" in replies[0]
    assert await bot.say("A03", "/ask", chat_id=-100777) == ["请在 /ask 后面写上您的问题，例如：/ask 党费能用来干什么"]


async def test_plain_chatter_in_a_group_is_not_answered(bot: BotHarness) -> None:
    assert await bot.say("A03", "大家好", chat_id=-100777) == []


@pytest.mark.parametrize("argument", ["16", "第十六条", "措施十六"])
async def test_measure_command_shows_one_measure_in_full(bot: BotHarness, argument: str) -> None:
    replies = await bot.say("A03", f"/measure {argument}")
    assert replies[0].startswith("<b>第16条 · 保障党内活动经费</b>")
    assert "党费主要作为党员教育经费的补充" in replies[0]
    assert [label for label, _ in bot.request.calls[-1].buttons] == ["◀ 第15条", "本部分", "第17条 ▶"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/measure 99", "没有第99条措施，《若干措施》共32条。"),
        ("/measure", "要看哪一条？请给出 1 至 32 的编号，例如 /measure 16。"),
        ("第99条", "没有第99条措施，《若干措施》共32条。"),
        ("今天天气怎么样", "没有找到能回答这个问题的措施，我不想乱猜。"),
        ("😀😀😀", "没有找到能回答这个问题的措施，我不想乱猜。"),
        ("啊", "没有找到能回答这个问题的措施，我不想乱猜。"),
        ("党" * 4000, "内容太长了。请只问一个简短的问题，例如：党费能用来干什么？"),
    ],
)
async def test_bad_questions_get_a_clear_answer(bot: BotHarness, text: str, expected: str) -> None:
    replies = await bot.say(GUEST, text)
    assert len(replies) == 1 and replies[0].startswith(expected), replies


async def test_browse_sections_and_measures_in_place(bot: BotHarness) -> None:
    await bot.say("A03", "/measures")
    index_call = bot.request.calls[-1]
    assert "关于加强和改进市直机关党的建设的若干措施" in index_call.text
    assert "2021年11月23日" in index_call.text
    assert len(index_call.buttons) == 7 and index_call.buttons[2][1] == "ms:s:3"
    await bot.press("A03", "ms:s:3")
    edit = bot.request.sent(method="editMessageText")[-1]
    assert edit.text.startswith("<b>三、锻造全面过硬党组织</b>")
    assert ("16", "ms:m:16") in edit.buttons
    await bot.press("A03", "ms:m:16")
    edit = bot.request.sent(method="editMessageText")[-1]
    assert "党费主要作为党员教育经费的补充" in edit.text


async def test_forged_browse_buttons_change_nothing(bot: BotHarness) -> None:
    before = len(bot.request.sent(method="editMessageText"))
    await bot.press("A03", "ms:s:99")
    assert len(bot.request.sent(method="editMessageText")) == before
    assert bot.request.calls[-1].method == "answerCallbackQuery"


def test_every_measure_fits_in_one_message() -> None:
    from bot.measures import get_index
    from bot.templates import render

    for lang, locale in (("zh", "zh_CN"), ("en", "en")):
        index = get_index(lang)
        for measure in index.notice.measures:
            text = render("measures/measure.html.j2", locale, measure=measure, notice=index.notice)
            assert len(text) < MessageLimit.MAX_TEXT_LENGTH
