"""The button codec: declared once, packed and parsed; forged or stale data is a quiet refusal."""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated, Literal

import pytest

from bot.callbacks import INT64_MAX, BadCallback, CallbackData, Id, IntRange, forget, parse_any, registry
from bot.errors import InvalidInput
from bot.i18n import translator


class MeetingAction(StrEnum):
    CARD = "card"
    ATTEND = "att"
    LEAVE = "lv"
    APPROVE = "ok"


class MeetingButton(CallbackData, prefix="tmt"):
    meeting: Id
    action: MeetingAction
    member: Id | None = None


class PageButton(CallbackData, prefix="tpg"):
    page: Annotated[int, IntRange(0, 9999)]
    mine: bool = False


class NamedButton(CallbackData, prefix="tnm"):
    period: Literal["month", "quarter", "year"]
    day: str | None = None


class NegativeButton(CallbackData, prefix="tch"):
    chat: Annotated[int, IntRange(-INT64_MAX - 1, INT64_MAX)]


@pytest.fixture
def throwaway() -> Iterator[list[str]]:
    """Prefixes declared inside a test, removed from the registry afterwards."""
    declared: list[str] = []
    yield declared
    for prefix in declared:
        forget(prefix)


@pytest.mark.parametrize(
    ("button", "packed"),
    [
        (MeetingButton(meeting=123, action=MeetingAction.CARD), "tmt:123:card"),
        (MeetingButton(meeting=1, action=MeetingAction.APPROVE, member=77), "tmt:1:ok:77"),
        (MeetingButton(meeting=INT64_MAX, action=MeetingAction.LEAVE), f"tmt:{INT64_MAX}:lv"),
        (PageButton(page=0), "tpg:0:0"),
        (PageButton(page=12, mine=True), "tpg:12:1"),
        (NamedButton(period="quarter"), "tnm:quarter"),
        (NamedButton(period="month", day="2026-12-15"), "tnm:month:2026-12-15"),
        (NegativeButton(chat=-1001234567890), "tch:-1001234567890"),
    ],
)
def test_round_trip(button: CallbackData, packed: str) -> None:
    assert button.pack() == packed
    assert type(button).parse(packed) == button
    assert parse_any(packed) == button
    assert re.fullmatch(type(button).pattern(), packed)


def test_parsed_fields_are_typed() -> None:
    parsed = MeetingButton.parse("tmt:5:att")
    assert parsed.meeting == 5 and parsed.action is MeetingAction.ATTEND and parsed.member is None
    assert PageButton.parse("tpg:3").mine is False  # a missing trailing field takes its default


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "tmt",
        "tmt:",
        "tmt::card",
        "tmt:1",
        "tmt:1:unknown",
        "tmt:-1:card",
        "tmt:0:card",
        "tmt:99999999999999999999:card",
        f"tmt:{INT64_MAX + 1}:card",
        "tmt:+1:card",
        "tmt:01:card",
        "tmt: 1:card",
        "tmt:1_0:card",
        "tmt:１:card",  # full-width digit
        "tmt:1:card:",
        "tmt:1:card:0",
        "tmt:1:card:2:3",
        "tmt:1:CARD",
        "tmtx:1:card",
        "mt:1:card",
        "tmt:1:card" + "x" * 60,
        "tpg:10000",
        "tpg:1:2",
        "tpg:1:",
        "tnm:week",
        "tnm:month:",
        "tch:-0",
    ],
)
def test_forged_or_malformed_data_is_refused(data: str | None) -> None:
    kinds: dict[str, type[CallbackData]] = {"tpg": PageButton, "tnm": NamedButton, "tch": NegativeButton}
    kind = kinds.get((data or "")[:3], MeetingButton)
    with pytest.raises(BadCallback) as caught:
        kind.parse(data)
    assert isinstance(caught.value, InvalidInput)  # the handlers' error path answers it as a refusal
    assert caught.value.localized(translator("zh_CN")) == "该按钮已失效，请重新打开菜单。"
    assert caught.value.localized(translator("en")) == "This button is no longer valid. Please open the menu again."
    assert kind.try_parse(data) is None


def test_pattern_matches_only_well_formed_data() -> None:
    pattern = re.compile(MeetingButton.pattern())
    assert pattern.fullmatch("tmt:5:card") and pattern.fullmatch("tmt:5:ok:9")
    assert not pattern.match("tmt:5:unknown") and not pattern.match("tmt:-5:card") and not pattern.match("tmtl:5")


def test_unknown_prefix_is_refused() -> None:
    with pytest.raises(BadCallback):
        parse_any("nosuch:1")
    with pytest.raises(BadCallback):
        parse_any("")


def test_pack_refuses_what_cannot_be_written() -> None:
    with pytest.raises(ValueError, match="outside"):
        MeetingButton(meeting=0, action=MeetingAction.CARD).pack()
    with pytest.raises(ValueError, match="outside"):
        MeetingButton(meeting=INT64_MAX + 1, action=MeetingAction.CARD).pack()
    with pytest.raises(ValueError, match="not one of"):
        MeetingButton(meeting=1, action="card").pack()  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="without"):
        NamedButton(period="month", day="a:b").pack()
    with pytest.raises(ValueError, match="not one of"):
        NamedButton(period="week").pack()  # type: ignore[arg-type]


def test_64_byte_limit_is_checked_when_packing(throwaway: list[str]) -> None:
    class Long(CallbackData, prefix="tlong"):
        text: str

    throwaway.append("tlong")
    fits = "x" * (64 - len("tlong:"))
    assert Long(text=fits).pack() == "tlong:" + fits
    with pytest.raises(ValueError, match="64 bytes"):
        Long(text=fits + "x").pack()
    # Bytes, not characters: a Chinese character is three.
    with pytest.raises(ValueError, match="64 bytes"):
        Long(text="党" * 20).pack()
    assert Long(text="党" * 19).pack()
    with pytest.raises(BadCallback):
        Long.parse("tlong:" + fits + "x")


def test_registry_lists_every_kind_and_prefixes_are_unique(throwaway: list[str]) -> None:
    kinds = registry()
    assert kinds["tmt"] is MeetingButton and kinds["tpg"] is PageButton
    with pytest.raises(TypeError, match="already used"):

        class Again(CallbackData, prefix="tmt"):
            meeting: int

    assert registry()["tmt"] is MeetingButton


def test_declarations_are_checked(throwaway: list[str]) -> None:
    with pytest.raises(TypeError, match="prefix"):

        class BadPrefix(CallbackData, prefix="a:b"):
            x: int

    with pytest.raises(TypeError, match="unsupported"):

        class BadType(CallbackData, prefix="tbt"):
            x: float

    throwaway.append("tbt")
    with pytest.raises(TypeError, match="follows"):

        class BadOrder(CallbackData, prefix="tbo"):
            x: int = 1
            y: int

    throwaway.append("tbo")
    assert "tbt" not in registry() and "tbo" not in registry()


def test_buttons_are_frozen_values() -> None:
    button = MeetingButton(meeting=1, action=MeetingAction.CARD)
    with pytest.raises(AttributeError):
        button.meeting = 2  # type: ignore[misc]
    assert button == MeetingButton.parse("tmt:1:card") and hash(button) == hash(MeetingButton.parse("tmt:1:card"))
