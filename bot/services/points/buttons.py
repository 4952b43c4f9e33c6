"""The points feature's buttons, declared once (:mod:`bot.callbacks`). No Telegram here."""

from __future__ import annotations

import enum
from typing import Annotated

from bot.callbacks import CallbackData, Id, IntRange


class PointsAction(enum.StrEnum):
    """What a points button does."""

    EVENTS = "ev"  # under /points: what my points come from
    SHEET = "sheet"  # in the year-end notice: send me the appraisal sheet (民主评议党员)


class PointsButton(CallbackData, prefix="pt"):
    """``pt:ev``, ``pt:sheet:2026``."""

    action: PointsAction
    year: Annotated[int, IntRange(2000, 9999)] | None = None


class PointsBranch(CallbackData, prefix="ptb"):
    """One branch's members' points, from the administrators' summary."""

    branch: Id
