"""The star rating's decisions as buttons under the /stars screen (评星定级): the branch submits its
self-assessment or objects to the announced result; an administrator announces the result for the public notice
(公示), publishes it, or answers an objection and publishes. An objection and an answer are asked for after the
press, in the private chat (a small flow), and the step is taken when the words come.

Each press is one conditional write on the rating's status (:mod:`bot.services.points.star_steps`): of two
leaders pressing at once, or a press on a stale screen, one wins and the other is told why nothing happened
(the step's refusal, e.g. "The rating was already submitted."). The screen is then shown again as it now stands;
it names the branch's notes and the reviewers' reasons, so it is a private screen (its template says so) and the
send boundary keeps it out of groups.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import date_style
from bot.context import BranchContext
from bot.errors import PermissionDenied
from bot.i18n import N_
from bot.services.points import star_steps
from bot.services.points.star_buttons import LEADERS_STEPS, WORDED, StarButton, StarStep
from handlers.common import reply
from handlers.flows import END, Flow, cancelled
from handlers.points.star_screens import star_markup
from storage.models import Organisation

# (context, the rating, the branch's code, shown to an administrator) → the screen's text
Screen = Callable[..., str]

PROMPTS = {
    StarStep.OBJECT: N_("Write the reason for your objection (or /cancel)."),
    StarStep.ANSWER: N_("Write your answer to the branch's objection; the result is then published (or /cancel)."),
}
WORDS = "words"  # the flow's one step: the objection's reason, or the answer to it
KEY = "st_words"  # what the flow keeps: the pressed button's data


def _require_own(context: BranchContext, button: StarButton) -> None:
    if button.step in LEADERS_STEPS and button.branch != context.actor.org_id:
        raise PermissionDenied(N_("Only the branch secretary (or a committee member acting for them) may do this."))


def star_handlers(screen: Screen) -> list[BaseHandler[Update, BranchContext, object]]:
    """The decision buttons' handlers (the worded steps' flow first); ``screen`` renders the rating afterwards
    (the /stars screen's)."""

    async def on_press(update: Update, context: BranchContext) -> None:
        query = update.callback_query
        assert query is not None
        button = StarButton.parse(query.data)  # forged or stale data: a quiet refusal
        actor, tr = context.actor, context.tr
        env = context.resources.env
        local = env.today()
        _require_own(context, button)
        async with context.unit() as session:
            if button.step == StarStep.SUBMIT:
                await star_steps.submit(session, actor, button.year, local, env=env)
                done = tr.gettext("Submitted: the administrators will review it.")
            elif button.step == StarStep.ANNOUNCE:
                announced = await star_steps.announce(session, actor, button.branch, button.year, local, env=env)
                assert announced.notice_ends_on is not None
                done = tr.gettext(
                    "Announced; the notice period runs until %(day)s.",
                    day=date_style.day(announced.notice_ends_on, tr.locale),
                )
            elif button.step == StarStep.PUBLISH:
                await star_steps.publish(session, actor, button.branch, button.year, local, env=env)
                done = tr.gettext("Published.")
            else:  # a worded step whose flow did not take the press: nothing to do
                await query.answer()
                return
            stars = await star_steps.view(session, actor, button.year, local, env.tz, button.branch)
            branch = await session.get(Organisation, button.branch)
        admin = button.step not in LEADERS_STEPS
        await query.answer(done)
        text = screen(context, stars, branch.code if branch else "", admin=admin)
        await query.edit_message_text(text, reply_markup=star_markup(stars, tr, admin=admin, today=local))

    async def ask_words(update: Update, context: BranchContext) -> object:
        """An objection or an answer was pressed: ask for its words in the private chat."""
        query = update.callback_query
        assert query is not None and update.effective_user is not None
        button = StarButton.parse(query.data)
        _require_own(context, button)
        async with context.unit() as session:  # the rights, before asking anything
            await star_steps.view(
                session,
                context.actor,
                button.year,
                context.resources.env.today(),
                context.resources.env.tz,
                button.branch,
            )
        context.user_data[KEY] = button.pack()  # type: ignore[index]
        await query.answer()
        await context.bot.send_message(update.effective_user.id, context.tr.gettext(PROMPTS[button.step]))
        return WORDS

    async def words_given(update: Update, context: BranchContext) -> object:
        """The words: the objection or the answer (and publication) is the step's one conditional write."""
        assert update.message is not None and update.message.text is not None
        data = (context.user_data or {}).get(KEY)
        if not isinstance(data, str):
            return END
        button = StarButton.parse(data)
        local = context.resources.env.today()
        async with context.unit(then=END) as session:
            if button.step == StarStep.OBJECT:
                await star_steps.object_to(
                    session, context.actor, update.message.text, button.year, local, env=context.resources.env
                )
                done = context.tr.gettext("Your objection was sent to the administrators.")
            else:
                await star_steps.publish(
                    session,
                    context.actor,
                    button.branch,
                    button.year,
                    local,
                    update.message.text,
                    env=context.resources.env,
                )
                done = context.tr.gettext("Published.")
        await reply(update, done)
        return END

    async def cancel(update: Update, context: BranchContext) -> object:
        return await cancelled(update, context, KEY)

    worded = "|".join(re.escape(step.value) for step in WORDED)
    flow = Flow(
        name="star_words",
        user_data_keys=(KEY,),
        per_chat=False,  # pressed anywhere, answered in the private chat
        entry_points=[CallbackQueryHandler(ask_words, pattern=rf"^{StarButton.__prefix__}:(?:{worded}):")],
        states={WORDS: [MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, words_given)]},
        fallbacks=[CommandHandler("cancel", cancel)],
    )
    return [flow, CallbackQueryHandler(on_press, pattern=StarButton.pattern())]
