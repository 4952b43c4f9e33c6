"""The send boundary (bot/outgoing.py): every outgoing message valid Telegram HTML, within the API's limits,
and private screens kept out of groups -- for typed commands, pressed buttons and the outbox's pushes."""

from __future__ import annotations

import logging

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import BranchContext
from bot.offline import BOT_USERNAME
from bot.outgoing import OutgoingBot
from bot.screens import private
from bot.telegram_html import plain_length, problems
from tests.conftest import BotHarness

GROUP = -1001234567890
USER = 424242
SECRET = private("<b>请假名单</b>\n张三：病假\n李四：事假", "leave reasons")


def boundary(bot: BotHarness) -> OutgoingBot:
    assert isinstance(bot.application.bot, OutgoingBot)
    return bot.application.bot


def add_screens(bot: BotHarness) -> None:
    """A typed command and a button that show a private screen, ahead of every feature's handlers."""

    async def typed(update: Update, context: BranchContext) -> None:
        assert update.message is not None
        await update.message.reply_text(SECRET)

    async def pressed(update: Update, context: BranchContext) -> None:
        assert update.callback_query is not None
        await update.callback_query.edit_message_text(SECRET)
        await update.callback_query.answer()

    bot.application.add_handler(CommandHandler("leavelist", typed), group=-1000)
    bot.application.add_handler(CallbackQueryHandler(pressed, pattern="^leavelist$"), group=-1000)


async def test_a_private_screen_typed_in_a_group_shows_no_name_there(bot: BotHarness) -> None:
    add_screens(bot)
    texts = await bot.say(USER, "/leavelist", chat_id=GROUP)
    assert texts and all("张三" not in text and "病假" not in text for text in texts)
    [notice] = [call for call in bot.request.sent(GROUP, "sendMessage") if call.buttons]
    assert "私聊" in notice.text
    assert notice.buttons == [("打开私聊", f"https://t.me/{BOT_USERNAME}?start=private")]
    assert boundary(bot).stats.private_refused == 1
    # the same command in the private chat shows the screen
    assert await bot.say(USER, "/leavelist") == [SECRET]


async def test_a_private_screen_pressed_in_a_group_is_an_alert_not_an_edit(bot: BotHarness) -> None:
    add_screens(bot)
    texts = await bot.press(USER, "leavelist", chat_id=GROUP, language_code="en")
    assert [c.method for c in bot.request.calls[-1:]] == ["answerCallbackQuery"]
    assert not bot.request.sent(GROUP)  # nothing edited or sent into the group
    [answer] = bot.request.sent(method="answerCallbackQuery")
    assert answer.params["show_alert"] is True and "private chat" in answer.text
    assert all("张三" not in text for text in texts)
    # pressed in the private chat, the message is edited to the screen
    await bot.press(USER, "leavelist")
    assert bot.request.sent(USER, "editMessageText")[-1].text == SECRET


async def test_invalid_html_is_sent_as_a_safe_version_and_counted(
    bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="bot.outgoing"):
        await bot.application.bot.send_message(USER, "<b>张三 <script>x</script> AT&T")
    [call] = bot.request.sent(USER, "sendMessage")
    assert call.text == "张三 x AT&amp;T" and problems(call.text) == []
    assert boundary(bot).stats.invalid == 1
    assert "test_outgoing" in caplog.text  # the origin of the bad message is logged


async def test_a_long_text_is_split_at_lines_with_the_buttons_on_the_last_piece(bot: BotHarness) -> None:
    text = "<b>名单</b>\n" + "\n".join(f"{n:04d} <i>党员{n}</i> 已签到" for n in range(600))
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="x")]])
    await bot.application.bot.send_message(USER, text, reply_markup=markup)
    calls = bot.request.sent(USER, "sendMessage")
    assert len(calls) > 1 and boundary(bot).stats.split == 1
    for call in calls:
        assert problems(call.text, limit=4096) == []
        assert all(line.endswith("已签到") or line == "<b>名单</b>" for line in call.text.strip("\n").split("\n"))
    assert [bool(c.buttons) for c in calls] == [False] * (len(calls) - 1) + [True]
    assert sum(plain_length(c.text) for c in calls) == plain_length(text)  # nothing lost, nothing added


async def test_a_long_caption_moves_into_a_following_text(bot: BotHarness) -> None:
    caption = "说明" * 600
    await bot.application.bot.send_document(USER, b"data", filename="a.csv", caption=caption)
    document, text = bot.request.sent(USER)
    assert document.method == "sendDocument" and not document.params.get("caption")
    assert text.method == "sendMessage" and text.text == caption


async def test_a_keyboard_telegram_would_refuse_is_dropped_not_the_message(bot: BotHarness) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x" * 65)]])
    await bot.application.bot.send_message(USER, "text", reply_markup=markup)
    [call] = bot.request.sent(USER)
    assert call.text == "text" and call.buttons == [] and boundary(bot).stats.bad_markup == 1


async def test_the_outbox_push_goes_through_the_boundary(bot: BotHarness) -> None:
    from bot.services import outbox

    async with bot.db.session() as session:
        await outbox.enqueue(session, chat_id=GROUP, text=private("张三：病假"), dedup_key="t:1")
        await outbox.enqueue(session, chat_id=USER, text="<b>坏 <p>", dedup_key="t:2")
    await bot.drain_outbox()
    texts = bot.request.texts(GROUP)
    assert texts and all("张三" not in t for t in texts)
    assert bot.request.texts(USER) == ["坏"]
    assert boundary(bot).stats.invalid == 1 and boundary(bot).stats.private_refused == 1
