"""Every meetings button, declared once with the codec (:mod:`bot.callbacks`).

The packed text is what these buttons always carried (``mt:12:card``, ``mt:12:ok:34``, ``mtl:2``, ``mcp:7``, and
in the guided flows ``mn:d:2026-12-15``, ``mc:m:34``, ``mg:300``), so buttons in messages sent before this module
existed still work. Services build notices' buttons with these classes; handlers route by ``.pattern()`` (or
:func:`pressed`, :func:`new_step`, :func:`closing_step`) and read them with ``.parse()`` (a forged or stale value
is a quiet refusal)."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from datetime import date, time
from typing import Annotated

from bot.callbacks import INT64_MAX, BadCallback, CallbackData, Id, IntRange


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


# --- the guided flows' buttons ---------------------------------------------------------------------------------
# A flow's step buttons share one prefix, and what follows the step depends on the step (an id, a kind, a day):
# one declaration per prefix with the value as text, read by the typed accessors below, which refuse what the step
# cannot carry. The flows route each state by :func:`new_step` / :func:`closing_step`, so a malformed value never
# reaches a step: it falls to the flows' "this has expired" answer, as before.

TimeOfDay = time  # the type, for the signatures inside NewMeetingButton (whose method ``time`` hides the name)
_WORD = re.compile(r"[A-Za-z0-9_]+")
_DIGITS = re.compile(r"[1-9][0-9]{0,18}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_HHMM = re.compile(r"[0-9]{4}")


class NewStep(enum.StrEnum):
    """A button of the scheduling flow (``mn:<step>[:<value>]``)."""

    NEW = "new"  # start the flow (the list's "new meeting")
    BRANCH = "b"  # an administrator's branch, with its id
    KIND = "k"  # the kind, with its id (``theme_day``)
    GROUP = "g"  # the Party group, with its id
    DAY = "d"  # the day, with its ISO date
    TIME = "t"  # the start, as ``HHMM``
    PLACE = "p"  # ``last`` (the last place used) or ``skip``
    TOPIC = "o"  # ``skip``
    CONFIRM = "ok"
    CANCEL = "x"


class NewMeetingButton(CallbackData, prefix="mn"):
    """A step of scheduling a meeting; ``value`` as the step needs it (read with the accessors)."""

    step: NewStep
    value: str | None = None

    def number(self) -> int:
        """The id this button carries (branch, group); :class:`BadCallback` when it carries none."""
        return _number(self.value, self)

    def word(self) -> str:
        """The word this button carries (a kind's id, ``last``, ``skip``)."""
        return _word(self.value, self)

    def day(self) -> date:
        """The day this button carries."""
        try:
            if self.value is None or not _DAY.fullmatch(self.value):
                raise ValueError(self.value)
            return date.fromisoformat(self.value)
        except ValueError:
            raise BadCallback(self.pack(), "no day") from None

    def time(self) -> TimeOfDay:
        """The time this button carries (``1430`` → 14:30)."""
        try:
            if self.value is None or not _HHMM.fullmatch(self.value):
                raise ValueError(self.value)
            return time(int(self.value[:2]), int(self.value[2:]))
        except ValueError:
            raise BadCallback(self.pack(), "no time") from None

    @classmethod
    def of_time(cls, when: TimeOfDay) -> NewMeetingButton:
        """The time button for ``when``."""
        return cls(step=NewStep.TIME, value=when.strftime("%H%M"))


# What each step's value must be: the accessor that reads it (None: the step carries nothing).
_NEW_VALUES: dict[NewStep, Callable[[NewMeetingButton], object] | None] = {
    NewStep.NEW: None,
    NewStep.BRANCH: NewMeetingButton.number,
    NewStep.KIND: NewMeetingButton.word,
    NewStep.GROUP: NewMeetingButton.number,
    NewStep.DAY: NewMeetingButton.day,
    NewStep.TIME: NewMeetingButton.time,
    NewStep.PLACE: NewMeetingButton.word,
    NewStep.TOPIC: NewMeetingButton.word,
    NewStep.CONFIRM: None,
    NewStep.CANCEL: None,
}


class ClosingStep(enum.StrEnum):
    """A button of the closing flow (``mc:<step>[:<value>]``)."""

    MEMBER = "m"  # one member's mark, with the member's id
    ALL_PRESENT = "all"
    NEXT = "next"
    DONE = "done"  # the record is complete
    TAG = "t"  # a tag, with its id (``constitution_study``)
    CONFIRM = "ok"
    CANCEL = "x"


class ClosingButton(CallbackData, prefix="mc"):
    """A step of closing a meeting; ``value`` as the step needs it (read with the accessors)."""

    step: ClosingStep
    value: str | None = None

    def number(self) -> int:
        """The member id this button carries."""
        return _number(self.value, self)

    def word(self) -> str:
        """The tag id this button carries."""
        return _word(self.value, self)


_CLOSING_VALUES: dict[ClosingStep, Callable[[ClosingButton], object] | None] = {
    ClosingStep.MEMBER: ClosingButton.number,
    ClosingStep.ALL_PRESENT: None,
    ClosingStep.NEXT: None,
    ClosingStep.DONE: None,
    ClosingStep.TAG: ClosingButton.word,
    ClosingStep.CONFIRM: None,
    ClosingStep.CANCEL: None,
}


class RadiusButton(CallbackData, prefix="mg"):
    """The location check's radius in metres (the service checks the allowed range)."""

    metres: Annotated[int, IntRange(0, 99_999)]


FLOW_BUTTONS: tuple[type[CallbackData], ...] = (NewMeetingButton, ClosingButton, RadiusButton)


def _number(value: str | None, button: CallbackData) -> int:
    if value is None or not _DIGITS.fullmatch(value) or int(value) > INT64_MAX:
        raise BadCallback(button.pack(), "no id")
    return int(value)


def _word(value: str | None, button: CallbackData) -> str:
    if value is None or not _WORD.fullmatch(value):
        raise BadCallback(button.pack(), "no word")
    return value


def _well_formed(button: CallbackData, read: Callable[..., object] | None, value: str | None) -> bool:
    if read is None:
        return value is None
    try:
        read(button)
    except BadCallback:
        return False
    return True


def new_step(*steps: NewStep) -> Callable[[object], bool]:
    """A ``CallbackQueryHandler`` pattern: a well-formed scheduling button of one of ``steps``."""

    def matches(data: object) -> bool:
        button = NewMeetingButton.try_parse(data if isinstance(data, str) else None)
        return (
            button is not None and button.step in steps and _well_formed(button, _NEW_VALUES[button.step], button.value)
        )

    return matches


def closing_step(*steps: ClosingStep) -> Callable[[object], bool]:
    """A ``CallbackQueryHandler`` pattern: a well-formed closing button of one of ``steps``."""

    def matches(data: object) -> bool:
        button = ClosingButton.try_parse(data if isinstance(data, str) else None)
        return (
            button is not None
            and button.step in steps
            and _well_formed(button, _CLOSING_VALUES[button.step], button.value)
        )

    return matches
