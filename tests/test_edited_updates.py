"""Edited messages: an edited question in a private chat is answered anew; every other edit is ignored before
any handler (so an edited command never bypasses the role gate, and an edit never ends or feeds a flow)."""

from __future__ import annotations

from bot.demo import telegram_id_of
from tests.conftest import BotHarness

GUEST = 999_001


async def _edit(bot: BotHarness, user: str | int, text: str, **kw: object) -> list[str]:
    user_id = telegram_id_of(user) if isinstance(user, str) else user
    before = len(bot.request.calls)
    await bot.send(bot.updates.edited(user_id, text, **kw))
    return [c.text for c in bot.request.calls[before:] if c.text]


async def test_an_edited_question_is_answered_anew(bot: BotHarness) -> None:
    replies = await _edit(bot, "A03", "党费能用来干什么")
    assert len(replies) == 1 and "党费" in replies[0]


async def test_an_edited_command_is_ignored_whoever_sends_it(bot: BotHarness) -> None:
    # A member editing a message into a leaders' command, and a stranger editing one into a member's command:
    # neither reaches a handler (before, edited updates skipped the role gate).
    assert await _edit(bot, "A03", "/service") == []
    assert await _edit(bot, GUEST, "/my") == []
    assert await _edit(bot, "A01", "/newmeeting") == []


async def test_an_edit_in_a_group_is_ignored(bot: BotHarness) -> None:
    assert await _edit(bot, "A01", "党费能用来干什么", chat_id=-100500) == []


async def test_an_edit_does_not_feed_or_end_a_flow(bot: BotHarness) -> None:
    assert await bot.say("A01", "/newmeeting") == ["请选择会议类型："]
    kind_button = bot.request.sent(method="sendMessage")[-1].buttons[0][1]
    assert kind_button
    await bot.press("A01", kind_button)
    asked_day = bot.request.sent()[-1].text
    # Editing an earlier message into a date is not the flow's answer: the flow still waits for the day.
    edited = await _edit(bot, "A01", "明天")
    assert asked_day not in edited
    assert not any("时间" in text and "开始" in text for text in edited)
    after = await bot.say("A01", "2099-12-15")
    assert after and after[-1] != asked_day  # the typed day moves the flow on: it was still waiting
