"""The star rating's decision buttons (评星定级), declared once (:mod:`bot.callbacks`). No Telegram here.

Each press is one step of :mod:`bot.services.points.star_steps` (one conditional write on the rating's status):
the branch submits its self-assessment or objects to the announced result; an administrator announces the result
for the public notice (公示), publishes it, or answers an objection and publishes. The objection and the answer
are asked for after the press (their words are the decision's reason).

The forms around them: a leader's self-assessment of a manual criterion (score, note, photos) and an
administrator's adjustment of a criterion (score, reason) start from a criterion's button (:class:`StarFormButton`)
and ask for the rest in a guided flow; an administrator opens a branch's rating from their list, and either of
them looks at the year before (:class:`StarViewButton`, :class:`StarListButton`).
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
    ADJUST = "adjust"  # an administrator: choose a criterion to adjust (its score and reason are asked for)


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
    if status in (StarStatus.DRAFT, StarStatus.SUBMITTED):
        return [StarStep.ADJUST, StarStep.ANNOUNCE] if status == StarStatus.SUBMITTED else [StarStep.ADJUST]
    if status == StarStatus.OBJECTED:
        return [StarStep.ANSWER, StarStep.ADJUST, StarStep.ANNOUNCE]
    if status == StarStatus.ANNOUNCED:
        return [StarStep.PUBLISH]
    return []


class StarForm(enum.StrEnum):
    """The form a criterion's button opens."""

    SELF = "s"  # the branch's leaders: score a manual criterion, with a note and photos
    ADJUST = "a"  # an administrator: change a criterion's score, with a reason


class StarFormButton(CallbackData, prefix="sc"):
    """``sc:s:12:2025:innovation``: the self-assessment of branch 12's criterion ``innovation`` for 2025."""

    form: StarForm
    branch: Id
    year: Annotated[int, IntRange(2000, 9999)]
    key: str


class StarOpen(enum.StrEnum):
    """How a rating's screen was reached (two kinds of button, so that the walk presses both)."""

    LIST = "o"  # an administrator, from the list of their branches
    YEAR = "y"  # the same branch, the other year
    DONE = "d"  # the self-assessment's photos are done: back to the rating


class StarViewButton(CallbackData, prefix="sv"):
    """``sv:o:12:2025``: branch 12's rating for 2025."""

    how: StarOpen
    branch: Id
    year: Annotated[int, IntRange(2000, 9999)]


class StarListButton(CallbackData, prefix="sl"):
    """``sl:2025``: an administrator's list of their branches' ratings for 2025."""

    year: Annotated[int, IntRange(2000, 9999)]


def other_year(year: int, rating_year: int) -> int:
    """The year a screen's year button leads to: the year before the one being rated, and back."""
    return rating_year - 1 if year == rating_year else rating_year
