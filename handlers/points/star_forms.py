"""The star rating's forms and screens reached by buttons from /stars (评星定级, issue 12: decisions are buttons,
never typed positions): an administrator opens a branch from their list and looks at the other year; a leader
self-assesses a manual criterion (score, short note, photos) and an administrator adjusts a criterion (score,
reason) in small guided flows that start from the criterion's button.

Each saved step is one conditional write on the rating's status in :mod:`bot.services.points.star_steps` (a
rating submitted or announced meanwhile: the person is told and nothing is saved), audited, and the branch told
of an adjustment through the notifier. The flows are tracked per chat and refused in a group (their answers and
the rating's screens stay in the private chat).
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import BranchContext
from bot.errors import InvalidInput, PermissionDenied
from bot.i18n import N_
from bot.services.points import star_steps
from bot.services.points.rules import tenths_text
from bot.services.points.star_buttons import (
    StarButton,
    StarForm,
    StarFormButton,
    StarListButton,
    StarOpen,
    StarStep,
    StarViewButton,
)
from bot.services.points.stars import ratings
from handlers.common import keyboard, reply, show
from handlers.flows import END, Flow, cancelled
from handlers.points.star_screens import adjust_markup, list_screen, star_markup, stars_text
from storage import queries
from storage.models import Organisation

SCORE, NOTE, PHOTOS, REASON = "score", "note", "photos", "reason"
KEY = "st_form"  # what the forms keep: the criterion's button data, its name and maximum, the typed score

TEXT = filters.TEXT & ~filters.COMMAND


async def _screen(update: Update, context: BranchContext, branch_id: int, year: int, *, edit: bool) -> None:
    """The rating's screen for the reader (an administrator's, or the branch's), replacing the pressed one."""
    actor, env = context.actor, context.resources.env
    async with context.unit() as session:
        stars = await star_steps.view(session, actor, year, env.today(), env.tz, branch_id)
        branch = await session.get(Organisation, branch_id)
    admin = actor.is_admin
    text = stars_text(context, stars, branch.code if branch else "", admin=admin)
    markup = star_markup(stars, context.tr, admin=admin, today=env.today())
    if edit:
        await show(update, text, markup)
    else:
        await reply(update, text, reply_markup=markup)


async def on_view(update: Update, context: BranchContext) -> None:
    """A branch's rating: an administrator's pick from their list, or the other year of the same branch."""
    query = update.callback_query
    assert query is not None
    button = StarViewButton.parse(query.data)
    await _screen(update, context, button.branch, button.year, edit=True)


async def on_list(update: Update, context: BranchContext) -> None:
    """An administrator's branches for another year."""
    query = update.callback_query
    assert query is not None
    button = StarListButton.parse(query.data)
    actor, env = context.actor, context.resources.env
    if not actor.is_admin:
        raise PermissionDenied(N_("Only an administrator of this organisation may do this."))
    async with context.unit() as session:
        branches = list(await queries.branches_in(session, await queries.subtree_ids(session, actor.org_id)))
        found = await ratings(session, branches, button.year, env.today(), env.tz)
    text, markup = list_screen(context, found, branches, button.year, env.today())
    await show(update, text, markup)


async def on_adjust(update: Update, context: BranchContext) -> None:
    """An administrator's "adjust a score": which criterion (each a button with its score now)."""
    query = update.callback_query
    assert query is not None
    button = StarButton.parse(query.data)
    env = context.resources.env
    async with context.unit() as session:
        stars = await star_steps.view(session, context.actor, button.year, env.today(), env.tz, button.branch)
    if not context.actor.is_admin:
        raise PermissionDenied(N_("Only an administrator of this organisation may do this."))
    await reply(
        update,
        context.tr.gettext("Which criterion's score of %(branch)s do you change?", branch=stars.branch),
        reply_markup=adjust_markup(stars, context.tr),
    )


# --- the forms -----------------------------------------------------------------------------------------------


def _kept(context: BranchContext) -> dict[str, Any]:
    data = (context.user_data or {}).get(KEY)
    if not isinstance(data, dict) or not isinstance(data.get("button"), str):
        raise InvalidInput(N_("This button is out of date. Send /stars again."))
    return data


async def _criterion_of(context: BranchContext, button: StarFormButton) -> Any:
    async with context.unit() as session:
        if button.form is StarForm.SELF:
            return await star_steps.form_criterion(
                session, context.actor, "self", button.branch, button.key, button.year
            )
        return await star_steps.form_criterion(session, context.actor, "adjust", button.branch, button.key, button.year)


async def form_start(update: Update, context: BranchContext) -> object:
    """A criterion's button: its rights and status checked, then its score asked for."""
    query = update.callback_query
    assert query is not None
    button = StarFormButton.parse(query.data)
    criterion = await _criterion_of(context, button)
    name = criterion.name(context.tr.locale)
    context.user_data[KEY] = {"button": button.pack(), "name": name}  # type: ignore[index]
    tr = context.tr
    if button.form is StarForm.SELF:
        prompt = tr.gettext(
            "Self-assessment of “%(criterion)s”: what score, from 0 to %(max)s? (/cancel to stop)",
            criterion=name,
            max=tenths_text(criterion.weight),
        )
    else:
        prompt = tr.gettext(
            "The new score of “%(criterion)s”, from 0 to %(max)s? (/cancel to stop)",
            criterion=name,
            max=tenths_text(criterion.weight),
        )
    await reply(update, prompt)
    return SCORE


async def form_score(update: Update, context: BranchContext) -> object:
    """The score: checked against the criterion's range (and the rating still open), then the words asked for."""
    assert update.message is not None and update.message.text is not None
    data = _kept(context)
    button = StarFormButton.parse(data["button"])
    criterion = await _criterion_of(context, button)
    star_steps.score_of(criterion, update.message.text, context.tr.locale)
    data["score"] = update.message.text.strip()
    context.user_data[KEY] = data  # type: ignore[index]
    if button.form is StarForm.SELF:
        prompt = context.tr.gettext(
            "A short note on what the score rests on (at most %(max)d characters).", max=star_steps.MAX_NOTE
        )
        await reply(update, prompt)
        return NOTE
    await reply(update, context.tr.gettext("The reason for the change (the branch is told it)."))
    return REASON


def _done_markup(context: BranchContext, button: StarFormButton) -> Any:
    done = StarViewButton(how=StarOpen.DONE, branch=button.branch, year=button.year).pack()
    return keyboard([[(context.tr.gettext("Done ▶"), done)]])


async def self_note(update: Update, context: BranchContext) -> object:
    """The note: the self-assessment is saved (one conditional write, audited); photos may follow."""
    assert update.message is not None and update.message.text is not None
    data = _kept(context)
    button = StarFormButton.parse(data["button"])
    async with context.unit(then=PHOTOS) as session:
        await star_steps.self_assess(
            session, context.actor, button.key, data["score"], update.message.text, button.year
        )
    await reply(
        update,
        context.tr.gettext(
            "Saved: “%(criterion)s” %(score)s. Send photos of the evidence (up to %(max)d), or press Done.",
            criterion=data["name"],
            score=data["score"],
            max=star_steps.MAX_PHOTOS,
        ),
        reply_markup=_done_markup(context, button),
    )
    return PHOTOS


async def self_photo(update: Update, context: BranchContext) -> object:
    """A photo behind the self-assessment (one conditional write, audited)."""
    message = update.message
    assert message is not None and message.photo
    button = StarFormButton.parse(_kept(context)["button"])
    async with context.unit(then=PHOTOS) as session:
        count = await star_steps.add_photo(session, context.actor, button.key, message.photo[-1].file_id, button.year)
    text = context.tr.ngettext(
        "Saved: %(num)d photo for this criterion.", "Saved: %(num)d photos for this criterion.", count
    )
    await reply(update, text, reply_markup=_done_markup(context, button))
    return PHOTOS


async def self_text_at_photos(update: Update, context: BranchContext) -> object:
    button = StarFormButton.parse(_kept(context)["button"])
    await reply(update, context.tr.gettext("Send a photo, or press Done."), reply_markup=_done_markup(context, button))
    return PHOTOS


async def self_done(update: Update, context: BranchContext) -> object:
    """Done: the rating's screen as it now stands (with the next criterion's button, and Submit)."""
    query = update.callback_query
    assert query is not None
    button = StarViewButton.parse(query.data)
    await _screen(update, context, button.branch, button.year, edit=True)
    return END


async def adjust_reason(update: Update, context: BranchContext) -> object:
    """The reason: the adjustment is saved (one conditional write, audited, the branch told)."""
    assert update.message is not None and update.message.text is not None
    data = _kept(context)
    button = StarFormButton.parse(data["button"])
    async with context.unit(then=END) as session:
        await star_steps.adjust(
            session,
            context.actor,
            button.branch,
            button.key,
            data["score"],
            update.message.text,
            button.year,
            env=context.resources.env,
        )
    await reply(update, context.tr.gettext("Saved; the branch is told."))
    await _screen(update, context, button.branch, button.year, edit=False)
    return END


async def cancel(update: Update, context: BranchContext) -> object:
    return await cancelled(update, context, KEY)


def _form(form: StarForm) -> str:
    return rf"^{StarFormButton.__prefix__}:{form.value}:"


SELF_FLOW = Flow(
    name="star_self",
    user_data_keys=(KEY,),
    entry_points=[CallbackQueryHandler(form_start, pattern=_form(StarForm.SELF))],
    states={
        SCORE: [MessageHandler(TEXT, form_score)],
        NOTE: [MessageHandler(TEXT, self_note)],
        PHOTOS: [
            MessageHandler(filters.PHOTO, self_photo),
            MessageHandler(TEXT, self_text_at_photos),
            CallbackQueryHandler(self_done, pattern=rf"^{StarViewButton.__prefix__}:{StarOpen.DONE.value}:"),
        ],
    },
    fallbacks=[CommandHandler("cancel", cancel)],
)

ADJUST_FLOW = Flow(
    name="star_adjust",
    user_data_keys=(KEY,),
    entry_points=[CallbackQueryHandler(form_start, pattern=_form(StarForm.ADJUST))],
    states={
        SCORE: [MessageHandler(TEXT, form_score)],
        REASON: [MessageHandler(TEXT, adjust_reason)],
    },
    fallbacks=[CommandHandler("cancel", cancel)],
)

FORM_HANDLERS: list[BaseHandler[Update, BranchContext, object]] = [
    SELF_FLOW,
    ADJUST_FLOW,
    CallbackQueryHandler(on_adjust, pattern=rf"^{StarButton.__prefix__}:{StarStep.ADJUST.value}:"),
    CallbackQueryHandler(on_view, pattern=StarViewButton.pattern()),
    CallbackQueryHandler(on_list, pattern=StarListButton.pattern()),
]
