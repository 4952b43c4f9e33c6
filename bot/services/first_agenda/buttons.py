"""Every button of the first agenda item (第一议题), declared once (bot/callbacks.py packs and parses them).

The services put two of them on what they send (the meeting card's "第一议题", a dispatched material's "view");
the handlers route every one by its pattern. Whatever a client sends back is re-checked against the database
and the caller's rights by the services, so a forged id is at worst "no such material".
"""

from __future__ import annotations

import enum
import re
from typing import Literal

from bot.callbacks import CallbackData, Id
from storage.first_agenda import MaterialKind, StudyForm

Period = Literal["quarter", "year", "last_year"]
PERIODS: tuple[Period, ...] = ("quarter", "year", "last_year")


class Step(enum.StrEnum):
    """A button of a guided flow that carries nothing but what it does."""

    DONE = "pd"  # the materials are picked
    NO_NOTE = "ns"
    SAVE = "sv"  # save the recorded item
    CANCEL = "x"
    ADD = "add"  # start adding a material
    SKIP = "as"  # no text, link or file for the new material
    ADD_SAVE = "ay"  # save the new material


class StepButton(CallbackData, prefix="fa"):
    step: Step


class RecordButton(CallbackData, prefix="fa-m"):
    """Record the first agenda item of a meeting (the meeting card's button)."""

    meeting: Id


class PickButton(CallbackData, prefix="fa-pk"):
    """Pick (or unpick) a listed material while recording."""

    material: Id


class FormButton(CallbackData, prefix="fa-fm"):
    """How the material was studied."""

    form: StudyForm


class LeaderButton(CallbackData, prefix="fa-ld"):
    """Who led the study (a listed member)."""

    member: Id


class MaterialAction(enum.StrEnum):
    """What to do with a material (none: show it)."""

    DISPATCH = "dsp"  # ask to dispatch it
    CONFIRM = "dsy"  # dispatch it
    STUDY = "ms"  # which branches have studied it


class MaterialButton(CallbackData, prefix="fa-mat"):
    """A material: show it, dispatch it, or see who studied it."""

    material: Id
    action: MaterialAction | None = None


class KindButton(CallbackData, prefix="fa-ak"):
    """The type of a material being added."""

    kind: MaterialKind


class PeriodButton(CallbackData, prefix="fa-r"):
    """The report for a period."""

    period: Period


def step_pattern(*steps: Step) -> str:
    """The pattern matching exactly these steps' buttons."""
    return "^(?:" + "|".join(re.escape(StepButton(step=s).pack()) for s in steps) + ")$"


def material_pattern(action: MaterialAction | None) -> str:
    """The pattern matching a material button with this action (None: show)."""
    suffix = "" if action is None else re.escape(":" + action.value)
    return rf"^{re.escape(MaterialButton.prefix())}:\d{{1,19}}{suffix}$"
