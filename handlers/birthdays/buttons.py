"""The pressed buttons: parsed by the codec (a forged or stale one is refused quietly), every reference re-checked
by the service."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.callbacks import BadCallback
from bot.context import BranchContext
from bot.errors import InvalidInput
from bot.i18n import N_
from bot.services.birthdays import BirthdayAction, BirthdayButton
from bot.templates import render
from handlers.birthdays.screens import branch_view, counts_view, in_private, mine_view
from handlers.common import reply

STALE = N_("This button is out of date. Send /birthdays again.")


async def _edit(update: Update, text: str, markup: InlineKeyboardMarkup | None) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:  # pressing the same button twice: the message already shows this
        if "not modified" not in str(exc).lower():
            raise


async def birthday_button(update: Update, context: BranchContext) -> None:
    """The buttons under the lists, the member's card and the greeting."""
    query = update.callback_query
    assert query is not None
    try:
        button = BirthdayButton.parse(query.data)
    except BadCallback:
        raise InvalidInput(STALE) from None
    actor = context.actor
    if button.action is BirthdayAction.OATH:
        await reply(update, render("birthdays/oath.html.j2", context.tr.locale))
        return
    if button.action in (BirthdayAction.GREETINGS_ON, BirthdayAction.GREETINGS_OFF):
        text, markup = await mine_view(context, actor, button.action is BirthdayAction.GREETINGS_ON)
        await _edit(update, text, markup)
        return
    if button.year is None or button.month is None:
        raise InvalidInput(STALE)  # a list button without its month: not one the bot made
    if button.action is BirthdayAction.LIST:
        if button.branch is None:
            raise InvalidInput(STALE)
        if not await in_private(update, context):  # members' names: a list pressed in a group is not shown there
            return
        text, markup = await branch_view(context, actor, button.branch, button.year, button.month)
    else:
        text, markup = await counts_view(context, actor, button.year, button.month)
    await _edit(update, text, markup)
