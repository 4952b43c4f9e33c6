"""The star rating's decision buttons (评星定级), declared once (:mod:`bot.callbacks`). No Telegram here.

Each press is one step of :mod:`bot.services.points.star_steps` (one conditional write on the rating's status):
the branch submits its self-assessment, an administrator announces the result for the public notice (公示) or
publishes it. Steps that need words (a score with its note, an adjustment's reason, an objection, the answer to
one) stay typed.
"""

from __future__ import annotations

import enum
from typing import Annotated

from bot.callbacks import CallbackData, Id, IntRange
from storage.points import StarStatus


class StarStep(enum.StrEnum):
    """The decision a star button takes."""

    SUBMIT = "submit"  # the branch's leaders: send the self-assessment to the administrators
    ANNOUNCE = "announce"  # an administrator: announce the result for the public notice period
    PUBLISH = "publish"  # an administrator: publish the announced result once the notice is over


class StarButton(CallbackData, prefix="sr"):
    """``sr:announce:12:2025``: a step on branch 12's rating for 2025."""

    step: StarStep
    branch: Id
    year: Annotated[int, IntRange(2000, 9999)]


def steps_offered(status: str, *, admin: bool) -> list[StarStep]:
    """The decisions the screen of a rating in ``status`` offers a leader (``admin`` False) or an administrator."""
    if not admin:
        return [StarStep.SUBMIT] if status == StarStatus.DRAFT else []
    if status in (StarStatus.SUBMITTED, StarStatus.OBJECTED):
        return [StarStep.ANNOUNCE]
    if status == StarStatus.ANNOUNCED:
        return [StarStep.PUBLISH]
    return []
