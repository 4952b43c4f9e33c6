"""Forged, stale, huge or empty button data for every button of birthdays, points and ledger: the codec refuses it
(only BadCallback), and pressed in chat it gets a refusal, never a crash and never a change."""

from __future__ import annotations

import pytest

from bot.callbacks import BadCallback, CallbackData
from bot.services.birthdays import BirthdayAction, BirthdayButton
from bot.services.ledger.buttons import ChartButton, ChartKind, LedgerButton, LedgerChoice, RecordButton
from bot.services.points.buttons import PointsAction, PointsButton
from tests.conftest import BotHarness

KINDS: list[type[CallbackData]] = [BirthdayButton, PointsButton, LedgerButton, ChartButton, RecordButton]
HUGE = "9" * 40


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.prefix())
@pytest.mark.parametrize(
    "tail",
    ["", ":", "::", ":-1", f":{HUGE}", ":0", ":x:y:z:w:v", ":🙂", ":oath:1:2:3:4", ":1:nonsense", f":l:2026:11:{HUGE}"],
)
def test_forged_data_is_refused_by_the_codec(kind: type[CallbackData], tail: str) -> None:
    data = kind.prefix() + tail
    try:
        kind.parse(data)
    except BadCallback:
        return
    # The few tails that are valid for a kind must pack back to exactly what was parsed.
    assert kind.parse(data).pack() == data


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.prefix())
@pytest.mark.parametrize("data", [None, "", "x" * 4096, "bd:l:2026:13:1", "bd:c:1900:1", "pt:sheet:1999"])
def test_other_data_is_refused(kind: type[CallbackData], data: str | None) -> None:
    with pytest.raises(BadCallback):
        kind.parse(data)


def test_the_packed_forms() -> None:
    # Buttons already sent keep their form: the greeting's oath and the ledger's and points' buttons.
    assert BirthdayButton(action=BirthdayAction.OATH).pack() == "bd:oath"
    assert BirthdayButton(action=BirthdayAction.LIST, year=2026, month=11, branch=7).pack() == "bd:l:2026:11:7"
    assert PointsButton(action=PointsAction.EVENTS).pack() == "pt:ev"
    assert PointsButton(action=PointsAction.SHEET, year=2026).pack() == "pt:sheet:2026"
    assert LedgerButton(org=3, choice=LedgerChoice.LAST_MONTH).pack() == "lg:3:last_month"
    assert ChartButton(org=3, kind=ChartKind.FIRST_AGENDA).pack() == "lc:3:first-agenda"
    assert RecordButton(meeting=12).pack() == "lgr:12"


@pytest.mark.parametrize(
    "data",
    ["bd:l:2026:11", "bd:c", f"bd:l:2026:11:{HUGE}", "pt:nope", "pt:sheet:-5", "lg:0:this_year", "lc:1:nope", "lgr:x"],
)
async def test_forged_buttons_pressed_in_chat_are_refused(bot: BotHarness, data: str) -> None:
    before = len(bot.request.calls)
    await bot.press("A01", data)
    after = bot.request.calls[before:]
    # Nothing shown, sent or edited; a button the codec's pattern does not even match is answered once, quietly
    # (core's stale-button fall-back), and one it matches with a refusal.
    assert not [c for c in after if c.method in ("editMessageText", "sendDocument", "sendPhoto", "sendMessage")]
    answers = [c for c in after if c.method == "answerCallbackQuery"]
    assert len(answers) == 1
