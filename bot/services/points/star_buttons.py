"""The star rating's decision buttons (评星定级), declared once (:mod:`bot.callbacks`). No Telegram here.

Each press is one step of :mod:`bot.services.points.star_steps` (one conditional write on the rating's status):
the branch submits its self-assessment or objects to the announced result; an administrator announces the result
for the public notice (公示), publishes it, or answers an objection and publishes. The objection and the answer
are asked for after the press (their words are the decision's reason). A score with its note and an
adjustment with its reason stay typed.
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
    OBJECT = "object"  # the branch's leaders, during the notice: object, with a reason (asked for)
    ANSWER = "answer"  # an administrator: answer the branch's objection (asked for) and publish


WORDED = (StarStep.OBJECT, StarStep.ANSWER)  # the steps whose press asks for words first
LEADERS_STEPS = (StarStep.SUBMIT, StarStep.OBJECT)


class StarButton(CallbackData, prefix="sr"):
    """``sr:announce:12:2025``: a step on branch 12's rating for 2025."""

    step: StarStep
    branch: Id
    year: Annotated[int, IntRange(2000, 9999)]


def steps_offered(status: str, *, admin: bool) -> list[StarStep]:
    """The decisions the screen of a rating in ``status`` offers a leader (``admin`` False) or an administrator."""
    if not admin:
        return {StarStatus.DRAFT: [StarStep.SUBMIT], StarStatus.ANNOUNCED: [StarStep.OBJECT]}.get(status, [])
    if status == StarStatus.SUBMITTED:
        return [StarStep.ANNOUNCE]
    if status == StarStatus.OBJECTED:
        return [StarStep.ANSWER, StarStep.ANNOUNCE]
    if status == StarStatus.ANNOUNCED:
        return [StarStep.PUBLISH]
    return []
