"""Forged button data (issue 11 item 5): every meetings button kind, pressed with data no button of ours
carries, is refused quietly (no error, no change, at most the one "no longer valid" notice); real data
packed by the declarations still does what it did."""

from __future__ import annotations

import pytest

from bot.services.meetings.buttons import (
    ComplianceBranch,
    EditField,
    MeetingAction,
    MeetingButton,
    MeetingEditButton,
    MeetingListPage,
)
from tests.conftest import BotHarness
from tests.meetings_helpers import schedule, statuses

FORGED = [
    "",
    "mt:99999999999999999999:card",  # beyond BIGINT
    "mt:0:card",
    "mt:-1:card",
    "mt:5:nonsense",
    "mt:5:ok:99999999999999999999",
    "mt:5:ok:abc",
    "mt:5:card:1:2",
    "mt:abc:att",
    "mte:99999999999999999999:place",
    "mte:5:colour",
    "mtl:-1",
    "mtl:99999",
    "mtl:x",
    "mcp:99999999999999999999",
    "mcp:0",
    "mcp:",
    "x" * 65,
]
ALLOWED_NOTICE = {"This button is no longer valid. Please open the menu again.", "该按钮已失效，请重新打开菜单。"}


def test_the_declarations_pack_what_the_buttons_always_carried() -> None:
    assert MeetingButton(meeting=12, action=MeetingAction.CARD).pack() == "mt:12:card"
    assert MeetingButton(meeting=12, action=MeetingAction.APPROVE, member=34).pack() == "mt:12:ok:34"
    assert MeetingListPage(page=2).pack() == "mtl:2"
    assert ComplianceBranch(branch=7).pack() == "mcp:7"
    assert MeetingEditButton(meeting=12, field=EditField.PLACE).pack() == "mte:12:place"


@pytest.mark.parametrize("data", FORGED)
async def test_forged_data_is_refused_quietly(bot: BotHarness, data: str) -> None:
    settings = bot.application.bot_data["resources"].settings
    meeting_id = await schedule(bot.db, settings, branch_id=bot.ids.branch_a)
    before = await statuses(bot.db, meeting_id)
    for who in ("A01", "A04"):  # the secretary and a member
        answers = await bot.press(who, data.replace("5", str(meeting_id)) if data.startswith("mt:5") else data)
        assert set(answers) <= ALLOWED_NOTICE, answers
    assert await statuses(bot.db, meeting_id) == before
