"""Every first agenda button kind is declared once (bot/services/first_agenda/buttons.py); forged, stale or huge
button data is refused quietly and changes nothing."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
import time_machine
from sqlalchemy import func, select

from bot.callbacks import INT64_MAX, BadCallback, CallbackData
from bot.services.first_agenda import buttons
from bot.services.first_agenda.buttons import (
    FormButton,
    KindButton,
    LeaderButton,
    MaterialAction,
    MaterialButton,
    PeriodButton,
    PickButton,
    RecordButton,
    Step,
    StepButton,
)
from storage.first_agenda import FirstAgendaItem, MaterialDispatch, MaterialKind, StudyForm, StudyMaterial
from storage.models import AuditEntry, OutboxMessage
from tests.conftest import BotHarness
from tests.first_agenda_support import NOW

ADMIN = 100001  # 郑管理 (ADM1), the demo administrator
REFUSED = {"该按钮已失效，请重新打开菜单。", "操作已过期，请重新开始。"}

EXAMPLES: list[CallbackData] = [
    RecordButton(meeting=7),
    PickButton(material=12),
    FormButton(form=StudyForm.DISCUSSION),
    LeaderButton(member=3),
    MaterialButton(material=12),
    MaterialButton(material=12, action=MaterialAction.DISPATCH),
    MaterialButton(material=12, action=MaterialAction.CONFIRM),
    MaterialButton(material=12, action=MaterialAction.STUDY),
    KindButton(kind=MaterialKind.SPEECH),
    PeriodButton(period="last_year"),
    *(StepButton(step=step) for step in Step),
]
KINDS = sorted({type(b) for b in EXAMPLES}, key=lambda kind: kind.prefix())
FORGED = [
    "",
    "fa",
    "fa:",
    "fa:zz",
    "fa-m:",
    "fa-m:0",
    "fa-m:-1",
    "fa-m:abc",
    f"fa-m:{INT64_MAX + 1}",
    "fa-m:99999999999999999999999999999999999999999",
    "fa-m:1:2",
    "fa-pk:0",
    f"fa-pk:{INT64_MAX}",
    "fa-pk:1e3",
    "fa-fm:lecture",
    "fa-fm:",
    "fa-ld:0",
    f"fa-ld:{INT64_MAX}",
    "fa-mat:0",
    f"fa-mat:{INT64_MAX}",
    f"fa-mat:{INT64_MAX}:dsy",
    "fa-mat:1:delete",
    "fa-mat:-5:dsp",
    "fa-ak:poem",
    "fa-r:forever",
    "fa-r:",
    "fa-mat:１２",  # full-width digits
    "fa-pk:" + "9" * 60,
]


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.mark.parametrize("button", EXAMPLES, ids=lambda b: b.pack())
def test_each_button_packs_within_the_limit_and_parses_back(button: CallbackData) -> None:
    packed = button.pack()
    assert len(packed.encode()) <= 64
    assert type(button).parse(packed) == button


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.prefix())
@pytest.mark.parametrize("data", FORGED)
def test_forged_data_raises_only_a_quiet_refusal(kind: type[CallbackData], data: str) -> None:
    with contextlib.suppress(BadCallback):  # any other exception fails the test
        kind.parse(data)


def test_every_button_kind_of_the_feature_is_in_the_examples() -> None:
    declared = {
        value
        for value in vars(buttons).values()
        if isinstance(value, type) and issubclass(value, CallbackData) and value is not CallbackData
    }
    assert declared == set(KINDS)


async def _footprint(bot: BotHarness) -> tuple[int, ...]:
    async with bot.db.session() as session:
        return tuple(
            [
                await session.scalar(select(func.count()).select_from(table))  # type: ignore[misc]
                for table in (StudyMaterial, MaterialDispatch, FirstAgendaItem, AuditEntry, OutboxMessage)
            ]
        )


@pytest.mark.parametrize("who", ["A01", ADMIN])
async def test_forged_presses_change_nothing_and_answer_at_most_a_refusal(bot: BotHarness, who: str | int) -> None:
    before = await _footprint(bot)
    for data in FORGED[1:]:  # Telegram never sends empty data
        texts = await bot.press(who, data)
        # A well-formed id of nothing: "no such material"; a secretary on an admin button: "only …"; else refused.
        assert all(t in REFUSED or t.startswith(("找不到", "只有")) for t in texts), (data, texts)
    assert await _footprint(bot) == before
