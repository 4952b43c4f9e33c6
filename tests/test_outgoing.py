"""The send boundary (bot/outgoing.py): every outgoing message valid Telegram HTML, within the API's limits,
and private screens kept out of groups -- for typed commands, pressed buttons and the outbox's pushes."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import BranchContext
from bot.offline import BOT_USERNAME, ApiCall
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


# --- albums, edited captions and media, other files: the same checks --------------------------------------------


def _photo(caption: str, **kw: Any) -> InputMediaPhoto:
    return InputMediaPhoto(PNG, caption=caption, **kw)


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16  # Telegram is offline: any bytes do


def _album_captions(call: ApiCall) -> list[str]:
    return [str(item.get("caption") or "") for item in call.params["media"]]


async def test_an_album_with_invalid_and_long_captions_is_corrected(bot: BotHarness) -> None:
    long = "说明" * 600
    await bot.application.bot.send_media_group(USER, [_photo("<b>张三 <p>"), _photo(long), _photo("<i>好</i>")])
    album, text = bot.request.sent(USER)
    assert album.method == "sendMediaGroup" and _album_captions(album) == ["张三", "", "<i>好</i>"]
    assert text.method == "sendMessage" and text.text == long  # the long caption follows the album
    assert boundary(bot).stats.invalid == 1 and boundary(bot).stats.split == 1
    assert not bot.request.invalid


async def test_an_album_with_a_private_caption_never_reaches_a_group(bot: BotHarness) -> None:
    messages = await bot.application.bot.send_media_group(GROUP, [_photo("合影"), _photo(SECRET)])
    [call] = bot.request.sent(GROUP)
    assert call.method == "sendMessage" and "私聊" in call.text and len(messages) == 1
    assert call.buttons == [("打开私聊", f"https://t.me/{BOT_USERNAME}?start=private")]
    assert boundary(bot).stats.private_refused == 1
    await bot.application.bot.send_media_group(USER, [_photo("合影"), _photo(SECRET)])
    assert _album_captions(bot.request.sent(USER, "sendMediaGroup")[0])[1] == SECRET


async def test_an_edited_caption_is_checked_and_a_long_one_follows_as_a_text(bot: BotHarness) -> None:
    await bot.application.bot.edit_message_caption(chat_id=USER, message_id=7, caption="AT&T <b>x")
    assert bot.request.sent(USER, "editMessageCaption")[-1].params["caption"] == "AT&amp;T x"
    long = "<b>名单</b>" + "说明" * 600
    await bot.application.bot.edit_message_caption(chat_id=USER, message_id=7, caption=long)
    edit, text = bot.request.sent(USER)[-2:]
    assert edit.method == "editMessageCaption" and not edit.params.get("caption")
    assert text.method == "sendMessage" and text.text == long
    assert boundary(bot).stats.invalid == 1 and boundary(bot).stats.split == 1 and not bot.request.invalid


async def test_a_private_caption_is_never_edited_into_a_group(bot: BotHarness) -> None:
    await bot.application.bot.edit_message_caption(chat_id=GROUP, message_id=7, caption=SECRET)
    await bot.application.bot.edit_message_media(_photo(SECRET), chat_id=GROUP, message_id=7)
    calls = bot.request.sent(GROUP)
    assert [c.method for c in calls] == ["sendMessage", "sendMessage"]
    assert all("张三" not in c.text and "私聊" in c.text for c in calls)
    assert boundary(bot).stats.private_refused == 2


async def test_a_private_caption_pressed_in_a_group_is_an_alert(bot: BotHarness) -> None:
    async def pressed(update: Update, context: BranchContext) -> None:
        assert update.callback_query is not None
        await update.callback_query.edit_message_caption(SECRET)

    bot.application.add_handler(CallbackQueryHandler(pressed, pattern="^caption$"), group=-1000)
    texts = await bot.press(USER, "caption", chat_id=GROUP)
    assert not bot.request.sent(GROUP) and all("张三" not in t for t in texts)
    [answer] = bot.request.sent(method="answerCallbackQuery")
    assert answer.params["show_alert"] is True


async def test_edited_media_has_its_caption_checked(bot: BotHarness) -> None:
    await bot.application.bot.edit_message_media(_photo("<b>二维码 </i>"), chat_id=USER, message_id=7)
    long = "说明" * 600
    await bot.application.bot.edit_message_media(_photo(long), chat_id=USER, message_id=8)
    first, second, text = bot.request.sent(USER)
    assert first.params["media"]["caption"].strip() == "二维码" and not second.params["media"].get("caption")
    assert text.method == "sendMessage" and text.text == long
    assert boundary(bot).stats.invalid == 1 and not bot.request.invalid


async def test_other_files_and_edited_keyboards_are_checked_too(bot: BotHarness) -> None:
    await bot.application.bot.send_video(USER, b"v", caption="<b>x")
    await bot.application.bot.send_audio(USER, b"a", caption="a < b")
    await bot.application.bot.send_voice(GROUP, b"v", caption=SECRET)
    bad = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="x" * 65)]])
    await bot.application.bot.edit_message_reply_markup(chat_id=USER, message_id=7, reply_markup=bad)
    video, audio, markup = bot.request.sent(USER)
    assert (video.params["caption"], audio.params["caption"]) == ("x", "a &lt; b")
    assert markup.method == "editMessageReplyMarkup" and not markup.buttons
    assert [c.method for c in bot.request.sent(GROUP)] == ["sendMessage"] and "张三" not in bot.request.texts(GROUP)[0]
    assert boundary(bot).stats.bad_markup == 1 and not bot.request.invalid
