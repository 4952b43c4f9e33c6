"""Meetings screens with other members' names or leave reasons stay out of groups (issue 11 item 1).

The screens declare it themselves (templates whose first line is ``{# private: why #}``, the mark screen built in
code with :func:`bot.screens.private`), and the send boundary (``bot/outgoing.py``) keeps them out of groups: a
command typed in a group is answered with a button that opens the private chat, a button pressed there with an
alert (or, once the press is answered, that notice and button in the group). No handler checks the chat type.
"""

from __future__ import annotations

import pytest

from bot.screens import is_private
from bot.services import meetings
from bot.templates import TEMPLATES_DIR, render
from tests.conftest import BotHarness
from tests.meetings_helpers import actor, env_of, member_id, schedule, statuses

GROUP = -100500
NOTICE = "这个页面含有个人信息，只在与我的私聊中显示。"
BUTTON = ("打开私聊", "https://t.me/branch_assistant_bot?start=private")
NAMES = ("张伟", "刘洋", "陈静")  # A03, A04, A05 of the demo branch
REASON = "出差广州"

PRIVATE_TEMPLATES = (
    "answers",
    "attendance",
    "card",
    "closed",
    "closing_review",
    "leave_decision",
    "leave_request",
    "list",
)


def _no_name(texts: list[str]) -> bool:
    return all(name not in text and REASON not in text for text in texts for name in NAMES)


def _group_clean(bot: BotHarness) -> bool:
    """Nothing the bot sent to the group names a member or a reason, in its text or on its buttons."""
    for call in bot.request.sent(GROUP):
        shown = [call.text or "", *(label for label, _ in call.buttons)]
        if not _no_name(shown):
            return False
    return True


def test_the_meetings_screens_with_names_are_declared_private() -> None:
    for name in PRIVATE_TEMPLATES:
        first_line = (TEMPLATES_DIR / "meetings" / f"{name}.html.j2").read_text(encoding="utf-8").splitlines()[0]
        assert first_line.startswith("{# private:"), name
    assert is_private(render("meetings/closing_review.html.j2", "zh_CN", m=_View(), names=["张伟"], absent=1))


class _View:
    """Enough of a MeetingView for the header macro."""

    title = "主题党日"
    group = None
    when = "12月15日 14:30"
    until = "16:00"
    place = None
    topic = None
    status_label = "已安排"
    id = 1


async def _seed(bot: BotHarness) -> tuple[int, int]:
    assert await bot.say("A01", "/linkgroup", chat_id=GROUP) == ["本群已关联到第一党支部。"]
    settings = bot.application.bot_data["resources"].settings
    meeting_id = await schedule(bot.db, settings, branch_id=bot.ids.branch_a)
    async with bot.db.session() as session:
        await meetings.request_leave(session, await actor(session, "A04"), meeting_id, REASON, env=env_of(settings))
        a04 = await member_id(session, "A04")
    return meeting_id, a04


@pytest.mark.parametrize("command", ["/meetings", "/attendance", "/attendance year"])
async def test_leaders_commands_typed_in_a_group_offer_the_private_chat(bot: BotHarness, command: str) -> None:
    await _seed(bot)
    assert await bot.say("A01", command, chat_id=GROUP) == [NOTICE]
    assert bot.request.calls[-1].buttons == [BUTTON]
    assert _group_clean(bot)


async def test_attendance_in_the_private_chat_shows_the_names(bot: BotHarness) -> None:
    await _seed(bot)
    assert any("第一党支部" in text for text in await bot.say("A01", "/attendance"))


async def test_card_buttons_pressed_in_a_group_show_no_name_or_reason(bot: BotHarness) -> None:
    meeting_id, _a04 = await _seed(bot)
    for action in ("card", "ls", "mk", "cx"):
        texts = await bot.press("A01", f"mt:{meeting_id}:{action}", chat_id=GROUP)
        assert texts and _no_name(texts), action
        assert texts[-1] == NOTICE, action
    assert _group_clean(bot)
    # The same answers list in the private chat shows the name and the reason.
    texts = await bot.press("A01", f"mt:{meeting_id}:ls")
    assert any("刘洋" in text and REASON in text for text in texts)


@pytest.mark.parametrize("action", ["ok", "no"])
async def test_a_leave_decision_pressed_in_a_group_keeps_the_list_out_of_it(bot: BotHarness, action: str) -> None:
    """The secretary may decide (the right is the actor's, not the chat's); the list with reasons stays private."""
    meeting_id, a04 = await _seed(bot)
    before = len(bot.request.sent(GROUP))
    await bot.press("A01", f"mt:{meeting_id}:{action}:{a04}", chat_id=GROUP)
    assert (await statuses(bot.db, meeting_id))["A04"] == ("on_leave" if action == "ok" else "no_answer")
    group = bot.request.sent(GROUP)[before:]
    assert [call.text for call in group] == [NOTICE] and group[0].buttons == [BUTTON]
    assert _group_clean(bot)


async def test_a_stranger_pressing_in_a_group_changes_nothing(bot: BotHarness) -> None:
    meeting_id, a04 = await _seed(bot)
    texts = await bot.press("B02", f"mt:{meeting_id}:ok:{a04}", chat_id=GROUP)
    assert _no_name(texts) and (await statuses(bot.db, meeting_id))["A04"] == "leave_requested"
    assert _group_clean(bot)
