"""The star rating's decisions as buttons under the /stars screen (评星定级): the branch submits its
self-assessment; an administrator announces the result for the public notice (公示) or publishes it.

Each press is one conditional write on the rating's status (:mod:`bot.services.points.star_steps`): of two
leaders pressing at once, or a press on a stale screen, one wins and the other is told why nothing happened
(the step's refusal, e.g. "The rating was already submitted."). The screen is then shown again as it now stands;
it names the branch's notes and the reviewers' reasons, so it is a private screen (its template says so) and the
send boundary keeps it out of groups.
"""

from __future__ import annotations

from collections.abc import Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot.clock import today
from bot.context import BranchContext
from bot.environment import ServiceEnv
from bot.errors import PermissionDenied
from bot.i18n import N_, Translator
from bot.services.points import star_steps
from bot.services.points.star_buttons import StarButton, StarStep, steps_offered
from bot.services.points.stars import BranchStars
from storage.models import Organisation

# (context, the rating, the branch's code, shown to an administrator) → the screen's text
Screen = Callable[..., str]

LABELS = {
    StarStep.SUBMIT: N_("📤 Submit for review"),
    StarStep.ANNOUNCE: N_("📣 Announce for public notice"),
    StarStep.PUBLISH: N_("✅ Publish the result"),
}


def star_markup(stars: BranchStars, tr: Translator, *, admin: bool) -> InlineKeyboardMarkup | None:
    """The decision buttons the rating's status offers (none when nothing is to be decided)."""
    steps = steps_offered(stars.status, admin=admin)
    if not steps:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr.gettext(LABELS[step]),
                    callback_data=StarButton(step=step, branch=stars.branch_id, year=stars.year).pack(),
                )
            ]
            for step in steps
        ]
    )


def star_handlers(screen: Screen) -> list[CallbackQueryHandler[BranchContext, None]]:
    """The handler of the decision buttons; ``screen`` renders the rating afterwards (the /stars screen's)."""

    async def on_press(update: Update, context: BranchContext) -> None:
        query = update.callback_query
        assert query is not None
        button = StarButton.parse(query.data)  # forged or stale data: a quiet refusal
        actor, tr = context.actor, context.tr
        settings = context.resources.settings
        local = today(settings.tz)
        admin = button.step != StarStep.SUBMIT
        if not admin and button.branch != actor.org_id:
            raise PermissionDenied(N_("Only the branch secretary (or a committee member acting for them) may do this."))
        async with context.unit() as session:
            if button.step == StarStep.SUBMIT:
                await star_steps.submit(session, actor, button.year, local, settings.tz)
                done = tr.gettext("Submitted: the administrators will review it.")
            elif button.step == StarStep.ANNOUNCE:
                env = ServiceEnv.from_settings(settings, bot_username=context.resources.bot_username)
                announced = await star_steps.announce(session, actor, button.branch, button.year, local, env=env)
                assert announced.notice_ends_on is not None
                done = tr.gettext(
                    "Announced; the notice period runs until %(day)s.", day=announced.notice_ends_on.isoformat()
                )
            else:
                await star_steps.publish(session, actor, button.branch, button.year, local)
                done = tr.gettext("Published.")
            stars = await star_steps.view(session, actor, button.year, local, settings.tz, button.branch)
            branch = await session.get(Organisation, button.branch)
        await query.answer(done)
        text = screen(context, stars, branch.code if branch else "", admin=admin)
        await query.edit_message_text(text, reply_markup=star_markup(stars, tr, admin=admin))

    return [CallbackQueryHandler(on_press, pattern=StarButton.pattern())]
