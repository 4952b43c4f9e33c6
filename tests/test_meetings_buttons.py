"""Forged button data (issue 11 item 5): every meetings button kind, pressed with data no button of ours
carries, is refused quietly (no error, no change, at most the one "no longer valid" notice); real data
packed by the declarations still does what it did."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.services.meetings.buttons import (
    ClosingButton,
    ClosingStep,
    ComplianceBranch,
    EditField,
    MeetingAction,
    MeetingButton,
    MeetingEditButton,
    MeetingListPage,
    NewMeetingButton,
    NewStep,
    RadiusButton,
    closing_step,
    new_step,
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


def test_the_flow_buttons_pack_what_they_always_carried() -> None:
    assert NewMeetingButton(step=NewStep.NEW).pack() == "mn:new"
    assert NewMeetingButton(step=NewStep.DAY, value="2026-12-15").pack() == "mn:d:2026-12-15"
    assert NewMeetingButton.of_time(time(14, 30)).pack() == "mn:t:1430"
    assert ClosingButton(step=ClosingStep.MEMBER, value="34").pack() == "mc:m:34"
    assert RadiusButton(metres=300).pack() == "mg:300"
    assert NewMeetingButton.parse("mn:t:0830").time() == time(8, 30)
    assert NewMeetingButton.parse("mn:d:2026-12-15").day() == date(2026, 12, 15)


@pytest.mark.parametrize(
    ("data", "step", "accepted"),
    [
        ("mn:b:5", NewStep.BRANCH, True),
        ("mn:b:0", NewStep.BRANCH, False),
        ("mn:b:99999999999999999999", NewStep.BRANCH, False),
        ("mn:b:abc", NewStep.BRANCH, False),
        ("mn:b", NewStep.BRANCH, False),
        ("mn:k:theme_day", NewStep.KIND, True),
        ("mn:k:主题", NewStep.KIND, False),
        ("mn:d:2026-12-15", NewStep.DAY, True),
        ("mn:d:2026-13-45", NewStep.DAY, False),
        ("mn:d:２０２６-12-15", NewStep.DAY, False),
        ("mn:t:1430", NewStep.TIME, True),
        ("mn:t:2561", NewStep.TIME, False),
        ("mn:t:１４３０", NewStep.TIME, False),
        ("mn:ok", NewStep.CONFIRM, True),
        ("mn:ok:1", NewStep.CONFIRM, False),
        ("mn:ok", NewStep.CANCEL, False),
    ],
)
def test_a_flow_step_takes_only_what_it_can_carry(data: str, step: NewStep, accepted: bool) -> None:
    assert new_step(step)(data) is accepted


@pytest.mark.parametrize(
    ("data", "step", "accepted"),
    [
        ("mc:m:34", ClosingStep.MEMBER, True),
        ("mc:m:-1", ClosingStep.MEMBER, False),
        ("mc:m:x", ClosingStep.MEMBER, False),
        ("mc:t:constitution_study", ClosingStep.TAG, True),
        ("mc:t:", ClosingStep.TAG, False),
        ("mc:done", ClosingStep.DONE, True),
        ("mc:done:1", ClosingStep.DONE, False),
    ],
)
def test_a_closing_step_takes_only_what_it_can_carry(data: str, step: ClosingStep, accepted: bool) -> None:
    assert closing_step(step)(data) is accepted


FLOW_FORGED = ["mn:b:abc", "mn:d:2026-13-45", "mn:t:9999", "mn:zz", "mc:m:0", "mc:t:", "mg:-1", "mg:abc", "mg"]
FLOW_NOTICES = ALLOWED_NOTICE | {"This has expired. Please start again.", "操作已过期，请重新开始。"}


@pytest.mark.parametrize("data", FLOW_FORGED)
async def test_forged_flow_data_is_refused_quietly(bot: BotHarness, data: str) -> None:
    await bot.say("A01", "/newmeeting")  # in the middle of a flow, too
    for who in ("A01", "A04"):
        answers = await bot.press(who, data)
        assert set(answers) <= FLOW_NOTICES, answers
