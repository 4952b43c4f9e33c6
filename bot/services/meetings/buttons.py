"""Every meetings button outside the guided flows, declared once with the codec (:mod:`bot.callbacks`).

The packed text is what these buttons always carried (``mt:12:card``, ``mt:12:ok:34``, ``mtl:2``, ``mcp:7``),
so buttons in messages sent before this module existed still work. Services build notices' buttons with these
classes; handlers route by ``.pattern()`` and read them with ``.parse()`` (a forged or stale value is a quiet
refusal)."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Annotated

from bot.callbacks import CallbackData, Id, IntRange


class MeetingAction(enum.StrEnum):
    """What a button on a meeting does."""

    CARD = "card"  # the meeting's card
    ANSWERS = "ls"  # who answered what (names and reasons: private)
    EDIT = "ed"  # the edit menu
    CANCEL = "cx"  # asks to confirm the cancellation
    CANCEL_YES = "cxy"
    MARK = "mk"  # the marking screen, or one member's mark (with ``member``)
    ATTEND = "att"  # a member will attend
    LEAVE = "lv"  # a member asks for leave (a guided flow)
    CHECK_IN = "ck"  # check in from the group's announcement (a guided flow)
    QR = "qr"  # the live QR code
    QR_RENEW = "qrr"
    APPROVE = "ok"  # a leave request, with ``member``
    REFUSE = "no"
    LOCATION = "geo"  # the location check (a guided flow)
    CLOSE = "cl"  # closing (a guided flow)


class MeetingButton(CallbackData, prefix="mt"):
    """A button on one meeting; ``member`` for the leave decision and one member's mark."""

    meeting: Id
    action: MeetingAction
    member: Id | None = None


class EditField(enum.StrEnum):
    """What the edit menu changes."""

    WHEN = "when"
    END = "end"
    PLACE = "place"
    TOPIC = "topic"


class MeetingEditButton(CallbackData, prefix="mte"):
    """One field of the edit menu (starts the edit flow)."""

    meeting: Id
    field: EditField


class MeetingListPage(CallbackData, prefix="mtl"):
    """A page of /meetings."""

    page: Annotated[int, IntRange(0, 9999)]


class ComplianceBranch(CallbackData, prefix="mcp"):
    """One branch's full compliance table, from the administrators' summary."""

    branch: Id


def meeting_button(meeting: int, action: MeetingAction, member: int | None = None) -> str:
    """The packed data of a button on a meeting."""
    return MeetingButton(meeting=meeting, action=action, member=member).pack()


def pressed(*actions: MeetingAction) -> Callable[[object], bool]:
    """A ``CallbackQueryHandler`` pattern: a well-formed meeting button with one of ``actions`` (a flow's entry).

    Built on :meth:`MeetingButton.try_parse`, so what the codec refuses never reaches the flow."""

    def matches(data: object) -> bool:
        button = MeetingButton.try_parse(data if isinstance(data, str) else None)
        return button is not None and button.action in actions

    return matches
