"""Forged or stale volunteer buttons are refused quietly: for every button kind, out-of-range, unknown and malformed
data changes nothing, crashes nothing and never tells the presser "something went wrong"."""

from __future__ import annotations

import logging
import typing

import pytest
from sqlalchemy import func, select

from bot.callbacks import INT64_MAX, CallbackData
from bot.services.volunteer import buttons
from storage.models import AuditEntry, OutboxMessage
from storage.volunteer import ServiceReport, SignUp
from tests.conftest import BotHarness

KINDS = [
    value
    for value in vars(buttons).values()
    if isinstance(value, type) and issubclass(value, CallbackData) and value is not CallbackData
]


def _forgeries(kind: type[CallbackData]) -> list[str]:
    prefix = kind.prefix()
    return [
        prefix,
        f"{prefix}:",
        f"{prefix}:0",
        f"{prefix}:-1",
        f"{prefix}:{INT64_MAX}",
        f"{prefix}:{INT64_MAX + 1}",
        f"{prefix}:99999999999999999999999",
        f"{prefix}:1:bogus",
        f"{prefix}:{INT64_MAX}:join",
        f"{prefix}:1:2:3:4",
        f"{prefix}:<b>",
        f"{prefix}:x" * 10,
    ]


async def _state(bot: BotHarness) -> tuple[int, ...]:
    async with bot.db.session() as session:
        counts = []
        for model in (AuditEntry, OutboxMessage, ServiceReport, SignUp):
            counts.append(int(await session.scalar(select(func.count()).select_from(model)) or 0))
        return tuple(counts)


def test_every_volunteer_button_kind_is_covered() -> None:
    assert len(KINDS) >= 20 and len({kind.prefix() for kind in KINDS}) == len(KINDS)
    for kind in KINDS:
        assert typing.get_type_hints(kind)  # each declares its fields


@pytest.mark.parametrize("presser", ["A01", 100001])  # the secretary and the administrator
async def test_forged_volunteer_buttons_change_nothing(
    bot: BotHarness, presser: str | int, caplog: pytest.LogCaptureFixture
) -> None:
    before = await _state(bot)
    with caplog.at_level(logging.ERROR):
        for kind in KINDS:
            for data in _forgeries(kind):
                texts = await bot.press(presser, data)
                assert all("出了点问题" not in text and "went wrong" not in text for text in texts), (data, texts)
    assert await _state(bot) == before
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
