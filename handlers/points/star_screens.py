"""The star rating's screens (评星定级): a branch's rating with the buttons its status offers the reader, and an
administrator's list of their branches. Every step is reachable from /stars by these buttons: a leader's
self-assessment of each manual criterion and submission, objection during the notice; an administrator's
branch, adjustment, announcement, answer and publication; both look at the year before with one button.

The rating's screen names the branch's notes and the reviewers' reasons: a private screen (its template says so).
"""

from __future__ import annotations

from datetime import date

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.context import BranchContext
from bot.i18n import N_, Translator
from bot.services.points.rules import tenths_text
from bot.services.points.star_buttons import (
    StarButton,
    StarForm,
    StarFormButton,
    StarListButton,
    StarOpen,
    StarStep,
    StarViewButton,
    other_year,
    steps_offered,
)
from bot.services.points.stars import BranchStars
from bot.templates import render
from storage.models import Organisation
from storage.points import StarStatus

STATUS_NAMES = {
    StarStatus.DRAFT: N_("self-assessment"),
    StarStatus.SUBMITTED: N_("submitted for review"),
    StarStatus.ANNOUNCED: N_("under public notice"),
    StarStatus.OBJECTED: N_("objected"),
    StarStatus.PUBLISHED: N_("published"),
}
LABELS = {
    StarStep.SUBMIT: N_("📤 Submit for review"),
    StarStep.ANNOUNCE: N_("📣 Announce for public notice"),
    StarStep.PUBLISH: N_("✅ Publish the result"),
    StarStep.OBJECT: N_("🙋 Object, with a reason"),
    StarStep.ANSWER: N_("💬 Answer the objection and publish"),
    StarStep.ADJUST: N_("✏️ Adjust a score"),
}

AWAITING = {StarStatus.SUBMITTED: 0, StarStatus.OBJECTED: 1, StarStatus.ANNOUNCED: 2}  # an administrator's next steps
MAX_BRANCH_BUTTONS = 20  # Telegram takes up to 100 buttons; a phone shows a score of them well


def rating_year(day: date) -> int:
    """The year a rating step is about: until the end of March, the year just over (ratings are made then)."""
    return day.year - 1 if day.month <= 3 else day.year


def status_text(tr: Translator, status: str) -> str:
    """The rating's status in words."""
    return tr.gettext(STATUS_NAMES.get(status, status))


def stars_text(context: BranchContext, stars: BranchStars, code: str, *, admin: bool) -> str:
    """The rating's screen: each criterion with what it was computed from, the total, the status."""
    return render(
        "points/stars.html.j2",
        context.tr.locale,
        pt=tenths_text,
        stars=stars,
        status_text=status_text(context.tr, stars.status),
        leader=not admin,
        admin=admin,
        code=code,
    )


def _button(text: str, data: str) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(text, callback_data=data)]


def star_markup(
    stars: BranchStars, tr: Translator, *, admin: bool, today: date | None = None
) -> InlineKeyboardMarkup | None:
    """The buttons of a rating's screen: a leader's self-assessment of each manual criterion while it is a draft,
    the decisions its status offers the reader, and (given ``today``) the other year."""
    rows: list[list[InlineKeyboardButton]] = []
    if not admin and stars.status == StarStatus.DRAFT:
        for c in stars.criteria:
            if c.source != "manual":
                continue
            label = tr.gettext("✍️ %(criterion)s", criterion=c.name(tr.locale))
            if c.self_score is not None:
                label = tr.gettext(
                    "✓ %(criterion)s: %(score)s", criterion=c.name(tr.locale), score=tenths_text(c.self_score)
                )
            form = StarFormButton(form=StarForm.SELF, branch=stars.branch_id, year=stars.year, key=c.key)
            rows.append(_button(label, form.pack()))
    for step in steps_offered(stars.status, admin=admin):
        rows.append(
            _button(tr.gettext(LABELS[step]), StarButton(step=step, branch=stars.branch_id, year=stars.year).pack())
        )
    if today is not None:
        year = other_year(stars.year, rating_year(today))
        view = StarViewButton(how=StarOpen.YEAR, branch=stars.branch_id, year=year)
        rows.append(_button(tr.gettext("📅 The rating for %(year)d", year=year), view.pack()))
    return InlineKeyboardMarkup(rows) if rows else None


def adjust_markup(stars: BranchStars, tr: Translator) -> InlineKeyboardMarkup:
    """An administrator chooses the criterion to adjust: one button each, with its score now."""
    return InlineKeyboardMarkup(
        [
            _button(
                tr.gettext(
                    "%(criterion)s: %(score)s of %(max)s",
                    criterion=c.name(tr.locale),
                    score=tenths_text(c.score),
                    max=tenths_text(c.max),
                ),
                StarFormButton(form=StarForm.ADJUST, branch=stars.branch_id, year=stars.year, key=c.key).pack(),
            )
            for c in stars.criteria
        ]
    )


def list_screen(
    context: BranchContext, ratings: list[BranchStars], branches: list[Organisation], year: int, today: date
) -> tuple[str, InlineKeyboardMarkup]:
    """An administrator's branches for ``year``: the list, a button per branch, and the other year."""
    tr = context.tr
    # A button per branch, those awaiting the reader's decision first; a large subtree's others by /stars CODE
    # (their codes are shown).
    waiting = sorted(ratings, key=lambda s: (AWAITING.get(s.status, len(AWAITING)), s.branch))[:MAX_BRANCH_BUTTONS]
    buttoned = {s.branch_id for s in waiting}
    text = render(
        "points/stars_list.html.j2",
        tr.locale,
        pt=tenths_text,
        year=year,
        ratings=ratings,
        codes={b.id: b.code for b in branches if b.id not in buttoned},
        statuses={s: status_text(tr, s) for s in STATUS_NAMES},
    )
    rows = [_button(s.branch, StarViewButton(how=StarOpen.LIST, branch=s.branch_id, year=year).pack()) for s in waiting]
    other = other_year(year, rating_year(today))
    rows.append(_button(tr.gettext("📅 The ratings for %(year)d", year=other), StarListButton(year=other).pack()))
    return text, InlineKeyboardMarkup(rows)
